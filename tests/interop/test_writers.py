import enum
import io
from datetime import date, datetime
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coordhub.interop.mapping import propose_mapping
from coordhub.interop.records import extract_records
from coordhub.interop.writers import ExportColumn, columns_for_kind, iter_csv, three_w_columns, write_csv, write_xlsx
from coordhub.reading.tables import read_table

PROJECTS = [
    {
        "code": "AF-001",
        "title": "Rehabilitation of Bagrami clinic",
        "description": "Roof, water, solar power",
        "organisation": "Médecins Sans Frontières",
        "organisation_acronym": "MSF",
        "organisation_type": "international_ngo",
        "implementing_partner": ["Afghans 4 Tomorrow", "OCHR"],
        "sector": "Health",
        "sector_code": "HEA",
        "adm1_name": "Kabul",
        "adm1_code": "AF01",
        "adm2_name": "Bagrami",
        "adm2_code": "AF0104",
        "pcodes": ["AF0104"],
        "start_date": date(2026, 3, 1),
        "end_date": date(2026, 12, 31),
        "status": "ongoing",
        "beneficiaries_targeted": 12000,
        "beneficiaries_reached": 3150,
        "budget": 250000.5,
        "currency": "USD",
        "target_group": "Returnees, host community",
    },
    {
        "code": "AF-002",
        "title": "Écoles temporaires \"Kabul\"; phase 2",
        "organisation": "Première Urgence Internationale",
        "organisation_acronym": "PUI",
        "organisation_type": "national_ngo",
        "sector": "Education",
        "sector_code": "EDU",
        "adm1_name": "Kabul",
        "adm1_code": "AF01",
        "adm2_name": "Chahar Asyab",
        "adm2_code": "AF0103",
        "adm3_name": "Village 1",
        "adm3_code": "AF010301",
        "start_date": date(2026, 1, 15),
        "status": "planned",
        "beneficiaries_targeted": 800,
        "budget": 1000,
        "currency": "EUR",
    },
]


def reimport(data: bytes, filename: str, kind: str = "projects"):
    table = read_table(data, filename=filename)
    proposal = propose_mapping(table, kind)
    assert proposal.problems == []
    records = extract_records(table, kind, proposal.mapping)
    assert all(record.ok for record in records), [record.errors for record in records]
    return table, proposal, [record.values for record in records]


def as_imported(row: dict) -> dict:
    expected = {key: value for key, value in row.items() if value not in (None, "", [])}
    if "title" not in expected and expected.get("sector"):
        expected["title"] = expected["sector"]
    return expected


def test_csv_round_trip_gives_the_same_values():
    buffer = io.BytesIO()
    count = write_csv(PROJECTS, columns_for_kind("projects"), buffer)
    assert count == 2
    table, proposal, values = reimport(buffer.getvalue(), "projects.csv")
    assert table.encoding == "utf-8-sig" and table.hashtag_row_number == 2
    assert proposal.unmapped_columns == []
    assert values == [as_imported(row) for row in PROJECTS]


def test_xlsx_round_trip_gives_the_same_values():
    buffer = io.BytesIO()
    assert write_xlsx(PROJECTS, columns_for_kind("projects"), buffer, sheet_title="Projects: 2026/Q1") == 2
    table, _proposal, values = reimport(buffer.getvalue(), "projects.xlsx")
    assert table.sheet == "Projects_ 2026_Q1"
    assert isinstance(table.rows[0].cells[table.headers.index("Start date")], datetime)
    assert values == [as_imported(row) for row in PROJECTS]


@pytest.mark.parametrize("kind", ["needs", "capacities", "organisations", "admin_areas"])
def test_every_kind_exports_columns_its_importer_recognises(kind):
    columns = columns_for_kind(kind)
    buffer = io.StringIO()
    write_csv([], columns, buffer)
    table = read_table(buffer.getvalue().encode("utf-8"), filename="x.csv")
    proposal = propose_mapping(table, kind)
    assert proposal.unmapped_columns == []
    assert len(proposal.mapping) == len(columns)
    assert {match.method for match in proposal.matches.values()} == {"hashtag"}


def test_three_w_layout_and_its_round_trip():
    columns = three_w_columns(include_admin3=True)
    assert [column.header for column in columns][:6] == [
        "Organisation",
        "Organisation acronym",
        "Organisation type",
        "Implementing partner",
        "Sector/Cluster",
        "Sector code",
    ]
    assert [column.hashtag for column in columns][6:12] == [
        "#adm1+name",
        "#adm1+code",
        "#adm2+name",
        "#adm2+code",
        "#adm3+name",
        "#adm3+code",
    ]
    buffer = io.BytesIO()
    write_xlsx(PROJECTS, columns, buffer)
    _, proposal, values = reimport(buffer.getvalue(), "3w.xlsx")
    assert proposal.unmapped_columns == []
    keep = {column.value for column in columns}
    assert values == [{k: v for k, v in as_imported(row).items() if k in keep} for row in PROJECTS]
    assert "Admin 3" not in [column.header for column in three_w_columns()]


class Colour(enum.Enum):
    red = "red"


def test_values_are_formatted_for_people_and_formulas_neutralised():
    columns = [
        ExportColumn("Text", "#meta+text", "text"),
        ExportColumn("When", "#date", "when"),
        ExportColumn("Amount", "#value", lambda row: row["amount"] * 2),
        ExportColumn("Colour", "#meta+colour", "colour"),
    ]
    rows = [
        {
            "text": "=HYPERLINK(\"http://x\")",
            "when": datetime(2026, 3, 1),
            "amount": Decimal("10.25"),
            "colour": Colour.red,
        }
    ]
    text = "".join(iter_csv(rows, columns, bom=False))
    assert text.splitlines() == [
        "Text,When,Amount,Colour",
        "#meta+text,#date,#value,#meta+colour",
        "\"'=HYPERLINK(\"\"http://x\"\")\",2026-03-01,20.5,red",
    ]
    buffer = io.BytesIO()
    write_xlsx(rows, columns, buffer)
    table = read_table(buffer.getvalue(), filename="x.xlsx")
    assert table.rows[0].cells[0] == "=HYPERLINK(\"http://x\")"  # stored as text, never as a formula


def test_objects_and_streaming():
    class Project:
        def __init__(self, number):
            self.code = f"P-{number}"

    produced = []

    def rows():
        for number in range(5):
            produced.append(number)
            yield Project(number)

    chunks = iter_csv(rows(), [ExportColumn("Code", "#activity+code", "code")], batch=2, hxl=False, bom=False)
    assert next(chunks) == "Code\r\n"
    assert produced == []  # nothing read before the first row chunk is asked for
    assert next(chunks) == "P-0\r\nP-1\r\n"
    assert produced == [0, 1]
    assert "".join(chunks) == "P-2\r\nP-3\r\nP-4\r\n"


def test_write_to_paths(tmp_path):
    write_csv(PROJECTS, three_w_columns(), tmp_path / "3w.csv")
    write_xlsx(PROJECTS, three_w_columns(), tmp_path / "3w.xlsx")
    assert len(read_table(tmp_path / "3w.csv").rows) == len(read_table(tmp_path / "3w.xlsx").rows) == 2


safe_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp", "Zs"), blacklist_characters="=+-@'#\ufeff"),
    min_size=1,
    max_size=30,
).filter(lambda text: text == " ".join(text.split()))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=st.lists(
        st.fixed_dictionaries(
            {
                "code": safe_text,
                "title": safe_text,
                "organisation": safe_text,
                "sector": safe_text,
                "adm2_code": st.from_regex(r"[A-Z]{2}[0-9]{2,6}", fullmatch=True),
                "start_date": st.dates(min_value=date(1990, 1, 1), max_value=date(2090, 1, 1)),
                "beneficiaries_targeted": st.integers(min_value=0, max_value=10**9),
                "budget": st.decimals(min_value=0, max_value=10**9, places=2).map(float),
                "status": st.sampled_from(["planned", "ongoing", "completed", "suspended"]),
            }
        ),
        min_size=1,
        max_size=8,
    ),
    xlsx=st.booleans(),
)
def test_round_trip_property(rows, xlsx):
    columns = columns_for_kind("projects", list(rows[0]))
    buffer = io.BytesIO()
    (write_xlsx if xlsx else write_csv)(rows, columns, buffer)
    _, _, values = reimport(buffer.getvalue(), "p.xlsx" if xlsx else "p.csv")
    assert values == rows
