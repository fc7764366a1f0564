"""Admin areas from COD-style files (admin0..adminN name and P-code columns): a pure parser and the loader."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

from coordhub.reading.tables import decode_bytes, sniff_delimiter

PCODE_HEADER = re.compile(r"^adm(?:in)?\s*(\d)\s*_?\s*p?code$", re.IGNORECASE)
NAME_HEADER = re.compile(r"^adm(?:in)?\s*(\d)\s*_?\s*(?:name)?\s*_?\s*(en|fr|es|pt|ar|ref)?$", re.IGNORECASE)
LAT_HEADERS = {"lat", "latitude", "center_lat", "centroid_lat", "y"}
LON_HEADERS = {"lon", "long", "longitude", "center_lon", "centroid_lon", "x"}


class AdminAreaFileError(ValueError):
    """A problem in an admin-area file; `row` is the 1-based line number in the file."""

    def __init__(self, message: str, row: int | None = None, column: str | None = None):
        where = []
        if row is not None:
            where.append(f"row {row}")
        if column:
            where.append(f"column '{column}'")
        super().__init__(f"{', '.join(where)}: {message}" if where else message)
        self.row, self.column = row, column


@dataclass(frozen=True)
class AreaRecord:
    pcode: str
    name: str
    level: int
    parent_pcode: str | None
    latitude: float | None = None
    longitude: float | None = None


def _read_rows(source: str | Path | bytes) -> list[list[str]]:
    """The file's rows as text, decoded and split as the reading layer does (encoding, delimiter)."""
    raw = Path(source).read_bytes() if isinstance(source, (str, Path)) else source
    text, _ = decode_bytes(raw)
    try:
        return list(csv.reader(io.StringIO(text, newline=""), delimiter=sniff_delimiter(text)))
    except csv.Error as error:
        raise AdminAreaFileError(f"the file cannot be read as CSV: {error}") from None


def _float(value: str, row: int, column: str) -> float | None:
    value = value.strip()
    if not value:
        return None
    try:
        return float(value.replace(",", "."))
    except ValueError:
        raise AdminAreaFileError(f"'{value}' is not a number", row, column) from None


def parse_admin_areas(source: str | Path | bytes, language: str = "fr") -> list[AreaRecord]:
    """Parse a COD-style admin-area CSV into records, parents before children.

    Accepts either COD columns (ADM1_PCODE / Admin1_Code / admin1Pcode with ADM1_FR / Admin1_Name ...),
    one row per lowest-level area with its ancestors, or the flat form `pcode, parent_pcode, name,
    level[, lat, lon]`. An HXL hashtag row under the header is skipped. Raises AdminAreaFileError
    naming the row and column when the file cannot be read as admin areas or contradicts itself.
    """
    rows = _read_rows(source)
    if not rows:
        raise AdminAreaFileError("the file is empty")
    header = [h.strip() for h in rows[0]]
    start = 1
    if len(rows) > 1 and any(c.strip().startswith("#") for c in rows[1]):
        start = 2
    lowered = [h.lower() for h in header]
    if "pcode" in lowered and "name" in lowered:
        return _parse_flat(rows, lowered, start)

    pcode_cols: dict[int, int] = {}
    name_cols: dict[int, list[tuple[int, int]]] = {}
    for index, name in enumerate(header):
        if m := PCODE_HEADER.match(name):
            pcode_cols.setdefault(int(m.group(1)), index)
        elif m := NAME_HEADER.match(name):
            lang = (m.group(2) or "").lower()
            rank = 0 if lang == language else 1 if lang in ("", "en", "ref") else 2
            name_cols.setdefault(int(m.group(1)), []).append((rank, index))
    levels = sorted(pcode_cols)
    if not levels:
        raise AdminAreaFileError(
            "no admin P-code column found (expected headers like ADM1_PCODE, Admin1_Code or a 'pcode' column)", 1
        )
    lat_col = next((i for i, h in enumerate(lowered) if h in LAT_HEADERS), None)
    lon_col = next((i for i, h in enumerate(lowered) if h in LON_HEADERS), None)

    records: dict[str, AreaRecord] = {}
    for row_number, row in enumerate(rows[start:], start=start + 1):
        if not any(cell.strip() for cell in row):
            continue
        row = row + [""] * (len(header) - len(row))
        parent: str | None = None
        deepest: str | None = None
        for level in levels:
            pcode = row[pcode_cols[level]].strip()
            if not pcode:
                continue
            name_choices = sorted(name_cols.get(level, []))
            name = next((row[i].strip() for _, i in name_choices if row[i].strip()), pcode)
            record = AreaRecord(pcode=pcode, name=name, level=level, parent_pcode=parent)
            known = records.get(pcode)
            if known is None:
                records[pcode] = record
            elif known.parent_pcode != parent or known.level != level:
                raise AdminAreaFileError(
                    f"P-code {pcode} appears with parent {known.parent_pcode or '(none)'} and with parent "
                    f"{parent or '(none)'}",
                    row_number,
                    header[pcode_cols[level]],
                )
            parent = deepest = pcode
        if deepest is None:
            raise AdminAreaFileError("no P-code in this row", row_number, header[pcode_cols[levels[0]]])
        if lat_col is not None and lon_col is not None:
            lat = _float(row[lat_col], row_number, header[lat_col])
            lon = _float(row[lon_col], row_number, header[lon_col])
            known = records[deepest]
            records[deepest] = AreaRecord(known.pcode, known.name, known.level, known.parent_pcode, lat, lon)
    return list(records.values())


def _parse_flat(rows: list[list[str]], lowered: list[str], start: int) -> list[AreaRecord]:
    col = {
        name: lowered.index(name)
        for name in ("pcode", "parent_pcode", "name", "level", "lat", "lon")
        if name in lowered
    }
    records: dict[str, AreaRecord] = {}
    for row_number, row in enumerate(rows[start:], start=start + 1):
        if not any(cell.strip() for cell in row):
            continue
        row = row + [""] * (len(lowered) - len(row))
        get = lambda key, row=row: row[col[key]].strip() if key in col else ""  # noqa: E731
        pcode = get("pcode")
        if not pcode:
            raise AdminAreaFileError("the P-code is empty", row_number, "pcode")
        if pcode in records:
            raise AdminAreaFileError(f"P-code {pcode} appears twice", row_number, "pcode")
        level_text = get("level")
        try:
            level = int(level_text) if level_text else -1
        except ValueError:
            raise AdminAreaFileError(f"'{level_text}' is not a whole number", row_number, "level") from None
        records[pcode] = AreaRecord(
            pcode=pcode,
            name=get("name") or pcode,
            level=level,
            parent_pcode=get("parent_pcode") or None,
            latitude=_float(get("lat"), row_number, "lat"),
            longitude=_float(get("lon"), row_number, "lon"),
        )
    # Resolve missing levels from the parent chain, and check every parent exists.
    ordered: list[AreaRecord] = []
    placed: dict[str, int] = {}

    def place(pcode: str, seen: tuple[str, ...] = ()) -> int:
        if pcode in placed:
            return placed[pcode]
        record = records[pcode]
        if pcode in seen:
            raise AdminAreaFileError(f"P-code {pcode} is its own ancestor", None, "parent_pcode")
        level = 0 if record.parent_pcode is None else None
        if record.parent_pcode is not None:
            if record.parent_pcode not in records:
                raise AdminAreaFileError(
                    f"parent P-code {record.parent_pcode} of {pcode} is not in the file", None, "parent_pcode"
                )
            level = place(record.parent_pcode, seen + (pcode,)) + 1
        if record.level >= 0:
            level = record.level
        placed[pcode] = level
        ordered.append(AreaRecord(pcode, record.name, level, record.parent_pcode, record.latitude, record.longitude))
        return level

    for pcode in records:
        place(pcode)
    return ordered
