"""The allocation map: coverage per area as the run stored it, lines from capacities to the needs they serve,
unmet needs marked; partners see published runs only, and only their own lines."""

from __future__ import annotations

from coordhub.allocation.operations import publish_run
from tests import factories
from tests.allocation.helpers import make_scenario, run_from_form
from tests.maps.conftest import by_pcode


def test_allocation_layer_matches_the_run(client, world, login, token_for):
    for pcode, (lat, lon) in {
        "CF63": (7.0, 16.0),
        "CF632": (6.3, 16.4),
        "CF633": (7.1, 15.7),
        "CF71": (6.5, 22.5),
        "CF711": (6.5, 22.0),
    }.items():
        area = factories.area(world.operation, pcode)
        area.latitude, area.longitude = lat, lon
    make_scenario(world)
    login(world.users["coordinator"])
    run = run_from_form(client)
    coordinator = token_for(world.users["coordinator"])
    collection = client.get("/api/v1/maps/allocation?level=2", headers=coordinator).get_json()
    features = by_pcode(collection)
    assert collection["metadata"]["run"] == run.id
    for pcode, (needed, met) in run.coverage["by_area"].items():
        assert (features[pcode]["needed"], features[pcode]["met"]) == (needed, met)
    assert features["CF711"]["unmet_needs"] == 1 and features["CF711"]["met"] == 0  # nothing serves Bria
    assert features["CF632"]["share_met"] == 1.0
    level1 = by_pcode(client.get("/api/v1/maps/allocation?level=1", headers=coordinator).get_json())
    assert level1["CF63"]["needed"] == sum(
        run.coverage["by_area"][p][0] for p in ("CF632", "CF633") if p in run.coverage["by_area"]
    )
    lines = [f for f in collection["features"] if f["properties"].get("kind") == "flow"]
    assert {(line["properties"]["from"], line["properties"]["to"]) for line in lines} >= {("CF632", "CF632")}
    assert sum(line["properties"]["quantity"] for line in lines) == sum(a.quantity for a in run.assignments)

    # A partner sees nothing until the run is published, then its own lines only.
    focal = token_for(world.users["focal"])
    assert client.get("/api/v1/maps/allocation?level=2", headers=focal).get_json()["metadata"]["run"] is None
    assert client.get(f"/api/v1/maps/allocation?run={run.id}", headers=focal).status_code == 404
    publish_run(world.users["coordinator"], run)
    shown = client.get("/api/v1/maps/allocation?level=2", headers=focal).get_json()
    assert shown["metadata"]["run"] == run.id
    own = sum(a.quantity for a in run.assignments if a.organisation_id == world.ngo.id)
    assert sum(f["properties"]["quantity"] for f in shown["features"] if f["properties"].get("kind") == "flow") == own
    page = client.get(f"/maps/allocation?run={run.id}")
    assert page.status_code == 200
