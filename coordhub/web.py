"""Helpers shared by the HTML views of every module: the operation a user works in, the globals and navigation
every template sees, the generic confirm form, id parsing, showing a domain error on a form."""

from __future__ import annotations

from functools import wraps
from typing import Any

import sqlalchemy as sa
from flask import abort, flash, g, redirect, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm

from coordhub.errors import DomainError
from coordhub.extensions import db
from coordhub.registry.models import Operation

MAX_ID = 2**31  # ids are INTEGER columns


def parse_id(value: Any) -> int | None:
    """A query-string or form value as a database id: None unless a whole number that fits an INTEGER column."""
    try:
        number = int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None
    return number if number is None or abs(number) < MAX_ID else None


class ConfirmForm(FlaskForm):
    """The generic confirmation of a button that posts (archive, revoke, sign out …): only its CSRF token matters."""


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


def accessible_operations(user) -> list[Operation]:
    if user.is_admin:
        return list(db.session.scalars(sa.select(Operation).order_by(Operation.name)))
    return sorted(user.operations, key=lambda o: o.name)


def current_operation() -> Operation | None:
    """The user's chosen operation if they may still access it, else their first one."""
    if "operation" in g:
        return g.operation
    operation = None
    if current_user.is_authenticated:
        chosen = current_user.current_operation
        if chosen is not None and current_user.can_access(chosen):
            operation = chosen
        else:
            options = accessible_operations(current_user)
            operation = options[0] if options else None
    g.operation = operation
    return operation


def operation_required(view):
    """Sign-in required, and an operation to work in; the view gets it as `operation`."""

    @wraps(view)
    @login_required
    def wrapper(*args, **kwargs):
        operation = current_operation()
        if operation is None:
            if current_user.is_admin:
                flash(_("Create an operation first."), "warning")
                return redirect(url_for("auth.operations"))
            abort(403)
        return view(*args, operation=operation, **kwargs)

    return wrapper


def inject_globals() -> dict:
    from flask_babel import get_locale

    from coordhub.auth import rights
    from coordhub.registry.models import Capacity, Need, Project

    context = {
        "rights": rights,
        "kinds": {"Project": Project, "Need": Need, "Capacity": Capacity},
        "get_locale": get_locale,
    }
    if current_user.is_authenticated:
        context["current_operation"] = current_operation()
        context["my_operations"] = accessible_operations(current_user)
        context["nav_badges"] = {name: fn() for name, fn in NAV_BADGES.items()}
        links = [link for link in NAV_LINKS if NAV_VISIBLE.get(link[0], lambda user: True)(current_user)]
        context["nav_registry"] = [link for link in links if link[0] in REGISTRY_MENU]
        context["nav_links"] = [link for link in links if link[0] not in REGISTRY_MENU]
    return context


# The navigation bar: (endpoint, url arguments, label, badge name or None). Modules append their pages.
NAV_LINKS: list[tuple[str, dict, object, str | None]] = [
    ("registry.record_list", {"slug": "projects"}, _l("Projects"), None),
    ("registry.record_list", {"slug": "needs"}, _l("Needs"), None),
    ("registry.record_list", {"slug": "capacities"}, _l("Capacities"), None),
    ("registry.areas", {}, _l("Admin areas"), None),
    ("registry.organisations", {}, _l("Organisations"), None),
]
# Links gathered under the "Registry" drop-down menu, so the bar keeps room for the daily pages.
REGISTRY_MENU = {"registry.record_list", "registry.areas", "registry.organisations", "interop.imports"}
# Who sees a navigation link (endpoint -> predicate on the user); links not listed are shown to everyone.
NAV_VISIBLE: dict = {}
# Unread counters shown on navigation links: badge name -> callable returning an int.
NAV_BADGES: dict = {}
