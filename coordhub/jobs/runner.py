"""Starting jobs and running them: the handler registry, RQ or thread dispatch, progress reporting."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from flask import Flask, current_app, has_app_context

from coordhub.database import utcnow
from coordhub.extensions import db
from coordhub.jobs.models import Job, JobStatus

log = logging.getLogger(__name__)

# kind -> handler(job, progress) returning the result dict. The handler may write to the database; it
# must not leave uncommitted writes while it reports progress (progress commits the session).
Handler = Callable[[Job, Callable[[float, str], None]], dict]
QUEUE_NAME = "coordhub"
HANDLERS_KEY = "coordhub.jobs"


def register_job_handler(app: Flask, kind: str, handler: Handler) -> None:
    """Let jobs of `kind` run `handler` in `app` (coordhub.wiring declares the application's handlers)."""
    app.extensions.setdefault(HANDLERS_KEY, {})[kind] = handler


def job_handlers() -> dict[str, Handler]:
    """The current app's job handlers: kind -> handler."""
    return current_app.extensions.get(HANDLERS_KEY, {})


def start_job(kind: str, params: dict[str, Any], user=None, operation=None, result_url: str = "") -> Job:
    """Store a queued job and dispatch it: RQ when REDIS_URL is set, else a thread ('eager' in tests)."""
    if kind not in job_handlers():
        raise KeyError(f"no job handler for {kind!r}")
    job = Job(
        kind=kind,
        params=params,
        user_id=getattr(user, "id", None),
        operation_id=getattr(operation, "id", None),
        result_url=result_url,
        message="Queued",
    )
    db.session.add(job)
    db.session.commit()
    mode = current_app.config.get("JOBS_MODE", "thread")
    if current_app.config.get("REDIS_URL") and mode != "eager":
        from redis import Redis
        from rq import Queue

        queue = Queue(QUEUE_NAME, connection=Redis.from_url(current_app.config["REDIS_URL"]))
        queue.enqueue(
            "coordhub.jobs.runner.run_job",
            job.id,
            job_timeout=current_app.config.get("JOB_TIMEOUT", 3600),
            result_ttl=3600,
        )
    elif mode == "eager":
        run_job(job.id)
    else:
        app = current_app._get_current_object()
        threading.Thread(target=_run_in_app, args=(app, job.id), name=f"job-{job.id}", daemon=True).start()
    return job


def _run_in_app(app: Flask, job_id: str) -> None:
    with app.app_context():
        run_job(job_id)
        db.session.remove()


def run_job(job_id: str) -> None:
    """Run a stored job to its end (called by RQ workers, threads, or directly)."""
    if not has_app_context():  # an RQ worker process: build the app from the environment
        from coordhub import create_app

        with create_app().app_context():
            return run_job(job_id)
    job = db.session.get(Job, job_id)
    if job is None:
        log.error("job %s vanished", job_id)
        return
    job.status, job.started_at, job.message = JobStatus.running, utcnow(), "Started"
    db.session.commit()
    last_write = [0.0]

    def progress(fraction: float, message: str = "") -> None:
        now = time.monotonic()
        if now - last_write[0] < 0.25 and fraction < 1:
            return  # at most four writes a second
        last_write[0] = now
        job.progress = min(max(float(fraction), 0.0), 1.0)
        job.message = message[:300]
        db.session.commit()

    try:
        result = job_handlers()[job.kind](job, progress)
    except Exception as error:  # the job failed: keep the reason for the user, roll back its writes
        db.session.rollback()
        log.exception("job %s (%s) failed", job_id, job.kind)
        job = db.session.get(Job, job_id)
        job.status, job.error = JobStatus.failed, f"{type(error).__name__}: {error}"
        job.message, job.finished_at = "Failed", utcnow()
        _tell_starter(job)
        db.session.commit()
        return
    job.result = result or {}
    job.status, job.progress, job.message, job.finished_at = JobStatus.finished, 1.0, "Finished", utcnow()
    if isinstance(result, dict) and result.get("result_url"):
        job.result_url = result["result_url"]
    _tell_starter(job)
    db.session.commit()


def _tell_starter(job: Job) -> None:
    from coordhub.notifications.events import job_done

    job_done(job)
