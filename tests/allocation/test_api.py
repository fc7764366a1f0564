"""/api/v1/allocation-runs: run with a policy, list, read, publish, answer; the same rights as the pages."""

from __future__ import annotations

import sqlalchemy as sa

from coordhub.allocation.models import AllocationForbiddenPair, AllocationRun
from coordhub.extensions import db
from tests.allocation.helpers import make_scenario


def test_run_read_list_and_publish(world, client, token_for):
    s = make_scenario(world)
    headers = token_for(world.users["coordinator"])
    response = client.post(
        "/api/v1/allocation-runs",
        headers=headers,
        json={
            "note": "via API",
            "policy": {
                "lexicographic": True,
                "time_limit_seconds": 10,
                "budget_caps": [{"organisation_id": world.ngo.id, "amount": 5000}],
            },
        },
    )
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["status"] == "optimal" and body["note"] == "via API" and not body["published"]
    assert body["policy"]["lexicographic"] and body["policy"]["budget_caps"] == [
        {"organisation_id": world.ngo.id, "amount": 5000.0}
    ]
    assert body["coverage"]["overall"] == {"needed": 27.0, "met": 18.0, "share": 18 / 27}
    assert body["coverage"]["by_sector"]["EDU"] == {"needed": 25.0, "met": 16.0, "share": 0.64}
    assert len(body["assignments"]) == 4 and len(body["explanations"]) == 3
    unmet = {e["need_id"]: e for e in body["explanations"] if e["subject"] == "need"}
    assert unmet[s.low.id]["reason"] == "used_by_higher_priority" and unmet[s.low.id]["related_need_ids"] == [s.high.id]
    assert unmet[s.far.id]["reason"] == "no_capacity_in_area" and unmet[s.far.id]["quantity"] == 5

    run_id = body["id"]
    listing = client.get("/api/v1/allocation-runs", headers=headers).get_json()
    assert listing["total"] == 1 and listing["items"][0]["id"] == run_id and "assignments" not in listing["items"][0]
    partner = token_for(world.users["focal"])
    assert client.get("/api/v1/allocation-runs", headers=partner).get_json()["total"] == 0  # not published yet
    assert client.get(f"/api/v1/allocation-runs/{run_id}", headers=partner).status_code == 404
    assert client.post(f"/api/v1/allocation-runs/{run_id}/publish", headers=partner).status_code == 404
    published = client.post(f"/api/v1/allocation-runs/{run_id}/publish", headers=headers).get_json()
    assert published["published"] and published["published_at"]
    assert client.post(f"/api/v1/allocation-runs/{run_id}/publish", headers=partner).status_code == 403

    mine = client.get(f"/api/v1/allocation-runs/{run_id}", headers=partner).get_json()
    assert {a["organisation_id"] for a in mine["assignments"]} == {world.ngo.id} and len(mine["assignments"]) == 3
    assert "explanations" not in mine and "notes" not in mine
    sensitive = next(a for a in mine["assignments"] if a["need"]["id"] == s.sensitive.id)
    assert sensitive["need"]["details_restricted"] and "title" not in sensitive["need"]
    assert sensitive["need"]["area"]["pcode"] == "CF633"


def test_answers_through_the_api(world, client, token_for):
    s = make_scenario(world)
    coordinator = token_for(world.users["coordinator"])
    run_id = client.post("/api/v1/allocation-runs", headers=coordinator, json={}).get_json()["id"]
    client.post(f"/api/v1/allocation-runs/{run_id}/publish", headers=coordinator)
    run = db.session.get(AllocationRun, run_id)
    rows = {(a.need_id, a.capacity_id): a.id for a in run.assignments}
    ngob_row = rows[(s.high.id, s.other_classrooms.id)]
    url = f"/api/v1/allocation-runs/{run_id}/assignments/{ngob_row}/response"
    ngoa = token_for(world.users["focal"])
    assert client.post(url, headers=ngoa, json={"decision": "accepted"}).status_code == 404
    ngob = token_for(world.users["other_focal"])
    response = client.post(url, headers=ngob, json={"decision": "declined"})
    assert response.status_code == 422 and response.get_json()["error"]["field"] == "reason"
    assert client.post(url, headers=ngob, json={"decision": "maybe"}).status_code == 422
    response = client.post(url, headers=ngob, json={"decision": "declined", "reason": "team moved to Bria"})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["response"]["decision"] == "declined"
    pair = db.session.scalar(sa.select(AllocationForbiddenPair))
    assert (pair.need_id, pair.capacity_id) == (s.high.id, s.other_classrooms.id)
    assert pair.reason == "declined by NGOB: team moved to Bria"
    nxt = client.post("/api/v1/allocation-runs", headers=coordinator, json={}).get_json()
    assert all((a["need"]["id"], a["capacity_id"]) != (s.high.id, s.other_classrooms.id) for a in nxt["assignments"])


def test_invalid_policies_and_rights(world, client, token_for):
    make_scenario(world)
    headers = token_for(world.users["coordinator"])
    for policy, field in (
        ({"time_limit_seconds": 0}, "time_limit_seconds"),
        ({"min_local_share": 1.5}, "min_local_share"),
        ({"priority_weights": {"5": 0}}, "priority_weights"),
        ({"priority_weights": {"7": 3}}, "priority_weights"),
        ({"budget_caps": [{"organisation_id": 999999, "amount": 5}]}, "budget_caps"),
        ({"single_provider": "yes"}, "single_provider"),
        ({"colour": "red"}, "colour"),
    ):
        response = client.post("/api/v1/allocation-runs", headers=headers, json={"policy": policy})
        assert response.status_code == 422, (policy, response.get_json())
        assert response.get_json()["error"]["field"] == field
    assert client.post("/api/v1/allocation-runs", headers=headers, json={"policy": None}).status_code == 422
    for role in ("focal", "viewer", "local_focal"):
        response = client.post("/api/v1/allocation-runs", headers=token_for(world.users[role]), json={})
        assert response.status_code == 403
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AllocationRun)) == 0
    outsider = token_for(world.users["outsider"])
    run_id = client.post("/api/v1/allocation-runs", headers=headers, json={}).get_json()["id"]
    client.post(f"/api/v1/allocation-runs/{run_id}/publish", headers=headers)
    assert client.get(f"/api/v1/allocation-runs/{run_id}", headers=outsider).status_code == 404
    assert client.get("/api/v1/allocation-runs", headers=outsider).get_json()["total"] == 0
    assert client.get(f"/api/v1/allocation-runs?operation={world.operation.id}", headers=outsider).status_code == 404


def test_plan_run_through_the_api_carries_periods_bound_gap_and_headline(world, client, token_for):
    s = make_scenario(world)
    s.ngo_classrooms.throughput = 3.0
    db.session.commit()
    headers = token_for(world.users["coordinator"])
    response = client.post(
        "/api/v1/allocation-runs", headers=headers, json={"policy": {"periods": "month", "horizon": "2026-05-31"}}
    )
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["periods"] == ["2026-03-01", "2026-04-01", "2026-05-01"] and body["period_kind"] == "month"
    assert body["gap"] == 0 and body["bound"] == body["objective"]
    assert 0 < body["weighted_share_met"] < 1 and body["coverage"]["fully_met"]["needed"] == 4
    assert set(body["coverage"]["by_period"]) == set(body["periods"])
    assert {a["period"] for a in body["assignments"]} <= set(body["periods"])
    bad = client.post("/api/v1/allocation-runs", headers=headers, json={"policy": {"periods": "year"}})
    assert bad.status_code == 422 and "periods" in str(bad.get_json())


def test_capacities_take_throughput_and_clearances_through_the_api(world, client, token_for):
    from coordhub.registry.models import ResourceType

    headers = token_for(world.users["focal"])
    rtype = db.session.scalar(sa.select(ResourceType).where(ResourceType.code == "EDU-CLASSROOM"))
    body = {
        "title": "Escorted teams",
        "area_pcodes": ["CF63"],
        "resource_type_id": rtype.id,
        "quantity": 12,
        "unit_cost": 100,
        "start_date": "2026-01-01",
        "throughput": 3,
        "clearances": "Escort; un_security, escort",
    }
    response = client.post("/api/v1/capacities", headers=headers, json=body)
    assert response.status_code == 201, response.get_json()
    created = response.get_json()
    assert created["throughput"] == 3 and created["clearances"] == "escort;un_security"
    bad = client.post("/api/v1/capacities", headers=headers, json={**body, "throughput": 0})
    assert bad.status_code == 422 and bad.get_json()["error"]["field"] == "throughput"
