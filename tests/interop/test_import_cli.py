"""`coordhub import` through the CLI runner: row report, exit codes, dry run, templates, every kind, real files."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from coordhub.extensions import db
from coordhub.interop.importer import ImportSettings, run_import
from coordhub.interop.models import ImportRun, MappingTemplate
from coordhub.registry.models import AdminArea, Capacity, Need, Operation, Organisation, Project
from tests.interop.conftest import FIXTURES
from tests.interop.helpers import PROJECT_HEADER, PROJECT_HXL, csv_bytes, project_rows


@pytest.fixture
def invoke(app):
    runner = app.test_cli_runner()

    def run(*args):
        return runner.invoke(args=["import", *map(str, args)], catch_exceptions=False)

    return run


def write(tmp_path, name: str, data: bytes):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def count(kind) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(kind))


def test_cli_writes_all_rows_or_none(world, invoke, tmp_path):
    rows = project_rows("NGOA organisation", 1000)
    rows[99][1] = "Educatoin"  # row 102 of the file
    path = write(tmp_path, "3w.csv", csv_bytes([PROJECT_HEADER, PROJECT_HXL] + rows))
    result = invoke("projects", path, "--operation", world.operation.name, "--user", world.users["focal"].email)
    assert result.exit_code == 2
    assert (
        "Row 102, column 'Sector': no sector or cluster called 'Educatoin'; did you mean 'Education (EDU)'?"
        in result.output
    )
    assert (
        "999 to create" in result.output and "1 rejected" in result.output and "Nothing was written." in result.output
    )
    assert count(Project) == 0 and count(ImportRun) == 0
    result = invoke(
        "projects", path, "--operation", world.operation.name, "--user", world.users["focal"].email, "--skip-invalid"
    )
    assert result.exit_code == 0 and count(Project) == 999
    assert "Imported into 'CAR recovery 2026': 999 created, 0 updated." in result.output
    run = db.session.scalar(sa.select(ImportRun))
    assert run.report["counts"]["error"] == 1 and run.filename == "3w.csv"


def test_cli_dry_run_writes_nothing_and_reimport_is_idempotent(world, invoke, tmp_path):
    path = write(tmp_path, "3w.csv", csv_bytes([PROJECT_HEADER, PROJECT_HXL] + project_rows("NGOA organisation", 5)))
    result = invoke("projects", path, "--operation", world.operation.name, "--dry-run")
    assert result.exit_code == 0 and "Dry run: nothing was written." in result.output and count(Project) == 0
    assert "Acting as" in result.output  # the first administrator
    assert invoke("projects", path, "--operation", world.operation.name).exit_code == 0
    result = invoke("projects", path, "--operation", world.operation.name)
    assert "0 to create, 0 to update, 5 unchanged" in result.output and count(Project) == 5


def test_cli_rights_are_the_forms_rights(world, invoke, tmp_path):
    path = write(tmp_path, "3w.csv", csv_bytes([PROJECT_HEADER, PROJECT_HXL] + project_rows("NGOB organisation", 2)))
    result = invoke("projects", path, "--user", world.users["focal"].email)
    assert result.exit_code == 2 and "You cannot register this for that organisation." in result.output
    orgs = write(tmp_path, "orgs.csv", csv_bytes([["Organisation", "Type"], ["New NGO", "INGO"]]))
    result = invoke("organisations", orgs, "--user", world.users["focal"].email)
    assert result.exit_code != 0 and "You may not import organisations." in result.output
    result = invoke("projects", path, "--user", world.users["outsider"].email, "--operation", world.operation.name)
    assert result.exit_code != 0 and "not a member" in result.output


def test_cli_uses_a_saved_template(world, invoke, tmp_path):
    data = csv_bytes(
        [["Partenaire", "Domaine", "Intitulé", "Lieu", "Quand"], ["NGOA", "EDU", "Écoles", "CF632", "01/02/2026"]]
    )
    path = write(tmp_path, "odd.csv", data)
    assert invoke("projects", path, "--operation", world.operation.name, "--dry-run").exit_code == 2
    from coordhub.interop.mapping import mapping_to_template
    from coordhub.reading.tables import read_table

    template = mapping_to_template(
        read_table(data, filename="odd.csv"),
        "projects",
        {"organisation": 0, "sector": 1, "title": 2, "pcodes": 3, "start_date": 4},
    )
    db.session.add(
        MappingTemplate(name="Partner sheet", kind="projects", organisation_id=world.coordination.id, template=template)
    )
    db.session.commit()
    result = invoke("projects", path, "--operation", world.operation.name, "--template", "Partner sheet")
    assert result.exit_code == 0, result.output
    project = db.session.scalar(sa.select(Project))
    assert (project.title, project.start_date, project.organisation.acronym) == ("Écoles", date(2026, 2, 1), "NGOA")
    assert invoke("projects", path, "--template", "Nope", "--operation", world.operation.name).exit_code == 1


def test_organisations_import_dedupes_name_variants(world, invoke, tmp_path):
    rows = [
        ["Organisation", "Acronym", "Type"],
        ["Center For Advocacy, Transparency", "CAT", "NNGO"],
        ["Center for Advocacy Transparency ", "CAT", ""],
        ["CENTER FOR ADVOCACY - TRANSPARENCY", "", ""],
        ["NGOA Organisation", "NGOA", "INGO"],  # already in the registry: unchanged
        ["Peace Initiative Network", "NGOB", "NNGO"],  # an acronym someone else has: a new organisation
        ["", "WEWORLD", "INGO"],
    ]
    path = write(tmp_path, "orgs.csv", csv_bytes(rows))
    result = invoke("organisations", path)
    assert result.exit_code == 0, result.output
    assert "3 to create, 0 to update, 1 unchanged, 2 duplicates, 0 rejected" in result.output
    names = set(db.session.scalars(sa.select(Organisation.name)))
    assert {"Center For Advocacy, Transparency", "Peace Initiative Network", "WEWORLD"} <= names
    assert len([n for n in names if "ADVOCACY" in n.upper()]) == 1
    result = invoke("organisations", path)
    assert "0 to create, 0 to update, 4 unchanged" in result.output


def test_admin_areas_import_from_cod_list_then_3w_columns(world, invoke, tmp_path):
    operation = Operation(name="Chad 2026", country_code="TD")
    db.session.add(operation)
    db.session.commit()
    result = invoke("admin_areas", FIXTURES / "tcd_admin2_extract.csv", "--operation", "Chad 2026")
    assert result.exit_code == 0, result.output
    areas = {a.pcode: a for a in db.session.scalars(sa.select(AdminArea).where(AdminArea.operation_id == operation.id))}
    assert (
        areas["TD0401"].parent.pcode == "TD04"
        and areas["TD04"].parent.pcode == "TD"
        and areas["TD0401"].path == "/TD/TD04/TD0401/"
    )
    assert (
        "0 to create" in invoke("admin_areas", FIXTURES / "tcd_admin2_extract.csv", "--operation", "Chad 2026").output
    )
    # A file without the country column adds districts under the provinces already known, keeping their parent.
    path = write(
        tmp_path,
        "more.csv",
        csv_bytes(
            [["ADM1_PCODE", "ADM1_FR", "ADM2_PCODE", "ADM2_FR"], ["TD04", "Guéra", "TD0499", "Nouveau département"]]
        ),
    )
    assert invoke("admin_areas", path, "--operation", "Chad 2026").exit_code == 0
    db.session.expire_all()
    new = db.session.scalar(sa.select(AdminArea).where(AdminArea.pcode == "TD0499"))
    assert new.path == "/TD/TD04/TD0499/" and new.level == 2


def test_needs_and_capacities_import(world, invoke, tmp_path):
    needs = csv_bytes(
        [
            ["Need", "Organisation", "Resource type code", "P-code", "Quantity", "Priority", "Start date", "Code"],
            ["Forages", "PREF", "WASH-BOREHOLE", "CF633", "4", "high", "2026-04-01", "N-1"],
            ["Trop", "PREF", "WASH-BORHOLE", "CF633", "0", "P9", "2026-04-01", "N-2"],
        ]
    )
    result = invoke("needs", write(tmp_path, "needs.csv", needs), "--user", world.users["local_focal"].email)
    assert result.exit_code == 2
    assert "no resource type called 'WASH-BORHOLE'; did you mean" in result.output
    assert "Row 3, column 'Priority': 'P9' is not a priority from 1 to 5" in result.output
    result = invoke(
        "needs", write(tmp_path, "needs.csv", needs), "--user", world.users["local_focal"].email, "--skip-invalid"
    )
    need = db.session.scalar(sa.select(Need))
    assert (need.sector.code, need.priority, need.quantity, need.area.pcode) == ("WASH", 4, 4.0, "CF633")
    capacities = csv_bytes(
        [
            ["Capacity", "Organisation", "Resource type", "Service areas", "Quantity", "Unit cost", "Start date"],
            ["Camions", "NGOA", "Water trucking", "CF63; CF711", "1 500", "2,5", "01/03/2026"],
        ]
    )
    result = invoke("capacities", write(tmp_path, "caps.csv", capacities), "--user", world.users["focal"].email)
    assert result.exit_code == 0, result.output
    capacity = db.session.scalar(sa.select(Capacity))
    assert ([a.pcode for a in capacity.areas], capacity.quantity, capacity.unit_cost) == (["CF63", "CF711"], 1500, 2.5)


# Real files ------------------------------------------------------------------------------------


def test_real_extracts_import_end_to_end(world, invoke):
    afghanistan = Operation(name="Afghanistan 2024", country_code="AF")
    db.session.add(afghanistan)
    db.session.commit()
    extract = FIXTURES / "afg_3w_extract.csv"
    for kind in ("admin_areas", "organisations"):
        result = invoke(kind, extract, "--operation", afghanistan.name, "--skip-invalid")
        assert result.exit_code == 0, result.output
    result = invoke(
        "projects", extract, "--operation", afghanistan.name, "--start", "2024-01-01", "--end", "2024-03-31"
    )
    assert result.exit_code == 2  # the blank-named WEWORLD rows have no organisation type, so no organisation
    result = invoke(
        "projects",
        extract,
        "--operation",
        afghanistan.name,
        "--start",
        "2024-01-01",
        "--end",
        "2024-03-31",
        "--skip-invalid",
    )
    assert result.exit_code == 0, result.output
    titles = set(db.session.scalars(sa.select(Project.title).where(Project.operation_id == afghanistan.id)))
    assert "Education in Emergencies" in titles and not any(t.startswith("Operational") for t in titles)


def test_full_real_files(world, shared_data):
    """The shared OCHA files, quirks included: what docs/import-real-data.md reports."""
    admin = world.users["admin"]
    results = {}
    for name, country, path, options in (
        (
            "Afghanistan 2024",
            "AF",
            shared_data / "afg_3w_operational_presence_2024q1.csv",
            {"default_start": date(2024, 1, 1), "default_end": date(2024, 3, 31)},
        ),
        ("Nigeria north-east 2023", "NG", shared_data / "nga_3w_2023q4.xlsx", {}),
    ):
        operation = Operation(name=name, country_code=country)
        db.session.add(operation)
        db.session.commit()
        data = path.read_bytes()
        for kind in ("admin_areas", "organisations", "projects"):
            settings = ImportSettings(kind=kind, skip_invalid=True, **(options if kind == "projects" else {}))
            report = run_import(admin, operation, data, path.name, settings, commit=True)
            assert report.committed
            results[(country, kind)] = report.counts
        again = run_import(
            admin,
            operation,
            data,
            path.name,
            ImportSettings(kind="projects", skip_invalid=True, **options),
            commit=False,
        )
        assert again.counts["create"] == again.counts["update"] == 0
    assert results[("AF", "admin_areas")]["create"] == 401  # rows introducing a district (provinces come with them)
    # Shelter/NFI rows go to the housing and shelter sector: 2 of 10,902 rows rejected (an organisation
    # without a type), at most 5 % of a real 3W.
    assert results[("AF", "projects")] == {"create": 10281, "update": 0, "unchanged": 0, "duplicate": 619, "error": 2}
    # Nigeria after Afghanistan: 256 rows name "Action Against Hunger" (AAH/ACF), which fits two organisations the
    # Afghanistan file registered, and 217 give contradictory statuses for the same activity and month.
    assert results[("NG", "projects")] == {"create": 6499, "update": 0, "unchanged": 0, "duplicate": 2394, "error": 473}
