"""The sector × admin-area gap matrix of an operation: unmet needs against the organisations present."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _

from coordhub.auth.models import Role, User
from coordhub.extensions import db
from coordhub.overlap.core import Capacity as CoreCapacity
from coordhub.overlap.core import GapCell
from coordhub.overlap.core import Need as CoreNeed
from coordhub.overlap.core.gaps import GapReport, find_gaps
from coordhub.overlap.detection import activity_id, linked_project_ids, load_activities, load_area_tree
from coordhub.registry.models import (
    AdminArea,
    Capacity,
    Need,
    NeedStatus,
    Operation,
    Project,
    ProjectStatus,
    ResourceType,
    Sector,
    capacity_areas,
)
from coordhub.registry.queries import details_visible_clause

# Work that is planned or under way covers a place; completed or suspended work does not.
PRESENT_STATUSES = (ProjectStatus.planned, ProjectStatus.ongoing)
UNMET_STATUSES = (NeedStatus.open, NeedStatus.partially_met)


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
    are counted, each entry as one, but never named."""
    tree = load_area_tree(operation.id)
    activities, _sectors = load_activities(operation.id)
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

    sectors_by_name = {s.name: s for s in db.session.scalars(sa.select(Sector).order_by(Sector.name))}
    areas_by_pcode = {
        a.pcode: a
        for a in db.session.scalars(
            sa.select(AdminArea)
            .where(AdminArea.operation_id == operation.id, AdminArea.level == level)
            .order_by(AdminArea.path)
        )
    }
    cells = {}
    for (sector_name, pcode), cell in report.cells.items():
        sector, area = sectors_by_name.get(sector_name), areas_by_pcode.get(pcode)
        if sector is not None and area is not None:
            cells[(sector.id, area.id)] = cell
    return GapMatrix(
        level=level,
        levels=levels_of(operation),
        sectors=list(sectors_by_name.values()),
        areas=list(areas_by_pcode.values()),
        cells=cells,
        needs_above_level=len(report.needs_above_level),
    )


def organisation_shade(cell: GapCell | None) -> str:
    """CSS class for the 'organisations present' colouring: none, one, two, three or more (crowded)."""
    count = cell.organisation_count if cell else 0
    return f"orgs-{min(count, 3)}"


def need_shade(cell: GapCell | None) -> str:
    """CSS class for the 'unmet need' colouring: a gap (needs, nobody working), needs with work, or none."""
    if cell is None or cell.need_count == 0:
        return "need-none"
    return "need-gap" if cell.activity_count == 0 else "need-covered"
