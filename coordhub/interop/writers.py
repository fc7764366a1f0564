"""Write lists as CSV or .xlsx with a header row and an HXL hashtag row, streaming; the OCHA 3W layout."""

from __future__ import annotations

import csv
import enum
import io
import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, BinaryIO, TextIO

from coordhub.interop.mapping import KindSpec, get_kind

# Text starting with one of these is read as a formula by spreadsheet programs.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class ExportColumn:
    """One exported column: header text, HXL hashtag, and where the value comes from.

    `value` is a key (looked up in mappings, else as an attribute) or a function of the row.
    """

    header: str
    hashtag: str
    value: str | Callable[[Any], Any]

    def extract(self, row: Any) -> Any:
        if callable(self.value):
            return self.value(row)
        if isinstance(row, Mapping):
            return row.get(self.value)
        return getattr(row, self.value, None)


def columns_for_kind(kind: KindSpec | str, fields: Sequence[str] | None = None) -> list[ExportColumn]:
    """Export columns for an import kind, keyed by field name, with the hashtags and headers
    its importer recognises (so an export re-imports with every column mapped)."""
    spec = get_kind(kind) if isinstance(kind, str) else kind
    chosen = (
        [spec.field(name) for name in fields]
        if fields is not None
        else [field for field in spec.fields if field.name not in ("month", "year")]
    )
    return [
        ExportColumn(header=field.export_header, hashtag=field.export_hashtag, value=field.name) for field in chosen
    ]


def three_w_columns(*, include_admin3: bool = False, include_code: bool = True) -> list[ExportColumn]:
    """The 3W/4W layout OCHA information managers use: who (organisation, acronym, type,
    implementing partner), what (sector, activity, status), where (admin 1/2[/3] name and
    P-code), when (start, end) and how many (beneficiaries targeted and reached).

    Row keys are the projects import field names (organisation, organisation_acronym,
    organisation_type, implementing_partner, sector, sector_code, adm1_name, adm1_code,
    adm2_name, adm2_code, adm3_name, adm3_code, title, code, status, start_date, end_date,
    beneficiaries_targeted, beneficiaries_reached), so a 3W export re-imports as projects.
    """
    names = [
        "organisation",
        "organisation_acronym",
        "organisation_type",
        "implementing_partner",
        "sector",
        "sector_code",
        "adm1_name",
        "adm1_code",
        "adm2_name",
        "adm2_code",
    ]
    if include_admin3:
        names += ["adm3_name", "adm3_code"]
    names += (
        ["title"]
        + (["code"] if include_code else [])
        + [
            "status",
            "start_date",
            "end_date",
            "beneficiaries_targeted",
            "beneficiaries_reached",
        ]
    )
    columns = columns_for_kind("projects", names)
    headers = {
        "organisation": "Organisation",
        "organisation_acronym": "Organisation acronym",
        "organisation_type": "Organisation type",
        "implementing_partner": "Implementing partner",
        "sector": "Sector/Cluster",
        "sector_code": "Sector code",
        "title": "Activity",
        "code": "Activity code",
        "adm1_name": "Admin 1",
        "adm1_code": "Admin 1 P-code",
        "adm2_name": "Admin 2",
        "adm2_code": "Admin 2 P-code",
        "adm3_name": "Admin 3",
        "adm3_code": "Admin 3 P-code",
        "status": "Status",
        "start_date": "Start date",
        "end_date": "End date",
        "beneficiaries_targeted": "Beneficiaries targeted",
        "beneficiaries_reached": "Beneficiaries reached",
    }
    return [
        ExportColumn(header=headers[column.value], hashtag=column.hashtag, value=column.value) for column in columns
    ]


def format_value(value: Any) -> Any:
    """A cell value as writers put it: dates as ISO dates, enums by value, lists joined by '; ',
    Decimals as floats, None as None."""
    if value is None:
        return None
    if isinstance(value, enum.Enum):
        value = value.value
    if isinstance(value, datetime):
        return value.date() if value.time() == datetime.min.time() else value.replace(tzinfo=None)
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, (list, tuple, set, frozenset)):
        return "; ".join(str(format_value(item)) for item in value if item is not None)
    return value


def _csv_text(value: Any, neutralise_formulas: bool) -> str:
    value = format_value(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, float):
        return repr(int(value)) if value.is_integer() else repr(value)
    text = str(value)
    if neutralise_formulas and isinstance(value, str) and text.startswith(_FORMULA_STARTS):
        return "'" + text
    return text


class _LineBuffer:
    def __init__(self) -> None:
        self.parts: list[str] = []

    def write(self, text: str) -> None:
        self.parts.append(text)

    def take(self) -> str:
        text = "".join(self.parts)
        self.parts.clear()
        return text


def iter_csv(
    rows: Iterable[Any],
    columns: Sequence[ExportColumn],
    *,
    hxl: bool = True,
    bom: bool = True,
    neutralise_formulas: bool = True,
    batch: int = 500,
) -> Iterator[str]:
    """CSV text in chunks, for a streaming HTTP response: header row, hashtag row (when `hxl`),
    then the rows, `batch` rows per chunk. A UTF-8 byte-order mark (when `bom`) lets Excel show
    accents; coordhub's reader ignores it. With `neutralise_formulas`, text starting with
    = + - @ gets a leading apostrophe so spreadsheet programs do not run it."""
    buffer = _LineBuffer()
    writer = csv.writer(buffer, lineterminator="\r\n")
    if bom:
        buffer.write("\ufeff")
    writer.writerow([column.header for column in columns])
    if hxl:
        writer.writerow([column.hashtag for column in columns])
    yield buffer.take()
    for count, row in enumerate(rows, start=1):
        writer.writerow([_csv_text(column.extract(row), neutralise_formulas) for column in columns])
        if count % batch == 0:
            yield buffer.take()
    rest = buffer.take()
    if rest:
        yield rest


def write_csv(
    rows: Iterable[Any],
    columns: Sequence[ExportColumn],
    out: TextIO | BinaryIO | str | os.PathLike,
    *,
    hxl: bool = True,
    bom: bool = True,
    neutralise_formulas: bool = True,
) -> int:
    """Write CSV to a path, a text stream or a binary stream (UTF-8). Returns the row count."""
    count = 0

    def counted(items: Iterable[Any]) -> Iterator[Any]:
        nonlocal count
        for item in items:
            count += 1
            yield item

    chunks = iter_csv(counted(rows), columns, hxl=hxl, bom=bom, neutralise_formulas=neutralise_formulas)
    if isinstance(out, (str, os.PathLike)):
        with open(out, "w", encoding="utf-8", newline="") as handle:
            for chunk in chunks:
                handle.write(chunk)
    elif isinstance(out, io.TextIOBase):
        for chunk in chunks:
            out.write(chunk)
    else:
        for chunk in chunks:
            out.write(chunk.encode("utf-8"))
    return count


def write_xlsx(
    rows: Iterable[Any],
    columns: Sequence[ExportColumn],
    out: BinaryIO | str | os.PathLike,
    *,
    hxl: bool = True,
    sheet_title: str = "Data",
) -> int:
    """Write an .xlsx workbook in openpyxl's write-only (streaming) mode: a bold header row, the
    hashtag row, then the rows; dates as date cells, numbers as numbers, text always as text
    (never a formula). Returns the row count."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=_sheet_title(sheet_title))
    sheet.freeze_panes = "A3" if hxl else "A2"
    bold = Font(bold=True)

    def text_cell(value: str, font: Font | None = None) -> WriteOnlyCell:
        cell = WriteOnlyCell(sheet, value=None)
        cell.value = value
        cell.data_type = "s"
        if font is not None:
            cell.font = font
        return cell

    sheet.append([text_cell(column.header, bold) for column in columns])
    if hxl:
        sheet.append([text_cell(column.hashtag) for column in columns])
    count = 0
    for row in rows:
        cells = []
        for column in columns:
            value = format_value(column.extract(row))
            if isinstance(value, str):
                # Only text openpyxl would take for a formula needs a cell object (they are slow).
                cells.append(text_cell(value) if value.startswith("=") else value)
            elif value is None or isinstance(value, (bool, int, float, date)):
                cells.append(value)  # dates get openpyxl's date format
            else:
                cells.append(text_cell(str(value)))
        sheet.append(cells)
        count += 1
    workbook.save(out)
    return count


def _sheet_title(title: str) -> str:
    cleaned = "".join("_" if ch in '[]:*?/\\' else ch for ch in title).strip() or "Data"
    return cleaned[:31]
