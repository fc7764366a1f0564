"""Overlap pages: alerts (list, inbox, one alert), clusters, the gap matrix, and starting full detection."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from coordhub.errors import DomainError
from coordhub.extensions import db
from coordhub.overlap import operations as overlap_ops
from coordhub.overlap.forms import AlertStateForm
from coordhub.overlap.matrix import default_level, gap_matrix, levels_of, need_shade, organisation_shade
from coordhub.overlap.models import KIND_LABELS, RESOLUTION_LABELS, STATE_LABELS, OverlapAlert, OverlapCluster
from coordhub.overlap.present import cluster_views, event_author, explanation, sides
from coordhub.overlap.queries import (
    AlertFilters,
    alert_query,
    cluster_order,
    project_alerts,
    unread_count,
    unread_ids,
)
from coordhub.overlap.rights import can_change_alert, can_run_detection, can_see_alert
from coordhub.registry.models import AdminArea, Operation, Project
from coordhub.registry.views import filter_choices
from coordhub.web import (
    ConfirmForm,
    current_operation,
    operation_required,
    parse_id,
    show_domain_error,
)

bp = Blueprint("overlap", __name__)


def unread_badge() -> int:
    """The navigation badge of "My alerts": alerts of the user's operation they have not read."""
    return unread_count(current_user, current_operation())


@bp.app_context_processor
def _overlap_helpers() -> dict:
    """For templates/registry/_project_modules.html: a project's alerts as the signed-in user may see them."""

    def alerts_of(project: Project) -> list[tuple[OverlapAlert, str, bool]]:
        """(alert, sentence, whether the user sees both sides, and so its score)."""
        if not current_user.is_authenticated:
            return []
        return [
            (alert, explanation(current_user, alert), all(side.visible for side in sides(current_user, alert)))
            for alert in project_alerts(current_user, project)
        ]

    return {"overlap_alerts_of": alerts_of}


def _labels() -> dict:
    return {"kinds": KIND_LABELS, "states": STATE_LABELS, "resolutions": RESOLUTION_LABELS}


def _alert_page(found: OverlapAlert, form: AlertStateForm, can_change: bool, status: int = 200):
    history = [(event, event_author(current_user, found, event)) for event in found.events]
    return render_template(
        "overlap/alert.html",
        alert=found,
        sides=sides(current_user, found),
        explanation=explanation(current_user, found),
        form=form,
        can_change=can_change,
        history=history,
        **_labels(),
    ), status


def _alert(alert_id: int, operation: Operation) -> OverlapAlert:
    alert = db.session.get(OverlapAlert, alert_id)
    if alert is None or alert.operation_id != operation.id or not can_see_alert(current_user, alert):
        abort(404)
    return alert


def _list(operation: Operation, inbox: bool):
    filters = AlertFilters.from_args(request.args)
    page = db.paginate(
        alert_query(operation, current_user, filters, inbox=inbox),
        per_page=current_app.config["PAGE_SIZE"],
        error_out=False,
    )
    rows = [(alert, explanation(current_user, alert), sides(current_user, alert)) for alert in page.items]
    return render_template(
        "overlap/alerts.html",
        page=page,
        rows=rows,
        filters=filters,
        inbox=inbox,
        unread=unread_ids(current_user, [a.id for a in page.items]),
        choices=filter_choices(operation),
        operation=operation,
        action_form=ConfirmForm(),
        can_detect=can_run_detection(current_user, operation),
        **_labels(),
    )


@bp.route("/overlaps/")
@operation_required
def alerts(operation: Operation):
    return _list(operation, inbox=False)


@bp.route("/overlaps/inbox")
@operation_required
def inbox(operation: Operation):
    return _list(operation, inbox=True)


@bp.route("/overlaps/inbox/read", methods=["POST"])
@operation_required
def mark_all_read(operation: Operation):
    if not ConfirmForm().validate_on_submit():
        abort(400)
    count = overlap_ops.mark_all_read(current_user, operation)
    flash(_("%(n)d alerts marked as read.", n=count), "info")
    return redirect(url_for("overlap.inbox"))


@bp.route("/overlaps/<id:alert_id>")
@operation_required
def alert(alert_id: int, operation: Operation):
    found = _alert(alert_id, operation)
    form = AlertStateForm()
    form.set_states(overlap_ops.allowed_states(found))
    overlap_ops.mark_read(current_user, found)
    return _alert_page(found, form, can_change_alert(current_user, found) and bool(form.state.choices))


@bp.route("/overlaps/<id:alert_id>/state", methods=["POST"])
@operation_required
def change_state(alert_id: int, operation: Operation):
    found = _alert(alert_id, operation)
    if not can_change_alert(current_user, found):
        abort(403)
    form = AlertStateForm()
    form.set_states(overlap_ops.allowed_states(found))
    if form.validate_on_submit():
        try:
            overlap_ops.change_state(
                current_user, found, form.state.data, form.resolution.data or None, form.comment.data
            )
        except DomainError as error:
            show_domain_error(form, error)
        else:
            flash(_("The alert is now %(state)s.", state=found.state_label), "success")
            return redirect(url_for("overlap.alert", alert_id=found.id))
    else:
        flash(_("Please correct the fields marked below."), "danger")
    return _alert_page(found, form, True, 422)


@bp.route("/overlaps/clusters")
@operation_required
def clusters(operation: Operation):
    query = sa.select(OverlapCluster).where(OverlapCluster.operation_id == operation.id)
    sector_id, area_id = parse_id(request.args.get("sector")), parse_id(request.args.get("area"))
    if sector_id:
        query = query.where(OverlapCluster.sector_id == sector_id)
    area = db.session.get(AdminArea, area_id) if area_id else None
    if area is not None and area.operation_id == operation.id:
        query = query.where(
            OverlapCluster.admin_area_id.in_(sa.select(AdminArea.id).where(AdminArea.path.like(area.path + "%")))
        )
    query = query.order_by(*cluster_order(current_user))
    page = db.paginate(query, per_page=current_app.config["PAGE_SIZE"], error_out=False)
    return render_template(
        "overlap/clusters.html",
        page=page,
        views=cluster_views(current_user, page.items),
        choices=filter_choices(operation),
        sector_id=sector_id,
        area_id=area_id,
        operation=operation,
    )


@bp.route("/overlaps/detect", methods=["POST"])
@operation_required
def detect(operation: Operation):
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        job = overlap_ops.start_detection(current_user, operation, result_url=url_for("overlap.alerts"))
    except DomainError:
        abort(403)
    return redirect(url_for("jobs.show", job_id=job.id))


@bp.route("/gaps/")
@operation_required
def gaps(operation: Operation):
    levels = levels_of(operation)
    level = parse_id(request.args.get("level"))
    if level not in levels:
        level = default_level(levels)
    colour = request.args.get("colour") if request.args.get("colour") in ("organisations", "need") else "need"
    matrix = gap_matrix(operation, current_user, level)
    within = db.session.get(AdminArea, parse_id(request.args.get("within")) or 0)
    areas = matrix.areas
    if within is not None and within.operation_id == operation.id:
        areas = [a for a in areas if within.covers(a)]
    else:
        within = None
    show_all = request.args.get("all") == "1"
    if not show_all:
        filled = {area_id for _sector, area_id in matrix.cells}
        areas = [a for a in areas if a.id in filled]
    parents = [
        a
        for a in db.session.scalars(
            sa.select(AdminArea)
            .where(AdminArea.operation_id == operation.id, AdminArea.level < level)
            .order_by(AdminArea.path)
        )
    ]
    return render_template(
        "overlap/gaps.html",
        matrix=matrix,
        areas=areas,
        colour=colour,
        within=within,
        show_all=show_all,
        parents=parents,
        organisation_shade=organisation_shade,
        need_shade=need_shade,
        operation=operation,
    )
