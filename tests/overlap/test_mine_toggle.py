"""The alerts list's "my organisation" toggle: one click keeps only the alerts about the reader's organisation,
with the other filters; /api/v1/alerts?mine=1 is the same filter."""

from __future__ import annotations

import re

import pytest

from coordhub.api.models import ApiToken
from coordhub.extensions import db
from tests import factories
from tests.overlap.helpers import alert_between, save_project


@pytest.fixture
def api_headers():
    def issue(user) -> dict[str, str]:
        _, plain = ApiToken.issue(user, "tests")
        db.session.commit()
        return {"Authorization": f"Bearer {plain}"}

    return issue


def _alert_links(page: str) -> set[int]:
    return {int(i) for i in re.findall(r'href="/overlaps/(\d+)"', page)}


def test_my_organisation_toggle_on_the_alerts_list_and_in_the_api(world, client, login, api_headers):
    mine = save_project(world.users["focal"], world.operation, ("CF632",))
    theirs = save_project(world.users["other_focal"], world.operation, ("CF632",))
    pref = save_project(world.users["local_focal"], world.operation, ("CF711",), "HEALTH-MOBILE-CLINIC")
    ocha = save_project(world.users["coordinator"], world.operation, ("CF711",), "HEALTH-MOBILE-CLINIC")
    ours, not_ours = alert_between(pref, ocha), alert_between(mine, theirs)
    reader = world.users["coordinator"]  # OCHA's, who sees every alert
    login(reader)
    page = client.get("/overlaps/?state=active").get_data(as_text=True)
    assert _alert_links(page) == {ours.id, not_ours.id}
    toggle = re.search(r'<a class="btn btn-sm btn-outline-primary mine-toggle"[^>]*>', page).group(0)
    assert 'href="/overlaps/?state=active&amp;mine=1"' in toggle and 'aria-pressed="false"' in toggle

    page = client.get("/overlaps/?state=active&mine=1").get_data(as_text=True)
    assert _alert_links(page) == {ours.id}
    assert 'aria-pressed="true"' in page and '<input type="hidden" name="mine" value="1">' in page
    education = factories.sector("EDU").id
    assert _alert_links(client.get(f"/overlaps/?mine=1&sector={education}").get_data(as_text=True)) == set()

    headers = api_headers(reader)
    body = client.get("/api/v1/alerts?mine=1", headers=headers).get_json()
    assert [item["id"] for item in body["items"]] == [ours.id]
    assert client.get("/api/v1/alerts", headers=headers).get_json()["total"] == 2


def test_the_alerts_list_sorts_by_its_columns(world, client, login, api_headers):
    mine = save_project(world.users["focal"], world.operation, ("CF632",))
    save_project(world.users["other_focal"], world.operation, ("CF632",))
    save_project(world.users["focal"], world.operation, ("CF632",))  # a duplicate entry of NGOA's own
    save_project(world.users["other_focal"], world.operation, ("CF63",), "EDU-TEACHER-TRAIN")  # complementary
    save_project(world.users["local_focal"], world.operation, ("CF711",), "HEALTH-MOBILE-CLINIC")
    save_project(world.users["coordinator"], world.operation, ("CF711",), "HEALTH-MOBILE-CLINIC")
    assert mine.id
    headers = api_headers(world.users["coordinator"])

    def listed(sort: str) -> list[dict]:
        return client.get(f"/api/v1/alerts?sort={sort}&per_page=100", headers=headers).get_json()["items"]

    scores = [item["score"] for item in listed("-score")]
    assert len(scores) >= 4 and scores == sorted(scores, reverse=True)
    assert [item["score"] for item in listed("score")] == sorted(scores)
    kinds = [item["kind"] for item in listed("kind")]
    assert kinds == sorted(kinds, key=["overlap", "complementary", "duplicate_entry", "double_count"].index)
    assert len(set(kinds)) >= 2
    areas = [item["shared_area"]["name"].lower() for item in listed("-area")]
    assert areas == sorted(areas, reverse=True) and len(set(areas)) >= 2

    login(world.users["coordinator"])
    page = client.get("/overlaps/?state=active").get_data(as_text=True)
    assert 'href="/overlaps/?state=active&amp;sort=-score"' in page  # the first click: highest score first
    page = client.get("/overlaps/?state=active&sort=-score").get_data(as_text=True)
    header = re.search(r'<th scope="col" aria-sort="descending">.*?</th>', page, re.S).group(0)
    assert "Score" in header and 'href="/overlaps/?state=active&amp;sort=score"' in header
    assert '<input type="hidden" name="sort" value="-score">' in page
