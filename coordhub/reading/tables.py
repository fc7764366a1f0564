"""Read CSV and .xlsx files into one uniform Table: headers, optional HXL hashtag row, numbered rows."""

from __future__ import annotations

import codecs
import csv
import io
import math
import os
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import BinaryIO

from coordhub.reading.hxl import Hashtag, TagPattern, is_hashtag_row

CellValue = str | int | float | bool | date | datetime | time | None
Source = str | os.PathLike | bytes | BinaryIO

# How far down the header and hashtag rows are looked for.
HEADER_SEARCH_ROWS = 5
DELIMITERS = (",", ";", "\t", "|")


class TableError(ValueError):
    """The file cannot be read as a table; the message is meant for the person who uploaded it."""


@dataclass(frozen=True)
class Row:
    """One data row: its 1-based row number in the file (as a spreadsheet shows it) and its cells."""

    number: int
    cells: tuple[CellValue, ...]

    def get(self, index: int) -> CellValue:
        return self.cells[index] if 0 <= index < len(self.cells) else None


@dataclass
class Table:
    """A rectangular table read from a file.

    `headers[i]` is the text of the header row (stripped, "" when blank) and `hashtags[i]` the
    normalised HXL hashtag of column i (None when blank), or `hashtags` is None when the file
    has no hashtag row. Rows hold raw cell values (strings from CSV; str, int, float, datetime…
    from .xlsx), padded to the table's width; blank rows are dropped but keep their numbers
    out of the sequence so error reports point at the right line.
    """

    headers: list[str]
    hashtags: list[Hashtag | None] | None
    rows: list[Row]
    header_row_number: int | None = None
    hashtag_row_number: int | None = None
    source_name: str = ""
    sheet: str | None = None
    encoding: str | None = None
    delimiter: str | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def width(self) -> int:
        return len(self.headers)

    @property
    def has_hashtags(self) -> bool:
        return self.hashtags is not None

    def hashtag(self, index: int) -> Hashtag | None:
        if self.hashtags is None or not 0 <= index < len(self.hashtags):
            return None
        return self.hashtags[index]

    def column_label(self, index: int) -> str:
        """How to name column `index` to a person: its header, else its hashtag, else its letter."""
        if 0 <= index < len(self.headers) and self.headers[index]:
            return self.headers[index]
        tag = self.hashtag(index)
        if tag is not None:
            return str(tag)
        return f"column {column_letter(index)}"

    def find(self, names: tuple[str, ...] = (), hashtags: tuple[str, ...] = ()) -> int | None:
        """Index of the first column whose header is one of `names` (compared normalised), else of
        the first column matching one of the `hashtags` tag patterns, the patterns tried in order."""
        normalised = [normalise_header(header) for header in self.headers]
        for name in names:
            if name in normalised:
                return normalised.index(name)
        for text in hashtags:
            pattern = TagPattern.parse(text)
            for index in range(self.width):
                if pattern.matches(self.hashtag(index)):
                    return index
        return None

    def text(self, source: str | None = None) -> TextTable:
        """The same table with every cell as text (see `cell_text`), for readers that parse text."""
        return TextTable(
            source=self.source_name if source is None else source,
            headers=tuple(self.headers),
            hashtags=tuple("" if tag is None else str(tag) for tag in (self.hashtags or [None] * self.width)),
            rows=[tuple(map(cell_text, row.cells)) for row in self.rows],
            row_numbers=[row.number for row in self.rows],
            table=self,
        )


@dataclass(frozen=True)
class TextTable:
    """A `Table` as text cells, spaces kept as written (`''` for empty).

    `hashtags` are the normalised HXL hashtags (`''` per column without one) and
    `row_numbers[i]` the spreadsheet row number of `rows[i]`.
    """

    source: str
    headers: tuple[str, ...]
    hashtags: tuple[str, ...]
    rows: list[tuple[str, ...]]
    row_numbers: list[int]
    table: Table = field(repr=False, compare=False)

    def find(self, names: tuple[str, ...] = (), hashtags: tuple[str, ...] = ()) -> int | None:
        """See `Table.find`."""
        return self.table.find(names, hashtags)


_HEADER_JUNK = re.compile(r"[^0-9a-z]+")


def normalise_header(text: str) -> str:
    """'Start Date ' → 'start_date': case folded, runs of other characters become '_'."""
    return _HEADER_JUNK.sub("_", text.strip().casefold()).strip("_")


def cell_text(value: CellValue) -> str:
    """A cell as text: '' for empty, dates as YYYY-MM-DD (with the time only when not midnight),
    whole floats without '.0' (spreadsheets store 12 as 12.0)."""
    if type(value) is str:  # most cells: CSV gives nothing else
        return value
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def column_letter(index: int) -> str:
    """Spreadsheet letters for a 0-based column index: 0 → A, 26 → AA."""
    letters = ""
    number = index + 1
    while number > 0:
        number, remainder = divmod(number - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


# What spreadsheets write in a cell whose formula failed (a broken VLOOKUP gives #N/A): no value.
SPREADSHEET_ERRORS = frozenset(
    {
        "#N/A",
        "#N/A N/A",
        "#NA",
        "#REF!",
        "#VALUE!",
        "#DIV/0!",
        "#NAME?",
        "#NULL!",
        "#NUM!",
        "#SPILL!",
        "#CALC!",
        "#GETTING_DATA",
        "#FIELD!",
        "#BLOCKED!",
        "#UNKNOWN!",
        "#CONNECT!",
        "#BUSY!",
    }
)


def is_blank(value: CellValue) -> bool:
    """True for an empty cell; spreadsheet error values (#N/A …) count as empty: they hold no data."""
    if value is None:
        return True
    if isinstance(value, str):
        stripped = value.strip()
        return stripped == "" or (stripped[:1] == "#" and stripped.upper() in SPREADSHEET_ERRORS)
    if isinstance(value, float):
        return math.isnan(value)
    return False


# ---------------------------------------------------------------------------------------------
# Entry points


def read_table(
    source: Source,
    *,
    filename: str | None = None,
    sheet: str | None = None,
    header_row: int | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
) -> Table:
    """Read a CSV or .xlsx file, choosing the reader by file name extension, else by content.

    `source` is a path, the file's bytes or a binary file object. `sheet` picks an .xlsx sheet
    by name (default: the first). `header_row` (1-based) overrides header detection. Raises
    TableError with a message for people when the file cannot be read.
    """
    name = filename or (str(source) if isinstance(source, (str, os.PathLike)) else "")
    data = _read_bytes(source)
    kind = _guess_format(name, data)
    if kind == "xlsx":
        return read_xlsx(data, sheet=sheet, header_row=header_row, source_name=name)
    return read_csv(data, encoding=encoding, delimiter=delimiter, header_row=header_row, source_name=name)


def read_csv(
    source: Source,
    *,
    encoding: str | None = None,
    delimiter: str | None = None,
    header_row: int | None = None,
    source_name: str = "",
) -> Table:
    """Read delimited text. Encoding: BOM, else UTF-8, else cp1252; delimiter sniffed among , ; tab |."""
    data = _read_bytes(source)
    warnings: list[str] = []
    if encoding is None:
        text, encoding = decode_bytes(data, warnings)
    else:
        try:
            text = data.decode(encoding)
        except (UnicodeDecodeError, LookupError) as error:
            raise TableError(f"The file cannot be read as {encoding}: {error}") from error
        text = text.lstrip("\ufeff")
    if not text.strip():
        raise TableError("The file is empty.")
    if delimiter is None:
        delimiter = sniff_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    raw_rows: list[tuple[int, tuple[CellValue, ...]]] = []
    try:
        for number, cells in enumerate(reader, start=1):
            raw_rows.append((number, tuple(cells)))
    except csv.Error as error:
        raise TableError(f"Row {len(raw_rows) + 1} cannot be read as CSV: {error}") from error
    table = _build_table(raw_rows, header_row=header_row)
    table.source_name = source_name
    table.encoding = encoding
    table.delimiter = delimiter
    table.warnings[:0] = warnings
    return table


def read_xlsx(
    source: Source, *, sheet: str | None = None, header_row: int | None = None, source_name: str = ""
) -> Table:
    """Read one sheet of an .xlsx workbook (the named one, else the first) in read-only mode."""
    workbook = _open_workbook(source)
    try:
        if sheet is None:
            worksheet = workbook.worksheets[0]
        elif sheet in workbook.sheetnames:
            worksheet = workbook[sheet]
        else:
            raise TableError(
                f"The workbook has no sheet named {sheet!r}; its sheets are: {', '.join(workbook.sheetnames)}."
            )
        raw_rows = []
        for number, cells in enumerate(worksheet.iter_rows(values_only=True), start=1):
            raw_rows.append((number, tuple(cells)))
        title = worksheet.title
    finally:
        workbook.close()
    if not raw_rows:
        raise TableError(f"The sheet {title!r} is empty.")
    table = _build_table(raw_rows, header_row=header_row)
    table.source_name = source_name
    table.sheet = title
    return table


def read_text_table(path: str | os.PathLike, sheet: str | None = None) -> TextTable:
    """Read a .csv or .xlsx file (see `read_table`) as text cells, named by its file name."""
    return read_table(path, sheet=sheet).text(Path(path).name)


def read_csv_text(text: str, source: str = "<text>") -> TextTable:
    """Parse CSV text (see `read_csv`) as text cells."""
    return read_csv(text.encode("utf-8"), encoding="utf-8", source_name=source).text()


def list_sheets(source: Source) -> list[str]:
    """Sheet names of an .xlsx workbook, in order, for the import wizard's sheet picker."""
    workbook = _open_workbook(source)
    try:
        return list(workbook.sheetnames)
    finally:
        workbook.close()


# ---------------------------------------------------------------------------------------------
# Sniffing


def decode_bytes(data: bytes, warnings: list[str] | None = None) -> tuple[str, str]:
    """Decode file bytes: a byte-order mark wins, else strict UTF-8, else cp1252 (Excel on Windows).

    Returns (text, encoding name). Bytes cp1252 leaves undefined fall back to latin-1.
    """
    if data.startswith(codecs.BOM_UTF8):
        try:
            return data[len(codecs.BOM_UTF8) :].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError:
            if warnings is not None:
                warnings.append(
                    "The file starts with a UTF-8 mark but holds other bytes; unreadable characters were replaced."
                )
            return data[len(codecs.BOM_UTF8) :].decode("utf-8", errors="replace"), "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError as error:
            raise TableError(f"The file says it is UTF-16 but cannot be decoded: {error}") from error
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "latin-1"


def sniff_delimiter(text: str, candidates: tuple[str, ...] = DELIMITERS, sample_lines: int = 50) -> str:
    """Pick the delimiter that splits the first lines into the most consistent number (≥ 2) of fields."""
    lines = text.splitlines()[:sample_lines]
    sample = "\n".join(lines)
    best: tuple[float, int] | None = None
    chosen = ","
    for delimiter in candidates:
        try:
            rows = list(csv.reader(io.StringIO(sample), delimiter=delimiter))
        except csv.Error:
            continue
        counts = [len(row) for row in rows if any(cell.strip() for cell in row)]
        if not counts:
            continue
        width, frequency = Counter(counts).most_common(1)[0]
        if width < 2:
            continue
        score = (frequency / len(counts), width)
        if best is None or score > best:
            best, chosen = score, delimiter
    return chosen


# ---------------------------------------------------------------------------------------------
# Internals


def _read_bytes(source: Source) -> bytes:
    if isinstance(source, bytes):
        return source
    if isinstance(source, (str, os.PathLike)):
        try:
            return Path(source).read_bytes()
        except OSError as error:
            raise TableError(f"The file cannot be opened: {error}") from error
    data = source.read()
    if isinstance(data, str):
        raise TableError("Give the file as bytes, not text.")
    return data


def _guess_format(name: str, data: bytes) -> str:
    suffix = Path(name).suffix.lower() if name else ""
    if suffix in (".xlsx", ".xlsm"):
        return "xlsx"
    if suffix == ".xls" or data.startswith(b"\xd0\xcf\x11\xe0"):
        raise TableError("This is an old Excel 97-2003 (.xls) file: save it as .xlsx or CSV and upload it again.")
    if suffix in (".csv", ".tsv", ".txt"):
        return "csv"
    if data.startswith(b"PK\x03\x04"):
        return "xlsx"
    return "csv"


def _open_workbook(source: Source):
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    data = _read_bytes(source)
    try:
        return openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (InvalidFileException, KeyError, OSError, ValueError) as error:
        raise TableError(f"The file cannot be read as an .xlsx workbook: {error}") from error
    except Exception as error:  # zipfile.BadZipFile and friends: a corrupt upload, not our bug
        raise TableError(f"The file cannot be read as an .xlsx workbook ({type(error).__name__}).") from error


def _row_is_blank(cells: tuple[CellValue, ...]) -> bool:
    return all(is_blank(cell) for cell in cells)


def _filled(cells: tuple[CellValue, ...]) -> int:
    return sum(1 for cell in cells if not is_blank(cell))


def _build_table(raw_rows: list[tuple[int, tuple[CellValue, ...]]], *, header_row: int | None) -> Table:
    non_blank = [(number, cells) for number, cells in raw_rows if not _row_is_blank(cells)]
    if not non_blank:
        raise TableError("The file holds no data: every row is blank.")
    by_number = dict(raw_rows)
    header_number, hashtag_number = _locate_header_rows(non_blank, by_number, header_row)

    header_cells = by_number.get(header_number, ()) if header_number is not None else ()
    hashtag_cells = by_number.get(hashtag_number, ()) if hashtag_number is not None else ()
    first_data = max(n for n in (header_number, hashtag_number) if n is not None) + 1
    data_rows = [(number, cells) for number, cells in non_blank if number >= first_data]

    width = max([len(header_cells), len(hashtag_cells)] + [len(cells) for _, cells in data_rows])
    # Trailing columns blank everywhere (openpyxl read-only often reports a few) are dropped.
    while width > 0 and all(
        is_blank(cells[width - 1]) if len(cells) >= width else True
        for cells in [header_cells, hashtag_cells] + [cells for _, cells in data_rows]
    ):
        width -= 1
    if width == 0:
        raise TableError("The file holds no columns with data.")

    def pad(cells: tuple[CellValue, ...]) -> tuple[CellValue, ...]:
        if len(cells) >= width:
            return tuple(cells[:width]) if len(cells) > width else cells
        return tuple(cells) + (None,) * (width - len(cells))

    hashtags = None
    if hashtag_number is not None:
        hashtags = [Hashtag.parse(cell) for cell in pad(hashtag_cells)]
    headers = [_header_text(cell) for cell in pad(header_cells)]
    if header_number is None and hashtags is not None:
        headers = ["" for _ in hashtags]
    rows = [Row(number=number, cells=pad(cells)) for number, cells in data_rows]
    return Table(
        headers=headers,
        hashtags=hashtags,
        rows=rows,
        header_row_number=header_number,
        hashtag_row_number=hashtag_number,
    )


def _header_text(value: CellValue) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return " ".join(str(value).replace("\ufeff", "").split())


def _locate_header_rows(
    non_blank: list[tuple[int, tuple[CellValue, ...]]],
    by_number: dict[int, tuple[CellValue, ...]],
    header_row: int | None,
) -> tuple[int | None, int | None]:
    """(header row number, hashtag row number); either may be None, not both."""
    if header_row is not None:
        if header_row not in by_number:
            raise TableError(f"Row {header_row} is not in the file.")
        following = by_number.get(header_row + 1)
        if following is not None and is_hashtag_row(list(following)):
            return header_row, header_row + 1
        if is_hashtag_row(list(by_number[header_row])):
            return None, header_row
        return header_row, None

    top = non_blank[:HEADER_SEARCH_ROWS]
    for position, (number, cells) in enumerate(top):
        if is_hashtag_row(list(cells)):
            header_number = top[position - 1][0] if position > 0 else None
            return header_number, number

    # No hashtag row: the header is the first row about as wide as the widest of the first rows
    # (so that a title line above the table is skipped).
    widest = max(_filled(cells) for _, cells in non_blank[: HEADER_SEARCH_ROWS * 2])
    for number, cells in top:
        if _filled(cells) >= max(1, math.ceil(widest / 2)):
            return number, None
    return top[0][0], None
