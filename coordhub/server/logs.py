"""Logging: one line per request (request id, user id, duration), JSON lines in production, quiet in tests.

Every log record written while a request runs carries that request's id, so a log collector can join a
request's line with the warnings and errors it caused. The id comes from the proxy's `X-Request-ID` header
when it looks like one, else it is made here; it is sent back in the response's `X-Request-ID`."""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from datetime import UTC, datetime

from flask import Flask, current_app, g, has_app_context, has_request_context, request
from sqlalchemy import event
from sqlalchemy.engine import Engine

REQUEST_LOGGER = "coordhub.request"
# Refused writes are logged under the name of the module that defines the refusals.
REFUSAL_LOGGER = "coordhub.errors"
WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
log = logging.getLogger(__name__)
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{8,128}$")
# Attributes every LogRecord has: anything else was passed with `extra=` and goes into the JSON line.
_STANDARD_ATTRIBUTES = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}


class RequestIdFilter(logging.Filter):
    """Adds `request_id` to every record written during a request ('-' outside one)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = g.get("request_id", "-") if has_request_context() else "-"
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id and every `extra=` field."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        line.update(
            (key, value)
            for key, value in vars(record).items()
            if key not in _STANDARD_ATTRIBUTES and not key.startswith("_")
        )
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    def __init__(self):
        super().__init__("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")


def configure_logging(app: Flask) -> None:
    """Set up the `coordhub` loggers from LOG_FORMAT ('json' or 'text') and LOG_LEVEL; idempotent (the factory
    may run many times in one process, as in the tests)."""
    root = logging.getLogger("coordhub")
    root.setLevel(app.config["LOG_LEVEL"])
    for handler in [h for h in root.handlers if getattr(h, "_coordhub", False)]:
        root.removeHandler(handler)
    handler = logging.StreamHandler(sys.stderr)
    handler._coordhub = True  # type: ignore[attr-defined]
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter() if app.config["LOG_FORMAT"] == "json" else TextFormatter())
    root.addHandler(handler)
    root.propagate = False  # gunicorn and pytest have their own root handlers: no line twice
    app.before_request(_start_request)
    app.after_request(_log_request)
    _listen_for_slow_queries()


def _start_request() -> None:
    header = request.headers.get("X-Request-ID", "")
    g.request_id = header if _REQUEST_ID.match(header) else uuid.uuid4().hex
    g.request_started = time.perf_counter()


def _log_request(response):
    started = g.get("request_started")
    if started is None:  # a response made before our before_request ran (another hook answered first)
        _start_request()
        started = g.request_started
    response.headers["X-Request-ID"] = g.request_id
    from flask_login import current_user

    api_user = g.get("api_user")  # a request with an API token (coordhub/api/core.py)
    if api_user is not None:
        user_id = api_user.id
    else:
        user_id = getattr(current_user, "id", None) if getattr(current_user, "is_authenticated", False) else None
    duration_ms = round((time.perf_counter() - started) * 1000, 1)
    level = logging.ERROR if response.status_code >= 500 else logging.INFO
    logging.getLogger(REQUEST_LOGGER).log(
        level,
        "%s %s %s %.1fms",
        request.method,
        request.path,
        response.status_code,
        duration_ms,
        extra={
            "method": request.method,
            "path": request.path,
            "status": response.status_code,
            "duration_ms": duration_ms,
            "user_id": user_id,
            "remote_addr": request.remote_addr,
            "endpoint": request.endpoint,
        },
    )
    refusals = g.get("refusals")
    if refusals and request.method in WRITE_METHODS and response.status_code < 500:
        _log_refusal(refusals, response.status_code, user_id)
    return response


def _log_refusal(refusals: list, status: int, user_id: int | None) -> None:
    """One warning for a write the application refused (rights, a stale version, invalid data): the last
    refusal raised while the request ran, which is the one the person was shown."""
    last = refusals[-1]
    kind = {403: "rights", 404: "not found", 409: "stale or busy", 422: "invalid"}.get(last.status_code, "refused")
    logging.getLogger(REFUSAL_LOGGER).warning(
        "refused %s %s (%s): %s%s",
        request.method,
        request.path,
        kind,
        f"{last.field}: " if last.field else "",
        last.message,
        extra={
            "refusal": type(last).__name__,
            "field": last.field,
            "status": status,
            "user_id": user_id,
            "refusals": len(refusals),
        },
    )


_listening = False


def _listen_for_slow_queries() -> None:
    """Time every database statement; one slower than SLOW_QUERY_SECONDS (of the app in whose context it
    runs) is logged as a warning with its time and SQL, without its parameters (they may hold personal data).
    Registered once per process on every engine."""
    global _listening
    if _listening:
        return
    _listening = True
    event.listen(Engine, "before_cursor_execute", _query_started)
    event.listen(Engine, "after_cursor_execute", _query_finished)


def _query_started(connection, cursor, statement, parameters, context, executemany) -> None:
    if context is not None:
        context._coordhub_started = time.perf_counter()


def _query_finished(connection, cursor, statement, parameters, context, executemany) -> None:
    started = getattr(context, "_coordhub_started", None)
    if started is None or not has_app_context():
        return
    seconds = time.perf_counter() - started
    threshold = current_app.config["SLOW_QUERY_SECONDS"]
    if threshold and seconds > threshold:
        text = " ".join(statement.split())
        log.warning(
            "slow query: %.3f s (over %.3f s): %s",
            seconds,
            threshold,
            text[:500] + ("…" if len(text) > 500 else ""),
            extra={"duration_ms": round(seconds * 1000, 1), "executemany": executemany},
        )
