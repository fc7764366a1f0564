"""The contacts directory (focal points per organisation, sector and admin area) and messages to the owner of a
hidden (sensitive) entry of an overlap alert."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coordhub.database import utcnow
from coordhub.extensions import db


class Contact(db.Model):
    """A focal point of an organisation in an operation, listed with their consent."""

    __tablename__ = "contacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    operation_id: Mapped[int] = mapped_column(sa.ForeignKey("operations.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    sector_id: Mapped[int | None] = mapped_column(sa.ForeignKey("sectors.id"))  # None: every sector
    admin_area_id: Mapped[int | None] = mapped_column(sa.ForeignKey("admin_areas.id", ondelete="SET NULL"))
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    name: Mapped[str] = mapped_column(sa.String(200))
    role_title: Mapped[str] = mapped_column(sa.String(200), default="")
    email: Mapped[str] = mapped_column(sa.String(254), default="")
    phone: Mapped[str] = mapped_column(sa.String(50), default="")
    languages: Mapped[str] = mapped_column(sa.String(100), default="")
    phone_coordinators_only: Mapped[bool] = mapped_column(default=False)
    # The person agreed to be listed: when, and who recorded it (an entry cannot exist without it).
    consent_at: Mapped[datetime] = mapped_column()
    consent_recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    archived: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    operation = relationship("Operation")
    organisation = relationship("Organisation")
    sector = relationship("Sector")
    area = relationship("AdminArea")
    user = relationship("User", foreign_keys=[user_id])


class OwnerMessage(db.Model):
    """A message to whoever is behind the sensitive side of an alert, and their answer. The sender does not
    learn who received it; the answer is added to the alert's history."""

    __tablename__ = "owner_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    operation_id: Mapped[int] = mapped_column(sa.ForeignKey("operations.id", ondelete="CASCADE"), index=True)
    alert_id: Mapped[int] = mapped_column(sa.ForeignKey("overlap_alerts.id", ondelete="CASCADE"), index=True)
    sender_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    sender_organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"))
    # The organisation behind the hidden entry (never shown to the sender).
    owner_organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    body: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    answer: Mapped[str | None] = mapped_column(sa.Text)
    answered_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    answered_at: Mapped[datetime | None] = mapped_column(default=None)

    alert = relationship("OverlapAlert")
    sender = relationship("User", foreign_keys=[sender_id])
    sender_organisation = relationship("Organisation", foreign_keys=[sender_organisation_id])
    owner_organisation = relationship("Organisation", foreign_keys=[owner_organisation_id])
    answered_by = relationship("User", foreign_keys=[answered_by_id])
