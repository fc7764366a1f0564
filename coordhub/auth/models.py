"""Users and their roles."""
from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coordhub.extensions import db
from coordhub.registry.models import enum_column, operation_members, utcnow

_hasher = PasswordHasher()
# The test suite creates hundreds of users: cheap parameters there (config PASSWORD_HASH_CHEAP), never in production.
_cheap_hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


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

    def set_password(self, password: str) -> None:
        self.password_hash = _password_hasher().hash(password)

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
