"""Home pages per role and the dashboard charts: figures read through the lists', alerts', runs' and gap
matrix's own queries (no second counting rule)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from coordhub.allocation.queries import coverage_rows, pending_count
from coordhub.auth.models import Role, User
from coordhub.database import utcnow
from coordhub.extensions import db
from coordhub.interop.models import ImportRun
from coordhub.maps.queries import gap_cells, visible_run
from coordhub.overlap.matrix import default_level, levels_of
from coordhub.overlap.models import AlertState, OverlapAlert
from coordhub.overlap.queries import AlertFilters, alert_query, first_alerts
from coordhub.registry.models import AdminArea, Capacity, Need, Operation, Organisation, Project, ProjectStatus, Sector
from coordhub.registry.queries import RecordFilters, details_visible_clause, record_query

DUE_DAYS = 30
AGE_BUCKETS = ((7, "under_7"), (30, "7_to_30"), (None, "over_30"))


@dataclass
class Chart:
    """A chart's numbers: labels along the axis, one or more series; drawn by Chart.js and given as a table
    and CSV for screen readers and spreadsheets."""

    name: str
    title: str
    kind: str  # bar, line
    labels: list[str]
    series: list[tuple[str, list[float]]]
    unit: str = ""

    def as_data(self) -> dict[str, Any]:
        return {
            "type": self.kind,
            "labels": self.labels,
            "unit": self.unit,
            "series": [{"label": label, "values": values} for label, values in self.series],
        }

    def rows(self) -> list[list[Any]]:
        return [[label, *[values[i] for _name, values in self.series]] for i, label in enumerate(self.labels)]


@dataclass
class Dashboard:
    role: str
    counts: dict[str, int]
    charts: list[Chart] = field(default_factory=list)
    blocks: dict[str, Any] = field(default_factory=dict)


def _count(query: sa.Select) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(query.order_by(None).subquery())) or 0


def _counts(operation: Operation, user: User) -> dict[str, int]:
    counts = {
        slug: _count(record_query(kind, operation, user, RecordFilters()))
        for slug, kind in (("projects", Project), ("needs", Need), ("capacities", Capacity))
    }
    counts["areas"] = (
        db.session.scalar(
            sa.select(sa.func.count()).select_from(AdminArea).where(AdminArea.operation_id == operation.id)
        )
        or 0
    )
    counts["organisations"] = (
        db.session.scalar(
            sa.select(sa.func.count(sa.distinct(Project.organisation_id))).where(
                Project.operation_id == operation.id, Project.archived_at.is_(None)
            )
        )
        or 0
    )
    return counts


def by_sector_chart(operation: Operation, user: User) -> Chart:
    """Projects and needs per sector, as the lists count them (sensitive entries included, as rows)."""

    def per_sector(kind):
        listed = (
            record_query(kind, operation, user, RecordFilters())
            .order_by(None)
            .with_only_columns(kind.sector_id, sa.func.count())
            .group_by(kind.sector_id)
        )
        return Counter(dict(db.session.execute(listed).all()))

    projects, needs = per_sector(Project), per_sector(Need)
    sectors = db.session.execute(sa.select(Sector.id, Sector.name).order_by(Sector.name)).all()
    shown = [(sid, name) for sid, name in sectors if projects[sid] or needs[sid]]
    return Chart(
        "by_sector",
        _("Activities and needs by sector"),
        "bar",
        [_(name) for _sid, name in shown],
        [(_("Projects"), [projects[sid] for sid, _n in shown]), (_("Needs"), [needs[sid] for sid, _n in shown])],
    )


def over_time_chart(operation: Operation, user: User, months: int = 18) -> Chart:
    """Projects and needs by the month they start, over the last `months` months and the next six."""
    today = date.today().replace(day=1)
    start = (today - timedelta(days=31 * months)).replace(day=1)
    keys = []
    cursor = start
    while cursor <= today + timedelta(days=31 * 6):
        keys.append(cursor.strftime("%Y-%m"))
        cursor = (cursor + timedelta(days=32)).replace(day=1)

    def per_month(kind):
        # Start dates are hidden details of sensitive entries the reader may not see: those are not placed in
        # time (the side-door rule), only counted in the by-sector chart.
        listed = (
            record_query(kind, operation, user, RecordFilters())
            .order_by(None)
            .with_only_columns(kind.start_date, sa.func.count())
            .where(details_visible_clause(kind, user))
            .group_by(kind.start_date)
        )
        months: Counter = Counter()
        for day, count in db.session.execute(listed):
            months[day.strftime("%Y-%m")] += count
        return months

    projects, needs = per_month(Project), per_month(Need)
    return Chart(
        "over_time",
        _("Activities and needs by starting month"),
        "line",
        keys,
        [(_("Projects"), [projects[k] for k in keys]), (_("Needs"), [needs[k] for k in keys])],
    )


def coverage_chart(operation: Operation, user: User, group: str) -> Chart | None:
    run = visible_run(operation, user, None)
    if run is None:
        return None
    rows = sorted(coverage_rows(run, group), key=lambda row: row.label)
    title = (
        _("Coverage by sector (run %(id)s)", id=run.id)
        if group == "by_sector"
        else _("Coverage by admin area (run %(id)s)", id=run.id)
    )
    return Chart(
        f"coverage_{group}",
        title,
        "bar",
        [row.label for row in rows],
        [(_("Share of needs met (%)"), [round(100 * row.share, 1) for row in rows])],
        unit="%",
    )


CHARTS = {
    "by_sector": by_sector_chart,
    "over_time": over_time_chart,
    "coverage_by_sector": lambda o, u: coverage_chart(o, u, "by_sector"),
    "coverage_by_admin1": lambda o, u: coverage_chart(o, u, "by_admin1"),
}


def _alerts(operation: Operation, user: User, inbox: bool) -> sa.Select:
    return alert_query(operation, user, AlertFilters(state="active"), inbox=inbox)


def _focal_blocks(operation: Operation, user: User) -> dict[str, Any]:
    mine = RecordFilters(organisation_id=user.organisation_id)
    statuses = Counter(
        db.session.scalars(
            record_query(Project, operation, user, mine).with_only_columns(Project.status).order_by(None)
        )
    )
    today = date.today()
    due = db.session.scalars(
        record_query(Project, operation, user, mine)
        .where(
            Project.status.in_([ProjectStatus.planned, ProjectStatus.ongoing]),
            Project.end_date.is_not(None),
            Project.end_date <= today + timedelta(days=DUE_DAYS),
        )
        .order_by(None)
        .order_by(Project.end_date)
        .limit(10)
    ).all()
    return {
        "statuses": [(status, statuses.get(status, 0)) for status in ProjectStatus],
        "alerts": first_alerts(_alerts(operation, user, inbox=True), 5),
        "alert_count": _count(
            _alerts(operation, user, inbox=True).with_only_columns(OverlapAlert.id, maintain_column_froms=True)
        ),
        "pending": pending_count(user, operation),
        "due": due,
        "today": today,
    }


def _alert_states_and_ages(operation: Operation, user: User) -> tuple[Counter[AlertState], Counter[str]]:
    """The alerts per state, and the open or acknowledged ones per age bucket (whole days since they were
    raised), counted by the database: an operation has hundreds of thousands of alerts."""
    now = utcnow()
    age = sa.case(
        *[(OverlapAlert.created_at > now - timedelta(days=limit), name) for limit, name in AGE_BUCKETS if limit],
        else_=next(name for limit, name in AGE_BUCKETS if limit is None),
    )
    by_state: Counter[AlertState] = Counter()
    ages: Counter[str] = Counter()
    rows = db.session.execute(
        alert_query(operation, user, AlertFilters())
        .order_by(None)
        .with_only_columns(OverlapAlert.state, age, sa.func.count(), maintain_column_froms=True)
        .group_by(OverlapAlert.state, age)
    )
    for state, bucket, count in rows:
        by_state[state] += count
        if state in (AlertState.open, AlertState.acknowledged):
            ages[bucket] += count
    return by_state, ages


def _coordinator_blocks(operation: Operation, user: User) -> dict[str, Any]:
    matrix = gap_cells(operation, user, default_level(levels_of(operation)))
    gaps = Counter(sector_id for (sector_id, _area), cell in matrix.cells.items() if cell.is_gap)
    gaps_by_sector = sorted(
        ((sector_id, matrix.sectors[sector_id][1], count) for sector_id, count in gaps.items()),
        key=lambda row: (-row[2], row[1]),
    )
    by_state, ages = _alert_states_and_ages(operation, user)
    partners = db.session.execute(
        sa.select(Organisation.type, Organisation.is_local, sa.func.count())
        .where(
            Organisation.id.in_(
                sa.select(Project.organisation_id).where(
                    Project.operation_id == operation.id, Project.archived_at.is_(None)
                )
            )
        )
        .group_by(Organisation.type, Organisation.is_local)
    ).all()
    by_type: Counter[str] = Counter()
    local = 0
    for org_type, is_local, count in partners:
        by_type[org_type.value] += count
        local += count if is_local else 0
    total = sum(by_type.values())
    run = visible_run(operation, user, None)
    imports = db.session.scalars(
        sa.select(ImportRun)
        .where(ImportRun.operation_id == operation.id)
        .order_by(ImportRun.created_at.desc())
        .limit(5)
    ).all()
    return {
        "run": run,
        "gap_level": matrix.level,
        "gap_count": matrix.gap_count,
        "gaps_by_sector": gaps_by_sector,
        "alert_states": [(state, by_state.get(state, 0)) for state in AlertState],
        "alert_ages": [(name, ages.get(name, 0)) for _limit, name in AGE_BUCKETS],
        "partners_by_type": sorted(by_type.items(), key=lambda x: -x[1]),
        "partner_total": total,
        "local_share": local / total if total else None,
        "imports": imports,
    }


def build_dashboard(operation: Operation, user: User) -> Dashboard:
    """The home page of `user`'s role: focal points see their organisation's work, coordinators and
    administrators the coordination figures, viewers the operation at a glance."""
    role = {Role.admin: "coordinator", Role.coordinator: "coordinator", Role.focal_point: "focal_point"}.get(
        user.role, "viewer"
    )
    dashboard = Dashboard(role=role, counts=_counts(operation, user))
    if role == "focal_point":
        dashboard.blocks = _focal_blocks(operation, user)
    elif role == "coordinator":
        dashboard.blocks = _coordinator_blocks(operation, user)
    names = ["by_sector", "over_time", "coverage_by_sector"] + (["coverage_by_admin1"] if role != "focal_point" else [])
    dashboard.charts = [chart for name in names if (chart := CHARTS[name](operation, user)) is not None]
    return dashboard
