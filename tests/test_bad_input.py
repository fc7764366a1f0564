"""Bad input gets a clear 4xx naming the field, never a 500, and nothing is stored: numbers out of range or not
finite, text longer than its column, unknown values, huge ids and pages, deep JSON, NUL in file names."""

from __future__ import annotations

import io

import pytest
import sqlalchemy as sa

from coordhub.extensions import db
from coordhub.interop.models import ImportRun
from coordhub.registry.limits import NUMBER_RANGES
from coordhub.registry.models import Capacity, Need, Organisation, Project
from tests import factories
from tests.interop.helpers import PROJECT_HEADER, csv_bytes, project_rows

KINDS = {"projects": Project, "needs": Need, "capacities": Capacity}


def valid_body(world, slug: str) -> dict:
    rtype = factories.resource_type("EDU-CLASSROOM")
    body = {"title": "Classrooms", "start_date": "2026-03-01", "end_date": "2026-06-30"}
    if slug == "projects":
        body.update(sector_id=rtype.sector_id, area_pcodes=["CF632"])
    elif slug == "needs":
        body.update(resource_type_id=rtype.id, admin_area_pcode="CF632", quantity=5)
    else:
        body.update(resource_type_id=rtype.id, area_pcodes=["CF632"], quantity=5, unit_cost=10)
    return body


def count(kind: type) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(kind))


NUMBER_FIELDS = {
    "projects": ("budget", "beneficiaries_targeted"),
    "needs": ("quantity", "priority"),
    "capacities": ("quantity", "unit_cost"),
}


@pytest.mark.parametrize("slug", sorted(NUMBER_FIELDS))
def test_api_refuses_numbers_out_of_range_or_not_finite(world, client, token_for, slug):
    headers = {
        **token_for(world.users["coordinator"] if slug == "needs" else world.users["focal"]),
        "Content-Type": "application/json",
    }
    base = valid_body(world, slug)
    for field in NUMBER_FIELDS[slug]:
        low, high = NUMBER_RANGES[field]
        for raw in ("Infinity", "-Infinity", "NaN", repr(high * 10), repr(low - 1), "1e400"):
            body = {**base}
            text = __import__("json").dumps(body)[:-1] + f', "{field}": {raw}}}'
            response = client.post(f"/api/v1/{slug}", data=text, headers=headers)
            assert response.status_code == 422, (field, raw, response.get_data(as_text=True))
            assert response.get_json()["error"]["field"] == field, (field, raw)
    assert count(KINDS[slug]) == 0
    assert client.post(f"/api/v1/{slug}", json=base, headers=headers).status_code == 201


def test_an_infinite_capacity_cannot_break_the_allocation_runs(world, client, token_for):
    headers = {**token_for(world.users["focal"]), "Content-Type": "application/json"}
    response = client.post(
        "/api/v1/capacities",
        headers=headers,
        data=f'{{"title": "Endless", "resource_type_id": {factories.resource_type("EDU-CLASSROOM").id}, '
        '"area_pcodes": ["CF63"], "quantity": Infinity, "unit_cost": 1, "start_date": "2026-01-01"}',
    )
    assert response.status_code == 422 and response.get_json()["error"]["field"] == "quantity"
    assert count(Capacity) == 0


@pytest.mark.parametrize("slug", sorted(KINDS))
def test_api_refuses_text_longer_than_its_column_naming_the_field(world, client, token_for, slug):
    headers = token_for(world.users["coordinator"] if slug == "needs" else world.users["focal"])
    columns = sa.inspect(KINDS[slug]).columns
    limited = [
        c.key
        for c in columns
        if isinstance(c.type, sa.String)
        and c.type.length
        and c.key in valid_body(world, slug) | {"code": 1, "target_group": 1, "source": 1}
        and not isinstance(c.type, sa.Enum)
    ]
    assert "title" in limited and "code" in limited
    for field in limited:
        body = {**valid_body(world, slug), field: "x" * (columns[field].type.length + 1)}
        response = client.post(f"/api/v1/{slug}", json=body, headers=headers)
        assert response.status_code == 422, (field, response.get_data(as_text=True))
        assert response.get_json()["error"]["field"] == field
    assert count(KINDS[slug]) == 0


def test_forms_refuse_infinite_or_huge_numbers_and_long_text(world, client, login):
    login(world.users["focal"])
    rtype = factories.resource_type("EDU-CLASSROOM")
    form = {
        "organisation_id": world.ngo.id,
        "resource_type_id": rtype.id,
        "title": "Teams",
        "area_ids": [factories.area(world.operation, "CF632").id],
        "quantity": "5",
        "unit_cost": "10",
        "currency": "USD",
        "start_date": "2026-01-01",
        "end_date": "",
    }
    for field, value in (
        ("quantity", "inf"),
        ("quantity", "nan"),
        ("quantity", "1e12"),
        ("unit_cost", "1e300"),
        ("title", "x" * 301),
        ("code", "c" * 101),
    ):
        response = client.post("/capacities/new", data={**form, field: value})
        assert response.status_code == 200, (field, value)
        assert "is-invalid" in response.get_data(as_text=True), (field, value)
    assert count(Capacity) == 0


def test_imports_refuse_out_of_range_numbers_row_by_row(world, client, token_for):
    header = PROJECT_HEADER + ["Budget"]
    rows = [row + [budget] for row, budget in zip(project_rows("NGOA organisation", 2), ("100", "1e20"))]
    response = client.post(
        "/api/v1/imports",
        headers=token_for(world.users["focal"]),
        content_type="multipart/form-data",
        data={"kind": "projects", "commit": "true", "file": (io.BytesIO(csv_bytes([header] + rows)), "3w.csv")},
    )
    body = response.get_json()
    assert response.status_code == 200 and body["blocked"] and not body["committed"], body
    assert [(p["row"], p["column"]) for p in body["problems"] if p["severity"] == "error"] == [(3, "Budget")]
    assert count(Project) == 0


@pytest.mark.parametrize(
    "url",
    [
        "/projects/?page=99999999999999999999",
        "/projects/?page=-5",
        "/projects/?sort=nope&status=nope",
        "/projects/?date_from=2026-13-45&priority=nan&area=1e400",
        "/needs/?priority=inf&sector=-99999999999999",
        "/overlaps/?min_score=nan&state=nope&kind=nope",
        "/overlaps/?min_score=inf&organisation=9" + "9" * 30,
        "/organisations/?type=nope",
        "/gaps/?level=nan&within=1e999",
        "/areas/?parent=99999999999999999999999",
        "/projects/99999999999999999999",
        "/allocations/compare?a=nan&b=inf",
        "/projects/?page=0",
    ],
)
def test_odd_query_parameters_and_ids_never_give_a_500(world, client, login, url):
    login(world.users["focal"])
    assert client.get(url).status_code in (200, 302, 400, 403, 404)


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/projects?page=99999999999999999999&per_page=nan",
        "/api/v1/projects?sort=nope&status=nope",
        "/api/v1/alerts?min_score=nan",
        "/api/v1/alerts?min_score=-inf&state=x",
        "/api/v1/gaps?level=1e400",
        "/api/v1/projects/99999999999999999999",
        "/api/v1/admin-areas?level=nan&parent=%00",
        "/api/v1/projects?operation=nan",
        "/api/v1/alerts?page=nan",
    ],
)
def test_odd_api_parameters_never_give_a_500(world, client, token_for, url):
    assert client.get(url, headers=token_for(world.users["focal"])).status_code in (200, 400, 404, 422)


def test_deeply_nested_json_is_a_400(world, client, token_for):
    headers = {**token_for(world.users["focal"]), "Content-Type": "application/json"}
    for body in ("[" * 100_000 + "]" * 100_000, '{"title": ' + "[" * 50_000 + "]" * 50_000 + "}"):
        response = client.post("/api/v1/projects", data=body, headers=headers)
        assert response.status_code in (400, 422), response.status_code


def test_organisation_fields_of_the_wrong_type_or_too_long_are_refused(world, client, token_for):
    headers = token_for(world.users["admin"])
    for body, field in (
        ({"name": 5, "type": "donor"}, "name"),
        ({"name": "x" * 301, "type": "donor"}, "name"),
        ({"name": "Donor", "type": "donor", "acronym": "A" * 51}, "acronym"),
    ):
        response = client.post("/api/v1/organisations", json=body, headers=headers)
        assert response.status_code == 422 and response.get_json()["error"]["field"] == field
    assert db.session.scalar(sa.select(Organisation.id).where(Organisation.name == "Donor")) is None


def test_nul_in_an_uploaded_file_name_is_refused_or_cleaned(world, client, login, token_for):
    login(world.users["focal"])
    data = csv_bytes([PROJECT_HEADER] + project_rows("NGOA organisation", 1))
    response = client.post(
        "/imports/",
        data={"kind": "projects", "file": (io.BytesIO(data), "3w\x00.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code in (200, 302, 400)
    assert db.session.scalar(sa.select(ImportRun.filename)) == "3w.csv"
    response = client.post(
        "/api/v1/imports",
        headers=token_for(world.users["focal"]),
        content_type="multipart/form-data",
        data={"kind": "projects", "file": (io.BytesIO(data), "3w\x00.csv")},
    )
    assert response.status_code in (200, 400, 422)


def test_api_ids_beyond_an_integer_column_are_refused(world, client, token_for):
    headers = token_for(world.users["focal"])
    body = {**valid_body(world, "projects"), "sector_id": 10**30}
    response = client.post("/api/v1/projects", json=body, headers=headers)
    assert response.status_code == 422 and response.get_json()["error"]["field"] == "sector_id"
    body = {**valid_body(world, "projects"), "partner_ids": [10**30]}
    response = client.post("/api/v1/projects", json=body, headers=headers)
    assert response.status_code == 422 and response.get_json()["error"]["field"] == "partner_ids"


def test_a_page_out_of_range_is_a_400_that_says_why(world, client, login, token_for):
    login(world.users["focal"])
    response = client.get("/projects/?page=99999999999999999999")
    assert response.status_code == 400 and "page must be a whole number" in response.get_data(as_text=True)
    response = client.get("/api/v1/projects?page=-1", headers=token_for(world.users["focal"]))
    assert response.status_code == 400 and "page" in response.get_json()["error"]["message"]
