"""Server-side sign-in sessions: opened at sign-in, checked on every request, ended on the server.

The session cookie and the remember-me cookie hold only a random token (User.get_id); its hash is a row
of `user_sessions` in the database, which every web process shares. Ending the row (sign-out, password
change, account disabled, "sign out everywhere") refuses every copy of both cookies from then on."""

from __future__ import annotations

import secrets
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app, g, request
from flask_login import current_user, login_user, logout_user

from coordhub.api.models import ApiToken, hash_token
from coordhub.auth.models import User, UserSession
from coordhub.database import utcnow
from coordhub.extensions import db, login_manager

# Write last_seen_at at most this often, not on every request.
TOUCH_INTERVAL = timedelta(minutes=1)
KEEP_ENDED = timedelta(days=30)


def _lifetime(remember: bool) -> timedelta:
    key = "REMEMBER_COOKIE_DURATION" if remember else "SESSION_IDLE_TIMEOUT"
    return current_app.config[key]


def sign_in(user: User, remember: bool = False) -> UserSession:
    """Open a session for `user` in this browser (the caller commits)."""
    user = getattr(user, "_get_current_object", lambda: user)()  # never store the current_user proxy itself
    token = secrets.token_urlsafe(32)
    now = utcnow()
    # Forget this user's sessions that ended long ago (the list on the account page shows only open ones).
    db.session.execute(
        sa.delete(UserSession).where(
            UserSession.user_id == user.id,
            UserSession.expires_at < now - KEEP_ENDED,
            sa.or_(UserSession.revoked_at.is_not(None), UserSession.expires_at < now),
        )
    )
    row = UserSession(
        user_id=user.id,
        token_hash=hash_token(token),
        remember=remember,
        created_at=now,
        last_seen_at=now,
        expires_at=now + _lifetime(remember),
        address=(request.remote_addr or "")[:45],
        user_agent=(request.user_agent.string or "")[:200],
    )
    db.session.add(row)
    db.session.flush()
    user.session_token = token
    login_user(user, remember=remember, duration=current_app.config["REMEMBER_COOKIE_DURATION"])
    g.user_session = row
    return row


def current_session() -> UserSession | None:
    if not current_user.is_authenticated:
        return None
    return g.get("user_session")


def sign_out() -> None:
    """End this browser's session on the server and clear its cookies (the caller commits)."""
    row = current_session()
    if row is not None and row.revoked_at is None:
        row.revoked_at = utcnow()
    logout_user()


def end_all_sessions(user: User, keep: UserSession | None = None) -> int:
    """End every open session of `user` (all browsers, all remember-me cookies) except `keep`; returns how many
    were ended. The caller commits."""
    query = sa.update(UserSession).where(UserSession.user_id == user.id, UserSession.revoked_at.is_(None))
    if keep is not None:
        query = query.where(UserSession.id != keep.id)
    return db.session.execute(
        query.values(revoked_at=utcnow()), execution_options={"synchronize_session": False}
    ).rowcount


def revoke_api_tokens(user: User) -> int:
    """Revoke every API token of `user` (account disabled); the caller commits."""
    return db.session.execute(
        sa.update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=utcnow()),
        execution_options={"synchronize_session": False},
    ).rowcount


def open_sessions(user: User) -> list[UserSession]:
    now = utcnow()
    return list(
        db.session.scalars(
            sa.select(UserSession)
            .where(UserSession.user_id == user.id, UserSession.revoked_at.is_(None), UserSession.expires_at > now)
            .order_by(UserSession.last_seen_at.desc())
        )
    )


@login_manager.user_loader
def load_user(token: str) -> User | None:
    """The user of an open session (from the session or the remember-me cookie), or None (signed out)."""
    row = db.session.scalar(sa.select(UserSession).where(UserSession.token_hash == hash_token(token)))
    now = utcnow()
    if row is None or not row.is_open(now) or not row.user.active:
        return None
    if now - row.last_seen_at >= TOUCH_INTERVAL:
        row.last_seen_at = now
        if not row.remember:  # idle timeout slides; remember-me sessions keep their fixed end
            row.expires_at = now + _lifetime(False)
        db.session.commit()  # load_session runs first in the request: nothing else is pending yet
    row.user.session_token = token
    g.user_session = row
    return row.user


def load_session() -> None:
    """before_request: resolve the signed-in user first thing, so the session check (and its small write)
    happens before the view changes anything. Static files need no user."""
    if not (request.endpoint or "").endswith("static"):
        current_user._get_current_object()
