"""Large imports run as background jobs (preview or commit), with progress on the job page."""

from __future__ import annotations

from coordhub.auth.models import User
from coordhub.extensions import db
from coordhub.interop import operations as interop_ops
from coordhub.interop.models import ImportRun
from coordhub.jobs.models import Job

JOB_KIND = "import"


def import_job(job: Job, progress) -> dict:
    """params: run_id and commit (bool). The run keeps the report; the job's result holds the counts."""
    run = db.session.get(ImportRun, job.params["run_id"])
    user = db.session.get(User, job.user_id)
    if job.params.get("commit"):
        report = interop_ops.commit_run(user, run, progress)
    else:
        report = interop_ops.preview_run(user, run, progress)
    return {"import_id": run.id, "counts": report.counts, "committed": report.committed, "blocked": report.blocked}
