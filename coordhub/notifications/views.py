"""Notification pages: the list (unread state, opened → read → the thing), settings, and the signed unsubscribe
link that works without signing in."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from coordhub.errors import DomainError
from coordhub.extensions import csrf, db
from coordhub.notifications import operations as ops
from coordhub.notifications.forms import SettingsForm, UnsubscribeForm
from coordhub.notifications.mail import read_unsubscribe_token
from coordhub.notifications.models import EVENT_LABELS, Notification, subscription_areas, subscription_sectors
from coordhub.notifications.present import show_many
from coordhub.notifications.queries import notifications_of, safe_link, unread_count
from coordhub.registry.models import AdminArea, Sector
from coordhub.web import ConfirmForm, accessible_operations, show_domain_error

bp = Blueprint("notifications", __name__, url_prefix="/notifications")


def unread_badge() -> int:
    """The navigation badge of "Notifications": the user's unread notifications."""
    return unread_count(current_user)


@bp.route("/")
@login_required
def inbox():
    unread_only = request.args.get("unread") == "1"
    page = db.paginate(
        notifications_of(current_user, unread_only), per_page=current_app.config["PAGE_SIZE"], error_out=False
    )
    return render_template(
        "notifications/inbox.html",
        page=page,
        rows=show_many(current_user, list(page.items)),
        unread_only=unread_only,
        action_form=ConfirmForm(),
    )


@bp.route("/<id:notification_id>")
@login_required
def open(notification_id: int):
    notification = db.session.get(Notification, notification_id)
    if notification is None or notification.user_id != current_user.id:
        abort(404)
    ops.mark_read(current_user, notification)
    return redirect(safe_link(notification.url) or url_for("notifications.inbox"))


@bp.route("/read-all", methods=["POST"])
@login_required
def read_all():
    if not ConfirmForm().validate_on_submit():
        abort(400)
    count = ops.mark_all_read(current_user)
    flash(_("%(n)d notifications marked as read.", n=count), "success")
    return redirect(url_for("notifications.inbox"))


def _area_choices() -> list[tuple[int, str]]:
    operations = accessible_operations(current_user)
    rows = db.session.scalars(
        sa.select(AdminArea).where(AdminArea.operation_id.in_([o.id for o in operations])).order_by(AdminArea.path)
    ).all()
    several = len(operations) > 1
    names = {o.id: o.name for o in operations}
    return [(a.id, ("\u2003" * a.level) + a.label + (f" · {names[a.operation_id]}" if several else "")) for a in rows]


@bp.route("/settings", methods=["GET", "POST"])
@login_required
def settings():
    form = SettingsForm()
    form.sector_ids.choices = [(s.id, _(s.name)) for s in db.session.scalars(sa.select(Sector).order_by(Sector.name))]
    form.area_ids.choices = _area_choices()
    if request.method == "GET":
        for event, frequency in ops.current_frequencies(current_user).items():
            form[f"event_{event.value}"].data = frequency.value
        form.sector_ids.data = list(
            db.session.scalars(
                sa.select(subscription_sectors.c.sector_id).where(subscription_sectors.c.user_id == current_user.id)
            )
        )
        form.area_ids.data = list(
            db.session.scalars(
                sa.select(subscription_areas.c.admin_area_id).where(subscription_areas.c.user_id == current_user.id)
            )
        )
    if form.validate_on_submit():
        choices = {field.name.removeprefix("event_"): field.data for field in form.event_fields}
        try:
            ops.save_subscriptions(
                current_user, current_user, choices, form.sector_ids.data or [], form.area_ids.data or []
            )
        except DomainError as error:
            show_domain_error(form, error)
        else:
            flash(_("Notification settings saved."), "success")
            return redirect(url_for("notifications.settings"))
    return render_template(
        "notifications/settings.html", form=form, mail_enabled=bool(current_app.config.get("MAIL_SERVER"))
    ), 422 if form.errors else 200


@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
@csrf.exempt
def unsubscribe(token: str):
    """GET shows what the link stops and a button; POST (the button, or a mail client's one-click) stops it."""
    parsed = read_unsubscribe_token(token)
    if parsed is None:
        abort(404)
    user_id, event = parsed
    what = EVENT_LABELS[event] if event is not None else _("all e-mail from coordhub")
    form = UnsubscribeForm()
    done = False
    if request.method == "POST":
        try:
            ops.unsubscribe(user_id, event)
        except DomainError:
            abort(404)
        done = True
    return render_template("notifications/unsubscribe.html", form=form, what=what, done=done)
