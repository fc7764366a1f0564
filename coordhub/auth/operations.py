"""Account security operations: the password rule, changing one's password, signing out everywhere."""

from __future__ import annotations

from flask_babel import gettext as _

from coordhub.audit.models import AuditAction, record
from coordhub.auth.models import User, UserSession
from coordhub.auth.passwords import MAX_LENGTH, MIN_LENGTH, password_problem, personal_words
from coordhub.auth.sessions import end_all_sessions, sign_in
from coordhub.errors import ValidationError
from coordhub.extensions import db


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
