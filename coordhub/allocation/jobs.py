"""Allocation runs on large operations as background jobs, with the core's progress on the job page."""

from __future__ import annotations

from coordhub.allocation.operations import run_allocation
from coordhub.auth.models import User
from coordhub.extensions import db
from coordhub.jobs.models import Job
from coordhub.registry.models import Operation

JOB_KIND = "allocation"


def allocation_job(job: Job, progress) -> dict:
    """params: operation_id, settings (policy settings as stored with a run), note, runs_url (the runs list's
    address: the run's page is below it). The result sends the user to the stored run."""
    operation = db.session.get(Operation, job.params["operation_id"])
    if operation is None:
        raise LookupError(f"operation {job.params['operation_id']} no longer exists")
    user = db.session.get(User, job.user_id) if job.user_id is not None else None
    run = run_allocation(
        user, operation, job.params["settings"], job.params.get("note", ""), progress=progress, job_id=job.id
    )
    return {"run_id": run.id, "status": run.status.value, "result_url": f"{job.params['runs_url']}{run.id}"}
