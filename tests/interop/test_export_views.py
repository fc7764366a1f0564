"""Exports through the test client: every format round-trips through the importer; filters, redaction, 3W, IATI."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from coordhub.extensions import db
from coordhub.interop.iati import validate_iati_activities
from coordhub.interop.importer import ImportSettings, run_import
from coordhub.registry.models import Capacity, Need, Project, ProjectStatus
from tests import factories


def snapshot(kind: type, operation) -> list[tuple]:
    """A record as people compare it: everything but ids, codes, stamps and the operation."""
    rows = []
    for record in db.session.scalars(sa.select(kind).where(kind.operation_id == operation.id)):
        common = (
            record.title,
            record.organisation.name,
            record.start_date,
            record.end_date,
            tuple(sorted(a.pcode for a in record.areas)),
        )
        if kind is Project:
            rows.append(
                common
                + (
                    record.sector.code,
                    record.status.value,
                    record.budget,
                    record.currency,
                    record.beneficiaries_targeted,
                    record.target_group,
                    record.description,
                    tuple(sorted(o.name for o in record.partners)),
                )
            )
        elif kind is Need:
            rows.append(
                common
                + (
                    record.sector.code,
                    record.resource_type.code,
                    record.quantity,
                    record.priority,
                    record.status.value,
                    record.source,
                    record.description,
                )
            )
        else:
            rows.append(
                common + (record.resource_type.code, record.quantity, record.unit_cost, record.currency, record.notes)
            )
    return sorted(rows, key=repr)


@pytest.fixture
def registry(world):
    """Records of every kind with the awkward values: partners, accents, formulas, no end date."""
    op = world.operation
    factories.make_project(
        op,
        world.ngo,
        ["CF632", "CF633"],
        code="P-1",
        title="Écoles de Bozoum",
        budget=125000.5,
        currency="EUR",
        beneficiaries_targeted=1200,
        target_group="enfants",
        status=ProjectStatus.ongoing,
        description="=SUM(A1) is text",
        partners=[world.local_authority],
    )
    factories.make_project(
        op, world.other_ngo, ["CF711"], "HEALTH-MOBILE-CLINIC", title="Clinique mobile", end_date=None
    )
    factories.make_need(
        op,
        world.local_authority,
        "CF633",
        "WASH-BOREHOLE",
        title="Forages",
        quantity=4.5,
        priority=5,
        source="MIRA 2026",
        code="N-1",
    )
    factories.make_need(op, world.local_authority, "CF711", title="Salles de classe")
    factories.make_capacity(
        op,
        world.ngo,
        ["CF63", "CF711"],
        "WASH-TRUCKING",
        title="Camions-citernes",
        notes="m³ par jour",
        currency="XAF",
        unit_cost=12.25,
        code="C-1",
    )
    return world


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("slug,kind", [("projects", Project), ("needs", Need), ("capacities", Capacity)])
def test_export_then_import_gives_the_same_records(registry, login, client, fmt, slug, kind):
    world = registry
    login(world.users["admin"])
    response = client.get(f"/{slug}/export.{fmt}")
    assert response.status_code == 200 and f'{slug}-' in response.headers["Content-Disposition"]
    data = response.get_data()
    copy = factories.make_operation("Copy of CAR")
    admin = world.users["admin"]
    report = run_import(admin, copy, data, f"{slug}.{fmt}", ImportSettings(slug), commit=True)
    assert report.committed and report.counts["error"] == 0, [str(p) for p in report.problems]
    assert snapshot(kind, copy) == snapshot(kind, world.operation)
    # The export of the records just imported re-imports onto them unchanged.
    again = run_import(admin, world.operation, data, f"{slug}.{fmt}", ImportSettings(slug), commit=False)
    assert again.counts["unchanged"] == len(snapshot(kind, world.operation)) and again.counts["create"] == 0


def test_csv_export_has_hxl_row_and_respects_filters(registry, login, client):
    login(registry.users["admin"])
    text = client.get(f"/projects/export.csv?sector={factories.sector('EDU').id}").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0][:3] == ["Code", "Activity", "Description"] and rows[1][:3] == [
        "#activity+code",
        "#activity+name",
        "#activity+description",
    ]
    assert [row[1] for row in rows[2:]] == ["Écoles de Bozoum"]
    assert rows[2][2] == "'=SUM(A1) is text"  # never a formula in a spreadsheet
    area = factories.area(registry.operation, "CF71").id
    text = client.get(f"/needs/export.csv?area={area}").get_data(as_text=True)
    assert [row[1] for row in csv.reader(io.StringIO(text))][2:] == ["Salles de classe"]


def test_sensitive_records_are_exported_as_the_list_shows_them(registry, login, client):
    world = registry
    factories.make_project(
        world.operation, world.ngo, ["CF711"], "PROT-PSS", title="Ex-combatants list", sensitive=True, code="SECRET-1"
    )
    login(world.users["viewer"])  # of another organisation
    workbook = load_workbook(io.BytesIO(client.get("/projects/export.xlsx").get_data()))
    rows = [list(row) for row in workbook.active.iter_rows(values_only=True)]
    header = rows[0]
    sensitive = [dict(zip(header, row)) for row in rows[2:] if row[header.index("Sector code")] == "PROT"]
    assert len(sensitive) == 1
    assert sensitive[0]["Activity"] == "Sensitive entry (details restricted)"
    assert sensitive[0]["Organisation"] is None and sensitive[0]["Code"] is None and sensitive[0]["Start date"] is None
    assert sensitive[0]["P-codes (any level)"] == "CF711"
    page = client.get("/projects/").get_data(as_text=True)
    assert "Sensitive entry (details restricted)" in page and "Ex-combatants list" not in page
    login(world.users["focal"])  # the owner's focal point sees it whole
    assert b"Ex-combatants list" in client.get("/projects/export.csv").get_data()


def test_three_w_export_in_the_ocha_layout_round_trips(registry, login, client):
    world = registry
    login(world.users["coordinator"])
    text = client.get("/projects/3w.csv").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0] == [
        "Organisation",
        "Organisation acronym",
        "Organisation type",
        "Implementing partner",
        "Sector/Cluster",
        "Sector code",
        "Admin 1",
        "Admin 1 P-code",
        "Admin 2",
        "Admin 2 P-code",
        "Activity",
        "Activity code",
        "Status",
        "Start date",
        "End date",
        "Beneficiaries targeted",
        "Beneficiaries reached",
    ]
    assert rows[1][:4] == ["#org+name", "#org+acronym", "#org+type", "#org+impl"]
    schools = [row for row in rows[2:] if row[11] == "P-1"]
    assert [(row[6], row[7], row[8], row[9]) for row in schools] == [
        ("Ouham-Pendé", "CF63", "Bozoum", "CF632"),
        ("Ouham-Pendé", "CF63", "Bocaranga", "CF633"),
    ]
    assert schools[0][3] == "PREF organisation"
    workbook = load_workbook(io.BytesIO(client.get("/projects/3w.xlsx").get_data()))
    assert workbook.active.title == "3W" and workbook.active["A2"].value == "#org+name"
    # One row per project and area; the rows of one code come back as one project in both areas.
    copy = factories.make_operation("3W copy")
    report = run_import(
        world.users["admin"], copy, text.encode("utf-8"), "3w.csv", ImportSettings("projects"), commit=True
    )
    assert report.committed, [str(p) for p in report.problems]
    imported = db.session.scalar(sa.select(Project).where(Project.operation_id == copy.id, Project.code == "P-1"))
    assert [a.pcode for a in imported.areas] == ["CF632", "CF633"] and imported.partners[0].acronym == "PREF"


def test_iati_export_is_schema_valid_and_respects_rights(registry, login, client):
    world = registry
    factories.make_project(world.operation, world.ngo, ["CF711"], "PROT-PSS", title="Victims", sensitive=True)
    world.ngo.iati_identifier = "XM-DAC-47066"
    db.session.commit()
    login(world.users["focal"])
    response = client.get(f"/organisations/{world.ngo.id}/iati.xml")
    assert response.status_code == 200 and response.mimetype == "application/xml"
    assert response.headers["X-Sensitive-Projects-Left-Out"] == "1"
    xml = response.get_data()
    assert validate_iati_activities(xml) == []
    assert b"<iati-identifier>XM-DAC-47066-P-1</iati-identifier>" in xml and b"Victims" not in xml
    assert b'<participating-org role="4"' in xml and b'<sector vocabulary="1" code="11220"' in xml
    assert b'<location ref="CF632">' in xml and b'<recipient-country code="CF"' in xml and b"<budget" in xml
    assert client.get(f"/organisations/{world.other_ngo.id}/iati.xml").status_code == 403
    login(world.users["coordinator"])
    response = client.get(f"/organisations/{world.ngo.id}/iati.xml?include_sensitive=1")
    assert response.headers["X-Sensitive-Projects-Left-Out"] == "0" and b"Victims" in response.get_data()
    assert validate_iati_activities(response.get_data()) == []
    # An organisation without an IATI identifier still gets a valid file.
    other = client.get(f"/organisations/{world.other_ngo.id}/iati.xml").get_data()
    assert validate_iati_activities(other) == [] and f"XX-COORDHUB-{world.other_ngo.id}".encode() in other


def test_export_streams_large_lists(world, login, client):
    for number in range(1200):
        db.session.add(
            Project(
                operation=world.operation,
                organisation=world.ngo,
                sector=factories.sector("EDU"),
                title=f"School {number}",
                start_date=date(2026, 1, 1),
            )
        )
    db.session.commit()
    login(world.users["viewer"])
    response = client.get("/projects/export.csv")
    assert response.is_streamed
    assert response.get_data(as_text=True).count("School ") == 1200


def test_iati_export_of_an_organisation_without_projects_says_so(world, login, client):
    """An IATI file needs at least one activity: no 500, a message and the (empty) list instead."""
    login(world.users["focal"])
    response = client.get(f"/organisations/{world.ngo.id}/iati.xml")
    assert response.status_code == 302 and f"organisation={world.ngo.id}" in response.headers["Location"]
    assert "has no project to publish in IATI" in client.get(response.headers["Location"]).get_data(as_text=True)
