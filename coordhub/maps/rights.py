"""Rights over maps (built on coordhub.auth.rights): every member reads the maps of their operation (sensitive
entries redacted by the queries they reuse); administrators load boundaries."""

from __future__ import annotations

from coordhub.auth import rights
from coordhub.auth.models import User
from coordhub.registry.models import Operation


def can_load_boundaries(user: User, operation: Operation) -> bool:
    return rights.can_access_operation(user, operation) and rights.can_manage_operations(user)
