"""Reading notices: a user's list and unread count."""

from __future__ import annotations

import sqlalchemy as sa

from coordhub.auth.models import User
from coordhub.extensions import db
from coordhub.notifications.models import Notification


def notifications_of(user: User, unread_only: bool = False) -> sa.Select:
    query = sa.select(Notification).where(Notification.user_id == user.id)
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    return query.order_by(Notification.created_at.desc(), Notification.id.desc())


def unread_count(user: User) -> int:
    return (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Notification)
            .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        )
        or 0
    )


def safe_link(url: str) -> str | None:
    """A stored link to follow: only paths inside coordhub (never another site)."""
    if url.startswith("/") and not url.startswith("//") and "\\" not in url:
        return url
    return None
