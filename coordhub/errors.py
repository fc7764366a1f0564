"""Domain errors raised by operations, with a message meant for people and the field it concerns."""

from __future__ import annotations

from flask import g, has_request_context


class DomainError(Exception):
    """A request that cannot be carried out; `field` names the form/JSON field when there is one."""

    status_code = 400

    def __init__(self, message: str, field: str | None = None, errors: dict[str, str] | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        self.errors = errors or ({field: message} if field else {})
        if has_request_context():  # the request's log line says what was refused (coordhub/server/logs.py)
            g.setdefault("refusals", []).append(self)


class ValidationError(DomainError):
    status_code = 422


class PermissionDenied(DomainError):
    status_code = 403


class NotFound(DomainError):
    status_code = 404


class Conflict(DomainError):
    """The record changed since the version the request was prepared from (optimistic concurrency), or another
    request holds what this one needs. `current` carries what the reader needs to reconcile (e.g. the record's
    current values and version)."""

    status_code = 409

    def __init__(self, message: str, field: str | None = None, current: dict | None = None):
        super().__init__(message, field)
        self.current = current or {}
