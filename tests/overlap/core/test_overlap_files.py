"""The small file readers and the 3W reader, on made-up tables and on real extracts."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import openpyxl

from coordhub.overlap.core import OverlapKind, detect_overlaps
from coordhub.overlap.core.three_w import read_three_w, sector_label
from coordhub.reading.hxl import TagPattern as HashtagQuery
from coordhub.reading.hxl import normalise_hashtag
from coordhub.reading.tables import read_csv_text
from coordhub.reading.tables import read_text_table as read_table

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "overlap"
QUARTER = (date(2024, 1, 1), date(2024, 3, 31))


def test_hashtags_are_normalised_and_matched_by_attributes():
    assert normalise_hashtag(" #org +acronym ") == "#org+acronym"
    assert normalise_hashtag("#sector +cluster +code") == normalise_hashtag("#Sector+code+cluster")
    assert normalise_hashtag("Org") == ""
    assert HashtagQuery.parse("#org+acronym").matches("#org+acronym+v_x")
    assert not HashtagQuery.parse("#org-type").matches("#org+name+type")


def test_csv_with_byte_order_mark_hashtag_row_blank_tag_and_trailing_spaces():
    table = read_csv_text("\ufeffOrg ,Sector,Note\r\n#org +acronym,#sector,\r\nUNICEF ,WASH,x\r\n\r\n")
    assert table.headers == ("Org", "Sector", "Note")
    assert table.hashtags == ("#org+acronym", "#sector", "")
    assert table.rows == [("UNICEF ", "WASH", "x")]  # spaces kept: readers count and trim them
    assert table.row_numbers == [3]
    assert table.find(hashtags=("#org+acronym",)) == 0
    assert table.find(("note",)) == 2


def test_semicolon_csv_and_xlsx(tmp_path):
    assert read_csv_text("a;b\n1;2\n").rows == [("1", "2")]
    book = openpyxl.Workbook()
    book.active.append(["id", "start"])
    book.active.append(["x", date(2026, 3, 1)])
    book.save(tmp_path / "t.xlsx")
    assert read_table(tmp_path / "t.xlsx").rows == [("x", "2026-03-01")]


def test_sector_presence_prefix_and_its_typo_are_dropped():
    assert sector_label("Operational Presence: Education in Emergencies") == "Education in Emergencies"
    assert sector_label("Operatioanl Presence: Water, Sanitation & Hygiene") == "Water, Sanitation & Hygiene"


def test_afghanistan_extract():
    imported = read_three_w(FIXTURES / "afg_3w_extract.csv", period=QUARTER)
    assert len(imported.activities) == 120 and imported.skipped == []
    assert {a.pcode for a in imported.areas} == {"AF01", "AF0101", "AF0104"}
    assert any("2 codes (EDUCATION_OP, EiE_OP)" in n for n in imported.notes)
    assert all((a.start, a.end) == QUARTER for a in imported.activities)
    names = {a.organisation for a in imported.activities}
    assert "ASCHIANA" in names and all(n == n.strip() for n in names)

    result = detect_overlaps(imported.activities, imported.areas, period=QUARTER)
    kinds = result.overlaps.count_by_kind()
    # the education presence listed under both codes shows up as one entry made twice
    assert kinds[OverlapKind.DUPLICATE_ENTRY] == 5
    duplicate = next(o for o in result.overlaps if o.kind is OverlapKind.DUPLICATE_ENTRY)
    assert duplicate.days == 91 and duplicate.a.sector == "Education in Emergencies"
    assert len(result.overlaps) == 964
    largest = max(result.clusters, key=lambda c: c.organisation_count)
    assert (largest.sector, largest.area.pcode, largest.organisation_count) == ("Protection", "AF0101", 29)
    assert largest.area.name == "Kabul"


def test_nigeria_extract():
    imported = read_three_w(FIXTURES / "nga_3w_extract.xlsx")
    assert len(imported.activities) == 115 and imported.skipped == []
    areas = {a.pcode: a for a in imported.areas}
    # admin-2 codes NG0xxyyy sit under admin-1 codes NGA0xx, taken from the same row
    assert areas["NG036016"].parent_pcode == "NGA036" and areas["NG036016"].name == "Yunusari"
    assert any("does not extend their parent's" in n for n in imported.notes)
    october = [a for a in imported.activities if a.start == date(2023, 10, 1)]
    assert october and all(a.end == date(2023, 10, 31) for a in october)
    assert len({a.start for a in imported.activities}) == 3  # 'October ' read as October

    result = detect_overlaps(imported.activities, imported.areas)
    kinds = result.overlaps.count_by_kind()
    assert kinds[OverlapKind.DOUBLE_COUNT] == 37
    assert kinds[OverlapKind.DUPLICATE_ENTRY] == 5
    assert len(result.linked_activity_ids) == 32
    who = [o for o in result.overlaps if o.kind is OverlapKind.DOUBLE_COUNT and o.a.organisation == "WHO"]
    assert who and "WHO reports HEA / " in who[0].explanation
    clusters = {(c.sector, c.area.pcode, c.start): c for c in result.clusters}
    nutrition = clusters[("NUT", "NG036016", date(2023, 10, 1))]
    assert nutrition.organisations == ("AAH/ACF", "COOPI", "WFP", "YBSPHCMB")
