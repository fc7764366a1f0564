"""The rights table: role × action × own/other organisation, checked through rights.py and over HTTP."""

from __future__ import annotations

import pytest

from coordhub.auth import rights
from coordhub.registry.models import Capacity, Need, Project
from tests import factories

# (user key, kind, whose record, allowed?)
CASES = [
    ("admin", Project, "own", True),
    ("admin", Project, "other", True),
    ("admin", Need, "other", True),
    ("admin", Capacity, "other", True),
    ("coordinator", Need, "own", True),
    ("coordinator", Need, "other", True),
    ("coordinator", Project, "own", True),
    ("coordinator", Project, "other", False),
    ("coordinator", Capacity, "other", False),
    ("focal", Project, "own", True),
    ("focal", Project, "other", False),
    ("focal", Capacity, "own", True),
    ("focal", Capacity, "other", False),
    ("focal", Need, "own", False),
    ("focal", Need, "other", False),
    ("local_focal", Need, "own", True),
    ("local_focal", Need, "other", False),
    ("local_focal", Project, "own", True),
    ("local_focal", Project, "other", False),
    ("viewer", Project, "own", False),
    ("viewer", Project, "other", False),
    ("viewer", Need, "own", False),
    ("viewer", Capacity, "own", False),
]


@pytest.mark.parametrize("user_key,kind,whose,allowed", CASES)
def test_rights_table(world, user_key, kind, whose, allowed):
    user = world.users[user_key]
    other = world.other_ngo if user.organisation_id != world.other_ngo.id else world.ngo
    organisation = user.organisation if whose == "own" else other
    assert rights.can_create(user, kind, organisation.id) is allowed
    maker = {Project: factories.make_project, Need: factories.make_need, Capacity: factories.make_capacity}[kind]
    record = maker(world.operation, organisation)
    assert rights.can_edit(user, record) is allowed


URLS = {Project: "projects", Need: "needs", Capacity: "capacities"}


@pytest.mark.parametrize("user_key,kind,whose,allowed", CASES)
def test_rights_enforced_over_http(world, login, user_key, kind, whose, allowed):
    """Editing and archiving through the web is refused with 403 exactly where rights.py says no."""
    user = world.users[user_key]
    other = world.other_ngo if user.organisation_id != world.other_ngo.id else world.ngo
    organisation = user.organisation if whose == "own" else other
    maker = {Project: factories.make_project, Need: factories.make_need, Capacity: factories.make_capacity}[kind]
    record = maker(world.operation, organisation)
    client = login(user)
    slug = URLS[kind]
    edit = client.get(f"/{slug}/{record.id}/edit")
    archive = client.post(f"/{slug}/{record.id}/archive")
    if allowed:
        assert edit.status_code == 200
        assert archive.status_code == 302
    else:
        assert edit.status_code == 403
        assert archive.status_code == 403


def test_sensitive_details_only_for_own_organisation_and_coordinators(world):
    project = factories.make_project(world.operation, world.ngo, sensitive=True)
    assert rights.can_see_details(world.users["focal"], project)
    assert rights.can_see_details(world.users["coordinator"], project)
    assert rights.can_see_details(world.users["admin"], project)
    assert not rights.can_see_details(world.users["other_focal"], project)
    assert not rights.can_see_details(world.users["viewer"], project)


def test_only_admins_manage_users_and_organisations(world):
    assert rights.can_manage_users(world.users["admin"])
    for key in ("coordinator", "focal", "viewer"):
        assert not rights.can_manage_users(world.users[key])
        assert not rights.can_manage_organisations(world.users[key])
        assert not rights.can_view_audit(world.users[key])
