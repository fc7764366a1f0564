"""The sector × admin-area gap matrix of an operation: unmet needs against the organisations present."""

from __future__ import annotations

import hashlib
import logging
import pickle
from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask import current_app
from flask_babel import get_locale
from flask_babel import gettext as _

from coordhub.auth.models import Role, User
from coordhub.extensions import db
from coordhub.overlap.core import Capacity as CoreCapacity
from coordhub.overlap.core import GapCell
from coordhub.overlap.core import Need as CoreNeed
from coordhub.overlap.core.gaps import GapReport, find_gaps
from coordhub.overlap.detection import activity_id, linked_project_ids, load_activities, load_area_tree
from coordhub.overlap.models import AlertKind, AlertState, OverlapAlert
from coordhub.registry.models import (
    AdminArea,
    Capacity,
    Need,
    NeedStatus,
    Operation,
    Organisation,
    Project,
    ProjectStatus,
    ResourceType,
    Sector,
    capacity_areas,
    project_areas,
)
from coordhub.registry.queries import details_visible_clause

# Work that is planned or under way covers a place; completed or suspended work does not.
PRESENT_STATUSES = (ProjectStatus.planned, ProjectStatus.ongoing)
UNMET_STATUSES = (NeedStatus.open, NeedStatus.partially_met)

if TYPE_CHECKING:
    from redis import Redis

log = logging.getLogger(__name__)


@dataclass
class GapMatrix:
    level: int
    levels: list[int]
    sectors: list[Sector]
    areas: list[AdminArea]
    cells: dict[tuple[int, int], GapCell]  # (sector id, area id) -> cell
    needs_above_level: int

    def cell(self, sector: Sector, area: AdminArea) -> GapCell | None:
        return self.cells.get((sector.id, area.id))

    @property
    def gap_count(self) -> int:
        return sum(1 for c in self.cells.values() if c.is_gap)


def levels_of(operation: Operation) -> list[int]:
    return list(
        db.session.scalars(
            sa.select(AdminArea.level)
            .where(AdminArea.operation_id == operation.id)
            .distinct()
            .order_by(AdminArea.level)
        )
    )


def default_level(levels: list[int]) -> int:
    return 1 if 1 in levels else (levels[0] if levels else 0)


def gap_matrix(operation: Operation, user: User, level: int) -> GapMatrix:
    """Unmet needs (open, partially met), present work (planned, ongoing projects, each double count once),
    and capacities per sector × area at `level`. Organisations behind sensitive entries the user may not see
    are counted, each entry as one, but never named.

    The cells are computed from every record of the operation (a second or more at 20,000 projects), so they
    are kept, in Redis when REDIS_URL is set (shared by every web process) or else in this process, under the
    operation's data fingerprint: any change to its projects, needs, capacities, their areas and partners,
    organisations, admin areas or double counts that can change a cell gives another key, so a kept matrix is
    never out of date."""
    sees = "all" if user.role in (Role.admin, Role.coordinator) else f"organisation-{user.organisation_id}"
    key = f"coordhub:gaps:{operation.id}:{level}:{sees}:{get_locale()}:{data_fingerprint(operation.id)}"
    kept = _cache_get(key)
    if kept is None:
        kept = _gap_cells(operation, user, level)
        _cache_set(key, kept)
    cells, needs_above_level = kept
    return GapMatrix(
        level=level,
        levels=levels_of(operation),
        sectors=list(db.session.scalars(sa.select(Sector).order_by(Sector.name))),
        areas=list(
            db.session.scalars(
                sa.select(AdminArea)
                .where(AdminArea.operation_id == operation.id, AdminArea.level == level)
                .order_by(AdminArea.path)
            )
        ),
        cells=cells,
        needs_above_level=needs_above_level,
    )


def data_fingerprint(operation_id: int) -> str:
    """A digest of what the gap matrix is computed from, changed by any write that can change a cell, and only
    by those: a project's new end date or title keeps it (the matrix has no period), so the partners' daily
    saves do not throw it away. Per record, the fields the matrix reads, each summed weighted by the record's
    id (a change to one record always changes its sum); per link table a checksum; the active double counts;
    the organisations' names, the sectors and resource types, and the operation's admin areas stamp. A few
    milliseconds at 20,000 projects."""

    def weighted(kind, value):
        return sa.func.sum(sa.cast(kind.id, sa.BigInteger) * value)

    def flag(condition):
        return sa.case((condition, 1), else_=0)

    def bounded(value):  # quantities and beneficiaries can be large: keep the sums within 64 bits
        return sa.cast(value, sa.BigInteger) % 1_000_003

    aggregates = [
        sa.select(
            sa.func.count(Project.id),
            weighted(Project, Project.sector_id),
            weighted(Project, Project.organisation_id),
            weighted(
                Project,
                flag(Project.status.in_(PRESENT_STATUSES))
                + 2 * flag(Project.archived_at.is_not(None))
                + 4 * flag(Project.sensitive == sa.true()),
            ),
            weighted(Project, bounded(sa.func.coalesce(Project.beneficiaries_targeted, -1))),
        ).where(Project.operation_id == operation_id),
        sa.select(
            sa.func.count(Need.id),
            weighted(Need, Need.sector_id),
            weighted(Need, Need.admin_area_id),
            weighted(Need, Need.organisation_id),
            weighted(
                Need,
                flag(Need.status.in_(UNMET_STATUSES))
                + 2 * flag(Need.archived_at.is_not(None))
                + 4 * flag(Need.sensitive == sa.true()),
            ),
            weighted(Need, bounded(Need.quantity * 1000)),
        ).where(Need.operation_id == operation_id),
        sa.select(
            sa.func.count(Capacity.id),
            weighted(Capacity, Capacity.organisation_id),
            weighted(Capacity, Capacity.resource_type_id),
            weighted(Capacity, flag(Capacity.archived_at.is_not(None))),
            weighted(Capacity, bounded(Capacity.quantity * 1000)),
        ).where(Capacity.operation_id == operation_id),
        *(
            sa.select(sa.func.count(), sa.func.sum(sa.cast(key, sa.BigInteger) * 7919 + other))
            .select_from(link)
            .join(owner, owner.id == key)
            .where(owner.operation_id == operation_id)
            for link, key, other, owner in (
                (project_areas, project_areas.c.project_id, project_areas.c.admin_area_id, Project),
                (capacity_areas, capacity_areas.c.capacity_id, capacity_areas.c.admin_area_id, Capacity),
            )
        ),
        sa.select(  # the rows linked_project_ids reads
            sa.func.count(),
            sa.func.sum(sa.cast(OverlapAlert.project_a_id, sa.BigInteger) * 7919 + OverlapAlert.project_b_id),
            sa.func.sum(OverlapAlert.counted_project_id),
        ).where(
            OverlapAlert.operation_id == operation_id,
            OverlapAlert.kind == AlertKind.double_count,
            OverlapAlert.state.not_in([AlertState.dismissed, AlertState.closed]),
            OverlapAlert.counted_project_id.is_not(None),
        ),
        sa.select(Operation.areas_stamp).where(Operation.id == operation_id),
        sa.select(sa.func.count(ResourceType.id), sa.func.sum(ResourceType.id * 7919 + ResourceType.sector_id)),
    ]
    # One round trip: each aggregate is one row, joined side by side.
    subqueries = [query.subquery() for query in aggregates]
    side_by_side = sa.select(*subqueries).select_from(subqueries[0])
    for subquery in subqueries[1:]:
        side_by_side = side_by_side.join(subquery, sa.true())
    parts: list[object] = list(db.session.execute(side_by_side).one())
    parts.extend(
        db.session.execute(
            sa.select(sa.literal("organisation"), Organisation.id, Organisation.acronym, Organisation.name)
            .union_all(sa.select(sa.literal("sector"), Sector.id, Sector.code, Sector.name))
            .order_by(sa.literal_column("1"), sa.literal_column("2"))
        ).all()
    )
    return hashlib.sha256(repr([str(part) for part in parts]).encode()).hexdigest()[:32]


# Without Redis: the matrices this process computed (a few, each checked against the fingerprint of the moment).
_KEPT: dict[str, bytes] = {}
_KEPT_SIZE = 32
_KEPT_SECONDS = 24 * 3600


def _redis() -> Redis | None:
    url = current_app.config.get("REDIS_URL")
    if not url:
        return None
    from redis import Redis

    kept = current_app.extensions.get("coordhub_gap_redis")
    if kept is None or kept[0] != url:
        kept = current_app.extensions["coordhub_gap_redis"] = (url, Redis.from_url(url, socket_timeout=0.5))
    return kept[1]


def _cache_get(key: str) -> tuple[dict[tuple[int, int], GapCell], int] | None:
    try:
        client = _redis()
        data = client.get(key) if client is not None else _KEPT.get(key)
    except Exception as error:  # Redis away: compute (and say so), never fail the page
        log.warning("gap matrix cache unavailable: %s", error)
        return None
    return pickle.loads(data) if isinstance(data, bytes) else None  # written by _cache_set only


def _cache_set(key: str, value: tuple[dict[tuple[int, int], GapCell], int]) -> None:
    data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    try:
        client = _redis()
        if client is not None:
            client.set(key, data, ex=_KEPT_SECONDS)
            return
    except Exception as error:
        log.warning("gap matrix cache unavailable: %s", error)
        return
    if len(_KEPT) >= _KEPT_SIZE:
        _KEPT.pop(next(iter(_KEPT)))
    _KEPT[key] = data


def _gap_cells(operation: Operation, user: User, level: int) -> tuple[dict[tuple[int, int], GapCell], int]:
    """The matrix's cells by (sector id, area id) and the number of needs registered above `level`."""
    tree = load_area_tree(operation.id)
    activities, _sectors = load_activities(operation.id, details=False)
    statuses = dict(
        db.session.execute(
            sa.select(Project.id, Project.status).where(
                Project.operation_id == operation.id, Project.archived_at.is_(None)
            )
        ).all()
    )
    hidden = set()
    if user.role not in (Role.admin, Role.coordinator):
        hidden = set(
            db.session.scalars(
                sa.select(Project.id).where(
                    Project.operation_id == operation.id,
                    Project.sensitive.is_(True),
                    Project.organisation_id != user.organisation_id,
                )
            )
        )
    present = []
    for activity in activities:
        project_id = int(activity.id)
        if statuses.get(project_id) not in PRESENT_STATUSES:
            continue
        if project_id in hidden:
            activity = type(activity)(
                id=activity.id,
                organisation=f"sensitive-{project_id}",
                organisation_name=_("a sensitive entry"),
                sector=activity.sector,
                pcodes=activity.pcodes,
                start=activity.start,
                end=activity.end,
            )
        present.append(activity)

    pcode_of = {area_id: pcode for pcode, area_id in tree.ids.items()}
    sector_names = dict(db.session.execute(sa.select(Sector.id, Sector.name)).all())
    needs = [
        CoreNeed(id=str(need_id), sector=sector_names[sector_id], pcodes=(pcode_of[area_id],), quantity=quantity)
        for need_id, sector_id, area_id, quantity in db.session.execute(
            # A sensitive need the user may not see counts as a need, its quantity (hidden) as nothing.
            sa.select(
                Need.id,
                Need.sector_id,
                Need.admin_area_id,
                sa.case((details_visible_clause(Need, user), Need.quantity), else_=0.0),
            ).where(Need.operation_id == operation.id, Need.archived_at.is_(None), Need.status.in_(UNMET_STATUSES))
        )
    ]
    capacity_pcodes: dict[int, list[str]] = defaultdict(list)
    for capacity_id, area_id in db.session.execute(
        sa.select(capacity_areas.c.capacity_id, capacity_areas.c.admin_area_id)
        .join(Capacity, Capacity.id == capacity_areas.c.capacity_id)
        .where(Capacity.operation_id == operation.id)
    ):
        capacity_pcodes[capacity_id].append(pcode_of[area_id])
    capacities = [
        CoreCapacity(
            id=str(capacity_id),
            organisation=str(organisation_id),
            sector=sector_names[sector_id],
            pcodes=tuple(capacity_pcodes[capacity_id]),
            quantity=quantity,
        )
        for capacity_id, organisation_id, sector_id, quantity in db.session.execute(
            sa.select(Capacity.id, Capacity.organisation_id, ResourceType.sector_id, Capacity.quantity)
            .join(ResourceType, ResourceType.id == Capacity.resource_type_id)
            .where(Capacity.operation_id == operation.id, Capacity.archived_at.is_(None))
        )
    ]
    report: GapReport = find_gaps(
        present,
        tree.areas,
        level=level,
        needs=needs,
        capacities=capacities,
        linked_activity_ids={activity_id(i) for i in linked_project_ids(operation.id)},
    )

    sector_ids = {name: sector_id for sector_id, name in sector_names.items()}
    area_ids = dict(
        db.session.execute(
            sa.select(AdminArea.pcode, AdminArea.id).where(
                AdminArea.operation_id == operation.id, AdminArea.level == level
            )
        ).all()
    )
    cells = {}
    for (sector_name, pcode), cell in report.cells.items():
        sector_id, area_id = sector_ids.get(sector_name), area_ids.get(pcode)
        if sector_id is not None and area_id is not None:
            cells[(sector_id, area_id)] = cell
    return cells, len(report.needs_above_level)


def organisation_shade(cell: GapCell | None) -> str:
    """CSS class for the 'organisations present' colouring: none, one, two, three or more (crowded)."""
    count = cell.organisation_count if cell else 0
    return f"orgs-{min(count, 3)}"


def need_shade(cell: GapCell | None) -> str:
    """CSS class for the 'unmet need' colouring: a gap (needs, nobody working), needs with work, or none."""
    if cell is None or cell.need_count == 0:
        return "need-none"
    return "need-gap" if cell.activity_count == 0 else "need-covered"
