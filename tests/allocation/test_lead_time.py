"""A need's lead time to mobilise through the need form, the API and the importer, and through a plan: a partner not
yet working in the area (no ongoing project there) delivers after the lead time, explained in English and French."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from coordhub.extensions import db
from coordhub.interop.importer import ImportSettings, run_import
from coordhub.registry.models import Need, ProjectStatus
from tests import factories
from tests.allocation.helpers import make_scenario, run_from_form
from tests.allocation.test_runs import text_of
from tests.api.conftest import token_for  # noqa: F401  (fixture)
from tests.interop.helpers import csv_bytes


def need_form(world, **changes) -> dict:
    rtype = factories.resource_type("WASH-BOREHOLE")
    return {
        "organisation_id": world.local_authority.id,
        "title": "Boreholes broken",
        "sector_id": rtype.sector_id,
        "resource_type_id": rtype.id,
        "admin_area_id": factories.area(world.operation, "CF711").id,
        "quantity": "6",
        "priority": "5",
        "start_date": "2026-02-01",
        "status": "open",
        "lead_time": "30",
    } | changes


def test_the_need_form_takes_a_lead_time_and_names_the_field_when_wrong(world, login, client):
    login(world.users["local_focal"])
    assert client.post("/needs/new", data=need_form(world)).status_code == 302
    need = db.session.scalar(sa.select(Need))
    assert need.lead_time == 30
    assert "30 days" in text_of(client.get(f"/needs/{need.id}"))
    response = client.post("/needs/new", data=need_form(world, title="Other", lead_time="-2"))
    assert response.status_code == 200 and db.session.scalar(sa.select(sa.func.count()).select_from(Need)) == 1
    assert client.post("/needs/new", data=need_form(world, title="None", lead_time="")).status_code == 302
    assert db.session.scalar(sa.select(Need).where(Need.title == "None")).lead_time == 0


def test_the_api_and_the_importer_take_a_lead_time(world, client, token_for):  # noqa: F811
    headers = token_for(world.users["local_focal"])
    rtype = factories.resource_type("WASH-BOREHOLE")
    body = {
        "organisation_id": world.local_authority.id,
        "title": "Boreholes",
        "sector_id": rtype.sector_id,
        "resource_type_id": rtype.id,
        "admin_area_pcode": "CF711",
        "quantity": 4,
        "priority": 4,
        "start_date": "2026-03-01",
        "lead_time": 21,
    }
    created = client.post("/api/v1/needs", headers=headers, json=body)
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["lead_time"] == 21
    bad = client.post("/api/v1/needs", headers=headers, json=body | {"title": "Bad", "lead_time": 5000})
    assert bad.status_code == 422 and bad.get_json()["error"]["field"] == "lead_time"
    rows = csv_bytes(
        [
            ["Need", "Organisation", "Resource type code", "P-code", "Quantity", "Start date", "Lead time", "Code"],
            ["Forages", "PREF", "WASH-BOREHOLE", "CF633", "4", "2026-04-01", "14", "N-1"],
        ]
    )
    report = run_import(
        world.users["local_focal"], world.operation, rows, "needs.csv", ImportSettings("needs"), commit=True
    )
    assert report.committed, [str(p) for p in report.problems]
    assert db.session.scalar(sa.select(Need).where(Need.code == "N-1")).lead_time == 14


def test_a_plan_waits_for_the_lead_time_where_the_partner_is_not_present(world, login, client):
    s = make_scenario(world)
    s.high.lead_time = 45
    s.ngo_classrooms.throughput = 4.0
    db.session.commit()
    login(world.users["coordinator"])
    run = run_from_form(client, periods="month", horizon="2026-04-30")
    high = {a.period: a.quantity for a in run.assignments if a.need_id == s.high.id}
    # NGOA has no project in Bozoum: 45 days from 1 March, it delivers from 15 April; NGOB (4 units) from March.
    assert all(
        a.period >= date(2026, 4, 1)
        for a in run.assignments
        if a.need_id == s.high.id and a.capacity_id == s.ngo_classrooms.id
    )
    assert sum(high.values()) < 10
    page = text_of(client.get(f"/allocations/{run.id}"))
    assert "Could not mobilise in time: “NGOA classroom teams” (NGOA), not yet present in Bozoum (CF632)" in page
    assert "could deliver only from 2026-04-15" in page
    world.users["coordinator"].locale = "fr"
    db.session.commit()
    french = text_of(client.get(f"/allocations/{run.id}"))
    assert "Mobilisation impossible à temps" in french and "le 2026-04-15" in french
    world.users["coordinator"].locale = "en"
    db.session.commit()
    # An ongoing NGOA project in Bozoum: present there, no lead time.
    factories.make_project(world.operation, world.ngo, ("CF632",), status=ProjectStatus.ongoing)
    again = run_from_form(client, periods="month", horizon="2026-04-30")
    assert any(
        a.period == date(2026, 3, 1) and a.capacity_id == s.ngo_classrooms.id
        for a in again.assignments
        if a.need_id == s.high.id
    )
