"""Locks that serialise concurrent writers across web processes and workers (PostgreSQL; no-ops elsewhere).

Two kinds: the operation's row lock for short writes that must see each other's results (publishing a run,
answering an assignment, pins), held until the transaction ends; and a named advisory lock for long work that
commits progress on the way (an import), held on its own connection until the block ends."""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa

from coordhub.extensions import db


def lock_operation(operation_id: int) -> None:
    """Wait for, then hold until commit or rollback, the operation's row lock; then forget what the session had
    read, so that the caller's next reads see what the previous holder committed."""
    if db.session.get_bind().dialect.name != "postgresql":
        return  # SQLite serialises writers by itself
    from coordhub.registry.models import Operation

    db.session.execute(sa.select(Operation.id).where(Operation.id == operation_id).with_for_update())
    db.session.expire_all()


def _namespace(name: str) -> int:
    return zlib.crc32(name.encode()) & 0x7FFFFFFF


@contextmanager
def exclusive(name: str, key: int) -> Iterator[None]:
    """Run the block while holding the advisory lock (name, key): one holder at a time in the whole cluster,
    also across the commits the block makes. Held on a connection of its own, released at the end."""
    if db.engine.dialect.name != "postgresql":
        yield
        return
    params = {"namespace": _namespace(name), "key": key}
    with db.engine.connect() as connection:
        connection.execute(sa.text("SELECT pg_advisory_lock(:namespace, :key)"), params)
        connection.commit()
        try:
            yield
        finally:
            connection.execute(sa.text("SELECT pg_advisory_unlock(:namespace, :key)"), params)
            connection.commit()
