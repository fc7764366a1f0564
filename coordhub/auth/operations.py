"""Account operations: user accounts, the password rule, changing one's password, signing out everywhere, personal
API tokens."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from coordhub.api.models import ApiToken
from coordhub.audit.models import AuditAction, apply_changes, audit_value, record
from coordhub.auth import rights
from coordhub.auth.models import Role, User, UserSession
from coordhub.auth.passwords import MAX_LENGTH, MIN_LENGTH, password_problem, personal_words
from coordhub.auth.sessions import end_all_sessions, revoke_api_tokens, sign_in
from coordhub.database import utcnow
from coordhub.errors import PermissionDenied, ValidationError
from coordhub.extensions import db
from coordhub.notifications.events import account_changed
from coordhub.registry.models import Operation, Organisation


def password_message(problem: str) -> str:
    return {
        "too_short": _("Use at least %(count)d characters.", count=MIN_LENGTH),
        "too_long": _("Use at most %(count)d characters.", count=MAX_LENGTH),
        "personal": _("Do not use your e-mail address or name in your password."),
        "guessable": _(
            "This password is too easy to guess (repeats, sequences, common words or passwords). "
            "Try a few unrelated words."
        ),
    }[problem]


def check_password_rule(password: str, email: str | None, name: str | None, field: str = "password") -> None:
    """Raise ValidationError on `field` unless `password` passes the rule of coordhub.auth.passwords."""
    problem = password_problem(password, personal_words(email, name))
    if problem is not None:
        raise ValidationError(password_message(problem), field)


def change_own_password(user: User, current: str, new: str, session: UserSession | None) -> UserSession | None:
    """`user` changes their own password: the current one is required, the new one must pass the rule.
    Every session of the user ends (other browsers, remember-me cookies); this browser gets a fresh session,
    returned, when `session` (the one in use) is given."""
    if not user.check_password(current or ""):
        raise ValidationError(_("This is not your current password."), "current_password")
    check_password_rule(new or "", user.email, user.name, "new_password")
    user.set_password(new)
    ended = end_all_sessions(user)
    record(user, AuditAction.update, user, {"password": ["", "(changed)"], "sessions": [ended, 0]}, summary=user.email)
    fresh = sign_in(user, remember=session.remember) if session is not None else None
    db.session.commit()
    return fresh


def sign_out_everywhere(user: User) -> int:
    """End every session of `user`, this one included; returns how many were ended."""
    ended = end_all_sessions(user)
    record(user, AuditAction.update, user, {"sessions": [ended, 0]}, summary=user.email)
    db.session.commit()
    return ended


def save_user(actor: User | None, data: dict[str, Any], target: User | None = None) -> User:
    """Create or update a user account. `actor` None means the command line (trusted)."""
    if actor is not None and not rights.can_manage_users(actor):
        raise PermissionDenied(_("Only administrators manage users."))
    creating = target is None
    email = User.normalise_email(data.get("email") or (target.email if target else ""))
    if "@" not in email or "." not in email.split("@")[-1]:
        raise ValidationError(_("Enter a valid e-mail address."), "email")
    clash = db.session.scalar(sa.select(User.id).where(User.email == email, User.id != (target.id if target else 0)))
    if clash is not None:
        raise ValidationError(_("A user with this e-mail address already exists."), "email")
    name = (data.get("name") or (target.name if target else "")).strip()
    if not name:
        raise ValidationError(_("This field is required."), "name")
    role = data.get("role", target.role if target else None)
    if isinstance(role, str):
        try:
            role = Role(role)
        except ValueError:
            raise ValidationError(_("Unknown role."), "role") from None
    if role is None:
        raise ValidationError(_("This field is required."), "role")
    organisation_id = data.get("organisation_id", target.organisation_id if target else None)
    if organisation_id is None or db.session.get(Organisation, organisation_id) is None:
        raise ValidationError(_("Unknown organisation."), "organisation_id")
    password = data.get("password") or ""
    if creating or password:
        check_password_rule(password, email, name)
    user = target or User()
    changes = apply_changes(
        user,
        {
            "email": email,
            "name": name,
            "role": role,
            "organisation_id": organisation_id,
            "active": bool(data.get("active", True if creating else target.active)),
        },
        creating,
    )
    if password:
        user.set_password(password)
        changes["password"] = ["", "(changed)"]
    if not creating and (password or not user.active):
        # A reset password or a disabled account: every browser signed in as this user is signed out.
        ended = end_all_sessions(user)
        if ended:
            changes["sessions"] = [ended, 0]
    if not creating and not user.active:
        revoked = revoke_api_tokens(user)
        if revoked:
            changes["api_tokens"] = [revoked, 0]
    operation_ids = data.get("operation_ids")
    if operation_ids is not None:
        operations = list(db.session.scalars(sa.select(Operation).where(Operation.id.in_(operation_ids))))
        old = sorted(o.name for o in user.operations)
        new = sorted(o.name for o in operations)
        if old != new:
            changes["operations"] = [old, new]
            user.operations = operations
        if user.current_operation not in operations:
            user.current_operation = operations[0] if operations else None
    db.session.add(user)
    db.session.flush()
    if changes:
        record(
            actor,
            AuditAction.create if creating else AuditAction.update,
            user,
            dict(changes),
            summary=user.email,
        )
        if not creating:
            account_changed(user, actor, "account", fields=sorted(changes))
    db.session.commit()
    return user


def issue_token(user: User, name: str, days: int) -> tuple[ApiToken, str]:
    """`user` creates a personal API token valid `days` days; returns the row and the plain token (shown once)."""
    row, plain = ApiToken.issue(user, name, days=days)
    db.session.flush()
    record(
        user,
        AuditAction.create,
        row,
        {"name": [None, row.name], "expires_at": [None, audit_value(row.expires_at)]},
        summary=f"API token {row.hint}…",
    )
    account_changed(user, user, "token_created", name=row.name)
    db.session.commit()
    return row, plain


def revoke_token(user: User, row: ApiToken) -> bool:
    """`user` revokes one of their own API tokens; False when it was already revoked."""
    if row.user_id != user.id:
        raise PermissionDenied(_("This is not your token."))
    if row.revoked_at is not None:
        return False
    row.revoked_at = utcnow()
    record(user, AuditAction.update, row, {"revoked": [False, True]}, summary=f"API token {row.hint}…")
    account_changed(user, user, "token_revoked", name=row.name)
    db.session.commit()
    return True
