"""Users and their roles."""

from __future__ import annotations

import enum
import secrets
from datetime import datetime

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coordhub.database import enum_column, utcnow
from coordhub.extensions import db
from coordhub.registry.models import operation_members

_hasher = PasswordHasher()
# The test suite creates hundreds of users: cheap parameters there (config PASSWORD_HASH_CHEAP), never in production.
_cheap_hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
_dummy_hashes: dict[PasswordHasher, str] = {}


def _password_hasher() -> PasswordHasher:
    from flask import current_app, has_app_context

    if has_app_context() and current_app.config.get("PASSWORD_HASH_CHEAP"):
        return _cheap_hasher
    return _hasher


class Role(enum.Enum):
    admin = "admin"
    coordinator = "coordinator"
    focal_point = "focal_point"
    viewer = "viewer"


class User(UserMixin, db.Model):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    # Always stored lower-cased (see normalise_email), so the unique constraint is case-insensitive.
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    role: Mapped[Role] = mapped_column(enum_column(Role, "user_role"), default=Role.viewer)
    active: Mapped[bool] = mapped_column(default=True)
    locale: Mapped[str | None] = mapped_column(sa.String(5))
    current_operation_id: Mapped[int | None] = mapped_column(sa.ForeignKey("operations.id", ondelete="SET NULL"))
    last_login_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    organisation = relationship("Organisation")
    operations = relationship("Operation", secondary=operation_members, back_populates="members")
    current_operation = relationship("Operation", foreign_keys=[current_operation_id])

    @staticmethod
    def normalise_email(email: str) -> str:
        return email.strip().lower()

    def get_id(self) -> str:
        """Flask-Login keeps this in the session and remember cookies: the server-side session's token, never
        the user id, so that ending the session (coordhub.auth.sessions) refuses every copy of the cookie."""
        token = getattr(self, "session_token", None)
        if token is None:
            raise RuntimeError("Sign users in through coordhub.auth.sessions.sign_in, which opens a session.")
        return token

    def set_password(self, password: str) -> None:
        self.password_hash = _password_hasher().hash(password)

    @staticmethod
    def check_no_account(password: str) -> bool:
        """Spend the time of a password check when the e-mail is unknown, so that a failed sign-in's time
        does not tell whether the account exists. Always False."""
        hasher = _password_hasher()
        if hasher not in _dummy_hashes:
            _dummy_hashes[hasher] = hasher.hash(secrets.token_urlsafe(16))
        try:
            hasher.verify(_dummy_hashes[hasher], password)
        except (VerificationError, InvalidHashError):
            pass
        return False

    def check_password(self, password: str) -> bool:
        try:
            ok = _hasher.verify(self.password_hash, password)
        except (VerificationError, InvalidHashError):
            return False
        if ok and _password_hasher().check_needs_rehash(self.password_hash):
            self.password_hash = _password_hasher().hash(password)
        return ok

    @property
    def is_active(self) -> bool:  # flask-login refuses inactive users
        return self.active

    @property
    def is_admin(self) -> bool:
        return self.role is Role.admin

    @property
    def is_coordinator(self) -> bool:
        return self.role in (Role.admin, Role.coordinator)

    def can_access(self, operation) -> bool:
        return self.is_admin or operation in self.operations

    def __repr__(self) -> str:
        return f"<User {self.email}>"


class UserSession(db.Model):
    """A signed-in browser: its cookie (and remember-me cookie) carry a random token whose hash is kept here,
    so the server can end a session, or all of a user's, and refuse every copy of the cookie afterwards."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    remember: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)
    address: Mapped[str] = mapped_column(sa.String(45), default="")
    user_agent: Mapped[str] = mapped_column(sa.String(200), default="")

    user = relationship("User")

    def is_open(self, now: datetime) -> bool:
        return self.revoked_at is None and self.expires_at > now
