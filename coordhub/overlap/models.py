"""Stored overlap alerts between two projects, their history, per-user read marks, and clusters."""

from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coordhub.database import enum_column, utcnow
from coordhub.extensions import db


class AlertKind(enum.Enum):
    overlap = "overlap"
    complementary = "complementary"
    duplicate_entry = "duplicate_entry"  # one organisation registered the same work twice
    double_count = "double_count"  # a funder and its implementing partner report one intervention


class AlertState(enum.Enum):
    open = "open"
    acknowledged = "acknowledged"
    resolved = "resolved"
    dismissed = "dismissed"  # "not an overlap": remembered until one of the two projects changes
    closed = "closed"  # set by detection: the pair no longer overlaps


class Resolution(enum.Enum):
    coordinated = "coordinated"
    merged = "merged"
    complementary = "complementary"


KIND_LABELS = {
    AlertKind.overlap: _l("overlap"),
    AlertKind.complementary: _l("complementary"),
    AlertKind.duplicate_entry: _l("duplicate entry"),
    AlertKind.double_count: _l("double count"),
}
STATE_LABELS = {
    AlertState.open: _l("open"),
    AlertState.acknowledged: _l("acknowledged"),
    AlertState.resolved: _l("resolved"),
    AlertState.dismissed: _l("dismissed (not an overlap)"),
    AlertState.closed: _l("closed (no longer overlaps)"),
}
RESOLUTION_LABELS = {
    Resolution.coordinated: _l("coordinated"),
    Resolution.merged: _l("merged"),
    Resolution.complementary: _l("complementary"),
}
# What detection writes in an event's comment (stored as the key, shown in the reader's language).
SYSTEM_COMMENTS = {
    "raised": _l("Raised by overlap detection."),
    "raised_again": _l(
        "Raised again: one of the two projects changed its sector, admin areas or dates since the pair was dismissed."
    ),
    "overlaps_again": _l("The two projects overlap again."),
    "no_longer_overlaps": _l(
        "Closed by overlap detection: the two projects no longer overlap (a project was changed or archived)."
    ),
}
# States in which an alert still asks something of the two organisations.
ACTIVE_STATES = (AlertState.open, AlertState.acknowledged)


class OverlapAlert(db.Model):
    """Two projects of one operation that overlap (project_a_id < project_b_id), as last detected."""

    __tablename__ = "overlap_alerts"
    __table_args__ = (
        sa.UniqueConstraint("project_a_id", "project_b_id"),
        sa.CheckConstraint("project_a_id < project_b_id", name="ordered_pair"),
        sa.CheckConstraint("score >= 0 AND score <= 1", name="score_range"),
        sa.CheckConstraint("days IS NULL OR days >= 1", name="days_positive"),
        sa.CheckConstraint("(state = 'resolved') = (resolution IS NOT NULL)", name="resolution_when_resolved"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    operation_id: Mapped[int] = mapped_column(sa.ForeignKey("operations.id", ondelete="CASCADE"), index=True)
    # (project_a_id is indexed as the first column of the pair's unique constraint)
    project_a_id: Mapped[int] = mapped_column(sa.ForeignKey("projects.id", ondelete="CASCADE"))
    project_b_id: Mapped[int] = mapped_column(sa.ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    # Kept in step with the projects by detection, so lists filter without joins.
    organisation_a_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    organisation_b_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    sector_id: Mapped[int] = mapped_column(sa.ForeignKey("sectors.id"), index=True)
    shared_area_id: Mapped[int] = mapped_column(sa.ForeignKey("admin_areas.id", ondelete="CASCADE"), index=True)
    relation: Mapped[str] = mapped_column(sa.String(10))  # how a's area relates to b's: same / contains / within
    kind: Mapped[AlertKind] = mapped_column(enum_column(AlertKind, "overlap_alert_kind"))
    score: Mapped[float] = mapped_column(sa.Float)
    overlap_start: Mapped[date | None] = mapped_column(sa.Date)  # None: unbounded
    overlap_end: Mapped[date | None] = mapped_column(sa.Date)
    days: Mapped[int | None] = mapped_column(sa.Integer)
    title_similarity: Mapped[float | None] = mapped_column(sa.Float)
    # Double counts: the report counted in coverage (the implementer's); the other is linked to it.
    counted_project_id: Mapped[int | None] = mapped_column(sa.ForeignKey("projects.id", ondelete="SET NULL"))
    explanation: Mapped[str] = mapped_column(sa.Text, default="")  # full words (English); redacted when shown
    # The sentence's reason code and parameters (overlap.core.explain.overlap_reason), rendered in the reader's
    # language; None for alerts written before it was kept.
    explanation_reason: Mapped[dict | None] = mapped_column(sa.JSON)
    state: Mapped[AlertState] = mapped_column(
        enum_column(AlertState, "overlap_alert_state"), default=AlertState.open, index=True
    )
    resolution: Mapped[Resolution | None] = mapped_column(enum_column(Resolution, "overlap_resolution"))
    # Both projects' sector, areas and dates when dismissed: the pair is raised again only if this changes.
    dismissed_signature: Mapped[str | None] = mapped_column(sa.String(2000))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Last event (raised, state change, closed by detection): read marks older than this are unread.
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    detected_at: Mapped[datetime] = mapped_column(default=utcnow)  # when detection last changed its figures

    operation = relationship("Operation")
    project_a = relationship("Project", foreign_keys=[project_a_id])
    project_b = relationship("Project", foreign_keys=[project_b_id])
    sector = relationship("Sector")
    shared_area = relationship("AdminArea")
    events = relationship(
        "AlertEvent",
        back_populates="alert",
        order_by="AlertEvent.id",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )

    @property
    def projects(self) -> tuple:
        return (self.project_a, self.project_b)

    @property
    def active(self) -> bool:
        return self.state in ACTIVE_STATES

    @property
    def kind_label(self) -> str:
        return str(KIND_LABELS[self.kind])

    @property
    def state_label(self) -> str:
        return str(STATE_LABELS[self.state])

    @property
    def linked_project_id(self) -> int | None:
        """For a double count, the funder's report left out of coverage."""
        if self.kind is not AlertKind.double_count or self.counted_project_id is None:
            return None
        return self.project_b_id if self.counted_project_id == self.project_a_id else self.project_a_id

    def __repr__(self) -> str:
        return f"<OverlapAlert {self.project_a_id}-{self.project_b_id} {self.kind.value} {self.state.value}>"


class AlertEvent(db.Model):
    """One change of an alert: who (None = detection), when, from which state to which, and why."""

    __tablename__ = "overlap_alert_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    alert_id: Mapped[int] = mapped_column(sa.ForeignKey("overlap_alerts.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    from_state: Mapped[AlertState | None] = mapped_column(enum_column(AlertState, "overlap_event_from_state"))
    to_state: Mapped[AlertState] = mapped_column(enum_column(AlertState, "overlap_event_to_state"))
    resolution: Mapped[Resolution | None] = mapped_column(enum_column(Resolution, "overlap_event_resolution"))
    # A person's words, or for detection's events (user None) one of the keys of SYSTEM_COMMENTS.
    comment: Mapped[str] = mapped_column(sa.Text)

    alert = relationship("OverlapAlert", back_populates="events")
    user = relationship("User")

    @property
    def by_detection(self) -> bool:
        return self.user_id is None

    @property
    def comment_text(self) -> str:
        """The comment as shown: detection's keys in the reader's language."""
        if self.by_detection and self.comment in SYSTEM_COMMENTS:
            return str(SYSTEM_COMMENTS[self.comment])
        return self.comment


class AlertRead(db.Model):
    """When a user last opened an alert (for unread counts)."""

    __tablename__ = "overlap_alert_reads"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    alert_id: Mapped[int] = mapped_column(
        sa.ForeignKey("overlap_alerts.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    read_at: Mapped[datetime] = mapped_column(default=utcnow)


class OverlapCluster(db.Model):
    """More than two organisations at work at once in one sector × admin area cell, as last detected."""

    __tablename__ = "overlap_clusters"
    __table_args__ = (sa.CheckConstraint("organisation_count >= 3", name="more_than_two"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    operation_id: Mapped[int] = mapped_column(sa.ForeignKey("operations.id", ondelete="CASCADE"), index=True)
    sector_id: Mapped[int] = mapped_column(sa.ForeignKey("sectors.id"), index=True)
    admin_area_id: Mapped[int] = mapped_column(sa.ForeignKey("admin_areas.id", ondelete="CASCADE"), index=True)
    start_date: Mapped[date | None] = mapped_column(sa.Date)
    end_date: Mapped[date | None] = mapped_column(sa.Date)
    organisation_count: Mapped[int] = mapped_column(sa.Integer)
    project_ids: Mapped[list] = mapped_column(sa.JSON, default=list)  # counted in coverage
    linked_project_ids: Mapped[list] = mapped_column(sa.JSON, default=list)  # funders' double reports
    detected_at: Mapped[datetime] = mapped_column(default=utcnow)

    operation = relationship("Operation")
    sector = relationship("Sector")
    area = relationship("AdminArea")
