"""Reading allocation runs for pages, exports and the API: lists, the latest published run, a run's figures
with names, a partner's assignments, explanations, and the comparison of two runs."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from coordhub.allocation.models import (
    AllocationAssignment,
    AllocationExplanation,
    AllocationForbiddenPair,
    AllocationPin,
    AllocationResponse,
    AllocationRun,
)
from coordhub.auth.models import User
from coordhub.extensions import db
from coordhub.registry.models import AdminArea, Capacity, Need, Operation, Organisation, ResourceType, Sector

# Coverage groups shown on a run's page and compared between runs.
COVERAGE_GROUPS = ("by_sector", "by_admin1", "by_area", "by_resource_type")


def runs_query(operation: Operation, published_only: bool = False) -> sa.Select:
    """The operation's runs, newest first; `published_only`: those ever published (withdrawn ones say so)."""
    query = sa.select(AllocationRun).where(AllocationRun.operation_id == operation.id)
    if published_only:
        query = query.where(AllocationRun.published_at.is_not(None))
    return query.order_by(AllocationRun.created_at.desc(), AllocationRun.id.desc())


def last_published_run(operation: Operation) -> AllocationRun | None:
    """The run published last, withdrawn or not."""
    return db.session.scalar(
        sa.select(AllocationRun)
        .where(AllocationRun.operation_id == operation.id, AllocationRun.published_at.is_not(None))
        .order_by(AllocationRun.published_at.desc(), AllocationRun.id.desc())
        .limit(1)
    )


def latest_published_run(operation: Operation) -> AllocationRun | None:
    """The run partners see and answer: the one published last, unless its publication was withdrawn (then
    none is current until a coordinator publishes another)."""
    run = last_published_run(operation)
    return None if run is None or run.withdrawn else run


def publication_summary(run: AllocationRun) -> list[tuple[Organisation, int, int]]:
    """Per partner of the run: (organisation, assignments, of them answered), by partner name."""
    rows = db.session.execute(
        sa.select(
            AllocationAssignment.organisation_id,
            sa.func.count(AllocationAssignment.id),
            sa.func.count(AllocationResponse.id),
        )
        .outerjoin(AllocationResponse, AllocationResponse.assignment_id == AllocationAssignment.id)
        .where(AllocationAssignment.run_id == run.id)
        .group_by(AllocationAssignment.organisation_id)
    ).all()
    organisations = (
        {
            o.id: o
            for o in db.session.scalars(sa.select(Organisation).where(Organisation.id.in_([row[0] for row in rows])))
        }
        if rows
        else {}
    )
    return sorted(
        ((organisations[oid], count, answered) for oid, count, answered in rows), key=lambda row: row[0].label.lower()
    )


def assignments_query(run: AllocationRun, organisation_id: int | None = None) -> sa.Select:
    """A run's assignments (of one organisation) with their need, capacity and response loaded."""
    query = (
        sa.select(AllocationAssignment)
        .where(AllocationAssignment.run_id == run.id)
        .options(
            selectinload(AllocationAssignment.need).selectinload(Need.area),
            selectinload(AllocationAssignment.need).selectinload(Need.resource_type),
            selectinload(AllocationAssignment.capacity),
            selectinload(AllocationAssignment.organisation),
            selectinload(AllocationAssignment.response),
        )
    )
    if organisation_id is not None:
        query = query.where(AllocationAssignment.organisation_id == organisation_id)
    return query.order_by(
        AllocationAssignment.organisation_id, AllocationAssignment.need_id, AllocationAssignment.capacity_id
    )


def pending_count(user: User, operation: Operation | None) -> int:
    """Assignments of the user's organisation in the latest published run still waiting for an answer."""
    if operation is None:
        return 0
    run = latest_published_run(operation)
    if run is None:
        return 0
    return (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(AllocationAssignment)
            .outerjoin(AllocationResponse, AllocationResponse.assignment_id == AllocationAssignment.id)
            .where(
                AllocationAssignment.run_id == run.id,
                AllocationAssignment.organisation_id == user.organisation_id,
                AllocationResponse.id.is_(None),
            )
        )
        or 0
    )


def pins_and_exclusions(operation: Operation) -> tuple[list[AllocationPin], list[AllocationForbiddenPair]]:
    pins = db.session.scalars(
        sa.select(AllocationPin)
        .where(AllocationPin.operation_id == operation.id)
        .options(selectinload(AllocationPin.need), selectinload(AllocationPin.capacity))
        .order_by(AllocationPin.id)
    ).all()
    pairs = db.session.scalars(
        sa.select(AllocationForbiddenPair)
        .where(AllocationForbiddenPair.operation_id == operation.id)
        .options(selectinload(AllocationForbiddenPair.need), selectinload(AllocationForbiddenPair.capacity))
        .order_by(AllocationForbiddenPair.id)
    ).all()
    return list(pins), list(pairs)


# --- names ----------------------------------------------------------------------------------------------


def group_labels(operation: Operation, group: str, keys: Iterable[str]) -> dict[str, str]:
    """Names for the keys of a coverage group: sector names, resource types with units, admin areas."""
    keys = list(keys)
    if not keys:
        return {}
    if group == "by_sector":
        rows = db.session.execute(sa.select(Sector.code, Sector.name).where(Sector.code.in_(keys)))
        return dict(rows.all())  # a list of rows: a Result has keys() and would be read as a mapping
    if group == "by_resource_type":
        rows = db.session.execute(
            sa.select(ResourceType.code, ResourceType.name, ResourceType.unit).where(ResourceType.code.in_(keys))
        )
        return {code: f"{name} ({unit})" for code, name, unit in rows}
    rows = db.session.execute(
        sa.select(AdminArea.pcode, AdminArea.name).where(
            AdminArea.operation_id == operation.id, AdminArea.pcode.in_(keys)
        )
    )
    return {pcode: f"{name} ({pcode})" for pcode, name in rows}


@dataclass
class CoverageRow:
    key: str
    label: str
    needed: float
    met: float

    @property
    def share(self) -> float:
        return self.met / self.needed if self.needed > 0 else 1.0


def coverage_rows(run: AllocationRun, group: str) -> list[CoverageRow]:
    cells = run.coverage.get(group, {})
    labels = group_labels(run.operation, group, cells)
    rows = [CoverageRow(key, labels.get(key, key), needed, met) for key, (needed, met) in cells.items()]
    return sorted(rows, key=lambda row: (row.share, row.label))


def explanations_of(run: AllocationRun, subject: str, limit: int | None = None) -> tuple[list, int]:
    """(explanations of needs or capacities, largest shortfall first, with their subject loaded; total count)."""
    target = AllocationExplanation.need if subject == "need" else AllocationExplanation.capacity
    query = (
        sa.select(AllocationExplanation)
        .where(AllocationExplanation.run_id == run.id, AllocationExplanation.subject == subject)
        .options(selectinload(target))
        .order_by(AllocationExplanation.quantity.desc(), AllocationExplanation.id)
    )
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.order_by(None).subquery()))
    if limit is not None:
        query = query.limit(limit)
    return list(db.session.scalars(query)), total or 0


@dataclass
class PartnerTotals:
    organisation: Organisation
    assignments: int
    units: float
    cost: float
    accepted: int
    declined: int


def partner_totals(run: AllocationRun) -> list[PartnerTotals]:
    from coordhub.allocation.models import Decision

    rows = db.session.execute(
        sa.select(
            AllocationAssignment.organisation_id,
            sa.func.count(),
            sa.func.sum(AllocationAssignment.quantity),
            sa.func.sum(AllocationAssignment.cost),
            sa.func.count(sa.case((AllocationResponse.decision == Decision.accepted, 1))),
            sa.func.count(sa.case((AllocationResponse.decision == Decision.declined, 1))),
        )
        .outerjoin(AllocationResponse, AllocationResponse.assignment_id == AllocationAssignment.id)
        .where(AllocationAssignment.run_id == run.id)
        .group_by(AllocationAssignment.organisation_id)
    ).all()
    organisations = (
        {
            o.id: o
            for o in db.session.scalars(sa.select(Organisation).where(Organisation.id.in_([row[0] for row in rows])))
        }
        if rows
        else {}
    )
    totals = [
        PartnerTotals(organisations[oid], count, units or 0.0, cost or 0.0, accepted, declined)
        for oid, count, units, cost, accepted, declined in rows
    ]
    return sorted(totals, key=lambda t: t.organisation.label.lower())


# --- comparing two runs ---------------------------------------------------------------------------------


@dataclass
class CoverageChange:
    key: str
    label: str
    needed_a: float
    met_a: float
    needed_b: float
    met_b: float

    @property
    def share_a(self) -> float:
        return self.met_a / self.needed_a if self.needed_a > 0 else 1.0

    @property
    def share_b(self) -> float:
        return self.met_b / self.needed_b if self.needed_b > 0 else 1.0

    @property
    def gained(self) -> float:
        return round(self.met_b - self.met_a, 6)


@dataclass
class AssignmentChange:
    need: Need
    capacity: Capacity
    quantity_a: float
    quantity_b: float

    @property
    def kind(self) -> str:
        if self.quantity_a == 0:
            return "added"
        if self.quantity_b == 0:
            return "removed"
        return "changed"


@dataclass
class Comparison:
    a: AllocationRun
    b: AllocationRun
    coverage: dict[str, list[CoverageChange]] = field(default_factory=dict)
    changes: list[AssignmentChange] = field(default_factory=list)  # the first `limit` ones
    changed: int = 0
    unchanged: int = 0

    @property
    def same_input(self) -> bool:
        return self.a.fingerprint == self.b.fingerprint


def compare_runs(a: AllocationRun, b: AllocationRun, limit: int = 500) -> Comparison:
    """What changed from run `a` to run `b`: coverage gained or lost per sector and area, and the assignments
    added, removed or changed in quantity (all counted; the first `limit` of them, by need and capacity, given
    with their need and capacity)."""
    comparison = Comparison(a, b)
    for group in COVERAGE_GROUPS:
        cells_a, cells_b = a.coverage.get(group, {}), b.coverage.get(group, {})
        keys = sorted(set(cells_a) | set(cells_b))
        labels = group_labels(a.operation, group, keys)
        rows = [
            CoverageChange(key, labels.get(key, key), *cells_a.get(key, [0.0, 0.0]), *cells_b.get(key, [0.0, 0.0]))
            for key in keys
        ]
        comparison.coverage[group] = sorted(rows, key=lambda row: (-abs(row.gained), row.label))

    def quantities(run: AllocationRun) -> dict[tuple[int, int], float]:
        """Per (need, capacity), summed over the periods of a plan."""
        return {
            (need, capacity): quantity
            for need, capacity, quantity in db.session.execute(
                sa.select(
                    AllocationAssignment.need_id,
                    AllocationAssignment.capacity_id,
                    sa.func.sum(AllocationAssignment.quantity),
                )
                .where(AllocationAssignment.run_id == run.id)
                .group_by(AllocationAssignment.need_id, AllocationAssignment.capacity_id)
            )
        }

    before, after = quantities(a), quantities(b)
    changed = sorted(
        pair for pair in set(before) | set(after) if abs(before.get(pair, 0.0) - after.get(pair, 0.0)) > 1e-9
    )
    comparison.changed = len(changed)
    comparison.unchanged = len(set(before) | set(after)) - len(changed)
    shown = changed[:limit]
    needs = (
        {
            n.id: n
            for n in db.session.scalars(
                sa.select(Need).where(Need.id.in_({p[0] for p in shown})).options(selectinload(Need.area))
            )
        }
        if shown
        else {}
    )
    capacities = (
        {
            c.id: c
            for c in db.session.scalars(
                sa.select(Capacity)
                .where(Capacity.id.in_({p[1] for p in shown}))
                .options(selectinload(Capacity.organisation))
            )
        }
        if shown
        else {}
    )
    comparison.changes = [
        AssignmentChange(needs[n], capacities[c], before.get((n, c), 0.0), after.get((n, c), 0.0)) for n, c in shown
    ]
    return comparison


# --- plans over time ----------------------------------------------------------------------------------

TIMELINE_ROWS = 60
TIMELINE_GROUPS = ("partner", "area", "sector")


@dataclass
class TimelineRow:
    """One row of a plan's timeline: units per period (same order as the run's periods)."""

    label: str
    units: list[float]

    @property
    def peak(self) -> float:
        return max(self.units, default=0.0)


def timeline(run: AllocationRun, by: str, user: User) -> list[TimelineRow]:
    """Units delivered per period, grouped by partner, admin-1 area of the need, or sector (the busiest rows
    first, at most TIMELINE_ROWS). Units of one resource type add up within a row; rows mix types only when a
    partner offers several."""
    if not run.periods:
        return []
    index = {day: k for k, day in enumerate(run.periods)}
    if by == "area":
        key, label = AdminArea.id, AdminArea.name
        query = (
            sa.select(key, label, AllocationAssignment.period, sa.func.sum(AllocationAssignment.quantity))
            .join(Need, Need.id == AllocationAssignment.need_id)
            .join(AdminArea, AdminArea.id == Need.admin_area_id)
        )
    elif by == "sector":
        key, label = Sector.id, Sector.name
        query = (
            sa.select(key, label, AllocationAssignment.period, sa.func.sum(AllocationAssignment.quantity))
            .join(Need, Need.id == AllocationAssignment.need_id)
            .join(Sector, Sector.id == Need.sector_id)
        )
    else:
        key, label = Organisation.id, Organisation.name
        query = sa.select(key, label, AllocationAssignment.period, sa.func.sum(AllocationAssignment.quantity)).join(
            Organisation, Organisation.id == AllocationAssignment.organisation_id
        )
    rows: dict[int, TimelineRow] = {}
    for group_id, name, period, units in db.session.execute(
        query.where(AllocationAssignment.run_id == run.id).group_by(key, label, AllocationAssignment.period)
    ):
        row = rows.setdefault(group_id, TimelineRow(name, [0.0] * len(run.periods)))
        position = index.get(period.isoformat()) if period else None
        if position is not None:
            row.units[position] += float(units)
    ordered = sorted(rows.values(), key=lambda r: (-sum(r.units), r.label))
    return ordered[:TIMELINE_ROWS]


def coverage_by_period(run: AllocationRun) -> tuple[list[tuple[str, float]], list[tuple[str, list[float]]]]:
    """([(period, weighted share met by its end)], [(resource type label, [share by the end of each period])])."""
    weighted = [
        (day, met / needed if needed else 1.0)
        for day, (needed, met) in sorted(run.coverage.get("by_period", {}).items())
    ]
    by_type = run.coverage.get("by_period_and_type", {})
    labels = group_labels(run.operation, "by_resource_type", by_type)
    typed = [
        (labels.get(code, code), [met / needed if needed else 1.0 for _day, (needed, met) in sorted(cells.items())])
        for code, cells in sorted(by_type.items())
    ]
    return weighted, typed
