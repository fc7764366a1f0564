"""GET /api/v1/maps/<layer>: one feature per area, figures that agree with the lists and the gap matrix."""

from __future__ import annotations

import pytest

from coordhub.extensions import db
from coordhub.overlap.matrix import gap_matrix
from coordhub.registry.models import Sector
from tests import factories
from tests.maps.conftest import area_id, by_pcode


def list_total(client, headers, **args) -> int:
    response = client.get("/api/v1/projects", headers=headers, query_string={**args, "per_page": 1})
    assert response.status_code == 200
    return response.get_json()["total"]


@pytest.mark.parametrize("role", ["coordinator", "viewer", "focal"])
@pytest.mark.parametrize(
    "filters", [{}, {"status": "ongoing"}, {"organisation_type": "international_ngo"}, {"date_from": "2026-07-01"}]
)
def test_presence_counts_what_the_list_counts(client, mapped, token_for, role, filters):
    headers = token_for(mapped.users[role])
    for level in (1, 2):
        response = client.get("/api/v1/maps/presence", headers=headers, query_string={**filters, "level": level})
        assert response.status_code == 200
        assert response.mimetype == "application/geo+json"
        collection = response.get_json()
        assert collection["type"] == "FeatureCollection"
        features = by_pcode(collection)
        expected = {"CF63", "CF71"} if level == 1 else {"CF632", "CF633", "CF711"}
        assert set(features) == expected
        for pcode, properties in features.items():
            assert properties["projects"] == list_total(
                client, headers, area=area_id(mapped.operation, pcode), **filters
            ), (pcode, filters)


def test_presence_figures_and_redaction(client, mapped, token_for):
    viewer = by_pcode(client.get("/api/v1/maps/presence?level=2", headers=token_for(mapped.users["viewer"])).get_json())
    # Bria: NGOA's two-district project and PREF's sensitive one; the viewer (NGOB) may not see who is behind it.
    assert viewer["CF711"]["projects"] == 2
    assert viewer["CF711"]["organisations"] == 2
    assert viewer["CF711"]["organisation_names"] == ["NGOA"]
    assert viewer["CF711"]["sensitive_entries"] == 1
    coordinator = by_pcode(
        client.get("/api/v1/maps/presence?level=2", headers=token_for(mapped.users["coordinator"])).get_json()
    )
    assert coordinator["CF711"]["organisation_names"] == ["NGOA", "PREF"]
    assert coordinator["CF711"]["sensitive_entries"] == 0
    # Bozoum: NGOA twice and NGOB's completed project: 3 projects, 2 organisations.
    assert (coordinator["CF632"]["projects"], coordinator["CF632"]["organisations"]) == (3, 2)
    # The province-level project is in Haute-Kotto at level 1, in no district at level 2.
    level1 = by_pcode(
        client.get(
            "/api/v1/maps/presence?level=1&measure=projects", headers=token_for(mapped.users["coordinator"])
        ).get_json()
    )
    assert level1["CF71"]["projects"] == 3 and level1["CF71"]["value"] == 3
    assert level1["CF63"]["projects"] == 4


def test_no_coordinates_finer_than_the_area(client, mapped, token_for):
    """A sensitive entry is placed at its area's centroid, as the list shows its area, never elsewhere."""
    collection = client.get("/api/v1/maps/presence?level=2", headers=token_for(mapped.users["viewer"])).get_json()
    for feature in collection["features"]:
        assert feature["geometry"]["type"] == "Point"
        lat, lon = feature["properties"]["centroid"]
        assert feature["geometry"]["coordinates"] == [lon, lat]


@pytest.mark.parametrize("role", ["coordinator", "viewer"])
def test_needs_layer_is_the_gap_matrix(client, mapped, token_for, role):
    user = mapped.users[role]
    for level in (1, 2):
        matrix = gap_matrix(mapped.operation, user, level)
        collection = client.get(f"/api/v1/maps/needs?level={level}", headers=token_for(user)).get_json()
        features = by_pcode(collection)
        for area in matrix.areas:
            cells = [c for (s, a), c in matrix.cells.items() if a == area.id]
            properties = features[area.pcode]
            assert properties["need_count"] == sum(c.need_count for c in cells)
            assert properties["activity_count"] == sum(c.activity_count for c in cells)
            assert properties["is_gap"] == any(c.is_gap for c in cells)
        water = db.session.scalar(db.select(Sector).where(Sector.code == "WASH"))
        only_water = by_pcode(
            client.get(f"/api/v1/maps/needs?level={level}&sector={water.id}", headers=token_for(user)).get_json()
        )
        for area in matrix.areas:
            cell = matrix.cells.get((water.id, area.id))
            assert only_water[area.pcode]["need_count"] == (cell.need_count if cell else 0)


def test_needs_gaps_in_red(client, mapped, token_for):
    features = by_pcode(client.get("/api/v1/maps/needs?level=2", headers=token_for(mapped.users["viewer"])).get_json())
    # Water needs in Bocaranga with NGOB's borehole project: covered; water in Bria (sensitive need): a gap.
    assert features["CF711"]["is_gap"] is True
    assert features["CF711"]["need_count"] == 2
    assert features["CF633"]["is_gap"] is False


def test_overlaps_layer_counts_what_the_alerts_list_counts(client, mapped, token_for):
    from coordhub.overlap.detection import detect_operation
    from coordhub.overlap.queries import AlertFilters, alert_query

    detect_operation(mapped.operation)
    db.session.commit()
    total = 0
    for role in ("coordinator", "viewer", "focal"):
        user = mapped.users[role]
        for level in (1, 2):
            features = by_pcode(client.get(f"/api/v1/maps/overlaps?level={level}", headers=token_for(user)).get_json())
            for pcode, properties in features.items():
                listed = db.session.scalars(
                    alert_query(mapped.operation, user, AlertFilters(area_id=area_id(mapped.operation, pcode)))
                ).all()
                assert properties["alerts"] == len(listed), (role, pcode)
                assert properties["open"] == sum(1 for a in listed if a.state.value == "open")
                total += properties["alerts"]
    assert total > 0  # the fixture's projects do overlap


def test_bad_input_names_the_field(client, mapped, token_for):
    headers = token_for(mapped.users["viewer"])
    response = client.get("/api/v1/maps/presence?level=7", headers=headers)  # well formed, no such level
    assert response.status_code == 404 and response.get_json()["error"]["field"] == "level"
    response = client.get("/api/v1/maps/presence?level=x", headers=headers)
    assert response.status_code == 422 and response.get_json()["error"]["field"] == "level"
    response = client.get("/api/v1/maps/presence?date_from=1%2F3%2F2026", headers=headers)
    assert response.status_code == 422 and response.get_json()["error"]["field"] == "date_from"
    assert client.get("/api/v1/maps/presence?date_to=0000-01-01", headers=headers).status_code == 200
    response = client.get("/api/v1/maps/presence?organisation_type=alien", headers=headers)
    assert response.get_json()["error"]["field"] == "organisation_type"
    assert client.get("/api/v1/maps/heatwave", headers=headers).status_code == 404
    assert client.get("/api/v1/maps/allocation?run=99", headers=headers).status_code == 404
    assert client.get("/api/v1/maps/presence").status_code == 401


def test_other_operation_is_not_reachable(client, mapped, token_for):
    headers = token_for(mapped.users["outsider"])
    collection = client.get("/api/v1/maps/presence?level=1", headers=headers).get_json()
    assert set(by_pcode(collection)) == {"XX1"}
    response = client.get(f"/api/v1/maps/presence?operation={mapped.operation.id}", headers=headers)
    assert response.status_code == 404


def test_needs_layer_follows_changes_at_once(client, mapped, token_for):
    """The gap matrix is remembered between requests only while the data stay the same."""
    headers = token_for(mapped.users["coordinator"])
    before = by_pcode(client.get("/api/v1/maps/needs?level=2", headers=headers).get_json())
    assert before["CF632"]["need_count"] == 1
    factories.make_need(mapped.operation, mapped.local_authority, "CF632", type_code="WASH-TRUCKING", quantity=3)
    after = by_pcode(client.get("/api/v1/maps/needs?level=2", headers=headers).get_json())
    assert after["CF632"]["need_count"] == 2 and after["CF632"]["is_gap"] is True
    project = mapped.projects["other_bocaranga"]
    project.areas = [factories.area(mapped.operation, "CF632")]
    db.session.commit()
    moved = by_pcode(client.get("/api/v1/maps/needs?level=2", headers=headers).get_json())
    assert moved["CF632"]["is_gap"] is False and moved["CF633"]["is_gap"] is True
