"""`/healthz`: is this web process able to serve? Database and Redis reachable, migrations current.

For the reverse proxy and monitoring: JSON, 200 when every check passes, 503 otherwise. No sign-in, and
nothing in the answer that helps an attacker (no addresses, no versions, no error texts beyond a kind)."""

from __future__ import annotations

import logging
import time
from functools import lru_cache
from pathlib import Path

import sqlalchemy as sa
from flask import Blueprint, current_app, jsonify

from coordhub.extensions import db

bp = Blueprint("health", __name__)
log = logging.getLogger(__name__)
MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


@lru_cache(maxsize=1)
def migration_heads() -> tuple[str, ...]:
    """The head revision(s) of the Alembic chain shipped with this code (read once per process)."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return tuple(sorted(ScriptDirectory.from_config(config).get_heads()))


def check_database() -> dict:
    """Database reachable, and its Alembic revision is this code's head."""
    from alembic.migration import MigrationContext

    with db.engine.connect() as connection:
        connection.execute(sa.text("SELECT 1"))
        current = tuple(sorted(MigrationContext.configure(connection).get_current_heads()))
    heads = migration_heads()
    return {
        "database": {"ok": True},
        "migrations": {"ok": current == heads, "current": list(current), "head": list(heads)},
    }


def check_redis() -> dict:
    url = current_app.config.get("REDIS_URL")
    if not url:
        return {"redis": {"ok": True, "configured": False}}
    from redis import Redis

    client = Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
    try:
        client.ping()
    finally:
        client.close()
    return {"redis": {"ok": True, "configured": True}}


def _run(check, names: tuple[str, ...]) -> dict:
    started = time.perf_counter()
    try:
        result = check()
    except Exception as error:  # any failure is "not healthy"; the kind of error helps the operator
        log.warning("health check %s failed: %s", names[0], error)
        result = {name: {"ok": False, "error": type(error).__name__} for name in names}
    for value in result.values():
        value["ms"] = round((time.perf_counter() - started) * 1000, 1)
    return result


@bp.get("/healthz")
def healthz():
    checks = {**_run(check_database, ("database", "migrations")), **_run(check_redis, ("redis",))}
    healthy = all(check["ok"] for check in checks.values())
    response = jsonify(status="ok" if healthy else "unavailable", checks=checks)
    response.status_code = 200 if healthy else 503
    response.headers["Cache-Control"] = "no-store"
    return response
