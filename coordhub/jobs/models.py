"""A background job's state, progress and result, stored so any process can show it."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coordhub.database import enum_column, utcnow
from coordhub.extensions import db


class JobStatus(enum.Enum):
    queued = "queued"
    running = "running"
    finished = "finished"
    failed = "failed"


class Job(db.Model):
    __tablename__ = "jobs"
    __table_args__ = (sa.CheckConstraint("progress >= 0 AND progress <= 1", name="progress_range"),)

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True, default=lambda: uuid.uuid4().hex)
    kind: Mapped[str] = mapped_column(sa.String(50))
    operation_id: Mapped[int | None] = mapped_column(sa.ForeignKey("operations.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    status: Mapped[JobStatus] = mapped_column(enum_column(JobStatus, "job_status"), default=JobStatus.queued)
    progress: Mapped[float] = mapped_column(sa.Float, default=0.0)
    message: Mapped[str] = mapped_column(sa.String(300), default="")
    params: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    result: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    error: Mapped[str] = mapped_column(sa.Text, default="")
    # Where to send the user once the job has finished (e.g. the allocation run's page).
    result_url: Mapped[str] = mapped_column(sa.String(300), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(default=None)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)

    user = relationship("User")
    operation = relationship("Operation")

    @property
    def done(self) -> bool:
        return self.status in (JobStatus.finished, JobStatus.failed)

    def as_dict(self) -> dict:
        return {
            "id": self.id,
            "kind": self.kind,
            "status": self.status.value,
            "progress": round(self.progress, 4),
            "message": self.message,
            "error": self.error,
            "result_url": self.result_url,
            "created_at": self.created_at.isoformat() + "Z",
            "finished_at": self.finished_at.isoformat() + "Z" if self.finished_at else None,
        }
