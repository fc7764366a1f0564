"""/api/v1/jobs: follow long work started through the API (a large allocation run or import, full overlap
detection), which answers 202 with the job's address instead of holding the web process."""

from __future__ import annotations

from flask import jsonify, url_for

from coordhub.api.core import api_route
from coordhub.api.openapi import EXTRA_PATHS, EXTRA_SCHEMAS, _error_responses, _json, _ref
from coordhub.errors import NotFound
from coordhub.extensions import db
from coordhub.jobs.models import Job
from coordhub.jobs.rights import can_see_job


def serialise_job(job: Job) -> dict:
    return {
        **job.as_dict(),
        "url": url_for("api.read_job", job_id=job.id),
        "result": job.result or {},
        "operation_id": job.operation_id,
    }


def job_accepted(job: Job):
    """The answer to a request whose work went to a background job: 202, Location and the job as JSON."""
    response = jsonify(serialise_job(job))
    response.headers["Location"] = url_for("api.read_job", job_id=job.id)
    return response, 202


@api_route("/jobs/<job_id>", methods=["GET"])
def read_job(job_id: str, user):
    job = db.session.get(Job, job_id) if job_id.isascii() and job_id.isalnum() and len(job_id) <= 32 else None
    if job is None or not can_see_job(user, job):
        raise NotFound(f"No job {job_id} that you can see.")
    return jsonify(serialise_job(job))


EXTRA_SCHEMAS["Job"] = {
    "type": "object",
    "required": ["id", "kind", "status", "progress", "url", "result"],
    "properties": {
        "id": {"type": "string"},
        "kind": {"type": "string"},
        "operation_id": {"type": ["integer", "null"]},
        "status": {"type": "string", "enum": ["queued", "running", "finished", "failed"]},
        "progress": {"type": "number", "minimum": 0, "maximum": 1},
        "message": {"type": "string"},
        "error": {"type": "string"},
        "url": {"type": "string", "description": "this job in the API (poll it)"},
        "result_url": {"type": "string", "description": "the page of the result, once finished"},
        "result": {
            "type": "object",
            "description": "once finished: e.g. run_id of an allocation run, import_id "
            "and counts of an import, alert counts of a detection",
        },
        "created_at": {"type": "string"},
        "finished_at": {"type": ["string", "null"]},
    },
}
ACCEPTED = {
    "description": "Large work: queued as a background job. Poll the job (Location header, `url`) until "
    "its status is finished or failed; `result` then names what it stored.",
    "headers": {"Location": {"description": "/api/v1/jobs/{job_id}", "schema": {"type": "string"}}},
    "content": {"application/json": {"schema": _ref("Job")}},
}
EXTRA_PATHS["/jobs/{job_id}"] = {
    "get": {
        "summary": "A background job's status, progress and result (its starter, administrators, the operation's "
        "coordinators)",
        "tags": ["jobs"],
        "parameters": [{"name": "job_id", "in": "path", "required": True, "schema": {"type": "string"}}],
        "responses": {"200": _json(_ref("Job")), **_error_responses(401, 404)},
    }
}
