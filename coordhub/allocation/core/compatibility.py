"""Which capacity can serve which need: vectorised join on resource type, area and time.

A capacity can serve a need when the resource types are equal, one of its
service areas is the need's area or an ancestor of it, and the inclusive date
windows overlap (an open end is ongoing).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .areas import haversine_km
from .model import InvalidInput
from .problem import Problem

TABLE_LIMIT = 5_000_000  # area pairs in the distance table (40 MB at most)


@dataclass
class Compatibility:
    """All compatible (need, capacity) pairs, sorted by need then capacity,
    without repeats.  unit_cost is per unit in 1/cost_scale currency,
    including the distance cost.  ``forbidden`` and ``pinned`` mark pairs.

    The per-need and per-capacity counts say how far a need (capacity) got:
    same resource type, then also serving the area (any time), then also
    overlapping in time (= compatible), then also not forbidden.
    """

    need: np.ndarray
    cap: np.ndarray
    unit_cost: np.ndarray
    forbidden: np.ndarray
    pinned: np.ndarray
    need_type_caps: np.ndarray
    need_area_caps: np.ndarray
    need_time_caps: np.ndarray
    need_open_caps: np.ndarray
    cap_type_needs: np.ndarray
    cap_area_needs: np.ndarray
    cap_time_needs: np.ndarray
    cap_open_needs: np.ndarray
    blocked: np.ndarray | None = None  # kept out by access (in every period of the pair's window)

    @property
    def size(self) -> int:
        return int(self.need.size)

    def block(self, blocked: np.ndarray, n_needs: int, n_caps: int) -> None:
        """Mark pairs that access keeps out; they no longer count as open."""
        self.blocked = blocked
        open_pair = ~self.forbidden & ~blocked
        self.need_open_caps = np.bincount(self.need[open_pair], minlength=n_needs)
        self.cap_open_needs = np.bincount(self.cap[open_pair], minlength=n_caps)


def _expand_ranges(lo: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Concatenate ``arange(lo[k], lo[k] + counts[k])`` for all k, vectorised."""
    total = int(counts.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    starts = np.cumsum(counts) - counts
    return np.arange(total, dtype=np.int64) - np.repeat(starts - lo, counts)


def _member(codes: np.ndarray, sorted_set: np.ndarray) -> np.ndarray:
    """Vectorised ``code in sorted_set`` for each code."""
    if sorted_set.size == 0:
        return np.zeros(codes.size, dtype=bool)
    pos = np.searchsorted(sorted_set, codes)
    pos = np.minimum(pos, sorted_set.size - 1)
    return sorted_set[pos] == codes


def _distances(p: Problem, target: np.ndarray, source: np.ndarray) -> np.ndarray:
    """Centroid distance (km) per pair; 0 where a centroid is missing.  Few
    distinct areas meet, so a small table of them is computed and looked up."""
    lat, lon = p.areas.lat, p.areas.lon
    targets, sources = np.unique(target), np.unique(source)
    if targets.size * sources.size > TABLE_LIMIT:
        distance = haversine_km(lat[target], lon[target], lat[source], lon[source])
    else:
        table = haversine_km(lat[targets][:, None], lon[targets][:, None], lat[sources][None, :], lon[sources][None, :])
        row = np.zeros(len(p.areas.codes), dtype=np.int64)
        col = np.zeros(len(p.areas.codes), dtype=np.int64)
        row[targets] = np.arange(targets.size)
        col[sources] = np.arange(sources.size)
        distance = table[row[target], col[source]]
    return np.where(np.isfinite(distance), distance, 0.0)


def find_compatible_pairs(problem: Problem) -> Compatibility:
    """Join needs and capacities; raises InvalidInput when a pin names a pair
    that is not compatible.  Cost: O(P log P) for P candidate pairs."""
    p = problem
    n_needs, n_caps = p.need_count, p.cap_count
    n_areas = len(p.areas.codes)
    n_types = len(p.type_names)

    caps_by_type = np.bincount(p.cap_type, minlength=n_types)
    needs_by_type = np.bincount(p.need_type, minlength=n_types)

    # Service entries keyed by (type, served area), sorted.
    service_key = p.cap_type[p.service_cap] * n_areas + p.service_area
    order = np.argsort(service_key, kind="stable")
    service_key = service_key[order]
    service_cap = p.service_cap[order]
    service_area = p.service_area[order]

    # Each need looks for its own area and every ancestor of it.
    ancestors = p.areas.ancestors[p.need_area]
    valid = ancestors >= 0
    need_rows = np.nonzero(valid)[0]
    keys = p.need_type[need_rows] * n_areas + ancestors[valid]
    lo = np.searchsorted(service_key, keys, side="left")
    hi = np.searchsorted(service_key, keys, side="right")
    counts = hi - lo
    positions = _expand_ranges(lo, counts)
    e_need = np.repeat(need_rows, counts)
    e_cap = service_cap[positions]
    e_area = service_area[positions]
    need_area_caps = np.bincount(e_need, minlength=n_needs)
    cap_area_needs = np.bincount(e_cap, minlength=n_caps)

    overlap = (p.need_start[e_need] <= p.cap_end[e_cap]) & (p.cap_start[e_cap] <= p.need_end[e_need])
    e_need, e_cap, e_area = e_need[overlap], e_cap[overlap], e_area[overlap]
    code = e_need * n_caps + e_cap

    per_km = p.policy.distance_cost_per_km
    if per_km > 0:
        origin = p.cap_origin[e_cap]
        source = np.where(origin >= 0, origin, e_area)
        target = p.need_area[e_need]
        distance = _distances(p, target, source)
        # The nearest matching service area wins when several match.
        order = np.lexsort((distance, code))
        code, distance = code[order], distance[order]
        first = np.ones(code.size, dtype=bool)
        first[1:] = code[1:] != code[:-1]
        code, distance = code[first], distance[first]
        distance_cost = np.rint(distance * per_km * p.cost_scale).astype(np.int64)
    else:
        code = np.unique(code)
        distance_cost = 0
    need = code // n_caps if n_caps else code
    cap = code % n_caps if n_caps else code
    unit_cost = p.cap_unit_cost[cap] + distance_cost

    forbidden = _member(code, np.sort(p.forbidden_need * n_caps + p.forbidden_cap))
    pin_code = p.pin_need * n_caps + p.pin_cap
    pinned = _member(code, np.sort(pin_code))
    if int(pinned.sum()) != pin_code.size:
        bad = ~_member(pin_code, code)
        listed = [f"{p.needs[i].id} / {p.capacities[j].id}" for i, j in zip(p.pin_need[bad], p.pin_cap[bad])]
        raise InvalidInput(f"pinned pairs must be compatible (type, area and dates): {', '.join(listed[:20])}")
    open_pair = ~forbidden
    return Compatibility(
        need=need,
        cap=cap,
        unit_cost=np.asarray(unit_cost, dtype=np.int64),
        forbidden=forbidden,
        pinned=pinned,
        need_type_caps=caps_by_type[p.need_type] if n_needs else np.zeros(0, dtype=np.int64),
        need_area_caps=need_area_caps,
        need_time_caps=np.bincount(need, minlength=n_needs),
        need_open_caps=np.bincount(need[open_pair], minlength=n_needs),
        cap_type_needs=needs_by_type[p.cap_type] if n_caps else np.zeros(0, dtype=np.int64),
        cap_area_needs=cap_area_needs,
        cap_time_needs=np.bincount(cap, minlength=n_caps),
        cap_open_needs=np.bincount(cap[open_pair], minlength=n_caps),
    )
