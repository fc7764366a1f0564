"""Clusters: more than two organisations at work in one sector × area cell at the same time."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date

import numpy as np

from coordhub.overlap.core.model import Cluster
from coordhub.overlap.core.table import DAY_SPAN, NO_END, NO_START, ActivityTable

#: a cell reports a cluster from this many organisations active at once
CLUSTER_MIN_ORGANISATIONS = 3

Cell = tuple[int, int]  # (sector number, area node)


def _day(ordinal: int) -> date | None:
    return None if ordinal in (NO_START, NO_END) else date.fromordinal(ordinal)


def _group_starts(keys: np.ndarray) -> np.ndarray:
    """Positions where a sorted key array changes value (first position included)."""
    if len(keys) == 0:
        return np.zeros(0, dtype=np.int64)
    return np.flatnonzero(np.concatenate(([True], keys[1:] != keys[:-1])))


def _chains(group: np.ndarray, start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """Chain number of each entry, entries sorted by (group, start): a new chain begins with a
    new group or a start later than every end before it in the group."""
    if len(group) == 0:
        return np.zeros(0, dtype=np.int64)
    reach = np.maximum.accumulate(group * DAY_SPAN + end)
    begins = np.ones(len(group), dtype=bool)
    begins[1:] = (group[1:] != group[:-1]) | (group[1:] * DAY_SPAN + start[1:] > reach[:-1])
    return np.cumsum(begins) - 1


def _peak_organisations(
    chain: np.ndarray, org: np.ndarray, start: np.ndarray, end: np.ndarray, n_chains: int
) -> np.ndarray:
    """Most distinct organisations active on one day, per chain (inclusive date ranges)."""
    peak = np.zeros(n_chains, dtype=np.int64)
    if len(chain) == 0:
        return peak
    # merge each organisation's ranges within a chain, so an organisation counts once a day
    order = np.lexsort((start, org, chain))
    chain, org, start, end = chain[order], org[order], start[order], end[order]
    pair_group = np.cumsum(np.concatenate(([True], (chain[1:] != chain[:-1]) | (org[1:] != org[:-1])))) - 1
    piece = _chains(pair_group, start, end)
    first = _group_starts(piece)
    piece_chain = chain[first]
    piece_start = start[first]
    piece_end = np.maximum.reduceat(end, first)
    # +1 on the first day, -1 the day after the last; removals sort before additions
    times = np.concatenate((piece_start, piece_end + 1))
    delta = np.concatenate((np.ones(len(first), np.int64), -np.ones(len(first), np.int64)))
    chains = np.concatenate((piece_chain, piece_chain))
    order = np.lexsort((delta, times, chains))
    running = np.cumsum(delta[order])  # each chain sums back to 0, so no reset is needed
    np.maximum.at(peak, chains[order], running)
    return peak


def find_clusters(table: ActivityTable, cells: Collection[Cell] | None = None) -> list[Cluster]:
    """Clusters of the (sector, area) cells ``cells`` (default: every cell with an activity).

    The members of a cell are the activities registered with its area (exactly: work
    registered for a containing area shows in pairs, not here) in its sector. They split into
    chains of intersecting date ranges; a chain is a cluster when on some day at least
    :data:`CLUSTER_MIN_ORGANISATIONS` distinct organisations are active in it. A funder's
    report linked to its partner's (double count) is listed but adds no organisation.
    Clusters come sorted by sector, P-code and start.
    """
    prow, pnode = table.placements()
    n_nodes = max(len(table.tree), 1)
    key = table.sector[prow].astype(np.int64) * n_nodes + pnode
    if cells is not None:
        wanted = np.fromiter((s * n_nodes + n for s, n in cells), dtype=np.int64)
        inside = np.flatnonzero(np.isin(key, wanted))
        prow, key = prow[inside], key[inside]
    start, end = table.start[prow], table.end[prow]
    order = np.lexsort((end, start, key))
    prow, key, start, end = prow[order], key[order], start[order], end[order]
    chain = _chains(key, start, end)
    n_chains = int(chain[-1]) + 1 if len(chain) else 0
    counted = np.ones(len(prow), dtype=bool)
    if table.linked:
        counted = ~np.isin(prow, np.fromiter(table.linked, dtype=np.int64))
    peak = _peak_organisations(chain[counted], table.org[prow[counted]], start[counted], end[counted], n_chains)
    hits = np.flatnonzero(peak >= CLUSTER_MIN_ORGANISATIONS)
    bounds = np.searchsorted(chain, np.stack((hits, hits + 1)))
    out = [
        _cluster(table, int(key[lo] % n_nodes), prow[lo:hi], counted[lo:hi])
        for lo, hi in zip(bounds[0].tolist(), bounds[1].tolist())
    ]
    out.sort(key=lambda c: (c.sector.casefold(), c.area.pcode, c.start or date.min))
    return out


def _cluster(table: ActivityTable, node: int, rows: np.ndarray, counted: np.ndarray) -> Cluster:
    labels: dict[int, str] = {}
    ids, linked, sectors = [], [], []
    for row, org, is_counted in zip(rows.tolist(), table.org[rows].tolist(), counted.tolist()):
        activity = table.activities[row]
        sectors.append(activity.sector)
        if not is_counted:
            linked.append(activity.id)
            continue
        ids.append(activity.id)
        label = activity.organisation_label
        labels[org] = min(labels.get(org, label), label)
    return Cluster(
        sector=min(sectors),
        area=table.tree.areas[node],
        activity_ids=tuple(sorted(ids)),
        organisations=tuple(sorted(labels.values(), key=str.casefold)),
        start=_day(int(table.start[rows].min())),
        end=_day(int(table.end[rows].max())),
        linked_activity_ids=tuple(sorted(linked)),
    )
