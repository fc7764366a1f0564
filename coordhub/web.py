"""Helpers shared by the HTML views of every module: the operation a user works in, the globals and navigation
every template sees, the generic confirm form, id parsing, showing a domain error on a form."""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import wraps
from typing import Any

import sqlalchemy as sa
from flask import Flask, abort, current_app, flash, g, redirect, url_for
from flask_babel import gettext as _
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


def require_right(check: Callable[[Any], bool]) -> None:
    """403 unless the signed-in user passes `check` (one of coordhub.auth.rights)."""
    if not check(current_user):
        abort(403)


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
                return redirect(url_for("registry.operations"))
            abort(403)
        return view(*args, operation=operation, **kwargs)

    return wrapper


class Menu(enum.Enum):
    """Where a navigation entry shows: on the bar itself, or in one of its drop-down menus."""

    bar = "bar"
    registry = "registry"  # the "Registry" menu, so that the bar keeps room for the daily pages
    administration = "administration"  # the "Administration" menu


@dataclass(frozen=True)
class NavEntry:
    """One link of the navigation bar, declared in coordhub.wiring.NAVIGATION.

    `visible` decides who sees it (everyone signed in when None); `badge` counts what waits for the user
    there (unread alerts …), shown next to the label when above 0."""

    endpoint: str
    label: Any  # a lazy translated string
    args: dict[str, Any] = field(default_factory=dict)
    menu: Menu = Menu.bar
    visible: Callable[[Any], bool] | None = None
    badge: Callable[[], int] | None = None


NAVIGATION_KEY = "coordhub.navigation"


def register_navigation(app: Flask, entries: Sequence[NavEntry]) -> None:
    """The app's navigation bar, in the order given (read by inject_globals)."""
    app.extensions[NAVIGATION_KEY] = tuple(entries)


def navigation(user: Any) -> dict[Menu, list[tuple[str, dict[str, Any], Any, int]]]:
    """The links `user` sees in each menu: (endpoint, url arguments, label, badge count or 0)."""
    menus: dict[Menu, list[tuple[str, dict[str, Any], Any, int]]] = {menu: [] for menu in Menu}
    for entry in current_app.extensions[NAVIGATION_KEY]:
        if entry.visible is None or entry.visible(user):
            menus[entry.menu].append((entry.endpoint, entry.args, entry.label, entry.badge() if entry.badge else 0))
    return menus


def inject_globals() -> dict[str, Any]:
    from flask_babel import get_locale

    from coordhub.auth import rights
    from coordhub.registry.models import Capacity, Need, Project

    context: dict[str, Any] = {
        "rights": rights,
        "kinds": {"Project": Project, "Need": Need, "Capacity": Capacity},
        "get_locale": get_locale,
    }
    if current_user.is_authenticated:
        context["current_operation"] = current_operation()
        context["my_operations"] = accessible_operations(current_user)
        menus = navigation(current_user)
        context["nav_links"] = menus[Menu.bar]
        context["nav_registry"] = menus[Menu.registry]
        context["nav_administration"] = menus[Menu.administration]
    return context
