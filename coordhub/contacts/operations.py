"""The only code that writes contacts and messages to the owner of a hidden entry (rights checked, audited)."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _

from coordhub.audit.models import AuditAction, apply_changes, record
from coordhub.auth.models import Role, User
from coordhub.contacts import rights
from coordhub.contacts.models import Contact, OwnerMessage
from coordhub.database import utcnow
from coordhub.errors import PermissionDenied, ValidationError
from coordhub.extensions import db
from coordhub.notifications.events import coordinators, organisation_members, path_for
from coordhub.notifications.models import Event
from coordhub.notifications.operations import notify
from coordhub.overlap.models import AlertEvent, OverlapAlert
from coordhub.registry.models import AdminArea, Operation, Organisation, Sector

MAX_MESSAGE = 2000
FIELDS = (
    "organisation_id",
    "name",
    "role_title",
    "email",
    "phone",
    "languages",
    "sector_id",
    "admin_area_id",
    "phone_coordinators_only",
)


def _text(data: dict, field: str, limit: int, required: bool = False) -> str:
    value = data.get(field)
    value = value.strip() if isinstance(value, str) else ""
    if required and not value:
        raise ValidationError(_("This field is required."), field)
    if len(value) > limit:
        raise ValidationError(_("At most %(n)d characters.", n=limit), field)
    return value


def save_contact(user: User, operation: Operation, data: dict[str, Any], contact: Contact | None = None) -> Contact:
    """Create or change a directory entry of `operation`. The organisation keeps its own people; the person's
    consent must be confirmed (`consent` true) when the entry is created. Commits."""
    organisation_id = data.get("organisation_id", contact.organisation_id if contact else None)
    if organisation_id is None or db.session.get(Organisation, organisation_id) is None:
        raise ValidationError(_("Unknown organisation."), "organisation_id")
    if not rights.can_keep(user, operation, organisation_id) or (
        contact is not None and not rights.can_keep(user, operation, contact.organisation_id)
    ):
        raise PermissionDenied(_("Each organisation keeps its own contacts."))
    values = {
        "organisation_id": organisation_id,
        "name": _text(data, "name", 200, required=True),
        "role_title": _text(data, "role_title", 200),
        "email": _text(data, "email", 254).lower(),
        "phone": _text(data, "phone", 50),
        "languages": _text(data, "languages", 100),
        "phone_coordinators_only": bool(data.get("phone_coordinators_only")),
    }
    if values["email"] and ("@" not in values["email"] or "." not in values["email"].rpartition("@")[2]):
        raise ValidationError(_("Enter a valid e-mail address."), "email")
    if not values["email"] and not values["phone"]:
        raise ValidationError(_("Give an e-mail address or a phone number."), "email")
    sector_id = data.get("sector_id") or None
    if sector_id is not None and db.session.get(Sector, sector_id) is None:
        raise ValidationError(_("Unknown sector."), "sector_id")
    area_id = data.get("admin_area_id") or None
    if area_id is not None:
        area = db.session.get(AdminArea, area_id)
        if area is None or area.operation_id != operation.id:
            raise ValidationError(_("This admin area is not in the operation."), "admin_area_id")
    values.update(sector_id=sector_id, admin_area_id=area_id)
    creating = contact is None
    if creating and not data.get("consent"):
        raise ValidationError(_("Confirm that the person agreed to be listed."), "consent")
    if creating:
        contact = Contact(operation_id=operation.id, consent_at=utcnow(), consent_recorded_by_id=user.id)
        db.session.add(contact)
    changes = apply_changes(contact, values, creating)
    contact.updated_at = utcnow()
    db.session.flush()
    if changes:
        record(
            user,
            AuditAction.create if creating else AuditAction.update,
            contact,
            changes,
            summary=_("Contact %(name)s", name=contact.name),
        )
    db.session.commit()
    return contact


def archive_contact(user: User, contact: Contact) -> None:
    """Take an entry out of the directory (the person withdrew consent or left). Commits."""
    if not rights.can_keep(user, contact.operation, contact.organisation_id):
        raise PermissionDenied(_("Each organisation keeps its own contacts."))
    if not contact.archived:
        contact.archived = True
        record(
            user,
            AuditAction.archive,
            contact,
            {"archived": [False, True]},
            summary=_("Contact %(name)s", name=contact.name),
        )
        db.session.commit()


# --- reaching the owner of a hidden entry -----------------------------------------------------------------


def _message_text(data_text: str, field: str) -> str:
    text = (data_text or "").strip() if isinstance(data_text, str) else ""
    if not text:
        raise ValidationError(_("Write a message."), field)
    if len(text) > MAX_MESSAGE:
        raise ValidationError(_("At most %(n)d characters.", n=MAX_MESSAGE), field)
    return text


def _history(alert: OverlapAlert, user: User, comment: str) -> None:
    """A line in the alert's history that does not change its state."""
    now = utcnow()
    alert.events.append(
        AlertEvent(
            at=now,
            user_id=user.id,
            from_state=alert.state,
            to_state=alert.state,
            resolution=alert.resolution,
            comment=comment,
        )
    )
    alert.changed_at = now


def contact_owner(user: User, alert: OverlapAlert, body: str) -> OwnerMessage:
    """Send a message to whoever is behind the side of `alert` hidden from `user`: the focal points of that
    organisation and the operation's coordinators are told; the sender is not told who they are. Commits."""
    if not rights.can_contact_owner(user, alert):
        raise PermissionDenied(
            _("You can write to the owner only of a hidden entry in an alert about your organisation.")
        )
    body = _message_text(body, "body")
    owner = rights.hidden_sides(user, alert)[0].project.organisation_id
    message = OwnerMessage(
        operation_id=alert.operation_id,
        alert=alert,
        sender_id=user.id,
        sender_organisation_id=user.organisation_id,
        owner_organisation_id=owner,
        body=body,
    )
    db.session.add(message)
    _history(alert, user, _("Message to the owner of the sensitive entry: %(body)s", body=body))
    db.session.flush()
    record(
        user,
        AuditAction.create,
        message,
        {"alert_id": [None, alert.id]},
        summary=_("Message to the owner of a sensitive entry (alert %(id)s)", id=alert.id),
        operation_id=alert.operation_id,
    )
    recipients = organisation_members(alert.operation_id, [owner], [Role.focal_point]).get(owner, set())
    notify(
        Event.owner_message,
        recipients | coordinators(alert.operation_id),
        operation=alert.operation,
        subject_type="alert",
        subject_id=alert.id,
        actor=user,
        params={"sender_organisation": user.organisation.label, "body": body, "message_id": message.id},
        url=path_for("contacts.message", message_id=message.id),
        sector_id=alert.sector_id,
        area=alert.shared_area,
    )
    db.session.commit()
    return message


def answer_owner_message(user: User, message: OwnerMessage, answer: str) -> OwnerMessage:
    """Answer a message as (or for) the owner: the answer, signed with the answerer's name, organisation and
    e-mail, goes into the alert's history and to the sender. Commits."""
    if not rights.can_answer(user, message):
        raise PermissionDenied(_("Only the focal points of the organisation concerned and coordinators answer."))
    answer = _message_text(answer, "answer")
    message.answer, message.answered_by_id, message.answered_at = answer, user.id, utcnow()
    signed = f"{user.name} ({user.organisation.label}, {user.email})"
    _history(
        message.alert,
        user,
        _(
            "Answer from %(who)s to the message of %(org)s: %(answer)s",
            who=signed,
            org=message.sender_organisation.label,
            answer=answer,
        ),
    )
    record(
        user,
        AuditAction.update,
        message,
        {"answered": [False, True]},
        summary=_("Answer to a message about a sensitive entry (alert %(id)s)", id=message.alert_id),
        operation_id=message.operation_id,
    )
    if message.sender_id is not None:
        notify(
            Event.owner_reply,
            [message.sender_id],
            operation=message.alert.operation,
            subject_type="alert",
            subject_id=message.alert_id,
            actor=user,
            params={"answered_by": signed, "answer": answer},
            url=path_for("overlap.alert", alert_id=message.alert_id),
        )
    db.session.commit()
    return message
