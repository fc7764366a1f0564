import json

import pytest

from coordhub.interop.mapping import (
    KINDS,
    apply_template,
    get_kind,
    header_key,
    mapping_to_template,
    propose_mapping,
    template_to_json,
    validate_mapping,
)
from coordhub.reading.tables import read_table


def table_from(text: str):
    return read_table(text.encode("utf-8"), filename="x.csv")


def test_every_kind_is_consistent():
    for kind in KINDS.values():
        names = kind.field_names
        assert len(names) == len(set(names)), kind.name
        for group in kind.one_of:
            assert set(group) <= set(names)
        for field in kind.fields:
            assert len(field.patterns) == len(field.hashtags)  # every pattern parses
        assert json.loads(json.dumps(kind.to_json()))["name"] == kind.name
    with pytest.raises(ValueError, match="Unknown import kind"):
        get_kind("people")
    assert get_kind("admin-areas").name == "admin_areas"


def test_hashtags_win_and_the_most_specific_pattern_takes_the_column():
    table = table_from(
        "Who,Acronym,Type,Partner,Cluster,What,Where,P-code,Start,End,Status,Reached,Budget,Code\n"
        "#org +name,#org+acronym,#org+type,#org+impl,#sector+cluster,#activity,#adm1+name,#adm1+code,"
        "#date+start,#date+end,#status,#reached,#value,#activity+code\n"
        "NRC,NRC,INGO,Local NGO,Shelter,Tents,Kabul,AF01,2026-01-01,2026-06-30,Ongoing,200,1000,A-1\n"
    )
    proposal = propose_mapping(table, "projects")
    assert proposal.mapping == {
        "code": 13,
        "title": 5,
        "organisation": 0,
        "organisation_acronym": 1,
        "organisation_type": 2,
        "implementing_partner": 3,
        "sector": 4,
        "adm1_name": 6,
        "adm1_code": 7,
        "start_date": 8,
        "end_date": 9,
        "status": 10,
        "beneficiaries_reached": 11,
        "budget": 12,
    }
    assert proposal.matches["organisation"].method == "hashtag"
    assert proposal.problems == []
    assert proposal.unmapped_columns == []


def test_header_synonyms_english_and_french_without_hashtags():
    table = table_from(
        "Partenaire,Secteur,Date de début,Date de fin,Statut,ADM1_PCODE,Admin2_Name,Intitulé\n"
        "MSF,Santé,01/03/2026,30/06/2026,En cours,BF46,Bale,Clinique mobile\n"
    )
    proposal = propose_mapping(table, "projects")
    assert proposal.mapping == {
        "title": 7,
        "organisation": 0,
        "sector": 1,
        "adm1_code": 5,
        "adm2_name": 6,
        "start_date": 2,
        "end_date": 3,
        "status": 4,
    }
    assert {match.method for match in proposal.matches.values()} == {"header"}


def test_header_forms_are_compared_loosely():
    assert header_key(" ORG_NAME ") == header_key("org name") == header_key("Org-Name")
    table = table_from("ORG_NAME,Organization,CLUSTER,start_date\nA,B,C,2026-01-01\n")
    proposal = propose_mapping(table, "projects")
    assert proposal.mapping["organisation"] == 1  # "organization" is preferred over "org name"
    assert proposal.mapping["sector"] == 2
    assert proposal.mapping["start_date"] == 3


def test_similar_headers_are_proposed_as_such():
    table = table_from("Organisaton,Sectorr,Districtt pcode\nA,B,C\n")
    proposal = propose_mapping(table, "projects")
    assert proposal.mapping["organisation"] == 0
    assert proposal.matches["organisation"].method == "similar header"
    assert proposal.matches["organisation"].score >= 90
    assert propose_mapping(table, "projects", fuzzy_headers=False).mapping == {}


def test_header_fills_in_where_the_hashtag_row_is_blank(fixture_path):
    table = read_table(fixture_path("afg_3w_extract.csv"))
    proposal = propose_mapping(table, "projects")
    assert proposal.mapping["sector_code"] == 8 and proposal.mapping["sector"] == 9
    assert proposal.mapping["organisation_type"] == 7
    assert table.column_label(proposal.unmapped_columns[-1]) == "Question"
    assert proposal.problems == []


def test_validate_mapping_reports_clearly():
    table = table_from("Organisation,Sector,Where,Title\nA,B,C,D\n")
    problems = validate_mapping(table, "projects", {"organisation": 0, "sector": 0, "title": 7, "colour": 1})
    text = " | ".join(problems)
    assert "'colour' is not a field" in text
    assert "The column chosen for Activity does not exist" in text
    assert "Column 'Organisation' is chosen for 2 fields (Organisation, Sector)" in text
    assert "Choose a column for an admin area (Admin 3 P-code or Admin 3 name or Admin 2 P-code" in text
    assert validate_mapping(table, "projects", {"organisation": 0, "sector": 1, "adm2_name": 2, "title": 3}) == []
    assert "Quantity, which is required" in " ".join(validate_mapping(table, "needs", {"title": 3}))
    assert any(
        "Month and Year" in p
        for p in validate_mapping(table, "projects", {"organisation": 0, "sector": 1, "adm2_name": 2, "month": 3})
    )


def test_proposal_is_json_serialisable():
    table = table_from("Organisation,Sector,District\nA,B,C\n")
    data = json.loads(json.dumps(propose_mapping(table, "projects").to_json()))
    assert data["mapping"] == {"organisation": 0, "sector": 1, "adm2_name": 2}
    assert data["matches"]["sector"]["method"] == "header"


def test_templates_reapply_when_columns_move():
    first = table_from("Org,#x\n#org,#sector\nA,B\n")
    template = mapping_to_template(first, "projects", {"organisation": 0, "sector": 1})
    text = template_to_json(template)
    moved = table_from("Sector,Organisation,Other\n#sector,#org,#meta\nB,A,C\n")
    mapping, notes = apply_template(moved, text)
    assert mapping == {"organisation": 1, "sector": 0}
    assert notes == []
    by_header = table_from("Other,Sector name,Org\nx,B,A\n")
    mapping, notes = apply_template(by_header, template)
    assert mapping == {"organisation": 2}
    assert "Sector" in notes[0]
