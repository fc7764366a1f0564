"""Import triage: a francophone 5W as another office writes it (abbreviated organisation types, #N/A in
P-code columns, organisations not registered, a sector value nobody recognises), the preview's summary of
problems by cause, and the actions on a whole cause (register the organisations, read a value as a sector,
skip a cause)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from coordhub.extensions import db
from coordhub.interop.importer import ImportReport, Problem, RowOutcome
from coordhub.reading.tables import is_blank
from coordhub.reading.values import ValueParseError, parse_organisation_type, parse_text
from coordhub.registry.models import Organisation, OrganisationType, Project
from tests.interop.helpers import latest_run, preview, upload, xlsx_bytes

HEADER = [
    "Organisation",
    "Sigle",
    "Type d'organisation",
    "Secteur",
    "Activité",
    "Région",
    "Pcode région",
    "Préfecture",
    "Pcode préfecture",
    "Date de début",
    "Date de fin",
    "Statut",
]
NEW_ORGANISATIONS = [
    ("Association pour le Développement Rural", "ADR", "ONG Nat"),
    ("Solidarité Sans Frontières Internationale", "SSFI", "ONG Int"),
    ("Programme Conjoint des Nations Unies", "PCNU", "Agence UN"),
    ("Société de la Croix-Rouge locale", "SCRL", "Mouv. CR"),
]


def five_w(rows_per_organisation: int = 3, sector: str = "Education", pcode_of_district: str = "CF632") -> bytes:
    """Rows of four unregistered organisations and of the registered NGOA; every third row has #N/A where the
    prefecture's P-code should be (a broken VLOOKUP), the name being right."""
    rows = [HEADER]
    organisations = NEW_ORGANISATIONS + [("NGOA organisation", "NGOA", "ONG Int")]
    for index, (name, acronym, kind) in enumerate(organisations):
        for n in range(rows_per_organisation):
            pcode = "#N/A" if n % 3 == 2 else pcode_of_district
            rows.append(
                [
                    name,
                    acronym,
                    kind,
                    sector,
                    f"Réhabilitation d'écoles {index}-{n}",
                    "Ouham-Pendé",
                    "CF63",
                    "Bozoum",
                    pcode,
                    f"0{n + 1}/02/2026",
                    "30/06/2026",
                    "En cours",
                ]
            )
    return xlsx_bytes({"5W": rows})


def organisation_count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Organisation))


def project_count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Project))


@pytest.mark.parametrize(
    "label, expected",
    [
        ("ONG Int", "international_ngo"),
        ("ONG Int.", "international_ngo"),
        ("ONG Nat", "national_ngo"),
        ("Agence UN", "un_agency"),
        ("Agence du SNU", "un_agency"),
        ("Mouv. CR", "red_cross"),
        ("Int'l NGO", "international_ngo"),
        ("Org Intl", "international_ngo"),
        ("Gouv.", "government_ministry"),
        ("Autorités locales", "local_authority"),
        ("Sect. privé", "private_sector"),
        ("NNGO", "national_ngo"),
    ],
)
def test_organisation_types_as_offices_abbreviate_them(label, expected):
    assert parse_organisation_type(label) == expected


@pytest.mark.parametrize("label", ["Autre", "xyz", "ONG"[:1]])
def test_unknown_organisation_types_are_still_refused(label):
    with pytest.raises(ValueParseError):
        parse_organisation_type(label)


@pytest.mark.parametrize("value", ["#N/A", " #n/a ", "#REF!", "#VALUE!", "#DIV/0!", "#NAME?", "#NULL!", "#NUM!"])
def test_spreadsheet_error_values_are_empty(value):
    assert is_blank(value) and parse_text(value) is None


def test_a_hashtag_is_not_a_spreadsheet_error():
    assert not is_blank("#adm2+code") and parse_text("#N/A N/A") is None


def test_problems_are_grouped_by_cause_and_column_with_counts_and_examples():
    report = ImportReport(kind="projects", filename="f.csv", area_prefixes=("CF",))
    for row in range(2, 12):
        report.rows.append(RowOutcome(row, "error"))
        report.problems.append(
            Problem(row, "Organisation", "no organisation named …", f"Org {row % 4}", cause="organisation:not_found")
        )
    report.problems.append(Problem(3, "Pcode", "no admin area has the P-code AF0101", "AF0101", cause="area:not_found"))
    report.problems.append(Problem(4, "Pcode", "…", "AF0102", severity="warning", cause="area:not_found"))
    groups = report.groups()
    assert [(g["cause"], g["rows"], g["distinct"]) for g in groups] == [
        ("organisation:not_found", 10, 4),
        ("area:not_found", 1, 1),
    ]
    assert groups[0]["examples"] == ["Org 2", "Org 3", "Org 0"] and groups[0]["first_row"] == 2
    assert groups[1]["other_country"] and not groups[0]["other_country"]
    assert report.blocked
    report.skip_causes = frozenset(g["key"] for g in groups)
    assert not report.blocked


def test_francophone_5w_in_one_import_with_registered_organisations(world, login, client):
    """One file is one import: the administrator registers the file's organisations from the preview."""
    before_organisations = organisation_count()
    login(world.users["admin"])
    upload(client, "projects", five_w(), "5W_TCD.xlsx")
    run = latest_run()
    preview(client, run.id)
    page = client.get(f"/imports/{run.id}").get_data(as_text=True)
    # Twelve rows of four organisations not registered: one line of the summary, not twelve errors.
    assert "4 organisations are not registered — 12 rows" in page
    assert "Register them with this import" in page
    # NGOA's rows are fine, #N/A included: the prefecture was found by its name within the region.
    assert latest_run().report["counts"]["create"] == 3
    response = client.post(f"/imports/{run.id}/triage", data={"action": "create_organisations"})
    assert response.status_code == 302
    report = latest_run().report
    assert report["counts"] == {"create": 15, "update": 0, "unchanged": 0, "duplicate": 0, "error": 0}
    assert sorted((o["acronym"], o["type"]) for o in report["new_organisations"]) == [
        ("ADR", "national_ngo"),
        ("PCNU", "un_agency"),
        ("SCRL", "red_cross"),
        ("SSFI", "international_ngo"),
    ]
    page = client.get(f"/imports/{run.id}").get_data(as_text=True)
    assert "4 organisations will be registered with this import" in page
    assert organisation_count() == before_organisations  # a preview writes nothing, organisations neither
    client.post(f"/imports/{run.id}/commit", data={})
    db.session.expire_all()
    assert project_count() == 15 and organisation_count() == before_organisations + 4
    adr = db.session.scalar(sa.select(Organisation).where(Organisation.acronym == "ADR"))
    assert adr.type is OrganisationType.national_ngo and adr.is_local


def test_a_focal_point_cannot_register_organisations(world, login, client):
    before = organisation_count()
    login(world.users["focal"])
    upload(client, "projects", five_w(), "5W_TCD.xlsx")
    run = latest_run()
    preview(client, run.id)
    assert "Register them with this import" not in client.get(f"/imports/{run.id}").get_data(as_text=True)
    client.post(f"/imports/{run.id}/triage", data={"action": "create_organisations"})
    assert not (latest_run().options or {}).get("create_organisations")
    assert organisation_count() == before


def test_a_sector_value_read_as_a_chosen_sector_for_the_whole_file(world, login, client):
    login(world.users["admin"])
    upload(client, "projects", five_w(sector="Réhabilitation scolaire"), "5W.xlsx")
    run = latest_run()
    preview(client, run.id)
    groups = latest_run().report["groups"]
    sector_group = next(g for g in groups if g["cause"].startswith("sector:"))
    assert sector_group["examples"] == ["Réhabilitation scolaire"] and sector_group["rows"] == 15
    assert "1 sector value is not recognised — 15 rows" in client.get(f"/imports/{run.id}").get_data(as_text=True)
    client.post(
        f"/imports/{run.id}/triage", data={"action": "map_value", "value": "Réhabilitation scolaire", "code": "EDU"}
    )
    assert latest_run().options["value_maps"] == {"sector": {"rehabilitation scolaire": "EDU"}}
    assert not any(g["cause"].startswith("sector:") for g in latest_run().report["groups"])
    bad = client.post(f"/imports/{run.id}/triage", data={"action": "map_value", "value": "x", "code": "NOPE"})
    assert bad.status_code == 302 and "Unknown sector" in client.get(bad.location).get_data(as_text=True)


def test_skip_a_whole_cause_then_import_the_rest(world, login, client):
    login(world.users["admin"])
    upload(client, "projects", five_w(), "5W.xlsx")
    run = latest_run()
    preview(client, run.id)
    key = next(g["key"] for g in latest_run().report["groups"] if g["cause"].startswith("organisation:"))
    client.post(f"/imports/{run.id}/triage", data={"action": "skip", "key": key})
    report = latest_run().report
    assert not report["blocked"] and report["skip_causes"] == [key]
    client.post(f"/imports/{run.id}/commit", data={})
    db.session.expire_all()
    assert project_count() == 3


def test_nothing_to_write_disables_import_and_names_another_country(world, login, client):
    login(world.users["coordinator"])
    rows = [["Organisation", "Sector", "Admin 2 P-code"], ["#org+name", "#sector", "#adm2+code"]]
    rows += [["NGOA organisation", "Education", f"AF01{n:02d}"] for n in range(1, 8)]
    upload(client, "projects", xlsx_bytes({"3W": rows}), "afg.xlsx")
    run = latest_run()
    preview(client, run.id, default_start="2026-01-01", default_end="2026-03-31")
    page = client.get(f"/imports/{run.id}").get_data(as_text=True)
    assert "Admin areas of another country" in page and "is this the right operation?" in page
    assert "No row would be written: every row is rejected" in page
    assert 'type="submit" disabled' in page
    client.post(f"/imports/{run.id}/commit", data={"skip_invalid": "y"})
    assert project_count() == 0 and latest_run().status.value == "previewed"


def test_the_value_shown_is_the_files_own_text_in_its_own_column(world, login, client):
    """A wrong admin-1 code is reported under the admin-1 column with the admin-1 value (it was shown under
    the admin-2 column, where the reader saw 'AF01' next to a cell holding 'AF0101')."""
    login(world.users["coordinator"])
    rows = [
        ["Organisation", "Sector", "Admin 1 P-code", "Admin 2 P-code"],
        ["#org+name", "#sector", "#adm1+code", "#adm2+code"],
        ["NGOA organisation", "Education", "XX99", "CF632"],
    ]
    upload(client, "projects", xlsx_bytes({"3W": rows}), "bad.xlsx")
    run = latest_run()
    preview(client, run.id, default_start="2026-01-01", default_end="2026-03-31")
    problem = next(p for p in latest_run().report["problems"] if p["cause"].startswith("area:"))
    assert (problem["column"], problem["value"]) == ("Admin 1 P-code", "XX99")


def test_a_coordinator_may_register_the_organisations_of_a_file(world, login, client):
    login(world.users["coordinator"])
    upload(client, "projects", five_w(), "5W.xlsx")
    run = latest_run()
    preview(client, run.id)
    assert "Register them with this import" in client.get(f"/imports/{run.id}").get_data(as_text=True)
    client.post(f"/imports/{run.id}/triage", data={"action": "create_organisations"})
    assert latest_run().options["create_organisations"] is True
    assert len(latest_run().report["new_organisations"]) == 4
