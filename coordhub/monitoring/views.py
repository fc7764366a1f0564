"""Monitoring pages: reporting home, indicators and sector leads, periods, targets, the report form with review,
late reports, and progress against targets (thin views over operations and queries)."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from coordhub.errors import DomainError
from coordhub.extensions import db
from coordhub.monitoring import operations as mops
from coordhub.monitoring import queries
from coordhub.monitoring.core import DIMENSIONS, Entry
from coordhub.monitoring.forms import (
    GridForm,
    IndicatorForm,
    PeriodsForm,
    PeriodStateForm,
    ReportForm,
    ReviewForm,
    SectorLeadForm,
    grid_entries,
)
from coordhub.monitoring.messages import disaggregation_label, issue_message
from coordhub.monitoring.models import Indicator, Report, ReportingPeriod, ReportState, SectorLead, Target
from coordhub.monitoring.rights import (
    can_manage_monitoring,
    can_reopen,
    can_report,
    can_review,
    can_see_draft,
    can_see_results,
)
from coordhub.registry.models import Need, Operation, Organisation, Project, ResourceType, Sector
from coordhub.registry.views import area_choices
from coordhub.web import operation_required, parse_id, show_domain_error

bp = Blueprint("monitoring", __name__, url_prefix="/monitoring")


def _project(project_id: int, operation: Operation) -> Project:
    project = db.session.get(Project, project_id)
    if project is None or project.operation_id != operation.id:
        abort(404)
    if not can_see_results(current_user, project):
        abort(403)
    return project


def _period(period_id: int, operation: Operation) -> ReportingPeriod:
    period = db.session.get(ReportingPeriod, period_id)
    if period is None or period.operation_id != operation.id:
        abort(404)
    return period


def _fail(error: DomainError, form=None) -> None:
    db.session.rollback()
    if error.status_code == 403:
        abort(403)
    if form is not None:
        show_domain_error(form, error)
    else:
        flash(error.message, "danger")


@bp.route("/")
@operation_required
def home(operation: Operation):
    periods = queries.periods_of(operation)
    projects = queries.reporting_projects(current_user, operation)
    reports = {p.id: queries.project_reports(p) for p in projects}
    return render_template(
        "monitoring/home.html",
        operation=operation,
        periods=periods[-6:],
        projects=projects,
        reports=reports,
        to_review=queries.reports_to_review(current_user, operation),
        manager=can_manage_monitoring(current_user, operation),
        late_count=len(_late_for_user(operation)),
    )


# --- indicators and sector leads ---------------------------------------------------------------------------------


def _indicator_choices(form: IndicatorForm) -> None:
    form.sector_id.choices = [("", _("— choose —"))] + [
        (s.id, _(s.name)) for s in db.session.scalars(sa.select(Sector).order_by(Sector.name))
    ]
    types = db.session.scalars(sa.select(ResourceType).join(Sector).order_by(Sector.name, ResourceType.name)).all()
    form.resource_type_id.choices = [("", _("— none —"))] + [
        (t.id, f"{_(t.sector.name)} › {t.display_name} ({t.display_unit})") for t in types
    ]


@bp.route("/indicators")
@operation_required
def indicators(operation: Operation):
    rows = db.session.scalars(
        sa.select(Indicator)
        .where(Indicator.operation_id == operation.id)
        .join(Sector)
        .order_by(Sector.name, Indicator.code)
    ).all()
    leads = {
        lead.sector_id: lead
        for lead in db.session.scalars(sa.select(SectorLead).where(SectorLead.operation_id == operation.id))
    }
    lead_form = SectorLeadForm()
    lead_form.sector_id.choices = [
        (s.id, _(s.name)) for s in db.session.scalars(sa.select(Sector).order_by(Sector.name))
    ]
    lead_form.organisation_id.choices = [("", _("— none —"))] + [
        (o.id, o.name)
        for o in db.session.scalars(
            sa.select(Organisation).where(Organisation.archived.is_(False)).order_by(Organisation.name)
        )
    ]
    return render_template(
        "monitoring/indicators.html",
        operation=operation,
        indicators=rows,
        leads=leads,
        lead_form=lead_form,
        manager=can_manage_monitoring(current_user, operation),
        sectors=db.session.scalars(sa.select(Sector).order_by(Sector.name)).all(),
        dimension_label=disaggregation_label,
    )


@bp.route("/sector-leads", methods=["POST"])
@operation_required
def sector_lead(operation: Operation):
    form = SectorLeadForm()
    form.sector_id.choices = [(s.id, s.name) for s in db.session.scalars(sa.select(Sector))]
    form.organisation_id.choices = [("", "")] + [(o.id, o.name) for o in db.session.scalars(sa.select(Organisation))]
    if form.validate_on_submit():
        try:
            mops.set_sector_lead(current_user, operation, form.sector_id.data, form.organisation_id.data)
            flash(_("The sector lead is saved."), "success")
        except DomainError as error:
            _fail(error)
    else:
        flash(_("Choose a sector and an organisation."), "danger")
    return redirect(url_for("monitoring.indicators"))


@bp.route("/indicators/new", methods=["GET", "POST"], defaults={"indicator_id": None})
@bp.route("/indicators/<id:indicator_id>/edit", methods=["GET", "POST"])
@operation_required
def indicator_form(operation: Operation, indicator_id: int | None):
    if not can_manage_monitoring(current_user, operation):
        abort(403)
    indicator = None
    if indicator_id is not None:
        indicator = db.session.get(Indicator, indicator_id)
        if indicator is None or indicator.operation_id != operation.id:
            abort(404)
    form = IndicatorForm(obj=indicator)
    if request.method == "GET" and indicator is not None:
        form.type.data, form.aggregation.data = indicator.type.value, indicator.aggregation.value
    _indicator_choices(form)
    if form.validate_on_submit():
        data = {name: getattr(form, name).data for name in mops.INDICATOR_FIELDS}
        try:
            mops.save_indicator(current_user, operation, data, indicator)
        except DomainError as error:
            _fail(error, form)
        else:
            flash(_("The indicator is saved."), "success")
            return redirect(url_for("monitoring.indicators"))
    return render_template("monitoring/indicator_form.html", form=form, indicator=indicator, operation=operation)


# --- periods -----------------------------------------------------------------------------------------------------


@bp.route("/periods", methods=["GET", "POST"])
@operation_required
def periods(operation: Operation):
    manager = can_manage_monitoring(current_user, operation)
    form = PeriodsForm()
    if form.validate_on_submit():
        if not manager:
            abort(403)
        try:
            created = mops.create_periods(current_user, operation, form.first.data, form.count.data, form.due_days.data)
        except DomainError as error:
            _fail(error, form)
        else:
            flash(_("%(n)d periods opened.", n=len(created)), "success")
            return redirect(url_for("monitoring.periods"))
    rows = queries.periods_of(operation)
    counts = dict(
        db.session.execute(
            sa.select(Report.period_id, sa.func.count())
            .where(Report.operation_id == operation.id, Report.state.in_(["submitted", "approved"]))
            .group_by(Report.period_id)
        ).all()
    )
    return render_template(
        "monitoring/periods.html",
        operation=operation,
        periods=list(reversed(rows)),
        form=form,
        manager=manager,
        state_form=PeriodStateForm(),
        submitted=counts,
    )


@bp.route("/periods/<id:period_id>/state", methods=["POST"])
@operation_required
def period_state(operation: Operation, period_id: int):
    period = _period(period_id, operation)
    form = PeriodStateForm()
    if form.validate_on_submit():
        closing = request.form.get("closed") == "1"
        try:
            mops.set_period_closed(current_user, period, closing, form.reason.data or "")
            flash(
                _("The period %(label)s is closed.", label=period.label)
                if closing
                else _("The period %(label)s is open again.", label=period.label),
                "success",
            )
        except DomainError as error:
            _fail(error)
    return redirect(url_for("monitoring.periods"))


# --- targets -----------------------------------------------------------------------------------------------------


def _grid_columns(indicator: Indicator) -> list[str]:
    """'' (total) then 'dimension:category' for each of the indicator's dimensions."""
    return [""] + [f"{d}:{c}" for d in indicator.disaggregation or () for c in DIMENSIONS[d]]


@bp.route("/projects/<id:project_id>/targets", methods=["GET", "POST"])
@operation_required
def targets(operation: Operation, project_id: int):
    project = _project(project_id, operation)
    editable = can_report(current_user, project)
    form = GridForm()
    offered = db.session.scalars(
        sa.select(Indicator)
        .where(
            Indicator.operation_id == operation.id,
            Indicator.archived.is_(False),
            Indicator.sector_id == project.sector_id,
        )
        .order_by(Indicator.code)
    ).all()
    current = {
        (t.indicator_id, t.admin_area_id, t.disaggregation): t
        for t in db.session.scalars(sa.select(Target).where(Target.project_id == project.id))
    }
    errors: dict[str, str] = {}
    values = {k: t.value for k, t in current.items()}
    baselines = {k[:2]: t.baseline for k, t in current.items() if t.baseline is not None and not k[2]}
    if form.validate_on_submit():
        if not editable:
            abort(403)
        values, errors = grid_entries(request.form, "t")
        raw_baselines, baseline_errors = grid_entries(request.form, "b")
        errors.update(baseline_errors)
        baselines = {k[:2]: v for k, v in raw_baselines.items()}
        if not errors:
            rows = [
                mops.TargetRow(k[0], k[1], v, baselines.get(k[:2]) if not k[2] else None, k[2])
                for k, v in sorted(values.items())
            ]
            try:
                mops.save_targets(current_user, project, rows)
            except DomainError as error:
                db.session.rollback()
                if error.status_code == 403:
                    abort(403)
                errors = error.errors or {"": error.message}
            else:
                flash(_("The targets are saved."), "success")
                return redirect(url_for("monitoring.project_reports", project_id=project.id))
        flash(_("Some targets could not be saved: see the marked fields."), "danger")
    shown = offered + [
        i
        for i in db.session.scalars(sa.select(Indicator).where(Indicator.id.in_({k[0] for k in current})))
        if i not in offered
    ]
    return render_template(
        "monitoring/targets.html",
        project=project,
        indicators=shown,
        form=form,
        values=values,
        baselines=baselines,
        errors=errors,
        editable=editable,
        columns=_grid_columns,
        column_label=disaggregation_label,
        raw=request.form,
    )


# --- reports -----------------------------------------------------------------------------------------------------


@bp.route("/projects/<id:project_id>")
@operation_required
def project_reports(operation: Operation, project_id: int):
    project = _project(project_id, operation)
    return render_template(
        "monitoring/project.html",
        project=project,
        periods=queries.periods_of(operation),
        reports=queries.project_reports(project),
        indicators=queries.project_indicators(project),
        editable=can_report(current_user, project),
    )


def _need_choices(form: ReportForm, project: Project) -> None:
    area_ids = [a.id for a in project.areas]
    needs = db.session.scalars(
        sa.select(Need)
        .where(
            Need.operation_id == project.operation_id,
            Need.archived_at.is_(None),
            Need.sector_id == project.sector_id,
            Need.admin_area_id.in_(area_ids or [0]),
        )
        .order_by(Need.title)
    ).all()
    form.need_id.choices = [("", _("— none —"))] + [
        (n.id, f"{n.title} ({n.area.pcode}, {n.quantity:g} {n.resource_type.display_unit})") for n in needs
    ]


@bp.route("/projects/<id:project_id>/periods/<id:period_id>", methods=["GET", "POST"])
@operation_required
def report(operation: Operation, project_id: int, period_id: int):
    project = _project(project_id, operation)
    period = _period(period_id, operation)
    report_obj = db.session.scalar(
        sa.select(Report).where(Report.project_id == project.id, Report.period_id == period.id)
    )
    form = ReportForm(obj=report_obj)
    _need_choices(form, project)
    editable = can_report(current_user, project) and not period.closed and (report_obj is None or report_obj.editable)
    hidden = (
        report_obj is not None and report_obj.state is ReportState.draft and not can_see_draft(current_user, project)
    )
    values = {} if hidden else queries.report_values(report_obj)
    errors: dict[str, str] = {}
    warnings: dict[str, str] = {}
    general: list[str] = []
    if form.validate_on_submit():
        if not editable:
            abort(403)
        values, errors = grid_entries(request.form, "v")
        if not errors:
            entries = [Entry(k[0], k[1], k[2], v) for k, v in sorted(values.items())]
            try:
                saved, confirmed = mops.save_report(
                    current_user,
                    project,
                    period,
                    entries,
                    comment=form.comment.data,
                    need_id=form.need_id.data,
                    confirm=form.confirm.data,
                    submit=form.send.data,
                )
            except mops.WarningsToConfirm as warned:
                db.session.rollback()
                warnings = dict(warned.errors)
                general = [issue_message(i) for i in warned.issues if i.key is None]
            except DomainError as error:
                db.session.rollback()
                if error.status_code == 403:
                    abort(403)
                errors = dict(error.errors or {})
                if error.field in (None, "period_id", "state", "comment", "need_id"):
                    general.append(error.message)
            else:
                flash(
                    _("The report is submitted for review.")
                    if saved.state.value == "submitted"
                    else _("The draft is saved."),
                    "success",
                )
                return redirect(url_for("monitoring.report", project_id=project.id, period_id=period.id))
        if errors and not general:
            general.append(_("Some values need correcting: see the marked fields."))
    previous = queries.previous_report(project, period)
    if previous is not None and previous.state is ReportState.draft and not can_see_draft(current_user, project):
        previous = None
    review_form = ReviewForm()
    return render_template(
        "monitoring/report.html",
        project=project,
        period=period,
        report=None if hidden else report_obj,
        form=form,
        indicators=queries.project_indicators(project),
        targets=mops.project_targets(project.id),
        values=values,
        previous=previous,
        previous_values=queries.report_values(previous),
        errors=errors,
        warnings=warnings,
        general=general,
        editable=editable,
        columns=_grid_columns,
        column_label=disaggregation_label,
        review_form=review_form,
        may_review=report_obj is not None
        and report_obj.state.value == "submitted"
        and can_review(current_user, report_obj),
        may_reopen=report_obj is not None and can_reopen(current_user, report_obj),
    )


@bp.route("/reports/<id:report_id>/review", methods=["POST"])
@operation_required
def review(operation: Operation, report_id: int):
    report_obj = db.session.get(Report, report_id)
    if report_obj is None or report_obj.operation_id != operation.id:
        abort(404)
    _project(report_obj.project_id, operation)  # sensitive projects: their organisation and coordinators only
    form = ReviewForm()
    if form.validate_on_submit():
        try:
            mops.review_report(
                current_user, report_obj, approve=bool(form.approve.data), comment=form.review_comment.data or ""
            )
            flash(_("The report is approved.") if form.approve.data else _("The report is returned."), "success")
        except DomainError as error:
            _fail(error)
    return redirect(url_for("monitoring.report", project_id=report_obj.project_id, period_id=report_obj.period_id))


# --- late reports and progress -------------------------------------------------------------------------------------


def _late_for_user(operation: Operation) -> list[queries.LateReport]:
    late = queries.late_reports(operation.id)
    if can_manage_monitoring(current_user, operation):
        return late
    return [item for item in late if item.organisation_id == current_user.organisation_id]


@bp.route("/late")
@operation_required
def late(operation: Operation):
    rows = _late_for_user(operation)
    organisations = {
        o.id: o
        for o in db.session.scalars(
            sa.select(Organisation).where(Organisation.id.in_({r.organisation_id for r in rows} or {0}))
        )
    }
    sees_all = can_manage_monitoring(current_user, operation)
    return render_template(
        "monitoring/late.html",
        rows=rows,
        organisations=organisations,
        operation=operation,
        state_label=queries.state_label,
        visible=lambda r: not r.sensitive or sees_all or r.organisation_id == current_user.organisation_id,
    )


def progress_filters() -> queries.ProgressFilters:
    group_by = request.args.get("group_by", "none")
    return queries.ProgressFilters(
        sector_id=parse_id(request.args.get("sector")),
        area_id=parse_id(request.args.get("area")),
        organisation_id=parse_id(request.args.get("organisation")),
        indicator_id=parse_id(request.args.get("indicator")),
        group_by=group_by if group_by in queries.GROUPINGS else "none",
    )


@bp.route("/progress")
@operation_required
def progress(operation: Operation):
    filters = progress_filters()
    result = queries.progress(current_user, operation, filters)
    choices = {
        "sectors": db.session.scalars(sa.select(Sector).order_by(Sector.name)).all(),
        "areas": area_choices(operation),
        "organisations": db.session.scalars(sa.select(Organisation).order_by(Organisation.name)).all(),
    }
    return render_template(
        "monitoring/progress.html",
        operation=operation,
        result=result,
        filters=filters,
        choices=choices,
        restricted=queries.RESTRICTED,
    )


@bp.route("/progress.<any(csv, xlsx):fmt>")
@operation_required
def progress_export(operation: Operation, fmt: str):
    from coordhub.interop.export import export_response
    from coordhub.monitoring.export import COLUMNS, progress_rows

    rows = list(progress_rows(queries.progress(current_user, operation, progress_filters())))
    return export_response(rows, COLUMNS, fmt, f"progress-{date.today().isoformat()}", sheet_title="progress")


@bp.route("/reports.<any(csv, xlsx):fmt>")
@operation_required
def reports_export(operation: Operation, fmt: str):
    """Every report value the user may see in the import's layout (re-importable: the 5W results file)."""
    from coordhub.interop.export import export_response
    from coordhub.interop.writers import columns_for_kind
    from coordhub.monitoring.importing import EXPORTED_FIELDS, export_rows

    return export_response(
        export_rows(current_user, operation),
        columns_for_kind("reports", EXPORTED_FIELDS),
        fmt,
        f"results-{date.today().isoformat()}",
        sheet_title="results",
    )
