"""Candidate pairs without an all-pairs loop: bucket by sector and area, sweep by start date."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from coordhub.overlap.core.table import DAY_SPAN, ActivityTable


@dataclass(slots=True)
class CandidatePairs:
    """Pairs of rows that share a sector, have related areas and intersecting date ranges.

    ``node_a``/``node_b`` are the areas of ``row_a``/``row_b`` that gave the closest match and
    ``gap`` the number of admin levels between them (0 = same area). Rows and nodes are int32,
    ``gap`` int8: there can be millions of pairs.
    """

    row_a: np.ndarray
    row_b: np.ndarray
    node_a: np.ndarray
    node_b: np.ndarray
    gap: np.ndarray

    def take(self, index: np.ndarray) -> CandidatePairs:
        return CandidatePairs(
            self.row_a[index], self.row_b[index], self.node_a[index], self.node_b[index], self.gap[index]
        )

    @staticmethod
    def concat(parts: list[CandidatePairs]) -> CandidatePairs:
        if not parts:
            empty = np.zeros(0, dtype=np.int32)
            return CandidatePairs(empty, empty, empty, empty, empty.astype(np.int8))
        return CandidatePairs(
            *(np.concatenate([getattr(p, f) for p in parts]) for f in ("row_a", "row_b", "node_a", "node_b", "gap"))
        )


def expand_ranges(lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each i, every j in [lo[i], hi[i]): returns (i repeated, j), both flat."""
    counts = np.maximum(hi - lo, 0)
    total = int(counts.sum())
    owner = np.repeat(np.arange(len(lo)), counts)
    offsets = np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)
    return owner, lo[owner] + offsets


def best_match_per_pair(pairs: CandidatePairs, table: ActivityTable) -> CandidatePairs:
    """Keep one entry per pair of activities: the closest pair of areas.

    Closest = fewest levels apart, then the deeper shared area, then a fixed order of P-codes,
    so that full and incremental detection pick the same areas. Pairs of an activity with
    itself are dropped. Only activities with several areas can meet twice, so only their
    pairs are sorted.
    """
    pairs = pairs.take(np.flatnonzero(pairs.row_a != pairs.row_b))
    places = table.places
    several = (places[pairs.row_a] > 1) | (places[pairs.row_b] > 1)
    if not several.any():
        return pairs
    single = pairs.take(np.flatnonzero(~several))
    pairs = pairs.take(np.flatnonzero(several))
    depth = np.asarray(table.tree.depth)
    rank = np.asarray(table.tree.rank)
    lo = np.minimum(pairs.row_a, pairs.row_b)
    hi = np.maximum(pairs.row_a, pairs.row_b)
    key = lo.astype(np.int64) * max(table.size, 1) + hi
    deeper = np.where(depth[pairs.node_a] >= depth[pairs.node_b], pairs.node_a, pairs.node_b)
    other = np.where(deeper == pairs.node_a, pairs.node_b, pairs.node_a)
    order = np.lexsort((rank[other], rank[deeper], -depth[deeper], pairs.gap, key))
    sorted_key = key[order]
    first = np.ones(len(order), dtype=bool)
    first[1:] = sorted_key[1:] != sorted_key[:-1]
    return CandidatePairs.concat([single, pairs.take(order[first])])


def all_candidate_pairs(table: ActivityTable) -> CandidatePairs:
    """Every candidate pair among the live rows of ``table`` (see :class:`CandidatePairs`).

    Placements (activity, area) are grouped into cells (sector, area) and sorted by start, so
    within a cell the rows starting before one ends follow it directly; an area's ancestors'
    cells are searched the same way. Cost grows with the number of pairs found, not n².
    """
    tree = table.tree
    prow, pnode = table.placements()
    if len(prow) == 0:
        return CandidatePairs.concat([])
    n_nodes = len(tree)
    psector = table.sector[prow].astype(np.int64)
    cell_key = psector * n_nodes + pnode
    cells, cell_of = np.unique(cell_key, return_inverse=True)
    pstart, pend = table.start[prow], table.end[prow]
    order = np.lexsort((pstart, cell_of))
    prow, pnode, psector, cell_of = prow[order], pnode[order], psector[order], cell_of[order]
    pstart, pend = pstart[order], pend[order]
    sort_key = cell_of * DAY_SPAN + pstart
    cell_first = np.searchsorted(sort_key, np.arange(len(cells)) * DAY_SPAN, side="left")
    depth = np.asarray(tree.depth)

    parts = []
    # same cell: j after i (starts no earlier) and starting no later than i ends
    hi = np.searchsorted(sort_key, cell_of * DAY_SPAN + pend, side="right")
    i, j = expand_ranges(np.arange(len(prow)) + 1, hi)
    parts.append(CandidatePairs(prow[i], prow[j], pnode[i], pnode[j], np.zeros(len(i), np.int8)))

    # an ancestor's cell: rows there starting before i ends, then keep those ending after i starts
    ancestors = tree.ancestor_matrix(pnode)
    for d in range(ancestors.shape[1]):
        anc = ancestors[:, d]
        has = np.flatnonzero(anc >= 0)
        if len(has) == 0:
            continue
        wanted = psector[has] * n_nodes + anc[has]
        pos = np.searchsorted(cells, wanted)
        pos = np.minimum(pos, len(cells) - 1)
        found = cells[pos] == wanted
        has, pos = has[found], pos[found]
        if len(has) == 0:
            continue
        hi = np.searchsorted(sort_key, pos * DAY_SPAN + pend[has], side="right")
        k, j = expand_ranges(cell_first[pos], hi)
        i = has[k]
        keep = pend[j] >= pstart[i]
        i, j = i[keep], j[keep]
        parts.append(CandidatePairs(prow[i], prow[j], pnode[i], pnode[j], (depth[pnode[i]] - d).astype(np.int8)))
    return best_match_per_pair(CandidatePairs.concat(parts), table)
