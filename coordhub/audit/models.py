"""The audit log table and the one function that writes to it."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coordhub.database import enum_column, utcnow
from coordhub.extensions import db


class AuditAction(enum.Enum):
    create = "create"
    update = "update"
    archive = "archive"
    restore = "restore"
    delete = "delete"
    sign_in = "sign_in"
    sign_in_failed = "sign_in_failed"
    sign_in_throttled = "sign_in_throttled"


class AuditEntry(db.Model):
    __tablename__ = "audit_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    operation_id: Mapped[int | None] = mapped_column(sa.ForeignKey("operations.id", ondelete="CASCADE"), index=True)
    action: Mapped[AuditAction] = mapped_column(enum_column(AuditAction, "audit_action"))
    entity_type: Mapped[str] = mapped_column(sa.String(50))
    entity_id: Mapped[int | None] = mapped_column(sa.Integer)
    summary: Mapped[str] = mapped_column(sa.String(300), default="")
    # {"field": [old, new]} with values as JSON-friendly strings/numbers.
    changes: Mapped[dict] = mapped_column(sa.JSON, default=dict)

    user = relationship("User")
    operation = relationship("Operation")


def audit_value(value: Any) -> Any:
    """Turn a column value into something JSON can store and a person can read."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, (list, tuple, set)):
        return sorted(audit_value(v) for v in value)
    label = getattr(value, "pcode", None) or getattr(value, "label", None) or getattr(value, "code", None)
    return str(label if label is not None else value)


def apply_changes(entity, values: dict[str, Any], creating: bool) -> dict[str, list]:
    """Set `values` on `entity` and return the audit changes (field -> [old, new]) of the fields that differ
    (every field when creating)."""
    changes: dict[str, list] = {}
    for field, value in values.items():
        old = None if creating else getattr(entity, field)
        if creating or old != value:
            changes[field] = [audit_value(old), audit_value(value)]
            setattr(entity, field, value)
    return changes


def record(
    user, action: AuditAction, entity, changes: dict | None = None, summary: str = "", operation_id: int | None = None
) -> AuditEntry:
    """Add an audit entry to the current transaction (the caller commits)."""
    entry = AuditEntry(
        user_id=getattr(user, "id", None),
        operation_id=operation_id if operation_id is not None else getattr(entity, "operation_id", None),
        action=action,
        entity_type=type(entity).__name__,
        entity_id=getattr(entity, "id", None),
        summary=summary[:300],
        changes=changes or {},
    )
    db.session.add(entry)
    return entry
