"""Two people saving the same record at the same moment from the same version: one save wins, the other is
refused (real concurrent transactions on PostgreSQL)."""

from __future__ import annotations

from coordhub.auth.models import User
from coordhub.errors import Conflict
from coordhub.extensions import db
from coordhub.registry import operations as ops
from coordhub.registry.models import Operation, Project
from tests import factories
from tests.concurrency import at_once


def _save(user_id: int, project_id: int, title: str):
    def save():
        project = db.session.get(Project, project_id)
        user = db.session.get(User, user_id)
        operation = db.session.get(Operation, project.operation_id)
        return ops.save_record(user, operation, Project, {"title": title, "version": 1}, project).title

    return save


def test_saves_of_the_same_version_at_once_one_wins(app, world):
    project = factories.make_project(world.operation, world.ngo)
    editors = [world.users["focal"], world.users["admin"], world.users["focal"], world.users["admin"]]
    results = at_once(app, *(_save(user.id, project.id, f"Title {n}") for n, user in enumerate(editors)))
    winners = [r for r in results if isinstance(r, str)]
    assert len(winners) == 1, results
    assert all(isinstance(r, Conflict) for r in results if not isinstance(r, str)), results
    saved = db.session.get(Project, project.id)
    assert saved.title == winners[0] and saved.version == 2
