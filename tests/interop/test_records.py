from datetime import date

from coordhub.interop.mapping import propose_mapping
from coordhub.interop.records import ExtractOptions, extract_records, row_fingerprint
from coordhub.reading.tables import read_table


def records_of(text: str, kind: str = "projects", options: ExtractOptions | None = None):
    table = read_table(text.encode("utf-8"), filename="x.csv")
    proposal = propose_mapping(table, kind)
    return extract_records(table, kind, proposal.mapping, options or ExtractOptions())


def test_values_are_parsed_per_field():
    [record] = records_of(
        "Organisation,Sector,District,Activity,Start date,End date,Status,Targeted,Budget,Currency,Implementing partner\n"
        "NRC ,Shelter,Kabul,Tents,01/03/2026,March 2027,Closed ,\"1,200\",\"12 500,50\",usd,Local NGO; Another NGO\n"
    )
    assert record.ok
    assert record.row == 2
    assert record.values == {
        "organisation": "NRC",
        "sector": "Shelter",
        "adm2_name": "Kabul",
        "title": "Tents",
        "start_date": date(2026, 3, 1),
        "end_date": date(2027, 3, 31),
        "status": "completed",
        "beneficiaries_targeted": 1200,
        "budget": 12500.5,
        "currency": "USD",
        "implementing_partner": ["Local NGO", "Another NGO"],
    }


def test_errors_name_row_column_and_reason():
    records = records_of(
        "Organisation,Sector,District,Activity,Date de début,Date de fin,Status\n"
        "NRC,Shelter,Kabul,Tents,01/03/2026,30/06/2026,Ongoing\n"
        "\n"
        "NRC,Shelter,Kabul,Tents,31/02/2026,30/06/2026,Maybe\n"
        "NRC,Shelter,Kabul,Tents,01/07/2026,30/06/2026,Ongoing\n"
        ",,,Tents,,,\n"
    )
    assert [record.row for record in records] == [2, 4, 5, 6]
    assert records[0].ok
    messages = [str(error) for error in records[1].errors]
    assert (
        messages[0] == "Row 4, column 'Date de début': '31/02/2026' is not a valid date (day is out of range for month)"
    )
    assert messages[1].startswith("Row 4, column 'Status': 'Maybe' is not a known project status")
    [error] = records[2].errors
    assert (error.row, error.column, error.field) == (5, "Date de fin", "end_date")
    assert "before the start date" in error.message
    blank = {error.field: str(error) for error in records[3].errors}
    assert blank["organisation"] == "Row 6, column 'Organisation': Organisation is required but blank"
    assert "Sector is required" in blank["sector"]
    assert blank["adm2_name"] == "Row 6, column 'District': an admin area (Admin 2 name) is required but blank"
    assert records[1].errors[0].to_json()["column_letter"] == "E"


def test_month_and_year_give_the_period_and_defaults_fill_the_rest():
    [with_month, without] = records_of(
        "Organisation,Sector,District,Month,Year\nNRC,Shelter,Kabul,October ,2023\nNRC,Shelter,Kabul,,\n",
        options=ExtractOptions(default_start=date(2024, 1, 1), default_end=date(2024, 3, 31)),
    )
    assert (with_month.values["start_date"], with_month.values["end_date"]) == (date(2023, 10, 1), date(2023, 10, 31))
    assert "month" not in with_month.values
    assert (without.values["start_date"], without.values["end_date"]) == (date(2024, 1, 1), date(2024, 3, 31))
    [half] = records_of("Organisation,Sector,District,Month,Year\nNRC,Shelter,Kabul,October,\n")
    assert [str(error) for error in half.errors] == ["Row 2, column 'Year': the year is blank while the month is given"]


def test_title_falls_back_to_the_sector():
    [presence] = records_of("Organisation,Sector,District\nNRC,Operational Presence: Shelter,Kabul\n")
    assert presence.values["title"] == "Operational Presence: Shelter" and not presence.warnings
    [blank_activity] = records_of("Organisation,Sector,District,Activity\nNRC,NUT,Kabul,\n")
    assert blank_activity.ok and blank_activity.values["title"] == "NUT"
    assert "no activity given" in str(blank_activity.warnings[0])


def test_month_first_option():
    [record] = records_of(
        "Organisation,Sector,District,Start date\nNRC,Shelter,Kabul,03/01/2026\n",
        options=ExtractOptions(day_first=False),
    )
    assert record.values["start_date"] == date(2026, 3, 1)


def test_needs_and_capacities():
    [need] = records_of(
        "need_id,Organisation,pcode,resource_type,quantity,priority,start,end,Status\n"
        "N-1,UNICEF,AF0101,Water trucking (m3),\"1 500\",High,2026-01-01,2026-03-31,open\n",
        kind="needs",
    )
    assert need.ok, need.errors
    assert need.values["code"] == "N-1" and need.values["quantity"] == 1500.0 and need.values["priority"] == 4
    [capacity] = records_of(
        "capacity_id,org,resource_type,quantity,unit_cost,Admin1 pcode,start,end\n"
        "C-1,NRC,Tents,200,\"35,50\",af01,2026-01-01,2026-12-31\n",
        kind="capacities",
    )
    assert capacity.ok, capacity.errors
    assert capacity.values["unit_cost"] == 35.5 and capacity.values["adm1_code"] == "AF01"


def test_organisations_and_admin_areas():
    [organisation] = records_of(
        "Organisation,Acronym,Type,Local actor\nAfghans 4 Tomorrow ,A4T,National NGO,yes\n", kind="organisations"
    )
    assert organisation.values == {
        "name": "Afghans 4 Tomorrow",
        "acronym": "A4T",
        "type": "national_ngo",
        "is_local": True,
    }
    [area] = records_of(
        "ADM1_FR,ADM1_PCODE,ADM2_FR,ADM2_PCODE,Latitude\nGuéra,TD04,Mangalmé,td 0404,-12.5\n", kind="admin_areas"
    )
    assert area.values == {
        "adm1_name": "Guéra",
        "adm1_code": "TD04",
        "adm2_name": "Mangalmé",
        "adm2_code": "TD0404",
        "latitude": -12.5,
    }


def test_fingerprint_ignores_case_spacing_and_accents():
    assert row_fingerprint(3, "Clôturé  Project", date(2026, 1, 1), None) == row_fingerprint(
        3, "cloture project", date(2026, 1, 1), ""
    )
    assert row_fingerprint(3, "a") != row_fingerprint(4, "a")
    assert row_fingerprint(1).startswith("auto:")
