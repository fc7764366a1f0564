"""Personal API tokens, stored hashed."""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coordhub.extensions import db
from coordhub.registry.models import utcnow

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

    user = relationship("User")

    @classmethod
    def issue(cls, user, name: str) -> tuple["ApiToken", str]:
        """Create a token for `user`; returns the row and the plain token (shown once, never stored)."""
        plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
        token = cls(user_id=user.id, name=name, token_hash=hash_token(plain), hint=plain[:10])
        db.session.add(token)
        return token, plain

    @property
    def active(self) -> bool:
        return self.revoked_at is None
