"""Filtered, rights-aware queries over projects, needs and capacities (shared by views, exports and the API)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa

from coordhub.auth.models import Role, User
from coordhub.extensions import db
from coordhub.registry.models import (
    AdminArea,
    Capacity,
    Need,
    NeedStatus,
    Operation,
    Organisation,
    OrganisationType,
    Project,
    ProjectStatus,
    ResourceType,
    capacity_areas,
    project_areas,
)
from coordhub.web import parse_id

STATUS_ENUMS = {Project: ProjectStatus, Need: NeedStatus}


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
    def from_args(cls, args: Mapping[str, Any]) -> RecordFilters:
        def as_int(name):
            return parse_id(args.get(name))

        def as_date(name):
            try:
                return date.fromisoformat(args.get(name)) if args.get(name) else None
            except (TypeError, ValueError):
                return None

        return cls(
            q=(args.get("q") or "").replace("\x00", "").strip()[:200],
            sector_id=as_int("sector"),
            area_id=as_int("area"),
            organisation_id=as_int("organisation"),
            organisation_type=(args.get("organisation_type") or "").replace("\x00", "").strip()[:32],
            resource_type_id=as_int("resource_type"),
            status=(args.get("status") or "").replace("\x00", "").strip(),
            priority=as_int("priority") if as_int("priority") in range(1, 6) else None,
            date_from=as_date("date_from"),
            date_to=as_date("date_to"),
            archived=args.get("archived") in ("1", "true", "on"),
            sort=(args.get("sort") or "").replace("\x00", "").strip(),
        )

    def as_args(self) -> dict[str, Any]:
        """The non-empty filters as query-string arguments (for pagination and export links)."""
        pairs = {
            "q": self.q,
            "sector": self.sector_id,
            "area": self.area_id,
            "organisation": self.organisation_id,
            "organisation_type": self.organisation_type,
            "resource_type": self.resource_type_id,
            "status": self.status,
            "priority": self.priority,
            "date_from": self.date_from.isoformat() if self.date_from else None,
            "date_to": self.date_to.isoformat() if self.date_to else None,
            "archived": "1" if self.archived else None,
            "sort": self.sort,
        }
        return {k: v for k, v in pairs.items() if v not in (None, "")}


def details_visible_clause(kind: type, user: User):
    """SQL condition: the user may see this record's details (sensitive ones only own org / coordinators)."""
    if kind is Capacity or user.role in (Role.admin, Role.coordinator):
        return sa.true()
    return sa.or_(kind.sensitive.is_(False), kind.organisation_id == user.organisation_id)


# The side-door rule. A reader who may not see a sensitive entry's details sees that it exists, where, in
# what and where it stands: the PUBLIC_FIELDS below (the lists, the API and the exports show no more of it).
# Every other field is hidden, and no filter, sort key or count may depend on it: a filter on a hidden field
# matches only entries whose details the reader may see (`on_hidden_field`), and a sort on a hidden field
# puts the entries the reader may not see after the others, newest id first (`hidden_last_order`).
PUBLIC_FIELDS: dict[type, frozenset[str]] = {
    Project: frozenset({"id", "operation_id", "sector_id", "areas", "status", "archived_at", "sensitive"}),
    Need: frozenset(
        {
            "id",
            "operation_id",
            "sector_id",
            "admin_area_id",
            "resource_type_id",
            "priority",
            "status",
            "archived_at",
            "sensitive",
        }
    ),
}


def is_public_field(kind: type, name: str) -> bool:
    """Whether a field of `kind` is seen even by readers who may not see the entry's details."""
    return kind not in PUBLIC_FIELDS or name in PUBLIC_FIELDS[kind]


def on_hidden_field(visible, condition):
    """A filter on a hidden field: true only for entries whose details the reader may see (`visible`)."""
    return condition if visible is sa.true() else sa.and_(visible, condition)


def hidden_last_order(visible, column, descending: bool = False) -> list:
    """ORDER BY `column` for the entries the reader may see (`visible`), then the others all alike (the
    caller ends with a tie-breaker on a public field, the id)."""
    if visible is sa.true():
        return [column.desc() if descending else column]
    key = sa.case((visible, column))
    return [sa.case((visible, 0), else_=1), key.desc() if descending else key]


def _area_subtree_clause(kind: type, area: AdminArea):
    prefix = area.path + "%"
    if kind is Need:
        return Need.admin_area_id.in_(sa.select(AdminArea.id).where(AdminArea.path.like(prefix)))
    link = project_areas if kind is Project else capacity_areas
    key = link.c.project_id if kind is Project else link.c.capacity_id
    return kind.id.in_(
        sa.select(key).join(AdminArea, AdminArea.id == link.c.admin_area_id).where(AdminArea.path.like(prefix))
    )


# Sort keys: (field, descending). A key on a hidden field orders only the entries the reader may see.
SORTS = {
    "title": ("title", False),
    "start": ("start_date", False),
    "end": ("end_date", False),
    "updated": ("updated_at", True),
    "priority": ("priority", True),
}


def _sort_field(kind: type, sort: str) -> tuple[str, bool]:
    field, descending = SORTS.get(sort, SORTS["updated"])
    return (field, descending) if hasattr(kind, field) else SORTS["updated"]


# Filters: RecordFilters attribute -> the field it compares (for the side-door rule).
FILTER_FIELDS = {
    "q": "title",
    "sector_id": "sector_id",
    "area_id": "areas",
    "organisation_id": "organisation_id",
    "organisation_type": "organisation_id",
    "resource_type_id": "resource_type_id",
    "status": "status",
    "priority": "priority",
    "date_from": "end_date",
    "date_to": "start_date",
    "archived": "archived_at",
    "sort": None,
}


def record_query(kind: type, operation: Operation, user: User, filters: RecordFilters) -> sa.Select:
    """SELECT of `kind` in `operation` matching `filters`, as `user` may see it (the side-door rule applied)."""
    visible = details_visible_clause(kind, user)
    conditions: dict[str, Any] = {}
    if filters.q:
        like = f"%{filters.q.lower()}%"
        text = [sa.func.lower(kind.title).like(like), sa.func.lower(sa.func.coalesce(kind.code, "")).like(like)]
        if hasattr(kind, "description"):
            text.append(sa.func.lower(kind.description).like(like))
        conditions["q"] = sa.or_(*text)
    if filters.sector_id:
        if kind is Capacity:
            conditions["sector_id"] = Capacity.resource_type_id.in_(
                sa.select(ResourceType.id).where(ResourceType.sector_id == filters.sector_id)
            )
        else:
            conditions["sector_id"] = kind.sector_id == filters.sector_id
    if filters.resource_type_id and hasattr(kind, "resource_type_id"):
        conditions["resource_type_id"] = kind.resource_type_id == filters.resource_type_id
    if filters.organisation_id:
        conditions["organisation_id"] = kind.organisation_id == filters.organisation_id
    if filters.organisation_type in {t.value for t in OrganisationType}:
        conditions["organisation_type"] = kind.organisation_id.in_(
            sa.select(Organisation.id).where(Organisation.type == OrganisationType(filters.organisation_type))
        )
    if filters.area_id:
        area = db.session.get(AdminArea, filters.area_id)
        if area is not None and area.operation_id == operation.id:
            conditions["area_id"] = _area_subtree_clause(kind, area)
    if filters.status and kind in STATUS_ENUMS:
        try:
            conditions["status"] = kind.status == STATUS_ENUMS[kind](filters.status)
        except ValueError:
            pass
    if filters.priority and kind is Need:
        conditions["priority"] = Need.priority == filters.priority
    # Date filters keep records whose time window overlaps [date_from, date_to] (open ends = ongoing).
    if filters.date_to:
        conditions["date_to"] = kind.start_date <= filters.date_to
    if filters.date_from:
        conditions["date_from"] = sa.or_(kind.end_date.is_(None), kind.end_date >= filters.date_from)
    query = sa.select(kind).where(kind.operation_id == operation.id)
    query = query.where(kind.archived_at.is_not(None) if filters.archived else kind.archived_at.is_(None))
    for name, condition in conditions.items():
        public = is_public_field(kind, FILTER_FIELDS[name])
        query = query.where(condition if public else on_hidden_field(visible, condition))
    field, descending = _sort_field(kind, filters.sort)
    public = is_public_field(kind, field)
    order = hidden_last_order(sa.true() if public else visible, getattr(kind, field), descending)
    return query.order_by(*order, kind.id.desc())
