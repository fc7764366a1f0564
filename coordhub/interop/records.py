"""Turn mapped table rows into parsed field values, with an error per bad cell naming row and column."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from coordhub.interop.mapping import KindSpec, get_kind
from coordhub.reading import values as v
from coordhub.reading.tables import CellValue, Table, column_letter, is_blank


@dataclass(frozen=True)
class CellError:
    """One problem in one cell: `row` is the 1-based row number in the file, `column` the
    column as the person sees it (header, else hashtag, else letter)."""

    row: int
    column: str
    field: str
    value: str
    message: str
    column_index: int | None = None

    def __str__(self) -> str:
        where = f"Row {self.row}"
        if self.column:
            where += f", column '{self.column}'"
        return f"{where}: {self.message}"

    def to_json(self) -> dict[str, Any]:
        return {
            "row": self.row,
            "column": self.column,
            "column_letter": column_letter(self.column_index) if self.column_index is not None else None,
            "field": self.field,
            "value": self.value,
            "message": self.message,
        }


@dataclass
class RowRecord:
    """The parsed values of one data row ({field: value}, blank cells left out), its errors
    (which block the import of the row) and warnings (which do not: a value was filled in)."""

    row: int
    values: dict[str, Any]
    errors: list[CellError] = field(default_factory=list)
    warnings: list[CellError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass(frozen=True)
class ExtractOptions:
    """How to read ambiguous values.

    `day_first`: 01/03/2026 is 1 March (True, the default) or 3 January. `decimal_comma`: see
    values.parse_number. `default_start` / `default_end`: dates for rows that have none (an
    operational-presence file valid for a quarter).
    """

    day_first: bool = True
    decimal_comma: bool | None = None
    default_start: date | None = None
    default_end: date | None = None


def parse_cell(value: CellValue, value_type: str, options: ExtractOptions = ExtractOptions()) -> Any:
    """Parse one cell as `value_type` (see mapping.VALUE_TYPES); None when blank; raises
    values.ValueParseError with the reason."""
    parser = _PARSERS[value_type]
    return parser(value, options)


def _parse_pcode(value: CellValue, _options: ExtractOptions) -> str | None:
    text = v.parse_text(value)
    if text is None:
        return None
    code = re.sub(r"\s+", "", text).upper()
    if not re.fullmatch(r"[A-Z0-9_\-.]+", code):
        raise v.ValueParseError(f"{text!r} is not a P-code (letters and digits, such as AF0101)")
    return code


def _parse_pcode_list(value: CellValue, options: ExtractOptions) -> list[str] | None:
    text = v.parse_text(value)
    if text is None:
        return None
    codes = [_parse_pcode(part, options) for part in re.split(r"[;,|\s]+", text) if part]
    return list(dict.fromkeys(codes)) or None


def _parse_names(value: CellValue, _options: ExtractOptions) -> list[str] | None:
    text = v.parse_text(value)
    if text is None:
        return None
    names = [part.strip() for part in re.split(r"[;|\n]", text) if part.strip()]
    return names or None


_PARSERS: dict[str, Callable[[CellValue, ExtractOptions], Any]] = {
    "text": lambda value, _: v.parse_text(value),
    "code": lambda value, _: v.parse_text(value),
    "pcode": _parse_pcode,
    "pcode_list": _parse_pcode_list,
    "date_start": lambda value, o: v.parse_date(value, day_first=o.day_first, month_end=False),
    "date_end": lambda value, o: v.parse_date(value, day_first=o.day_first, month_end=True),
    "month": lambda value, _: v.parse_month(value),
    "year": lambda value, _: v.parse_year(value),
    "integer": lambda value, _: v.parse_integer(value),
    "number": lambda value, o: (lambda n: None if n is None else float(n))(
        v.parse_number(value, decimal_comma=o.decimal_comma)
    ),
    "amount": lambda value, o: v.parse_amount(value, decimal_comma=o.decimal_comma),
    "currency": lambda value, _: v.parse_currency(value),
    "project_status": lambda value, _: v.parse_project_status(value),
    "need_status": lambda value, _: v.parse_need_status(value),
    "priority": lambda value, _: v.parse_priority(value),
    "organisation_type": lambda value, _: v.parse_organisation_type(value),
    "boolean": lambda value, _: v.parse_boolean(value),
}

# Fields holding several names separated by ';' (the value becomes a list of names).
LIST_FIELDS = {"implementing_partner"}

_MISSING = object()


def iter_records(
    table: Table, kind: KindSpec | str, mapping: dict[str, int], options: ExtractOptions = ExtractOptions()
) -> Iterator[RowRecord]:
    """Parse every data row of `table` with `mapping` ({field: column index}, already validated
    with mapping.validate_mapping). Yields one RowRecord per row, in file order.

    Beyond each cell's own parse, checks per row: required fields and `one_of` groups filled;
    Month + Year turned into start_date / end_date (first and last day of the month) when the
    row has no dates of its own; `options.default_start/default_end` as a last resort; the end
    not before the start. Projects without an activity title take the sector text as title
    (a warning when the file has an activity column and this row's cell is blank).
    Repeated cell texts are parsed once (large 3W files repeat the same few values).
    """
    spec = get_kind(kind) if isinstance(kind, str) else kind
    labels = {name: table.column_label(column) for name, column in mapping.items()}
    plan = [
        (
            name,
            column,
            "names" if name in LIST_FIELDS else spec.field(name).value_type,
            spec.field(name).required,
            spec.field(name).label,
        )
        for name, column in mapping.items()
    ]
    cache: dict[tuple[str, Any], Any] = {}
    fill_title = spec.name == "projects"

    def problem(row_number: int, name: str, message: str, raw: CellValue = None) -> CellError:
        return CellError(
            row=row_number,
            column=labels.get(name, ""),
            field=name,
            value="" if is_blank(raw) else str(raw).strip(),
            message=message,
            column_index=mapping.get(name),
        )

    for row in table.rows:
        cells, number = row.cells, row.number
        values: dict[str, Any] = {}
        errors: list[CellError] = []
        warnings: list[CellError] = []

        for name, column, value_type, required, label in plan:
            raw = cells[column] if column < len(cells) else None
            kind_of_raw = raw.__class__
            if (
                raw is None
                or (kind_of_raw is str and (not raw or raw.isspace()))
                or (kind_of_raw is float and raw != raw)
            ):
                if required:
                    errors.append(problem(number, name, f"{label} is required but the cell is blank"))
                continue
            key = (value_type, raw) if kind_of_raw in (str, int, float) else None
            parsed = cache.get(key, _MISSING) if key is not None else _MISSING
            if parsed is _MISSING:
                try:
                    parsed = (
                        _parse_names(raw, options) if value_type == "names" else parse_cell(raw, value_type, options)
                    )
                except v.ValueParseError as reason:
                    parsed = reason
                if key is not None and len(cache) < 100_000:
                    cache[key] = parsed
            if parsed.__class__ is v.ValueParseError:
                errors.append(problem(number, name, str(parsed), raw))
            elif parsed is not None:
                values[name] = list(parsed) if parsed.__class__ is list else parsed  # cached lists stay unshared

        if "month" in mapping or "year" in mapping:
            _fill_period(values, errors, lambda name, message, number=number: problem(number, name, message))
        if options.default_start is not None and "start_date" not in values and not _has_error(errors, "start_date"):
            values["start_date"] = options.default_start
        if options.default_end is not None and "end_date" not in values and not _has_error(errors, "end_date"):
            values["end_date"] = options.default_end
        start, end = values.get("start_date"), values.get("end_date")
        if start is not None and end is not None and end < start:
            field_name = "end_date" if "end_date" in mapping else "start_date"
            errors.append(
                problem(
                    number,
                    field_name,
                    f"the end date {end.isoformat()} is before the start date {start.isoformat()}",
                    cells[mapping[field_name]] if field_name in mapping else None,
                )
            )

        if fill_title and "title" not in values and not _has_error(errors, "title"):
            sector_text = values.get("sector") or values.get("sector_code")
            if sector_text:
                values["title"] = sector_text
                if "title" in mapping:
                    warnings.append(
                        problem(number, "title", f"no activity given: the sector {sector_text!r} is used as the title")
                    )

        for group in spec.one_of:
            if not any(name in values for name in group) and not any(_has_error(errors, name) for name in group):
                mapped = [name for name in group if name in mapping] or list(group)
                errors.append(problem(number, mapped[0], f"{spec.group_label(group, mapped)} is required but blank"))

        yield RowRecord(row=number, values=values, errors=errors, warnings=warnings)


def extract_records(
    table: Table, kind: KindSpec | str, mapping: dict[str, int], options: ExtractOptions = ExtractOptions()
) -> list[RowRecord]:
    """All of iter_records as a list."""
    return list(iter_records(table, kind, mapping, options))


def _has_error(errors: list[CellError], name: str) -> bool:
    return any(problem.field == name for problem in errors)


def _fill_period(values: dict[str, Any], errors: list[CellError], problem: Callable[[str, str], CellError]) -> None:
    """Month + year → start_date and end_date (first and last day), unless the row has its own."""
    month, year = values.pop("month", None), values.pop("year", None)
    if month is None and year is None:
        return
    if month is None or year is None:
        missing, given = ("month", "year") if month is None else ("year", "month")
        if not _has_error(errors, missing):
            errors.append(problem(missing, f"the {missing} is blank while the {given} is given"))
        return
    first, last = v.month_period(year, month)
    values.setdefault("start_date", first)
    values.setdefault("end_date", last)


def row_fingerprint(*parts: Any) -> str:
    """A stable key for rows without a code of their own: 'auto:' + a hash of the parts,
    compared without case, accents or spacing (None and '' count alike).

    The importer calls it with the matched ids and values that identify a record, e.g.
    (organisation id, sector id, area P-code, title, start, end), so that re-importing the
    same file finds the same records.
    """
    normalised = []
    for part in parts:
        if part is None or part == "":
            normalised.append("")
        elif isinstance(part, date):
            normalised.append(part.isoformat())
        else:
            normalised.append(v.normalise_text(str(part)))
    digest = hashlib.sha1("\x1f".join(normalised).encode("utf-8")).hexdigest()[:20]
    return f"auto:{digest}"
