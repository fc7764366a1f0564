"""Registering, editing, archiving and browsing projects, needs and capacities through the web pages."""

from __future__ import annotations

import re
from datetime import date

import sqlalchemy as sa

from coordhub.audit.models import AuditEntry
from coordhub.extensions import db
from coordhub.registry.models import Capacity, Need, Project, ProjectStatus
from tests import factories


def project_form(world, **overrides):
    rtype = factories.resource_type("EDU-CLASSROOM")
    data = {
        "organisation_id": world.ngo.id,
        "title": "Classrooms in Bozoum",
        "sector_id": rtype.sector_id,
        "resource_type_id": rtype.id,
        "area_ids": [factories.area(world.operation, "CF632").id],
        "start_date": "2026-03-01",
        "end_date": "2026-06-30",
        "status": "planned",
        "currency": "USD",
        "budget": "120000",
        "beneficiaries_targeted": "900",
        "code": "NGOA-001",
    }
    data.update(overrides)
    return data


def test_focal_point_registers_edits_and_archives_a_project(world, login, client):
    login(world.users["focal"])
    assert client.get("/projects/new").status_code == 200
    response = client.post("/projects/new", data=project_form(world))
    assert response.status_code == 302, response.get_data(as_text=True)
    project = db.session.scalar(sa.select(Project))
    assert project.title == "Classrooms in Bozoum" and project.organisation_id == world.ngo.id
    assert [a.pcode for a in project.areas] == ["CF632"] and project.budget == 120000
    assert project.created_by_id == world.users["focal"].id

    response = client.post(
        f"/projects/{project.id}/edit", data=project_form(world, title="Classrooms, Bozoum", status="ongoing")
    )
    assert response.status_code == 302
    db.session.refresh(project)
    assert project.title == "Classrooms, Bozoum" and project.status is ProjectStatus.ongoing
    entry = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.entity_type == "Project").order_by(AuditEntry.id.desc())
    ).first()
    assert entry.changes["title"] == ["Classrooms in Bozoum", "Classrooms, Bozoum"]
    assert entry.changes["status"] == ["planned", "ongoing"]
    assert entry.user_id == world.users["focal"].id

    assert client.post(f"/projects/{project.id}/archive").status_code == 302
    db.session.refresh(project)
    assert project.archived
    assert "Classrooms, Bozoum" not in client.get("/projects/").get_data(as_text=True)
    assert "Classrooms, Bozoum" in client.get("/projects/?archived=1").get_data(as_text=True)


def test_focal_point_cannot_register_for_another_organisation(world, login, client):
    login(world.users["focal"])
    response = client.post("/projects/new", data=project_form(world, organisation_id=world.other_ngo.id))
    assert response.status_code == 200  # the organisation is not among the choices: a field error
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Project)) == 0


def test_bad_input_names_the_field_and_writes_nothing(world, login, client):
    login(world.users["focal"])
    response = client.post("/projects/new", data=project_form(world, end_date="2026-01-01"))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "The end date must be on or after the start date." in page
    response = client.post("/projects/new", data=project_form(world, budget="-5"))
    assert response.status_code == 200
    response = client.post("/projects/new", data=project_form(world, title=""))
    assert "This field is required." in response.get_data(as_text=True)
    wrong_type = factories.resource_type("HEALTH-MOBILE-CLINIC")
    response = client.post("/projects/new", data=project_form(world, resource_type_id=wrong_type.id))
    assert "This resource type belongs to the sector Health." in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Project)) == 0


def test_area_of_another_operation_is_refused(world, login, client):
    login(world.users["focal"])
    foreign = factories.area(world.other_operation, "XX1")
    response = client.post("/projects/new", data=project_form(world, area_ids=[foreign.id]))
    assert response.status_code == 200
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Project)) == 0


def test_duplicate_code_is_reported_on_the_code_field(world, login, client):
    factories.make_project(world.operation, world.ngo, code="NGOA-001")
    login(world.users["focal"])
    response = client.post("/projects/new", data=project_form(world))
    assert "already uses the code NGOA-001" in response.get_data(as_text=True)


def test_others_see_projects_read_only(world, login, client):
    project = factories.make_project(world.operation, world.ngo, title="Bozoum classrooms")
    login(world.users["other_focal"])
    page = client.get(f"/projects/{project.id}").get_data(as_text=True)
    assert "Bozoum classrooms" in page and f"/projects/{project.id}/edit" not in page
    assert client.get(f"/projects/{project.id}/edit").status_code == 403


def test_local_authority_and_coordinator_register_needs(world, login, client):
    rtype = factories.resource_type("WASH-BOREHOLE")
    data = {
        "organisation_id": world.local_authority.id,
        "title": "Boreholes broken",
        "sector_id": rtype.sector_id,
        "resource_type_id": rtype.id,
        "admin_area_id": factories.area(world.operation, "CF711").id,
        "quantity": "6",
        "priority": "5",
        "start_date": "2026-02-01",
        "status": "open",
        "source": "Damage assessment Feb 2026",
    }
    login(world.users["local_focal"])
    assert client.post("/needs/new", data=data).status_code == 302
    login(world.users["coordinator"])
    assert client.post("/needs/new", data={**data, "title": "Latrines", "quantity": "0"}).status_code == 200
    assert client.post("/needs/new", data={**data, "title": "More boreholes"}).status_code == 302
    login(world.users["focal"])
    assert client.get("/needs/new").status_code == 403
    needs = db.session.scalars(sa.select(Need).order_by(Need.id)).all()
    assert [n.title for n in needs] == ["Boreholes broken", "More boreholes"]
    assert needs[0].priority == 5 and needs[0].end_date is None


def test_focal_point_registers_a_capacity(world, login, client):
    login(world.users["focal"])
    rtype = factories.resource_type("HEALTH-MOBILE-CLINIC")
    response = client.post(
        "/capacities/new",
        data={
            "organisation_id": world.ngo.id,
            "title": "Two mobile teams",
            "resource_type_id": rtype.id,
            "quantity": "24",
            "unit_cost": "3100",
            "currency": "usd",
            "start_date": "2026-01-01",
            "end_date": "2026-12-31",
            "area_ids": [factories.area(world.operation, "CF63").id],
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    capacity = db.session.scalar(sa.select(Capacity))
    assert capacity.quantity == 24 and capacity.unit_cost == 3100 and capacity.currency == "USD"


def test_list_filters_sector_area_subtree_organisation_status_dates_search(world, login, client):
    op = world.operation
    factories.make_project(op, world.ngo, ["CF632"], title="Bozoum school", status=ProjectStatus.ongoing)
    factories.make_project(
        op,
        world.other_ngo,
        ["CF711"],
        "HEALTH-MOBILE-CLINIC",
        title="Bria clinic",
        start_date=date(2026, 8, 1),
        end_date=None,
    )
    factories.make_project(
        op, world.other_ngo, ["CF63"], title="Ouham-Pende teachers", description="teacher training across the province"
    )
    login(world.users["viewer"])

    def titles(query: str) -> set[str]:
        page = client.get("/projects/?" + query).get_data(as_text=True)
        return {t for t in ("Bozoum school", "Bria clinic", "Ouham-Pende teachers") if t in page}

    assert titles("") == {"Bozoum school", "Bria clinic", "Ouham-Pende teachers"}
    assert titles(f"sector={factories.sector('HEALTH').id}") == {"Bria clinic"}
    assert titles(f"area={factories.area(op, 'CF63').id}") == {"Bozoum school", "Ouham-Pende teachers"}
    assert titles(f"area={factories.area(op, 'CF').id}") == {"Bozoum school", "Bria clinic", "Ouham-Pende teachers"}
    assert titles(f"area={factories.area(op, 'CF632').id}") == {"Bozoum school"}
    assert titles(f"organisation={world.other_ngo.id}") == {"Bria clinic", "Ouham-Pende teachers"}
    assert titles("status=ongoing") == {"Bozoum school"}
    assert titles("date_from=2026-07-01") == {"Bria clinic"}  # open-ended counts as ongoing
    assert titles("date_to=2026-05-01") == {"Bozoum school", "Ouham-Pende teachers"}
    assert titles("q=TEACHER+training") == {"Ouham-Pende teachers"}
    assert titles("area=notanumber&date_from=garbage") == {"Bozoum school", "Bria clinic", "Ouham-Pende teachers"}


def test_lists_page(world, login, client):
    for number in range(23):
        factories.make_need(world.operation, world.local_authority, title=f"Need number {number:02d}")
    login(world.users["viewer"])
    first = client.get("/needs/").get_data(as_text=True)
    third = client.get("/needs/?page=3").get_data(as_text=True)
    assert "23 found" in first
    assert first.count("Need number") == 10 and third.count("Need number") == 3
    assert "/needs/?page=2" in first


def test_sensitive_need_is_redacted_for_other_organisations(world, login, client):
    need = factories.make_need(
        world.operation,
        world.local_authority,
        "CF711",
        "PROT-VICTIM-CASE",
        title="Survivors in Bria camp",
        sensitive=True,
    )
    login(world.users["other_focal"])
    page = client.get("/needs/").get_data(as_text=True)
    assert "Survivors in Bria camp" not in page and "Sensitive entry" in page and "Bria" in page
    detail = client.get(f"/needs/{need.id}").get_data(as_text=True)
    assert "Survivors in Bria camp" not in detail and "marked sensitive" in detail
    assert "Survivors" not in client.get("/needs/?q=survivors").get_data(as_text=True)
    assert "1 found" not in client.get(f"/needs/?organisation={world.local_authority.id}").get_data(as_text=True)
    login(world.users["coordinator"])
    assert "Survivors in Bria camp" in client.get(f"/needs/{need.id}").get_data(as_text=True)
    login(world.users["local_focal"])
    assert "Survivors in Bria camp" in client.get("/needs/").get_data(as_text=True)


def test_a_user_of_one_operation_sees_nothing_of_another(world, login, client):
    hidden = factories.make_project(world.operation, world.ngo, title="Only in CAR")
    login(world.users["outsider"])
    assert "Only in CAR" not in client.get("/projects/").get_data(as_text=True)
    assert client.get(f"/projects/{hidden.id}").status_code == 404
    assert client.get(f"/projects/{hidden.id}/edit").status_code == 404
    assert client.post("/operations/switch", data={"operation_id": world.operation.id}).status_code == 403


def test_admin_switches_operation(world, login, client):
    factories.make_project(world.other_operation, world.other_ngo, pcodes=("XX1",), title="Elsewhere project")
    login(world.users["admin"])
    assert "Elsewhere project" not in client.get("/projects/").get_data(as_text=True)
    client.post("/operations/switch", data={"operation_id": world.other_operation.id})
    assert "Elsewhere project" in client.get("/projects/").get_data(as_text=True)


def test_dashboard_areas_and_organisations_pages(world, login, client):
    factories.make_project(world.operation, world.ngo)
    login(world.users["viewer"])
    dashboard = client.get("/").get_data(as_text=True)
    assert "Education" in dashboard
    areas = client.get("/areas/").get_data(as_text=True)
    assert "Centrafrique" in areas
    below = client.get(f"/areas/?parent={factories.area(world.operation, 'CF63').id}").get_data(as_text=True)
    assert "Bozoum" in below and "Bocaranga" in below
    assert "Bria" in client.get("/areas/?q=bria").get_data(as_text=True)
    assert "NGOA organisation" in client.get("/organisations/").get_data(as_text=True)


def test_pages_load_bootstrap_from_the_app_not_a_cdn(world, login, client):
    login(world.users["viewer"])
    page = client.get("/").get_data(as_text=True)
    assert "/bootstrap/static/css/bootstrap.min.css" in page
    # Every stylesheet and script comes from this server: no absolute http(s) or protocol-relative address.
    sources = re.findall(r'<(?:link|script)\b[^>]*\b(?:href|src)="([^"]+)"', page)
    assert sources and all(src.startswith("/") and not src.startswith("//") for src in sources), sources
    assert client.get("/bootstrap/static/css/bootstrap.min.css").status_code == 200


def test_nul_characters_in_forms_are_refused(world, login, client):
    login(world.users["focal"])
    response = client.post("/projects/new", data=project_form(world, title="bad\x00title"))
    assert response.status_code == 400
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Project)) == 0
