"""Activities and an admin-area tree from a 3W ("who does what where") table tagged with HXL.

Made for OCHA's published 3W files and their quirks: hashtags with spaces, sector codes that
repeat under another code, names with trailing or non-breaking spaces, admin-2 P-codes that do
not extend their admin-1 P-code, dates given as a month name and a year, or no dates at all.
Every quirk met is counted in ``notes`` rather than fixed silently.
"""

from __future__ import annotations

import calendar
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from coordhub.overlap.core.files import Table, read_table
from coordhub.overlap.core.model import Activity, AdminArea

_PRESENCE_PREFIX = re.compile(r"^\s*\w+\s+presence\s*:\s*", re.IGNORECASE)
_MONTHS = {name.casefold(): i for i, name in enumerate(calendar.month_name) if name}
_MONTHS.update({name.casefold(): i for i, name in enumerate(calendar.month_abbr) if name})
MAX_ADMIN_LEVEL = 4


@dataclass(slots=True)
class ThreeWImport:
    """What a 3W table gave: activities (one per row), the admin areas named in it, and
    plain-words notes on the quirks met and the rows skipped (with their row numbers)."""

    activities: list[Activity] = field(default_factory=list)
    areas: list[AdminArea] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class _Columns:
    org: int | None
    org_name: int | None
    sector_name: int | None
    sector_code: int | None
    activity: int | None
    status: int | None
    operation: int | None
    activity_id: int | None
    start: int | None
    end: int | None
    month: int | None
    year: int | None
    admin_codes: tuple[int | None, ...]
    admin_names: tuple[int | None, ...]

    @classmethod
    def of(cls, table: Table) -> _Columns:
        find = table.find
        return cls(
            org=find(hashtags=("#org+acronym", "#org-type-name")),
            org_name=find(hashtags=("#org+name-type", "#org-type-acronym")),
            sector_name=find(hashtags=("#sector+name",)),
            sector_code=find(hashtags=("#sector+code", "#sector-name")),
            activity=find(hashtags=("#activity+name", "#activity-id-code")),
            status=find(hashtags=("#status",)),
            operation=find(hashtags=("#operation+type",)),
            activity_id=find(hashtags=("#activity+id", "#activity+code")),
            start=find(hashtags=("#date+start",)),
            end=find(hashtags=("#date+end",)),
            month=find(hashtags=("#date+month",)),
            year=find(hashtags=("#date+year",)),
            admin_codes=tuple(find(hashtags=(f"#adm{k}+code",))
                              for k in range(1, MAX_ADMIN_LEVEL + 1)),
            admin_names=tuple(find(hashtags=(f"#adm{k}+name",))
                              for k in range(1, MAX_ADMIN_LEVEL + 1)),
        )


def sector_label(name: str) -> str:
    """'Operatioanl Presence: Water, Sanitation & Hygiene' → 'Water, Sanitation & Hygiene'."""
    return " ".join(_PRESENCE_PREFIX.sub("", name).split())


def _month(text: str) -> int | None:
    text = text.strip().casefold()
    if text.isdigit() and 1 <= int(text) <= 12:
        return int(text)
    return _MONTHS.get(text) or _MONTHS.get(text[:3])


def _iso(text: str) -> date | None:
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        return None


def activities_from_three_w(table: Table, *, period: tuple[date, date] | None = None) -> ThreeWImport:
    """Read a 3W table tagged with HXL into activities and admin areas.

    One activity per data row, id ``<file stem>:<row number>`` unless an ``#activity+id``
    column exists. Organisation key: ``#org +acronym`` (else the name); sector: the cluster
    name without an "… Presence:" prefix (else the code); activity type: ``#activity +name``.
    Area: the deepest ``#admN +code`` filled in. The tree is built from the row's own admin
    columns (each level's parent is the code one level up on the same row), so P-code prefix
    conventions do not matter. Dates: ``#date +start/+end``, else the month of ``#date +month``
    and ``#date +year``, else ``period`` (e.g. the quarter of a presence file), else unknown.
    A row with operation type "Reporting" names its own organisation as implementing partner,
    so that the same organisation's "Implementing" row for the same work is linked to it as one
    intervention reported twice (double count). Rows without organisation, sector or P-code
    are skipped and listed.
    """
    cols = _Columns.of(table)
    result = ThreeWImport()
    stem = Path(table.source).stem
    if cols.org is None or (cols.sector_name is None and cols.sector_code is None):
        result.notes.append("no #org or #sector column found: nothing read")
        return result
    parents: dict[str, str | None] = {}
    names: dict[str, Counter[str]] = defaultdict(Counter)
    levels: dict[str, int] = {}
    parent_conflicts: set[str] = set()
    prefix_mismatch: set[tuple[str, str]] = set()
    org_names: dict[str, Counter[str]] = defaultdict(Counter)
    sector_codes: dict[str, set[str]] = defaultdict(set)
    padded: Counter[str] = Counter()
    statuses: Counter[str] = Counter()
    date_sources: Counter[str] = Counter()

    def cell(row: tuple[str, ...], i: int | None) -> str:
        if i is None:
            return ""
        value = row[i]
        if value != " ".join(value.split()):
            padded[table.headers[i] or table.hashtags[i]] += 1
        return " ".join(value.split())

    for row, number in zip(table.rows, table.row_numbers):
        org = cell(row, cols.org) or cell(row, cols.org_name)
        org_name = cell(row, cols.org_name)
        code = cell(row, cols.sector_code)
        sector = sector_label(cell(row, cols.sector_name)) or code
        chain: list[str] = []
        for level, (ci, ni) in enumerate(zip(cols.admin_codes, cols.admin_names), start=1):
            pcode = cell(row, ci)
            if not pcode:
                continue
            parent = chain[-1] if chain else None
            if pcode in parents and parents[pcode] != parent:
                parent_conflicts.add(pcode)
            else:
                parents[pcode] = parent
            if parent and not pcode.startswith(parent):
                prefix_mismatch.add((parent, pcode))
            levels[pcode] = level
            if cell(row, ni):
                names[pcode][cell(row, ni)] += 1
            chain.append(pcode)
        missing = [what for what, value in (("organisation", org), ("sector", sector),
                                            ("P-code", chain)) if not value]
        if missing:
            result.skipped.append(f"row {number}: no {', '.join(missing)}")
            continue
        if org_name:
            org_names[org][org_name] += 1
        if code and sector != code:
            sector_codes[sector].add(code)
        if cols.status is not None:
            statuses[row[cols.status]] += 1
        start = end = None
        if cell(row, cols.start) or cell(row, cols.end):
            start, end = _iso(cell(row, cols.start)), _iso(cell(row, cols.end))
            date_sources["start/end columns"] += 1
        elif cell(row, cols.month) and cell(row, cols.year).isdigit() and _month(cell(row, cols.month)):
            year, month = int(cell(row, cols.year)), _month(cell(row, cols.month))
            start = date(year, month, 1)
            end = date(year, month, calendar.monthrange(year, month)[1])
            date_sources["month and year"] += 1
        elif period is not None:
            start, end = period
            date_sources["the reporting period given"] += 1
        else:
            date_sources["none (unknown)"] += 1
        if start is not None and end is not None and end < start:
            result.skipped.append(f"row {number}: ends before it starts")
            continue
        reporting = cell(row, cols.operation).casefold() == "reporting"
        activity_type = cell(row, cols.activity)
        result.activities.append(Activity(
            id=cell(row, cols.activity_id) or f"{stem}:{number}",
            organisation=org,
            organisation_name=org,
            sector=sector,
            pcodes=(chain[-1],),
            activity_type=activity_type,
            start=start,
            end=end,
            implementing_partners=(org,) if reporting else (),
        ))

    for pcode, parent in parents.items():
        label = names[pcode].most_common(1)[0][0] if names[pcode] else ""
        result.areas.append(AdminArea(pcode=pcode, parent_pcode=parent, name=label,
                                      level=levels[pcode]))
    _describe(result, table, org_names, sector_codes, padded, statuses, date_sources, names,
              parent_conflicts, prefix_mismatch, reporting_column=cols.operation is not None)
    return result


def _describe(result: ThreeWImport, table: Table, org_names, sector_codes, padded, statuses,
              date_sources, names, parent_conflicts, prefix_mismatch, *, reporting_column: bool) -> None:
    notes = result.notes
    notes.append(f"{len(table.rows)} data rows, {len(result.activities)} activities, "
                 f"{len(result.skipped)} rows skipped, {len(result.areas)} admin areas")
    notes.append("dates from " + ", ".join(f"{source}: {n}" for source, n in date_sources.items()))
    for sector, codes in sorted(sector_codes.items()):
        if len(codes) > 1:
            notes.append(f"sector {sector!r} appears under {len(codes)} codes "
                         f"({', '.join(sorted(codes))}): read as one sector")
    variants = {org: c for org, c in org_names.items() if len(c) > 1}
    if variants:
        examples = "; ".join(f"{org}: {' / '.join(repr(n) for n in c)}"
                             for org, c in sorted(variants.items())[:3])
        notes.append(f"{len(variants)} organisations written with more than one name "
                     f"(matched by acronym), e.g. {examples}")
    if padded:
        notes.append("values with extra spaces (trimmed): "
                     + ", ".join(f"{column}: {n}" for column, n in padded.most_common()))
    raw_statuses = sorted(s for s in statuses if s != s.strip())
    if raw_statuses:
        notes.append(f"statuses with trailing spaces: {', '.join(repr(s) for s in raw_statuses)}")
    renamed = [p for p, c in names.items() if len(c) > 1]
    if renamed:
        notes.append(f"{len(renamed)} P-codes carry more than one name (most frequent kept)")
    if parent_conflicts:
        notes.append(f"{len(parent_conflicts)} P-codes listed under different parents "
                     f"(first kept): {', '.join(sorted(parent_conflicts)[:5])}")
    if prefix_mismatch:
        parent, child = sorted(prefix_mismatch)[0]
        notes.append(f"{len(prefix_mismatch)} admin areas whose P-code does not extend their "
                     f"parent's (e.g. {child} under {parent}): parents taken from the row")
    if reporting_column:
        notes.append("operation type 'Reporting' read as the organisation naming itself "
                     "implementing partner (its 'Implementing' row then counts once)")


def read_three_w(path: str | Path, *, period: tuple[date, date] | None = None,
                 sheet: str | None = None) -> ThreeWImport:
    """Read a 3W .csv or .xlsx file (see :func:`activities_from_three_w`)."""
    return activities_from_three_w(read_table(path, sheet), period=period)
