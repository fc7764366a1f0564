"""Running functions at the same moment in threads, each with its own app context, session and database
connection: real concurrent transactions on PostgreSQL (not mocks). The suite's SQLite database is one
in-memory connection that threads cannot share at once, and SQLite lets one writer at a time anyway: there the
functions run one after the other, in their own threads and sessions, and the tests check that the outcome is
the same."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from typing import Any

from coordhub.extensions import db


def at_once(app, *functions: Callable[[], Any], timeout: float = 120) -> list[Any]:
    """Call each function in its own thread, all released together by a barrier; returns each one's result or
    the exception it raised, in order. Each function runs in a fresh app context (its own session)."""
    db.session.commit()  # the test's own transaction ends: the threads see everything it wrote
    concurrent = db.engine.dialect.name == "postgresql"
    barrier = threading.Barrier(len(functions))
    one_at_a_time = threading.Lock()
    results: list[Any] = [None] * len(functions)

    def work(index: int, function: Callable[[], Any]) -> None:
        barrier.wait(timeout)
        with contextlib.nullcontext() if concurrent else one_at_a_time, app.app_context():
            try:
                results[index] = function()
            except Exception as error:  # reported to the test, which decides
                db.session.rollback()
                results[index] = error
            finally:
                db.session.remove()

    threads = [threading.Thread(target=work, args=(i, f)) for i, f in enumerate(functions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
        assert not thread.is_alive(), "a concurrent transaction never finished (deadlock?)"
    db.session.expire_all()
    return results
