"""Activities and an admin-area tree from a 3W ("who does what where") table tagged with HXL.

Made for OCHA's published 3W files and their quirks: hashtags with spaces, sector codes that
repeat under another code, names with trailing or non-breaking spaces, admin-2 P-codes that do
not extend their admin-1 P-code, dates given as a month name and a year, or no dates at all.
Every quirk met is counted in ``notes`` rather than fixed silently.
"""

from __future__ import annotations

import calendar
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from coordhub.overlap.core.model import Activity, AdminArea
from coordhub.reading.tables import TextTable, read_text_table
from coordhub.reading.vocabulary import clean_sector_text

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
    def of(cls, table: TextTable) -> _Columns:
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
            admin_codes=tuple(find(hashtags=(f"#adm{k}+code",)) for k in range(1, MAX_ADMIN_LEVEL + 1)),
            admin_names=tuple(find(hashtags=(f"#adm{k}+name",)) for k in range(1, MAX_ADMIN_LEVEL + 1)),
        )


def sector_label(name: str) -> str:
    """'Operatioanl Presence: Water, Sanitation & Hygiene' → 'Water, Sanitation & Hygiene'."""
    return " ".join(clean_sector_text(name).split())


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


def activities_from_three_w(table: TextTable, *, period: tuple[date, date] | None = None) -> ThreeWImport:
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
    quirks = _Quirks()
    parents: dict[str, str | None] = {}
    levels: dict[str, int] = {}

    def cell(row: tuple[str, ...], i: int | None) -> str:
        if i is None:
            return ""
        value = " ".join(row[i].split())
        if value != row[i]:
            quirks.padded[table.headers[i] or table.hashtags[i]] += 1
        return value

    for row, number in zip(table.rows, table.row_numbers):
        org = cell(row, cols.org) or cell(row, cols.org_name)
        org_name = cell(row, cols.org_name)
        code = cell(row, cols.sector_code)
        sector = sector_label(cell(row, cols.sector_name)) or code
        chain: list[str] = []
        for level, (code_column, name_column) in enumerate(zip(cols.admin_codes, cols.admin_names), start=1):
            pcode = cell(row, code_column)
            if not pcode:
                continue
            parent = chain[-1] if chain else None
            if pcode in parents and parents[pcode] != parent:
                quirks.parent_conflicts.add(pcode)
            else:
                parents[pcode] = parent
            if parent and not pcode.startswith(parent):
                quirks.prefix_mismatch.add((parent, pcode))
            levels[pcode] = level
            name = cell(row, name_column)
            if name:
                quirks.area_names[pcode][name] += 1
            chain.append(pcode)
        missing = [what for what, value in (("organisation", org), ("sector", sector), ("P-code", chain)) if not value]
        if missing:
            result.skipped.append(f"row {number}: no {', '.join(missing)}")
            continue
        if org_name:
            quirks.org_names[org][org_name] += 1
        if code and sector != code:
            quirks.sector_codes[sector].add(code)
        cell(row, cols.status)  # only to count statuses written with extra spaces
        start, end = _dates(
            cell(row, cols.start),
            cell(row, cols.end),
            cell(row, cols.month),
            cell(row, cols.year),
            period,
            quirks.date_sources,
        )
        if start is not None and end is not None and end < start:
            result.skipped.append(f"row {number}: ends before it starts")
            continue
        reporting = cell(row, cols.operation).casefold() == "reporting"
        result.activities.append(
            Activity(
                id=cell(row, cols.activity_id) or f"{stem}:{number}",
                organisation=org,
                organisation_name=org,
                sector=sector,
                pcodes=(chain[-1],),
                activity_type=cell(row, cols.activity),
                start=start,
                end=end,
                implementing_partners=(org,) if reporting else (),
            )
        )

    for pcode, parent in parents.items():
        names = quirks.area_names[pcode]
        result.areas.append(
            AdminArea(
                pcode=pcode, parent_pcode=parent, level=levels[pcode], name=names.most_common(1)[0][0] if names else ""
            )
        )
    result.notes.append(
        f"{len(table.rows)} data rows, {len(result.activities)} activities, "
        f"{len(result.skipped)} rows skipped, {len(result.areas)} admin areas"
    )
    result.notes.extend(quirks.notes())
    if cols.operation is not None:
        result.notes.append(
            "operation type 'Reporting' read as the organisation naming itself "
            "implementing partner (its 'Implementing' row then counts once)"
        )
    return result


def _dates(
    start: str, end: str, month: str, year: str, period: tuple[date, date] | None, sources: Counter[str]
) -> tuple[date | None, date | None]:
    """A row's dates: start/end columns, else the month of month + year, else the period."""
    if start or end:
        sources["start/end columns"] += 1
        return _iso(start), _iso(end)
    if month and year.isdigit() and _month(month):
        sources["month and year"] += 1
        first = date(int(year), _month(month), 1)
        return first, first.replace(day=calendar.monthrange(first.year, first.month)[1])
    if period is not None:
        sources["the reporting period given"] += 1
        return period
    sources["none (unknown)"] += 1
    return None, None


@dataclass(slots=True)
class _Quirks:
    """What a 3W table does that a tidy table would not, counted while reading."""

    padded: Counter[str] = field(default_factory=Counter)  # column → values with extra spaces
    org_names: defaultdict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    sector_codes: defaultdict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    area_names: defaultdict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    date_sources: Counter[str] = field(default_factory=Counter)
    parent_conflicts: set[str] = field(default_factory=set)
    prefix_mismatch: set[tuple[str, str]] = field(default_factory=set)

    def notes(self) -> list[str]:
        notes = ["dates from " + ", ".join(f"{source}: {n}" for source, n in self.date_sources.items())]
        for sector, codes in sorted(self.sector_codes.items()):
            if len(codes) > 1:
                notes.append(
                    f"sector {sector!r} appears under {len(codes)} codes "
                    f"({', '.join(sorted(codes))}): read as one sector"
                )
        variants = {org: c for org, c in self.org_names.items() if len(c) > 1}
        if variants:
            examples = "; ".join(f"{org}: {' / '.join(repr(n) for n in c)}" for org, c in sorted(variants.items())[:3])
            notes.append(
                f"{len(variants)} organisations written with more than one name (matched by acronym), e.g. {examples}"
            )
        if self.padded:
            notes.append(
                "values with extra or non-breaking spaces (trimmed), by column: "
                + ", ".join(f"{column}: {n}" for column, n in self.padded.most_common())
            )
        renamed = [p for p, c in self.area_names.items() if len(c) > 1]
        if renamed:
            notes.append(f"{len(renamed)} P-codes carry more than one name (most frequent kept)")
        if self.parent_conflicts:
            notes.append(
                f"{len(self.parent_conflicts)} P-codes listed under different parents "
                f"(first kept): {', '.join(sorted(self.parent_conflicts)[:5])}"
            )
        if self.prefix_mismatch:
            parent, child = sorted(self.prefix_mismatch)[0]
            notes.append(
                f"{len(self.prefix_mismatch)} admin areas whose P-code does not extend "
                f"their parent's (e.g. {child} under {parent}): parents taken from the row"
            )
        return notes


def read_three_w(
    path: str | Path, *, period: tuple[date, date] | None = None, sheet: str | None = None
) -> ThreeWImport:
    """Read a 3W .csv or .xlsx file (see :func:`activities_from_three_w`)."""
    return activities_from_three_w(read_text_table(path, sheet), period=period)
