"""/api/v1/alerts (list, read, transition), /api/v1/clusters and /api/v1/gaps."""

from __future__ import annotations

from coordhub.extensions import db
from coordhub.overlap.models import AlertState
from tests import factories
from tests.overlap.helpers import alert_between, save_project


def test_alerts_list_with_filters_and_pagination(world, client, token_for):
    for number in range(4):
        save_project(world.users["other_focal"], world.operation, ("CF632",), title=f"Classrooms {number}")
    mine = save_project(world.users["focal"], world.operation, ("CF711",), "HEALTH-MOBILE-CLINIC")
    theirs = save_project(world.users["other_focal"], world.operation, ("CF71",), "HEALTH-MOBILE-CLINIC")
    headers = token_for(world.users["coordinator"])
    body = client.get("/api/v1/alerts?per_page=4", headers=headers).get_json()
    assert (body["total"], body["pages"], len(body["items"])) == (7, 2, 4)  # 6 duplicate entries + 1 overlap
    assert [i["score"] for i in body["items"]] == sorted((i["score"] for i in body["items"]), reverse=True)
    body = client.get(f"/api/v1/alerts?sector={factories.sector('HEALTH').id}", headers=headers).get_json()
    [item] = body["items"]
    assert item["id"] == alert_between(mine, theirs).id and item["kind"] == "overlap" and item["state"] == "open"
    assert item["shared_area"]["pcode"] == "CF711" and [p["id"] for p in item["projects"]] == [mine.id, theirs.id]
    assert item["days"] == 122 and item["overlap_start"] == "2026-03-01" and "NGOA and NGOB" in item["explanation"]
    for query, total in (
        ("kind=duplicate_entry", 6),
        ("kind=double count", 0),
        ("min_score=0.9", 6),
        (f"area={factories.area(world.operation, 'CF71').id}", 1),
        (f"organisation={world.ngo.id}", 1),
        ("state=active", 7),
        ("state=resolved", 0),
        (f"project={mine.id}", 1),
        ("unread=1", 7),
        ("inbox=1", 0),
    ):
        assert client.get(f"/api/v1/alerts?{query}", headers=headers).get_json()["total"] == total, query


def test_read_and_transition_an_alert(world, client, token_for):
    mine = save_project(world.users["focal"], world.operation, ("CF632",))
    theirs = save_project(world.users["other_focal"], world.operation, ("CF632",))
    alert = alert_between(mine, theirs)
    headers = token_for(world.users["focal"])
    body = client.get(f"/api/v1/alerts/{alert.id}", headers=headers).get_json()
    assert [e["comment"] for e in body["events"]] == ["Raised by overlap detection."]
    assert body["events"][0]["by_detection"] and body["events"][0]["user_id"] is None
    url = f"/api/v1/alerts/{alert.id}/transition"
    for bad, field, status in (
        ({"state": "resolved", "comment": "ok"}, "resolution", 422),
        ({"state": "acknowledged"}, "comment", 422),
        ({"state": "acknowledged", "comment": "ok", "extra": 1}, "extra", 422),
        ({"state": 3, "comment": "ok"}, "state", 422),
    ):
        response = client.post(url, headers=headers, json=bad)
        assert response.status_code == status and response.get_json()["error"]["field"] == field, bad
    assert client.post(url, headers=headers, data="nope").status_code == 422
    response = client.post(
        url,
        headers=headers,
        json={"state": "resolved", "resolution": "complementary", "comment": "They train, we build."},
    )
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert (body["state"], body["resolution"]) == ("resolved", "complementary")
    assert body["events"][-1] == {
        **body["events"][-1],
        "user_id": world.users["focal"].id,
        "to_state": "resolved",
        "from_state": "open",
        "comment": "They train, we build.",
        "by_detection": False,
    }
    db.session.refresh(alert)
    assert alert.state is AlertState.resolved
    assert (
        client.post(
            "/api/v1/alerts/999999/transition", headers=headers, json={"state": "open", "comment": "x"}
        ).status_code
        == 404
    )


def test_clusters_and_gaps(world, client, token_for):
    for name in ("focal", "other_focal", "coordinator"):
        save_project(world.users[name], world.operation, ("CF632",))
    factories.make_need(world.operation, world.local_authority, "CF711", "HEALTH-MOBILE-CLINIC")
    headers = token_for(world.users["viewer"])
    [cluster] = client.get("/api/v1/clusters", headers=headers).get_json()["items"]
    assert cluster["organisation_count"] == 3 and cluster["organisations"] == ["NGOA", "NGOB", "OCHA"]
    assert cluster["area"]["pcode"] == "CF632" and cluster["sensitive_entries"] == 0
    body = client.get("/api/v1/gaps?level=2", headers=headers).get_json()
    assert body["level"] == 2 and body["levels"] == [0, 1, 2] and body["gaps"] == 1
    cells = {(c["sector_id"], c["pcode"]): c for c in body["cells"]}
    assert cells[(factories.sector("HEALTH").id, "CF711")]["gap"] is True
    assert cells[(factories.sector("EDU").id, "CF632")]["organisations"] == 3
    assert client.get("/api/v1/gaps", headers=headers).get_json()["level"] == 1
    assert client.get("/api/v1/gaps?level=x", headers=headers).status_code == 422
    assert client.get("/api/v1/gaps?level=7", headers=headers).get_json()["cells"] == []
