"""Filtered, rights-aware queries over projects, needs and capacities (shared by views, exports and the API)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Mapping

import sqlalchemy as sa

from coordhub.auth.models import Role, User
from coordhub.extensions import db
from coordhub.registry.models import (
    AdminArea, Capacity, Need, NeedStatus, Operation, Organisation, OrganisationType, Project, ProjectStatus,
    ResourceType,
    capacity_areas, project_areas,
)

STATUS_ENUMS = {Project: ProjectStatus, Need: NeedStatus}
MAX_ID = 2**31  # ids are INTEGER columns


def parse_id(value: Any) -> int | None:
    """A query-string or form value as a database id: None unless a whole number that fits an INTEGER column."""
    try:
        number = int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None
    return number if number is None or abs(number) < MAX_ID else None


@dataclass
class RecordFilters:
    """The filters a list accepts; built from query-string arguments, unknown values ignored."""

    q: str = ""
    sector_id: int | None = None
    area_id: int | None = None
    organisation_id: int | None = None
    organisation_type: str = ""
    resource_type_id: int | None = None
    status: str = ""
    priority: int | None = None
    date_from: date | None = None
    date_to: date | None = None
    archived: bool = False
    sort: str = ""

    @classmethod
    def from_args(cls, args: Mapping[str, Any]) -> "RecordFilters":
        def as_int(name):
            return parse_id(args.get(name))

        def as_date(name):
            try:
                return date.fromisoformat(args.get(name)) if args.get(name) else None
            except (TypeError, ValueError):
                return None

        return cls(
            q=(args.get("q") or "").replace("\x00", "").strip()[:200], sector_id=as_int("sector"), area_id=as_int("area"),
            organisation_id=as_int("organisation"),
            organisation_type=(args.get("organisation_type") or "").replace("\x00", "").strip()[:32],
            resource_type_id=as_int("resource_type"),
            status=(args.get("status") or "").replace("\x00", "").strip(),
            priority=as_int("priority") if as_int("priority") in range(1, 6) else None,
            date_from=as_date("date_from"), date_to=as_date("date_to"),
            archived=args.get("archived") in ("1", "true", "on"), sort=(args.get("sort") or "").replace("\x00", "").strip(),
        )

    def as_args(self) -> dict[str, Any]:
        """The non-empty filters as query-string arguments (for pagination and export links)."""
        pairs = {"q": self.q, "sector": self.sector_id, "area": self.area_id, "organisation": self.organisation_id,
                 "organisation_type": self.organisation_type,
                 "resource_type": self.resource_type_id, "status": self.status, "priority": self.priority,
                 "date_from": self.date_from.isoformat() if self.date_from else None,
                 "date_to": self.date_to.isoformat() if self.date_to else None,
                 "archived": "1" if self.archived else None, "sort": self.sort}
        return {k: v for k, v in pairs.items() if v not in (None, "")}


def details_visible_clause(kind: type, user: User):
    """SQL condition: the user may see this record's details (sensitive ones only own org / coordinators)."""
    if kind is Capacity or user.role in (Role.admin, Role.coordinator):
        return sa.true()
    return sa.or_(kind.sensitive.is_(False), kind.organisation_id == user.organisation_id)


def _area_subtree_clause(kind: type, area: AdminArea):
    prefix = area.path + "%"
    if kind is Need:
        return Need.admin_area_id.in_(sa.select(AdminArea.id).where(AdminArea.path.like(prefix)))
    link = project_areas if kind is Project else capacity_areas
    key = link.c.project_id if kind is Project else link.c.capacity_id
    return kind.id.in_(
        sa.select(key).join(AdminArea, AdminArea.id == link.c.admin_area_id).where(AdminArea.path.like(prefix))
    )


SORTS = {
    "title": lambda kind: kind.title,
    "start": lambda kind: kind.start_date,
    "end": lambda kind: kind.end_date,
    "updated": lambda kind: kind.updated_at.desc(),
    "priority": lambda kind: Need.priority.desc() if kind is Need else kind.updated_at.desc(),
}


def record_query(kind: type, operation: Operation, user: User, filters: RecordFilters) -> sa.Select:
    """SELECT of `kind` in `operation` matching `filters`, as `user` may see it."""
    query = sa.select(kind).where(kind.operation_id == operation.id)
    query = query.where(kind.archived_at.is_not(None) if filters.archived else kind.archived_at.is_(None))
    visible = details_visible_clause(kind, user)
    if filters.q:
        like = f"%{filters.q.lower()}%"
        text = [sa.func.lower(kind.title).like(like), sa.func.lower(sa.func.coalesce(kind.code, "")).like(like)]
        if hasattr(kind, "description"):
            text.append(sa.func.lower(kind.description).like(like))
        query = query.where(visible, sa.or_(*text))
    if filters.sector_id:
        if kind is Capacity:
            query = query.where(Capacity.resource_type_id.in_(
                sa.select(ResourceType.id).where(ResourceType.sector_id == filters.sector_id)))
        else:
            query = query.where(kind.sector_id == filters.sector_id)
    if filters.resource_type_id:
        query = query.where(kind.resource_type_id == filters.resource_type_id)
    if filters.organisation_id:
        # Who is behind a sensitive record is itself a detail.
        query = query.where(kind.organisation_id == filters.organisation_id, visible)
    if filters.organisation_type in {t.value for t in OrganisationType}:
        query = query.where(kind.organisation_id.in_(sa.select(Organisation.id).where(
            Organisation.type == OrganisationType(filters.organisation_type))), visible)
    if filters.area_id:
        area = db.session.get(AdminArea, filters.area_id)
        if area is not None and area.operation_id == operation.id:
            query = query.where(_area_subtree_clause(kind, area))
    if filters.status and kind in STATUS_ENUMS:
        try:
            query = query.where(kind.status == STATUS_ENUMS[kind](filters.status))
        except ValueError:
            pass
    if filters.priority and kind is Need:
        query = query.where(Need.priority == filters.priority)
    # Date filters keep records whose time window overlaps [date_from, date_to] (open ends = ongoing).
    if filters.date_to:
        query = query.where(kind.start_date <= filters.date_to)
    if filters.date_from:
        query = query.where(sa.or_(kind.end_date.is_(None), kind.end_date >= filters.date_from))
    order = SORTS.get(filters.sort, SORTS["updated"])(kind)
    return query.order_by(order, kind.id.desc())
