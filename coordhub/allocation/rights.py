"""Rights over allocations (built on coordhub.auth.rights): coordinators and administrators run, pin, forbid,
publish and see every run; each partner sees and answers its own organisation's published assignments."""

from __future__ import annotations

from coordhub.auth import rights
from coordhub.auth.models import Role, User
from coordhub.registry.models import Operation

# Who may answer for an organisation (viewers read only).
RESPONDING_ROLES = (Role.admin, Role.coordinator, Role.focal_point)


def can_manage_allocations(user: User, operation: Operation) -> bool:
    """Run allocations, see every run, pin, forbid and publish in this operation."""
    return rights.can_access_operation(user, operation) and rights.can_run_allocation(user)


def can_respond(user: User, operation: Operation, organisation_id: int) -> bool:
    """Accept or decline an assignment on behalf of the organisation that offered the capacity."""
    return (
        rights.can_access_operation(user, operation)
        and user.organisation_id == organisation_id
        and user.role in RESPONDING_ROLES
    )
