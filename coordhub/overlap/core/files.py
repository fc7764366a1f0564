"""Small pure readers for tabular files: CSV (optionally with an HXL hashtag row) and xlsx."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

_NAME_JUNK = re.compile(r"[^0-9a-z]+")


def normalise_header(text: str) -> str:
    """'Start Date ' → 'start_date': case folded, runs of other characters become '_'."""
    return _NAME_JUNK.sub("_", text.strip().casefold()).strip("_")


def normalise_hashtag(text: str) -> str:
    """'#org +acronym' → '#org+acronym'; attributes sorted, case folded; '' if not a hashtag."""
    compact = "".join(text.split()).casefold()
    if not compact.startswith("#") or len(compact) < 2:
        return ""
    tag, *attributes = compact.split("+")
    return "+".join([tag, *sorted(a for a in attributes if a)])


@dataclass(frozen=True, slots=True)
class HashtagQuery:
    """A hashtag with attributes that must be present (``+x``) or absent (``-x``).

    ``HashtagQuery.parse('#org+acronym')`` matches '#org +acronym +v_abc' but not '#org'.
    """

    tag: str
    include: frozenset[str]
    exclude: frozenset[str]

    @classmethod
    def parse(cls, text: str) -> HashtagQuery:
        parts = re.findall(r"[+-]?[^+-]+", "".join(text.split()).casefold())
        return cls(parts[0], frozenset(p[1:] for p in parts[1:] if p[0] == "+"),
                   frozenset(p[1:] for p in parts[1:] if p[0] == "-"))

    def matches(self, hashtag: str) -> bool:
        if not hashtag:
            return False
        tag, *attributes = hashtag.split("+")
        present = set(attributes)
        return tag == self.tag and self.include <= present and not (self.exclude & present)


@dataclass(frozen=True, slots=True)
class Table:
    """A file's data as text cells, spaces kept as written (``''`` for empty), with its headers.

    ``headers`` are the first row as written (stripped), ``hashtags`` the normalised HXL row
    (``''`` per column when the file has none), ``first_row`` the spreadsheet row number
    (1-based, header = 1) of ``rows[0]``; ``row_numbers[i]`` is that of ``rows[i]``.
    """

    source: str
    headers: tuple[str, ...]
    hashtags: tuple[str, ...]
    rows: list[tuple[str, ...]]
    row_numbers: list[int] = field(default_factory=list)

    def find(self, names: tuple[str, ...] = (), hashtags: tuple[str, ...] = ()) -> int | None:
        """Index of the first column whose header is one of ``names`` (compared normalised), else
        of the first column matching one of the ``hashtags`` queries, tried in order."""
        normalised = [normalise_header(h) for h in self.headers]
        for name in names:
            if name in normalised:
                return normalised.index(name)
        for text in hashtags:
            query = HashtagQuery.parse(text)
            for i, tag in enumerate(self.hashtags):
                if query.matches(tag):
                    return i
        return None


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _is_hashtag_row(cells: list[str]) -> bool:
    filled = [c for c in cells if c.strip()]
    return bool(filled) and sum(bool(normalise_hashtag(c)) for c in filled) * 2 >= len(filled)


def table_from_rows(source: str, raw_rows: list[list[object]]) -> Table:
    """Build a :class:`Table` from raw rows: header, optional hashtag row, data (blank rows skipped)."""
    rows = [[_cell_text(v) for v in r] for r in raw_rows]
    if not rows:
        return Table(source, (), (), [], [])
    headers = rows[0]
    start = 1
    hashtags = [""] * len(headers)
    if _is_hashtag_row(headers):
        hashtags = headers
    elif len(rows) > 1 and _is_hashtag_row(rows[1]):
        hashtags, start = rows[1], 2
    width = max(len(headers), len(hashtags))
    headers = [h.lstrip("\ufeff").strip() for h in headers] + [""] * (width - len(headers))
    hashtags = [normalise_hashtag(h) for h in hashtags] + [""] * (width - len(hashtags))
    data, numbers = [], []
    for number, row in enumerate(rows[start:], start=start + 1):
        if not any(c.strip() for c in row):
            continue
        data.append(tuple(row[:width]) + ("",) * (width - len(row)))
        numbers.append(number)
    return Table(source, tuple(headers), tuple(hashtags), data, numbers)


def read_csv_text(text: str, source: str = "<text>") -> Table:
    """Parse CSV text (delimiter ',', ';' or tab, guessed from the header line)."""
    text = text.lstrip("\ufeff")
    header_line = text.split("\n", 1)[0]
    delimiter = "\t" if "\t" in header_line else (
        ";" if ";" in header_line and "," not in header_line else ",")
    return table_from_rows(source, list(csv.reader(io.StringIO(text, newline=""),
                                                   delimiter=delimiter)))


def read_csv(path: str | Path) -> Table:
    """Read a CSV file (UTF-8 with or without byte-order mark; Windows-1252 as a fallback)."""
    raw = Path(path).read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")
    return read_csv_text(text, Path(path).name)


def read_xlsx(path: str | Path, sheet: str | None = None) -> Table:
    """Read the first (or named) sheet of an xlsx workbook, values only."""
    from openpyxl import load_workbook

    workbook = load_workbook(path, read_only=True, data_only=True)
    try:
        worksheet = workbook[sheet] if sheet else workbook.worksheets[0]
        raw = [list(r) for r in worksheet.iter_rows(values_only=True)]
    finally:
        workbook.close()
    return table_from_rows(Path(path).name, raw)


def read_table(path: str | Path, sheet: str | None = None) -> Table:
    """Read a .csv/.tsv/.txt or .xlsx/.xlsm file by its suffix.

    Raises ``ValueError`` for another suffix, ``OSError`` when unreadable.
    """
    suffix = Path(path).suffix.casefold()
    if suffix in (".xlsx", ".xlsm"):
        return read_xlsx(path, sheet)
    if suffix in (".csv", ".tsv", ".txt", ""):
        return read_csv(path)
    raise ValueError(f"{Path(path).name}: cannot read {suffix} files (use .csv or .xlsx)")
