"""Rights over overlap alerts (the registry's rules are in coordhub.auth.rights, which these build on)."""

from __future__ import annotations

import sqlalchemy as sa

from coordhub.auth import rights
from coordhub.auth.models import Role, User
from coordhub.overlap.models import OverlapAlert
from coordhub.registry.models import Operation

SEES_ALL = (Role.admin, Role.coordinator)
CHANGES_ANY = (Role.admin, Role.coordinator)


def can_see_alert(user: User, alert: OverlapAlert) -> bool:
    """Coordinators and administrators of the operation see every alert; others those about their organisation."""
    if not rights.can_access_operation(user, alert.operation):
        return False
    return user.role in SEES_ALL or user.organisation_id in (alert.organisation_a_id, alert.organisation_b_id)


def can_change_alert(user: User, alert: OverlapAlert) -> bool:
    """The two organisations' focal points, coordinators and administrators change an alert's state."""
    if not can_see_alert(user, alert):
        return False
    return user.role in CHANGES_ANY or (
        user.role is Role.focal_point and user.organisation_id in (alert.organisation_a_id, alert.organisation_b_id)
    )


def can_run_detection(user: User, operation: Operation) -> bool:
    return rights.can_access_operation(user, operation) and user.role in (Role.admin, Role.coordinator)


def visible_clause(user: User):
    """SQL condition: `user` may see the alert (the operation is checked by the caller)."""
    if user.role in SEES_ALL:
        return sa.true()
    return sa.or_(
        OverlapAlert.organisation_a_id == user.organisation_id, OverlapAlert.organisation_b_id == user.organisation_id
    )


def about_organisation_clause(organisation_id: int):
    return sa.or_(OverlapAlert.organisation_a_id == organisation_id, OverlapAlert.organisation_b_id == organisation_id)
