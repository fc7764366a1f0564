"""The import wizard through the test client: upload, sheet, columns, preview, commit, templates, rights."""

from __future__ import annotations

import sqlalchemy as sa

from coordhub.audit.models import AuditEntry
from coordhub.extensions import db
from coordhub.interop.models import ImportStatus, MappingTemplate
from coordhub.registry.models import Project
from tests import factories
from tests.interop.helpers import (
    PROJECT_HEADER,
    PROJECT_HXL,
    csv_bytes,
    latest_run,
    preview,
    project_rows,
    upload,
    xlsx_bytes,
)


def project_count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Project))


def test_wizard_preview_then_commit_then_reimport_changes_nothing(world, login, client):
    login(world.users["focal"])
    data = csv_bytes([PROJECT_HEADER, PROJECT_HXL] + project_rows("NGOA organisation", 6))
    response = upload(client, "projects", data, "3w.csv")
    run = latest_run()
    assert response.status_code == 302 and response.location.endswith(f"/imports/{run.id}/mapping")
    page = client.get(f"/imports/{run.id}/mapping").get_data(as_text=True)
    assert "hashtag (#activity+code)" in page and "Classrooms 0" in page  # how found, and sample values
    response = preview(client, run.id)
    assert response.status_code == 302 and response.location.endswith(f"/imports/{run.id}")
    page = client.get(f"/imports/{run.id}").get_data(as_text=True)
    assert "Preview: nothing has been written yet" in page and 'data-count="create">6<' in page
    assert project_count() == 0
    client.post(f"/imports/{run.id}/commit", data={})
    assert project_count() == 6 and latest_run().status is ImportStatus.committed
    project = db.session.scalar(sa.select(Project).where(Project.code == "EDU-00001"))
    assert (project.organisation_id, project.sector.code, [a.pcode for a in project.areas], project.status.value) == (
        world.ngo.id,
        "EDU",
        ["CF633"],
        "ongoing",
    )
    assert project.end_date.isoformat() == "2026-01-02"
    # one audit entry per record plus one for the batch
    actions = db.session.scalars(
        sa.select(AuditEntry.entity_type).where(AuditEntry.user_id == world.users["focal"].id)
    ).all()
    assert actions.count("Project") == 6 and actions.count("ImportRun") == 1

    stamps = {p.id: p.updated_at for p in db.session.scalars(sa.select(Project))}
    upload(client, "projects", data, "3w.csv")
    again = latest_run()
    preview(client, again.id)
    assert 'data-count="unchanged">6<' in client.get(f"/imports/{again.id}").get_data(as_text=True)
    client.post(f"/imports/{again.id}/commit", data={})
    db.session.expire_all()
    assert project_count() == 6
    assert {p.id: p.updated_at for p in db.session.scalars(sa.select(Project))} == stamps


def test_one_bad_row_in_a_thousand_writes_nothing(world, login, client):
    login(world.users["focal"])
    rows = project_rows("NGOA organisation", 1000)
    rows[536][4] = "CF999"  # an unknown P-code on file row 539 (header, hashtags, then rows from 3)
    upload(client, "projects", csv_bytes([PROJECT_HEADER, PROJECT_HXL] + rows), "big.csv")
    run = latest_run()
    preview(client, run.id)
    page = client.get(f"/imports/{run.id}").get_data(as_text=True)
    assert 'data-count="error">1<' in page and 'data-count="create">999<' in page
    assert "<td>539</td><td>Admin 2 P-code</td><td>CF999</td>" in page
    client.post(f"/imports/{run.id}/commit", data={})
    assert project_count() == 0 and latest_run().status is ImportStatus.previewed
    # Skipping the rejected row is an explicit choice, still one transaction.
    client.post(f"/imports/{run.id}/commit", data={"skip_invalid": "y"})
    assert project_count() == 999


def test_near_miss_organisation_gets_did_you_mean(world, login, client):
    login(world.users["admin"])
    data = csv_bytes(
        [PROJECT_HEADER, PROJECT_HXL] + project_rows("NGOA organisaton", 1) + project_rows("NGOB organisation", 1)
    )
    upload(client, "projects", data, "typo.csv")
    run = latest_run()
    preview(client, run.id)
    page = client.get(f"/imports/{run.id}").get_data(as_text=True)
    assert "no organisation named &#39;NGOA organisaton&#39;; did you mean &#39;NGOA organisation (NGOA)&#39;" in page
    assert "Did you mean:" in page and 'data-count="create">1<' in page


def test_focal_point_rows_for_other_organisations_are_errors(world, login, client):
    login(world.users["focal"])
    data = csv_bytes(
        [PROJECT_HEADER, PROJECT_HXL]
        + project_rows("NGOA organisation", 2)
        + project_rows("NGOB organisation", 1, start=5)
    )
    upload(client, "projects", data, "mixed.csv")
    run = latest_run()
    preview(client, run.id)
    page = client.get(f"/imports/{run.id}").get_data(as_text=True)
    assert "<td>5</td><td>Organisation</td>" in page and "You cannot register this for that organisation." in page
    assert latest_run().report["counts"]["error"] == 1


def test_rights_to_import(world, login, client):
    login(world.users["viewer"])
    assert client.get("/imports/").status_code == 403
    login(world.users["focal"])
    page = client.get("/imports/").get_data(as_text=True)
    assert 'value="projects"' in page and 'value="organisations"' not in page and 'value="needs"' not in page
    response = upload(client, "organisations", csv_bytes([["Organisation", "Type"], ["X", "INGO"]]), "orgs.csv")
    assert response.status_code == 200 and "Not a valid choice" in response.get_data(as_text=True)
    run = latest_run()
    assert run is None
    login(world.users["local_focal"])
    assert 'value="needs"' in client.get("/imports/").get_data(as_text=True)


def test_someone_elses_import_is_not_found(world, login, client):
    login(world.users["focal"])
    upload(client, "projects", csv_bytes([PROJECT_HEADER] + project_rows("NGOA organisation", 1)), "mine.csv")
    run = latest_run()
    login(world.users["other_focal"])
    assert client.get(f"/imports/{run.id}/mapping").status_code == 404
    assert client.post(f"/imports/{run.id}/commit", data={}).status_code == 404


def test_xlsx_sheet_choice_and_mapping_correction_saved_as_template(world, login, client):
    login(world.users["coordinator"])
    rows = [
        ["Reported by", "Thème", "Where", "What", "From"],
        ["PREF organisation", "WASH", "CF711", "Boreholes", "2026-01-01"],
    ]
    data = xlsx_bytes({"Notes": [["read me"]], "Data": rows})
    world.users["coordinator"].organisation_id = world.local_authority.id
    db.session.commit()
    upload(client, "needs", data, "needs.xlsx")
    run = latest_run()
    assert client.get(f"/imports/{run.id}/sheet").status_code == 200
    response = client.post(f"/imports/{run.id}/sheet", data={"sheet": "Data"})
    assert response.location.endswith(f"/imports/{run.id}/mapping")
    # Nothing recognises "Thème", "Where" or "What": the person chooses, and saves the choice.
    form = {
        "map-organisation": "0",
        "map-sector": "1",
        "map-pcode": "2",
        "map-title": "3",
        "map-start_date": "4",
        "map-resource_type": "",
        "template_name": "District needs",
        "template_scope": "operation",
    }
    response = client.post(f"/imports/{run.id}/mapping", data=form)
    assert response.status_code == 200
    assert "Choose a column for Resource type or Resource type code" in response.get_data(as_text=True)
    rows[0].append("Resource")
    rows[1].append("Borehole drilling")
    rows[0].append("Qty")
    rows[1].append(3)
    data = xlsx_bytes({"Notes": [["read me"]], "Data": rows})
    upload(client, "needs", data, "needs.xlsx")
    run = latest_run()
    client.post(f"/imports/{run.id}/sheet", data={"sheet": "Data"})
    form.update({"map-resource_type": "5", "map-quantity": "6"})
    assert client.post(f"/imports/{run.id}/mapping", data=form).status_code == 302
    template = db.session.scalar(sa.select(MappingTemplate))
    assert (template.name, template.kind, template.operation_id) == ("District needs", "needs", world.operation.id)
    assert latest_run().report["counts"]["create"] == 1
    # The next file of this layout: the template places every column (moved columns too).
    moved = [[row[1], row[0], *row[2:]] for row in rows]
    upload(client, "needs", xlsx_bytes({"Notes": [["x"]], "Data": moved}), "needs2.xlsx", template=str(template.id))
    run = latest_run()
    client.post(f"/imports/{run.id}/sheet", data={"sheet": "Data"})
    page = client.get(f"/imports/{run.id}/mapping").get_data(as_text=True)
    assert '<option value="0" selected>Thème' in page and '<option value="1" selected>Reported by' in page


def test_big_files_run_as_a_background_job_with_progress(app, world, login, client, config):
    login(world.users["focal"])
    config(IMPORT_BACKGROUND_ROWS=10)
    upload(
        client,
        "projects",
        csv_bytes([PROJECT_HEADER, PROJECT_HXL] + project_rows("NGOA organisation", 20)),
        "big.csv",
    )
    run = latest_run()
    response = preview(client, run.id)
    assert "/jobs/" in response.location
    job_page = client.get(response.location).get_data(as_text=True)
    assert f"/imports/{run.id}" in job_page  # the link to the result once finished
    assert latest_run().report["counts"]["create"] == 20
    response = client.post(f"/imports/{run.id}/commit", data={})
    assert "/jobs/" in response.location
    assert project_count() == 20


def test_unreadable_upload_is_refused_with_a_reason(world, login, client):
    login(world.users["focal"])
    response = upload(client, "projects", b"\xd0\xcf\x11\xe0old excel", "old.xls")
    assert response.status_code == 200
    assert "Excel 97-2003" in response.get_data(as_text=True)


def test_list_pages_show_export_and_import_buttons(world, login, client):
    login(world.users["focal"])
    page = client.get(f"/projects/?sector={factories.sector('EDU').id}&organisation={world.ngo.id}").get_data(
        as_text=True
    )
    assert f"/projects/export.csv?sector={factories.sector('EDU').id}&amp;organisation={world.ngo.id}" in page
    assert (
        "/projects/3w.xlsx" in page
        and f"/organisations/{world.ngo.id}/iati.xml" in page
        and "/imports/?kind=projects" in page
    )
    page = client.get("/needs/").get_data(as_text=True)
    assert (
        "/needs/export.xlsx" in page and "/imports/?kind=needs" not in page
    )  # an NGO's focal point registers no needs


def test_import_link_only_for_users_who_may_import(world, login, client):
    login(world.users["viewer"])
    assert 'href="/imports/"' not in client.get("/").get_data(as_text=True)
    assert client.get("/imports/").status_code == 403
    login(world.users["focal"])
    assert 'href="/imports/"' in client.get("/").get_data(as_text=True)
