"""The JSON API: tokens, errors, lists with filters, writes through the same operations and rights."""

from __future__ import annotations

import sqlalchemy as sa

from coordhub.api.models import ApiToken
from coordhub.extensions import db
from coordhub.registry.models import Need, Project
from tests import factories


def test_requests_without_a_valid_token_get_401_json(world, client):
    for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic abc"}):
        response = client.get("/api/v1/projects", headers=headers)
        assert response.status_code == 401
        assert "token" in response.get_json()["error"]["message"]


def test_token_lifecycle_in_the_ui(world, login, client):
    login(world.users["focal"])
    page = client.post("/account/tokens", data={"name": "my script"}).get_data(as_text=True)
    plain = page.split('id="new-token" class="fs-6">')[1].split("<")[0]
    row = db.session.scalar(sa.select(ApiToken))
    assert plain.startswith("chub_") and plain not in row.token_hash and row.token_hash != plain
    assert client.get("/api/v1/projects", headers={"Authorization": f"Bearer {plain}"}).status_code == 200
    assert client.get("/account/tokens").get_data(as_text=True).count(plain) == 0  # shown once only
    client.post(f"/account/tokens/{row.id}/revoke")
    assert client.get("/api/v1/projects", headers={"Authorization": f"Bearer {plain}"}).status_code == 401
    login(world.users["other_focal"])
    assert client.post(f"/account/tokens/{row.id}/revoke").status_code == 404


def test_list_filters_and_pagination(world, client, token_for):
    headers = token_for(world.users["viewer"])
    for number in range(5):
        factories.make_project(world.operation, world.ngo, ["CF632"], title=f"School {number}")
    factories.make_project(world.operation, world.other_ngo, ["CF711"], "HEALTH-MOBILE-CLINIC", title="Clinic")
    body = client.get("/api/v1/projects?per_page=4", headers=headers).get_json()
    assert body["total"] == 6 and body["pages"] == 2 and len(body["items"]) == 4
    body = client.get(f"/api/v1/projects?area={factories.area(world.operation, 'CF63').id}", headers=headers).get_json()
    assert {p["title"] for p in body["items"]} == {f"School {n}" for n in range(5)}
    body = client.get(f"/api/v1/projects?sector={factories.sector('HEALTH').id}", headers=headers).get_json()
    assert [p["title"] for p in body["items"]] == ["Clinic"]
    assert body["items"][0]["areas"][0]["pcode"] == "CF711"


def test_create_update_archive_with_rights(world, client, token_for):
    headers = token_for(world.users["focal"])
    rtype = factories.resource_type("EDU-CLASSROOM")
    response = client.post(
        "/api/v1/projects",
        headers=headers,
        json={
            "title": "Classrooms",
            "sector_id": rtype.sector_id,
            "resource_type_id": rtype.id,
            "area_pcodes": ["CF632", "CF633"],
            "start_date": "2026-03-01",
            "end_date": None,
            "code": "A-1",
        },
    )
    assert response.status_code == 201, response.get_json()
    created = response.get_json()
    assert created["organisation_id"] == world.ngo.id and [a["pcode"] for a in created["areas"]] == ["CF632", "CF633"]
    response = client.patch(f"/api/v1/projects/{created['id']}", headers=headers, json={"status": "ongoing"})
    assert response.get_json()["status"] == "ongoing"
    assert client.post(f"/api/v1/projects/{created['id']}/archive", headers=headers).get_json()["archived"]

    other = token_for(world.users["other_focal"])
    response = client.patch(f"/api/v1/projects/{created['id']}", headers=other, json={"title": "Mine now"})
    assert response.status_code == 403 and "NGOA" in response.get_json()["error"]["message"]
    response = client.post(
        "/api/v1/projects",
        headers=other,
        json={
            "title": "For NGOA",
            "organisation_id": world.ngo.id,
            "sector_id": rtype.sector_id,
            "area_pcodes": ["CF632"],
            "start_date": "2026-03-01",
        },
    )
    assert response.status_code == 403
    assert db.session.get(Project, created["id"]).title == "Classrooms"


def test_invalid_input_gets_422_naming_the_field_and_writes_nothing(world, client, token_for):
    headers = token_for(world.users["coordinator"])
    rtype = factories.resource_type("WASH-BOREHOLE")
    good = {
        "title": "Boreholes",
        "organisation_id": world.local_authority.id,
        "admin_area_pcode": "CF711",
        "resource_type_id": rtype.id,
        "quantity": 3,
        "priority": 5,
        "start_date": "2026-01-01",
    }
    for change, field in (
        ({"quantity": 0}, "quantity"),
        ({"quantity": "three"}, "quantity"),
        ({"priority": 9}, "priority"),
        ({"start_date": "01/02/2026"}, "start_date"),
        ({"admin_area_pcode": "XX1"}, "admin_area_pcode"),
        ({"colour": "red"}, "colour"),
        ({"end_date": "2025-01-01"}, "end_date"),
    ):
        response = client.post("/api/v1/needs", headers=headers, json={**good, **change})
        assert response.status_code == 422, (change, response.get_json())
        assert response.get_json()["error"]["field"] == field
    assert client.post("/api/v1/needs", headers=headers, data="not json").status_code == 422
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Need)) == 0
    assert client.post("/api/v1/needs", headers=headers, json=good).status_code == 201


def test_sensitive_records_are_redacted_and_operations_isolated(world, client, token_for):
    project = factories.make_project(world.operation, world.ngo, sensitive=True, title="DDR camp list")
    other = token_for(world.users["other_focal"])
    body = client.get(f"/api/v1/projects/{project.id}", headers=other).get_json()
    assert body["details_restricted"] and "title" not in body and body["areas"][0]["pcode"] == "CF632"
    own = token_for(world.users["focal"])
    assert client.get(f"/api/v1/projects/{project.id}", headers=own).get_json()["title"] == "DDR camp list"
    outsider = token_for(world.users["outsider"])
    assert client.get(f"/api/v1/projects/{project.id}", headers=outsider).status_code == 404
    assert client.get(f"/api/v1/projects?operation={world.operation.id}", headers=outsider).status_code == 404


def test_organisations_admin_areas_and_reference_lists(world, client, token_for):
    viewer = token_for(world.users["viewer"])
    assert client.get("/api/v1/admin-areas?parent=CF63", headers=viewer).get_json()["total"] == 2
    assert client.get("/api/v1/admin-areas/CF632", headers=viewer).get_json()["parent_pcode"] == "CF63"
    assert client.get("/api/v1/admin-areas/NOPE", headers=viewer).status_code == 404
    assert len(client.get("/api/v1/sectors", headers=viewer).get_json()["items"]) == 14
    assert client.post("/api/v1/organisations", headers=viewer, json={"name": "X", "type": "donor"}).status_code == 403
    admin = token_for(world.users["admin"])
    response = client.post("/api/v1/organisations", headers=admin, json={"name": "New donor", "type": "donor"})
    assert response.status_code == 201
    org_id = response.get_json()["id"]
    assert (
        client.patch(f"/api/v1/organisations/{org_id}", headers=admin, json={"acronym": "ND"}).get_json()["acronym"]
        == "ND"
    )
    assert client.post(f"/api/v1/organisations/{org_id}/archive", headers=admin).get_json()["archived"] is True


def test_unknown_api_route_and_method_answer_json(world, client, token_for):
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404 and response.get_json()["error"]["status"] == 404
    response = client.delete("/api/v1/projects", headers=token_for(world.users["viewer"]))
    assert response.status_code == 405 and "error" in response.get_json()


def test_nul_characters_are_refused_with_the_field_name(world, client, token_for):
    headers = token_for(world.users["coordinator"])
    response = client.post(
        "/api/v1/capacities",
        headers=headers,
        json={
            "title": "x",
            "area_pcodes": ["\x00"],
            "resource_type_id": 1,
            "quantity": 1,
            "unit_cost": 1,
            "start_date": "2026-01-01",
        },
    )
    assert response.status_code == 422 and response.get_json()["error"]["field"] == "area_pcodes"
    assert client.get("/api/v1/admin-areas/%00", headers=headers).status_code == 404
    assert client.get("/api/v1/projects?q=%00", headers=headers).status_code == 200


def test_an_organisation_name_with_accented_capitals_is_refused_twice_not_a_500(world, client, token_for):
    """SQLite's lower() leaves 'Ü' as it is: the duplicate check must still find the same name."""
    headers = token_for(world.users["admin"])
    body = {"name": "ÜNION DES FEMMES ÉLUES", "type": "national_ngo"}
    assert client.post("/api/v1/organisations", json=body, headers=headers).status_code == 201
    again = client.post("/api/v1/organisations", json=body, headers=headers)
    assert again.status_code == 422 and again.get_json()["error"]["field"] == "name"
