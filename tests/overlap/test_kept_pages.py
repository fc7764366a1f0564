"""The gap matrix kept between requests (until a change that can change a cell), and the inbox badge's limit."""

from __future__ import annotations

import re
from datetime import date

import pytest
from redis import Redis

from coordhub.extensions import db
from coordhub.overlap import matrix, views
from coordhub.registry import operations as ops
from coordhub.registry.models import Need
from tests import factories
from tests.overlap.helpers import save_project


def _cell(page: str, area: str) -> str:
    body = page.split("<tbody>", 1)[1]
    rows = {m.group(1): m.group(2) for m in re.finditer(r'<th class="area">([^<]+)</th>(.*?)</tr>', body, re.S)}
    return rows[area]


@pytest.fixture
def computed(monkeypatch) -> list[int]:
    """How many times the matrix was computed (rather than taken as kept)."""
    calls: list[int] = []
    compute = matrix._gap_cells

    def counting(*args, **kwargs):
        calls.append(1)
        return compute(*args, **kwargs)

    monkeypatch.setattr(matrix, "_gap_cells", counting)
    return calls


def test_the_gap_matrix_is_kept_until_a_change_that_can_change_a_cell(world, client, login, computed):
    need = factories.make_need(world.operation, world.local_authority, "CF711", "HEALTH-MOBILE-CLINIC")
    login(world.users["viewer"])
    bria = "Bria (CF711)"
    assert 'class="need-gap gap"' in _cell(client.get("/gaps/?level=2").get_data(as_text=True), bria)
    assert 'class="need-gap gap"' in _cell(client.get("/gaps/?level=2").get_data(as_text=True), bria)
    assert len(computed) == 1
    # a project in the cell: the gap is filled at once
    clinic = save_project(world.users["focal"], world.operation, ("CF711",), "HEALTH-MOBILE-CLINIC")
    assert 'class="need-covered"' in _cell(client.get("/gaps/?level=2").get_data(as_text=True), bria)
    assert len(computed) == 2
    # a new title or end date cannot change a cell: the kept matrix is shown
    save_project(world.users["focal"], world.operation, None, None, clinic, title="Clinic", end_date=date(2026, 12, 31))
    assert 'class="need-covered"' in _cell(client.get("/gaps/?level=2").get_data(as_text=True), bria)
    assert len(computed) == 2
    # what can: the project completed, archived or moved; the need's quantity or status
    save_project(world.users["focal"], world.operation, None, None, clinic, status="completed")
    assert 'class="need-gap gap"' in _cell(client.get("/gaps/?level=2").get_data(as_text=True), bria)
    save_project(world.users["focal"], world.operation, None, None, clinic, status="ongoing")
    assert 'class="need-covered"' in _cell(client.get("/gaps/?level=2").get_data(as_text=True), bria)
    ops.set_archived(world.users["focal"], clinic, True)
    assert 'class="need-gap gap"' in _cell(client.get("/gaps/?level=2").get_data(as_text=True), bria)
    ops.set_archived(world.users["focal"], clinic, False)
    save_project(world.users["focal"], world.operation, ("CF632",), None, clinic)
    assert 'class="need-gap gap"' in _cell(client.get("/gaps/?level=2").get_data(as_text=True), bria)
    count = len(computed)
    need = db.session.get(Need, need.id)
    ops.save_record(world.users["coordinator"], world.operation, Need, {"status": "met"}, need)
    assert bria not in client.get("/gaps/?level=2").get_data(as_text=True)  # nothing unmet left there
    assert len(computed) == count + 1
    # each reader who may see other things has a matrix of their own; the same reader again takes it as kept
    login(world.users["focal"])
    client.get("/gaps/?level=2")
    client.get("/gaps/?level=2")
    assert len(computed) == count + 2


def test_the_gap_matrix_is_kept_in_redis_when_there_is_one(world, client, login, computed, redis_url, monkeypatch):
    redis = Redis.from_url(redis_url)
    monkeypatch.setattr(matrix, "_redis", lambda: redis)  # as with REDIS_URL set (sessions aside)
    factories.make_need(world.operation, world.local_authority, "CF711", "HEALTH-MOBILE-CLINIC")
    login(world.users["viewer"])
    first = client.get("/gaps/?level=2").get_data(as_text=True).split("<tbody>", 1)[1]
    matrix._KEPT.clear()  # not this process's memory: Redis, which every web process reads
    again = client.get("/gaps/?level=2").get_data(as_text=True).split("<tbody>", 1)[1]
    assert again == first and 'class="need-gap gap"' in again and len(computed) == 1
    keys = redis.keys(f"coordhub:gaps:{world.operation.id}:2:*")
    assert keys and not matrix._KEPT
    redis.delete(*keys)


def test_the_inbox_badge_counts_up_to_its_limit(world, client, login, monkeypatch):
    focal, other = world.users["focal"], world.users["other_focal"]
    save_project(focal, world.operation, ("CF632",))
    for number in range(3):
        save_project(other, world.operation, ("CF632",), title=f"Classrooms {number}")
    login(focal)
    badge = re.compile(r'My alerts\s*<span class="badge[^>]*>([^<]+)</span>')
    assert badge.search(client.get("/").get_data(as_text=True)).group(1) == "3"
    monkeypatch.setattr(views, "BADGE_LIMIT", 3)
    assert badge.search(client.get("/").get_data(as_text=True)).group(1) == "2+"
    assert "3 found" in client.get("/overlaps/inbox").get_data(as_text=True)  # the inbox counts them all
