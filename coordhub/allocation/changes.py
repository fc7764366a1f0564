"""What changed since an allocation run was computed: needs, capacities, pins, exclusions, access (and any source
another feature registers, e.g. monitoring results), so that a run's page can say "run again"."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from coordhub.allocation.models import AllocationForbiddenPair, AllocationPin, AllocationRun, AreaAccess
from coordhub.extensions import db
from coordhub.registry.models import AdminArea, Capacity, Need


@dataclass(frozen=True)
class ChangeSource:
    """One kind of input: `count(run)` says how many of its items changed since the run was stored; `label`
    is a plural with %(n)d ("%(n)d needs")."""

    key: str
    label: object
    count: Callable[[AllocationRun], int]


CHANGE_SOURCES: list[ChangeSource] = []


def register_change_source(key: str, label, count: Callable[[AllocationRun], int]) -> None:
    """Add (or replace) a source of changes; other features call this once at import."""
    CHANGE_SOURCES[:] = [s for s in CHANGE_SOURCES if s.key != key] + [ChangeSource(key, label, count)]


def _updated_since(model) -> Callable[[AllocationRun], int]:
    def count(run: AllocationRun) -> int:
        return int(
            db.session.scalar(
                sa.select(sa.func.count())
                .select_from(model)
                .where(
                    model.operation_id == run.operation_id,
                    sa.or_(model.updated_at > run.created_at, model.created_at > run.created_at),
                )
            )
            or 0
        )

    return count


def _pairs_changed(model, stored: Callable[[AllocationRun], set]) -> Callable[[AllocationRun], int]:
    def count(run: AllocationRun) -> int:
        extra = [model.quantity] if model is AllocationPin else [model.period]
        now = {
            tuple(value.isoformat() if isinstance(value, date) else value for value in row)
            for row in db.session.execute(
                sa.select(model.need_id, model.capacity_id, *extra).where(model.operation_id == run.operation_id)
            )
        }
        return len(now ^ stored(run))

    return count


def _access_changed(run: AllocationRun) -> int:
    rows = db.session.execute(
        sa.select(AdminArea.pcode, AreaAccess.level, AreaAccess.start_date, AreaAccess.end_date, AreaAccess.clearances)
        .join(AdminArea, AdminArea.id == AreaAccess.admin_area_id)
        .where(AreaAccess.operation_id == run.operation_id)
    )
    now = {
        (pcode, level.value, start.isoformat(), end.isoformat() if end else None, clearances)
        for pcode, level, start, end, clearances in rows
    }
    return len(now ^ {tuple(rule) for rule in run.access})


register_change_source("needs", _l("%(n)d needs"), _updated_since(Need))
register_change_source("capacities", _l("%(n)d capacities"), _updated_since(Capacity))
register_change_source(
    "pins", _l("%(n)d pins"), _pairs_changed(AllocationPin, lambda run: {(n, c, q) for n, c, q in run.pins})
)
register_change_source(
    "exclusions",
    _l("%(n)d exclusions"),
    # A decline of one period of a plan is stored with the period's first day.
    _pairs_changed(AllocationForbiddenPair, lambda run: {(n, c, *rest, None)[:3] for n, c, *rest in run.forbidden}),
)
register_change_source("access", _l("%(n)d access assessments"), _access_changed)


def changes_since(run: AllocationRun) -> list[tuple[str, int, str]]:
    """[(source key, count, "12 needs")] for every source with changes since the run."""
    out = []
    for source in CHANGE_SOURCES:
        n = source.count(run)
        if n:
            out.append((source.key, n, str(source.label) % {"n": n}))
    return out
