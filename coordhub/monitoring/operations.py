"""The only code that changes monitoring data: rights check, validation, one transaction, audit entry."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from coordhub.audit.models import AuditAction, apply_changes, audit_value, record
from coordhub.auth.models import User
from coordhub.database import utcnow
from coordhub.errors import DomainError, PermissionDenied, ValidationError
from coordhub.extensions import db
from coordhub.monitoring import core
from coordhub.monitoring.core.checks import ERROR, completed_totals
from coordhub.monitoring.messages import issue_message
from coordhub.monitoring.models import (
    EDITABLE_STATES,
    Aggregation,
    Indicator,
    IndicatorType,
    NeedDelivery,
    Report,
    ReportingPeriod,
    ReportState,
    ReportValue,
    SectorLead,
    Target,
)
from coordhub.monitoring.rights import can_manage_monitoring, can_reopen, can_report, can_review
from coordhub.registry.models import AdminArea, Need, NeedStatus, Operation, Organisation, Project, ResourceType, Sector

MAX_VALUE = 1e12


class WarningsToConfirm(DomainError):
    """The values pass every rule but some look wrong: the partner confirms them (or corrects them)."""

    status_code = 409

    def __init__(self, issues: list[core.Issue]):
        self.issues = issues
        super().__init__(
            _("Please check the values marked as warnings, then confirm them."),
            errors={value_field(i.key): issue_message(i) for i in issues if i.key is not None},
        )


def value_field(key: tuple[int, int, str] | None) -> str:
    """The form field (and JSON error key) of one value: v-<indicator>-<area>-<disaggregation>."""
    if key is None:
        return "period_id"
    indicator_id, area_id, disaggregation = key
    return f"v-{indicator_id}-{area_id}-{disaggregation}"


def _require(condition: bool, message: str, field: str | None = None) -> None:
    if not condition:
        raise ValidationError(str(message), field)


def _manager(user: User, operation: Operation) -> None:
    if not can_manage_monitoring(user, operation):
        raise PermissionDenied(_("Only coordinators manage indicators, reporting periods and sector leads."))


# --- indicators and sector leads -----------------------------------------------------------------------------

INDICATOR_FIELDS = (
    "code",
    "name",
    "sector_id",
    "unit",
    "type",
    "aggregation",
    "disaggregation",
    "resource_type_id",
    "archived",
)


def save_indicator(
    user: User, operation: Operation, data: dict[str, Any], indicator: Indicator | None = None, *, commit: bool = True
) -> Indicator:
    """Create or update an indicator of the operation (coordinators). Raises ValidationError naming the field."""
    _manager(user, operation)
    if indicator is not None:
        _require(indicator.operation_id == operation.id, _("This indicator belongs to another operation."))
    values = {field: data[field] for field in INDICATOR_FIELDS if field in data}
    for text in ("code", "name", "unit"):
        if text in values or indicator is None:
            values[text] = str(values.get(text) or "").strip()
            _require(bool(values[text]), _("This field is required."), text)
    _require(len(values.get("code", "")) <= 60, _("At most 60 characters."), "code")
    _require(len(values.get("unit", "")) <= 50, _("At most 50 characters."), "unit")
    _require(len(values.get("name", "")) <= 300, _("At most 300 characters."), "name")
    for field, enum_cls in (("type", IndicatorType), ("aggregation", Aggregation)):
        if isinstance(values.get(field), str):
            try:
                values[field] = enum_cls(values[field])
            except ValueError:
                raise ValidationError(_("Unknown value '%(value)s'.", value=values[field]), field) from None
    if "disaggregation" in values:
        dimensions = values["disaggregation"] or []
        _require(
            isinstance(dimensions, (list, tuple)) and all(d in core.DIMENSIONS for d in dimensions),
            _("Choose among: %(names)s.", names=", ".join(core.DIMENSIONS)),
            "disaggregation",
        )
        values["disaggregation"] = [d for d in core.DIMENSIONS if d in dimensions]
    sector_id = values.get("sector_id", indicator.sector_id if indicator else None)
    _require(sector_id is not None and db.session.get(Sector, sector_id) is not None, _("Unknown sector."), "sector_id")
    if values.get("resource_type_id") in ("", 0):
        values["resource_type_id"] = None
    resource_type_id = values.get("resource_type_id", indicator.resource_type_id if indicator else None)
    if resource_type_id is not None:
        resource_type = db.session.get(ResourceType, resource_type_id)
        _require(resource_type is not None, _("Unknown resource type."), "resource_type_id")
        _require(
            resource_type.sector_id == sector_id,
            _("This resource type belongs to the sector %(sector)s.", sector=resource_type.sector.name),
            "resource_type_id",
        )
    code = values.get("code")
    if code:
        clash = db.session.scalar(
            sa.select(Indicator.id).where(
                Indicator.operation_id == operation.id,
                Indicator.code == code,
                Indicator.id != (indicator.id if indicator else 0),
            )
        )
        _require(clash is None, _("This operation already has an indicator with the code %(code)s.", code=code), "code")
    creating = indicator is None
    if creating:
        indicator = Indicator(
            operation_id=operation.id, type=IndicatorType.count, aggregation=Aggregation.sum, disaggregation=[]
        )
        if indicator.type is IndicatorType.count and "type" not in values:
            values["type"] = IndicatorType.count
    changes = apply_changes(indicator, values, creating)
    _require(
        not (indicator.aggregation is Aggregation.sum and indicator.type is not IndicatorType.count),
        _("Percentages and yes/no answers do not add up: use the latest value."),
        "aggregation",
    )
    db.session.add(indicator)
    db.session.flush()
    if changes:
        record(user, AuditAction.create if creating else AuditAction.update, indicator, changes, summary=indicator.name)
    if commit:
        db.session.commit()
    return indicator


def set_sector_lead(user: User, operation: Operation, sector_id: int, organisation_id: int | None) -> None:
    """Name (or, with None, remove) the organisation leading a sector in the operation. Commits."""
    _manager(user, operation)
    _require(db.session.get(Sector, sector_id) is not None, _("Unknown sector."), "sector_id")
    if organisation_id is not None:
        _require(
            db.session.get(Organisation, organisation_id) is not None, _("Unknown organisation."), "organisation_id"
        )
    lead = db.session.get(SectorLead, (operation.id, sector_id))
    old = lead.organisation_id if lead else None
    if old == organisation_id:
        return
    if organisation_id is None:
        db.session.delete(lead)
    elif lead is None:
        db.session.add(SectorLead(operation_id=operation.id, sector_id=sector_id, organisation_id=organisation_id))
    else:
        lead.organisation_id = organisation_id
    record(
        user,
        AuditAction.update,
        operation,
        {f"sector_lead:{sector_id}": [old, organisation_id]},
        summary=_("Sector lead"),
        operation_id=operation.id,
    )
    db.session.commit()


# --- targets -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TargetRow:
    indicator_id: int
    admin_area_id: int
    value: float
    baseline: float | None = None
    disaggregation: str = ""


def _indicators(operation: Operation, ids: Iterable[int]) -> dict[int, Indicator]:
    ids = sorted(set(ids))
    return (
        {
            i.id: i
            for i in db.session.scalars(
                sa.select(Indicator).where(Indicator.operation_id == operation.id, Indicator.id.in_(ids))
            )
        }
        if ids
        else {}
    )


def save_targets(user: User, project: Project, rows: Sequence[TargetRow], *, commit: bool = True) -> list[Target]:
    """Replace the project's targets (indicator × one of its areas × disaggregation). Commits unless told."""
    if not can_report(user, project):
        raise PermissionDenied(_("Only %(org)s sets this project's targets.", org=project.organisation.label))
    operation = project.operation
    indicators = _indicators(operation, (r.indicator_id for r in rows))
    area_ids = {area.id for area in project.areas}
    seen = set()
    for row in rows:
        field = f"t-{row.indicator_id}-{row.admin_area_id}-{row.disaggregation}"
        indicator = indicators.get(row.indicator_id)
        _require(indicator is not None and not indicator.archived, _("Unknown indicator."), field)
        _require(row.admin_area_id in area_ids, _("The project does not work in this admin area."), field)
        if row.disaggregation:
            try:
                dimension, _category = core.parse_disaggregation(row.disaggregation)
            except ValueError:
                dimension = None
            _require(dimension in indicator.disaggregation, _("This indicator is not broken down this way."), field)
        for number in (row.value, row.baseline):
            _require(
                number is None or 0 <= number <= MAX_VALUE,
                _("Enter a number between 0 and %(max)s.", max="1e12"),
                field,
            )
        if indicator.type is IndicatorType.percentage:
            _require(row.value <= 100, _("A percentage is between 0 and 100."), field)
        key = (row.indicator_id, row.admin_area_id, row.disaggregation)
        _require(key not in seen, _("This target is given twice."), field)
        seen.add(key)
    old = {
        (t.indicator_id, t.admin_area_id, t.disaggregation): (t.value, t.baseline)
        for t in db.session.scalars(sa.select(Target).where(Target.project_id == project.id))
    }
    new = {(r.indicator_id, r.admin_area_id, r.disaggregation): (r.value, r.baseline) for r in rows}
    if old != new:
        db.session.execute(sa.delete(Target).where(Target.project_id == project.id))
        targets = [
            Target(
                project_id=project.id,
                indicator_id=r.indicator_id,
                admin_area_id=r.admin_area_id,
                disaggregation=r.disaggregation,
                value=r.value,
                baseline=r.baseline,
            )
            for r in rows
        ]
        db.session.add_all(targets)
        record(user, AuditAction.update, project, {"targets": [len(old), len(new)]}, summary=project.title)
    if commit:
        db.session.commit()
    return list(db.session.scalars(sa.select(Target).where(Target.project_id == project.id)))


# --- reporting periods ---------------------------------------------------------------------------------------


def _month_end(start: date) -> date:
    following = (start.replace(day=28) + timedelta(days=4)).replace(day=1)
    return following - timedelta(days=1)


def create_periods(
    user: User, operation: Operation, first: date, count: int, due_days: int = 10
) -> list[ReportingPeriod]:
    """Open `count` monthly periods from the month of `first` (existing months are kept), each due `due_days`
    after its end. Commits."""
    _manager(user, operation)
    _require(1 <= count <= 60, _("Between 1 and 60 periods at a time."), "count")
    _require(0 <= due_days <= 90, _("Between 0 and 90 days."), "due_days")
    existing = set(
        db.session.scalars(sa.select(ReportingPeriod.start_date).where(ReportingPeriod.operation_id == operation.id))
    )
    start = first.replace(day=1)
    created = []
    for _index in range(count):
        end = _month_end(start)
        if start not in existing:
            created.append(
                ReportingPeriod(
                    operation_id=operation.id, start_date=start, end_date=end, due_date=end + timedelta(days=due_days)
                )
            )
        start = end + timedelta(days=1)
    overlapping = (
        db.session.scalar(
            sa.select(ReportingPeriod.id).where(
                ReportingPeriod.operation_id == operation.id,
                sa.or_(
                    *[
                        sa.and_(ReportingPeriod.start_date <= p.end_date, ReportingPeriod.end_date >= p.start_date)
                        for p in created
                    ]
                ),
            )
        )
        if created
        else None
    )
    _require(overlapping is None, _("These months overlap an existing period of another length."), "first")
    db.session.add_all(created)
    db.session.flush()
    if created:
        record(
            user,
            AuditAction.create,
            operation,
            {"reporting_periods": [None, [p.label for p in created]]},
            summary=_("Reporting periods opened"),
            operation_id=operation.id,
        )
    db.session.commit()
    return created


def set_period_closed(user: User, period: ReportingPeriod, closed: bool, reason: str = "") -> ReportingPeriod:
    """Close (lock) a period, or reopen it with a reason; both are audited. Commits."""
    _manager(user, period.operation)
    reason = (reason or "").strip()
    if period.closed == closed:
        return period
    if not closed:
        _require(bool(reason), _("Say why the period is reopened."), "reason")
    _require(len(reason) <= 250, _("At most 250 characters."), "reason")
    period.closed_at = utcnow() if closed else None
    record(
        user,
        AuditAction.update,
        period,
        {"closed": [not closed, closed], "reason": [None, reason or None]},
        summary=_("Period %(label)s closed", label=period.label)
        if closed
        else _("Period %(label)s reopened", label=period.label),
        operation_id=period.operation_id,
    )
    db.session.commit()
    return period


# --- reports -------------------------------------------------------------------------------------------------


def project_targets(project_id: int) -> dict[tuple[int, int, str], float]:
    return {
        (t.indicator_id, t.admin_area_id, t.disaggregation): t.value
        for t in db.session.scalars(sa.select(Target).where(Target.project_id == project_id))
    }


def history(project_id: int, before: date) -> dict[tuple[int, int], list[float]]:
    """The project's totals per indicator × area in periods before `before`, oldest first (returned reports
    excluded: they are being corrected)."""
    rows = db.session.execute(
        sa.select(ReportValue.indicator_id, ReportValue.admin_area_id, ReportValue.value)
        .join(ReportingPeriod, ReportingPeriod.id == ReportValue.period_id)
        .join(Report, Report.id == ReportValue.report_id)
        .where(
            ReportValue.project_id == project_id,
            ReportValue.disaggregation == "",
            ReportingPeriod.start_date < before,
            Report.state != ReportState.returned,
        )
        .order_by(ReportingPeriod.start_date)
    )
    found: dict[tuple[int, int], list[float]] = {}
    for indicator_id, area_id, value in rows:
        found.setdefault((indicator_id, area_id), []).append(value)
    return found


def facts_of(indicators: Iterable[Indicator]) -> dict[int, core.IndicatorFacts]:
    return {
        i.id: core.IndicatorFacts(i.id, i.type.value, i.aggregation.value, tuple(i.disaggregation or ()))
        for i in indicators
    }


def check_values(
    project: Project,
    period: ReportingPeriod,
    entries: Sequence[core.Entry],
    targets: dict[tuple[int, int, str], float] | None = None,
) -> tuple[list[core.Entry], list[core.Issue]]:
    """The entries (with totals completed from their breakdowns) and every issue the checks find, against the
    project's stored targets (or `targets`, e.g. those an import is about to save)."""
    targets = project_targets(project.id) if targets is None else targets
    indicators = _indicators(project.operation, {k[0] for k in targets})
    area_ids = {a.id for a in project.areas}
    for entry in entries:
        field = value_field(entry.key)
        _require(entry.indicator_id in indicators, _("This indicator has no target in this project."), field)
        _require(entry.area_id in area_ids, _("The project does not work in this admin area."), field)
        _require(entry.value <= MAX_VALUE, _("Enter a number between 0 and %(max)s.", max="1e12"), field)
    facts = facts_of(indicators.values())
    entries = completed_totals(entries, facts)
    issues = core.check_report(
        entries,
        facts,
        targets=targets,
        history=history(project.id, period.start_date),
        period=(period.start_date, period.end_date),
        project_dates=(project.start_date, project.end_date),
    )
    return entries, issues


def _report_for(project: Project, period: ReportingPeriod) -> Report | None:
    return db.session.scalar(sa.select(Report).where(Report.project_id == project.id, Report.period_id == period.id))


def _check_open(period: ReportingPeriod) -> None:
    _require(
        not period.closed,
        _("The period %(label)s is closed: ask a coordinator to reopen it.", label=period.label),
        "period_id",
    )


def save_report(
    user: User,
    project: Project,
    period: ReportingPeriod,
    entries: Sequence[core.Entry],
    *,
    comment: str = "",
    need_id: int | None = None,
    confirm: bool = False,
    submit: bool = False,
    commit: bool = True,
) -> tuple[Report, list[core.Issue]]:
    """Save a project's values for a period (replacing the report's values), optionally submitting it.

    Raises PermissionDenied, ValidationError (errors per value field) or WarningsToConfirm when a check warns
    and `confirm` is False. Returns the report and the warnings confirmed."""
    if not can_report(user, project):
        raise PermissionDenied(_("Only %(org)s reports on this project.", org=project.organisation.label))
    _require(period.operation_id == project.operation_id, _("This period belongs to another operation."), "period_id")
    _check_open(period)
    report = _report_for(project, period)
    if report is not None and not report.editable:
        raise ValidationError(
            _("This report is %(state)s: it can no longer be changed.", state=report.state_label), "period_id"
        )
    comment = (comment or "").strip()
    _require(len(comment) <= 5000, _("At most 5000 characters."), "comment")
    if need_id is not None:
        need = db.session.get(Need, need_id)
        _require(
            need is not None and need.operation_id == project.operation_id and need.archived_at is None,
            _("Unknown need."),
            "need_id",
        )
    entries, issues = check_values(project, period, entries)
    errors = [i for i in issues if i.severity == ERROR]
    if errors:
        raise ValidationError(
            issue_message(errors[0]),
            value_field(errors[0].key),
            errors={value_field(i.key): issue_message(i) for i in errors},
        )
    warnings = [i for i in issues if i.severity != ERROR]
    if warnings and not confirm:
        raise WarningsToConfirm(warnings)
    creating = report is None
    if creating:
        report = Report(
            operation_id=project.operation_id, project_id=project.id, period_id=period.id, state=ReportState.draft
        )
        db.session.add(report)
        db.session.flush()
        old_values: dict = {}
    else:
        old_values = {(v.indicator_id, v.admin_area_id, v.disaggregation): v.value for v in report.values}
    new_values = {e.key: float(e.value) for e in entries}
    changes: dict[str, list] = {}
    if old_values != new_values:
        db.session.execute(sa.delete(ReportValue).where(ReportValue.report_id == report.id))
        if new_values:
            db.session.execute(
                sa.insert(ReportValue),
                [
                    {
                        "report_id": report.id,
                        "operation_id": project.operation_id,
                        "project_id": project.id,
                        "period_id": period.id,
                        "indicator_id": key[0],
                        "admin_area_id": key[1],
                        "disaggregation": key[2],
                        "value": value,
                        "approved": False,
                    }
                    for key, value in new_values.items()
                ],
            )
        changed = sorted({*old_values, *new_values} - {k for k in old_values if old_values[k] == new_values.get(k)})
        changes["values"] = [
            {value_field(k): old_values.get(k) for k in changed},
            {value_field(k): new_values.get(k) for k in changed},
        ]
        db.session.expire(report, ["values"])
    for field, value in (("comment", comment), ("need_id", need_id)):
        if getattr(report, field) != value:
            changes[field] = [audit_value(getattr(report, field)), audit_value(value)]
            setattr(report, field, value)
    if warnings:
        changes["warnings_confirmed"] = [None, sorted({i.code for i in warnings})]
    report.updated_at, report.updated_by_id = utcnow(), user.id
    if changes or creating:
        record(
            user,
            AuditAction.create if creating else AuditAction.update,
            report,
            changes,
            summary=f"{project.title} · {period.label}",
            operation_id=project.operation_id,
        )
    if submit:
        _submit(user, report)
    if commit:
        db.session.commit()
    return report, warnings


def _submit(user: User, report: Report) -> None:
    _require(report.state in EDITABLE_STATES, _("This report is %(state)s.", state=report.state_label), "state")
    has_values = db.session.scalar(
        sa.select(sa.func.count()).select_from(ReportValue).where(ReportValue.report_id == report.id)
    )
    _require(bool(has_values), _("Enter at least one value before submitting."), "state")
    _set_state(user, report, ReportState.submitted)
    report.submitted_at = utcnow()


def _set_state(user: User, report: Report, state: ReportState, comment: str | None = None) -> None:
    changes = {"state": [report.state.value, state.value]}
    if comment is not None:
        changes["review_comment"] = [report.review_comment or None, comment]
        report.review_comment = comment
    report.state = state
    record(
        user,
        AuditAction.update,
        report,
        changes,
        summary=f"{report.project.title} · {report.period.label}",
        operation_id=report.operation_id,
    )


def submit_report(user: User, report: Report) -> Report:
    """Send a draft or returned report for review. Commits."""
    if not can_report(user, report.project):
        raise PermissionDenied(_("Only %(org)s reports on this project.", org=report.project.organisation.label))
    _check_open(report.period)
    _submit(user, report)
    db.session.commit()
    return report


def review_report(user: User, report: Report, approve: bool, comment: str = "") -> Report:
    """Approve a submitted report, or return it (submitted, or approved by a coordinator's decision) with a
    comment. Approved values count in progress figures and needs; the needs are recomputed. Commits."""
    comment = (comment or "").strip()
    _require(len(comment) <= 5000, _("At most 5000 characters."), "review_comment")
    if approve:
        if not can_review(user, report):
            raise PermissionDenied(_("Coordinators and the sector's lead organisation review reports."))
        _require(report.state is ReportState.submitted, _("Only submitted reports can be approved."), "state")
    else:
        allowed = (report.state is ReportState.submitted and can_review(user, report)) or can_reopen(user, report)
        if not allowed:
            if report.state not in (ReportState.submitted, ReportState.approved):
                raise ValidationError(_("Only submitted or approved reports can be returned."), "state")
            raise PermissionDenied(_("Coordinators and the sector's lead organisation review reports."))
        _require(bool(comment), _("Say what should be corrected."), "review_comment")
    was_approved = report.state is ReportState.approved
    _set_state(user, report, ReportState.approved if approve else ReportState.returned, comment or None)
    report.reviewed_at, report.reviewed_by_id = utcnow(), user.id
    db.session.execute(sa.update(ReportValue).where(ReportValue.report_id == report.id).values(approved=approve))
    if approve or was_approved:
        update_needs(user, report.project.operation, commit=False)
    db.session.commit()
    return report


# --- needs met by results ------------------------------------------------------------------------------------


def update_needs(user: User | None, operation: Operation, *, commit: bool = True) -> dict[int, float]:
    """Recompute what approved results delivered against the operation's needs (see core.distribute), store it
    and move needs to partially met / met (open needs only move forward; closed needs stay closed; a need whose
    delivery fell back — a report was returned — goes back to open or partially met). Returns need id ->
    delivered."""
    need_rows = db.session.execute(
        sa.select(
            Need.id,
            ResourceType.code,
            AdminArea.path,
            Need.quantity,
            Need.priority,
            Need.start_date,
            Need.end_date,
            Need.status,
        )
        .join(ResourceType, ResourceType.id == Need.resource_type_id)
        .join(AdminArea, AdminArea.id == Need.admin_area_id)
        .where(Need.operation_id == operation.id, Need.archived_at.is_(None))
    ).all()
    needs = [
        core.NeedFacts(r.id, r.code, r.path, float(r.quantity), int(r.priority), r.start_date, r.end_date)
        for r in need_rows
    ]
    delivery_rows = db.session.execute(
        sa.select(
            ResourceType.code,
            AdminArea.path,
            sa.func.sum(ReportValue.value),
            ReportingPeriod.start_date,
            ReportingPeriod.end_date,
            Report.need_id,
        )
        .select_from(ReportValue)
        .join(Indicator, Indicator.id == ReportValue.indicator_id)
        .join(ResourceType, ResourceType.id == Indicator.resource_type_id)
        .join(AdminArea, AdminArea.id == ReportValue.admin_area_id)
        .join(ReportingPeriod, ReportingPeriod.id == ReportValue.period_id)
        .join(Report, Report.id == ReportValue.report_id)
        .where(
            ReportValue.operation_id == operation.id,
            ReportValue.approved.is_(True),
            ReportValue.disaggregation == "",
            Indicator.aggregation == Aggregation.sum,
            ReportValue.project_id.not_in(_linked_project_ids(operation.id) or [0]),
        )
        .group_by(
            ResourceType.code, AdminArea.path, ReportingPeriod.start_date, ReportingPeriod.end_date, Report.need_id
        )
        .order_by(ReportingPeriod.start_date, AdminArea.path, Report.need_id)
    ).all()
    deliveries = [
        core.Delivery(code, path, float(total), start, end, need_id)
        for code, path, total, start, end, need_id in delivery_rows
    ]
    delivered = core.distribute(needs, deliveries)
    stored = {
        d.need_id: d
        for d in db.session.scalars(sa.select(NeedDelivery).where(NeedDelivery.operation_id == operation.id))
    }
    now = utcnow()
    for row in need_rows:
        amount = round(delivered.get(row.id, 0.0), 9)
        current = stored.get(row.id)
        previous_amount = current.delivered if current is not None else 0.0
        if current is None and amount > 0:
            db.session.add(NeedDelivery(need_id=row.id, operation_id=operation.id, delivered=amount, updated_at=now))
        elif current is not None and current.delivered != amount:
            current.delivered, current.updated_at = amount, now
        status = row.status
        if status is NeedStatus.closed:
            continue
        wanted = (
            NeedStatus.met
            if amount >= row.quantity - 1e-9
            else NeedStatus.partially_met
            if amount > 0
            else NeedStatus.open
        )
        # A need someone marked partially met or met by hand keeps its status unless results changed.
        if wanted != status and (amount != previous_amount or status is NeedStatus.open):
            need = db.session.get(Need, row.id)
            need.status = wanted
            record(
                user,
                AuditAction.update,
                need,
                {"status": [status.value, wanted.value], "delivered": [previous_amount, amount]},
                summary=need.title,
            )
    if commit:
        db.session.commit()
    return delivered


def _linked_project_ids(operation_id: int) -> set[int]:
    from coordhub.overlap.detection import linked_project_ids

    return linked_project_ids(operation_id)
