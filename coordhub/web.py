"""Helpers shared by the HTML views of every module."""

from __future__ import annotations

from flask import flash

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
