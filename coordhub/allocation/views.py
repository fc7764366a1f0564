"""Allocation pages: runs, a new run (inline or as a background job), a run's result, comparison, pins and
exclusions, publishing, CSV export, and each partner's published assignments with their answers."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from coordhub.allocation import export, present, queries
from coordhub.allocation import jobs as allocation_jobs
from coordhub.allocation import operations as allocation_ops
from coordhub.allocation.changes import changes_since
from coordhub.allocation.differences import input_differences
from coordhub.allocation.forms import (
    AccessForm,
    AccessImportForm,
    ForbidForm,
    PinForm,
    PolicyForm,
    ResponseForm,
    WithdrawForm,
)
from coordhub.allocation.inputs import clean_settings, pair_count
from coordhub.allocation.models import (
    ACCESS_LABELS,
    DECISION_LABELS,
    AllocationAssignment,
    AllocationForbiddenPair,
    AllocationPin,
    AllocationRun,
    AreaAccess,
)
from coordhub.allocation.rights import can_manage_allocations, can_respond
from coordhub.errors import DomainError
from coordhub.extensions import db
from coordhub.jobs.runner import start_job
from coordhub.registry.models import Operation, Organisation
from coordhub.web import (
    ConfirmForm,
    current_operation,
    operation_required,
    parse_id,
)

bp = Blueprint("allocation", __name__, url_prefix="/allocations")

# Runs with more rows than this show the first ones and point to the CSV export.
SHOWN_ROWS = 300


def pending_badge() -> int:
    """The navigation badge of "My assignments": assignments waiting for the user's answer."""
    return queries.pending_count(current_user, current_operation())


def _require_manager(operation: Operation) -> None:
    if not can_manage_allocations(current_user, operation):
        abort(403)


def _run(run_id: int, operation: Operation) -> AllocationRun:
    run = db.session.get(AllocationRun, run_id)
    if run is None or run.operation_id != operation.id:
        abort(404)
    return run


def _assignment(run: AllocationRun, assignment_id: int) -> AllocationAssignment:
    assignment = db.session.get(AllocationAssignment, assignment_id)
    if assignment is None or assignment.run_id != run.id:
        abort(404)
    return assignment


def _flash_error(error: DomainError, form=None) -> None:
    """Flash the error (403 and 404 abort); with a form, also mark the field it names."""
    db.session.rollback()
    if error.status_code == 403:
        abort(403)
    if error.status_code == 404:
        abort(404)
    flash(error.message, "danger")
    field = getattr(form, error.field, None) if form is not None and error.field else None
    if field is not None:
        field.errors = list(field.errors) + [error.message]


@bp.route("/")
@operation_required
def runs(operation: Operation):
    if not can_manage_allocations(current_user, operation):
        return redirect(url_for("allocation.mine"))
    page = db.paginate(queries.runs_query(operation), per_page=current_app.config["PAGE_SIZE"], error_out=False)
    return render_template(
        "allocation/runs.html",
        page=page,
        operation=operation,
        latest=queries.latest_published_run(operation),
        pairs=pair_count(operation),
        threshold=current_app.config["ALLOCATION_BACKGROUND_THRESHOLD"],
    )


def _organisation_lookup() -> tuple[dict[str, int], dict[int, str]]:
    organisations = db.session.execute(sa.select(Organisation.id, Organisation.name, Organisation.acronym)).all()
    ids = {}
    for oid, name, acronym in organisations:
        ids[name.lower()] = oid
        if acronym:
            ids.setdefault(acronym.lower(), oid)
    return ids, {oid: acronym or name for oid, name, acronym in organisations}


@bp.route("/new", methods=["GET", "POST"])
@operation_required
def new_run(operation: Operation):
    _require_manager(operation)
    form = PolicyForm()
    ids, labels = _organisation_lookup()
    start_from = None
    if request.args.get("from"):
        start_from = _run(parse_id(request.args.get("from")) or 0, operation)
    if start_from is not None and request.method == "GET":
        form.fill_from(start_from.policy, labels)
    pairs = pair_count(operation)
    threshold = current_app.config["ALLOCATION_BACKGROUND_THRESHOLD"]
    if form.validate_on_submit():
        try:
            settings = clean_settings(form.settings(ids), operation)
        except ValueError as error:
            form.budget_caps.errors = list(form.budget_caps.errors) + [str(error)]
        except DomainError as error:
            _flash_error(error, form)
        else:
            if pairs > threshold:
                job = start_job(
                    allocation_jobs.JOB_KIND,
                    {
                        "operation_id": operation.id,
                        "settings": settings,
                        "note": form.note.data or "",
                        "runs_url": url_for("allocation.runs"),
                    },
                    user=current_user,
                    operation=operation,
                )
                return redirect(url_for("jobs.show", job_id=job.id))
            try:
                run = allocation_ops.run_allocation(current_user, operation, settings, form.note.data or "")
            except DomainError as error:
                _flash_error(error, form)
            else:
                flash(_("Allocation run %(id)s stored: %(status)s.", id=run.id, status=run.status_label), "success")
                return redirect(url_for("allocation.run", run_id=run.id))
    elif request.method == "POST":
        flash(_("Please correct the fields marked below."), "danger")
    return render_template(
        "allocation/new.html", form=form, operation=operation, pairs=pairs, threshold=threshold, start_from=start_from
    )


@bp.route("/<id:run_id>")
@operation_required
def run(run_id: int, operation: Operation):
    _require_manager(operation)
    found = _run(run_id, operation)
    partner_id = parse_id(request.args.get("partner"))
    assignments = db.session.scalars(queries.assignments_query(found, partner_id).limit(SHOWN_ROWS)).all()
    unmet, unmet_total = queries.explanations_of(found, "need", SHOWN_ROWS)
    unused, unused_total = queries.explanations_of(found, "capacity", SHOWN_ROWS)
    others = db.session.scalars(queries.runs_query(operation).where(AllocationRun.id != found.id).limit(50)).all()
    timeline_by = request.args.get("timeline") if request.args.get("timeline") in queries.TIMELINE_GROUPS else "partner"
    return render_template(
        "allocation/run.html",
        run=found,
        operation=operation,
        assignments=assignments,
        partner_id=partner_id,
        partners=queries.partner_totals(found),
        unmet=unmet,
        unmet_total=unmet_total,
        unused=unused,
        unused_total=unused_total,
        texts=present.explanation_texts(operation, unmet + unused),
        shown=SHOWN_ROWS,
        coverage={group: queries.coverage_rows(found, group) for group in queries.COVERAGE_GROUPS},
        latest=queries.latest_published_run(operation),
        others=others,
        action_form=ConfirmForm(),
        forbid_form=ForbidForm(),
        pinned={(p.need_id, p.capacity_id) for p in queries.pins_and_exclusions(operation)[0]},
        decisions=DECISION_LABELS,
        changes=changes_since(found),
        timeline_by=timeline_by,
        timeline=queries.timeline(found, timeline_by, current_user),
        by_period=queries.coverage_by_period(found),
        access_labels={level.value: label for level, label in ACCESS_LABELS.items()},
    )


@bp.route("/<id:run_id>/assignments.csv")
@operation_required
def export_run(run_id: int, operation: Operation):
    _require_manager(operation)
    found = _run(run_id, operation)
    return export.assignments_response(
        found, current_user._get_current_object(), None, f"allocation-{found.id}-{date.today().isoformat()}"
    )


@bp.route("/<id:run_id>/publish", methods=["GET", "POST"])
@operation_required
def publish(run_id: int, operation: Operation):
    """GET: what publishing will do (which partners get how many assignments); POST: publish."""
    _require_manager(operation)
    found = _run(run_id, operation)
    form = ConfirmForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        try:
            allocation_ops.publish_run(current_user, found)
        except DomainError as error:
            _flash_error(error)
        else:
            flash(_("Run %(id)s is published: each partner now sees its assignments.", id=found.id), "success")
        return redirect(url_for("allocation.run", run_id=found.id))
    return _confirmation(found, operation, "publish", form)


@bp.route("/<id:run_id>/withdraw", methods=["GET", "POST"])
@operation_required
def withdraw(run_id: int, operation: Operation):
    """GET: what withdrawing the publication will do; POST: withdraw it (with an optional reason)."""
    _require_manager(operation)
    found = _run(run_id, operation)
    form = WithdrawForm()
    if form.validate_on_submit():
        try:
            allocation_ops.withdraw_publication(current_user, found, form.reason.data or "")
        except DomainError as error:
            _flash_error(error, form)
        else:
            flash(
                _(
                    "The publication of run %(id)s is withdrawn: partners no longer see it; their answers are kept.",
                    id=found.id,
                ),
                "success",
            )
            return redirect(url_for("allocation.run", run_id=found.id))
    elif request.method == "POST":
        flash(_("Please correct the fields marked below."), "danger")
    return _confirmation(found, operation, "withdraw", form)


def _confirmation(run: AllocationRun, operation: Operation, action: str, form):
    """The page that says what publishing or withdrawing will do, with its form."""
    return render_template(
        "allocation/confirm.html",
        run=run,
        operation=operation,
        action=action,
        form=form,
        partners=queries.publication_summary(run),
        current=queries.latest_published_run(operation),
    )


@bp.route("/compare")
@operation_required
def compare(operation: Operation):
    _require_manager(operation)
    first, second = parse_id(request.args.get("a")), parse_id(request.args.get("b"))
    if first is None or second is None:
        abort(404)
    comparison = queries.compare_runs(_run(first, operation), _run(second, operation), limit=SHOWN_ROWS)
    codes = {code for run in (comparison.a, comparison.b) for code in run.coverage.get("by_resource_type", {})}
    inputs = input_differences(
        comparison.a, comparison.b, queries.group_labels(operation, "by_resource_type", sorted(codes))
    )
    return render_template(
        "allocation/compare.html", comparison=comparison, operation=operation, shown=SHOWN_ROWS, inputs=inputs
    )


@bp.route("/<id:run_id>/assignments/<id:assignment_id>/<any(pin, forbid):action>", methods=["POST"])
@operation_required
def constrain(run_id: int, assignment_id: int, action: str, operation: Operation):
    """'Fix this' (pin the assignment's quantity, or the one given) or 'Forbid this' from a run's row."""
    _require_manager(operation)
    found = _run(run_id, operation)
    assignment = _assignment(found, assignment_id)
    form = PinForm() if action == "pin" else ForbidForm()
    if not form.validate_on_submit():
        flash(" ".join(str(e) for errors in form.errors.values() for e in errors) or _("Invalid request."), "danger")
        return redirect(url_for("allocation.run", run_id=found.id))
    try:
        if action == "pin":
            allocation_ops.pin_pair(
                current_user,
                operation,
                assignment.need_id,
                assignment.capacity_id,
                form.quantity.data or assignment.quantity,
            )
            flash(_("Pinned: the next runs keep this assignment."), "success")
        else:
            allocation_ops.forbid_pair(
                current_user, operation, assignment.need_id, assignment.capacity_id, form.reason.data or ""
            )
            flash(_("Forbidden: the next runs will not use this pair."), "success")
    except DomainError as error:
        _flash_error(error)
    return redirect(url_for("allocation.run", run_id=found.id, partner=request.args.get("partner")))


@bp.route("/constraints")
@operation_required
def constraints(operation: Operation):
    _require_manager(operation)
    pins, pairs = queries.pins_and_exclusions(operation)
    return render_template(
        "allocation/constraints.html", pins=pins, pairs=pairs, operation=operation, action_form=ConfirmForm()
    )


# Removable items of the next runs' input: (model, operation that removes it, page to return to).
REMOVABLE = {
    "pins": (AllocationPin, allocation_ops.remove_pin, "allocation.constraints"),
    "exclusions": (AllocationForbiddenPair, allocation_ops.remove_forbidden, "allocation.constraints"),
    "access": (AreaAccess, allocation_ops.remove_area_access, "allocation.access"),
}


@bp.route("/<any(pins, exclusions, access):kind>/<id:item_id>/remove", methods=["POST"])
@operation_required
def remove_constraint(kind: str, item_id: int, operation: Operation):
    _require_manager(operation)
    model, remove, page = REMOVABLE[kind]
    item = db.session.get(model, item_id)
    if item is None or item.operation_id != operation.id:
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        remove(current_user, item)
    except DomainError as error:
        _flash_error(error)
    else:
        flash(_("Removed."), "success")
    return redirect(url_for(page))


# --- access (security assessments) ------------------------------------------------------------------


def _area_choices(operation: Operation) -> list[tuple[int, str]]:
    from coordhub.registry.views import area_choices

    return area_choices(operation)


@bp.route("/access", methods=["GET", "POST"])
@operation_required
def access(operation: Operation):
    """Security assessments per admin area and time: list, add one, import a file."""
    _require_manager(operation)
    form = AccessForm()
    form.admin_area_id.choices = _area_choices(operation)
    if form.validate_on_submit():
        try:
            allocation_ops.set_area_access(
                current_user,
                operation,
                form.admin_area_id.data,
                form.level.data,
                form.start_date.data,
                form.end_date.data,
                form.clearances.data or "",
                form.note.data or "",
            )
        except DomainError as error:
            _flash_error(error, form)
        else:
            flash(_("The assessment is recorded: the next runs respect it."), "success")
            return redirect(url_for("allocation.access"))
    elif request.method == "POST":
        flash(_("Please correct the fields marked below."), "danger")
    rules = db.session.scalars(
        sa.select(AreaAccess)
        .where(AreaAccess.operation_id == operation.id)
        .order_by(AreaAccess.start_date.desc(), AreaAccess.id.desc())
    ).all()
    return render_template(
        "allocation/access.html",
        form=form,
        import_form=AccessImportForm(),
        rules=rules,
        operation=operation,
        action_form=ConfirmForm(),
    )


@bp.route("/access/import", methods=["POST"])
@operation_required
def import_access(operation: Operation):
    _require_manager(operation)
    form = AccessImportForm()
    if not form.validate_on_submit():
        flash(" ".join(str(e) for errors in form.errors.values() for e in errors) or _("Invalid request."), "danger")
        return redirect(url_for("allocation.access"))
    upload = form.file.data
    try:
        text = upload.read().decode("utf-8-sig")
    except UnicodeDecodeError:
        flash(_("The file is not UTF-8 text."), "danger")
        return redirect(url_for("allocation.access"))
    import io

    try:
        added = allocation_ops.import_area_access(
            current_user, operation, io.StringIO(text), upload.filename or "access.csv"
        )
    except DomainError as error:
        _flash_error(error)
    else:
        flash(_("%(n)d assessments imported.", n=len(added)), "success")
    return redirect(url_for("allocation.access"))


# --- partners -----------------------------------------------------------------------------------------


@bp.route("/mine")
@operation_required
def mine(operation: Operation):
    """The user's organisation's assignments in the latest published run, with their answers (read only, once
    its publication is withdrawn)."""
    published = queries.last_published_run(operation)
    organisation_id = current_user.organisation_id
    assignments = db.session.scalars(queries.assignments_query(published, organisation_id)).all() if published else []
    return render_template(
        "allocation/mine.html",
        run=published,
        assignments=assignments,
        operation=operation,
        can_answer=published is not None
        and not published.withdrawn
        and can_respond(current_user, operation, organisation_id),
        decisions=DECISION_LABELS,
        form=ResponseForm(),
    )


@bp.route("/mine.csv")
@operation_required
def export_mine(operation: Operation):
    published = queries.latest_published_run(operation)
    if published is None:
        abort(404)
    return export.assignments_response(
        published,
        current_user._get_current_object(),
        current_user.organisation_id,
        f"assignments-{current_user.organisation.label}-{date.today().isoformat()}",
    )


@bp.route("/mine/<id:assignment_id>/respond", methods=["POST"])
@operation_required
def respond(assignment_id: int, operation: Operation):
    assignment = db.session.get(AllocationAssignment, assignment_id)
    if assignment is None or assignment.run.operation_id != operation.id:
        abort(404)
    if assignment.organisation_id != current_user.organisation_id:
        abort(404)  # another organisation's assignment does not exist for this user
    form = ResponseForm()
    if not form.validate_on_submit():
        flash(" ".join(str(e) for errors in form.errors.values() for e in errors), "danger")
        return redirect(url_for("allocation.mine"))
    try:
        allocation_ops.respond(current_user, assignment, form.decision.data, form.reason.data or "")
    except DomainError as error:
        _flash_error(error)
    else:
        if form.decision.data == "accepted":
            message = _("Thank you: your answer is recorded.")
        elif assignment.period is not None:
            message = _(
                "Declined for the period from %(period)s: the next plans will not assign this in that period.",
                period=assignment.period.isoformat(),
            )
        else:
            message = _("Declined: the coordinators will not assign this again.")
        flash(message, "success")
    return redirect(url_for("allocation.mine"))
