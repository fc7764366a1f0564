"""A plan over time with side constraints: LP / MIP (OR-Tools MathOpt) over the time-expanded arcs of ``plan.py``.

Budgets, minimum coverage, the local share, one provider per need and the
minimum lot are not network constraints (a budget weighs units by cost, a
share compares two flows, the discrete rules need 0/1 variables), so, as
for a run without periods (``linear.py``), the plan with side constraints is
a linear (or mixed-integer) program.  Its columns are the open (pair,
period) arcs of the time-expanded network, x_a >= 0 scaled units; rows:

    need i                 sum of x over i's arcs                <= units left after pins
    capacity j             sum of x over j's arcs                <= units left after pins
    throughput (j, p)      sum of x over j's arcs in period p    <= throughput left after pins
    budget (per run)       sum of cost * x over org o's arcs      <= cap - pinned cost
    budget (per period)    the same in each period p              <= cap - pinned cost in p
    coverage (per run)     units to each (admin-1, type) group   >= share * min(needed, reach)
    local share (per run)  local units - share * units, per type >= share * pinned - pinned local
    one provider (per run) y_k in {0, 1} per pair: x_a <= u_a y_k; sum of y over a need <= 1
    minimum lot (per run)  sum over a pair's periods of x        >= lot * y_k (0 or at least a lot)

"reach" is the most the group's arcs could deliver to it alone within
throughput (a max flow over the time-expanded network).  Objective, in the
plan's order: phase 1 maximises priority-weighted units (lexicographic:
each priority in turn); phase 2 keeps that value and minimises lateness
(weight * periods of delay), phase 3 keeps it and minimises cost; with a
``lateness_weight`` phases 2 and 3 are one (lateness * weight + cost).  The
bound is phase 1's dual bound (the LP optimum, or the MIP's proven bound).
Resource types are independent blocks unless a capped organisation offers
several.  LP values become whole quanta (rounded when within 1e-4, else
down), so a fractional optimum can lose a little (reported as gap).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from ortools.graph.python import max_flow
from ortools.math_opt import model_pb2
from ortools.math_opt.python import parameters

from . import messages as m
from .access import AccessIndex
from .arcs import Arcs
from .compatibility import Compatibility
from .linear import ROUNDING, TR, _blocks, _solve
from .model import Status
from .plan import Periods, PlanOutcome, expand_in_time, solve_plan
from .problem import Problem

Progress = Callable[[float, str], None]
LP_SOLVER = parameters.SolverType.HIGHS
MIP_SOLVER = parameters.SolverType.GSCIP
INF = math.inf
KEEP_RELATIVE = 1e-9
KEEP_ABSOLUTE = 1e-6
NEAR_WHOLE = 1e-4
RESERVE_SECONDS = 1.0
PHASE_ONE_SHARE = 0.85  # of a block's time: the weighted units (and the bound); later phases only polish


@dataclass
class PlanLinearOutcome:
    """The plan (deliveries per arc and period, as PlanOutcome) with the
    solver's status, engine, proven bound of the weighted units (real units,
    None when unknown) and the organisations whose budget is reached."""

    plan: PlanOutcome
    status: Status
    engine: str
    bound: float | None
    saturated_org: np.ndarray
    notes: list[str] = field(default_factory=list)


class _Rows:
    """Sparse rows over the columns of one block (COO), with bounds."""

    def __init__(self, n_columns: int) -> None:
        self.n_columns = n_columns
        self.rows: list[np.ndarray] = []
        self.cols: list[np.ndarray] = []
        self.vals: list[np.ndarray] = []
        self.lower: list[np.ndarray] = []
        self.upper: list[np.ndarray] = []
        self.count = 0

    def add(self, row: np.ndarray, col: np.ndarray, val: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> None:
        """Rows 0..len(lower)-1 of a family (``row`` local to it)."""
        self.rows.append(self.count + row)
        self.cols.append(col)
        self.vals.append(np.asarray(val, dtype=np.float64))
        self.lower.append(np.asarray(lower, dtype=np.float64))
        self.upper.append(np.asarray(upper, dtype=np.float64))
        self.count += len(lower)

    def entries(self, row: np.ndarray, col: np.ndarray, val: np.ndarray) -> None:
        """More coefficients in rows already added (absolute row numbers)."""
        self.rows.append(row)
        self.cols.append(col)
        self.vals.append(np.asarray(val, dtype=np.float64))

    def proto(
        self,
        lower: np.ndarray,
        upper: np.ndarray,
        integer: np.ndarray,
        objective: np.ndarray,
    ) -> model_pb2.ModelProto:
        """The model maximising objective . x."""
        r = np.concatenate(self.rows) if self.rows else np.zeros(0, dtype=np.int64)
        col = np.concatenate(self.cols) if self.cols else np.zeros(0, dtype=np.int64)
        v = np.concatenate(self.vals) if self.vals else np.zeros(0)
        keep = v != 0
        r, col, v = r[keep], col[keep], v[keep]
        order = np.lexsort((col, r))
        proto = model_pb2.ModelProto()
        proto.variables.ids.extend(range(self.n_columns))
        proto.variables.lower_bounds.extend(lower.tolist())
        proto.variables.upper_bounds.extend(upper.tolist())
        proto.variables.integers.extend(integer.tolist())
        proto.linear_constraints.ids.extend(range(self.count))
        if self.count:
            proto.linear_constraints.lower_bounds.extend(np.concatenate(self.lower).tolist())
            proto.linear_constraints.upper_bounds.extend(np.concatenate(self.upper).tolist())
        matrix = proto.linear_constraint_matrix
        matrix.row_ids.extend(r[order].tolist())
        matrix.column_ids.extend(col[order].tolist())
        matrix.coefficients.extend(v[order].tolist())
        nz = np.flatnonzero(objective)
        proto.objective.maximize = True
        proto.objective.linear_coefficients.ids.extend(nz.tolist())
        proto.objective.linear_coefficients.values.extend(objective[nz].tolist())
        return proto


def _family(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(unique keys, row of each column) of a family of rows keyed per column."""
    return np.unique(keys, return_inverse=True)


def _group_reach(
    supply: np.ndarray,
    demand: np.ndarray,
    arc_need: np.ndarray,
    arc_cap: np.ndarray,
    arc_cp: np.ndarray,
    cp_cap: np.ndarray,
    cp_room: np.ndarray,
    arc_group: np.ndarray,
    groups: np.ndarray,
) -> np.ndarray:
    """Per group, the most its arcs could deliver to its needs alone within
    supply, throughput and demand (a max flow over the time-expanded network)."""
    reach = np.zeros(groups.size, dtype=np.int64)
    for k, g in enumerate(groups.tolist()):
        sel = np.flatnonzero(arc_group == g)
        if sel.size == 0:
            continue
        needs, nl = np.unique(arc_need[sel], return_inverse=True)
        cps, cpl = np.unique(arc_cp[sel], return_inverse=True)
        caps, capl = np.unique(cp_cap[cps], return_inverse=True)
        n_caps, n_cps = caps.size, cps.size
        source, sink = n_caps + n_cps + needs.size, n_caps + n_cps + needs.size + 1
        tails = np.concatenate([np.full(n_caps, source), capl, n_caps + cpl, n_caps + n_cps + np.arange(needs.size)])
        heads = np.concatenate(
            [np.arange(n_caps), n_caps + np.arange(n_cps), n_caps + n_cps + nl, np.full(needs.size, sink)]
        )
        capacity = np.concatenate([supply[caps], cp_room[cps], demand[arc_need[sel]], demand[needs]])
        solver = max_flow.SimpleMaxFlow()
        solver.add_arcs_with_capacity(tails.astype(np.int32), heads.astype(np.int32), capacity.astype(np.int64))
        if solver.solve(source, sink) == solver.OPTIMAL:
            reach[k] = solver.optimal_flow()
    return reach


def _whole(values: np.ndarray, families: list[tuple[np.ndarray, np.ndarray, np.ndarray]]) -> np.ndarray:
    """Solver values to whole quanta: within NEAR_WHOLE of a whole number
    rounded to it, else down; then every <= row (row per column, coefficient
    per column, limit per row) that ends above its limit by rounding noise
    gives back from its largest columns."""
    nearest = np.rint(values)
    flow = np.where(np.abs(values - nearest) <= NEAR_WHOLE, nearest, np.floor(values))
    flow = np.maximum(flow, 0).astype(np.int64)
    for rows, coef, limit in families:
        used = np.bincount(rows, weights=flow * coef, minlength=limit.size)
        for r in np.flatnonzero(used > limit + 1e-6).tolist():
            members = np.flatnonzero((rows == r) & (flow > 0))
            for a in members[np.argsort(-flow[members], kind="stable")].tolist():
                if used[r] <= limit[r] + 1e-6:
                    break
                if coef[a] <= 0:
                    continue
                take = min(int(flow[a]), math.ceil((used[r] - limit[r]) / coef[a] - 1e-9))
                flow[a] -= take
                used[r] -= take * coef[a]
    return flow


def solve_plan_with_side_constraints(
    problem: Problem,
    compat: Compatibility,
    arcs: Arcs,
    access: AccessIndex | None,
    periods: Periods,
    started: float,
    tell: Progress,
) -> PlanLinearOutcome:
    """The plan under the policy's side constraints within its time limit
    (counted from ``started``, a perf_counter value).  Never raises for an
    infeasible policy: returns status INFEASIBLE with the pins only."""
    p, c, policy = problem, compat, problem.policy
    build_started = time.perf_counter()
    timings = {"build": 0.0, "solve": 0.0}
    deadline = started + policy.time_limit_seconds - min(RESERVE_SECONDS, 0.05 * policy.time_limit_seconds)
    qs, cs = p.quantity_scale, p.cost_scale
    n_orgs, n_periods = len(p.org_names), periods.count
    notes: list[str] = []
    discrete = policy.has_discrete_constraints
    engine = "time_expanded_mixed_integer" if discrete else "time_expanded_linear_program"
    per_period = policy.budget_per_period

    expanded = expand_in_time(p, c, arcs, access, periods)
    pair, period, delay, room = expanded.pair, expanded.period, expanded.delay, expanded.room
    pin_pair = np.array(expanded.pins[0], dtype=np.int64)
    pin_period = np.array(expanded.pins[1], dtype=np.int64)
    pin_qty = np.array(expanded.pins[2], dtype=np.int64)
    need_of, cap_of = c.need[pair], c.cap[pair]
    org_of = p.cap_org[cap_of]
    unit_cost = c.unit_cost[pair].astype(np.float64)
    rank = p.need_priority if policy.lexicographic else p.need_weight

    # Budgets, in scaled money, per organisation (and period), less the pins' cost.
    pin_cost = pin_qty * c.unit_cost[pin_pair].astype(np.float64)
    pin_org = p.cap_org[c.cap[pin_pair]]
    capped_org = np.zeros(n_orgs, dtype=bool)
    budget_left = np.zeros((n_orgs, n_periods if per_period else 1))
    spent_by_pins = np.zeros_like(budget_left)
    np.add.at(spent_by_pins, (pin_org, pin_period if per_period else np.zeros_like(pin_period)), pin_cost)
    for name, amount in policy.budget_caps.items():
        if name in p.org_names:
            o = p.org_names.index(name)
            capped_org[o] = True
            budget_left[o] = amount * qs * cs - spent_by_pins[o]
    over = capped_org & (budget_left < -0.5).any(axis=1)

    def outcome(flows: np.ndarray, status: Status, bound: float | None, extra: list[str]) -> PlanLinearOutcome:
        out_pair = np.concatenate([pin_pair, pair])
        out_period = np.concatenate([pin_period, period])
        out_qty = np.concatenate([pin_qty, flows])
        out_pinned = np.concatenate([np.ones(pin_pair.size, dtype=bool), np.zeros(pair.size, dtype=bool)])
        keep = out_qty > 0
        flow = np.bincount(out_pair[keep], weights=out_qty[keep], minlength=c.size).astype(np.int64)
        spent = np.zeros_like(budget_left)
        np.add.at(spent, (org_of, period if per_period else np.zeros_like(period)), flows * unit_cost)
        spent += spent_by_pins
        budget = np.array([policy.budget_caps.get(o, 0.0) * qs * cs for o in p.org_names])[:, None]
        # Reached: not even one more quantum at the dearest unit cost fits (in some period, per period).
        reached = spent >= budget - c.unit_cost.max(initial=0) - 1e-6 * budget
        plan = PlanOutcome(
            pair=out_pair[keep],
            period=out_period[keep],
            quantity=out_qty[keep],
            pinned=out_pinned[keep],
            flow=flow,
            blocked=expanded.blocked,
            access_rows=expanded.access_rows,
            notes=[],
            timings=timings,
        )
        return PlanLinearOutcome(plan, status, engine, bound, capped_org & reached.any(axis=1), notes + extra)

    if over.any():
        detail = "pinned assignments exceed the budget cap of " + ", ".join(
            p.org_names[o] for o in np.flatnonzero(over)
        )
        return outcome(
            np.zeros(pair.size, dtype=np.int64), Status.INFEASIBLE, None, [m.NOTE_INFEASIBLE.format(detail=detail)]
        )

    # Throughput (j, p) nodes and the room each has.
    cp_code, arc_cp = np.unique(cap_of * n_periods + period, return_inverse=True)
    cp_cap = cp_code // n_periods
    cp_room = np.minimum(room[cp_cap, cp_code % n_periods], arcs.supply[cp_cap])

    # Minimum coverage per (admin-1 area, resource type) over the plan.
    n_types = max(len(p.type_names), 1)
    group_of_need = p.areas.admin1[p.need_area] * n_types + p.need_type
    group_lower: dict[int, float] = {}
    if policy.min_admin1_coverage > 0 and p.need_count:
        groups, group_index = np.unique(group_of_need, return_inverse=True)
        demand = np.bincount(group_index, weights=p.need_quantity, minlength=groups.size)
        got = np.bincount(group_index[c.need], weights=arcs.pinned_flow, minlength=groups.size)
        reach = got + _group_reach(
            arcs.supply, arcs.demand, need_of, cap_of, arc_cp, cp_cap, cp_room, group_of_need[need_of], groups
        )
        target = policy.min_admin1_coverage * np.minimum(demand, reach) - got
        group_lower = {int(g): float(t) for g, t in zip(groups, target) if t > ROUNDING}

    # Local share per resource type over the plan.
    local_rhs: dict[int, float] = {}
    if policy.min_local_share > 0:
        share = policy.min_local_share
        pinned = arcs.pinned_flow
        pinned_type = np.bincount(p.need_type[c.need], weights=pinned, minlength=n_types)
        pinned_local = np.bincount(p.need_type[c.need], weights=pinned * p.cap_local[c.cap], minlength=n_types)
        for t in np.unique(p.need_type[need_of[p.cap_local[cap_of]]]).tolist():
            local_rhs[int(t)] = share * pinned_type[t] - pinned_local[t]

    plain_cache: list[np.ndarray] = []

    def plain_on_arcs() -> np.ndarray:
        """The plan without side constraints (min-cost flow) on these arcs: a start when the LP runs out of time."""
        if not plain_cache:
            plain = solve_plan(p, c, arcs, access, periods, lambda fraction, message: None)
            free = ~plain.pinned
            code = pair * n_periods + period
            order = np.argsort(code)
            wanted = plain.pair[free] * n_periods + plain.period[free]
            where = np.minimum(np.searchsorted(code[order], wanted), max(code.size - 1, 0))
            found = code[order][where] == wanted if code.size else np.zeros(wanted.size, dtype=bool)
            values = np.zeros(pair.size)
            values[order[where[found]]] = plain.quantity[free][found]
            plain_cache.append(values)
        return plain_cache[0]

    flows = np.zeros(pair.size, dtype=np.int64)
    unique_pairs, arc_pair = np.unique(pair, return_inverse=True)
    blocks = _blocks(p, c, unique_pairs, capped_org)
    block_of_pair = np.zeros(c.size, dtype=np.int64)
    for number, members in enumerate(blocks):
        block_of_pair[members] = number
    arc_block = block_of_pair[pair]
    timings["build"] += time.perf_counter() - build_started
    statuses: list[Status] = []
    bound_total: float | None = 0.0
    arcs_left = max(pair.size, 1)
    for number in range(len(blocks)):
        sel = np.flatnonzero(arc_block == number)
        types = sorted({p.type_names[t] for t in np.unique(p.need_type[need_of[sel]]).tolist()})
        tell(
            0.25 + 0.6 * number / max(len(blocks), 1),
            m.PROGRESS_SOLVING_BLOCK.format(index=number + 1, count=len(blocks), types=", ".join(types[:3])),
        )
        seconds = (deadline - time.perf_counter()) * sel.size / arcs_left
        arcs_left -= sel.size
        block_flow, status, bound = _solve_block(
            p,
            sel,
            need_of,
            cap_of,
            org_of,
            period,
            arc_cp,
            arc_pair,
            unit_cost,
            rank,
            delay,
            cp_room,
            arcs,
            capped_org,
            budget_left,
            group_of_need,
            group_lower,
            local_rhs,
            seconds,
            timings,
            plain_on_arcs,
        )
        statuses.append(status)
        if status == Status.INFEASIBLE:
            detail = m.INFEASIBLE_BLOCK.format(
                constraints=m.constraint_list(policy.side_constraints()), types=", ".join(types)
            )
            return outcome(
                np.zeros(pair.size, dtype=np.int64), Status.INFEASIBLE, None, [m.NOTE_INFEASIBLE.format(detail=detail)]
            )
        flows[sel] = block_flow
        if bound is None or bound_total is None:
            bound_total = None
        else:
            bound_total += bound
    if any(s == Status.TIMED_OUT for s in statuses):
        status = Status.TIMED_OUT
        notes.append(m.NOTE_TIME_LIMIT.format(seconds=m.number(policy.time_limit_seconds)))
    elif any(s == Status.FEASIBLE for s in statuses):
        status = Status.FEASIBLE
    else:
        status = Status.OPTIMAL
    pinned_weighted = float(arcs.pinned_flow @ p.need_weight[c.need].astype(np.float64))
    result_bound = None
    if bound_total is not None and not policy.lexicographic:
        result_bound = (bound_total + pinned_weighted) / qs
    return outcome(flows, status, result_bound, [])


def _solve_block(
    p: Problem,
    sel: np.ndarray,
    need_of: np.ndarray,
    cap_of: np.ndarray,
    org_of: np.ndarray,
    period: np.ndarray,
    arc_cp: np.ndarray,
    arc_pair: np.ndarray,
    unit_cost: np.ndarray,
    rank: np.ndarray,
    delay: np.ndarray,
    cp_room: np.ndarray,
    arcs: Arcs,
    capped_org: np.ndarray,
    budget_left: np.ndarray,
    group_of_need: np.ndarray,
    group_lower: dict[int, float],
    local_rhs: dict[int, float],
    seconds: float,
    timings: dict[str, float],
    plain_on_arcs: Callable[[], np.ndarray],
) -> tuple[np.ndarray, Status, float | None]:
    """Flows of one block's arcs (whole quanta), its status and the proven
    bound of its weighted units (scaled), phases as in the module docstring.
    When the LP finds nothing in time and every side constraint is an upper
    limit (budgets), the plan without them, cut down to the budgets, is kept
    (status TIMED_OUT)."""
    policy = p.policy
    build_started = time.perf_counter()
    n = sel.size
    need, cap, org, cost = need_of[sel], cap_of[sel], org_of[sel], unit_cost[sel]
    upper = np.minimum(np.minimum(arcs.demand[need], arcs.supply[cap]), cp_room[arc_cp[sel]]).astype(np.float64)
    discrete = policy.has_discrete_constraints
    pairs, pair_local = _family(arc_pair[sel])
    n_pairs = pairs.size if discrete else 0
    rows = _Rows(n + n_pairs)
    less_equal: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []

    def limit_rows(keys: np.ndarray, coef: np.ndarray, limit_of: Callable[[np.ndarray], np.ndarray]) -> None:
        unique, row = _family(keys)
        limit = np.asarray(limit_of(unique), dtype=np.float64)
        rows.add(row, np.arange(n), coef, np.full(unique.size, -INF), limit)
        less_equal.append((row, coef, limit))

    ones = np.ones(n)
    limit_rows(need, ones, lambda u: arcs.demand[u])
    limit_rows(cap, ones, lambda u: arcs.supply[u])
    limit_rows(arc_cp[sel], ones, lambda u: cp_room[u])
    budgeted = capped_org[org]
    if budgeted.any():
        columns = np.flatnonzero(budgeted)
        slot = period[sel][columns] if budget_left.shape[1] > 1 else np.zeros(columns.size, dtype=np.int64)
        keys = org[columns] * budget_left.shape[1] + slot
        unique, row = _family(keys)
        limit = budget_left[unique // budget_left.shape[1], unique % budget_left.shape[1]]
        rows.add(row, columns, cost[columns], np.full(unique.size, -INF), limit)
        full_row = np.full(n, unique.size)  # columns outside the family: a row of no limit
        full_row[columns] = row
        less_equal.append((full_row, np.where(budgeted, cost, 0.0), np.append(limit, INF)))
    if group_lower:
        group = group_of_need[need]
        wanted = np.array(sorted(group_lower), dtype=np.int64)
        inside = np.isin(group, wanted)
        if inside.any():
            columns = np.flatnonzero(inside)
            row = np.searchsorted(wanted, group[columns])
            present = np.unique(row)
            rows.add(
                np.searchsorted(present, row),
                columns,
                np.ones(columns.size),
                np.array([group_lower[int(wanted[r])] for r in present]),
                np.full(present.size, INF),
            )
    if local_rhs:
        kind = p.need_type[need]
        share = policy.min_local_share
        wanted = np.array(sorted(t for t in local_rhs if t in set(kind.tolist())), dtype=np.int64)
        if wanted.size:
            columns = np.flatnonzero(np.isin(kind, wanted))
            rows.add(
                np.searchsorted(wanted, kind[columns]),
                columns,
                p.cap_local[cap[columns]].astype(np.float64) - share,
                np.array([local_rhs[int(t)] for t in wanted]) - 1e-6,
                np.full(wanted.size, INF),
            )
    pair_need = np.zeros(pairs.size, dtype=np.int64)
    pair_need[pair_local] = need
    pair_cap = np.zeros(pairs.size, dtype=np.int64)
    pair_cap[pair_local] = cap
    # As without a plan: 0 or at least min(lot, the need's units left, the capacity's units left).
    lot = np.minimum(
        round(policy.min_lot_size * p.quantity_scale), np.minimum(arcs.demand[pair_need], arcs.supply[pair_cap])
    )
    if discrete:
        y = n + pair_local
        # x_a <= u_a y_k
        first = rows.count
        rows.add(np.arange(n), np.arange(n), ones, np.full(n, -INF), np.zeros(n))
        rows.entries(first + np.arange(n), y, -upper)
        if policy.min_lot_size > 0:
            # The units of a pair over the plan: 0 or at least a lot.
            first = rows.count
            rows.add(pair_local, np.arange(n), ones, np.zeros(n_pairs), np.full(n_pairs, INF))
            rows.entries(first + np.arange(n_pairs), n + np.arange(n_pairs), -lot.astype(np.float64))
        if policy.single_provider:
            unique, row = _family(pair_need)
            rows.add(row, n + np.arange(n_pairs), np.ones(n_pairs), np.full(unique.size, -INF), np.ones(unique.size))
    lower = np.zeros(n + n_pairs)
    var_upper = np.concatenate([upper, np.ones(n_pairs)])
    integer = np.concatenate([np.zeros(n, dtype=bool), np.ones(n_pairs, dtype=bool)])
    weight = np.concatenate([rank[need].astype(np.float64), np.zeros(n_pairs)])
    lateness = np.concatenate([(rank[need] * delay[sel]).astype(np.float64), np.zeros(n_pairs)])
    money = np.concatenate([cost, np.zeros(n_pairs)])
    solver = MIP_SOLVER if discrete else LP_SOLVER
    if policy.lexicographic:
        levels = [
            np.where(p.need_priority[need] == level, 1.0, 0.0)
            for level in sorted(set(p.need_priority[need].tolist()), reverse=True)
        ]
        phases = [np.concatenate([lv, np.zeros(n_pairs)]) for lv in levels]
    else:
        phases = [weight]
    if policy.lateness_weight is not None:
        per = policy.lateness_weight * p.cost_scale
        phases.append(-(lateness * per + money))
    else:
        phases += [-lateness, -money]
    timings["build"] += time.perf_counter() - build_started
    started = time.perf_counter()
    values: np.ndarray | None = None
    bound: float | None = None
    status = Status.OPTIMAL
    for number, objective in enumerate(phases):
        share = seconds * (PHASE_ONE_SHARE if number == 0 else (1 - PHASE_ONE_SHARE) / (len(phases) - 1))
        left = seconds - (time.perf_counter() - started)
        solved = _solve(
            rows.proto(lower, var_upper, integer, objective),
            solver,
            max(min(share, left) if number < len(phases) - 1 else left, 0.05),
            policy.threads,
            policy.relative_gap,
            values,
        )
        if solved.reason == TR.TERMINATION_REASON_INFEASIBLE:
            timings["solve"] += time.perf_counter() - started
            return np.zeros(n, dtype=np.int64), Status.INFEASIBLE, None
        if solved.values is None:
            status = Status.TIMED_OUT if values is None else Status.FEASIBLE
            break
        if solved.reason != TR.TERMINATION_REASON_OPTIMAL:
            status = Status.FEASIBLE
        values = solved.values
        if number == 0 and not policy.lexicographic:
            bound = solved.dual if math.isfinite(solved.dual) else None
        achieved = float(objective @ values)
        keep = achieved - KEEP_RELATIVE * abs(achieved) - KEEP_ABSOLUTE
        rows.add(
            np.zeros(n + n_pairs, dtype=np.int64), np.arange(n + n_pairs), objective, np.array([keep]), np.array([INF])
        )
    timings["solve"] += time.perf_counter() - started
    if values is None:
        if group_lower or local_rhs or discrete:
            return np.zeros(n, dtype=np.int64), Status.TIMED_OUT, bound
        return _whole(plain_on_arcs()[sel], less_equal), Status.TIMED_OUT, bound
    flow = _whole(values[:n], less_equal)
    if discrete:
        totals = np.bincount(pair_local, weights=flow, minlength=pairs.size)
        if policy.min_lot_size > 0:
            # Rounding down may leave a pair a quantum below the lot: such a pair delivers nothing.
            small = (totals > 0) & (totals < lot - 1e-9)
            flow[small[pair_local]] = 0
    return flow, status, bound
