"""Who may follow a background job: the person who started it, administrators, and the coordinators of its
operation."""

from __future__ import annotations

from coordhub.jobs.models import Job


def can_see_job(user, job: Job) -> bool:
    return (
        job.user_id == user.id
        or user.is_admin
        or (user.is_coordinator and job.operation is not None and user.can_access(job.operation))
    )
