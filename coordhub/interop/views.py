"""Import wizard (upload → sheet → columns → preview → import) and exports (CSV/xlsx lists, 3W, IATI): thin views."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from coordhub.auth.models import Role, User
from coordhub.errors import DomainError, NotFound
from coordhub.extensions import db
from coordhub.interop import export
from coordhub.interop import operations as interop_ops
from coordhub.interop.forms import KIND_CHOICES, CommitForm, MappingForm, SheetForm, TriageForm, UploadForm
from coordhub.interop.iati import IatiError, iati_activities_for
from coordhub.interop.importer import can_import, kind_spec, load_table
from coordhub.interop.jobs import JOB_KIND
from coordhub.interop.mapping import propose_mapping
from coordhub.interop.models import ImportRun, ImportStatus, MappingTemplate
from coordhub.jobs.runner import start_job
from coordhub.reading.tables import TableError, is_blank
from coordhub.registry.models import Capacity, Need, Operation, Organisation, Project
from coordhub.registry.queries import RecordFilters, record_query
from coordhub.web import operation_required

bp = Blueprint("interop", __name__)

RECORD_SLUGS = {"projects": Project, "needs": Need, "capacities": Capacity}
SAMPLE_VALUES = 3


def _run(run_id: int, operation: Operation) -> ImportRun:
    try:
        return interop_ops.get_run(current_user, operation, run_id)
    except NotFound:
        abort(404)


def _template(run: ImportRun, operation: Operation) -> MappingTemplate | None:
    wanted = (run.options or {}).get("template_id")
    if not wanted:
        return None
    return next((t for t in interop_ops.templates_for(current_user, operation, run.kind) if t.id == wanted), None)


def _allowed_kinds() -> list[tuple[str, object]]:
    return [(value, label) for value, label in KIND_CHOICES if can_import(current_user, value)]


def can_import_any(user: User) -> bool:
    """May `user` import some kind of file (who sees "Import" in the navigation)?"""
    return any(can_import(user, kind) for kind, _label in KIND_CHOICES)


def _upload_form(operation: Operation) -> UploadForm:
    form = UploadForm()
    form.kind.choices = _allowed_kinds()
    if request.method == "GET" and request.args.get("kind"):
        form.kind.data = request.args["kind"]
    templates = [
        template
        for kind, _label in form.kind.choices
        for template in interop_ops.templates_for(current_user, operation, kind)
    ]
    form.template.choices = [("", _("Recognise the columns"))] + [
        (str(t.id), f"{t.name} ({t.kind.replace('_', ' ')}, {t.scope_label})") for t in templates
    ]
    return form


@bp.route("/imports/", methods=["GET", "POST"])
@operation_required
def imports(operation: Operation):
    form = _upload_form(operation)
    if not form.kind.choices:
        abort(403)
    if form.validate_on_submit():
        upload = form.file.data
        try:
            run = interop_ops.create_run(
                current_user, operation, form.kind.data, upload.filename or "upload", upload.read()
            )
        except DomainError as error:
            db.session.rollback()
            form.file.errors = list(form.file.errors) + [error.message]
        else:
            if form.template.data:
                template = next(
                    (
                        t
                        for t in interop_ops.templates_for(current_user, operation, run.kind)
                        if str(t.id) == form.template.data
                    ),
                    None,
                )
                run.options = {"template_id": int(form.template.data)}
                if template is not None and template.template.get("values"):
                    run.options["value_maps"] = template.template["values"]
                db.session.commit()
            if len(run.sheets or []) > 1:
                return redirect(url_for("interop.sheet", run_id=run.id))
            return redirect(url_for("interop.mapping", run_id=run.id))
    elif request.method == "POST":
        flash(_("Please correct the fields marked below."), "danger")
    query = sa.select(ImportRun).where(ImportRun.operation_id == operation.id)
    if current_user.role is not Role.admin:
        query = query.where(ImportRun.user_id == current_user.id)
    runs = db.session.scalars(query.order_by(ImportRun.created_at.desc(), ImportRun.id.desc()).limit(50)).all()
    return render_template("interop/index.html", form=form, runs=runs, operation=operation)


@bp.route("/imports/<id:run_id>/sheet", methods=["GET", "POST"])
@operation_required
def sheet(run_id: int, operation: Operation):
    run = _run(run_id, operation)
    form = SheetForm(sheet=run.sheet)
    form.sheet.choices = [(name, name) for name in run.sheets or []]
    if form.validate_on_submit():
        try:
            interop_ops.choose_sheet(current_user, run, form.sheet.data)
        except DomainError as error:
            db.session.rollback()
            form.sheet.errors = list(form.sheet.errors) + [error.message]
        else:
            return redirect(url_for("interop.mapping", run_id=run.id))
    return render_template("interop/sheet.html", run=run, form=form)


def _column_descriptions(table) -> list[dict]:
    columns = []
    for index in range(table.width):
        samples = []
        for row in table.rows:
            value = row.get(index)
            if not is_blank(value) and str(value).strip() not in samples:
                samples.append(str(value).strip()[:40])
            if len(samples) >= SAMPLE_VALUES:
                break
        tag = table.hashtag(index)
        columns.append(
            {"index": index, "label": table.column_label(index), "hashtag": str(tag) if tag else "", "samples": samples}
        )
    return columns


@bp.route("/imports/<id:run_id>/mapping", methods=["GET", "POST"])
@operation_required
def mapping(run_id: int, operation: Operation):
    run = _run(run_id, operation)
    if run.status is ImportStatus.committed:
        return redirect(url_for("interop.report", run_id=run.id))
    try:
        table = load_table(run.content, run.filename, run.sheet)
    except TableError as error:
        flash(str(error), "danger")
        return redirect(url_for("interop.imports"))
    spec = kind_spec(run.kind)
    proposal = propose_mapping(table, spec)
    chosen, notes = interop_ops.proposed_mapping(run, _template(run, operation))
    options = run.options or {}
    form = MappingForm(
        data={
            "default_start": date.fromisoformat(options["default_start"]) if options.get("default_start") else None,
            "default_end": date.fromisoformat(options["default_end"]) if options.get("default_end") else None,
            "month_first": options.get("day_first") is False,
            "skip_invalid": bool(options.get("skip_invalid")),
        }
        if request.method == "GET"
        else None
    )
    problems: list[str] = []
    if form.validate_on_submit():
        chosen = {}
        for field in spec.fields:
            value = request.form.get(f"map-{field.name}", "")
            if value.isdigit():
                chosen[field.name] = int(value)
        new_options = {
            **{
                k: v
                for k, v in options.items()
                if k in ("template_id", "value_maps", "create_organisations", "skip_causes")
            },
            "default_start": form.default_start.data.isoformat() if form.default_start.data else None,
            "default_end": form.default_end.data.isoformat() if form.default_end.data else None,
            "day_first": not form.month_first.data,
            "skip_invalid": bool(form.skip_invalid.data),
        }
        problems = interop_ops.set_mapping(current_user, run, chosen, new_options)
        run.row_count = len(table.rows)
        db.session.commit()
        if form.template_name.data and not problems:
            try:
                template = interop_ops.save_template(
                    current_user, operation, run, form.template_name.data, form.template_scope.data
                )
            except DomainError as error:
                db.session.rollback()
                flash(error.message, "danger")
                problems = [error.message]
            else:
                flash(_("The mapping was saved as the template %(name)s.", name=template.name), "success")
        if not problems:
            return _start(run, operation, commit=False)
    return render_template(
        "interop/mapping.html",
        run=run,
        form=form,
        spec=spec,
        table=table,
        columns=_column_descriptions(table),
        chosen=chosen,
        matches=proposal.matches,
        notes=notes,
        problems=problems,
    )


def _start(run: ImportRun, operation: Operation, commit: bool):
    """Run the preview or the commit inline, or as a background job for big files (progress page)."""
    threshold = current_app.config.get("IMPORT_BACKGROUND_ROWS", 5000)
    if run.row_count > threshold:
        job = start_job(
            JOB_KIND,
            {"run_id": run.id, "commit": commit},
            user=current_user,
            operation=operation,
            result_url=url_for("interop.report", run_id=run.id),
        )
        run.job_id = job.id
        db.session.commit()
        return redirect(url_for("jobs.show", job_id=job.id))
    try:
        report = (interop_ops.commit_run if commit else interop_ops.preview_run)(current_user, run)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "danger")
    else:
        if report.committed:
            flash(
                _(
                    "Imported: %(created)d created, %(updated)d updated.",
                    created=report.written.get("created", 0),
                    updated=report.written.get("updated", 0),
                ),
                "success",
            )
        elif commit:
            flash(
                _("Nothing was written: fix the problems listed below, or choose to skip the rejected rows."), "danger"
            )
    return redirect(url_for("interop.report", run_id=run.id))


@bp.route("/imports/<id:run_id>")
@operation_required
def report(run_id: int, operation: Operation):
    run = _run(run_id, operation)
    if run.status is ImportStatus.uploaded:
        return redirect(url_for("interop.mapping", run_id=run.id))
    form = CommitForm(skip_invalid=bool((run.options or {}).get("skip_invalid")))
    action = request.args.get("show", "")
    rows = [row for row in run.report.get("rows", []) if not action or row["action"] == action]
    groups = [dict(group, sentence=describe_group(group)) for group in run.report.get("groups", [])]
    from coordhub.auth import rights
    from coordhub.registry.models import Sector

    sectors = [(s.code, _(s.name)) for s in db.session.scalars(sa.select(Sector).order_by(Sector.name))]
    return render_template(
        "interop/report.html",
        run=run,
        report=run.report,
        form=form,
        rows=rows,
        show=action,
        record_slug=run.kind if run.kind in RECORD_SLUGS else None,
        groups=groups,
        triage_form=TriageForm(),
        sectors=sectors,
        may_register=rights.can_register_organisations(current_user) and run.kind in RECORD_SLUGS,
        nothing_to_write=_nothing_to_write(run.report),
    )


def _nothing_to_write(report: dict) -> str | None:
    """Why the Import button is disabled, or None when the import would write something."""
    if report.get("mapping_problems"):
        return _("The columns are not usable yet: change them first.")
    counts = report.get("counts", {})
    if counts.get("create", 0) + counts.get("update", 0) == 0:
        if counts.get("error", 0):
            return _("No row would be written: every row is rejected. Use the summary above to fix the causes.")
        return _("No row would be written: every row is already in the registry as the file has it.")
    return None


def describe_group(group: dict) -> str:
    """One sentence for a group of problems of the preview, in the reader's language."""
    cause, rows, distinct = group.get("cause", ""), group["rows"], group["distinct"]
    column = group.get("column") or _("the file")
    if group.get("other_country"):
        return _(
            "Admin areas of another country in column %(column)s (%(examples)s) — %(rows)d rows: is this the "
            "right operation?",
            column=column,
            examples=", ".join(group["examples"]),
            rows=rows,
        )
    if cause in ("organisation:not_found", "organisation:near_miss"):
        return ngettext(
            "%(num)d organisation is not registered — %(rows)d rows",
            "%(num)d organisations are not registered — %(rows)d rows",
            distinct,
            rows=rows,
        )
    if cause == "organisation:no_type":
        return ngettext(
            "%(num)d new organisation has no type in the file — %(rows)d rows",
            "%(num)d new organisations have no type in the file — %(rows)d rows",
            distinct,
            rows=rows,
        )
    if cause.startswith("area:"):
        return ngettext(
            "%(num)d admin area is not found in this operation (column %(column)s) — %(rows)d rows",
            "%(num)d admin areas are not found in this operation (column %(column)s) — %(rows)d rows",
            distinct,
            column=column,
            rows=rows,
        )
    if cause.startswith("sector:"):
        return ngettext(
            "%(num)d sector value is not recognised — %(rows)d rows",
            "%(num)d sector values are not recognised — %(rows)d rows",
            distinct,
            rows=rows,
        )
    if cause == "value":
        return ngettext(
            "%(num)d value cannot be read in column %(column)s — %(rows)d rows",
            "%(num)d values cannot be read in column %(column)s — %(rows)d rows",
            distinct,
            column=column,
            rows=rows,
        )
    return ngettext(
        "%(message)s (column %(column)s) — %(num)d row",
        "%(message)s (column %(column)s) — %(num)d rows",
        rows,
        message=group["message"],
        column=column,
    )


@bp.route("/imports/<id:run_id>/triage", methods=["POST"])
@operation_required
def triage(run_id: int, operation: Operation):
    """Act on a whole group of the preview's problems, then preview again."""
    run = _run(run_id, operation)
    form = TriageForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        interop_ops.triage(
            current_user, run, form.action.data, form.key.data or "", form.value.data or "", form.code.data or ""
        )
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "danger")
        return redirect(url_for("interop.report", run_id=run.id))
    return _start(run, operation, commit=False)


@bp.route("/imports/<id:run_id>/commit", methods=["POST"])
@operation_required
def commit(run_id: int, operation: Operation):
    run = _run(run_id, operation)
    form = CommitForm()
    if not form.validate_on_submit():
        abort(400)
    reason = _nothing_to_write(run.report or {}) if run.status is ImportStatus.previewed else None
    if reason:
        flash(reason, "danger")
        return redirect(url_for("interop.report", run_id=run.id))
    run.options = {**(run.options or {}), "skip_invalid": bool(form.skip_invalid.data)}
    db.session.commit()
    return _start(run, operation, commit=True)


# --- exports ----------------------------------------------------------------------------------


@bp.route("/<any(projects, needs, capacities):slug>/export.<any(csv, xlsx):fmt>")
@operation_required
def export_list(slug: str, fmt: str, operation: Operation):
    """The list as it is filtered, every page, sensitive entries redacted as the list shows them."""
    kind = RECORD_SLUGS[slug]
    query = record_query(kind, operation, current_user, RecordFilters.from_args(request.args))
    user = current_user._get_current_object()
    rows = (export.record_row(record, user) for record in export.iter_records(query, kind))
    return export.export_response(
        rows, export.record_columns(kind), fmt, f"{slug}-{date.today().isoformat()}", sheet_title=slug
    )


@bp.route("/projects/3w.<any(csv, xlsx):fmt>")
@operation_required
def export_three_w(fmt: str, operation: Operation):
    """The filtered projects in the OCHA 3W/4W layout: one row per project and admin area."""
    query = record_query(Project, operation, current_user, RecordFilters.from_args(request.args))
    areas = export.area_index(operation)
    rows = export.three_w_rows(export.iter_records(query, Project), current_user._get_current_object(), areas)
    return export.export_response(
        rows,
        export.three_w_export_columns(areas),
        fmt,
        f"3W-{operation.name}-{date.today().isoformat()}",
        sheet_title="3W",
    )


@bp.route("/organisations/<id:organisation_id>/iati.xml")
@operation_required
def export_iati(organisation_id: int, operation: Operation):
    """IATI 2.03 activities of an organisation's projects in this operation (sensitive ones only on request)."""
    organisation = db.session.get(Organisation, organisation_id)
    if organisation is None:
        abort(404)
    if not export.can_export_iati(current_user, organisation):
        abort(403)
    activities, left_out = export.iati_activities(
        operation, organisation, current_user, include_sensitive=request.args.get("include_sensitive") == "1"
    )
    if not activities:  # an IATI file holds at least one activity
        flash(_("%(org)s has no project to publish in IATI in this operation.", org=organisation.label), "warning")
        return redirect(url_for("registry.record_list", slug="projects", organisation=organisation.id))
    try:
        data, errors = iati_activities_for(export.reporting_organisation(organisation), activities)
    except IatiError as error:
        flash(_("The IATI file cannot be made: %(reason)s", reason=str(error)), "danger")
        return redirect(url_for("registry.record_list", slug="projects", organisation=organisation.id))
    if errors:  # a bug, not the user's doing: say so rather than publish an invalid file
        current_app.logger.error("IATI export of organisation %s is not schema-valid: %s", organisation.id, errors[:5])
        abort(500)
    name = "".join(ch if ch.isalnum() else "-" for ch in (organisation.acronym or organisation.name))
    return Response(
        data,
        mimetype="application/xml",
        headers={
            "Content-Disposition": f'attachment; filename="iati-activities-{name}.xml"',
            "X-Sensitive-Projects-Left-Out": str(left_out),
        },
    )
