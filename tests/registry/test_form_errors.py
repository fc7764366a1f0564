"""A form says everything at once: every problem of one submit, shape and meaning alike."""

from __future__ import annotations

import re

import sqlalchemy as sa

from coordhub.extensions import db
from coordhub.registry.models import Need, Project
from tests import factories
from tests.registry.test_views import project_form


def test_three_problems_are_reported_in_one_submit(world, login, client):
    """The walk-through: a negative budget (the form's own check), an end date before the start and a Health
    activity type under the Education sector (the operation's checks) took three submits to learn."""
    login(world.users["focal"])
    health_type = factories.resource_type("HEALTH-MOBILE-CLINIC")
    response = client.post(
        "/projects/new", data=project_form(world, budget="-5", end_date="2026-01-01", resource_type_id=health_type.id)
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Number must be at least 0" in page or "at least 0" in page
    assert "The end date must be on or after the start date." in page
    assert "This resource type belongs to the sector" in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Project)) == 0


def test_meaning_problems_of_several_fields_at_once(world, login, client):
    """Without any shape problem, the operation's checks also report every field at once."""
    login(world.users["coordinator"])
    rtype = factories.resource_type("WASH-BOREHOLE")
    data = {
        "organisation_id": world.users["coordinator"].organisation_id,
        "title": "Boreholes",
        "sector_id": factories.sector("HEALTH").id,
        "resource_type_id": rtype.id,
        "admin_area_id": factories.area(world.operation, "CF632").id,
        "quantity": "4",
        "priority": "4",
        "start_date": "2026-05-01",
        "end_date": "2026-04-01",
        "status": "open",
    }
    page = client.post("/needs/new", data=data).get_data(as_text=True)
    assert "The end date must be on or after the start date." in page
    assert "This resource type belongs to the sector" in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Need)) == 0


def test_no_sector_is_chosen_for_the_person_and_required_fields_are_marked(world, login, client):
    login(world.users["focal"])
    page = client.get("/projects/new").get_data(as_text=True)
    sector = re.search(r'<select[^>]*id="sector_id"[^>]*>(.*?)</select>', page, re.S).group(1)
    assert re.search(r'<option (selected )?value="">Choose a sector…</option>', sector)
    assert "selected" not in sector.split("Choose a sector…")[1]
    assert 'class="mb-3 required"' in page and "required-legend" in page
    response = client.post("/projects/new", data=project_form(world, sector_id=""))
    assert response.status_code == 200 and "This field is required." in response.get_data(as_text=True)
