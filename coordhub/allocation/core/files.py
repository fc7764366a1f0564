"""Needs, capacities and admin areas from CSV or .xlsx files (plain headers or HXL hashtags), and assignments to CSV.

Files are read by the shared reading layer (:mod:`coordhub.reading.tables`: encoding, delimiter,
header and hashtag rows); this module locates its fields and checks their values.

Columns by header name (case and surrounding spaces ignored):

* needs: ``need_id, pcode, resource_type, quantity, priority, start, end``
* capacities: ``capacity_id, org, org_type, resource_type, quantity, unit_cost,
  service_pcodes, start, end`` (``service_pcodes`` separated by ``;``), and
  optionally ``is_local`` (true/false) and ``origin_pcode``
* areas: ``pcode, parent_pcode, name, level, lat, lon``
* access: ``pcode, level, start, end, clearance`` (level ``open``,
  ``restricted`` or ``no_go``; ``clearance`` separated by ``;``, required
  for restricted areas)

Optional columns for plans over time: needs ``earliest_start``,
``deadline``, ``lead_time`` (whole days a capacity not present in the
area needs to mobilise there); capacities ``throughput`` (units per
period), ``clearance`` (the access clearances it holds, separated by
``;``) and ``present_pcodes`` (areas where it already works, separated by
``;``; with ``origin_pcode``, where no lead time applies).

When a row under the header holds HXL hashtags (most of its filled cells are hashtags),
columns are found by hashtag instead, and the header names are ignored.  A
pattern matches a column with the same tag and at least the pattern's
attributes (``#adm`` stands for any of ``#adm1`` .. ``#adm5``); more specific
fields claim their column first:

=============== =========================================================
field           hashtags, first match wins
=============== =========================================================
need_id         #need+id, #id
capacity_id     #capacity+id, #id
pcode           (areas) #adm+code; (needs) #adm+code
parent_pcode    #adm+code+parent, #adm+parent
service_pcodes  #adm+code+service, #adm+service
origin_pcode    #adm+code+origin
resource_type   #item+type, #resource+type, #item+code, #item, #resource
quantity        #quantity, #value, #capacity
unit_cost       #value+cost, #cost
priority        #priority, #severity
start, end      #date+start, #date+end
org             #org+name, #org+code, #org
org_type        #org+type
is_local        #org+local, #indicator+local
name            #adm+name
level           #adm+level
lat, lon        #geo+lat, #geo+lon
=============== =========================================================

Values: numbers in plain notation (``1234.5``); dates ``YYYY-MM-DD`` (an
empty end means open-ended); priority a whole number 1..5; quantity > 0;
unit cost >= 0 (empty means 0).  A capacity is local/national when
``is_local`` says so or, without that column, when its ``org_type`` contains
"local" or "national" or is one of NNGO, LNGO, CBO, CSO (any case).

Every problem is reported with the file, the row number as a spreadsheet
shows it (the header is row 1) and the column; reading stops after 20.
"""

from __future__ import annotations

import csv
import io
import math
import os
import re
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from coordhub.reading.hxl import Hashtag
from coordhub.reading.tables import Table, TableError, cell_text, read_table

from .model import AccessLevel, AccessRule, AdminArea, Assignment, Capacity, Need

MAX_PROBLEMS = 20
MAX_LEAD_TIME = 3650  # days
LOCAL_ORG_TYPES = {"nngo", "lngo", "cbo", "cso"}
TRUE = {"true", "yes", "y", "1", "local", "national"}
FALSE = {"false", "no", "n", "0", "", "international"}


@dataclass(frozen=True)
class FileProblem:
    """One problem in one cell (or a missing column: row 1)."""

    file: str
    row: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}, row {self.row}, column {self.column}: {self.message}"


class FileError(ValueError):
    """A file cannot be read as needs, capacities or areas; ``problems`` says
    where and why."""

    def __init__(self, problems: Sequence[FileProblem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


@dataclass(frozen=True)
class _Field:
    name: str
    hxl: tuple[str, ...]
    required: bool = True


NEED_FIELDS = (
    _Field("need_id", ("#need+id", "#id")),
    _Field("pcode", ("#adm+code",)),
    _Field("resource_type", ("#item+type", "#resource+type", "#item+code", "#item", "#resource")),
    _Field("priority", ("#priority", "#severity")),
    _Field("start", ("#date+start",)),
    _Field("end", ("#date+end",), required=False),
    _Field("earliest_start", ("#date+start+earliest",), required=False),
    _Field("deadline", ("#date+deadline", "#date+end+deadline"), required=False),
    _Field("lead_time", ("#need+leadtime", "#indicator+leadtime"), required=False),
    _Field("quantity", ("#quantity", "#value", "#capacity")),
)
CAPACITY_FIELDS = (
    _Field("capacity_id", ("#capacity+id", "#id")),
    _Field("org_type", ("#org+type",), required=False),
    _Field("is_local", ("#org+local", "#indicator+local"), required=False),
    _Field("org", ("#org+name", "#org+code", "#org")),
    _Field("service_pcodes", ("#adm+code+service", "#adm+service")),
    _Field("origin_pcode", ("#adm+code+origin",), required=False),
    _Field("present_pcodes", ("#adm+code+presence", "#adm+presence"), required=False),
    _Field("resource_type", ("#item+type", "#resource+type", "#item+code", "#item", "#resource")),
    _Field("unit_cost", ("#value+cost", "#cost"), required=False),
    _Field("throughput", ("#capacity+throughput", "#value+throughput"), required=False),
    _Field("clearance", ("#access+clearance", "#indicator+clearance"), required=False),
    _Field("start", ("#date+start",)),
    _Field("end", ("#date+end",), required=False),
    _Field("quantity", ("#quantity", "#value", "#capacity")),
)
ACCESS_FIELDS = (
    _Field("pcode", ("#adm+code",)),
    _Field("level", ("#access+level", "#access")),
    _Field("start", ("#date+start",)),
    _Field("end", ("#date+end",), required=False),
    _Field("clearance", ("#access+clearance", "#indicator+clearance"), required=False),
)
AREA_FIELDS = (
    _Field("parent_pcode", ("#adm+code+parent", "#adm+parent"), required=False),
    _Field("pcode", ("#adm+code",)),
    _Field("name", ("#adm+name",), required=False),
    _Field("level", ("#adm+level",), required=False),
    _Field("lat", ("#geo+lat",), required=False),
    _Field("lon", ("#geo+lon",), required=False),
)


def _matches(pattern: str, hashtag: Hashtag | None) -> bool:
    """The pattern's tag (``#adm`` standing for ``#adm1`` .. ``#adm5``) and at least its attributes."""
    wanted = Hashtag.parse(pattern)
    if hashtag is None or wanted is None:
        return False
    if wanted.tag == "#adm":
        same = re.fullmatch(r"#adm[1-5]?", hashtag.tag) is not None
    else:
        same = wanted.tag == hashtag.tag
    return same and wanted.attributes <= hashtag.attributes


def _read(source: str | os.PathLike | io.TextIOBase, label: str | None) -> tuple[str, Table]:
    """The file's label and its table, read by the shared reading layer (CSV or .xlsx)."""
    data: str | os.PathLike | bytes
    if isinstance(source, str | os.PathLike):
        label = label or os.path.basename(os.fspath(source))
        data, filename = source, os.fspath(source)  # the path's suffix says CSV or .xlsx
    else:
        label = label or getattr(source, "name", "input")
        content = source.read()
        data, filename = (content.encode("utf-8") if isinstance(content, str) else content), label
    try:
        return label, read_table(data, filename=filename)
    except TableError as error:
        message = str(error).rstrip(".")
        raise FileError([FileProblem(label, 1, "-", message[:1].lower() + message[1:])]) from None


class _Table:
    """Rows of one file with the columns of its fields located (by header name, else by hashtag)."""

    def __init__(self, source: str | os.PathLike | io.TextIOBase, label: str | None, fields: Sequence[_Field]):
        self.label, self.table = _read(source, label)
        table = self.table
        self.columns: dict[str, int] = {}
        problems = []
        claimed: set[int] = set()
        names = [header.lower() for header in table.headers]
        for f in fields:
            index = None
            if table.has_hashtags:
                for pattern in f.hxl:
                    index = next(
                        (i for i in range(table.width) if i not in claimed and _matches(pattern, table.hashtag(i))),
                        None,
                    )
                    if index is not None:
                        break
            else:
                index = names.index(f.name) if f.name in names else None
            if index is None:
                if f.required:
                    wanted = " or ".join(f.hxl) if table.has_hashtags else f.name
                    row = (table.hashtag_row_number if table.has_hashtags else table.header_row_number) or 1
                    problems.append(FileProblem(self.label, row, f.name, f"missing column ({wanted})"))
                continue
            claimed.add(index)
            self.columns[f.name] = index
        if problems:
            raise FileError(problems)

    def cells(self) -> Iterable[tuple[int, dict[str, str]]]:
        for row in self.table.rows:
            yield row.number, {name: cell_text(row.get(i)).strip() for name, i in self.columns.items()}


class _Reader:
    """Parses cells and collects problems."""

    def __init__(self, label: str):
        self.label = label
        self.problems: list[FileProblem] = []

    def fail(self, row: int, column: str, message: str) -> None:
        self.problems.append(FileProblem(self.label, row, column, message))
        if len(self.problems) >= MAX_PROBLEMS:
            raise FileError(self.problems)

    def text(self, row: int, values: dict[str, str], column: str) -> str:
        value = values.get(column, "")
        if not value:
            self.fail(row, column, "is empty")
        return value

    def number(
        self, row: int, values: dict[str, str], column: str, *, default: float | None = None, positive: bool = False
    ) -> float:
        raw = values.get(column, "")
        if raw == "" and default is not None:
            return default
        try:
            value = float(raw)
            if not math.isfinite(value):
                raise ValueError
        except ValueError:
            self.fail(row, column, f"'{raw}' is not a number")
            return 0.0
        if positive and value <= 0:
            self.fail(row, column, f"must be greater than 0, not {raw}")
        elif value < 0:
            self.fail(row, column, f"must not be negative, not {raw}")
        return value

    def coordinate(self, row: int, values: dict[str, str], column: str, limit: float) -> float | None:
        raw = values.get(column, "")
        if raw == "":
            return None
        try:
            value = float(raw)
            if not -limit <= value <= limit:
                raise ValueError
        except ValueError:
            self.fail(row, column, f"'{raw}' is not a coordinate in degrees")
            return None
        return value

    def day(self, row: int, values: dict[str, str], column: str, *, optional: bool = False) -> date | None:
        raw = values.get(column, "")
        if raw == "" and optional:
            return None
        try:
            return date.fromisoformat(raw[:10])
        except ValueError:
            self.fail(row, column, f"'{raw}' is not a date (YYYY-MM-DD)")
            return None

    def window(self, row: int, values: dict[str, str]) -> tuple[date, date | None]:
        start = self.day(row, values, "start")
        end = self.day(row, values, "end", optional=True)
        if start and end and end < start:
            self.fail(row, "end", f"end {end.isoformat()} is before start {start.isoformat()}")
        return start or date.min, end

    def unique(self, row: int, column: str, value: str, seen: dict[str, int]) -> None:
        if value in seen:
            self.fail(row, column, f"'{value}' is already used in row {seen[value]}")
        seen[value] = row

    def done(self) -> None:
        if self.problems:
            raise FileError(self.problems)


def _records(
    source: str | os.PathLike | io.TextIOBase, label: str | None, fields: Sequence[_Field], key: str
) -> Iterator[tuple[_Reader, int, dict[str, str], str]]:
    """(reader, row number, cells, key) per filled row, the key checked for
    being present and unique; raises FileError at the end if anything failed."""
    table = _Table(source, label, fields)
    reader = _Reader(table.label)
    seen: dict[str, int] = {}
    for row, values in table.cells():
        value = reader.text(row, values, key)
        reader.unique(row, key, value, seen)
        yield reader, row, values, value
    reader.done()


def read_needs(source: str | os.PathLike | io.TextIOBase, label: str | None = None) -> list[Need]:
    """Needs from a CSV or .xlsx file (path or open file).  Raises FileError."""
    needs: list[Need] = []
    for reader, row, values, need_id in _records(source, label, NEED_FIELDS, "need_id"):
        priority_raw = values.get("priority", "")
        try:
            priority = float(priority_raw)
            if not priority.is_integer() or not 1 <= priority <= 5:
                raise ValueError
        except ValueError:
            reader.fail(row, "priority", f"must be a whole number from 1 to 5, not '{priority_raw}'")
            priority = 1
        start, end = reader.window(row, values)
        earliest = reader.day(row, values, "earliest_start", optional=True)
        deadline = reader.day(row, values, "deadline", optional=True)
        if earliest and deadline and deadline < earliest:
            reader.fail(
                row, "deadline", f"deadline {deadline.isoformat()} is before earliest start {earliest.isoformat()}"
            )
        needs.append(
            Need(
                id=need_id,
                pcode=reader.text(row, values, "pcode"),
                resource_type=reader.text(row, values, "resource_type"),
                quantity=reader.number(row, values, "quantity", positive=True),
                priority=int(priority),
                start=start,
                end=end,
                earliest_start=earliest,
                deadline=deadline,
                lead_time=_lead_time(reader, row, values),
            )
        )
    return needs


def _lead_time(reader: _Reader, row: int, values: dict[str, str]) -> int:
    raw = values.get("lead_time", "")
    if raw == "":
        return 0
    try:
        days = float(raw)
        if not days.is_integer() or not 0 <= days <= MAX_LEAD_TIME:
            raise ValueError
    except ValueError:
        reader.fail(row, "lead_time", f"must be a whole number of days from 0 to {MAX_LEAD_TIME}, not '{raw}'")
        return 0
    return int(days)


def _is_local(reader: _Reader, row: int, values: dict[str, str]) -> bool:
    if "is_local" in values:
        raw = values["is_local"].lower()
        if raw in TRUE:
            return True
        if raw not in FALSE:
            reader.fail(row, "is_local", f"'{values['is_local']}' is not true or false")
        return False
    kind = values.get("org_type", "").lower()
    return ("local" in kind) or ("national" in kind and "international" not in kind) or kind in LOCAL_ORG_TYPES


def read_capacities(source: str | os.PathLike | io.TextIOBase, label: str | None = None) -> list[Capacity]:
    """Capacities from a CSV or .xlsx file (path or open file).  Raises FileError."""
    capacities: list[Capacity] = []
    for reader, row, values, capacity_id in _records(source, label, CAPACITY_FIELDS, "capacity_id"):
        service = tuple(code.strip() for code in values.get("service_pcodes", "").split(";") if code.strip())
        if not service:
            reader.fail(row, "service_pcodes", "names no area (P-codes separated by ;)")
        start, end = reader.window(row, values)
        capacities.append(
            Capacity(
                id=capacity_id,
                org=reader.text(row, values, "org"),
                org_type=values.get("org_type", ""),
                is_local=_is_local(reader, row, values),
                resource_type=reader.text(row, values, "resource_type"),
                quantity=reader.number(row, values, "quantity", positive=True),
                unit_cost=reader.number(row, values, "unit_cost", default=0.0),
                service_pcodes=service,
                start=start,
                end=end,
                origin_pcode=values.get("origin_pcode") or None,
                throughput=reader.number(row, values, "throughput", positive=True)
                if values.get("throughput")
                else None,
                clearances=_split(values.get("clearance", "")),
                present_pcodes=_split(values.get("present_pcodes", "")),
            )
        )
    return capacities


def _split(text: str) -> tuple[str, ...]:
    """'escort; local' -> ('escort', 'local')."""
    return tuple(part.strip() for part in text.split(";") if part.strip())


def read_access(source: str | os.PathLike | io.TextIOBase, label: str | None = None) -> list[AccessRule]:
    """Access rules (security assessments) from a CSV or .xlsx file.  Raises FileError."""
    table = _Table(source, label, ACCESS_FIELDS)
    reader = _Reader(table.label)
    rules: list[AccessRule] = []
    for row, values in table.cells():
        pcode = reader.text(row, values, "pcode")
        raw = values.get("level", "").strip().lower().replace("-", "_").replace(" ", "_")
        try:
            level = AccessLevel(raw)
        except ValueError:
            reader.fail(row, "level", f"'{values.get('level', '')}' is not open, restricted or no_go")
            continue
        start, end = reader.window(row, values)
        clearances = _split(values.get("clearance", ""))
        if level is AccessLevel.RESTRICTED and not clearances:
            reader.fail(row, "clearance", "a restricted area needs the clearances that may serve it")
        rules.append(AccessRule(pcode=pcode, level=level, start=start, end=end, clearances=clearances))
    reader.done()
    return rules


def read_areas(source: str | os.PathLike | io.TextIOBase, label: str | None = None) -> list[AdminArea]:
    """The admin-area tree from a CSV or .xlsx file.  Raises FileError, also for a
    parent P-code that is not in the file."""
    table = _Table(source, label, AREA_FIELDS)
    reader = _Reader(table.label)
    areas: list[AdminArea] = []
    seen: dict[str, int] = {}
    parents: list[tuple[int, str]] = []
    for row, values in table.cells():
        pcode = reader.text(row, values, "pcode")
        reader.unique(row, "pcode", pcode, seen)
        parent = values.get("parent_pcode") or None
        if parent:
            parents.append((row, parent))
        level = values.get("level", "")
        if level and not level.lstrip("-").isdigit():
            reader.fail(row, "level", f"'{level}' is not a whole number")
        lat = reader.coordinate(row, values, "lat", 90)
        lon = reader.coordinate(row, values, "lon", 180)
        areas.append(
            AdminArea(
                pcode=pcode,
                parent_pcode=parent,
                name=values.get("name", ""),
                level=int(level) if level.lstrip("-").isdigit() else None,
                lat=lat,
                lon=lon,
            )
        )
    for row, parent in parents:
        if parent not in seen:
            reader.fail(row, "parent_pcode", f"unknown parent '{parent}' (not a pcode of this file)")
    reader.done()
    return areas


def write_assignments(assignments: Iterable[Assignment], path: str | os.PathLike, *, periods: bool = False) -> None:
    """Write ``need_id, capacity_id, quantity, unit_cost`` rows (and
    ``period``, the ISO first day of the period, for a plan); the file
    appears complete or not at all (written aside, then renamed)."""
    path = Path(path)
    handle, temporary = tempfile.mkstemp(dir=path.parent or ".", prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", newline="", encoding="utf-8") as out:
            writer = csv.writer(out)
            writer.writerow(["need_id", "capacity_id", "quantity", "unit_cost"] + (["period"] if periods else []))
            for a in assignments:
                writer.writerow(
                    [a.need_id, a.capacity_id, _plain(a.quantity), _plain(a.unit_cost)]
                    + ([a.period.isoformat() if a.period else ""] if periods else [])
                )
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise


def _plain(value: float) -> str:
    """Numbers without float noise: 2.0 -> '2', 0.1 -> '0.1'."""
    text = f"{value:.6f}".rstrip("0").rstrip(".")
    return text if text not in ("", "-0") else "0"
