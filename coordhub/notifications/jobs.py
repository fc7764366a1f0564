"""Background e-mail delivery: a job that empties the outbox, started after every commit that wrote to it
(RQ when REDIS_URL is set, a thread otherwise; see coordhub.jobs), so a save never waits for SMTP."""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app, has_app_context

from coordhub.extensions import db
from coordhub.jobs.models import Job, JobStatus
from coordhub.jobs.runner import start_job
from coordhub.notifications.operations import OUTBOX_WRITTEN

DELIVER = "notifications-deliver"


def deliver_job(job, progress) -> dict:
    """Send what is due in the outbox."""
    from coordhub.notifications.mail import deliver_due

    return deliver_due()


def deliver_soon() -> Job | None:
    """Start a delivery job unless one is already waiting (it will send what is due when it runs)."""
    waiting = db.session.scalar(sa.select(Job.id).where(Job.kind == DELIVER, Job.status == JobStatus.queued).limit(1))
    if waiting is not None:
        return None
    return start_job(DELIVER, {})


def deliver_after_commit(session) -> None:
    """Session "after_commit": start a delivery when the transaction wrote to the outbox."""
    if not session.info.pop(OUTBOX_WRITTEN, False) or not has_app_context():
        return
    app = current_app._get_current_object()
    with app.app_context():  # a fresh session: the committed one may not be used inside this event
        try:
            deliver_soon()
        finally:
            db.session.remove()


def forget_outbox_written(session) -> None:
    """Session "after_rollback": nothing was written to the outbox after all."""
    session.info.pop(OUTBOX_WRITTEN, None)
