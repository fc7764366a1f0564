"""A plan over time: the allocation as a min-cost flow over a time-expanded network (OR-Tools SimpleMinCostFlow).

Periods (weeks or months) cut the time from the plan's start to its
horizon.  Variables x[k, p]: units of open pair k delivered in period p,
for every period that overlaps both the need's window (start/earliest start
to end/deadline) and the capacity's, and in which access lets the capacity
into the need's area.  Per resource type, one network:

    S -> need i          capacity d_i (unmet units), cost: see phases
    cap j -> (j, p)      capacity throughput_j (remaining after pins) or s_j
    (j, p) -> need i     capacity min(d_i, cap of (j, p)), cost c_k + lateness
    cap j -> T           unused units;  S -> T the slack not needed

with supplies s_j at capacity nodes, demands d_i at needs.  Throughput is a
capacity of the (j, p) node's single entry arc, so it is never exceeded.

Objective, in this order (exact, in integers): (1) weighted units
delivered, (2) lateness: each unit delivered to need i in period p costs
L * w_i * (p - first_i), first_i being the first period of its window, so
higher priorities go first; (3) cost.  One solve prices an unmet unit at
w_i * (largest per-unit lateness + cost + 1); a search of the residual
network then proves that no flow delivers more weighted units (usual), or
two phases follow.  Phase 1 maximises (1) alone; phase 2
keeps phase 1's unmet units per weight class (the slack of a class goes
through a node with that limit; delivered units per class are the same for
every optimum, the network being a gammoid) and minimises (2) and (3)
together.  With ``Policy.lateness_weight`` None, L = min(#needs, #(j, p)
nodes) * max c + 1 in the block: larger than any cost a residual cycle can
save, so lateness ranks strictly before cost.  If that would overflow
OR-Tools' int64 costs, L = max c + 1 (one period of delay of one unit
outweighs any unit cost) and a note says so.

Pins are kept exactly: their units are scheduled in the pair's earliest
open periods within the capacity's throughput, before the flow.

A need's lead time shifts the first day a capacity not present in its area
can deliver there (``mobilisation_days``); a partner's decline of one period
(``ForbiddenPair.period``) removes that pair's arc in that period only.  With
side constraints the same arcs become an LP / MIP (``plan_linear.py``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
from ortools.graph.python import min_cost_flow

from . import messages as m
from .access import AccessIndex, allowed, window_access
from .arcs import Arcs
from .compatibility import Compatibility, _expand_ranges
from .model import InvalidInput, PeriodKind, PlanSpec
from .problem import OPEN_END, Problem

INT64_MAX = 2**63 - 1
SAFETY = 2**12
DEFAULT_YEAR = 365
MAX_PERIODS = 520


@dataclass
class Periods:
    """Period p covers the ordinal days start[p]..end[p] (inclusive)."""

    kind: PeriodKind
    start: np.ndarray
    end: np.ndarray

    @property
    def count(self) -> int:
        return int(self.start.size)

    @property
    def dates(self) -> tuple[date, ...]:
        return tuple(date.fromordinal(int(d)) for d in self.start)

    def index_of(self, day: np.ndarray) -> np.ndarray:
        """Index of the period holding each ordinal day (-1 before the first,
        count after the last)."""
        index = np.searchsorted(self.start, day, side="right") - 1
        return np.where(day > self.end[-1], self.count, index)


def _period_start(day: date, kind: PeriodKind) -> date:
    if kind is PeriodKind.WEEK:
        return day - timedelta(days=day.weekday())
    return day.replace(day=1)


def _next(day: date, kind: PeriodKind) -> date:
    if kind is PeriodKind.WEEK:
        return day + timedelta(days=7)
    return date(day.year + (day.month == 12), day.month % 12 + 1, 1)


def make_periods(problem: Problem, spec: PlanSpec) -> Periods:
    """The periods of a plan; raises InvalidInput when the horizon is before
    the start or there would be more than 520 periods."""
    kind = PeriodKind(spec.kind)
    start = spec.start
    if start is None:
        start = date.fromordinal(int(problem.need_start.min())) if problem.need_count else date.today()
    horizon = spec.horizon
    if horizon is None:
        ends = problem.need_end[problem.need_end < OPEN_END]
        horizon = date.fromordinal(int(ends.max())) if ends.size else start + timedelta(days=DEFAULT_YEAR - 1)
    if horizon < start:
        raise InvalidInput(f"the plan's horizon {horizon} is before its start {start}")
    starts = [_period_start(start, kind)]
    while _next(starts[-1], kind) <= horizon:
        starts.append(_next(starts[-1], kind))
        if len(starts) > MAX_PERIODS:
            raise InvalidInput(f"a plan has at most {MAX_PERIODS} periods; choose longer periods or a nearer horizon")
    first = np.array([d.toordinal() for d in starts], dtype=np.int64)
    last = np.append(first[1:] - 1, _next(starts[-1], kind).toordinal() - 1)
    return Periods(kind=kind, start=first, end=last)


@dataclass
class PlanOutcome:
    """Deliveries: compat pair, period index, scaled units (pins included);
    flow: per compatible pair, summed over periods; blocked: compatible pairs
    that access keeps out of every period of their window."""

    pair: np.ndarray
    period: np.ndarray
    quantity: np.ndarray
    pinned: np.ndarray
    flow: np.ndarray
    blocked: np.ndarray
    access_rows: object = None  # WindowAccess per (need * periods + period), or None without rules
    notes: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=lambda: {"build": 0.0, "solve": 0.0})


def mobilisation_days(p: Problem, c: Compatibility, plan_start: int) -> np.ndarray:
    """Per compatible pair, the first ordinal day its capacity can deliver to
    its need: 0 when the need has no lead time or the capacity is present in
    the need's area (one of its presence areas is the area or above it);
    else the later of the plan's start and the capacity's start, plus the
    need's lead time in days."""
    ready = np.zeros(c.size, dtype=np.int64)
    late = np.flatnonzero(p.need_lead[c.need] > 0)
    if late.size == 0:
        return ready
    n_areas = p.areas.ancestors.shape[0]
    present = np.unique(p.present_cap * n_areas + p.present_area)
    above = p.areas.ancestors[p.need_area[c.need[late]]]  # the need's area and its ancestors (-1 past the root)
    keys = c.cap[late][:, None] * n_areas + above
    here = (np.isin(keys, present) & (above >= 0)).any(axis=1)
    late = late[~here]
    ready[late] = np.maximum(p.cap_start[c.cap[late]], plan_start) + p.need_lead[c.need[late]]
    return ready


def _pair_periods(
    p: Problem, c: Compatibility, pair: np.ndarray, periods: Periods, ready: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """(pair, period) for every period overlapping both windows of each pair
    (a pair's window begins on its ``ready`` day at the earliest)."""
    begin = np.maximum(p.need_start[c.need[pair]], p.cap_start[c.cap[pair]])
    if ready is not None:
        begin = np.maximum(begin, ready[pair])
    finish = np.minimum(p.need_end[c.need[pair]], p.cap_end[c.cap[pair]])
    lo = np.searchsorted(periods.end, begin, side="left")
    hi = np.searchsorted(periods.start, finish, side="right")
    counts = np.maximum(hi - lo, 0)
    return np.repeat(pair, counts), _expand_ranges(lo, counts)


def _solve(n_nodes: int, tails, heads, capacities, costs, supplies) -> tuple[int, np.ndarray]:
    mcf = min_cost_flow.SimpleMinCostFlow()
    mcf.add_arcs_with_capacity_and_unit_cost(
        np.concatenate(tails).astype(np.int32),
        np.concatenate(heads).astype(np.int32),
        np.concatenate(capacities).astype(np.int64),
        np.concatenate(costs).astype(np.int64),
    )
    mcf.set_nodes_supplies(np.arange(n_nodes, dtype=np.int32), supplies.astype(np.int64))
    status = mcf.solve()
    if status != mcf.OPTIMAL:
        raise RuntimeError(f"min-cost flow (plan) failed with status {status}")
    return status, mcf.flows(np.arange(sum(t.size for t in tails), dtype=np.int32)).astype(np.int64)


def _weighted_units_optimal(
    supply, demand, arc_cp, arc_need, arc_capacity, flow, cp_cap, cp_limit, entry_flow, rank
) -> bool:
    """True when no augmenting path raises weighted units (for every weighting increasing with rank).

    Search backwards from the needs of rank >= r that are short, through the residual network: a need takes
    more through a (j, p) arc with room; a (j, p) node takes more from its capacity when its entry has room,
    or takes back units it gave to another need; a capacity takes back units from another of its periods.
    Reaching a capacity with spare units, or a need of rank < r holding units, is a path that gains."""
    n_caps, n_cp, n_needs = supply.size, cp_cap.size, demand.size
    cp0, need0 = n_caps, n_caps + n_cp
    nodes = need0 + n_needs
    room = flow < arc_capacity
    given = flow > 0
    entry_room = entry_flow < cp_limit
    tails = np.concatenate(
        [need0 + arc_need[room], cp0 + np.flatnonzero(entry_room), cp0 + arc_cp[given], cp_cap[entry_flow > 0]]
    )
    heads = np.concatenate(
        [cp0 + arc_cp[room], cp_cap[entry_room], need0 + arc_need[given], cp0 + np.flatnonzero(entry_flow > 0)]
    )
    order = np.argsort(tails, kind="stable")
    tails, heads = tails[order], heads[order]
    pointer = np.searchsorted(tails, np.arange(nodes + 1))
    spare = np.zeros(nodes, dtype=bool)
    spare[:n_caps] = np.bincount(cp_cap, weights=entry_flow, minlength=n_caps) < supply
    delivered = np.bincount(arc_need, weights=flow, minlength=n_needs)
    short = delivered < demand
    node_rank = np.full(nodes, np.iinfo(np.int64).max)
    node_rank[need0:] = rank
    for r in np.unique(rank)[::-1].tolist():
        seen = np.zeros(nodes, dtype=bool)
        frontier = need0 + np.flatnonzero(short & (rank >= r))
        seen[frontier] = True
        while frontier.size:
            lo = pointer[frontier]
            counts = pointer[frontier + 1] - lo
            nxt = heads[_expand_ranges(lo, counts)]
            nxt = np.unique(nxt[~seen[nxt]])
            if spare[nxt].any() or (node_rank[nxt] < r).any():
                return False
            seen[nxt] = True
            frontier = nxt
    return True


def _solve_block(supply, demand, arc_cp, arc_need, arc_cost, cp_cap, cp_limit, rank, lateness, timings) -> np.ndarray:
    """The flow per (pair, period) arc of one resource type's time-expanded network.

    First one solve with the unmet-unit penalty w_i * (largest per-unit cost + 1), kept when a residual
    search proves that no flow delivers more weighted units (then it is also the least lateness and cost
    among those that deliver as much); otherwise two phases."""
    n_caps, n_cp, n_needs = supply.size, cp_cap.size, demand.size
    cap0, cp0, need0 = 0, n_caps, n_caps + n_cp
    source, sink = need0 + n_needs, need0 + n_needs + 1
    arc_capacity = np.minimum(cp_limit[arc_cp], demand[arc_need])
    total = int(demand.sum())
    base_tails = [cp0 + arc_cp, cap0 + cp_cap, cap0 + np.arange(n_caps), np.array([source])]
    base_heads = [need0 + arc_need, cp0 + np.arange(n_cp), np.full(n_caps, sink), np.array([sink])]
    base_caps = [arc_capacity, cp_limit, supply, np.array([total])]
    zeros = [np.zeros(n_cp), np.zeros(n_caps), np.zeros(1)]
    supplies = np.concatenate([supply, np.zeros(n_cp), -demand, [total, -int(supply.sum())]])
    slack_tails, slack_heads = base_tails + [np.full(n_needs, source)], base_heads + [need0 + np.arange(n_needs)]
    cost = arc_cost + lateness
    started = time.perf_counter()
    quick = int(cost.max(initial=0)) + 1
    if int(rank.max(initial=1)) * quick <= INT64_MAX // (2 * (sink + 2) * SAFETY):
        _, flow = _solve(
            sink + 1, slack_tails, slack_heads, base_caps + [demand], [cost] + zeros + [rank * quick], supplies
        )
        entry = flow[arc_cp.size : arc_cp.size + n_cp]
        if _weighted_units_optimal(
            supply, demand, arc_cp, arc_need, arc_capacity, flow[: arc_cp.size], cp_cap, cp_limit, entry, rank
        ):
            timings["solve"] += time.perf_counter() - started
            return flow[: arc_cp.size]
    # Phase 1: weighted units.
    _, flow = _solve(
        sink + 1, slack_tails, slack_heads, base_caps + [demand], [np.zeros(arc_cp.size)] + zeros + [rank], supplies
    )
    met = np.bincount(arc_need, weights=flow[: arc_cp.size], minlength=n_needs).astype(np.int64)
    classes, need_class = np.unique(rank, return_inverse=True)
    limit = np.bincount(need_class, weights=demand - met, minlength=classes.size).astype(np.int64)
    # Phase 2: the same unmet units per class, least lateness then cost.
    nodes = sink + 1 + classes.size
    if cost.size and int(cost.max()) > INT64_MAX // (2 * (nodes + 1) * SAFETY):
        raise OverflowError
    class_nodes = sink + 1 + np.arange(classes.size)
    _, flow = _solve(
        nodes,
        base_tails + [np.full(classes.size, source), class_nodes[need_class]],
        base_heads + [class_nodes, need0 + np.arange(n_needs)],
        base_caps + [limit, demand],
        [cost] + zeros + [np.zeros(classes.size), np.zeros(n_needs)],
        np.concatenate([supplies, np.zeros(classes.size)]),
    )
    timings["solve"] += time.perf_counter() - started
    return flow[: arc_cp.size]


def _schedule_pins(
    p: Problem,
    c: Compatibility,
    arcs: Arcs,
    periods: Periods,
    room: np.ndarray,
    open_in: Callable[[np.ndarray, np.ndarray], np.ndarray],
    ready: np.ndarray | None = None,
) -> tuple[list[int], list[int], list[int]]:
    """Place each pin's units in its pair's earliest open periods, within the
    capacity's throughput room (room[j, p] is reduced).  Raises InvalidInput
    when a pin does not fit."""
    rows: tuple[list[int], list[int], list[int]] = ([], [], [])
    pinned = np.flatnonzero(arcs.pinned_flow > 0)
    pair, period = _pair_periods(p, c, pinned, periods, ready)
    ok = open_in(pair, period)
    for k in pinned.tolist():
        left = int(arcs.pinned_flow[k])
        j = int(c.cap[k])
        for q in period[(pair == k) & ok].tolist():
            take = min(left, int(room[j, q]))
            if take > 0:
                room[j, q] -= take
                left -= take
                rows[0].append(k)
                rows[1].append(q)
                rows[2].append(take)
            if left == 0:
                break
        if left:
            raise InvalidInput(
                f"pin {p.needs[int(c.need[k])].id} / {p.capacities[j].id} does not fit in the "
                "periods, throughput, lead time and access of the plan"
            )
    return rows


@dataclass
class TimeArcs:
    """The open (pair, period) arcs of a plan: compat pair, period index,
    periods of delay after the need's first period; room[j, p]: throughput
    left per capacity and period after the pins; pins: (pair, period,
    scaled units) rows; blocked: pairs access keeps out of every period;
    access_rows: WindowAccess per (need * periods + period) or None."""

    pair: np.ndarray
    period: np.ndarray
    delay: np.ndarray
    room: np.ndarray
    pins: tuple[list[int], list[int], list[int]]
    blocked: np.ndarray
    access_rows: object


def expand_in_time(
    problem: Problem, compat: Compatibility, arcs: Arcs, access: AccessIndex | None, periods: Periods
) -> TimeArcs:
    """Every open pair in every period it may deliver in (windows, horizon, access); pins placed first."""
    p, c = problem, compat
    n_periods = periods.count
    rule_rows = None
    if access is not None and not access.empty:
        need_rows = np.repeat(np.arange(p.need_count), n_periods)
        period_rows = np.tile(np.arange(n_periods), p.need_count)
        rule_rows = window_access(
            p,
            access,
            need_rows,
            np.maximum(periods.start[period_rows], p.need_start[need_rows]),
            np.minimum(periods.end[period_rows], p.need_end[need_rows]),
        )

    def open_in(pair: np.ndarray, period: np.ndarray) -> np.ndarray:
        if rule_rows is None:
            return np.ones(pair.size, dtype=bool)
        return allowed(access, rule_rows, c.need[pair] * n_periods + period, c.cap[pair])

    # Partners' declines of one period: the pair stays out of that period only.
    declined_period = periods.index_of(p.declined_day)
    inside = (declined_period >= 0) & (declined_period < n_periods)  # a decline outside the plan holds nothing
    declined_codes = np.unique(
        (p.declined_need[inside] * max(p.cap_count, 1) + p.declined_cap[inside]) * n_periods + declined_period[inside]
    )

    def not_declined(pair: np.ndarray, period: np.ndarray) -> np.ndarray:
        if declined_codes.size == 0:
            return np.ones(pair.size, dtype=bool)
        return ~np.isin((c.need[pair] * max(p.cap_count, 1) + c.cap[pair]) * n_periods + period, declined_codes)

    def may_deliver(pair: np.ndarray, period: np.ndarray) -> np.ndarray:
        return open_in(pair, period) & not_declined(pair, period)

    # Which compatible pairs can never be used because of access.
    ready = mobilisation_days(p, c, int(periods.start[0]))
    all_pair, all_period = _pair_periods(p, c, np.arange(c.size), periods, ready)
    usable = np.bincount(all_pair[open_in(all_pair, all_period)], minlength=c.size) > 0
    blocked = ~usable & (np.bincount(all_pair, minlength=c.size) > 0)

    throughput = np.where(p.cap_throughput >= 0, p.cap_throughput, p.cap_quantity)
    room = np.repeat(throughput[:, None], n_periods, axis=1)
    pins = _schedule_pins(p, c, arcs, periods, room, may_deliver, ready)

    pair, period = _pair_periods(p, c, arcs.pair, periods, ready)
    keep = may_deliver(pair, period)
    pair, period = pair[keep], period[keep]
    first = np.clip(periods.index_of(p.need_start), 0, n_periods - 1)
    return TimeArcs(
        pair=pair,
        period=period,
        delay=period - first[c.need[pair]],
        room=room,
        pins=pins,
        blocked=blocked,
        access_rows=rule_rows,
    )


def solve_plan(
    problem: Problem, compat: Compatibility, arcs: Arcs, access: AccessIndex | None, periods: Periods, tell
) -> PlanOutcome:
    """Optimal plan over the periods (see the module docstring)."""
    p, c = problem, compat
    started = time.perf_counter()
    timings = {"build": 0.0, "solve": 0.0}
    notes: list[str] = []
    n_periods = periods.count
    expanded = expand_in_time(p, c, arcs, access, periods)
    pair, period, delay, room = expanded.pair, expanded.period, expanded.delay, expanded.room
    pin_pair, pin_period, pin_qty = expanded.pins
    need_of = c.need[pair]
    rank = p.need_priority if p.policy.lexicographic else p.need_weight
    timings["build"] += time.perf_counter() - started

    flows = np.zeros(pair.size, dtype=np.int64)
    arc_type = p.need_type[need_of]
    order = np.argsort(arc_type, kind="stable")
    blocks = [chunk for chunk in np.split(order, np.flatnonzero(np.diff(arc_type[order])) + 1) if chunk.size]
    for number, arc in enumerate(blocks):
        tell(0.2 + 0.7 * number / max(len(blocks), 1), m.PROGRESS_SOLVING)
        build_started = time.perf_counter()
        needs, arc_need = np.unique(c.need[pair[arc]], return_inverse=True)
        caps, cap_local = np.unique(c.cap[pair[arc]], return_inverse=True)
        cp_code, arc_cp = np.unique(cap_local * n_periods + period[arc], return_inverse=True)
        cp_cap = cp_code // n_periods
        cp_limit = np.minimum(room[caps[cp_cap], cp_code % n_periods], arcs.supply[caps][cp_cap])
        unit_cost = c.unit_cost[pair[arc]]
        max_cost = int(unit_cost.max(initial=0))
        weight = rank[needs][arc_need] * delay[arc]
        if p.policy.lateness_weight is not None:
            per = round(p.policy.lateness_weight * p.cost_scale)
        else:
            per = min(needs.size, cp_code.size) * max_cost + 1
        timings["build"] += time.perf_counter() - build_started
        for attempt in range(2):
            try:
                flows[arc] = _solve_block(
                    arcs.supply[caps],
                    arcs.demand[needs],
                    arc_cp,
                    arc_need,
                    unit_cost,
                    cp_cap,
                    cp_limit,
                    rank[needs],
                    weight * per,
                    timings,
                )
                break
            except OverflowError:
                if attempt:
                    raise InvalidInput(
                        "unit costs are too large for a plan's lateness weights; give costs in larger currency units"
                    ) from None
                per = max_cost + 1
                notes.append(m.NOTE_LATENESS_PER_UNIT)
    out_pair = np.concatenate([np.array(pin_pair, dtype=np.int64), pair])
    out_period = np.concatenate([np.array(pin_period, dtype=np.int64), period])
    out_qty = np.concatenate([np.array(pin_qty, dtype=np.int64), flows])
    out_pinned = np.concatenate([np.ones(len(pin_pair), dtype=bool), np.zeros(pair.size, dtype=bool)])
    positive = out_qty > 0
    out_pair, out_period, out_qty, out_pinned = (
        out_pair[positive],
        out_period[positive],
        out_qty[positive],
        out_pinned[positive],
    )
    flow = np.bincount(out_pair, weights=out_qty, minlength=c.size).astype(np.int64)
    return PlanOutcome(
        pair=out_pair,
        period=out_period,
        quantity=out_qty,
        pinned=out_pinned,
        flow=flow,
        blocked=expanded.blocked,
        access_rows=expanded.access_rows,
        notes=list(dict.fromkeys(notes)),
        timings=timings,
    )
