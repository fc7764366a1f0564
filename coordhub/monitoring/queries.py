"""Reading monitoring data: progress figures, report grids, late reports, and the reminder hook."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from coordhub.auth.models import Role, User
from coordhub.extensions import db
from coordhub.monitoring import core
from coordhub.monitoring.models import (
    Aggregation,
    Indicator,
    IndicatorType,
    Report,
    ReportingPeriod,
    ReportState,
    ReportValue,
    Target,
)
from coordhub.registry.models import AdminArea, Operation, Organisation, Project, Sector

GROUPINGS = ("none", "area", "organisation")
RESTRICTED = -1  # organisation key of sensitive entries the reader may not see


@dataclass(frozen=True)
class ProgressFilters:
    sector_id: int | None = None
    area_id: int | None = None  # the area and everything below it
    organisation_id: int | None = None
    indicator_id: int | None = None
    group_by: str = "none"  # none / area (admin-1) / organisation


@dataclass
class ProgressRow:
    indicator: Indicator
    group: Any  # None, an AdminArea, an Organisation, or RESTRICTED
    target: float | None
    series: core.Series
    baseline: float | None = None

    @property
    def achieved(self) -> float:
        return self.series.total

    @property
    def percent(self) -> float | None:
        return core.percent_of_target(self.achieved, self.target)


@dataclass
class Progress:
    periods: list[ReportingPeriod]
    rows: list[ProgressRow]
    by_sector: dict[Sector, list[ProgressRow]] = field(default_factory=dict)


def periods_of(operation: Operation) -> list[ReportingPeriod]:
    return list(
        db.session.scalars(
            sa.select(ReportingPeriod)
            .where(ReportingPeriod.operation_id == operation.id)
            .order_by(ReportingPeriod.start_date)
        )
    )


def linked_project_ids(operation_id: int) -> set[int]:
    """Funders' reports of their partners' work (double counts): left out, the implementer's report counts."""
    from coordhub.overlap.detection import linked_project_ids as linked

    return linked(operation_id)


def area_subtree_ids(operation: Operation, area_id: int) -> list[int]:
    area = db.session.get(AdminArea, area_id)
    if area is None or area.operation_id != operation.id:
        return []
    return list(
        db.session.scalars(
            sa.select(AdminArea.id).where(AdminArea.operation_id == operation.id, AdminArea.path.startswith(area.path))
        )
    )


def _admin1_of(operation: Operation) -> dict[int, int]:
    """Area id -> id of its admin-1 ancestor (itself at level ≤ 1)."""
    from coordhub.allocation.inputs import admin1_of

    rows = db.session.execute(
        sa.select(AdminArea.id, AdminArea.parent_id, AdminArea.level, AdminArea.pcode).where(
            AdminArea.operation_id == operation.id
        )
    ).all()
    id_of = {row.pcode: row.id for row in rows}
    return {area_id: id_of[pcode] for area_id, pcode in admin1_of(rows).items()}


def progress(user: User, operation: Operation, filters: ProgressFilters = ProgressFilters()) -> Progress:
    """Target vs achieved (approved results) per indicator, optionally per admin-1 area or organisation, per
    period and to date. Each intervention counts once: the funder's report of a double count is left out.
    Sensitive projects count in the figures; by organisation, those the reader may not see are grouped as
    restricted entries."""
    periods = periods_of(operation)
    index_of = {p.id: i for i, p in enumerate(periods)}
    indicator_query = sa.select(Indicator).where(Indicator.operation_id == operation.id, Indicator.archived.is_(False))
    if filters.sector_id:
        indicator_query = indicator_query.where(Indicator.sector_id == filters.sector_id)
    if filters.indicator_id:
        indicator_query = indicator_query.where(Indicator.id == filters.indicator_id)
    indicators = {i.id: i for i in db.session.scalars(indicator_query.order_by(Indicator.sector_id, Indicator.name))}
    result = Progress(periods=periods, rows=[])
    if not indicators:
        return result
    area_ids = area_subtree_ids(operation, filters.area_id) if filters.area_id else None
    linked = linked_project_ids(operation.id)
    sees_all = user.role in (Role.admin, Role.coordinator)

    def scope(query, value_table):
        query = query.where(value_table.c.indicator_id.in_(list(indicators)), value_table.c.disaggregation == "")
        if area_ids is not None:
            query = query.where(value_table.c.admin_area_id.in_(area_ids or [0]))
        if linked:
            query = query.where(value_table.c.project_id.not_in(sorted(linked)))
        if filters.organisation_id or filters.group_by == "organisation":
            query = query.join(Project, Project.id == value_table.c.project_id)
            if filters.organisation_id:
                query = query.where(Project.organisation_id == filters.organisation_id)
        return query

    def group_columns(value_table):
        if filters.group_by == "area":
            return [value_table.c.admin_area_id]
        if filters.group_by == "organisation":
            hidden = (
                sa.literal(False)
                if sees_all
                else sa.and_(Project.sensitive.is_(True), Project.organisation_id != user.organisation_id)
            )
            return [sa.case((hidden, RESTRICTED), else_=Project.organisation_id)]
        return []

    admin1 = _admin1_of(operation) if filters.group_by == "area" else {}

    def group_key(raw):
        if filters.group_by == "area":
            return admin1.get(raw, raw)
        return raw if filters.group_by == "organisation" else None

    values = ReportValue.__table__
    cells: dict[tuple[int, Any], dict[int, core.Cell]] = {}

    def add(indicator_id, raw_group, period_id, increment, new_units):
        key = (indicator_id, group_key(raw_group))
        index = index_of.get(period_id)
        if index is None:
            return
        by_period = cells.setdefault(key, {})
        old = by_period.get(index, core.Cell(0.0, 0))
        by_period[index] = core.Cell(old.increment + float(increment or 0), old.new_units + int(new_units or 0))

    sum_ids = [i for i, ind in indicators.items() if ind.aggregation is Aggregation.sum]
    latest_ids = [i for i in indicators if i not in sum_ids]
    groups = group_columns(values)
    if sum_ids:
        query = scope(
            sa.select(
                values.c.indicator_id, *groups, values.c.period_id, sa.func.sum(values.c.value), sa.func.count()
            ).where(values.c.operation_id == operation.id, values.c.approved.is_(True)),
            values,
        )
        query = query.where(values.c.indicator_id.in_(sum_ids)).group_by(
            values.c.indicator_id, *groups, values.c.period_id
        )
        for row in db.session.execute(query):
            add(row[0], row[1] if groups else None, row[-3], row[-2], row[-1])
    if latest_ids:
        ordered = (
            sa.select(
                values.c.indicator_id,
                values.c.project_id,
                values.c.admin_area_id,
                values.c.period_id,
                values.c.disaggregation,
                values.c.value,
                sa.func.lag(values.c.value)
                .over(
                    partition_by=(values.c.indicator_id, values.c.project_id, values.c.admin_area_id),
                    order_by=ReportingPeriod.start_date,
                )
                .label("previous"),
            )
            .join(ReportingPeriod, ReportingPeriod.id == values.c.period_id)
            .where(
                values.c.operation_id == operation.id,
                values.c.approved.is_(True),
                values.c.indicator_id.in_(latest_ids),
                values.c.disaggregation == "",
            )
            .subquery("ordered")
        )
        groups = group_columns(ordered)
        query = scope(
            sa.select(
                ordered.c.indicator_id,
                *groups,
                ordered.c.period_id,
                sa.func.sum(ordered.c.value - sa.func.coalesce(ordered.c.previous, 0)),
                sa.func.sum(sa.case((ordered.c.previous.is_(None), 1), else_=0)),
            ),
            ordered,
        )
        query = query.group_by(ordered.c.indicator_id, *groups, ordered.c.period_id)
        for row in db.session.execute(query):
            add(row[0], row[1] if groups else None, row[-3], row[-2], row[-1])

    target_table = Target.__table__
    groups = group_columns(target_table)
    target_query = scope(
        sa.select(
            target_table.c.indicator_id,
            *groups,
            sa.func.sum(target_table.c.value),
            sa.func.avg(target_table.c.value),
            sa.func.sum(target_table.c.baseline),
        ),
        target_table,
    )
    if not (filters.organisation_id or filters.group_by == "organisation"):
        target_query = target_query.join(Project, Project.id == target_table.c.project_id)
    target_query = target_query.where(Project.archived_at.is_(None), Project.operation_id == operation.id)
    targets: dict[tuple[int, Any], list[float]] = {}
    for row in db.session.execute(target_query.group_by(target_table.c.indicator_id, *groups)):
        key = (row[0], group_key(row[1]) if groups else None)
        cell = targets.setdefault(key, [0.0, 0.0, 0.0, 0])
        cell[0] += row[-3] or 0
        cell[1] += row[-2] or 0
        cell[2] += row[-1] or 0
        cell[3] += 1

    series_by_kind = {}
    for average in (False, True):
        chosen = {
            key: value
            for key, value in cells.items()
            if (indicators[key[0]].type is not IndicatorType.count) == average
        }
        series_by_kind.update(core.cumulate(chosen, len(periods), average=average))
    empty = core.Series(tuple(0.0 for _p in periods), tuple(0.0 for _p in periods))
    group_objects = _group_objects(filters.group_by, {key[1] for key in [*cells, *targets]})
    for key in sorted(
        {*cells, *targets},
        key=lambda k: (
            indicators[k[0]].sector_id,
            indicators[k[0]].name,
            str(_group_sort(group_objects.get(k[1], k[1]))),
        ),
    ):
        indicator = indicators[key[0]]
        target = targets.get(key)
        target_value = None
        if target is not None:
            target_value = target[0] if indicator.type is IndicatorType.count else target[1] / target[3]
        row = ProgressRow(
            indicator=indicator,
            group=group_objects.get(key[1], key[1]),
            target=target_value,
            series=series_by_kind.get(key, empty),
            baseline=target[2] if target else None,
        )
        result.rows.append(row)
        result.by_sector.setdefault(indicator.sector, []).append(row)
    return result


def _group_objects(group_by: str, keys: set) -> dict:
    ids = [k for k in keys if isinstance(k, int) and k != RESTRICTED]
    if not ids:
        return {}
    model = AdminArea if group_by == "area" else Organisation if group_by == "organisation" else None
    if model is None:
        return {}
    return {obj.id: obj for obj in db.session.scalars(sa.select(model).where(model.id.in_(ids)))}


def _group_sort(group) -> str:
    if group is None:
        return ""
    if group == RESTRICTED:
        return "~"
    return getattr(group, "label", str(group))


# --- reports ---------------------------------------------------------------------------------------------------


def project_indicators(project: Project) -> list[Indicator]:
    """The indicators the project has targets for (what its report grid shows)."""
    return list(
        db.session.scalars(
            sa.select(Indicator)
            .where(Indicator.id.in_(sa.select(Target.indicator_id).where(Target.project_id == project.id)))
            .order_by(Indicator.name)
        )
    )


def report_values(report: Report | None) -> dict[tuple[int, int, str], float]:
    if report is None:
        return {}
    return {
        (v.indicator_id, v.admin_area_id, v.disaggregation): v.value
        for v in db.session.scalars(sa.select(ReportValue).where(ReportValue.report_id == report.id))
    }


def previous_report(project: Project, period: ReportingPeriod) -> Report | None:
    return db.session.scalar(
        sa.select(Report)
        .join(ReportingPeriod, ReportingPeriod.id == Report.period_id)
        .where(Report.project_id == project.id, ReportingPeriod.start_date < period.start_date)
        .order_by(ReportingPeriod.start_date.desc())
        .limit(1)
    )


def reports_to_review(user: User, operation: Operation) -> list[Report]:
    """Submitted reports the user may review, oldest first."""
    from coordhub.monitoring.rights import can_review

    reports = db.session.scalars(
        sa.select(Report)
        .where(Report.operation_id == operation.id, Report.state == ReportState.submitted)
        .order_by(Report.submitted_at)
    ).all()
    return [r for r in reports if can_review(user, r)]


def project_reports(project: Project) -> dict[int, Report]:
    """Period id -> the project's report for it."""
    return {r.period_id: r for r in db.session.scalars(sa.select(Report).where(Report.project_id == project.id))}


def reporting_projects(user: User, operation: Operation) -> list[Project]:
    """Projects the user reports on (their organisation's, with targets)."""
    query = sa.select(Project).where(
        Project.operation_id == operation.id,
        Project.archived_at.is_(None),
        Project.id.in_(sa.select(Target.project_id)),
    )
    if user.role is not Role.admin:
        query = query.where(Project.organisation_id == user.organisation_id)
    return list(db.session.scalars(query.order_by(Project.title)))


# --- late reports -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LateReport:
    """A project that has not submitted its report for a period whose due date has passed."""

    period_id: int
    period_label: str
    due_date: date
    project_id: int
    project_title: str
    organisation_id: int
    sensitive: bool
    state: str | None  # the report's state (draft / returned) or None when nothing was entered


def late_reports(operation_id: int, today: date | None = None, period_id: int | None = None) -> list[LateReport]:
    """Per period due before `today` (default: today), the projects expected to report (with targets, not
    archived, dates meeting the period) whose report is not submitted or approved. This is the reminder hook
    the notifications use: plain data, sorted by period then organisation."""
    today = today or date.today()
    query = (
        sa.select(
            ReportingPeriod.id,
            ReportingPeriod.start_date,
            ReportingPeriod.end_date,
            ReportingPeriod.due_date,
            Project.id,
            Project.title,
            Project.organisation_id,
            Project.sensitive,
            Report.state,
        )
        .join(
            Project,
            sa.and_(
                Project.operation_id == ReportingPeriod.operation_id,
                Project.start_date <= ReportingPeriod.end_date,
                sa.or_(Project.end_date.is_(None), Project.end_date >= ReportingPeriod.start_date),
            ),
        )
        .outerjoin(Report, sa.and_(Report.project_id == Project.id, Report.period_id == ReportingPeriod.id))
        .where(
            ReportingPeriod.operation_id == operation_id,
            ReportingPeriod.due_date < today,
            Project.archived_at.is_(None),
            Project.id.in_(sa.select(Target.project_id)),
            sa.or_(Report.id.is_(None), Report.state.in_([ReportState.draft, ReportState.returned])),
        )
        .order_by(ReportingPeriod.start_date, Project.organisation_id, Project.title)
    )
    if period_id is not None:
        query = query.where(ReportingPeriod.id == period_id)
    found = []
    for row in db.session.execute(query):
        period = ReportingPeriod(start_date=row[1], end_date=row[2])
        found.append(
            LateReport(
                row[0],
                period.label,
                row[3],
                row[4],
                row[5],
                row[6],
                row[7],
                row[8].value if row[8] is not None else None,
            )
        )
    return found


def late_reports_by_period(operation_id: int, today: date | None = None) -> dict[int, list[LateReport]]:
    """late_reports grouped by period id (the reminder hook's shape for one message per period)."""
    grouped: dict[int, list[LateReport]] = {}
    for late in late_reports(operation_id, today):
        grouped.setdefault(late.period_id, []).append(late)
    return grouped


def delivered_by_need(operation_id: int) -> dict[int, float]:
    from coordhub.monitoring.models import NeedDelivery

    return dict(
        db.session.execute(
            sa.select(NeedDelivery.need_id, NeedDelivery.delivered).where(NeedDelivery.operation_id == operation_id)
        ).all()
    )


def delivered_summary(operation_id: int) -> tuple[float, int]:
    """(units, needs): what approved results delivered against the operation's current needs (each need counted up
    to its quantity), as the next allocation run deducts it."""
    from coordhub.monitoring.models import NeedDelivery
    from coordhub.registry.models import Need

    units, needs = db.session.execute(
        sa.select(
            sa.func.coalesce(
                sa.func.sum(
                    sa.case((NeedDelivery.delivered < Need.quantity, NeedDelivery.delivered), else_=Need.quantity)
                ),
                0.0,
            ),
            sa.func.count(),
        )
        .join(Need, Need.id == NeedDelivery.need_id)
        .where(
            NeedDelivery.operation_id == operation_id,
            NeedDelivery.delivered > 0,
            Need.archived_at.is_(None),
            Need.status != "closed",
        )
    ).one()
    return float(units), int(needs)


def state_label(state: str | None) -> str:
    return str({None: _("nothing entered"), "draft": _("draft"), "returned": _("returned")}.get(state, state))


# --- IATI results ---------------------------------------------------------------------------------------------


def iati_results(projects: list[Project]) -> dict[int, tuple]:
    """Project id -> IATI results (one output result, one indicator per indicator with targets): the baseline,
    one period over the whole project with its target and the approved achievement to date, and one period per
    reporting period with approved values (its actual: the period's sum, or the running figure for latest-value
    indicators)."""
    from coordhub.interop.iati import IatiIndicator, IatiResult, IatiResultPeriod

    ids = [p.id for p in projects]
    if not ids:
        return {}
    targets: dict[tuple[int, int], list[float]] = {}
    for project_id, indicator_id, value, baseline in db.session.execute(
        sa.select(Target.project_id, Target.indicator_id, Target.value, Target.baseline).where(
            Target.project_id.in_(ids), Target.disaggregation == ""
        )
    ):
        cell = targets.setdefault((project_id, indicator_id), [0.0, 0.0, 0, False])
        cell[0] += value
        cell[1] += baseline or 0.0
        cell[2] += 1
        cell[3] = cell[3] or baseline is not None
    achieved: dict[tuple[int, int], dict[int, float]] = {}
    for project_id, indicator_id, period_id, total in db.session.execute(
        sa.select(
            ReportValue.project_id, ReportValue.indicator_id, ReportValue.period_id, sa.func.sum(ReportValue.value)
        )
        .where(ReportValue.project_id.in_(ids), ReportValue.approved.is_(True), ReportValue.disaggregation == "")
        .group_by(ReportValue.project_id, ReportValue.indicator_id, ReportValue.period_id)
    ):
        achieved.setdefault((project_id, indicator_id), {})[period_id] = float(total)
    indicators = {
        i.id: i
        for i in db.session.scalars(sa.select(Indicator).where(Indicator.id.in_({k[1] for k in targets} or {0})))
    }
    periods = {
        p.id: p
        for p in db.session.scalars(
            sa.select(ReportingPeriod).where(
                ReportingPeriod.id.in_({pid for cells in achieved.values() for pid in cells} or {0})
            )
        )
    }
    results = {}
    for project in projects:
        entries = []
        for (project_id, indicator_id), (target, baseline, count, has_baseline) in sorted(targets.items()):
            if project_id != project.id:
                continue
            indicator = indicators[indicator_id]
            average = indicator.type is not IndicatorType.count
            by_period = sorted(
                achieved.get((project.id, indicator_id), {}).items(), key=lambda item: periods[item[0]].start_date
            )
            latest = indicator.aggregation is Aggregation.latest
            to_date = (by_period[-1][1] if latest else sum(v for _p, v in by_period)) if by_period else 0.0
            if average:
                target, baseline = target / count, baseline / count
            end = project.end_date or (periods[by_period[-1][0]].end_date if by_period else project.start_date)
            spans = [
                IatiResultPeriod(project.start_date, max(end, project.start_date), round(target, 6), round(to_date, 6))
            ]
            spans += [
                IatiResultPeriod(periods[pid].start_date, periods[pid].end_date, None, round(value, 6))
                for pid, value in by_period
            ]
            entries.append(
                IatiIndicator(
                    title=f"{indicator.name} ({indicator.unit})",
                    measure=2 if indicator.type is IndicatorType.percentage else 1,
                    baseline=round(baseline, 6) if has_baseline else None,
                    baseline_year=project.start_date.year if has_baseline else None,
                    periods=tuple(spans),
                )
            )
        if entries:
            results[project.id] = (IatiResult(title=project.title, indicators=tuple(entries)),)
    return results
