"""POST /api/v1/imports: the wizard's code path over the token API (preview, commit, rights, errors)."""

from __future__ import annotations

import io

import sqlalchemy as sa

from coordhub.extensions import db
from coordhub.registry.models import Project
from tests.interop.helpers import PROJECT_HEADER, PROJECT_HXL, csv_bytes, project_rows


def post(client, headers, data: bytes, **fields):
    return client.post(
        "/api/v1/imports",
        headers=headers,
        content_type="multipart/form-data",
        data={"file": (io.BytesIO(data), "3w.csv"), **fields},
    )


def test_preview_then_commit_over_the_api(world, client, token_for):
    headers = token_for(world.users["focal"])
    data = csv_bytes([PROJECT_HEADER, PROJECT_HXL] + project_rows("NGOA organisation", 3))
    response = post(client, headers, data, kind="projects")
    body = response.get_json()
    assert response.status_code == 200 and body["counts"]["create"] == 3 and not body["committed"]
    assert body["columns"]["organisation"] == "Organisation" and body["rows"][0] == {
        "row": 3,
        "action": "create",
        "label": "Classrooms 0",
        "record_id": None,
    }
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Project)) == 0
    response = post(client, headers, data, kind="projects", commit="true")
    assert response.status_code == 201 and response.get_json()["written"] == {"created": 3, "updated": 0}
    assert post(client, headers, data, kind="projects", commit="true").get_json()["counts"]["unchanged"] == 3


def test_rejected_rows_block_the_commit_and_are_listed(world, client, token_for):
    headers = token_for(world.users["focal"])
    rows = project_rows("NGOA organisation", 3) + project_rows("NGOB organisation", 1, start=3)
    response = post(client, headers, csv_bytes([PROJECT_HEADER, PROJECT_HXL] + rows), kind="projects", commit="true")
    body = response.get_json()
    assert response.status_code == 200 and body["blocked"] and not body["committed"]
    assert body["problems"][0] == {
        "row": 6,
        "column": "Organisation",
        "message": "You cannot register this for that organisation.",
        "value": "NGOB organisation",
        "suggestions": [],
        "severity": "error",
        "cause": "rule:organisation_id",
    }
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Project)) == 0


def test_api_import_errors(world, client, token_for):
    headers = token_for(world.users["focal"])
    data = csv_bytes([PROJECT_HEADER] + project_rows("NGOA organisation", 1))
    assert post(client, {}, data, kind="projects").status_code == 401
    response = post(client, headers, data, kind="organisations")
    assert response.status_code == 403 and "may not import organisations" in response.get_json()["error"]["message"]
    response = post(client, headers, data, kind="widgets")
    assert response.status_code == 422 and response.get_json()["error"]["field"] == "kind"
    response = client.post(
        "/api/v1/imports", headers=headers, data={"kind": "projects"}, content_type="multipart/form-data"
    )
    assert response.status_code == 422 and response.get_json()["error"]["field"] == "file"
    response = post(client, headers, data, kind="projects", default_start="yesterday")
    assert response.status_code == 422 and response.get_json()["error"]["field"] == "default_start"
    response = post(client, headers, data, kind="projects", template="Nope")
    assert response.status_code == 404
    response = post(client, headers, b"\x00\x01garbage", kind="projects")
    assert response.status_code == 200 and response.get_json()["blocked"]
