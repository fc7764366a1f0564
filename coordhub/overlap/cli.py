"""`coordhub overlaps`: overlap detection on files alone, for scripts and checks from outside.

Activities file (.csv or .xlsx; a second header row of HXL hashtags is accepted). Columns are
found by header name, else by hashtag:

=======================  =================================  ==========================================
column                   also accepted as header             HXL hashtag
=======================  =================================  ==========================================
activity_id (required)   id                                  #activity+id, #activity+code
org (required)           organisation, organization          #org+acronym, #org+name, #org (not +impl)
sector (required)        cluster                             #sector+name, #sector
pcodes (required)        pcode                               #loc+code, else the deepest #admN+code
activity_type            resource_type, type                 #activity+type
start, end               start_date, end_date                #date+start, #date+end
title                    name                                #activity+name, #activity+title
implementing_partners    partners                            #org+impl
=======================  =================================  ==========================================

``pcodes`` and ``implementing_partners`` hold one or more codes separated by ';'. Dates are
YYYY-MM-DD (inclusive); an empty end means ongoing, an empty start unknown (see ``--period``).
Areas file: ``pcode`` (required), ``parent_pcode``, ``name``, ``level`` (``lat``, ``lon`` and
other columns are ignored). ``--format 3w`` reads an OCHA 3W file instead (see
:mod:`coordhub.overlap.core.three_w`), building the admin tree from its own admin columns.

Output: one CSV row per pair ``activity_a, activity_b, score, kind, shared_pcode, days,
explanation`` to ``--out`` (or stdout), highest score first; the last stdout line is JSON
``{"activities", "pairs", "clusters", "seconds", "kinds"}``. Malformed input stops with a
message naming the file, row (spreadsheet numbering, header = row 1) and column, exit code 2,
and nothing is written.
"""

from __future__ import annotations

import csv
import io
import json
import os
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import click

from coordhub.overlap.core.detect import detect_overlaps
from coordhub.overlap.core.model import Activity, AdminArea, InvalidInput
from coordhub.overlap.core.three_w import read_three_w
from coordhub.reading.tables import TextTable, read_text_table

OUTPUT_COLUMNS = ("activity_a", "activity_b", "score", "kind", "shared_pcode", "days", "explanation")

ACTIVITY_COLUMNS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # field: (header names, hashtag queries)
    "activity_id": (("activity_id", "id"), ("#activity+id", "#activity+code")),
    "org": (("org", "organisation", "organization"), ("#org+acronym-impl", "#org+name-impl", "#org-type-impl")),
    "sector": (("sector", "cluster"), ("#sector+name", "#sector")),
    "pcodes": (("pcodes", "pcode"), ("#loc+code",)),
    "activity_type": (("activity_type", "resource_type", "type"), ("#activity+type",)),
    "start": (("start", "start_date"), ("#date+start",)),
    "end": (("end", "end_date"), ("#date+end",)),
    "title": (("title", "name"), ("#activity+name", "#activity+title")),
    "implementing_partners": (("implementing_partners", "partners"), ("#org+impl",)),
}
REQUIRED = ("activity_id", "org", "sector", "pcodes")


class InputError(click.ClickException):
    """Malformed input: reported on stderr, exit code 2."""

    exit_code = 2


def _where(table: TextTable, number: int | None, column: str | None) -> str:
    parts = [table.source]
    if number is not None:
        parts.append(f"row {number}")
    if column is not None:
        parts.append(f"column {column!r}")
    return ", ".join(parts)


def _unique_key(value: str, seen: dict[str, int], table: TextTable, number: int, column: str, what: str) -> str:
    """``value`` if it is filled in and not used on an earlier row (recorded in ``seen``)."""
    if not value:
        raise InputError(f"{_where(table, number, column)}: the {what} is empty")
    if value in seen:
        raise InputError(f"{_where(table, number, column)}: {what} {value!r} already used on row {seen[value]}")
    seen[value] = number
    return value


def _parse_date(text: str, table: TextTable, number: int, column: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text[:10] if len(text) > 10 and text[10] in "T " else text)
    except ValueError:
        raise InputError(f"{_where(table, number, column)}: {text!r} is not a date (write YYYY-MM-DD)") from None


def _parse_period(text: str | None) -> tuple[date, date] | None:
    if not text:
        return None
    try:
        first, last = (date.fromisoformat(p.strip()) for p in text.split(":"))
    except ValueError:
        raise InputError(f"--period {text!r}: write START:END as YYYY-MM-DD:YYYY-MM-DD") from None
    if last < first:
        raise InputError(f"--period {text!r} ends before it starts")
    return first, last


def _admin_code_columns(table: TextTable) -> list[int]:
    """Columns #adm1+code … #adm5+code present, deepest last."""
    found = [table.find(hashtags=(f"#adm{k}+code",)) for k in range(1, 6)]
    return [i for i in found if i is not None]


def read_activities(path: Path, table: TextTable | None = None) -> list[Activity]:
    """Activities from a file in the CLI's column layout; raises :class:`InputError` (exit 2)."""
    table = table or read_text_table(path)
    columns = {name: table.find(*spec) for name, spec in ACTIVITY_COLUMNS.items()}
    admin_columns = _admin_code_columns(table) if columns["pcodes"] is None else []
    missing = [c for c in REQUIRED if columns[c] is None and not (c == "pcodes" and admin_columns)]
    if missing:
        raise InputError(
            f"{table.source}: missing column{'s' if len(missing) > 1 else ''} "
            f"{', '.join(missing)} (found: {', '.join(h for h in table.headers if h)})"
        )
    seen: dict[str, int] = {}
    activities = []
    for raw, number in zip(table.rows, table.row_numbers):
        row = tuple(cell.strip() for cell in raw)

        def value(name: str, row: tuple[str, ...] = row) -> str:
            i = columns[name]
            return "" if i is None else row[i]

        activity_id = _unique_key(value("activity_id"), seen, table, number, "activity_id", "id")
        pcodes = (
            value("pcodes")
            if columns["pcodes"] is not None
            else next((row[i] for i in reversed(admin_columns) if row[i]), "")
        )
        start = _parse_date(value("start"), table, number, "start")
        end = _parse_date(value("end"), table, number, "end")
        try:
            activities.append(
                Activity(
                    id=activity_id,
                    organisation=value("org"),
                    sector=value("sector"),
                    pcodes=pcodes,
                    activity_type=value("activity_type"),
                    start=start,
                    end=end,
                    title=value("title"),
                    implementing_partners=value("implementing_partners"),
                )
            )
        except InvalidInput as error:
            column = {"organisation": "org"}.get(error.field, error.field)
            raise InputError(f"{_where(table, number, column)}: {error}") from None
    return activities


def read_areas(path: Path) -> list[AdminArea]:
    """Admin areas from a file with pcode, parent_pcode, name, level; raises :class:`InputError`."""
    table = read_text_table(path)
    pcode_col = table.find(("pcode", "admin_pcode"), ("#loc+code", "#adm+code"))
    if pcode_col is None:
        raise InputError(f"{table.source}: missing column pcode")
    parent_col = table.find(("parent_pcode", "parent"), ())
    name_col = table.find(("name", "admin_name"), ("#loc+name", "#adm+name"))
    level_col = table.find(("level", "admin_level"), ())
    areas, seen = [], {}
    for raw, number in zip(table.rows, table.row_numbers):
        row = tuple(cell.strip() for cell in raw)
        pcode = _unique_key(row[pcode_col], seen, table, number, "pcode", "P-code")
        level_text = row[level_col] if level_col is not None else ""
        try:
            level = int(level_text) if level_text else 0
        except ValueError:
            raise InputError(f"{_where(table, number, 'level')}: {level_text!r} is not a whole number") from None
        areas.append(
            AdminArea(
                pcode=pcode,
                parent_pcode=row[parent_col] if parent_col is not None else None,
                name=row[name_col] if name_col is not None else "",
                level=level,
            )
        )
    return areas


def _read_or_fail(read, path: Path):
    try:
        return read(path)
    except (OSError, ValueError) as error:
        if isinstance(error, InputError):
            raise
        raise InputError(f"{path.name}: {error}") from None


@click.command("overlaps")
@click.argument("activities_file", metavar="ACTIVITIES", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--areas",
    "areas_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Admin areas: pcode, parent_pcode, name, level (.csv or .xlsx).",
)
@click.option(
    "--min-score",
    type=click.FloatRange(0.0, 1.0),
    default=0.0,
    show_default=True,
    help="Leave out pairs scoring lower (complementary pairs score at most 0.4).",
)
@click.option(
    "--out",
    "out_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the pairs to this CSV file instead of stdout.",
)
@click.option(
    "--period",
    help="Reporting period START:END (YYYY-MM-DD): an unknown start "
    "is taken as START (default: unknown start = always).",
)
@click.option(
    "--format",
    "input_format",
    type=click.Choice(["activities", "3w"]),
    default="activities",
    show_default=True,
    help="'3w': an OCHA 3W file tagged with HXL (areas taken from its admin columns).",
)
def overlaps_command(
    activities_file: Path,
    areas_file: Path | None,
    min_score: float,
    out_file: Path | None,
    period: str | None,
    input_format: str,
) -> None:
    """Find overlapping activities (same sector, related areas, intersecting dates) in files."""
    began = time.perf_counter()
    reporting_period = _parse_period(period)
    if out_file is not None and not out_file.resolve().parent.is_dir():
        raise InputError(f"--out {out_file}: the folder does not exist")
    areas: list[AdminArea] = []
    if input_format == "3w":
        imported = _read_or_fail(lambda p: read_three_w(p, period=reporting_period), activities_file)
        activities, areas = imported.activities, imported.areas
        for note in imported.notes + imported.skipped[:20]:
            click.echo(f"note: {note}", err=True)
    else:
        activities = _read_or_fail(read_activities, activities_file)
    if areas_file is not None:
        areas = _read_or_fail(read_areas, areas_file)
    try:
        result = detect_overlaps(activities, areas, period=reporting_period, min_score=min_score)
    except InvalidInput as error:
        source = areas_file.name if areas_file and error.field in ("pcode", "parent_pcode") else activities_file.name
        raise InputError(f"{source}: {error}") from None
    if not areas:
        click.echo("note: no admin areas given: P-codes are matched exactly only", err=True)
    elif result.unknown_pcodes:
        shown = ", ".join(sorted(result.unknown_pcodes)[:10])
        click.echo(
            f"note: {len(result.unknown_pcodes)} P-codes not in the admin areas, matched exactly only: {shown}",
            err=True,
        )
    if result.unplaced_activity_ids:
        click.echo(
            f"note: {len(result.unplaced_activity_ids)} activities have no P-code: "
            f"{', '.join(result.unplaced_activity_ids[:10])}",
            err=True,
        )

    if out_file is not None:
        _write_atomically(out_file, result.overlaps)
    else:
        _write_pairs(sys.stdout, result.overlaps)
    summary = {
        "activities": result.activity_count,
        "pairs": len(result.overlaps),
        "clusters": len(result.clusters),
        "seconds": round(time.perf_counter() - began, 3),
        "kinds": {kind.value: n for kind, n in result.overlaps.count_by_kind().items()},
    }
    click.echo(json.dumps(summary))


def _write_pairs(stream: io.TextIOBase, overlaps) -> None:
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(OUTPUT_COLUMNS)
    for o in overlaps:
        writer.writerow(
            (
                o.a.id,
                o.b.id,
                f"{o.score:.4f}",
                o.kind.value,
                o.shared_pcode,
                "" if o.days is None else o.days,
                o.explanation,
            )
        )


def _write_atomically(path: Path, overlaps) -> None:
    directory = path.resolve().parent
    fd, temporary = tempfile.mkstemp(prefix=".overlaps-", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as stream:
            _write_pairs(stream, overlaps)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
