"""Activities as numbered rows of numpy columns, shared by full and incremental detection."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date

import numpy as np
from rapidfuzz.utils import default_process

from coordhub.overlap.core.model import Activity, InvalidInput
from coordhub.reading.areas import AreaTree

#: ordinal used for an unknown start when no reporting period is given ("always")
NO_START = 0
#: ordinal used for an open end (ongoing)
NO_END = date.max.toordinal() + 1
#: multiplier that packs (cell, day ordinal) into one sortable int64
DAY_SPAN = 1 << 22
assert NO_END < DAY_SPAN


def normalise_key(text: str) -> str:
    """The form used to compare names and codes: spaces collapsed, case folded."""
    return " ".join(text.split()).casefold()


class Interner:
    """Numbers distinct values by a comparison key (``keys[number]`` is that key)."""

    def __init__(self, key: Callable[[str], str] = normalise_key) -> None:
        self._key = key
        self._spellings: dict[str, int] = {}  # exact spelling → number (skips normalising)
        self.ids: dict[str, int] = {}
        self.keys: list[str] = []

    def id(self, value: str) -> int:
        """The number of ``value``; -1 for a value whose key is empty."""
        i = self._spellings.get(value)
        if i is not None:
            return i
        k = self._key(value)
        if not k:
            i = -1
        else:
            i = self.ids.get(k)
            if i is None:
                i = self.ids[k] = len(self.keys)
                self.keys.append(k)
        self._spellings[value] = i
        return i


_COLUMNS = ("start", "end", "org", "sector", "type", "text", "target", "partners", "partner", "places")


class ActivityTable:
    """Activities stored as rows; removed rows stay as holes (``alive`` is False).

    Dates become day ordinals: an unknown start is the reporting period's start (``period``
    given; the activity's end if that comes first) or :data:`NO_START`; an open end is
    :data:`NO_END`. Organisations, sectors, activity
    types, target groups and texts (title, else description, as rapidfuzz processes them) are
    interned to numbers so pairs compare as integers.

    ``linked`` maps a funder's report (row) to the rows of its partner's reports it duplicates
    (double counts found so far); such rows are left out of coverage.
    """

    # one int32 column each, indexed by row (-1 = none / unknown)
    start: np.ndarray
    end: np.ndarray
    org: np.ndarray
    sector: np.ndarray
    type: np.ndarray
    text: np.ndarray
    target: np.ndarray
    partners: np.ndarray  # number of implementing partners named
    partner: np.ndarray  # the first of them (organisation number)
    places: np.ndarray  # number of areas

    def __init__(self, tree: AreaTree, period: tuple[date, date] | None = None) -> None:
        if period is not None and period[1] < period[0]:
            raise InvalidInput("the reporting period ends before it starts", field="period")
        self.tree = tree
        self.default_start = period[0].toordinal() if period else NO_START
        self.orgs = Interner()
        self.sectors = Interner()
        self.types = Interner()
        self.targets = Interner()
        self.texts = Interner(default_process)
        self.activities: list[Activity | None] = []
        self.rows: dict[str, int] = {}
        self.nodes_of: list[tuple[int, ...]] = []
        self.partners_of: list[tuple[int, ...]] = []
        self.linked: dict[int, set[int]] = {}
        self._funders_of: dict[int, set[int]] = {}  # the reverse of ``linked``
        self._capacity = 0
        self._cols: dict[str, np.ndarray] = {}
        self.alive = np.zeros(0, dtype=bool)
        self._grow(64)

    # columns -------------------------------------------------------------------------------
    def _grow(self, need: int) -> None:
        if need <= self._capacity:
            return
        capacity = max(need, 2 * self._capacity)
        for name in _COLUMNS:
            new = np.full(capacity, -1, dtype=np.int32)
            if name in self._cols:
                new[: self._capacity] = self._cols[name]
            self._cols[name] = new
        alive = np.zeros(capacity, dtype=bool)
        alive[: self._capacity] = self.alive
        self.alive = alive
        self._capacity = capacity
        # the columns as attributes (table.start, table.org, …); arrays are replaced on growth
        self.__dict__.update(self._cols)

    def __len__(self) -> int:
        return len(self.rows)

    @property
    def size(self) -> int:
        """Number of rows ever used (holes included)."""
        return len(self.activities)

    # rows ----------------------------------------------------------------------------------
    def add(self, activity: Activity) -> int:
        """Store ``activity``; returns its row. Raises :class:`InvalidInput` on a repeated id."""
        self._register(activity, len(self.activities))
        return self.append(activity)

    def extend(self, activities: Iterable[Activity]) -> None:
        """Store many activities at once (as :meth:`add`, with one write per column)."""
        first = len(self.activities)
        values = []
        for activity in activities:
            self._register(activity, first + len(values))
            values.append(self._values(activity))
        if not values:
            return
        self._grow(first + len(values))
        block = np.array(values, dtype=np.int32).reshape(len(values), len(_COLUMNS))
        for k, name in enumerate(_COLUMNS):
            self._cols[name][first : first + len(values)] = block[:, k]
        self.alive[first : first + len(values)] = True

    def append(self, activity: Activity) -> int:
        """Put ``activity`` in a new row without registering its id (for a trial: see
        :meth:`drop_last`); returns the row."""
        row = len(self.activities)
        values = self._values(activity)
        self._grow(row + 1)
        for name, value in zip(_COLUMNS, values):
            self._cols[name][row] = value
        self.alive[row] = True
        return row

    def _register(self, activity: Activity, row: int) -> None:
        if activity.id in self.rows:
            raise InvalidInput(f"activity id {activity.id!r} appears twice", record=activity.id, field="id")
        self.rows[activity.id] = row

    def _values(self, activity: Activity) -> tuple[int, ...]:
        """The activity's column values (in ``_COLUMNS`` order); records its areas and partners."""
        end = activity.end.toordinal() if activity.end else NO_END
        start = activity.start.toordinal() if activity.start else min(self.default_start, end)
        nodes = tuple(self.tree.locate(p) for p in activity.pcodes)
        partners = tuple(self.orgs.id(p) for p in activity.implementing_partners)
        self.activities.append(activity)
        self.nodes_of.append(nodes)
        self.partners_of.append(partners)
        return (
            start,
            end,
            self.orgs.id(activity.organisation),
            self.sectors.id(activity.sector),
            self.types.id(activity.activity_type),
            self.texts.id(activity.title or activity.description),
            self.targets.id(activity.target_group),
            len(partners),
            partners[0] if partners else -1,
            len(nodes),
        )

    def drop_last(self) -> None:
        """Undo :meth:`append` of the last row (interned names stay known)."""
        row = len(self.activities) - 1
        self.alive[row] = False
        del self.activities[row], self.nodes_of[row], self.partners_of[row]

    def remove(self, activity_id: str) -> int:
        """Forget an activity and its double-count links; returns its former row.

        Raises ``KeyError`` when the id is not stored.
        """
        row = self.rows.pop(activity_id)
        self.alive[row] = False
        self.activities[row] = None
        for counted in self.linked.pop(row, ()):
            self._funders_of[counted].discard(row)
        for funder in self._funders_of.pop(row, ()):
            self.linked[funder].discard(row)
            if not self.linked[funder]:
                del self.linked[funder]
        return row

    def link(self, funder_rows: np.ndarray, counted_rows: np.ndarray) -> None:
        """Record double counts: each funder report is linked to the partner report counted."""
        for f, c in zip(funder_rows.tolist(), counted_rows.tolist()):
            self.linked.setdefault(f, set()).add(c)
            self._funders_of.setdefault(c, set()).add(f)

    def placements(self) -> tuple[np.ndarray, np.ndarray]:
        """(row, node) for every area of every live activity, as int32 arrays."""
        rows = np.flatnonzero(self.alive[: self.size])
        counts = self.places[rows]
        prow = np.repeat(rows.astype(np.int32), counts)
        pnode = np.fromiter(
            (n for r in rows.tolist() for n in self.nodes_of[r]), dtype=np.int32, count=int(counts.sum())
        )
        return prow, pnode

    def names_partner(self, funder_rows: np.ndarray, other_rows: np.ndarray) -> np.ndarray:
        """For each pair: does the first activity name the second's organisation as partner?"""
        other_org = self.org[other_rows]
        out = (self.partner[funder_rows] == other_org) & (other_org >= 0)
        for k in np.flatnonzero(self.partners[funder_rows] > 1).tolist():
            out[k] = other_org[k] in self.partners_of[funder_rows[k]]
        return out
