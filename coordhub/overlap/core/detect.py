"""Full overlap detection over a set of activities, and the result it returns."""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import overload

import numpy as np

from coordhub.overlap.core.clusters import find_clusters
from coordhub.overlap.core.model import (
    Activity,
    AdminArea,
    Cluster,
    Overlap,
    OverlapKind,
    SpatialRelation,
)
from coordhub.overlap.core.pairs import CandidatePairs, all_candidate_pairs
from coordhub.overlap.core.scoring import (
    DOUBLE_COUNT,
    KINDS,
    OWN_WORK,
    SCORE_DECIMALS,
    PairScores,
    check_min_score,
    intersections,
    score_pairs,
)
from coordhub.overlap.core.table import NO_END, NO_START, ActivityTable
from coordhub.reading.areas import AreaTree


def _day(ordinal: int) -> date | None:
    return None if ordinal in (NO_START, NO_END) else date.fromordinal(ordinal)


class Overlaps(Sequence[Overlap]):
    """Scored pairs held as arrays; :class:`Overlap` objects are built when read.

    Read in order of score, highest first. Building every object (and its explanation) for
    millions of pairs takes seconds, so :meth:`count_by_kind` and :attr:`scores` work on the
    arrays without building any.
    """

    _CHUNK = 4096

    def __init__(self, table: ActivityTable, pairs: CandidatePairs, scores: PairScores) -> None:
        self._table = table
        self._pairs = pairs
        self._scores = scores
        self._order: np.ndarray | None = None  # by score, highest first; sorted on first read

    def _positions(self, index: slice) -> np.ndarray:
        if self._order is None:
            self._order = np.argsort(-self._scores.score, kind="stable")
        return self._order[index]

    def __len__(self) -> int:
        return len(self._pairs.row_a)

    @overload
    def __getitem__(self, index: int) -> Overlap: ...
    @overload
    def __getitem__(self, index: slice) -> list[Overlap]: ...
    def __getitem__(self, index):
        if isinstance(index, slice):
            return build_overlaps(self._table, self._pairs, self._scores, self._positions(index))
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(index)
        return self[index : index + 1][0]

    def __iter__(self) -> Iterator[Overlap]:
        for first in range(0, len(self), self._CHUNK):
            yield from self[first : first + self._CHUNK]

    @property
    def scores(self) -> np.ndarray:
        """Scores in [0, 1], in no particular order (for counts and histograms)."""
        return self._scores.score

    def count_by_kind(self) -> dict[OverlapKind, int]:
        """Number of pairs of each kind (every kind present, zero when none)."""
        counts = np.bincount(self._scores.kind.astype(np.int64), minlength=len(KINDS))
        return {kind: int(counts[i]) for i, kind in enumerate(KINDS)}


def build_overlaps(
    table: ActivityTable, pairs: CandidatePairs, scores: PairScores, positions: np.ndarray
) -> list[Overlap]:
    """The :class:`Overlap` objects for entries ``positions`` of scored pair arrays, in that
    order, each with ``a.id < b.id``."""
    activities, areas, depth = table.activities, table.tree.areas, table.tree.depth
    row_a, row_b = pairs.row_a[positions], pairs.row_b[positions]
    start, end, days = intersections(table, row_a, row_b)
    day = {d: _day(d) for d in np.unique(np.concatenate((start, end))).tolist()}
    same, contains, within = SpatialRelation.SAME, SpatialRelation.CONTAINS, SpatialRelation.WITHIN
    columns = zip(
        row_a.tolist(),
        row_b.tolist(),
        pairs.node_a[positions].tolist(),
        pairs.node_b[positions].tolist(),
        scores.score[positions].astype(float).round(SCORE_DECIMALS).tolist(),
        scores.kind[positions].tolist(),
        start.tolist(),
        end.tolist(),
        days.tolist(),
        scores.similarity[positions].astype(float).round(SCORE_DECIMALS).tolist(),
        scores.counted[positions].tolist(),
    )
    out = []
    append = out.append
    for row_a, row_b, node_a, node_b, score, kind, start, end, days, similarity, counted in columns:
        a, b = activities[row_a], activities[row_b]
        if b.id < a.id:
            a, b, node_a, node_b = b, a, node_b, node_a
        relation = same if node_a == node_b else contains if depth[node_a] < depth[node_b] else within
        # positional, in field order: a, b, score, kind, area_a, area_b, relation, start, end,
        # days, title_similarity (NaN: none), counted_activity_id
        append(
            Overlap(
                a,
                b,
                score,
                KINDS[kind],
                areas[node_a],
                areas[node_b],
                relation,
                day[start],
                day[end],
                days if days >= 0 else None,
                None if similarity != similarity else similarity,
                activities[counted].id if counted >= 0 else None,
            )
        )
    return out


def scored_pairs(
    table: ActivityTable, pairs: CandidatePairs, min_score: float, *, link: bool = True
) -> tuple[CandidatePairs, PairScores]:
    """Score candidate pairs and keep those scoring ≥ ``min_score`` (one organisation's own
    work of different types is never kept); with ``link``, record every double count found
    (whatever its score) in ``table``."""
    scores = score_pairs(table, pairs.row_a, pairs.row_b, pairs.gap)
    if link:
        double = np.flatnonzero(scores.kind == DOUBLE_COUNT)
        counted = scores.counted[double]
        funder = pairs.row_a[double] + pairs.row_b[double] - counted  # the other row
        table.link(funder, counted)
    rounded = scores.score.round(SCORE_DECIMALS)
    keep = np.flatnonzero((rounded >= min_score) & (scores.kind != OWN_WORK))
    return pairs.take(keep), scores.take(keep)


@dataclass(slots=True)
class DetectionResult:
    """What full detection found.

    - ``overlaps``: scored pairs (score ≥ ``min_score``), highest score first;
    - ``clusters``: cells with more than two organisations at once (empty when not asked for);
    - ``linked_activity_ids``: funders' reports duplicating their partners' (double counts),
      to leave out of coverage and gap figures;
    - ``unknown_pcodes``: P-codes used by activities but absent from the admin-area tree
      (matched exactly only); ``unplaced_activity_ids``: activities with no P-code at all;
    - ``seconds``: wall-clock time of the detection.
    """

    activity_count: int
    overlaps: Overlaps
    clusters: list[Cluster]
    linked_activity_ids: frozenset[str]
    unknown_pcodes: frozenset[str]
    unplaced_activity_ids: tuple[str, ...]
    seconds: float = 0.0


def detect_overlaps(
    activities: Iterable[Activity],
    areas: Iterable[AdminArea] = (),
    *,
    period: tuple[date, date] | None = None,
    min_score: float = 0.0,
    clusters: bool = True,
) -> DetectionResult:
    """Find every overlapping pair (and cluster) among ``activities``.

    ``areas`` is the admin-area tree; P-codes not in it match only themselves. ``period`` is
    the reporting period (first day, last day): an activity with no start is taken to start on
    its first day; without it an unknown start means "always". An open end means ongoing.
    ``min_score`` in [0, 1] drops weaker pairs (double counts are still linked for coverage).

    Raises :class:`InvalidInput` for a repeated activity id, a broken admin-area tree, a
    period ending before it starts or ``min_score`` outside [0, 1].
    """
    began = time.perf_counter()
    check_min_score(min_score)
    table = ActivityTable(AreaTree(areas), period)
    table.extend(activities)
    pairs, scores = scored_pairs(table, all_candidate_pairs(table), min_score)
    overlaps = Overlaps(table, pairs, scores)
    found_clusters = find_clusters(table) if clusters else []
    unplaced = tuple(a.id for a in table.activities if a is not None and not a.pcodes)
    return DetectionResult(
        activity_count=len(table),
        overlaps=overlaps,
        clusters=found_clusters,
        linked_activity_ids=frozenset(table.activities[r].id for r in table.linked),
        unknown_pcodes=frozenset(table.tree.unknown_pcodes),
        unplaced_activity_ids=unplaced,
        seconds=time.perf_counter() - began,
    )
