"""Who sees and keeps the contacts directory, and who may write to or answer for the owner of a hidden entry."""

from __future__ import annotations

from coordhub.auth import rights
from coordhub.auth.models import Role, User
from coordhub.overlap.present import sides
from coordhub.overlap.rights import can_change_alert
from coordhub.registry.models import Operation

KEEPERS = (Role.focal_point, Role.coordinator)


def can_see_directory(user: User, operation: Operation) -> bool:
    """Signed-in users of the operation see its directory."""
    return rights.can_access_operation(user, operation)


def can_keep(user: User, operation: Operation, organisation_id: int) -> bool:
    """Each organisation keeps its own people (focal points and coordinators of it); administrators any."""
    if not rights.can_access_operation(user, operation):
        return False
    return user.is_admin or (user.role in KEEPERS and user.organisation_id == organisation_id)


def can_see_phone(user: User, contact) -> bool:
    """ "Only coordinators see my phone": then the person's own organisation and coordinators only."""
    if not contact.phone_coordinators_only:
        return True
    return user.role in (Role.admin, Role.coordinator) or user.organisation_id == contact.organisation_id


def hidden_sides(user: User, alert) -> list:
    """The sides of the alert whose details `user` may not see (sensitive entries of another organisation)."""
    return [side for side in sides(user, alert) if not side.visible]


def can_contact_owner(user: User, alert) -> bool:
    """Focal points (and coordinators) of an organisation of the alert, when its other side is hidden to them."""
    return can_change_alert(user, alert) and bool(hidden_sides(user, alert))


def can_answer(user: User, message) -> bool:
    """The focal points of the organisation behind the entry, and the operation's coordinators."""
    if not rights.can_access_operation(user, message.alert.operation):
        return False
    if user.role in (Role.admin, Role.coordinator):
        return True
    return user.role is Role.focal_point and user.organisation_id == message.owner_organisation_id


def can_read_message(user: User, message) -> bool:
    return user.id == message.sender_id or can_answer(user, message)
