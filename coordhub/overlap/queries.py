"""Filtered, rights-aware alert queries (shared by the pages, the API and the inbox badge)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import sqlalchemy as sa
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy.orm import aliased, joinedload, selectinload

from coordhub.auth import rights
from coordhub.auth.models import User
from coordhub.extensions import db
from coordhub.overlap.models import AlertKind, AlertRead, AlertState, OverlapAlert, OverlapCluster
from coordhub.overlap.rights import SEES_ALL, about_organisation_clause, visible_clause
from coordhub.registry.models import AdminArea, Operation, Project, Sector
from coordhub.registry.queries import SortedList, SortKey, hidden_last_order, on_hidden_field
from coordhub.web import parse_id

# Sort keys of the alerts list (`sort=key`, `-key` descending); the score is a hidden field of an alert with a
# side the reader may not see (such alerts come after the others, whatever their score).
ALERT_SORTS: dict[str, SortKey] = {
    "score": SortKey("score", first_descending=True),
    "kind": SortKey("kind"),
    "state": SortKey("state"),
    "sector": SortKey("sector_id"),
    "area": SortKey("shared_area_id"),
    "created": SortKey("created_at", first_descending=True),
}


@dataclass
class AlertFilters(SortedList):
    """What the alerts page and /api/v1/alerts accept; unknown values are ignored."""

    sector_id: int | None = None
    area_id: int | None = None
    organisation_id: int | None = None
    project_id: int | None = None
    state: str = ""  # a state, or "active" (open or acknowledged)
    kind: str = ""
    min_score: float | None = None
    unread: bool = False
    mine: bool = False  # only alerts about the reader's organisation (the "My organisation" tab's filter)
    sort: str = ""  # a key of ALERT_SORTS, "-key" descending; empty: most pressing first
    sorts: ClassVar[dict[str, SortKey]] = ALERT_SORTS

    @classmethod
    def from_args(cls, args: Mapping[str, Any]) -> AlertFilters:
        def text(name: str) -> str:
            return (args.get(name) or "").replace("\x00", "").strip()

        try:
            score = float(text("min_score")) if text("min_score") else None
        except ValueError:
            score = None
        if score is not None and not 0 <= score <= 1:
            score = None
        state = text("state")
        kind = text("kind").replace(" ", "_")
        return cls(
            sector_id=parse_id(args.get("sector")),
            area_id=parse_id(args.get("area")),
            organisation_id=parse_id(args.get("organisation")),
            project_id=parse_id(args.get("project")),
            state=state if state == "active" or state in AlertState.__members__ else "",
            kind=kind if kind in AlertKind.__members__ else "",
            min_score=score,
            unread=args.get("unread") in ("1", "true", "on"),
            mine=args.get("mine") in ("1", "true", "on"),
            sort=cls.known_sort(text("sort")),
        )

    def as_args(self) -> dict[str, Any]:
        pairs = {
            "sector": self.sector_id,
            "area": self.area_id,
            "organisation": self.organisation_id,
            "project": self.project_id,
            "state": self.state,
            "kind": self.kind,
            "min_score": self.min_score,
            "unread": "1" if self.unread else None,
            "mine": "1" if self.mine else None,
            "sort": self.sort,
        }
        return {k: v for k, v in pairs.items() if v not in (None, "")}


def _side_visible(user: User, side_project, side_organisation):
    """SQL: the user may see who is behind this side (the same rule as details_visible_clause)."""
    if user.role in SEES_ALL:
        return sa.true()
    return sa.or_(side_project.sensitive.is_(False), side_organisation == user.organisation_id)


# What a reader sees of an alert with a side they may not see: that it exists, where, in what, of which kind
# and how it is handled. Its score, dates, title likeness, explanation and dismissal signature come from the
# hidden side's fields (see registry.queries.PUBLIC_FIELDS) and are hidden fields themselves.
ALERT_PUBLIC_FIELDS = frozenset(
    {
        "id",
        "operation_id",
        "project_a_id",
        "project_b_id",
        "organisation_a_id",
        "organisation_b_id",
        "sector_id",
        "shared_area_id",
        "relation",
        "kind",
        "counted_project_id",
        "state",
        "resolution",
        "created_at",
        "changed_at",
    }
)


# Of a cluster with sensitive entries the user may not see: which cell, which entries (the others' count and
# window depend on the hidden entries' organisations and dates: ClusterView shows them without).
CLUSTER_PUBLIC_FIELDS = frozenset(
    {"id", "operation_id", "sector_id", "admin_area_id", "project_ids", "linked_project_ids"}
)


def details_visible_clause(user: User):
    """SQL: the user may see both sides of the alert. Its score and dates come from both projects' fields
    (titles, target groups, dates), so with a side the user may not see they are hidden fields."""
    if user.role in SEES_ALL:
        return sa.true()
    # An uncorrelated IN: PostgreSQL hashes the (few) sensitive projects once, instead of probing the projects
    # table for each alert (the inbox sorts on this for every alert of the organisation).
    sensitive = sa.select(Project.id).where(Project.sensitive == sa.true())  # `= true`: ix_projects_sensitive

    def side_hidden(project_column, organisation_column):
        return sa.and_(project_column.in_(sensitive), sa.not_(organisation_column == user.organisation_id))

    return sa.not_(
        sa.or_(
            side_hidden(OverlapAlert.project_a_id, OverlapAlert.organisation_a_id),
            side_hidden(OverlapAlert.project_b_id, OverlapAlert.organisation_b_id),
        )
    )


def unread_clause(user: User):
    """SQL: the user has not opened the alert since it last changed (a NOT EXISTS, which PostgreSQL runs as one
    anti-join against the user's reads rather than a lookup per alert)."""
    return ~sa.exists().where(
        AlertRead.alert_id == OverlapAlert.id,
        AlertRead.user_id == user.id,
        AlertRead.read_at >= OverlapAlert.changed_at,
    )


def alert_query(operation: Operation, user: User, filters: AlertFilters, inbox: bool = False) -> sa.Select:
    """SELECT of the alerts of `operation` that `user` may see, matching `filters`, most pressing first.

    `inbox`: only alerts about the user's own organisation (whatever their role)."""
    query = sa.select(OverlapAlert).where(OverlapAlert.operation_id == operation.id, visible_clause(user))
    if inbox or filters.mine:
        query = query.where(about_organisation_clause(user.organisation_id))
    if filters.sector_id:
        query = query.where(OverlapAlert.sector_id == filters.sector_id)
    if filters.area_id:
        area = db.session.get(AdminArea, filters.area_id)
        if area is not None and area.operation_id == operation.id:
            query = query.where(
                OverlapAlert.shared_area_id.in_(sa.select(AdminArea.id).where(AdminArea.path.like(area.path + "%")))
            )
    if filters.organisation_id:
        # Who is behind a sensitive entry is itself a detail: match only on the sides the user may see.
        project_a, project_b = aliased(Project), aliased(Project)
        query = (
            query.join(project_a, project_a.id == OverlapAlert.project_a_id)
            .join(project_b, project_b.id == OverlapAlert.project_b_id)
            .where(
                sa.or_(
                    sa.and_(
                        OverlapAlert.organisation_a_id == filters.organisation_id,
                        _side_visible(user, project_a, OverlapAlert.organisation_a_id),
                    ),
                    sa.and_(
                        OverlapAlert.organisation_b_id == filters.organisation_id,
                        _side_visible(user, project_b, OverlapAlert.organisation_b_id),
                    ),
                )
            )
        )
    if filters.project_id:
        query = query.where(
            sa.or_(OverlapAlert.project_a_id == filters.project_id, OverlapAlert.project_b_id == filters.project_id)
        )
    if filters.state == "active":
        query = query.where(OverlapAlert.state.in_([AlertState.open, AlertState.acknowledged]))
    elif filters.state:
        query = query.where(OverlapAlert.state == AlertState(filters.state))
    if filters.kind:
        query = query.where(OverlapAlert.kind == AlertKind(filters.kind))
    visible = details_visible_clause(user)
    if filters.min_score is not None:
        query = query.where(on_hidden_field(visible, OverlapAlert.score >= filters.min_score))
    if filters.unread:
        query = query.where(unread_clause(user))
    if filters.sort:
        return query.order_by(*_alert_order(filters, visible), OverlapAlert.id)
    pressing = sa.case(
        (OverlapAlert.state == AlertState.open, 0), (OverlapAlert.state == AlertState.acknowledged, 1), else_=2
    )
    return query.order_by(pressing, *hidden_last_order(visible, OverlapAlert.score, descending=True), OverlapAlert.id)


def _alert_order(filters: AlertFilters, visible: Any) -> list:
    """ORDER BY of a chosen sort key (the side-door rule applied to the score)."""
    key, descending = filters.sort_key, filters.sort_descending
    if key == "score":
        return hidden_last_order(visible, OverlapAlert.score, descending)
    if key in ("kind", "state"):
        column, enum = (OverlapAlert.kind, AlertKind) if key == "kind" else (OverlapAlert.state, AlertState)
        expression: Any = sa.case(*[(column == member, rank) for rank, member in enumerate(enum)])
    elif key == "sector":
        expression = sa.select(sa.func.lower(Sector.name)).where(Sector.id == OverlapAlert.sector_id).scalar_subquery()
    elif key == "area":
        expression = (
            sa.select(sa.func.lower(AdminArea.name))
            .where(AdminArea.id == OverlapAlert.shared_area_id)
            .scalar_subquery()
        )
    else:
        expression = OverlapAlert.created_at
    return [expression.desc() if descending else expression]


# What an alert's line shows (its sides, their organisations, its sector and area): loaded with the alerts.
_SHOWN_WITH_ALERT = (
    selectinload(OverlapAlert.project_a).joinedload(Project.organisation),
    selectinload(OverlapAlert.project_b).joinedload(Project.organisation),
    joinedload(OverlapAlert.sector),
    joinedload(OverlapAlert.shared_area),
)


def alert_page(query: sa.Select, per_page: int, page: int | None = None) -> Pagination:
    """One page of `query` (an alert_query): the ids first, counted and sorted on the alerts' narrow columns
    (on PostgreSQL an index-only scan of ix_overlap_alerts_listing, not the wide rows with their explanations),
    then the page's alerts with what their lines show (_SHOWN_WITH_ALERT) in three more statements."""
    ids = db.paginate(
        query.with_only_columns(OverlapAlert.id, maintain_column_froms=True),
        page=page,
        per_page=per_page,
        error_out=False,
    )
    ids.items = alerts_by_id(ids.items)
    return ids


def first_alerts(query: sa.Select, limit: int) -> list[OverlapAlert]:
    """The first `limit` alerts of `query` (an alert_query), sorted on the narrow columns, without counting them
    all (the dashboard's inbox preview)."""
    return alerts_by_id(
        list(db.session.scalars(query.with_only_columns(OverlapAlert.id, maintain_column_froms=True).limit(limit)))
    )


def alerts_by_id(ids: list[int]) -> list[OverlapAlert]:
    """The alerts of `ids`, in that order, with what their lines show."""
    if not ids:
        return []
    loaded = {
        alert.id: alert
        for alert in db.session.scalars(
            sa.select(OverlapAlert).where(OverlapAlert.id.in_(ids)).options(*_SHOWN_WITH_ALERT)
        )
    }
    return [loaded[alert_id] for alert_id in ids]


def cluster_order(user: User) -> list:
    """Clusters by organisations at work, most first, for those who see every entry; by id for others (the
    count includes the organisations behind sensitive entries, a hidden field)."""
    if user.role in SEES_ALL:
        return [OverlapCluster.organisation_count.desc(), OverlapCluster.id]
    return [OverlapCluster.id]


def unread_count(user: User, operation: Operation | None, limit: int | None = None) -> int:
    """Alerts about the user's organisation in `operation` that changed since the user last opened them; with
    `limit`, counted up to `limit` only (the badge on every page stops there rather than count them all)."""
    if operation is None or not rights.can_access_operation(user, operation):
        return 0
    unread = sa.select(OverlapAlert.id).where(
        OverlapAlert.operation_id == operation.id,
        about_organisation_clause(user.organisation_id),
        unread_clause(user),
    )
    if limit is not None:
        unread = unread.limit(limit)
    return db.session.scalar(sa.select(sa.func.count()).select_from(unread.subquery())) or 0


def unread_ids(user: User, alert_ids: list[int]) -> set[int]:
    if not alert_ids:
        return set()
    return set(
        db.session.scalars(sa.select(OverlapAlert.id).where(OverlapAlert.id.in_(alert_ids), unread_clause(user)))
    )


def project_alerts(user: User, project: Project) -> list[OverlapAlert]:
    """The alerts of one project that `user` may see, most pressing first."""
    return list(
        db.session.scalars(
            alert_query(project.operation, user, AlertFilters(project_id=project.id)).options(*_SHOWN_WITH_ALERT)
        )
    )
