"""The same file imported twice at the same moment is written once (real concurrent transactions on
PostgreSQL): imports into one operation write one after the other, the second matching what the first wrote."""

from __future__ import annotations

import io

import sqlalchemy as sa

from coordhub.auth.models import User
from coordhub.errors import ValidationError
from coordhub.extensions import db
from coordhub.interop import operations as interop_ops
from coordhub.interop.models import ImportRun, ImportStatus
from coordhub.registry.models import Project
from tests.concurrency import at_once
from tests.interop.helpers import PROJECT_HEADER, PROJECT_HXL, csv_bytes, project_rows


def _without_codes(rows: list[list]) -> list[list]:
    return [row[:3] + row[4:] for row in rows]  # no partner code: rows are matched by their content


def test_the_same_file_posted_twice_at_once_is_written_once(app, world, token_for):
    headers = token_for(world.users["focal"])
    data = csv_bytes(_without_codes([PROJECT_HEADER, PROJECT_HXL] + project_rows("NGOA organisation", 40)))

    def post():
        response = app.test_client().post(
            "/api/v1/imports",
            headers=headers,
            content_type="multipart/form-data",
            data={"file": (io.BytesIO(data), "3w.csv"), "kind": "projects", "commit": "true"},
        )
        return response.status_code, response.get_json()

    results = at_once(app, post, post)
    assert [status for status, _body in results] == [201, 201], results
    written = sorted(body["written"]["created"] for _status, body in results)
    assert written == [0, 40]
    assert sorted(body["counts"]["unchanged"] for _status, body in results) == [0, 40]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Project)) == 40


def test_one_import_committed_twice_at_once_is_written_once(app, world):
    focal = world.users["focal"]
    data = csv_bytes([PROJECT_HEADER, PROJECT_HXL] + project_rows("NGOA organisation", 25))
    run = interop_ops.create_run(focal, world.operation, "projects", "3w.csv", data)
    interop_ops.preview_run(focal, run)

    def commit():
        return interop_ops.commit_run(db.session.get(User, focal.id), db.session.get(ImportRun, run.id)).committed

    results = at_once(app, commit, commit)
    assert True in results, results
    refused = [r for r in results if r is not True]
    assert len(refused) == 1 and isinstance(refused[0], ValidationError)
    assert refused[0].message == "This file was already imported."
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Project)) == 25
    assert db.session.get(ImportRun, run.id).status is ImportStatus.committed
