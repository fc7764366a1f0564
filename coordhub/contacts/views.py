"""Contacts pages: the directory (list, CSV export with HXL #contact hashtags, new/edit/archive) and messages to
the owner of a hidden entry (sent from the alert page, answered on the message page)."""

from __future__ import annotations

from types import SimpleNamespace

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import selectinload

from coordhub.contacts import operations as ops
from coordhub.contacts import rights
from coordhub.contacts.forms import AnswerForm, ContactForm, OwnerMessageForm
from coordhub.contacts.models import Contact, OwnerMessage
from coordhub.contacts.queries import directory_query
from coordhub.errors import DomainError
from coordhub.extensions import db
from coordhub.interop.export import export_response
from coordhub.interop.writers import ExportColumn
from coordhub.overlap.models import OverlapAlert
from coordhub.overlap.rights import can_see_alert
from coordhub.registry.models import AdminArea, Operation, Organisation, Sector
from coordhub.registry.views import area_choices, filter_choices
from coordhub.web import ConfirmForm, operation_required, parse_id, show_domain_error

bp = Blueprint("contacts", __name__, url_prefix="/contacts")


def _filters(operation: Operation) -> SimpleNamespace:
    area_id = parse_id(request.args.get("area"))
    area = db.session.get(AdminArea, area_id) if area_id else None
    if area is not None and area.operation_id != operation.id:
        area = None
    return SimpleNamespace(
        q=(request.args.get("q") or "").strip()[:100],
        sector_id=parse_id(request.args.get("sector")),
        organisation_id=parse_id(request.args.get("organisation")),
        area_id=area.id if area else None,
        area=area,
    )


def _query(operation: Operation, filters: SimpleNamespace):
    return directory_query(operation, filters.organisation_id, filters.sector_id, filters.area, filters.q)


@bp.route("/")
@operation_required
def directory(operation: Operation):
    if not rights.can_see_directory(current_user, operation):
        abort(403)
    filters = _filters(operation)
    page = db.paginate(_query(operation, filters), per_page=current_app.config["PAGE_SIZE"], error_out=False)
    return render_template(
        "contacts/directory.html",
        page=page,
        filters=filters,
        choices=filter_choices(operation),
        can_add=rights.can_keep(current_user, operation, current_user.organisation_id),
        action_form=ConfirmForm(),
        args={k: v for k, v in request.args.items() if k != "page"},
    )


@bp.app_template_global()
def contact_phone(contact: Contact) -> str:
    """The phone as the signed-in user may see it ("" when only coordinators may)."""
    return contact.phone if rights.can_see_phone(current_user, contact) else ""


@bp.app_template_global()
def can_keep_contact(contact: Contact) -> bool:
    return rights.can_keep(current_user, contact.operation, contact.organisation_id)


def export_columns(user) -> list[ExportColumn]:
    """The contact list's columns and HXL hashtags; phones kept for coordinators only stay empty for others."""
    return [
        ExportColumn("Organisation", "#org+name", lambda c: c.organisation.name),
        ExportColumn("Acronym", "#org+acronym", lambda c: c.organisation.acronym or ""),
        ExportColumn("Name", "#contact+name", "name"),
        ExportColumn("Role", "#contact+role", "role_title"),
        ExportColumn("E-mail", "#contact+email", "email"),
        ExportColumn("Phone", "#contact+phone", lambda c: c.phone if rights.can_see_phone(user, c) else ""),
        ExportColumn("Languages", "#contact+lang", "languages"),
        ExportColumn("Sector", "#sector+name", lambda c: c.sector.name if c.sector else ""),
        ExportColumn("P-code", "#adm+code", lambda c: c.area.pcode if c.area else ""),
        ExportColumn("Admin area", "#adm+name", lambda c: c.area.name if c.area else ""),
    ]


@bp.route("/export.csv")
@operation_required
def export(operation: Operation):
    """The directory (with the page's filters) as a contact list: CSV with an HXL hashtag row."""
    if not rights.can_see_directory(current_user, operation):
        abort(403)
    rows = db.session.scalars(
        _query(operation, _filters(operation)).options(
            selectinload(Contact.organisation), selectinload(Contact.sector), selectinload(Contact.area)
        )
    ).all()
    return export_response(
        rows, export_columns(current_user._get_current_object()), "csv", f"contacts-{operation.name}"
    )


def _fill(form: ContactForm, operation: Operation) -> None:
    organisations = db.session.scalars(
        sa.select(Organisation).where(Organisation.archived.is_(False)).order_by(Organisation.name)
    ).all()
    form.organisation_id.choices = [
        (o.id, o.name) for o in organisations if rights.can_keep(current_user, operation, o.id)
    ]
    form.sector_id.choices = [(0, _("— every sector —"))] + [
        (s.id, _(s.name)) for s in db.session.scalars(sa.select(Sector).order_by(Sector.name))
    ]
    form.admin_area_id.choices = [(0, _("— the whole operation —"))] + area_choices(operation)


@bp.route("/new", methods=["GET", "POST"])
@bp.route("/<id:contact_id>", methods=["GET", "POST"])
@operation_required
def edit(operation: Operation, contact_id: int | None = None):
    contact = db.session.get(Contact, contact_id) if contact_id else None
    if contact_id and (contact is None or contact.operation_id != operation.id):
        abort(404)
    if contact is not None and not rights.can_keep(current_user, operation, contact.organisation_id):
        abort(403)
    if (
        contact is None
        and not rights.can_keep(current_user, operation, current_user.organisation_id)
        and not current_user.is_admin
    ):
        abort(403)
    form = ContactForm(obj=contact)
    if contact is not None:
        del form.consent  # recorded when the entry was created
    _fill(form, operation)
    if request.method == "GET" and contact is None:
        form.organisation_id.data = current_user.organisation_id
    if form.validate_on_submit():
        data = {k: v for k, v in form.data.items() if k not in ("submit", "csrf_token")}
        try:
            saved = ops.save_contact(current_user, operation, data, contact)
        except DomainError as error:
            show_domain_error(form, error)
        else:
            flash(_("Contact %(name)s saved.", name=saved.name), "success")
            return redirect(url_for("contacts.directory"))
    return render_template("contacts/form.html", form=form, contact=contact), 422 if form.errors else 200


@bp.route("/<id:contact_id>/archive", methods=["POST"])
@operation_required
def archive(contact_id: int, operation: Operation):
    contact = db.session.get(Contact, contact_id)
    if contact is None or contact.operation_id != operation.id:
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        ops.archive_contact(current_user, contact)
    except DomainError as error:
        abort(error.status_code)
    flash(_("%(name)s is no longer listed.", name=contact.name), "success")
    return redirect(url_for("contacts.directory"))


# --- the owner of a hidden entry --------------------------------------------------------------------------


@bp.app_context_processor
def _owner_contact_helpers() -> dict:
    """For templates/overlap/alert.html: the 'Contact the owner' box and the messages about the alert."""

    def owner_contact(alert: OverlapAlert) -> dict | None:
        if not current_user.is_authenticated:
            return None
        messages = db.session.scalars(
            sa.select(OwnerMessage).where(OwnerMessage.alert_id == alert.id).order_by(OwnerMessage.id)
        ).all()
        mine = [m for m in messages if rights.can_read_message(current_user, m)]
        can_send = rights.can_contact_owner(current_user, alert)
        if not can_send and not mine:
            return None
        return {"form": OwnerMessageForm() if can_send else None, "messages": mine}

    return {"owner_contact": owner_contact}


@bp.route("/alerts/<id:alert_id>/contact-owner", methods=["POST"])
@operation_required
def contact_owner(alert_id: int, operation: Operation):
    alert = db.session.get(OverlapAlert, alert_id)
    if alert is None or alert.operation_id != operation.id or not can_see_alert(current_user, alert):
        abort(404)
    if not rights.can_contact_owner(current_user, alert):
        abort(403)
    form = OwnerMessageForm()
    if not form.validate_on_submit():
        flash(_("Write a message (at most 2,000 characters)."), "danger")
        return redirect(url_for("overlap.alert", alert_id=alert.id))
    try:
        ops.contact_owner(current_user, alert, form.body.data)
    except DomainError as error:  # (rights were checked above: a message the operation refuses)
        db.session.rollback()
        flash(error.message, "danger")
    else:
        flash(
            _(
                "Your message was sent to the focal points of the organisation behind the entry and to the "
                "coordinators. Their answer will appear in this alert's history."
            ),
            "success",
        )
    return redirect(url_for("overlap.alert", alert_id=alert.id))


@bp.route("/messages/<id:message_id>", methods=["GET", "POST"])
@operation_required
def message(message_id: int, operation: Operation):
    found = db.session.get(OwnerMessage, message_id)
    if found is None or found.operation_id != operation.id or not rights.can_read_message(current_user, found):
        abort(404)
    form = AnswerForm() if rights.can_answer(current_user, found) else None
    if form is not None and form.validate_on_submit():
        try:
            ops.answer_owner_message(current_user, found, form.answer.data)
        except DomainError as error:
            show_domain_error(form, error)
        else:
            flash(_("Your answer was sent and added to the alert's history."), "success")
            return redirect(url_for("overlap.alert", alert_id=found.alert_id))
    return render_template("contacts/message.html", message=found, form=form)
