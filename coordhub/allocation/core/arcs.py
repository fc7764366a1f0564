"""The pairs left to optimise after pins and exclusions, and the plain min-cost-flow solve over them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from . import messages as m
from .compatibility import Compatibility
from .flow import solve_min_cost_flow
from .problem import Problem

Progress = Callable[[float, str], None]


@dataclass
class Arcs:
    """The pairs left to optimise (indices into Compatibility), with the
    remaining (after pins) demand and supply in scaled units."""

    pair: np.ndarray
    demand: np.ndarray
    supply: np.ndarray
    pinned_flow: np.ndarray
    unit_value: np.ndarray | None


def open_arcs(problem: Problem, compat: Compatibility) -> Arcs:
    """Fix the pins, then keep the pairs that can still carry flow: not
    forbidden, not pinned, both ends with units left and, in trade-off mode,
    cheaper per unit than the need's value (others can never pay)."""
    p, c = problem, compat
    pinned_flow = np.zeros(c.size, dtype=np.int64)
    if p.pin_need.size:
        codes = c.need * max(p.cap_count, 1) + c.cap
        where = np.searchsorted(codes, p.pin_need * max(p.cap_count, 1) + p.pin_cap)
        pinned_flow[where] = p.pin_quantity
    demand = p.need_quantity - np.bincount(c.need, weights=pinned_flow, minlength=p.need_count).astype(np.int64)
    supply = p.cap_quantity - np.bincount(c.cap, weights=pinned_flow, minlength=p.cap_count).astype(np.int64)
    keep = ~c.forbidden & ~c.pinned & (demand[c.need] > 0) & (supply[c.cap] > 0)
    if c.blocked is not None:
        keep &= ~c.blocked
    if p.policy.single_provider and p.pin_need.size:
        # A pinned need already has its one provider.
        has_pin = np.zeros(p.need_count, dtype=bool)
        has_pin[p.pin_need] = True
        keep &= ~has_pin[c.need]
    unit_value = None
    if p.policy.value_per_weighted_unit is not None:
        unit_value = np.rint(p.policy.value_per_weighted_unit * p.cost_scale * p.need_weight).astype(np.int64)
        keep &= c.unit_cost < unit_value[c.need]
    return Arcs(pair=np.flatnonzero(keep), demand=demand, supply=supply, pinned_flow=pinned_flow, unit_value=unit_value)


def blocks_by_type(problem: Problem, compat: Compatibility, pair: np.ndarray) -> list[np.ndarray]:
    """The open pairs split by resource type (no pair links two types), each
    block in canonical (need, capacity) order."""
    arc_type = problem.need_type[compat.need[pair]]
    order = np.argsort(arc_type, kind="stable")
    bounds = np.flatnonzero(np.diff(arc_type[order])) + 1
    return [pair[chunk] for chunk in np.split(order, bounds) if chunk.size]


def plain_flow(
    problem: Problem, compat: Compatibility, arcs: Arcs, tell: Progress
) -> tuple[np.ndarray, str, dict[str, float]]:
    """Min-cost flow on the open arcs, one network per resource type (smaller
    networks solve much faster than one big one); returns flow per
    compatible pair, the method used and build/solve seconds."""
    c = compat
    rank = problem.need_priority if problem.policy.lexicographic else problem.need_weight
    flow = arcs.pinned_flow.copy()
    timings = {"build": 0.0, "solve": 0.0}
    methods = set()
    blocks = blocks_by_type(problem, compat, arcs.pair)
    for number, pair in enumerate(blocks):
        tell(0.2 + 0.7 * number / len(blocks), m.PROGRESS_SOLVING)
        needs, need_local = np.unique(c.need[pair], return_inverse=True)
        caps, cap_local = np.unique(c.cap[pair], return_inverse=True)
        outcome = solve_min_cost_flow(
            supply=arcs.supply[caps],
            demand=arcs.demand[needs],
            arc_cap=cap_local,
            arc_need=need_local,
            arc_cost=c.unit_cost[pair],
            need_rank=rank[needs],
            unit_value=None if arcs.unit_value is None else arcs.unit_value[needs],
        )
        flow[pair] += outcome.flow
        methods.add(outcome.method)
        for key in timings:
            timings[key] += outcome.timings[key]
    return flow, "+".join(sorted(methods)) or "none", timings
