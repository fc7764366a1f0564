"""Filtered, rights-aware queries over projects, needs and capacities (shared by views, exports and the API)."""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

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
    Sector,
    capacity_areas,
    project_areas,
)
from coordhub.web import parse_id

STATUS_ENUMS = {Project: ProjectStatus, Need: NeedStatus}


@dataclass(frozen=True)
class SortKey:
    """A column a list may be sorted by: the field the side-door rule judges it by (PUBLIC_FIELDS) and the
    order of a first click on its header (most urgent, latest and largest first where that is what one looks
    for)."""

    field: str
    first_descending: bool = False


class SortedList:
    """The `sort` argument of a list's filter class: a key of the class's `sorts` ascending, "-key" descending,
    empty for the list's default order. What a sortable column header (templates/_macros.html) asks."""

    sort: str
    sorts: ClassVar[dict[str, SortKey]]

    @classmethod
    def known_sort(cls, value: str) -> str:
        return value if value.removeprefix("-") in cls.sorts else ""

    @property
    def sort_key(self) -> str:
        """The key the list is sorted by ("" for the default order)."""
        return self.sort.removeprefix("-")

    @property
    def sort_descending(self) -> bool:
        return self.sort.startswith("-")

    def sort_toggled(self, key: str) -> str:
        """The `sort` value of a click on `key`'s column header: its first order, then the reverse."""
        if self.sort_key == key:
            return key if self.sort_descending else f"-{key}"
        return f"-{key}" if self.sorts[key].first_descending else key


@dataclass
class RecordFilters(SortedList):
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
    mine: bool = False  # only the reader's organisation's records
    sort: str = ""  # a key of SORTS, ascending; "-key": descending; empty: recently updated first

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
            mine=args.get("mine") in ("1", "true", "on"),
            sort=cls.known_sort((args.get("sort") or "").replace("\x00", "").strip()),
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
            "mine": "1" if self.mine else None,
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


# Sort keys (`sort=key` ascending, `sort=-key` descending). A key on a hidden field orders only the entries the
# reader may see; the others come after them, newest id first.
SORTS: dict[str, SortKey] = {
    "title": SortKey("title"),
    "organisation": SortKey("organisation_id"),
    "sector": SortKey("sector_id"),
    "area": SortKey("admin_area_id"),
    "resource_type": SortKey("resource_type_id"),
    "quantity": SortKey("quantity", first_descending=True),
    "unit_cost": SortKey("unit_cost"),
    "start": SortKey("start_date"),
    "end": SortKey("end_date"),
    "status": SortKey("status"),
    "priority": SortKey("priority", first_descending=True),
    "updated": SortKey("updated_at", first_descending=True),
}


RecordFilters.sorts = SORTS


def _name_of(model: Any, name_column: Any, key_column: Any) -> Any:
    """The (lower-case) name of the row of `model` that `key_column` points at, as a sortable scalar subquery."""
    return sa.select(sa.func.lower(name_column)).where(model.id == key_column).scalar_subquery()


def sort_column(kind: Any, key: str) -> Any | None:
    """The SQL expression `key` sorts `kind` by, or None where `kind` has no such column."""
    if key == "title":
        return sa.func.lower(kind.title)
    if key == "organisation":
        return _name_of(Organisation, sa.func.coalesce(Organisation.acronym, Organisation.name), kind.organisation_id)
    if key == "sector":
        if kind is Capacity:  # through its resource type (one correlated subquery: PostgreSQL needs it flat)
            return (
                sa.select(sa.func.lower(Sector.name))
                .join(ResourceType, ResourceType.sector_id == Sector.id)
                .where(ResourceType.id == Capacity.resource_type_id)
                .scalar_subquery()
            )
        return _name_of(Sector, Sector.name, kind.sector_id)
    if key == "area":
        return _name_of(AdminArea, AdminArea.name, kind.admin_area_id) if kind is Need else None
    if key == "resource_type":
        return _name_of(ResourceType, ResourceType.name, kind.resource_type_id)
    if key == "status":
        if kind not in STATUS_ENUMS:
            return None
        return sa.case(*[(kind.status == member, rank) for rank, member in enumerate(STATUS_ENUMS[kind])])
    return getattr(kind, SORTS[key].field, None)


def _sort_order(kind: Any, sort: str, visible: Any) -> list:
    key, descending = sort.removeprefix("-"), sort.startswith("-")
    column = sort_column(kind, key) if key in SORTS else None
    if column is None:
        key, descending, column = "updated", True, kind.updated_at
    public = is_public_field(kind, SORTS[key].field)
    return hidden_last_order(sa.true() if public else visible, column, descending)


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
    "mine": "organisation_id",
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
    if filters.mine:
        mine = user.organisation_id
        conditions["mine"] = kind.organisation_id == mine if mine is not None else sa.false()
    if filters.organisation_type in {t.value for t in OrganisationType}:
        conditions["organisation_type"] = kind.organisation_id.in_(
            sa.select(Organisation.id).where(Organisation.type == OrganisationType(filters.organisation_type))
        )
    if filters.area_id:
        area = db.session.get(AdminArea, filters.area_id)
        if area is not None and area.operation_id == operation.id:
            conditions["area_id"] = _area_subtree_clause(kind, area)
    if filters.status and kind in STATUS_ENUMS:
        with contextlib.suppress(ValueError):
            conditions["status"] = kind.status == STATUS_ENUMS[kind](filters.status)
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
    return query.order_by(*_sort_order(kind, filters.sort, visible), kind.id.desc())


# What a list page or an API list shows of each row besides the row itself: loaded for the whole page in one
# statement per relation, instead of one per row and relation.
LIST_RELATIONS: dict[type, tuple[str, ...]] = {
    Project: ("organisation", "sector", "resource_type", "areas", "partners"),
    Need: ("organisation", "sector", "resource_type", "area"),
    Capacity: ("organisation", "resource_type", "areas"),
}


def with_list_loading(kind: type, query: sa.Select) -> sa.Select:
    """`query` (a record_query) with the relations a list shows loaded page-wise (selectin loading)."""
    return query.options(*(selectinload(getattr(kind, name)) for name in LIST_RELATIONS[kind]))
