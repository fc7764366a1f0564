"""Database helpers every feature's models share: the UTC clock of timestamps and enum columns."""

from __future__ import annotations

import enum
from datetime import UTC, datetime

import sqlalchemy as sa


def utcnow() -> datetime:
    """Now in UTC, naive (every timestamp column stores UTC without a zone)."""
    return datetime.now(UTC).replace(tzinfo=None)


def enum_column(enum_cls: type[enum.Enum], name: str) -> sa.Enum:
    """Store enums as their lower-case values in a VARCHAR with a CHECK (portable, readable)."""
    return sa.Enum(
        enum_cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=32,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )
