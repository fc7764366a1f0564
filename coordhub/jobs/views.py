"""The job progress page and its JSON twin (polled by the page)."""

from __future__ import annotations

from flask import Blueprint, abort, jsonify, redirect, render_template
from flask_login import current_user, login_required

from coordhub.extensions import db
from coordhub.jobs.models import Job
from coordhub.jobs.rights import can_see_job

bp = Blueprint("jobs", __name__)


def _visible_job(job_id: str) -> Job:
    job = db.session.get(Job, job_id)
    if job is None:
        abort(404)
    if not can_see_job(current_user, job):
        abort(404)
    return job


@bp.route("/jobs/<job_id>")
@login_required
def show(job_id: str):
    """The progress page; a finished job with a result opens its result (with or without JavaScript)."""
    job = _visible_job(job_id)
    if job.status.value == "finished" and job.result_url:
        return redirect(job.result_url)
    return render_template("jobs/show.html", job=job)


@bp.route("/jobs/<job_id>.json")
@login_required
def status(job_id: str):
    return jsonify(_visible_job(job_id).as_dict())
