"""The plain allocation as a min-cost flow (OR-Tools SimpleMinCostFlow, arcs in bulk).

Network: capacity node j (supply s_j) -> need node i (demand d_i) per open
pair, cost c_ij; a slack source S -> need i prices each unmet unit at P_i; an
unused unit of capacity drains from j to a free sink T; S -> T carries the
slack that is not needed.  Supplies: S = sum d, T = -sum s.

Hierarchical objective in one integer cost (exact): with weights w_i
(integers) and K = min(#needs, #capacities) * max c + 1, P_i = w_i * K.
Every simple cycle of the residual network passes S at most once, so it
changes the unmet units of at most two needs by one unit each (+P_a - P_b);
its cost part is at most (#needs or #capacities on it) * max c < K.  Hence a
cycle that improves weighted units always has negative total cost, and the
min-cost flow maximises weighted units first and minimises cost second.
Because feasible delivery vectors form a polymatroid, any weights increasing
with priority give the same delivered units per priority level; so
``lexicographic`` gives the same plain optimum (P_i = priority * K is used).

In practice a much smaller K (max c + 1) already gives the same flow: it is
tried first and kept when a search of the residual network finds no path
that would deliver more weighted units (then its flow is optimal for the
weighted units and, being optimal for the combined cost, cheapest among
those).  Otherwise the safe K above is used.

When P_i * (nodes + 1) would come close to int64 (OR-Tools scales costs by
the node count), the two goals are solved in two phases instead: phase 1
maximises weighted units alone; phase 2 routes the slack of each weight
class through a node that lets no more than phase 1's unmet units of that
class through, and minimises cost.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
from ortools.graph.python import min_cost_flow

INT64_MAX = 2**63 - 1
SAFETY = 2**12


@dataclass
class FlowOutcome:
    """flow: units per arc (same order as the input arcs); method: "combined"
    or "two_phase"; seconds spent adding arcs ("build") and solving ("solve")."""

    flow: np.ndarray
    method: str
    timings: dict[str, float] = field(default_factory=lambda: {"build": 0.0, "solve": 0.0})


def cycle_bound(arc_need: np.ndarray, arc_cap: np.ndarray, arc_cost: np.ndarray) -> int:
    """K: one more than the largest cost a simple residual cycle can collect."""
    if arc_cost.size == 0:
        return 1
    needs = np.unique(arc_need).size
    caps = np.unique(arc_cap).size
    return int(min(needs, caps)) * int(arc_cost.max()) + 1


def _solve_network(
    n_caps: int,
    n_needs: int,
    supply: np.ndarray,
    demand: np.ndarray,
    arc_cap: np.ndarray,
    arc_need: np.ndarray,
    arc_capacity: np.ndarray,
    arc_cost: np.ndarray,
    penalty: np.ndarray | None,
    slack_limit: tuple[np.ndarray, np.ndarray] | None = None,
    timings: dict[str, float] | None = None,
) -> tuple[int, np.ndarray]:
    """Build and solve once; returns (OR-Tools status, flow per pair arc).

    slack_limit: (class of each need, allowed unmet units per class) for
    phase 2: the slack of need i then goes S -> class node -> i.
    """
    started = time.perf_counter()
    source = n_caps + n_needs
    sink = source + 1
    mcf = min_cost_flow.SimpleMinCostFlow()
    need_nodes = n_caps + np.arange(n_needs, dtype=np.int32)
    cap_nodes = np.arange(n_caps, dtype=np.int32)
    total_demand = int(demand.sum())
    tails = [arc_cap.astype(np.int32)]
    heads = [(n_caps + arc_need).astype(np.int32)]
    capacities = [arc_capacity.astype(np.int64)]
    costs = [arc_cost.astype(np.int64)]
    if slack_limit is None:
        tails.append(np.full(n_needs, source, dtype=np.int32))
        heads.append(need_nodes)
        capacities.append(demand.astype(np.int64))
        costs.append(penalty.astype(np.int64))
        extra_nodes = 0
    else:
        need_class, class_limit = slack_limit
        class_nodes = sink + 1 + np.arange(class_limit.size, dtype=np.int32)
        tails += [np.full(class_limit.size, source, dtype=np.int32), class_nodes[need_class]]
        heads += [class_nodes, need_nodes]
        capacities += [class_limit.astype(np.int64), demand.astype(np.int64)]
        costs += [np.zeros(class_limit.size, dtype=np.int64), np.zeros(n_needs, dtype=np.int64)]
        extra_nodes = class_limit.size
    tails += [cap_nodes, np.array([source], dtype=np.int32)]
    heads += [np.full(n_caps, sink, dtype=np.int32), np.array([sink], dtype=np.int32)]
    capacities += [supply.astype(np.int64), np.array([total_demand], dtype=np.int64)]
    costs += [np.zeros(n_caps, dtype=np.int64), np.zeros(1, dtype=np.int64)]
    mcf.add_arcs_with_capacity_and_unit_cost(
        np.concatenate(tails), np.concatenate(heads), np.concatenate(capacities), np.concatenate(costs)
    )
    nodes = np.arange(n_caps + n_needs + 2 + extra_nodes, dtype=np.int32)
    supplies = np.concatenate(
        [supply, -demand, [total_demand, -int(supply.sum())], np.zeros(extra_nodes, dtype=np.int64)]
    ).astype(np.int64)
    mcf.set_nodes_supplies(nodes, supplies)
    built = time.perf_counter()
    status = mcf.solve()
    if status == mcf.OPTIMAL:
        flow = mcf.flows(np.arange(arc_cap.size, dtype=np.int32)).astype(np.int64)
    else:
        flow = np.zeros(arc_cap.size, dtype=np.int64)
    if timings is not None:
        timings["build"] += built - started
        timings["solve"] += time.perf_counter() - built
    return status, flow


def _neighbours(pointer: np.ndarray, target: np.ndarray, nodes: np.ndarray) -> np.ndarray:
    """Targets of all CSR rows ``nodes`` (pointer: row starts, len rows + 1)."""
    lo = pointer[nodes]
    counts = pointer[nodes + 1] - lo
    total = int(counts.sum())
    if total == 0:
        return np.zeros(0, dtype=target.dtype)
    starts = np.cumsum(counts) - counts
    return target[np.arange(total) - np.repeat(starts - lo, counts)]


def weighted_units_are_optimal(
    supply: np.ndarray,
    demand: np.ndarray,
    arc_cap: np.ndarray,
    arc_need: np.ndarray,
    arc_capacity: np.ndarray,
    flow: np.ndarray,
    need_rank: np.ndarray,
) -> bool:
    """True when no flow delivers more weighted units (for every weighting
    increasing with need_rank).

    For each rank r, search the residual network from the needs of rank >= r
    that are short: a need may take more from a capacity through a pair with
    room left; a capacity may take back units it gave to a need.  Reaching a
    capacity with spare units, or a need of rank < r that holds units, is an
    augmenting path that gains weighted units; when no search finds one, the
    delivered units per rank class are the greedy (polymatroid) optimum.
    """
    n_caps, n_needs = supply.size, demand.size
    short = np.bincount(arc_need, weights=flow, minlength=n_needs) < demand
    spare = np.bincount(arc_cap, weights=flow, minlength=n_caps) < supply
    room = np.flatnonzero(flow < arc_capacity)
    room = room[np.argsort(arc_need[room], kind="stable")]
    room_pointer = np.searchsorted(arc_need[room], np.arange(n_needs + 1))
    room_cap = arc_cap[room]
    given = np.flatnonzero(flow > 0)
    given = given[np.argsort(arc_cap[given], kind="stable")]
    given_pointer = np.searchsorted(arc_cap[given], np.arange(n_caps + 1))
    given_need = arc_need[given]
    for rank in np.unique(need_rank)[::-1].tolist():
        seen_need = short & (need_rank >= rank)
        if not seen_need.any():
            continue
        seen_cap = np.zeros(n_caps, dtype=bool)
        frontier = np.flatnonzero(seen_need)
        while frontier.size:
            caps = _neighbours(room_pointer, room_cap, frontier)
            caps = np.unique(caps[~seen_cap[caps]])
            if spare[caps].any():
                return False
            seen_cap[caps] = True
            needs = _neighbours(given_pointer, given_need, caps)
            needs = np.unique(needs[~seen_need[needs]])
            if (need_rank[needs] < rank).any():
                return False
            seen_need[needs] = True
            frontier = needs
    return True


def solve_min_cost_flow(
    supply: np.ndarray,
    demand: np.ndarray,
    arc_cap: np.ndarray,
    arc_need: np.ndarray,
    arc_cost: np.ndarray,
    need_rank: np.ndarray,
    unit_value: np.ndarray | None = None,
) -> FlowOutcome:
    """Optimal integer flow for the plain allocation.

    supply[j], demand[i]: int64 >= 0 (scaled units).  Arcs (arc_cap[k] ->
    arc_need[k]) with arc_cost[k] >= 0 (int64, scaled currency per scaled
    unit), in canonical order.  need_rank[i]: positive integer weight (or
    priority level) of need i: weighted units are maximised first, cost
    second.  unit_value[i] (optional): trade-off mode, the value of one unit of
    need i in the same currency scale; then cost - value is minimised and
    arcs costing at least the value must already be removed.

    Returns flows per arc (int64).  Raises RuntimeError if OR-Tools fails
    (which valid input cannot cause).
    """
    n_caps, n_needs = supply.size, demand.size
    timings = {"build": 0.0, "solve": 0.0}
    arc_capacity = np.minimum(supply[arc_cap], demand[arc_need])
    nodes = n_caps + n_needs + 2
    if unit_value is not None:
        status, flow = _solve_network(
            n_caps, n_needs, supply, demand, arc_cap, arc_need, arc_capacity, arc_cost, unit_value, timings=timings
        )
        if status != min_cost_flow.SimpleMinCostFlow.OPTIMAL:
            raise RuntimeError(f"min-cost flow failed with status {status}")
        return FlowOutcome(flow=flow, method="combined", timings=timings)

    # Quick try: a small K is usually enough; a residual search proves it.
    quick = int(arc_cost.max(initial=0)) + 1
    max_rank = int(need_rank.max()) if need_rank.size else 1
    if max_rank * quick <= INT64_MAX // (2 * (nodes + 1) * SAFETY):
        status, flow = _solve_network(
            n_caps,
            n_needs,
            supply,
            demand,
            arc_cap,
            arc_need,
            arc_capacity,
            arc_cost,
            need_rank * quick,
            timings=timings,
        )
        checked = time.perf_counter()
        proven = status == min_cost_flow.SimpleMinCostFlow.OPTIMAL and weighted_units_are_optimal(
            supply, demand, arc_cap, arc_need, arc_capacity, flow, need_rank
        )
        timings["solve"] += time.perf_counter() - checked
        if proven:
            return FlowOutcome(flow=flow, method="combined", timings=timings)

    big = cycle_bound(arc_need, arc_cap, arc_cost)
    if max_rank * big <= INT64_MAX // (2 * (nodes + 1) * SAFETY):
        status, flow = _solve_network(
            n_caps, n_needs, supply, demand, arc_cap, arc_need, arc_capacity, arc_cost, need_rank * big, timings=timings
        )
        if status == min_cost_flow.SimpleMinCostFlow.OPTIMAL:
            return FlowOutcome(flow=flow, method="combined", timings=timings)
        if status != min_cost_flow.SimpleMinCostFlow.BAD_COST_RANGE:
            raise RuntimeError(f"min-cost flow failed with status {status}")

    # Phase 1: weighted units only.
    zero = np.zeros(arc_cost.size, dtype=np.int64)
    status, flow = _solve_network(
        n_caps, n_needs, supply, demand, arc_cap, arc_need, arc_capacity, zero, need_rank, timings=timings
    )
    if status != min_cost_flow.SimpleMinCostFlow.OPTIMAL:
        raise RuntimeError(f"min-cost flow (phase 1) failed with status {status}")
    met = np.bincount(arc_need, weights=flow, minlength=n_needs).astype(np.int64)
    classes, need_class = np.unique(need_rank, return_inverse=True)
    class_limit = np.bincount(need_class, weights=demand - met, minlength=classes.size).astype(np.int64)
    # Phase 2: the same unmet units per weight class, cheapest.
    status, flow = _solve_network(
        n_caps,
        n_needs,
        supply,
        demand,
        arc_cap,
        arc_need,
        arc_capacity,
        arc_cost,
        None,
        (need_class, class_limit),
        timings,
    )
    if status != min_cost_flow.SimpleMinCostFlow.OPTIMAL:
        raise RuntimeError(f"min-cost flow (phase 2) failed with status {status}")
    return FlowOutcome(flow=flow, method="two_phase", timings=timings)
