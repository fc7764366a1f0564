"""Helpers shared by the HTML views of every module."""

from __future__ import annotations

from typing import Any

from flask import flash, request, url_for

from coordhub.errors import DomainError
from coordhub.extensions import db


def show_domain_error(form, error: DomainError) -> None:
    """Undo the failed write and show every error next to its field (or as a flash message when it has none);
    a field that already shows an error (of the form's own checks) keeps it alone."""
    db.session.rollback()
    errors = error.errors or {error.field: error.message}
    for name, message in errors.items():
        field = getattr(form, name, None) if name else None
        if field is None:
            flash(message, "danger")
        elif not field.errors:
            field.errors = list(field.errors) + [message]


def list_url(**changes: object) -> str:
    """The current list page's URL with some query arguments changed (None or "" removes one), back on its
    first page (empty arguments dropped): the links of sortable column headers and of filter toggles keep
    every other filter."""
    args: dict[str, Any] = {key: value for key, value in request.args.items() if key != "page" and value != ""}
    for key, value in changes.items():
        if value in (None, ""):
            args.pop(key, None)
        else:
            args[key] = value
    return url_for(request.endpoint or "registry.dashboard", **(request.view_args or {}), **args)
