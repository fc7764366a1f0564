"""Who sees which alert (pages and API), who changes it, and what a sensitive entry shows to others."""

from __future__ import annotations

from coordhub.overlap.models import AlertState
from tests.overlap.helpers import alert_between, save_project


def _ids(response) -> set[int]:
    return {item["id"] for item in response.get_json()["items"]}


def test_partners_see_alerts_of_their_own_organisation_only_unless_coordinator(world, client, login, token_for):
    focal, other, local, coordinator = (world.users[n] for n in ("focal", "other_focal", "local_focal", "coordinator"))
    ngo_a = save_project(focal, world.operation, ("CF632",), title="NGOA classrooms")
    ngo_b = save_project(other, world.operation, ("CF711",), title="NGOB classrooms in Bria")
    pref = save_project(local, world.operation, ("CF711",), title="Prefecture classrooms in Bria")
    ocha = save_project(coordinator, world.operation, ("CF63",), title="OCHA-run classrooms")
    a_ocha, b_pref = alert_between(ngo_a, ocha), alert_between(ngo_b, pref)
    assert a_ocha and b_pref and alert_between(ngo_a, ngo_b) is None
    expected = {
        "focal": {a_ocha.id},
        "other_focal": {b_pref.id},
        "viewer": {b_pref.id},  # viewer works for NGOB
        "local_focal": {b_pref.id},
        "coordinator": {a_ocha.id, b_pref.id},
        "admin": {a_ocha.id, b_pref.id},
        "outsider": set(),
    }
    for name, ids in expected.items():
        user = world.users[name]
        headers = token_for(user)
        listed = client.get(f"/api/v1/alerts?operation={world.operation.id}", headers=headers)
        if name == "outsider":
            assert listed.status_code == 404  # not a member of that operation
            assert client.get(f"/api/v1/alerts/{a_ocha.id}", headers=headers).status_code == 404
            continue
        assert _ids(listed) == ids, name
        for alert in (a_ocha, b_pref):
            code = client.get(f"/api/v1/alerts/{alert.id}?operation={world.operation.id}", headers=headers).status_code
            assert code == (200 if alert.id in ids else 404), (name, alert)
        login(user)
        page = client.get("/overlaps/").get_data(as_text=True)
        for alert in (a_ocha, b_pref):
            assert (f"/overlaps/{alert.id}\"" in page) == (alert.id in ids), (name, alert)
            assert client.get(f"/overlaps/{alert.id}").status_code == (200 if alert.id in ids else 404)
    login(world.users["outsider"])
    assert client.get(f"/overlaps/{a_ocha.id}").status_code in (403, 404)
    assert f"/overlaps/{a_ocha.id}" not in client.get("/overlaps/").get_data(as_text=True)


def test_viewers_and_other_focal_points_cannot_change_state(world, client, login, token_for):
    mine = save_project(world.users["focal"], world.operation, ("CF632",))
    theirs = save_project(world.users["other_focal"], world.operation, ("CF632",))
    alert = alert_between(mine, theirs)
    body = {"state": "acknowledged", "comment": "Seen"}
    viewer = token_for(world.users["viewer"])  # NGOB viewer: sees it, may not change it
    response = client.post(f"/api/v1/alerts/{alert.id}/transition", headers=viewer, json=body)
    assert response.status_code == 403
    local = token_for(world.users["local_focal"])  # another organisation's focal point: does not even see it
    assert client.post(f"/api/v1/alerts/{alert.id}/transition", headers=local, json=body).status_code == 404
    login(world.users["viewer"])
    page = client.get(f"/overlaps/{alert.id}").get_data(as_text=True)
    assert "Change the state" not in page
    assert client.post(f"/overlaps/{alert.id}/state", data=body).status_code == 403
    assert alert.state is AlertState.open
    login(world.users["other_focal"])
    assert "Change the state" in client.get(f"/overlaps/{alert.id}").get_data(as_text=True)


def test_a_sensitive_entry_shows_only_that_it_exists_in_that_sector_and_area(world, client, login, token_for):
    mine = save_project(world.users["focal"], world.operation, ("CF632",), title="Ordinary classrooms")
    secret = save_project(
        world.users["other_focal"],
        world.operation,
        ("CF632",),
        "PROT-PSS",
        title="Safe house for survivors",
        sensitive=True,
    )
    ordinary = save_project(
        world.users["focal"], world.operation, ("CF632",), "PROT-PSS", title="Psychosocial support at the school"
    )
    alert = alert_between(ordinary, secret)
    assert alert is not None and alert_between(mine, secret) is None
    assert "NGOB" in alert.explanation  # stored in full, for those who may see it

    login(world.users["focal"])  # NGOA: sees the alert (its own project), not who or what is behind the other
    for url in (f"/overlaps/{alert.id}", "/overlaps/", "/overlaps/inbox", f"/projects/{ordinary.id}"):
        page = client.get(url).get_data(as_text=True)
        content = page.split("<table", 1)[-1] if "<table" in page else page  # lists: past the filter choices
        assert "Safe house" not in page and "NGOB" not in content, url
        assert "sensitive entry" in page, url
    page = client.get(f"/overlaps/{alert.id}").get_data(as_text=True)
    assert "Protection and victim support" in page and "Bozoum (CF632)" in page
    body = client.get(f"/api/v1/alerts/{alert.id}", headers=token_for(world.users["focal"])).get_json()
    text = str(body)
    assert "Safe house" not in text and "NGOB" not in text and f"'organisation_id': {world.other_ngo.id}" not in text
    hidden = next(p for p in body["projects"] if p["id"] == secret.id)
    assert hidden == {"id": secret.id, "sensitive": True, "details_restricted": True}
    assert body["days"] is None and body["overlap_start"] is None
    # filtering by the hidden organisation does not reveal the entry either
    by_org = client.get(f"/api/v1/alerts?organisation={world.other_ngo.id}", headers=token_for(world.users["focal"]))
    assert by_org.get_json()["items"] == []

    for name in ("other_focal", "coordinator"):  # the owner and coordinators see everything
        login(world.users[name])
        page = client.get(f"/overlaps/{alert.id}").get_data(as_text=True)
        assert "Safe house for survivors" in page and "NGOB" in page, name


def test_the_history_does_not_name_who_is_behind_a_sensitive_entry(world, client, login, token_for):
    ordinary = save_project(world.users["focal"], world.operation, ("CF632",), "PROT-PSS", title="School support")
    secret = save_project(
        world.users["other_focal"], world.operation, ("CF632",), "PROT-PSS", title="Safe house", sensitive=True
    )
    alert = alert_between(ordinary, secret)
    login(world.users["other_focal"])  # NGOB, owner of the sensitive entry, acknowledges
    client.post(f"/overlaps/{alert.id}/state", data={"state": "acknowledged", "comment": "We will talk."})
    page = client.get(f"/overlaps/{alert.id}").get_data(as_text=True)
    assert "focal_point of NGOB (NGOB)" in page  # the owner sees its own name
    login(world.users["focal"])
    page = client.get(f"/overlaps/{alert.id}").get_data(as_text=True)
    assert "We will talk." in page and "someone of the organisation behind the sensitive entry" in page
    assert "NGOB" not in page
    events = client.get(f"/api/v1/alerts/{alert.id}", headers=token_for(world.users["focal"])).get_json()["events"]
    assert events[-1]["comment"] == "We will talk." and events[-1]["user_id"] is None
    login(world.users["coordinator"])
    assert "focal_point of NGOB (NGOB)" in client.get(f"/overlaps/{alert.id}").get_data(as_text=True)
