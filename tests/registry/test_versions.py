"""Optimistic concurrency: records carry a version, a save prepared from an older one is refused (forms and API)."""

from __future__ import annotations

import re

import sqlalchemy as sa

from coordhub.errors import Conflict
from coordhub.extensions import db
from coordhub.registry import operations as ops
from coordhub.registry.models import Need, Project
from tests import factories
from tests.registry.test_views import project_form


def _version_in(page: str) -> str:
    return re.search(r'name="version" type="hidden" value="(\d+)"', page).group(1)


def test_every_write_adds_one_to_the_version(world):
    project = factories.make_project(world.operation, world.ngo)
    assert project.version == 1
    ops.save_record(world.users["focal"], world.operation, Project, {"title": "Renamed"}, project)
    assert project.version == 2
    ops.save_record(world.users["focal"], world.operation, Project, {"title": "Renamed"}, project)
    assert project.version == 2  # nothing changed, nothing written
    ops.set_archived(world.users["focal"], project, True)
    assert project.version == 3


def test_a_stale_version_is_refused_with_who_and_when(world):
    need = factories.make_need(world.operation, world.ngo)
    coordinator = world.users["coordinator"]
    ops.save_record(coordinator, world.operation, Need, {"quantity": 12.0, "version": 1}, need)
    try:
        ops.save_record(world.users["admin"], world.operation, Need, {"quantity": 15.0, "version": "1"}, need)
    except Conflict as error:
        assert coordinator.name in error.message and error.field == "version"
        assert error.current["version"] == 2 and error.current["state"]["quantity"] == 12.0
    else:
        raise AssertionError("the stale save went through")
    assert db.session.get(Need, need.id).quantity == 12.0


def test_two_people_editing_the_same_project_through_the_form(world, login, client):
    project = factories.make_project(world.operation, world.ngo, code="NGOA-001", title="Classrooms in Bozoum")
    login(world.users["focal"])
    page = client.get(f"/projects/{project.id}/edit").get_data(as_text=True)
    assert _version_in(page) == "1"
    # Meanwhile a colleague renames it and changes the budget.
    ops.save_record(
        world.users["admin"], world.operation, Project, {"title": "Schools of Bozoum", "budget": 5000.0}, project
    )
    response = client.post(
        f"/projects/{project.id}/edit", data=project_form(world, title="Classrooms, Bozoum", version="1")
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "Not saved." in page
    assert f"changed by {world.users['admin'].name}" in page
    assert "Schools of Bozoum" in page and "Classrooms, Bozoum" in page  # theirs next to mine
    assert _version_in(page) == "2"
    db.session.expire_all()
    assert db.session.get(Project, project.id).title == "Schools of Bozoum"
    # Having seen their values, saving again keeps mine.
    response = client.post(
        f"/projects/{project.id}/edit", data=project_form(world, title="Classrooms, Bozoum", version=_version_in(page))
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Project, project.id).title == "Classrooms, Bozoum"
    assert "version 3" in client.get(f"/projects/{project.id}").get_data(as_text=True)


def test_bulk_writes_refuse_records_changed_since_they_were_prepared(world):
    """write_records (imports) updates a record only if it still has the version it was prepared from."""
    focal = world.users["focal"]
    first, second = (factories.make_project(world.operation, world.ngo) for _ in range(2))
    prepared = [
        ops.prepare_record(focal, world.operation, Project, {"title": f"Bulk {p.id}"}, ops.record_state(p))
        for p in (first, second)
    ]
    ops.save_record(world.users["admin"], world.operation, Project, {"title": "Changed meanwhile"}, second)
    try:
        ops.write_records(focal, world.operation, Project, prepared)
    except Conflict as error:
        assert error.current["record"].id == second.id
    else:
        raise AssertionError("the bulk write overwrote a newer version")
    db.session.expire_all()
    titles = set(db.session.scalars(sa.select(Project.title)))
    assert titles == {first.title, "Changed meanwhile"}
    prepared = [
        ops.prepare_record(focal, world.operation, Project, {"title": f"Bulk {p.id}"}, ops.record_state(p))
        for p in db.session.scalars(sa.select(Project))
    ]
    assert ops.write_records(focal, world.operation, Project, prepared) == (0, 2)
    assert set(db.session.scalars(sa.select(Project.version))) == {2, 3}
