"""The sector × admin-area gap matrix: needs registered against the work and capacity present."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import date

from coordhub.overlap.core.detect import detect_overlaps
from coordhub.overlap.core.model import Activity, AdminArea, Capacity, GapCell, InvalidInput, Need
from coordhub.overlap.core.table import normalise_key
from coordhub.reading.areas import AreaTree


@dataclass(frozen=True, slots=True)
class GapReport:
    """Cells of the gap matrix at one admin level.

    ``sectors`` and ``areas`` are the matrix axes (sectors seen in needs, activities or
    capacities; the tree's areas at ``level`` in tree order, then areas not in the tree).
    ``cells`` holds the non-empty cells by (sector, P-code); :meth:`cell` returns an empty one
    for the rest. ``needs_above_level`` lists needs registered at a broader level than
    ``level`` (they cannot be split between cells); ``unmatched_pcodes`` are P-codes not in
    the tree or with no ancestor at ``level``, kept as cells of their own.
    """

    level: int
    sectors: tuple[str, ...]
    areas: tuple[AdminArea, ...]
    cells: dict[tuple[str, str], GapCell]
    needs_above_level: tuple[str, ...] = ()
    unmatched_pcodes: frozenset[str] = field(default_factory=frozenset)

    def cell(self, sector: str, pcode: str) -> GapCell:
        """The cell for a sector (any spelling of it) and a P-code; empty if nothing is there."""
        label = self._sector_label(sector)
        found = self.cells.get((label, pcode))
        if found is not None:
            return found
        area = next((a for a in self.areas if a.pcode == pcode), AdminArea(pcode=pcode))
        return GapCell(sector=label, area=area)

    @property
    def gaps(self) -> list[GapCell]:
        """Cells with needs and no activity, most needed first."""
        return sorted(
            (c for c in self.cells.values() if c.is_gap),
            key=lambda c: (-c.need_quantity, -c.need_count, c.sector, c.area.pcode),
        )

    def _sector_label(self, sector: str) -> str:
        key = normalise_key(sector)
        return next((s for s in self.sectors if normalise_key(s) == key), sector)


@dataclass(slots=True)
class _Tally:
    needs: set[str] = field(default_factory=set)
    need_quantity: float = 0.0
    activities: set[str] = field(default_factory=set)
    linked: set[str] = field(default_factory=set)
    organisations: dict[str, str] = field(default_factory=dict)
    beneficiaries: int = 0
    capacities: set[str] = field(default_factory=set)
    capacity_quantity: float = 0.0


def _active_in(activity: Activity, period: tuple[date, date] | None) -> bool:
    if period is None:
        return True
    starts_in_time = activity.start is None or activity.start <= period[1]
    return starts_in_time and (activity.end is None or activity.end >= period[0])


def find_gaps(
    activities: Iterable[Activity],
    areas: Iterable[AdminArea],
    *,
    level: int,
    needs: Iterable[Need] = (),
    capacities: Iterable[Capacity] = (),
    period: tuple[date, date] | None = None,
    linked_activity_ids: Collection[str] | None = None,
) -> GapReport:
    """Tally needs, activities, organisations and capacities per sector × area at ``level``.

    Records in areas below ``level`` roll up to their ancestor at ``level``; activities and
    capacities registered above it count in every area at ``level`` they contain (their
    beneficiaries are not split, so they add none), needs above it go to
    ``needs_above_level``. With ``period`` (first day, last day) only activities whose dates
    meet it count (an unknown start meets every period). A funder's report that duplicates its
    partner's (``linked_activity_ids``; found by full detection when ``None``) is counted in
    ``linked_count`` only, so an intervention reported twice counts once.

    Raises :class:`InvalidInput` for a broken tree or a period ending before it starts.
    """
    if period is not None and period[1] < period[0]:
        raise InvalidInput("the period ends before it starts", field="period")
    areas = list(areas)
    activities = [a for a in activities if _active_in(a, period)]
    if linked_activity_ids is None:
        linked_activity_ids = detect_overlaps(activities, areas, period=period, clusters=False).linked_activity_ids
    tree = AreaTree(areas)
    unmatched: set[str] = set()
    below_cache: dict[int, list[int]] = {}
    sector_labels: dict[str, str] = {}
    tallies: dict[tuple[str, int], _Tally] = {}

    def cells_for(sector: str, pcodes: tuple[str, ...], spread_down: bool) -> tuple[str, set[int], set[int]]:
        """(sector key, cells covered, cells covered from above)."""
        key = normalise_key(sector)
        label = sector_labels.setdefault(key, sector)
        sector_labels[key] = min(label, sector)
        covered: set[int] = set()
        from_above: set[int] = set()
        for pcode in pcodes:
            node = tree.locate(pcode)
            area = tree.areas[node]
            if node >= tree.known_count:
                unmatched.add(pcode)
                covered.add(node)
            elif area.level is not None and area.level >= level:
                target = tree.ancestor_at_level(node, level)
                if target is None:
                    unmatched.add(pcode)
                    target = node
                covered.add(target)
            elif spread_down:
                if node not in below_cache:
                    below_cache[node] = [n for n in tree.subtree(node) if tree.areas[n].level == level]
                from_above.update(below_cache[node])
        return key, covered, from_above - covered

    needs_above: list[str] = []
    for need in needs:
        key, covered, _ = cells_for(need.sector, need.pcodes, spread_down=False)
        if not covered:
            needs_above.append(need.id)
        for node in covered:
            tally = tallies.setdefault((key, node), _Tally())
            if need.id not in tally.needs:
                tally.needs.add(need.id)
                tally.need_quantity += need.quantity
    linked = set(linked_activity_ids)
    for activity in activities:
        key, covered, from_above = cells_for(activity.sector, activity.pcodes, spread_down=True)
        for node in covered | from_above:
            tally = tallies.setdefault((key, node), _Tally())
            if activity.id in linked:
                tally.linked.add(activity.id)
                continue
            if activity.id in tally.activities:
                continue
            tally.activities.add(activity.id)
            org = normalise_key(activity.organisation)
            tally.organisations[org] = min(
                tally.organisations.get(org, activity.organisation_label), activity.organisation_label
            )
            if node in covered and activity.beneficiaries:
                tally.beneficiaries += activity.beneficiaries
    for capacity in capacities:
        key, covered, from_above = cells_for(capacity.sector, capacity.pcodes, spread_down=True)
        for node in covered | from_above:
            tally = tallies.setdefault((key, node), _Tally())
            if capacity.id not in tally.capacities:
                tally.capacities.add(capacity.id)
                tally.capacity_quantity += capacity.quantity

    cells: dict[tuple[str, str], GapCell] = {}
    for (key, node), t in tallies.items():
        area = tree.areas[node]
        sector = sector_labels[key]
        cells[(sector, area.pcode)] = GapCell(
            sector=sector,
            area=area,
            need_count=len(t.needs),
            need_quantity=t.need_quantity,
            activity_count=len(t.activities),
            organisations=tuple(sorted(t.organisations.values(), key=str.casefold)),
            beneficiaries=t.beneficiaries,
            capacity_count=len(t.capacities),
            capacity_quantity=t.capacity_quantity,
            linked_count=len(t.linked),
        )
    axis = [a for a in tree.areas[: tree.known_count] if a.level == level]
    axis += sorted(
        (tree.areas[n] for _, n in tallies if n >= tree.known_count or tree.areas[n].level != level),
        key=lambda a: a.pcode,
    )
    unique_axis = list(dict.fromkeys(axis))
    return GapReport(
        level=level,
        sectors=tuple(sorted(sector_labels.values(), key=str.casefold)),
        areas=tuple(unique_axis),
        cells=cells,
        needs_above_level=tuple(needs_above),
        unmatched_pcodes=frozenset(unmatched),
    )
