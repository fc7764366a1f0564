"""Incremental detection: an index of stored activities to check one new or changed activity."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date

import numpy as np

from coordhub.overlap.core.clusters import find_clusters
from coordhub.overlap.core.detect import DetectionResult, build_overlaps, detect_overlaps, scored_pairs
from coordhub.overlap.core.model import Activity, AdminArea, Cluster, InvalidInput, Overlap
from coordhub.overlap.core.pairs import CandidatePairs, all_candidate_pairs, best_match_per_pair
from coordhub.overlap.core.scoring import check_min_score
from coordhub.overlap.core.table import ActivityTable
from coordhub.reading.areas import AreaTree


class OverlapIndex:
    """Stored activities, bucketed by (sector, area), for checks on each create or update.

    Build it once (``OverlapIndex(activities, areas)``), then call :meth:`check` before saving
    (what would this activity overlap?), :meth:`add` / :meth:`update` after saving and
    :meth:`remove` after deleting. The pairs returned are exactly those full detection
    (:func:`detect_overlaps`) finds for that activity on the same data, with the same scores.
    ``period`` and ``min_score`` mean what they mean there.

    Raises :class:`InvalidInput` like :func:`detect_overlaps` (repeated ids, broken tree).
    """

    def __init__(
        self,
        activities: Iterable[Activity] = (),
        areas: Iterable[AdminArea] = (),
        *,
        period: tuple[date, date] | None = None,
        min_score: float = 0.0,
        tree: AreaTree | None = None,
    ) -> None:
        check_min_score(min_score)
        self._areas = list(areas)
        self._period = period
        self._min_score = min_score
        # ``tree``: the AreaTree of ``areas`` built once and shared (it is only read)
        self._table = ActivityTable(tree if tree is not None else AreaTree(self._areas), period)
        # sector → area node → rows registered there
        self._cells: dict[int, dict[int, set[int]]] = {}
        self._table.extend(activities)
        for row in range(self._table.size):
            self._file(row)
        # double counts among the initial activities are found on first need (see clusters)
        self._links_complete = self._table.size == 0

    # reading ---------------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self._table)

    def __contains__(self, activity_id: object) -> bool:
        return activity_id in self._table.rows

    def __iter__(self) -> Iterator[Activity]:
        return (a for a in self._table.activities if a is not None)

    def get(self, activity_id: str) -> Activity | None:
        row = self._table.rows.get(activity_id)
        return None if row is None else self._table.activities[row]

    # changes ---------------------------------------------------------------------------------
    def check(self, activity: Activity) -> list[Overlap]:
        """The overlaps ``activity`` would have with the stored ones (score ≥ min_score),
        highest score first. Nothing is stored. A stored activity with the same id is taken to
        be its earlier version and is not compared."""
        return self._overlaps_of(activity, store=False)

    def add(self, activity: Activity) -> list[Overlap]:
        """Store a new activity and return its overlaps (as :meth:`check`).

        Raises :class:`InvalidInput` if the id is already stored (use :meth:`update`).
        """
        if activity.id in self._table.rows:
            raise InvalidInput(f"activity id {activity.id!r} is already stored", record=activity.id, field="id")
        return self._overlaps_of(activity, store=True)

    def update(self, activity: Activity) -> list[Overlap]:
        """Replace the stored activity with the same id (or add it) and return its overlaps."""
        if activity.id in self._table.rows:
            self.remove(activity.id)
        return self._overlaps_of(activity, store=True)

    def remove(self, activity_id: str) -> None:
        """Forget an activity. Raises ``KeyError`` if it is not stored."""
        row = self._table.rows[activity_id]
        by_node = self._cells[int(self._table.sector[row])]
        for node in self._table.nodes_of[row]:
            by_node[node].discard(row)
            if not by_node[node]:
                del by_node[node]
        self._table.remove(activity_id)

    # whole-set views -------------------------------------------------------------------------
    def overlaps(self) -> DetectionResult:
        """Full detection over the stored activities (the reference the index agrees with)."""
        return detect_overlaps(self, self._areas, period=self._period, min_score=self._min_score)

    def clusters(self, activity_id: str | None = None) -> list[Cluster]:
        """Current clusters; with ``activity_id``, only those of that activity's cells (its
        sector in each of its areas). Raises ``KeyError`` for an id not stored."""
        self._complete_links()
        if activity_id is None:
            return find_clusters(self._table)
        row = self._table.rows[activity_id]
        sector = int(self._table.sector[row])
        return find_clusters(self._table, [(sector, n) for n in self._table.nodes_of[row]])

    def clusters_in(self, sector: str, pcodes: Iterable[str]) -> list[Cluster]:
        """Current clusters of ``sector`` in the areas ``pcodes`` (cells without activities give
        none): what changes there when an activity registered in those areas changes."""
        self._complete_links()
        code = self._table.sectors.id(sector)
        nodes = [self._table.tree.index[p] for p in pcodes if p in self._table.tree.index]
        if code < 0 or not nodes:
            return []
        return find_clusters(self._table, [(code, n) for n in nodes])

    def linked_activity_ids(self) -> frozenset[str]:
        """Funders' reports duplicating their partners' (double counts), left out of coverage."""
        self._complete_links()
        table = self._table
        return frozenset(table.activities[r].id for r in table.linked)

    # internals -------------------------------------------------------------------------------
    def _store(self, activity: Activity) -> int:
        row = self._table.add(activity)
        self._file(row)
        return row

    def _file(self, row: int) -> None:
        """Put a stored row in the cells of its sector and areas."""
        by_node = self._cells.setdefault(int(self._table.sector[row]), {})
        for node in self._table.nodes_of[row]:
            by_node.setdefault(node, set()).add(row)

    def _complete_links(self) -> None:
        if not self._links_complete:
            scored_pairs(self._table, all_candidate_pairs(self._table), 1.0)
            self._links_complete = True

    def _overlaps_of(self, activity: Activity, *, store: bool) -> list[Overlap]:
        table = self._table
        previous = table.rows.get(activity.id)
        row = self._store(activity) if store else table.append(activity)
        try:
            pairs = self._candidates(row, exclude=previous)
            pairs, scores = scored_pairs(table, pairs, self._min_score, link=store)
            order = np.lexsort((pairs.row_b, -scores.score))
            return build_overlaps(table, pairs, scores, order)
        finally:
            if not store:
                table.drop_last()

    def _candidates(self, row: int, exclude: int | None) -> CandidatePairs:
        """Stored rows sharing the sector of ``row``, in its areas, above or below them, whose
        date ranges meet it."""
        table = self._table
        tree = table.tree
        by_node = self._cells.get(int(table.sector[row]), {})
        found: list[tuple[set[int], int, int, int]] = []  # (rows, own node, their node, gap)
        for node in table.nodes_of[row]:
            depth = tree.depth[node]
            for above in tree.ancestors(node):
                if above in by_node:
                    found.append((by_node[above], node, above, depth - tree.depth[above]))
            below = tree.subtree(node)
            nodes = (
                (n for n in below if n in by_node) if len(below) < len(by_node) else (n for n in by_node if n in below)
            )
            found.extend((by_node[n], node, n, tree.depth[n] - depth) for n in nodes)
        sizes = [len(rows) for rows, *_ in found]
        other = np.fromiter((r for rows, *_ in found for r in rows), dtype=np.int32, count=sum(sizes))
        own_node, other_node, gap = (
            np.repeat(np.asarray([f[k] for f in found], dtype=dtype), sizes)
            for k, dtype in ((1, np.int32), (2, np.int32), (3, np.int8))
        )
        keep = (table.start[other] <= table.end[row]) & (table.end[other] >= table.start[row])
        keep &= other != row
        if exclude is not None:
            keep &= other != exclude
        idx = np.flatnonzero(keep)
        pairs = CandidatePairs(
            np.full(len(idx), row, dtype=np.int32), other[idx], own_node[idx], other_node[idx], gap[idx]
        )
        return best_match_per_pair(pairs, table)
