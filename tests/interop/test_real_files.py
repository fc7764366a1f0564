"""The real OCHA 3W and COD files: the extracts, and the full files (tests/fixtures/real)."""

from collections import Counter
from datetime import date

import pytest

from coordhub.interop.mapping import propose_mapping
from coordhub.interop.matching import (
    AdminAreaMatcher,
    AdminAreaRef,
    AreaQuery,
    MatchStatus,
    OrganisationMatcher,
    OrganisationRef,
    SectorMatcher,
    name_key,
)
from coordhub.interop.records import ExtractOptions, extract_records
from coordhub.reading.tables import read_table


def areas_from_admin_records(records) -> list[AdminAreaRef]:
    """A registry built the way an admin-areas import would: one area per P-code and level."""
    areas: dict[str, AdminAreaRef] = {}
    for record in records:
        parent = None
        for level in (1, 2, 3):
            code = record.values.get(f"adm{level}_code")
            if code:
                areas.setdefault(
                    code, AdminAreaRef(len(areas) + 1, code, record.values[f"adm{level}_name"], level, parent)
                )
                parent = code
    return list(areas.values())


def area_queries(values) -> list[AreaQuery]:
    return [AreaQuery(level, values.get(f"adm{level}_code"), values.get(f"adm{level}_name")) for level in (1, 2, 3)]


# Admin lists -----------------------------------------------------------------------------------


def test_chad_admin_list_with_bom_and_accents(fixture_path):
    table = read_table(fixture_path("tcd_admin2_extract.csv"))
    assert table.encoding == "utf-8-sig" and table.headers[0] == "ADM0_FR"
    proposal = propose_mapping(table, "admin_areas")
    assert proposal.mapping == {
        "adm0_name": 0,
        "adm0_code": 1,
        "adm1_name": 2,
        "adm1_code": 3,
        "adm2_name": 4,
        "adm2_code": 5,
    }
    records = extract_records(table, "admin_areas", proposal.mapping)
    assert all(record.ok for record in records)
    matcher = AdminAreaMatcher(areas_from_admin_records(records))
    assert matcher.match_name("GUERA", level=2).record.pcode == "TD0401"  # accents and case ignored
    assert matcher.match_name("Guéra").status == MatchStatus.ambiguous  # province and department share the name
    assert matcher.match_name("Ndjamena", level=2).record.pcode == "TD1801"
    assert matcher.match_name("Tandjilé Ouest", parent_pcode="TD16").record.pcode == "TD1602"
    assert matcher.match_name("Mangalme", parent_pcode="TD04").record.pcode == "TD0404"


def test_burkina_faso_admin_list_with_crlf(fixture_path):
    table = read_table(fixture_path("bfa_admin2_extract.csv"))
    assert table.headers[:2] == ["year", "ISO3"]
    proposal = propose_mapping(table, "admin_areas")
    assert proposal.mapping["adm0_code"] == 3  # ADM0_PCODE rather than ISO3
    records = extract_records(table, "admin_areas", proposal.mapping)
    assert [record.row for record in records][:2] == [2, 3]
    assert records[0].values["adm2_name"] == "Bale" and records[0].values["adm2_code"] == "BF4601"
    assert len({record.values["adm1_code"] for record in records}) >= 2


def test_afghanistan_admin1_with_hashtags_and_spaced_headers(fixture_path):
    table = read_table(fixture_path("afg_admin1_extract.csv"))
    assert table.headers[4] == "F_TL"  # ' F_TL ' in the file
    proposal = propose_mapping(table, "admin_areas")
    assert proposal.mapping == {"adm0_name": 0, "adm0_code": 1, "adm1_name": 2, "adm1_code": 3}
    records = extract_records(table, "admin_areas", proposal.mapping)
    assert {"adm1_name": "Kabul", "adm1_code": "AF01", "adm0_name": "Afghanistan", "adm0_code": "AF"} in [
        r.values for r in records
    ]


# 3W files --------------------------------------------------------------------------------------


def afghanistan_registry(records):
    provinces = {r.values["adm1_code"]: r.values["adm1_name"] for r in records}
    districts = {r.values["adm2_code"]: (r.values["adm2_name"], r.values["adm1_code"]) for r in records}
    areas = [AdminAreaRef(code, code, name, 1) for code, name in provinces.items()]
    areas += [AdminAreaRef(code, code, name, 2, parent) for code, (name, parent) in districts.items()]
    return areas


def test_afghanistan_3w_extract(fixture_path, sectors, organisations):
    table = read_table(fixture_path("afg_3w_extract.csv"))
    proposal = propose_mapping(table, "projects")
    assert proposal.problems == []
    records = extract_records(
        table,
        "projects",
        proposal.mapping,
        ExtractOptions(default_start=date(2024, 1, 1), default_end=date(2024, 3, 31)),
    )
    assert all(record.ok for record in records)
    assert records[10].values["organisation"] == "Afghans 4 Tomorrow"  # trailing space gone
    assert records[12].values["organisation"] == "Organization for Coordination of Humanitarian Relief"  # NBSP gone
    assert records[0].values["start_date"] == date(2024, 1, 1)
    blank_org = next(record for record in records if "organisation" not in record.values)
    assert blank_org.values["organisation_acronym"] == "WEWORLD" and "organisation_type" not in blank_org.values

    sector_matcher = SectorMatcher(sectors)
    found = [sector_matcher.match_any(r.values.get("sector_code"), r.values.get("sector")) for r in records]
    by_code = {
        (r.values["sector_code"], result.record.code if result.ok else result.status.value)
        for r, result in zip(records, found)
    }
    assert by_code == {
        ("EiE_OP", "EDU"),
        ("EDUCATION_OP", "EDU"),
        ("FSAC_OP", "not_found"),
        ("WASH_OP", "WAT"),
        ("PROTECTION_OP", "PRO"),
    }

    org_matcher = OrganisationMatcher(organisations)
    assert (
        org_matcher.match(records[12].values["organisation"], records[12].values["organisation_acronym"]).record.id == 5
    )
    assert (
        org_matcher.match(records[11].values["organisation"], records[11].values["organisation_acronym"]).record.id == 8
    )

    area_matcher = AdminAreaMatcher(afghanistan_registry(records))
    assert all(area_matcher.match_path(area_queries(r.values)).ok for r in records)


def test_nigeria_3w_extract(fixture_path, sectors, organisations, areas):
    table = read_table(fixture_path("nga_3w_extract.xlsx"))
    assert table.sheet == "NGA 3Ws Data Q4 2023"
    proposal = propose_mapping(table, "projects")
    assert proposal.problems == []
    assert {name: table.column_label(column) for name, column in proposal.mapping.items()} == {
        "title": "Activities",
        "organisation": "Organization",
        "organisation_acronym": "Org. Acronym",
        "organisation_type": "Type of Organization",
        "sector": "Project Sector",
        "adm1_name": "State",
        "adm1_code": "State Pcode",
        "adm2_name": "LGA",
        "adm2_code": "LGA PCode",
        "month": "Month",
        "year": "Year",
        "status": "Status",
    }
    records = extract_records(table, "projects", proposal.mapping)
    assert all(record.ok for record in records)
    statuses = Counter(record.values["status"] for record in records)
    assert set(statuses) == {"ongoing", "completed", "planned", "suspended"}
    october_space = next(
        r for r in records if r.values["title"].startswith("livelihood") and r.values["adm2_name"] == "Jere"
    )
    assert (october_space.values["start_date"], october_space.values["end_date"]) == (
        date(2023, 10, 1),
        date(2023, 10, 31),
    )
    blank_activity = next(r for r in records if r.warnings)
    assert blank_activity.values["title"] == "NUT"
    assert str(blank_activity.warnings[0]).startswith(
        f"Row {blank_activity.row}, column 'Activities': no activity given"
    )

    org_matcher = OrganisationMatcher(organisations)
    assert org_matcher.match("Action Against Hunger", "AAH/ACF").record.id == 1
    unicef = next(r for r in records if r.values["organisation_acronym"] == "UNICEF")
    assert org_matcher.match(unicef.values["organisation"], "UNICEF").record.id == 2

    sector_matcher = SectorMatcher(sectors)
    assert {code: sector_matcher.match(code).record.code for code in ("WASH", "HEA", "PRO")} == {
        "WASH": "WAT",
        "HEA": "HEA",
        "PRO": "PRO",
    }
    assert sector_matcher.match("ERL").status == MatchStatus.ambiguous  # early recovery: three registry sectors
    assert sector_matcher.match("SHL").status == MatchStatus.not_found

    area_matcher = AdminAreaMatcher(areas)
    mobbar = area_matcher.match_path(area_queries(records[0].values))
    assert mobbar.ok and mobbar.record.pcode == "NG008023"  # NGA008 read as NG008 on the way


# Full files ------------------------------------------------------------------------------------


def test_full_afghanistan_3w(shared_data, sectors):
    table = read_table(shared_data / "afg_3w_operational_presence_2024q1.csv")
    proposal = propose_mapping(table, "projects")
    options = ExtractOptions(default_start=date(2024, 1, 1), default_end=date(2024, 3, 31))
    records = extract_records(table, "projects", proposal.mapping, options)
    assert len(records) == 10_902
    assert [record.row for record in records if not record.ok] == []
    matcher = SectorMatcher(sectors)
    outcome = Counter(
        matcher.match_any(r.values.get("sector_code"), r.values.get("sector")).status.value for r in records
    )
    # Nutrition, shelter and food security have no reconstruction sector in this registry.
    assert outcome["not_found"] + outcome["near_miss"] + outcome["ambiguous"] == 1_294 + 1_009 + 1_748
    area_matcher = AdminAreaMatcher(afghanistan_registry(records))
    assert sum(area_matcher.match_path(area_queries(r.values)).ok for r in records) == 10_902


def test_full_nigeria_3w(shared_data):
    table = read_table(shared_data / "nga_3w_2023q4.xlsx")
    proposal = propose_mapping(table, "projects")
    records = extract_records(table, "projects", proposal.mapping)
    assert len(records) == 9_366
    assert all(record.ok for record in records)
    assert sum(1 for record in records if record.warnings) == 1_049  # blank activities
    # A COD-style registry (NG prefix at every level) built from the file's own admin 2 P-codes.
    areas = {}
    for record in records:
        adm1 = "NG" + record.values["adm1_code"][3:]
        areas.setdefault(adm1, AdminAreaRef(adm1, adm1, record.values["adm1_name"], 1))
        code = record.values["adm2_code"]
        areas.setdefault(code, AdminAreaRef(code, code, record.values["adm2_name"], 2, adm1))
    matcher = AdminAreaMatcher(areas.values())
    results = [matcher.match_path(area_queries(record.values)) for record in records]
    assert all(result.ok for result in results)
    organisations = {(r.values["organisation"], r.values.get("organisation_acronym")) for r in records}
    # The file spells one organisation two ways ('Center For Advocacy…' / 'Center for Advocacy…'):
    # an organisations import dedupes on name_key, and both spellings then find the one record.
    unique = {name_key(name): (name, acronym) for name, acronym in sorted(organisations)}
    assert len(unique) == len(organisations) - 1
    registry = [OrganisationRef(index, name, acronym) for index, (name, acronym) in enumerate(unique.values())]
    org_matcher = OrganisationMatcher(registry)
    assert all(org_matcher.match(name, acronym).status == MatchStatus.exact for name, acronym in organisations)


@pytest.mark.parametrize(
    "name", ["bfa_admin2_population_2023.csv", "tcd_admin2_population_2021.csv", "afg_admin1_population_2021.csv"]
)
def test_full_admin_lists(shared_data, name):
    table = read_table(shared_data / name)
    proposal = propose_mapping(table, "admin_areas")
    records = extract_records(table, "admin_areas", proposal.mapping)
    assert records and all(record.ok for record in records)
    codes = [record.values.get("adm2_code") or record.values["adm1_code"] for record in records]
    assert len(codes) == len(set(codes))  # one row per area
