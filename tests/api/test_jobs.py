"""Long work started through the API answers 202 with the job's address, which can be polled: allocation runs
and imports above the pages' thresholds, and full overlap detection."""

from __future__ import annotations

import io

import sqlalchemy as sa

from coordhub.allocation.models import AllocationRun
from coordhub.extensions import db
from coordhub.interop.models import ImportRun, ImportStatus
from coordhub.registry.models import Project
from tests.allocation.helpers import make_scenario
from tests.interop.helpers import PROJECT_HEADER, PROJECT_HXL, csv_bytes, project_rows


def _poll(client, response, headers) -> dict:
    assert response.status_code == 202, response.get_data(as_text=True)
    location = response.headers["Location"]
    assert location == response.json["url"] and location.startswith("/api/v1/jobs/")
    job = client.get(location, headers=headers)
    assert job.status_code == 200
    return job.json


def test_small_runs_answer_at_once_large_ones_go_to_a_job(app, world, client, token_for, config):
    make_scenario(world)
    headers = token_for(world.users["coordinator"])
    assert client.post("/api/v1/allocation-runs", json={}, headers=headers).status_code == 201
    config(ALLOCATION_BACKGROUND_THRESHOLD=1)
    bad = client.post("/api/v1/allocation-runs", json={"policy": {"min_local_share": 7}}, headers=headers)
    assert bad.status_code == 422  # settings are checked before anything is queued
    job = _poll(client, client.post("/api/v1/allocation-runs", json={"note": "big"}, headers=headers), headers)
    focal = token_for(world.users["focal"])
    refused = client.post("/api/v1/allocation-runs", json={}, headers=focal)
    assert refused.status_code == 403
    assert job["status"] == "finished" and job["kind"] == "allocation"
    run = db.session.get(AllocationRun, job["result"]["run_id"])
    assert run.note == "big" and client.get(f"/api/v1/allocation-runs/{run.id}", headers=headers).status_code == 200
    # Others cannot follow someone else's job.
    assert client.get(job["url"], headers=token_for(world.users["focal"])).status_code == 404
    assert client.get("/api/v1/jobs/nope%00", headers=headers).status_code == 404


def test_large_api_imports_go_to_a_job(app, world, client, token_for, config):
    headers = token_for(world.users["focal"])
    data = csv_bytes([PROJECT_HEADER, PROJECT_HXL] + project_rows("NGOA organisation", 12))
    config(IMPORT_BACKGROUND_ROWS=10)
    response = client.post(
        "/api/v1/imports",
        headers=headers,
        content_type="multipart/form-data",
        data={"file": (io.BytesIO(data), "3w.csv"), "kind": "projects", "commit": "true"},
    )
    job = _poll(client, response, headers)
    assert job["status"] == "finished" and job["result"]["committed"] is True
    report = client.get(f"/api/v1/imports/{job['result']['import_id']}", headers=headers).json
    assert report["status"] == "committed" and report["report"]["written"] == {"created": 12, "updated": 0}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Project)) == 12
    assert db.session.get(ImportRun, job["result"]["import_id"]).status is ImportStatus.committed


def test_full_detection_through_the_api(world, client, token_for):
    headers = token_for(world.users["coordinator"])
    job = _poll(client, client.post("/api/v1/overlap-detection", headers=headers), headers)
    assert job["kind"] == "overlap-detection" and job["status"] == "finished"
    assert client.post("/api/v1/overlap-detection", headers=token_for(world.users["focal"])).status_code == 403
