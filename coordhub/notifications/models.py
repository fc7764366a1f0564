"""Notices for users (in-app, and the e-mail they choose), their subscriptions, and the stored e-mail outbox."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coordhub.database import enum_column, utcnow
from coordhub.extensions import db


class Event(enum.Enum):
    alert_raised = "alert_raised"  # a new or reopened overlap alert about my organisation
    alert_changed = "alert_changed"  # a state change or comment on it
    allocation_published = "allocation_published"  # a run published with assignments for my organisation
    assignment_declined = "assignment_declined"  # to the operation's coordinators
    report_due = "report_due"  # monitoring (sent by coordhub.monitoring through notify())
    report_late = "report_late"
    report_returned = "report_returned"
    job_done = "job_done"  # a background job finished or failed: to who started it
    account_changed = "account_changed"  # my account or one of my API tokens changed
    owner_message = "owner_message"  # someone asks about my organisation's sensitive entry
    owner_reply = "owner_reply"  # the owner of a hidden entry answered my message


EVENT_LABELS = {
    Event.alert_raised: _l("New or reopened overlap alerts about my organisation"),
    Event.alert_changed: _l("State changes and comments on those alerts"),
    Event.allocation_published: _l("Allocations published with assignments for my organisation"),
    Event.assignment_declined: _l("Assignments declined by a partner (coordinators)"),
    Event.report_due: _l("Reports due"),
    Event.report_late: _l("Reports late"),
    Event.report_returned: _l("Reports returned for correction"),
    Event.job_done: _l("My imports, allocation runs and other background jobs finished or failed"),
    Event.account_changed: _l("Changes to my account and API tokens"),
    Event.owner_message: _l("Messages about my organisation's sensitive entries"),
    Event.owner_reply: _l("Answers to my messages to the owner of a hidden entry"),
}


class Frequency(enum.Enum):
    off = "off"
    immediate = "immediate"
    daily = "daily"
    weekly = "weekly"


FREQUENCY_LABELS = {
    Frequency.off: _l("no e-mail"),
    Frequency.immediate: _l("e-mail at once"),
    Frequency.daily: _l("daily digest"),
    Frequency.weekly: _l("weekly digest"),
}
# What a user gets by e-mail before choosing: at once for what asks for an answer or concerns security,
# a daily digest for the (possibly many) overlap alerts.
DEFAULT_FREQUENCY = dict.fromkeys(Event, Frequency.immediate) | {
    Event.alert_raised: Frequency.daily,
    Event.alert_changed: Frequency.daily,
    Event.job_done: Frequency.off,
}
DIGEST_PERIODS = (Frequency.daily, Frequency.weekly)

subscription_sectors = sa.Table(
    "notification_sectors",
    db.metadata,
    sa.Column("user_id", sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("sector_id", sa.ForeignKey("sectors.id", ondelete="CASCADE"), primary_key=True),
)
subscription_areas = sa.Table(
    "notification_areas",
    db.metadata,
    sa.Column("user_id", sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("admin_area_id", sa.ForeignKey("admin_areas.id", ondelete="CASCADE"), primary_key=True),
)


class Subscription(db.Model):
    """How a user wants one kind of event by e-mail (no row: DEFAULT_FREQUENCY)."""

    __tablename__ = "notification_subscriptions"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    event: Mapped[Event] = mapped_column(enum_column(Event, "notification_event"), primary_key=True)
    frequency: Mapped[Frequency] = mapped_column(enum_column(Frequency, "notification_frequency"))


class Notification(db.Model):
    """One notice for one user. The sentence is rendered when shown, in the reader's language and as the
    reader may see the thing (sensitive entries redacted), from `event`, the subject and `params`."""

    __tablename__ = "notifications"
    __table_args__ = (
        sa.Index("ix_notifications_user_read", "user_id", "read_at"),
        sa.Index("ix_notifications_digest", "email", "digested_at", "user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    operation_id: Mapped[int | None] = mapped_column(sa.ForeignKey("operations.id", ondelete="CASCADE"), index=True)
    event: Mapped[Event] = mapped_column(enum_column(Event, "notification_event"))
    # What it is about: "alert", "run", "job", "user", "token", "message", or a record kind ("project", "report").
    subject_type: Mapped[str] = mapped_column(sa.String(30), default="")
    subject_id: Mapped[int | None] = mapped_column(sa.Integer)
    params: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    url: Mapped[str] = mapped_column(sa.String(300), default="")
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    # How it goes by e-mail, decided from the subscription when created; digests set digested_at when sent.
    email: Mapped[Frequency] = mapped_column(enum_column(Frequency, "notification_email"), default=Frequency.off)
    digested_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(default=None)

    user = relationship("User", foreign_keys=[user_id])
    actor = relationship("User", foreign_keys=[actor_id])


class OutboxStatus(enum.Enum):
    pending = "pending"
    sent = "sent"
    failed = "failed"  # gave up after MAIL_MAX_ATTEMPTS


class OutboxMessage(db.Model):
    """An e-mail as it will be sent, kept until the SMTP server has accepted it (retried with back-off)."""

    __tablename__ = "mail_outbox"
    __table_args__ = (sa.Index("ix_mail_outbox_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    to_address: Mapped[str] = mapped_column(sa.String(254))
    subject: Mapped[str] = mapped_column(sa.String(300))
    text_body: Mapped[str] = mapped_column(sa.Text)
    html_body: Mapped[str] = mapped_column(sa.Text)
    headers: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    # Digests: "<period>:<user>:<day or week>", so running the digest twice sends it once.
    dedupe_key: Mapped[str | None] = mapped_column(sa.String(100), unique=True)
    status: Mapped[OutboxStatus] = mapped_column(
        enum_column(OutboxStatus, "outbox_status"), default=OutboxStatus.pending
    )
    attempts: Mapped[int] = mapped_column(sa.Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_error: Mapped[str] = mapped_column(sa.String(500), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(default=None)
