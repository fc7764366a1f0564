"""Allocation with side constraints: LP / MIP through OR-Tools MathOpt, built from arrays.

Variables x_k (scaled units on open pair k, 0 <= x_k <= min(need left,
capacity left)); with discrete rules, y_k in {0, 1} says pair k is used.
Rows: need and capacity limits; budget per capped organisation (cost of its
assignments, pins included, <= cap); minimum coverage per (admin-1 area,
resource type) group (delivered >= share * min(needed, what capacities could
deliver to that group alone, found by a max flow)); minimum local share per
resource type; x_k <= u_k y_k; x_k >= lot_k y_k; sum of y over a need <= 1.

The model is split into independent blocks: resource types are only linked
by the budget caps of organisations offering several types.  Each block is
solved hierarchically: phase 1 maximises weighted units (lexicographic: each
priority level in turn, highest first), phase 2 keeps that value and
minimises cost (trade-off mode: one phase, value minus cost).  The MIP gets
the min-cost-flow solution of the plain problem as a hint.  Continuous
solutions are rounded down to whole quanta (never above a limit; a minimum
share can end a fraction of a quantum short per pair).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from ortools.graph.python import max_flow
from ortools.math_opt import model_parameters_pb2, model_pb2, parameters_pb2, result_pb2, solution_pb2
from ortools.math_opt.core.python import solver as mathopt_solver
from ortools.math_opt.python import callback, init_arguments, parameters

from . import messages as m
from .arcs import Arcs, plain_flow
from .compatibility import Compatibility
from .model import Status
from .problem import Problem

Progress = Callable[[float, str], None]
LP_SOLVER = parameters.SolverType.GLOP
MIP_SOLVER = parameters.SolverType.HIGHS
INF = math.inf
ROUNDING = 1e-6
KEEP_RELATIVE = 1e-9  # slack when a later phase keeps an earlier phase's value
KEEP_ABSOLUTE = 1e-6
NEAR_WHOLE = 1e-4  # solver values this close to a whole quantum are that quantum
TR = result_pb2.TerminationReasonProto


@dataclass
class LinearOutcome:
    """flow per compatible pair (pins included); bound: proven upper bound of
    the objective (weighted units or value - cost, in real units) or None;
    saturated_org: per organisation, budget cap reached."""

    flow: np.ndarray
    status: Status
    engine: str
    bound: float | None
    saturated_org: np.ndarray
    notes: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=lambda: {"build": 0.0, "solve": 0.0})


class _Rows:
    """Sparse rows collected as coordinate arrays (row, column, value)."""

    def __init__(self) -> None:
        self.count = 0
        self.rows: list[np.ndarray] = []
        self.cols: list[np.ndarray] = []
        self.vals: list[np.ndarray] = []
        self.lower: list[np.ndarray] = []
        self.upper: list[np.ndarray] = []

    def add(self, row_of_entry: np.ndarray, cols: np.ndarray, vals: np.ndarray, lower, upper, n_rows: int) -> None:
        """Add n_rows rows; row_of_entry numbers them 0..n_rows-1."""
        if n_rows == 0:
            return
        self.rows.append(np.asarray(row_of_entry, dtype=np.int64) + self.count)
        self.cols.append(np.asarray(cols, dtype=np.int64))
        self.vals.append(np.asarray(vals, dtype=np.float64))
        self.lower.append(np.broadcast_to(np.asarray(lower, dtype=np.float64), (n_rows,)))
        self.upper.append(np.broadcast_to(np.asarray(upper, dtype=np.float64), (n_rows,)))
        self.count += n_rows


def _model_proto(n_vars: int, lower: np.ndarray, upper: np.ndarray, integer: np.ndarray, rows: _Rows):
    proto = model_pb2.ModelProto()
    proto.variables.ids.extend(range(n_vars))
    proto.variables.lower_bounds.extend(lower.tolist())
    proto.variables.upper_bounds.extend(upper.tolist())
    proto.variables.integers.extend(integer.tolist())
    if rows.count:
        r = np.concatenate(rows.rows)
        c = np.concatenate(rows.cols)
        v = np.concatenate(rows.vals)
        keep = v != 0
        r, c, v = r[keep], c[keep], v[keep]
        order = np.lexsort((c, r))
        proto.linear_constraints.ids.extend(range(rows.count))
        proto.linear_constraints.lower_bounds.extend(np.concatenate(rows.lower).tolist())
        proto.linear_constraints.upper_bounds.extend(np.concatenate(rows.upper).tolist())
        matrix = proto.linear_constraint_matrix
        matrix.row_ids.extend(r[order].tolist())
        matrix.column_ids.extend(c[order].tolist())
        matrix.coefficients.extend(v[order].tolist())
    return proto


def _with_objective(base, coefficients: np.ndarray, maximize: bool, keep_rows: list[tuple[np.ndarray, float]]):
    """A copy of the model with this objective and extra rows sum(coef x) >= lower
    (each row over all variables, appended after the existing rows)."""
    proto = model_pb2.ModelProto()
    proto.CopyFrom(base)
    nz = np.flatnonzero(coefficients)
    proto.objective.maximize = maximize
    proto.objective.linear_coefficients.ids.extend(nz.tolist())
    proto.objective.linear_coefficients.values.extend(coefficients[nz].tolist())
    next_row = len(base.linear_constraints.ids)
    for coefs, lower in keep_rows:
        cols = np.flatnonzero(coefs)
        proto.linear_constraints.ids.append(next_row)
        proto.linear_constraints.lower_bounds.append(lower)
        proto.linear_constraints.upper_bounds.append(INF)
        proto.linear_constraint_matrix.row_ids.extend([next_row] * cols.size)
        proto.linear_constraint_matrix.column_ids.extend(cols.tolist())
        proto.linear_constraint_matrix.coefficients.extend(coefs[cols].tolist())
        next_row += 1
    return proto


@dataclass
class _Solved:
    reason: int
    limit: int
    values: np.ndarray | None
    primal: float
    dual: float
    seconds: float


def _solve(proto, solver_type, seconds: float, threads: int, gap: float, hint: np.ndarray | None) -> _Solved:
    params = parameters_pb2.SolveParametersProto()
    params.time_limit.FromNanoseconds(int(max(seconds, 0.05) * 1e9))
    if threads > 1 and solver_type in (parameters.SolverType.CP_SAT, parameters.SolverType.GSCIP):
        params.threads = threads
    if solver_type != LP_SOLVER:
        params.relative_gap_tolerance = gap
    model_params = model_parameters_pb2.ModelSolveParametersProto()
    if hint is not None:
        h = model_params.solution_hints.add()
        nz = np.flatnonzero(hint)
        h.variable_values.ids.extend(nz.tolist())
        h.variable_values.values.extend(hint[nz].tolist())
    started = time.perf_counter()
    result = mathopt_solver.solve(
        proto, solver_type.value, init_arguments.StreamableSolverInitArguments().to_proto(), params,
        model_params, None, callback.CallbackRegistration().to_proto(), None, None,
    )
    seconds = time.perf_counter() - started
    values = None
    for solution in result.solutions:
        primal = solution.primal_solution
        if primal.feasibility_status == solution_pb2.SOLUTION_STATUS_FEASIBLE:
            values = np.zeros(len(proto.variables.ids))
            ids = np.array(primal.variable_values.ids, dtype=np.int64)
            values[ids] = np.array(primal.variable_values.values, dtype=np.float64)
            break
    term = result.termination
    return _Solved(term.reason, term.limit, values, term.objective_bounds.primal_bound,
                   term.objective_bounds.dual_bound, seconds)


def _group_reach(problem: Problem, compat: Compatibility, arcs: Arcs, group_of_need: np.ndarray,
                 groups: np.ndarray) -> np.ndarray:
    """For each group, the most the open pairs could deliver to its needs
    alone (max flow), not counting pins."""
    c = compat
    pair = arcs.pair
    reach = np.zeros(groups.size, dtype=np.int64)
    arc_group = group_of_need[c.need[pair]]
    order = np.argsort(arc_group, kind="stable")
    sorted_groups = arc_group[order]
    for k, g in enumerate(groups.tolist()):
        lo, hi = np.searchsorted(sorted_groups, [g, g + 1])
        sel = pair[order[lo:hi]]
        if sel.size == 0:
            continue
        needs, nl = np.unique(c.need[sel], return_inverse=True)
        caps, cl = np.unique(c.cap[sel], return_inverse=True)
        source, sink = caps.size + needs.size, caps.size + needs.size + 1
        flow = max_flow.SimpleMaxFlow()
        tails = np.concatenate([np.full(caps.size, source), cl, caps.size + np.arange(needs.size)])
        heads = np.concatenate([np.arange(caps.size), caps.size + nl, np.full(needs.size, sink)])
        capacity = np.concatenate([arcs.supply[caps], np.minimum(arcs.supply[c.cap[sel]], arcs.demand[c.need[sel]]),
                                   arcs.demand[needs]])
        flow.add_arcs_with_capacity(tails.astype(np.int32), heads.astype(np.int32), capacity.astype(np.int64))
        if flow.solve(source, sink) == flow.OPTIMAL:
            reach[k] = flow.optimal_flow()
    return reach


def _blocks(problem: Problem, compat: Compatibility, pair: np.ndarray, capped_org: np.ndarray) -> list[np.ndarray]:
    """Pairs split into blocks of resource types linked by capped organisations."""
    n_types = len(problem.type_names)
    parent = list(range(n_types))

    def root(t: int) -> int:
        while parent[t] != t:
            parent[t] = parent[parent[t]]
            t = parent[t]
        return t

    cap_of_pair = compat.cap[pair]
    org = problem.cap_org[cap_of_pair]
    kind = problem.cap_type[cap_of_pair]
    linked = capped_org[org]
    for o in np.unique(org[linked]).tolist():
        types = np.unique(kind[org == o]).tolist()
        for t in types[1:]:
            parent[root(t)] = root(types[0])
    block_of_type = np.array([root(t) for t in range(n_types)], dtype=np.int64)
    arc_block = block_of_type[problem.need_type[compat.need[pair]]] if pair.size else np.zeros(0, dtype=np.int64)
    order = np.argsort(arc_block, kind="stable")
    bounds = np.flatnonzero(np.diff(arc_block[order])) + 1
    return [pair[np.sort(chunk)] for chunk in np.split(order, bounds) if chunk.size]


def solve_with_side_constraints(
    problem: Problem, compat: Compatibility, arcs: Arcs, started: float, tell: Progress
) -> LinearOutcome:
    """Optimise under the policy's side constraints within its time limit
    (counted from ``started``, a perf_counter value).  Never raises for an
    infeasible policy: returns status INFEASIBLE with the pins only."""
    p, c, policy = problem, compat, problem.policy
    build_started = time.perf_counter()
    timings = {"build": 0.0, "solve": 0.0}
    deadline = started + policy.time_limit_seconds
    qs, cs = p.quantity_scale, p.cost_scale
    n_orgs = len(p.org_names)
    notes: list[str] = []
    discrete = policy.has_discrete_constraints
    engine = "mixed_integer" if discrete else "linear_program"
    pinned = arcs.pinned_flow

    # Budgets: scaled money (quantity_scale * cost_scale per currency unit).
    capped_org = np.zeros(n_orgs, dtype=bool)
    budget_left = np.zeros(n_orgs)
    pinned_cost = np.bincount(p.cap_org[c.cap], weights=pinned * c.unit_cost.astype(np.float64), minlength=n_orgs)
    for name, amount in policy.budget_caps.items():
        if name in p.org_names:
            o = p.org_names.index(name)
            capped_org[o] = True
            budget_left[o] = amount * qs * cs - pinned_cost[o]
    over = capped_org & (budget_left < -0.5)
    infeasible_detail = []
    if over.any():
        infeasible_detail.append("pinned assignments exceed the budget cap of "
                                 + ", ".join(p.org_names[o] for o in np.flatnonzero(over)))

    # Fairness groups (admin-1 area, resource type).
    n_types = max(len(p.type_names), 1)
    group_of_need = p.areas.admin1[p.need_area] * n_types + p.need_type
    group_lower = {}
    if policy.min_admin1_coverage > 0 and p.need_count:
        groups, group_index = np.unique(group_of_need, return_inverse=True)
        demand = np.bincount(group_index, weights=p.need_quantity, minlength=groups.size)
        got = np.bincount(group_index[c.need], weights=pinned, minlength=groups.size)
        reach = got + _group_reach(p, c, arcs, group_of_need, groups)
        target = policy.min_admin1_coverage * np.minimum(demand, reach) - got
        group_lower = {int(g): float(t) for g, t in zip(groups, target) if t > ROUNDING}

    # Local share per resource type.
    local_rhs = {}
    if policy.min_local_share > 0:
        share = policy.min_local_share
        types_with_local = np.unique(p.need_type[c.need[arcs.pair[p.cap_local[c.cap[arcs.pair]]]]])
        pinned_type = np.bincount(p.need_type[c.need], weights=pinned, minlength=n_types)
        pinned_local = np.bincount(p.need_type[c.need], weights=pinned * p.cap_local[c.cap], minlength=n_types)
        local_rhs = {int(t): share * pinned_type[t] - pinned_local[t] for t in types_with_local.tolist()}

    flow = pinned.copy()
    if infeasible_detail:
        notes.append(m.NOTE_INFEASIBLE.format(detail="; ".join(infeasible_detail)))
        return LinearOutcome(flow, Status.INFEASIBLE, engine, None, capped_org & (budget_left <= 0.5), notes, timings)

    # The plain optimum: a hint for the MIP and the fallback of nothing better.
    hint_flow = None
    if discrete:
        hint_flow, _, hint_timings = plain_flow(p, c, arcs, lambda f, msg: None)
        timings["solve"] += hint_timings["solve"]
        timings["build"] += hint_timings["build"]

    blocks = _blocks(p, c, arcs.pair, capped_org)
    statuses: list[Status] = []
    bound_total = 0.0
    bound_known = True
    timings["build"] += time.perf_counter() - build_started
    total_pairs = max(sum(b.size for b in blocks), 1)
    pairs_left = total_pairs
    for number, pair in enumerate(blocks):
        types = sorted({p.type_names[t] for t in np.unique(p.need_type[c.need[pair]]).tolist()})
        tell(0.25 + 0.6 * number / max(len(blocks), 1),
             m.PROGRESS_SOLVING_BLOCK.format(index=number + 1, count=len(blocks), types=", ".join(types[:3])))
        time_left = deadline - time.perf_counter()
        share_of_time = time_left * pair.size / pairs_left
        pairs_left -= pair.size
        block = _solve_block(p, c, arcs, pair, capped_org, budget_left, group_of_need, group_lower, local_rhs,
                             None if hint_flow is None else hint_flow[pair], share_of_time, timings)
        statuses.append(block.status)
        if block.status == Status.INFEASIBLE:
            notes.append(m.NOTE_INFEASIBLE.format(detail=block.detail or "the side constraints for "
                                                  + ", ".join(types) + " conflict"))
            return LinearOutcome(pinned.copy(), Status.INFEASIBLE, engine, None,
                                 capped_org & (budget_left <= 0.5), notes, timings)
        flow[pair] += block.flow
        if block.bound is None:
            bound_known = False
        else:
            bound_total += block.bound

    if any(s == Status.TIMED_OUT for s in statuses):
        status = Status.TIMED_OUT
        notes.append(m.NOTE_TIME_LIMIT.format(seconds=m.number(policy.time_limit_seconds)))
    elif any(s == Status.FEASIBLE for s in statuses):
        status = Status.FEASIBLE
    else:
        status = Status.OPTIMAL
    pinned_weighted = float(pinned @ p.need_weight[c.need].astype(np.float64))
    if policy.value_per_weighted_unit is not None:
        pinned_value = float(pinned @ (arcs.unit_value[c.need] - c.unit_cost).astype(np.float64))
        bound = (bound_total + pinned_value) / (qs * cs) if bound_known else None
    elif policy.lexicographic:
        bound = None
    else:
        bound = (bound_total + pinned_weighted) / qs if bound_known else None
    spent = np.bincount(p.cap_org[c.cap], weights=flow * c.unit_cost.astype(np.float64), minlength=n_orgs)
    budget = np.array([policy.budget_caps.get(o, 0.0) * qs * cs for o in p.org_names])
    # Reached: not even one more quantum at the dearest unit cost fits.
    saturated = capped_org & (spent >= budget - c.unit_cost.max(initial=0) - 1e-6 * budget)
    return LinearOutcome(flow, status, engine, bound, saturated, notes, timings)


def _whole_quanta(values: np.ndarray, row_need: np.ndarray, row_cap: np.ndarray, demand: np.ndarray,
                  supply: np.ndarray) -> np.ndarray:
    """Solver values to whole quanta: values within NEAR_WHOLE of a whole
    number are rounded to it, others rounded down; then any need or capacity
    that ends above its limit (by rounding noise) gives back the excess from
    its largest pairs."""
    nearest = np.rint(values)
    flow = np.where(np.abs(values - nearest) <= NEAR_WHOLE, nearest, np.floor(values))
    flow = np.maximum(flow, 0).astype(np.int64)
    for rows, limit in ((row_need, demand), (row_cap, supply)):
        excess = np.bincount(rows, weights=flow, minlength=limit.size).astype(np.int64) - limit
        for r in np.flatnonzero(excess > 0).tolist():
            members = np.flatnonzero(rows == r)
            for k in members[np.argsort(-flow[members], kind="stable")].tolist():
                take = min(int(flow[k]), int(excess[r]))
                flow[k] -= take
                excess[r] -= take
                if excess[r] == 0:
                    break
    return flow


@dataclass
class _BlockOutcome:
    flow: np.ndarray
    status: Status
    bound: float | None
    detail: str = ""


def _solve_block(p: Problem, c: Compatibility, arcs: Arcs, pair: np.ndarray, capped_org: np.ndarray,
                 budget_left: np.ndarray, group_of_need: np.ndarray, group_lower: dict[int, float],
                 local_rhs: dict[int, float], hint: np.ndarray | None, seconds: float,
                 timings: dict[str, float]) -> _BlockOutcome:
    policy = p.policy
    built = time.perf_counter()
    deadline = built + seconds
    n = pair.size
    need, cap = c.need[pair], c.cap[pair]
    upper = np.minimum(arcs.demand[need], arcs.supply[cap]).astype(np.float64)
    cost = c.unit_cost[pair].astype(np.float64)
    discrete = policy.has_discrete_constraints
    n_vars = 2 * n if discrete else n
    rows = _Rows()
    k = np.arange(n)

    needs, need_row = np.unique(need, return_inverse=True)
    rows.add(need_row, k, np.ones(n), -INF, arcs.demand[needs], needs.size)
    caps, cap_row = np.unique(cap, return_inverse=True)
    rows.add(cap_row, k, np.ones(n), -INF, arcs.supply[caps], caps.size)
    org = p.cap_org[cap]
    capped = capped_org[org]
    if capped.any():
        orgs, org_row = np.unique(org[capped], return_inverse=True)
        rows.add(org_row, k[capped], cost[capped], -INF, budget_left[orgs], orgs.size)
    if group_lower:
        g = group_of_need[need]
        wanted = np.array(sorted(group_lower), dtype=np.int64)
        in_group = np.isin(g, wanted)
        if in_group.any():
            present, g_row = np.unique(g[in_group], return_inverse=True)
            rows.add(g_row, k[in_group], np.ones(int(in_group.sum())), [group_lower[int(x)] for x in present],
                     INF, present.size)
    if local_rhs:
        kind = p.need_type[need]
        typed = np.isin(kind, np.array(sorted(local_rhs), dtype=np.int64))
        if typed.any():
            present, t_row = np.unique(kind[typed], return_inverse=True)
            coef = p.cap_local[cap[typed]].astype(np.float64) - policy.min_local_share
            rows.add(t_row, k[typed], coef, [local_rhs[int(x)] for x in present], INF, present.size)
    lower_bounds = np.zeros(n_vars)
    upper_bounds = np.concatenate([upper, np.ones(n)]) if discrete else upper
    integer = np.zeros(n_vars, dtype=bool)
    if discrete:
        integer[n:] = True
        rows.add(np.concatenate([k, k]), np.concatenate([k, n + k]), np.concatenate([np.ones(n), -upper]),
                 -INF, 0.0, n)
        if policy.min_lot_size > 0:
            lot = np.minimum(upper, round(policy.min_lot_size * p.quantity_scale))
            rows.add(np.concatenate([k, k]), np.concatenate([k, n + k]), np.concatenate([np.ones(n), -lot]),
                     0.0, INF, n)
        if policy.single_provider:
            rows.add(need_row, n + k, np.ones(n), -INF, 1.0, needs.size)
    base = _model_proto(n_vars, lower_bounds, upper_bounds, integer, rows)
    solver_type = MIP_SOLVER if discrete else LP_SOLVER
    full_hint = None
    if hint is not None:
        full_hint = np.concatenate([hint.astype(np.float64), (hint > 0).astype(np.float64)])

    def pad(values: np.ndarray) -> np.ndarray:
        return np.concatenate([values, np.zeros(n_vars - n)]) if discrete else values

    # Phases: objectives to maximise in turn, each kept by a row afterwards.
    weight = p.need_weight[need].astype(np.float64)
    if policy.value_per_weighted_unit is not None:
        value = arcs.unit_value[need].astype(np.float64)
        phases = [(pad(value - cost), True)]
    elif policy.lexicographic:
        levels = sorted(set(p.need_priority[need].tolist()), reverse=True)
        phases = [(pad((p.need_priority[need] == level).astype(np.float64)), True) for level in levels]
        phases.append((pad(cost), False))
    else:
        phases = [(pad(weight), True), (pad(cost), False)]
    timings["build"] += time.perf_counter() - built

    kept: list[tuple[np.ndarray, float]] = []
    status = Status.OPTIMAL
    bound: float | None = None
    best: np.ndarray | None = None
    for index, (objective, maximize) in enumerate(phases):
        t0 = time.perf_counter()
        proto = _with_objective(base, objective, maximize, kept)
        remaining = deadline - time.perf_counter()
        # The first phase matters most: give it most of the time of a MIP.
        budget = remaining * (0.7 if discrete and index == 0 and len(phases) > 1 else 1.0)
        t1 = time.perf_counter()
        timings["build"] += t1 - t0
        solved = _solve(proto, solver_type, budget, policy.threads, policy.relative_gap,
                        full_hint if best is None else best)
        timings["solve"] += time.perf_counter() - t1
        if solved.reason in (TR.TERMINATION_REASON_INFEASIBLE, TR.TERMINATION_REASON_INFEASIBLE_OR_UNBOUNDED):
            if index == 0:
                return _BlockOutcome(np.zeros(n, dtype=np.int64), Status.INFEASIBLE, None)
            break  # cannot happen in exact arithmetic; keep the previous phase's solution
        if solved.values is None:
            status = Status.TIMED_OUT
            if index == 0:
                bound = solved.dual if math.isfinite(solved.dual) else None
            break
        best = solved.values
        if index == 0:
            bound = solved.dual if math.isfinite(solved.dual) else None
        if solved.reason != TR.TERMINATION_REASON_OPTIMAL:
            status = Status.TIMED_OUT if solved.limit == result_pb2.LimitProto.LIMIT_TIME else Status.FEASIBLE
        elif discrete and index == 0 and bound is not None and abs(bound - solved.primal) > 1e-9 * max(1, abs(bound)):
            status = Status.FEASIBLE if status == Status.OPTIMAL else status
        if maximize and index < len(phases) - 1:
            achieved = float(objective @ best)
            kept.append((objective, achieved - KEEP_RELATIVE * abs(achieved) - KEEP_ABSOLUTE))
        if time.perf_counter() >= deadline and index < len(phases) - 1:
            status = Status.TIMED_OUT
            break
    if best is None:
        return _BlockOutcome(np.zeros(n, dtype=np.int64), status, bound)
    flow = _whole_quanta(best[:n], need_row, cap_row, arcs.demand[needs], arcs.supply[caps])
    if policy.lexicographic:
        bound = None
    return _BlockOutcome(flow, status, bound)
