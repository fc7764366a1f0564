"""Personal API tokens, stored hashed."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coordhub.database import utcnow
from coordhub.extensions import db

TOKEN_PREFIX = "chub_"


def hash_token(token: str) -> str:
    # Tokens carry 256 random bits, so a fast hash is enough (unlike passwords).
    return hashlib.sha256(token.encode()).hexdigest()


class ApiToken(db.Model):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    hint: Mapped[str] = mapped_column(sa.String(12))  # first characters, to recognise a token in the list
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)
    # None only for tokens issued before expiry dates existed (they keep working until revoked).
    expires_at: Mapped[datetime | None] = mapped_column(default=None)

    user = relationship("User")

    @classmethod
    def issue(cls, user, name: str, days: int = 90) -> tuple[ApiToken, str]:
        """Create a token for `user` valid `days` days; returns the row and the plain token (shown once, never
        stored)."""
        plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
        token = cls(
            user_id=user.id,
            name=name,
            token_hash=hash_token(plain),
            hint=plain[:10],
            expires_at=utcnow() + timedelta(days=days),
        )
        db.session.add(token)
        return token, plain

    @property
    def expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= utcnow()

    @property
    def active(self) -> bool:
        return self.revoked_at is None and not self.expired
