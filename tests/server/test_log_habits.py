"""Logging habits: a warning for each refused write (rights, stale version, invalid data), for slow database
statements, and a line when a background job starts, ends or fails, with its duration."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from coordhub.extensions import db
from coordhub.jobs.models import JobStatus
from coordhub.jobs.runner import job_handlers, register_job_handler, start_job
from tests import factories
from tests.registry.test_views import project_form


@pytest.fixture
def logs(caplog) -> Iterator[pytest.LogCaptureFixture]:
    """The `coordhub` loggers' records (they do not propagate to the root logger, where caplog listens)."""
    coordhub = logging.getLogger("coordhub")
    coordhub.addHandler(caplog.handler)
    with caplog.at_level(logging.INFO, logger="coordhub"):
        yield caplog
    coordhub.removeHandler(caplog.handler)


def warnings_of(logs: pytest.LogCaptureFixture, logger: str) -> list[logging.LogRecord]:
    return [r for r in logs.records if r.name == logger and r.levelno == logging.WARNING]


def _sum(job, progress):
    return {"total": sum(job.params["numbers"])}


def _fail(job, progress):
    raise ValueError("row 3: not a number")


@pytest.fixture
def log_jobs(app):
    """This module's two job kinds, in the app's job registry for the test only."""
    register_job_handler(app, "test-log-sum", _sum)
    register_job_handler(app, "test-log-fail", _fail)
    yield
    with app.app_context():
        job_handlers().pop("test-log-sum")
        job_handlers().pop("test-log-fail")


def test_a_write_refused_for_rights_is_a_warning_naming_the_path_and_reason(world, client, token_for, logs):
    capacity = factories.make_capacity(world.operation, world.ngo)
    other = token_for(world.users["other_focal"])
    response = client.patch(f"/api/v1/capacities/{capacity.id}", json={"quantity": 5}, headers=other)
    assert response.status_code == 403
    [line] = warnings_of(logs, "coordhub.errors")
    assert line.getMessage().startswith(f"refused PATCH /api/v1/capacities/{capacity.id} (rights): ")
    assert vars(line)["refusal"] == "PermissionDenied" and vars(line)["status"] == 403
    assert vars(line)["user_id"] == world.users["other_focal"].id


def test_a_stale_version_and_invalid_data_are_warnings_too(world, client, token_for, logs):
    capacity = factories.make_capacity(world.operation, world.ngo)
    headers = token_for(world.users["focal"])
    stale = client.patch(
        f"/api/v1/capacities/{capacity.id}", json={"quantity": 40}, headers={**headers, "If-Match": '"7"'}
    )
    invalid = client.patch(f"/api/v1/capacities/{capacity.id}", json={"quantity": "many"}, headers=headers)
    assert (stale.status_code, invalid.status_code) == (409, 422)
    stale_line, invalid_line = warnings_of(logs, "coordhub.errors")
    assert "(stale or busy): version:" in stale_line.getMessage() and vars(stale_line)["refusal"] == "Conflict"
    assert "(invalid): quantity:" in invalid_line.getMessage() and vars(invalid_line)["field"] == "quantity"


def test_a_form_refused_by_the_operation_checks_is_a_warning(world, login, client, logs):
    login(world.users["focal"])
    health_type = factories.resource_type("HEALTH-MOBILE-CLINIC")
    response = client.post("/projects/new", data=project_form(world, resource_type_id=health_type.id))
    assert response.status_code == 200 and "This resource type belongs to the sector" in response.get_data(True)
    [line] = warnings_of(logs, "coordhub.errors")
    assert line.getMessage().startswith("refused POST /projects/new (invalid): ")


def test_a_saved_write_logs_no_warning(world, client, token_for, logs):
    capacity = factories.make_capacity(world.operation, world.ngo)
    response = client.patch(
        f"/api/v1/capacities/{capacity.id}", json={"quantity": 5}, headers=token_for(world.users["focal"])
    )
    assert response.status_code == 200
    assert warnings_of(logs, "coordhub.errors") == []


def test_a_statement_slower_than_the_setting_is_a_warning_with_its_time_and_sql(app, world, config, logs):
    config(SLOW_QUERY_SECONDS=60.0)
    db.session.execute(sa.text("SELECT 1 AS quick_statement"))
    assert warnings_of(logs, "coordhub.server.logs") == []
    config(SLOW_QUERY_SECONDS=1e-9)  # every statement takes longer than a nanosecond
    db.session.execute(sa.text("SELECT 2 AS   watched_statement"), {})
    [line] = [r for r in warnings_of(logs, "coordhub.server.logs") if "watched_statement" in r.getMessage()]
    assert line.getMessage().startswith("slow query: ") and "SELECT 2 AS watched_statement" in line.getMessage()
    assert vars(line)["duration_ms"] >= 0
    config(SLOW_QUERY_SECONDS=0)  # 0: never
    db.session.execute(sa.text("SELECT 3 AS unwatched_statement"))
    assert not [r for r in logs.records if "unwatched_statement" in r.getMessage()]


def test_jobs_log_their_start_and_end_with_durations(world, logs, log_jobs):
    job = start_job("test-log-sum", {"numbers": [1, 2]}, user=world.users["coordinator"])
    db.session.refresh(job)
    assert job.status is JobStatus.finished
    lines = [r for r in logs.records if r.name == "coordhub.jobs.runner" and getattr(r, "job_id", None) == job.id]
    assert [r.getMessage().split(" ")[3] for r in lines] == ["started", "finished"]
    assert (
        vars(lines[1])["duration_s"] >= 0
        and vars(lines[1])["cpu_s"] >= 0
        and vars(lines[1])["job_kind"] == "test-log-sum"
    )
    assert " finished in " in lines[1].getMessage() and lines[1].levelno == logging.INFO


def test_a_failed_job_logs_an_error_with_its_reason_and_duration(world, logs, log_jobs):
    job = start_job("test-log-fail", {}, user=world.users["coordinator"])
    db.session.refresh(job)
    assert job.status is JobStatus.failed
    [failure] = [r for r in logs.records if r.name == "coordhub.jobs.runner" and r.levelno == logging.ERROR]
    assert vars(failure)["job_id"] == job.id and vars(failure)["duration_s"] >= 0
    assert "failed after" in failure.getMessage() and "ValueError: row 3: not a number" in failure.getMessage()
    assert failure.exc_info is not None  # the traceback is in the log, the reason in the job
