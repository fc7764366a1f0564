"""Helpers shared by the HTML views of every module."""
from __future__ import annotations

from flask import flash

from coordhub.errors import DomainError
from coordhub.extensions import db


def show_domain_error(form, error: DomainError) -> None:
    """Undo the failed write and show the error next to its field (or as a flash message when it has none)."""
    db.session.rollback()
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = list(field.errors) + [error.message]
    else:
        flash(error.message, "danger")
