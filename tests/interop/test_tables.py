import codecs
import io

import openpyxl
import pytest

from coordhub.reading.tables import TableError, column_letter, decode_bytes, list_sheets, read_table, sniff_delimiter


def test_utf8_bom_and_hashtag_row(fixture_path):
    table = read_table(fixture_path("afg_3w_extract.csv"))
    assert table.encoding == "utf-8-sig"
    assert table.headers[0] == "REGION"  # no byte-order mark left on the first header
    assert table.header_row_number == 1 and table.hashtag_row_number == 2
    assert str(table.hashtags[5]) == "#org+acronym"
    assert table.hashtags[10] is None  # the blank hashtag cell over "Question"
    assert table.rows[0].number == 3
    assert table.column_label(10) == "Question"


def test_cp1252_fallback_and_semicolons():
    text = "Organisation;Secteur;Date de début\nCroix-Rouge;Santé;01/03/2026\n"
    table = read_table(text.encode("cp1252"), filename="partenaires.csv")
    assert table.encoding == "cp1252"
    assert table.delimiter == ";"
    assert table.headers == ["Organisation", "Secteur", "Date de début"]
    assert table.rows[0].cells == ("Croix-Rouge", "Santé", "01/03/2026")


def test_tabs_and_utf16():
    text = "Organisation\tSector\nNRC\tShelter\n"
    table = read_table(codecs.BOM_UTF16_LE + text.encode("utf-16-le"), filename="x.txt")
    assert table.delimiter == "\t"
    assert table.rows[0].cells == ("NRC", "Shelter")


def test_commas_inside_quotes_do_not_fool_the_sniffer():
    text = 'a;b;c\n"1,5";"x, y";3\n"2,5";"z";4\n'
    assert sniff_delimiter(text) == ";"
    assert sniff_delimiter("a,b,c\n1,2,3\n") == ","


def test_title_line_above_the_header_is_skipped():
    text = "3W matrix Q1 2026,,,\n,,,\nOrganisation,Sector,Admin1,Admin2\nNRC,Shelter,Kabul,Kabul\n"
    table = read_table(text.encode(), filename="x.csv")
    assert table.header_row_number == 3
    assert table.headers == ["Organisation", "Sector", "Admin1", "Admin2"]
    assert [row.number for row in table.rows] == [4]


def test_hashtag_row_without_header_row_and_blank_rows_keep_numbers():
    text = "#org,#sector\nNRC,Shelter\n,\nDRC,Protection\n"
    table = read_table(text.encode(), filename="x.csv")
    assert table.header_row_number is None and table.hashtag_row_number == 1
    assert table.headers == ["", ""]
    assert table.column_label(0) == "#org"
    assert [row.number for row in table.rows] == [2, 4]


def test_hashtag_row_found_below_a_title():
    text = "Partner activities\nOrg,Sector\n#org,#sector\nNRC,Shelter\n"
    table = read_table(text.encode(), filename="x.csv")
    assert (table.header_row_number, table.hashtag_row_number) == (2, 3)


def test_ragged_rows_are_padded_and_explicit_header_row():
    text = "x\nA,B\n1\n1,2,3\n"
    table = read_table(text.encode(), filename="x.csv", header_row=2)
    assert table.width == 3
    assert table.rows[0].cells == ("1", None, None)
    assert table.column_label(2) == "column C"


def _workbook_bytes(rows, title="Sheet A", extra_sheet=None):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = title
    for row in rows:
        sheet.append(row)
    if extra_sheet:
        other = workbook.create_sheet(extra_sheet)
        other.append(["Organisation"])
        other.append(["NRC"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_xlsx_first_or_named_sheet():
    data = _workbook_bytes([["Organisation", "Year"], ["#org", "#date+year"], ["ACF", 2023]], extra_sheet="Second")
    table = read_table(data, filename="w.xlsx")
    assert table.sheet == "Sheet A"
    assert table.rows[0].cells == ("ACF", 2023)
    second = read_table(data, filename="w.xlsx", sheet="Second")
    assert second.rows[0].cells == ("NRC",)
    assert list_sheets(data) == ["Sheet A", "Second"]
    with pytest.raises(TableError, match="no sheet named 'Nope'"):
        read_table(data, filename="w.xlsx", sheet="Nope")


def test_xlsx_detected_by_content_without_a_name():
    data = _workbook_bytes([["Organisation"], ["NRC"]])
    assert read_table(data).rows[0].cells == ("NRC",)


def test_unreadable_files_give_messages_for_people():
    with pytest.raises(TableError, match="empty"):
        read_table(b"", filename="x.csv")
    with pytest.raises(TableError, match=r"\.xls"):
        read_table(b"\xd0\xcf\x11\xe0" + b"\0" * 100, filename="old.xls")
    with pytest.raises(TableError, match="xlsx"):
        read_table(b"PK\x03\x04 not really a zip", filename="broken.xlsx")
    with pytest.raises(TableError, match="blank"):
        read_table(b",,\n,,\n", filename="x.csv")


def test_decode_bytes_order():
    assert decode_bytes("é".encode()) == ("é", "utf-8")
    assert decode_bytes("é".encode("cp1252")) == ("é", "cp1252")
    assert decode_bytes(codecs.BOM_UTF8 + "é".encode()) == ("é", "utf-8-sig")


def test_column_letters():
    assert [column_letter(i) for i in (0, 25, 26, 27, 701, 702)] == ["A", "Z", "AA", "AB", "ZZ", "AAA"]
