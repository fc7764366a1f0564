"""Background jobs: eager, thread and RQ (real Redis) dispatch, progress, failures, and the progress page."""

from __future__ import annotations

import threading

import pytest

from coordhub.extensions import db
from coordhub.jobs.models import Job, JobStatus
from coordhub.jobs.runner import job_handlers, register_job_handler, start_job

SEEN: list[float] = []


def _sum_handler(job, progress):
    total = 0
    numbers = job.params["numbers"]
    for index, number in enumerate(numbers, start=1):
        total += number
        SEEN.append(index / len(numbers))
        progress(index / len(numbers), f"{index} of {len(numbers)} added")
    return {"total": total, "result_url": "/"}


def _failing_handler(job, progress):
    progress(0.5, "half way")
    raise ValueError("row 7, column 'quantity': not a number")


@pytest.fixture(autouse=True)
def _test_handlers(app):
    """Two job kinds of this module's own, in the app's job registry for each test only."""
    register_job_handler(app, "test-sum", _sum_handler)
    register_job_handler(app, "test-fail", _failing_handler)
    yield
    job_handlers_of(app).pop("test-sum")
    job_handlers_of(app).pop("test-fail")


def job_handlers_of(app):
    with app.app_context():
        return job_handlers()


def test_eager_job_finishes_with_result(world):
    job = start_job("test-sum", {"numbers": [1, 2, 3]}, user=world.users["coordinator"], operation=world.operation)
    db.session.refresh(job)
    assert job.status is JobStatus.finished and job.result["total"] == 6 and job.progress == 1
    assert job.result_url == "/" and job.finished_at is not None


def test_failed_job_keeps_a_readable_reason(world):
    job = start_job("test-fail", {}, user=world.users["coordinator"])
    db.session.refresh(job)
    assert job.status is JobStatus.failed
    assert "row 7, column 'quantity'" in job.error


def test_thread_mode_runs_in_the_background(world, app):
    app.config["JOBS_MODE"] = "thread"
    try:
        job = start_job("test-sum", {"numbers": list(range(10))}, user=world.users["coordinator"])
        for thread in threading.enumerate():
            if thread.name == f"job-{job.id}":
                thread.join(timeout=30)
    finally:
        app.config["JOBS_MODE"] = "eager"
    db.session.expire_all()
    assert db.session.get(Job, job.id).result == {"total": 45, "result_url": "/"}


def test_rq_mode_with_a_real_redis_worker(world, app, redis_url):
    from redis import Redis
    from rq import Queue, SimpleWorker

    redis = Redis.from_url(redis_url)
    redis.ping()  # .ci/services guarantees Redis; a failure here is a real failure, not a skip
    queue = Queue("coordhub", connection=redis)
    queue.empty()
    app.config.update(REDIS_URL=redis_url, JOBS_MODE="thread")
    try:
        job = start_job("test-sum", {"numbers": [5, 6]}, user=world.users["coordinator"])
        assert db.session.get(Job, job.id).status is JobStatus.queued
        assert queue.count == 1
        SimpleWorker([queue], connection=redis).work(burst=True)
    finally:
        app.config.update(REDIS_URL=None, JOBS_MODE="eager")
        queue.empty()
    db.session.expire_all()
    finished = db.session.get(Job, job.id)
    assert finished.status is JobStatus.finished and finished.result["total"] == 11


def test_progress_page_and_json_only_for_owner_and_coordinators(world, login, client):
    job = start_job("test-sum", {"numbers": [1]}, user=world.users["focal"], operation=world.operation)
    login(world.users["focal"])
    assert client.get(f"/jobs/{job.id}.json").get_json()["status"] == "finished"
    opened = client.get(f"/jobs/{job.id}")  # a finished job opens its result
    assert opened.status_code == 302 and opened.headers["Location"] == job.result_url
    running = start_job("test-sum", {"numbers": [1]}, user=world.users["focal"], operation=world.operation)
    running.status, running.progress = JobStatus.running, 0.4
    db.session.commit()
    page = client.get(f"/jobs/{running.id}").get_data(as_text=True)
    assert "40%" in page and 'id="job-link" hidden' in page
    login(world.users["coordinator"])
    assert client.get(f"/jobs/{job.id}.json").status_code == 200
    login(world.users["other_focal"])
    assert client.get(f"/jobs/{job.id}").status_code == 404
    assert client.get(f"/jobs/{job.id}.json").status_code == 404


def test_unknown_kind_is_refused(world):
    with pytest.raises(KeyError):
        start_job("no-such-kind", {})
    assert "test-sum" in job_handlers()
