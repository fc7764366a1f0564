"""The shared reading layer as the file commands use it: text view, column finding, xlsx and odd CSV for every reader."""

from __future__ import annotations

import io
from datetime import date, datetime

import openpyxl
import pytest

from coordhub.allocation.core.files import FileError, read_access, read_needs
from coordhub.overlap.core.three_w import sector_label
from coordhub.reading.hxl import TagPattern, normalise_hashtag
from coordhub.reading.tables import cell_text, normalise_header, read_csv_text, read_table, read_text_table
from coordhub.reading.vocabulary import SECTOR_ALIASES, clean_sector_text

NEEDS_HEADER = ["need_id", "pcode", "resource_type", "quantity", "priority", "start", "end"]


def _workbook(path, rows):
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    book.save(path)
    return path


def test_cell_text_of_spreadsheet_values():
    assert cell_text(None) == ""
    assert cell_text(12.0) == "12" and cell_text(2.5) == "2.5"
    assert cell_text(datetime(2026, 3, 1)) == "2026-03-01"
    assert cell_text(datetime(2026, 3, 1, 8, 30)) == "2026-03-01T08:30:00"
    assert cell_text(date(2026, 3, 1)) == "2026-03-01"


def test_find_by_normalised_header_then_by_tag_pattern_in_order():
    table = read_table(b"Org Name,Sector,Implementing\n#org+name,#sector+code,#org+impl\nA,B,C\n", filename="t.csv")
    assert normalise_header(" Org  Name ") == "org_name"
    assert table.find(("org_name",)) == 0
    assert table.find(hashtags=("#org-impl",)) == 0
    assert table.find(hashtags=("#org+impl",)) == 2
    assert table.find(hashtags=("#activity", "#sector")) == 1
    assert table.find(("missing",), ("#adm1+code",)) is None


def test_text_view_keeps_spaces_and_row_numbers_and_names_the_file(tmp_path):
    path = tmp_path / "w.csv"
    path.write_bytes("Org;Sector\r\n\r\n UNICEF ;Éducation\r\n".encode("cp1252"))
    table = read_text_table(path)
    assert (table.source, table.headers, table.hashtags) == ("w.csv", ("Org", "Sector"), ("", ""))
    assert table.rows == [(" UNICEF ", "Éducation")] and table.row_numbers == [3]
    assert read_csv_text("a,b\n1,2\n").find(("b",)) == 1


def test_tag_pattern_matches_text_as_written_in_files():
    assert normalise_hashtag("#ORG +Name") == "#org+name"
    assert TagPattern.parse("#org+name").matches("#org +name +v_x")
    assert not TagPattern.parse("#org-impl").matches("#org+impl")
    assert not TagPattern.parse("#org").matches("")


def test_allocation_needs_from_xlsx_with_hxl_row(tmp_path):
    path = _workbook(
        tmp_path / "needs.xlsx",
        [
            NEEDS_HEADER,
            ["#need+id", "#adm2+code", "#item+type", "#quantity", "#priority", "#date+start", "#date+end"],
            ["N1", "XX11", "tent", 5.0, 3, datetime(2025, 3, 1), None],
        ],
    )
    (need,) = read_needs(path)
    assert (need.id, need.pcode, need.quantity, need.priority, need.start, need.end) == (
        "N1",
        "XX11",
        5.0,
        3,
        date(2025, 3, 1),
        None,
    )


def test_allocation_xlsx_errors_name_row_and_column(tmp_path):
    path = _workbook(tmp_path / "needs.xlsx", [NEEDS_HEADER, ["N1", "XX11", "tent", "many", 3, "2025-03-01", None]])
    with pytest.raises(FileError) as raised:
        read_needs(path)
    assert [str(p) for p in raised.value.problems] == ["needs.xlsx, row 2, column quantity: 'many' is not a number"]


def test_allocation_reads_semicolon_cp1252_csv_and_reports_unreadable_files():
    text = "pcode;level;start;end;clearance\r\nXX11;restricted;2025-03-01;;escorte sécurisée\r\n"
    (rule,) = read_access(io.BytesIO(text.encode("cp1252")), "access.csv")
    assert rule.clearances == ("escorte sécurisée",)
    with pytest.raises(FileError, match=r"old\.xls, row 1, column -: this is an old Excel"):
        read_needs(io.BytesIO(b"\xd0\xcf\x11\xe0rest"), "old.xls")


def test_one_presence_pattern_and_one_alias_table():
    assert sector_label("Operational  Presence: Education in Emergencies") == "Education in Emergencies"
    assert clean_sector_text("EiE_OP") == "EiE"
    assert "wash" in SECTOR_ALIASES["WASH"] and "eie" in SECTOR_ALIASES["EDU"]
