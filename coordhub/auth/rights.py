"""Every rights decision of coordhub, in one place (checked on the server for every request).

admin: everything. coordinator: all needs, read everything, allocations.
focal point: write only their own organisation's projects and capacities; a focal point of a
local authority or ministry also registers their own organisation's needs.
viewer: read. Sensitive records show details only to their own organisation and coordinators.
"""

from __future__ import annotations

from coordhub.auth.models import Role, User
from coordhub.registry.models import Capacity, Need, Operation, OrganisationType, Project

# Organisation types whose focal points speak for the population's needs.
NEED_REPORTING_TYPES = {OrganisationType.local_authority, OrganisationType.government_ministry}


def can_access_operation(user: User, operation: Operation) -> bool:
    return user.is_authenticated and user.active and user.can_access(operation)


def can_manage_users(user: User) -> bool:
    return user.role is Role.admin


def can_manage_organisations(user: User) -> bool:
    return user.role is Role.admin


def can_register_organisations(user: User) -> bool:
    """May `user` register new organisations (not edit existing ones), e.g. those an imported file names?"""
    return user.role in (Role.admin, Role.coordinator)


def can_manage_operations(user: User) -> bool:
    return user.role is Role.admin


def can_view_audit(user: User) -> bool:
    return user.role is Role.admin


def can_create(user: User, kind: type, organisation_id: int) -> bool:
    """May `user` register a record of `kind` (Project, Capacity, Need) for that organisation?"""
    if user.role is Role.admin:
        return True
    if kind is Need:
        if user.role is Role.coordinator:
            return True
        return (
            user.role is Role.focal_point
            and organisation_id == user.organisation_id
            and user.organisation.type in NEED_REPORTING_TYPES
        )
    if kind in (Project, Capacity):
        if user.role is Role.coordinator:
            return organisation_id == user.organisation_id
        return user.role is Role.focal_point and organisation_id == user.organisation_id
    return False


def can_edit(user: User, record: Project | Capacity | Need) -> bool:
    """May `user` change or archive this record?"""
    return can_create(user, type(record), record.organisation_id)


def can_register_any(user: User, kind: type) -> bool:
    """Whether the 'new' button for `kind` makes sense for this user at all."""
    if user.role is Role.admin or (kind is Need and user.role is Role.coordinator):
        return True
    return can_create(user, kind, user.organisation_id)


def can_see_details(user: User, record) -> bool:
    """Sensitive records (protection cases, victims, DDR) show details only to those who need them."""
    if not getattr(record, "sensitive", False):
        return True
    return user.role in (Role.admin, Role.coordinator) or record.organisation_id == user.organisation_id


def can_run_allocation(user: User) -> bool:
    return user.role in (Role.admin, Role.coordinator)
