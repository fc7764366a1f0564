"""Allocation with side constraints: LP / MIP through OR-Tools MathOpt, built from arrays.

Variables x_k (scaled units on open pair k, 0 <= x_k <= min(need left,
capacity left)); with discrete rules, y_k in {0, 1} says pair k is used.
Rows: need and capacity limits; budget per capped organisation (cost of its
assignments, pins included, <= cap); minimum coverage per (admin-1 area,
resource type) group (delivered >= share * min(needed, what capacities could
deliver to that group alone, found by a max flow)); minimum local share per
resource type; x_k <= u_k y_k; x_k >= lot_k y_k; sum of y over a need <= 1.

Smallest models: the pairs are split into independent blocks (resource types
are only linked by the budget caps of organisations offering several
types), and each block's LP is solved by column generation: a restricted LP
over the plain min-cost-flow optimum's pairs and each need's cheapest pairs,
priced with its duals, grown by the pairs that price out, until none does
(then it is the full LP optimum; before that, restricted value + priced-out
potential is a valid bound).  HiGHS solves the first restricted LP, GLOP the
next ones warm from the previous basis.  Rows with a lower bound carry a
penalised artificial slack, so every restricted LP is feasible; slack left
once nothing prices out proves the policy infeasible.

Phases (hierarchical): maximise weighted units (lexicographic: each priority
level in turn), keep that value in a row, minimise cost; trade-off mode has
one phase.  Discrete rules: the LP bound first, then a MIP (SCIP: it keeps
its time limit) over the LP optimum's support and the plain optimum's pairs,
started from the better of the LP optimum made to obey the rules and,
for one provider per need alone, a greedy + local search (single.py);
phases as MIPs, then an
LP polishes the cost over the pairs chosen.  The reported gap is against the
full LP bound.  LP values become whole quanta (rounded when within 1e-4,
else down), so a fractional LP optimum can lose a little (reported as gap).
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
from . import single
from .arcs import Arcs, plain_flow
from .compatibility import Compatibility
from .model import Status
from .problem import Problem

Progress = Callable[[float, str], None]
LP_SOLVER = parameters.SolverType.GLOP
COLD_LP_SOLVER = parameters.SolverType.HIGHS
MIP_SOLVER = parameters.SolverType.GSCIP  # HiGHS may overrun its time limit badly
INF = math.inf
ROUNDING = 1e-6  # a minimum below this many scaled units is no minimum
KEEP_RELATIVE = 1e-9  # slack when a later phase keeps an earlier phase's value
KEEP_ABSOLUTE = 1e-6
NEAR_WHOLE = 1e-4  # solver values this close to a whole quantum are that quantum
PENALTY = 1e4  # price of an artificial slack unit, times the largest objective coefficient
ARTIFICIAL_TOLERANCE = 1e-6
INITIAL_PER_NEED = 4  # cheapest pairs of each need in the first restricted LP
MIP_FIRST_PHASE_SHARE = 0.7
SEARCH_SHARE = 0.8  # of a block's time left after the LP, for the single-provider search
POLISH_SHARE = 0.15  # of a MIP's time, kept for the cost phase
RESERVE_SECONDS = 1.0  # of the time limit, left for explanations and the result
TR = result_pb2.TerminationReasonProto
AT_LOWER = solution_pb2.BASIS_STATUS_AT_LOWER_BOUND
BASIC = solution_pb2.BASIS_STATUS_BASIC


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


@dataclass
class _Solved:
    reason: int
    limit: int
    values: np.ndarray | None
    duals: np.ndarray | None
    primal: float
    dual: float
    variable_status: np.ndarray | None = None
    constraint_status: np.ndarray | None = None


def _solve(
    proto,
    solver_type,
    seconds: float,
    threads: int,
    gap: float,
    hint: np.ndarray | None,
    basis: tuple[np.ndarray, np.ndarray] | None = None,
) -> _Solved:
    """One MathOpt solve of a ModelProto; values, duals and the simplex basis
    (statuses per variable and per row) as dense arrays.  ``basis`` warm
    starts an LP from such statuses."""
    params = parameters_pb2.SolveParametersProto()
    params.time_limit.FromNanoseconds(int(max(seconds, 0.05) * 1e9))
    if threads > 1 and solver_type in (parameters.SolverType.CP_SAT, parameters.SolverType.GSCIP):
        params.threads = threads
    if solver_type == MIP_SOLVER and gap > 0:
        params.relative_gap_tolerance = gap
    model_params = model_parameters_pb2.ModelSolveParametersProto()
    if hint is not None:
        h = model_params.solution_hints.add()
        nz = np.flatnonzero(hint)
        h.variable_values.ids.extend(nz.tolist())
        h.variable_values.values.extend(hint[nz].tolist())
    if basis is not None:
        start = model_params.initial_basis
        start.variable_status.ids.extend(range(basis[0].size))
        start.variable_status.values.extend(basis[0].tolist())
        start.constraint_status.ids.extend(range(basis[1].size))
        start.constraint_status.values.extend(basis[1].tolist())
    result = mathopt_solver.solve(
        proto,
        solver_type.value,
        init_arguments.StreamableSolverInitArguments().to_proto(),
        params,
        model_params,
        None,
        callback.CallbackRegistration().to_proto(),
        None,
        None,
    )
    values = duals = variable_status = constraint_status = None
    for solution in result.solutions:
        if variable_status is None and solution.HasField("basis"):
            variable_status = _dense(solution.basis.variable_status, len(proto.variables.ids)).astype(np.int64)
            constraint_status = _dense(solution.basis.constraint_status, len(proto.linear_constraints.ids)).astype(
                np.int64
            )
        primal = solution.primal_solution
        if values is None and primal.feasibility_status == solution_pb2.SOLUTION_STATUS_FEASIBLE:
            values = _dense(primal.variable_values, len(proto.variables.ids))
        dual = solution.dual_solution
        if duals is None and dual.feasibility_status == solution_pb2.SOLUTION_STATUS_FEASIBLE:
            duals = _dense(dual.dual_values, len(proto.linear_constraints.ids))
    term = result.termination
    return _Solved(
        term.reason,
        term.limit,
        values,
        duals,
        term.objective_bounds.primal_bound,
        term.objective_bounds.dual_bound,
        variable_status,
        constraint_status,
    )


def _dense(sparse, size: int) -> np.ndarray:
    out = np.zeros(size)
    out[np.array(sparse.ids, dtype=np.int64)] = np.array(sparse.values, dtype=np.float64)
    return out


def _group_reach(
    problem: Problem, compat: Compatibility, arcs: Arcs, group_of_need: np.ndarray, groups: np.ndarray
) -> np.ndarray:
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
        capacity = np.concatenate(
            [arcs.supply[caps], np.minimum(arcs.supply[c.cap[sel]], arcs.demand[c.need[sel]]), arcs.demand[needs]]
        )
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
    # Keep a little of the time limit for explaining and reporting.
    deadline = started + policy.time_limit_seconds - min(RESERVE_SECONDS, 0.05 * policy.time_limit_seconds)
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
        infeasible_detail.append(
            "pinned assignments exceed the budget cap of " + ", ".join(p.org_names[o] for o in np.flatnonzero(over))
        )

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

    # The plain optimum seeds the columns of the LP and is the MIP's hint.
    hint_flow, _, hint_timings = plain_flow(p, c, arcs, lambda _f, _msg: None)
    hint_flow = hint_flow - pinned
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
        tell(
            0.25 + 0.6 * number / max(len(blocks), 1),
            m.PROGRESS_SOLVING_BLOCK.format(index=number + 1, count=len(blocks), types=", ".join(types[:3])),
        )
        time_left = deadline - time.perf_counter()
        share_of_time = time_left * pair.size / pairs_left
        pairs_left -= pair.size
        block = _solve_block(
            p,
            c,
            arcs,
            pair,
            capped_org,
            budget_left,
            group_of_need,
            group_lower,
            local_rhs,
            hint_flow[pair],
            share_of_time,
            timings,
        )
        statuses.append(block.status)
        if block.status == Status.INFEASIBLE:
            notes.append(
                m.NOTE_INFEASIBLE.format(
                    detail=m.INFEASIBLE_BLOCK.format(
                        constraints=m.constraint_list(policy.side_constraints()), types=", ".join(types)
                    )
                )
            )
            return LinearOutcome(
                pinned.copy(), Status.INFEASIBLE, engine, None, capped_org & (budget_left <= 0.5), notes, timings
            )
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


def _whole_quanta(
    values: np.ndarray, row_need: np.ndarray, row_cap: np.ndarray, demand: np.ndarray, supply: np.ndarray
) -> np.ndarray:
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


class _Block:
    """The open pairs of one block as LP columns, with every row they touch.

    A family is one kind of row: for each column the row it lies in (-1 for
    none) and its coefficient there.  Rows with a lower bound (minimum
    shares, kept phase values) get an artificial slack column in every
    model, priced at ``penalty`` per unit, so restricted models are always
    feasible; a slack still used once pricing finds nothing proves the
    constraints cannot all hold.
    """

    def __init__(
        self,
        p: Problem,
        c: Compatibility,
        arcs: Arcs,
        pair: np.ndarray,
        capped_org: np.ndarray,
        budget_left: np.ndarray,
        group_of_need: np.ndarray,
        group_lower: dict[int, float],
        local_rhs: dict[int, float],
    ) -> None:
        policy = p.policy
        self.policy = policy
        self.n = n = pair.size
        self.need, self.cap = c.need[pair], c.cap[pair]
        self.upper = np.minimum(arcs.demand[self.need], arcs.supply[self.cap]).astype(np.float64)
        self.cost = c.unit_cost[pair].astype(np.float64)
        self.families: list[tuple[str, np.ndarray, np.ndarray]] = []
        self.row_lower: list[np.ndarray] = []
        self.row_upper: list[np.ndarray] = []
        self.ge_rows: list[int] = []
        self.n_rows = 0
        ones = np.ones(n)
        self.needs, self.need_row = np.unique(self.need, return_inverse=True)
        self._family("need", self.need_row, ones, -INF, arcs.demand[self.needs], self.needs.size)
        caps, cap_row = np.unique(self.cap, return_inverse=True)
        self._family("capacity", cap_row, ones, -INF, arcs.supply[caps], caps.size)
        org = p.cap_org[self.cap]
        capped = capped_org[org]
        if capped.any():
            orgs, org_row = np.unique(org[capped], return_inverse=True)
            rows = np.full(n, -1)
            rows[capped] = org_row
            self._family("budget", rows, self.cost, -INF, budget_left[orgs], orgs.size)
        if group_lower:
            g = group_of_need[self.need]
            inside = np.isin(g, np.array(sorted(group_lower), dtype=np.int64))
            if inside.any():
                present, g_row = np.unique(g[inside], return_inverse=True)
                rows = np.full(n, -1)
                rows[inside] = g_row
                self._family("coverage", rows, ones, [group_lower[int(x)] for x in present], INF, present.size)
        if local_rhs:
            kind = p.need_type[self.need]
            typed = np.isin(kind, np.array(sorted(local_rhs), dtype=np.int64))
            if typed.any():
                present, t_row = np.unique(kind[typed], return_inverse=True)
                rows = np.full(n, -1)
                rows[typed] = t_row
                coef = p.cap_local[self.cap].astype(np.float64) - policy.min_local_share
                self._family("local", rows, coef, [local_rhs[int(x)] for x in present], INF, present.size)
        if policy.single_provider:
            # LP relaxation of "one provider": the used fractions of a need's pairs add up to at most 1.
            self._family("single_relaxed", self.need_row, 1.0 / np.maximum(self.upper, 1.0), -INF, 1.0, self.needs.size)
        self.lot = np.minimum(self.upper, round(policy.min_lot_size * p.quantity_scale))
        self.fixed_zero = np.zeros(n, dtype=bool)  # pairs ruled out (cost phase after a MIP)
        self.column_lower = np.zeros(n)
        # Simplex basis carried from one restricted LP to the next (warm start).
        self.column_status = np.full(n, AT_LOWER, dtype=np.int64)
        self.row_status: np.ndarray | None = None
        self.slack_status: np.ndarray | None = None

    def basis(self, cols: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
        if self.row_status is None:
            return None
        rows = np.full(self.n_rows, BASIC, dtype=np.int64)
        rows[: self.row_status.size] = self.row_status
        slack = np.full(len(self.ge_rows), AT_LOWER, dtype=np.int64)
        slack[: self.slack_status.size] = self.slack_status
        return np.concatenate([self.column_status[cols], slack]), rows

    def remember(self, cols: np.ndarray, solved: _Solved) -> None:
        if solved.variable_status is None:
            return
        self.column_status[cols] = solved.variable_status[: cols.size]
        self.slack_status = solved.variable_status[cols.size :]
        self.row_status = solved.constraint_status

    def _family(self, kind: str, rows: np.ndarray, coef: np.ndarray, lower, upper, count: int) -> None:
        rows = np.asarray(rows, dtype=np.int64)
        self.families.append((kind, np.where(rows >= 0, rows + self.n_rows, -1), np.asarray(coef, dtype=np.float64)))
        lower = np.broadcast_to(np.asarray(lower, dtype=np.float64), (count,))
        self.row_lower.append(lower)
        self.row_upper.append(np.broadcast_to(np.asarray(upper, dtype=np.float64), (count,)))
        self.ge_rows.extend((self.n_rows + np.flatnonzero(np.isfinite(lower))).tolist())
        self.n_rows += count

    def keep(self, objective: np.ndarray, lower: float) -> None:
        """Add the row objective . x >= lower (a phase value to keep)."""
        self._family("keep", np.zeros(self.n, dtype=np.int64), objective, lower, INF, 1)

    def slack_needed(self, x: np.ndarray) -> np.ndarray:
        """Artificial slack each lower-bounded row needs for the flows x (0 when met)."""
        activity = np.zeros(self.n_rows)
        for kind, rows, coef in self.families:
            if kind != "single_relaxed":
                has = rows >= 0
                np.add.at(activity, rows[has], coef[has] * x[has])
        ge = np.array(self.ge_rows, dtype=np.int64)
        lower = np.concatenate(self.row_lower)[ge]
        return np.maximum(0.0, lower - activity[ge])

    def reduced_costs(self, objective: np.ndarray, duals: np.ndarray) -> np.ndarray:
        rc = objective.copy()
        for kind, rows, coef in self.families:
            if kind == "single_relaxed" and duals.size <= rows.max(initial=-1):
                continue
            has = rows >= 0
            rc[has] -= duals[rows[has]] * coef[has]
        return rc

    def proto(self, cols: np.ndarray, objective: np.ndarray, penalty: float, mixed_integer: bool = False):
        """ModelProto over the columns ``cols`` (maximise objective . x):
        x for each column, then (MIP) y for each column, then one artificial
        slack per row with a lower bound."""
        k = cols.size
        local = np.arange(k)
        entries_r, entries_c, entries_v = [], [], []
        for kind, rows, coef in self.families:
            if mixed_integer and kind == "single_relaxed":
                continue
            r = rows[cols]
            has = r >= 0
            entries_r.append(r[has])
            entries_c.append(local[has])
            entries_v.append(coef[cols][has])
        lower = np.concatenate(self.row_lower)
        upper = np.concatenate(self.row_upper)
        if mixed_integer and self.policy.single_provider:
            # Rows of the relaxation stay (empty) so that row ids do not move.
            pass
        n_rows = self.n_rows
        var_lower = [self.column_lower[cols]]
        var_upper = [np.where(self.fixed_zero[cols], 0.0, self.upper[cols])]
        integer = [np.zeros(k, dtype=bool)]
        obj = [objective[cols]]
        if mixed_integer:
            y = k + local
            var_lower.append(np.zeros(k))
            var_upper.append(np.ones(k))
            integer.append(np.ones(k, dtype=bool))
            obj.append(np.zeros(k))
            extra_lower, extra_upper = [], []
            # x - u y <= 0
            entries_r += [n_rows + local, n_rows + local]
            entries_c += [local, y]
            entries_v += [np.ones(k), -self.upper[cols]]
            extra_lower.append(np.full(k, -INF))
            extra_upper.append(np.zeros(k))
            n_rows += k
            if self.policy.min_lot_size > 0:
                entries_r += [n_rows + local, n_rows + local]
                entries_c += [local, y]
                entries_v += [np.ones(k), -self.lot[cols]]
                extra_lower.append(np.zeros(k))
                extra_upper.append(np.full(k, INF))
                n_rows += k
            if self.policy.single_provider:
                need_rows, need_local = np.unique(self.need_row[cols], return_inverse=True)
                entries_r.append(n_rows + need_local)
                entries_c.append(y)
                entries_v.append(np.ones(k))
                extra_lower.append(np.full(need_rows.size, -INF))
                extra_upper.append(np.ones(need_rows.size))
                n_rows += need_rows.size
            lower = np.concatenate([lower] + extra_lower)
            upper = np.concatenate([upper] + extra_upper)
        n_x = sum(v.size for v in var_lower)
        ge = np.array(self.ge_rows, dtype=np.int64)
        if ge.size:
            entries_r.append(ge)
            entries_c.append(n_x + np.arange(ge.size))
            entries_v.append(np.ones(ge.size))
            var_lower.append(np.zeros(ge.size))
            var_upper.append(np.full(ge.size, INF))
            integer.append(np.zeros(ge.size, dtype=bool))
            obj.append(np.full(ge.size, -penalty))
        r = np.concatenate(entries_r)
        col = np.concatenate(entries_c)
        v = np.concatenate(entries_v)
        keep = v != 0
        r, col, v = r[keep], col[keep], v[keep]
        order = np.lexsort((col, r))
        proto = model_pb2.ModelProto()
        n_vars = n_x + ge.size
        proto.variables.ids.extend(range(n_vars))
        proto.variables.lower_bounds.extend(np.concatenate(var_lower).tolist())
        proto.variables.upper_bounds.extend(np.concatenate(var_upper).tolist())
        proto.variables.integers.extend(np.concatenate(integer).tolist())
        proto.linear_constraints.ids.extend(range(n_rows))
        proto.linear_constraints.lower_bounds.extend(lower.tolist())
        proto.linear_constraints.upper_bounds.extend(upper.tolist())
        matrix = proto.linear_constraint_matrix
        matrix.row_ids.extend(r[order].tolist())
        matrix.column_ids.extend(col[order].tolist())
        matrix.coefficients.extend(v[order].tolist())
        coefficients = np.concatenate(obj)
        nz = np.flatnonzero(coefficients)
        proto.objective.maximize = True
        proto.objective.linear_coefficients.ids.extend(nz.tolist())
        proto.objective.linear_coefficients.values.extend(coefficients[nz].tolist())
        return proto, n_x


@dataclass
class _Phase:
    """Result of one LP phase over all columns of a block."""

    x: np.ndarray
    value: float
    bound: float
    converged: bool
    artificial: float
    columns: np.ndarray


def _lp_phase(
    block: _Block,
    objective: np.ndarray,
    columns: np.ndarray,
    penalty: float,
    deadline: float,
    timings: dict[str, float],
    price: bool = True,
) -> _Phase | None:
    """Maximise objective . x over the LP of the block by column generation
    (None when not even the first restricted LP finished in time):
    solve over the columns in use, price every other column with the duals,
    add the most promising, until none prices out (then the restricted
    optimum is the full LP optimum) or time runs out.  The bound is the
    restricted value plus what the priced-out columns could still add."""
    best: _Phase | None = None
    scale = max(1.0, float(np.abs(objective).max(initial=0.0)))
    tolerance = 1e-9 * scale
    while True:
        t0 = time.perf_counter()
        cols = np.flatnonzero(columns)
        proto, n_x = block.proto(cols, objective, penalty)
        t1 = time.perf_counter()
        timings["build"] += t1 - t0
        basis = block.basis(cols)
        # HiGHS is fastest from scratch; GLOP re-solves fastest from a basis.
        solver_type = COLD_LP_SOLVER if basis is None else LP_SOLVER
        solved = _solve(proto, solver_type, deadline - t1, 1, 0.0, None, basis)
        timings["solve"] += time.perf_counter() - t1
        block.remember(cols, solved)
        if solved.values is None or solved.duals is None:
            return best  # time limit (or solver trouble): what was found so far
        t2 = time.perf_counter()
        x = np.zeros(block.n)
        x[cols] = solved.values[: cols.size]
        rc = block.reduced_costs(objective, solved.duals)
        rc[columns | block.fixed_zero] = 0.0
        candidates = np.flatnonzero(rc > tolerance)
        restricted = float(solved.values @ _objective_of(proto))
        bound = restricted + float(rc[candidates] @ block.upper[candidates])
        best = _Phase(
            x=x,
            value=float(objective @ x),
            bound=bound,
            converged=candidates.size == 0,
            artificial=float(solved.values[n_x:].sum()),
            columns=columns.copy(),
        )
        timings["build"] += time.perf_counter() - t2
        if candidates.size == 0 or time.perf_counter() >= deadline or not price:
            return best
        take = max(2000, cols.size // 2)
        if candidates.size > take:
            candidates = candidates[np.argsort(-rc[candidates], kind="stable")[:take]]
        columns = columns.copy()
        columns[candidates] = True


def _objective_of(proto) -> np.ndarray:
    coefficients = np.zeros(len(proto.variables.ids))
    ids = np.array(proto.objective.linear_coefficients.ids, dtype=np.int64)
    coefficients[ids] = np.array(proto.objective.linear_coefficients.values, dtype=np.float64)
    return coefficients


def _initial_columns(block: _Block, hint: np.ndarray) -> np.ndarray:
    """The plain optimum's pairs and the few cheapest pairs of every need."""
    columns = hint > 0
    order = np.lexsort((block.cost, block.need))
    need_sorted = block.need[order]
    starts = np.flatnonzero(np.r_[True, need_sorted[1:] != need_sorted[:-1]])
    rank = np.arange(order.size) - np.repeat(starts, np.diff(np.r_[starts, order.size]))
    columns[order[rank < INITIAL_PER_NEED]] = True
    return columns


@dataclass
class _BlockOutcome:
    flow: np.ndarray
    status: Status
    bound: float | None


def _solve_block(
    p: Problem,
    c: Compatibility,
    arcs: Arcs,
    pair: np.ndarray,
    capped_org: np.ndarray,
    budget_left: np.ndarray,
    group_of_need: np.ndarray,
    group_lower: dict[int, float],
    local_rhs: dict[int, float],
    hint: np.ndarray,
    seconds: float,
    timings: dict[str, float],
) -> _BlockOutcome:
    """Phases of LP by column generation; with discrete rules, each phase's LP
    optimum is made discrete by diving (rule-breaking pairs fixed to zero, LP
    solved again, warm), then a MIP on the useful columns, started from the
    dive, may improve it in the time left."""
    policy = p.policy
    started = time.perf_counter()
    deadline = started + seconds
    block = _Block(p, c, arcs, pair, capped_org, budget_left, group_of_need, group_lower, local_rhs)
    discrete = policy.has_discrete_constraints
    weight = p.need_weight[block.need].astype(np.float64)
    if policy.value_per_weighted_unit is not None:
        phases = [arcs.unit_value[block.need].astype(np.float64) - block.cost]
    elif policy.lexicographic:
        levels = sorted(set(p.need_priority[block.need].tolist()), reverse=True)
        phases = [(p.need_priority[block.need] == level).astype(np.float64) for level in levels] + [-block.cost]
    else:
        phases = [weight, -block.cost]
    share = min(policy.min_local_share, 1 - policy.min_local_share) if policy.min_local_share > 0 else 1.0
    penalty = PENALTY * max(1.0, float(np.abs(np.concatenate(phases)).max(initial=1.0))) / max(share, 1e-3)
    columns = _initial_columns(block, hint)
    timings["build"] += time.perf_counter() - started

    status = Status.OPTIMAL
    bound: float | None = None
    x: np.ndarray | None = None
    for index, objective in enumerate(phases):
        phase = _lp_phase(block, objective, columns, penalty, deadline, timings)
        if phase is None:  # no solution within the time limit
            status = Status.TIMED_OUT
            break
        if phase.converged and phase.artificial > ARTIFICIAL_TOLERANCE:
            # Slack still needed although nothing prices out: the rows cannot all hold.
            if index == 0:
                return _BlockOutcome(np.zeros(block.n, dtype=np.int64), Status.INFEASIBLE, None)
            break  # rounding noise in a kept row: keep the previous phase
        if phase.artificial > ARTIFICIAL_TOLERANCE:
            status = Status.TIMED_OUT  # stopped before the minimum shares were met
            break
        if index == 0:
            bound = phase.bound
        if discrete:
            x = phase.x  # the LP bound; the MIP takes it from here
            break
        columns = phase.columns
        x = phase.x
        if not phase.converged:
            status = Status.TIMED_OUT
            break
        if index < len(phases) - 1:
            block.keep(objective, phase.value - KEEP_RELATIVE * abs(phase.value) - KEEP_ABSOLUTE)
    if discrete and x is not None and bound is not None:
        support = (x > NEAR_WHOLE) | (hint > 0)
        start_x = _discrete_start(block, x, phases[0], penalty, deadline, timings)
        if single.applies(p):
            # A greedy + local search incumbent, usually far better than the rounded LP optimum.
            t0 = time.perf_counter()
            searched = single.search(p, c, arcs, pair, t0 + SEARCH_SHARE * (deadline - t0)).astype(np.float64)
            timings["solve"] += time.perf_counter() - t0
            if phases[0] @ searched > phases[0] @ start_x:
                start_x = searched
            support |= searched > 0
        better, mip_status, bound = _mixed_integer(block, phases, support, start_x, penalty, bound, deadline, timings)
        start_ok = bool((block.slack_needed(start_x) <= ARTIFICIAL_TOLERANCE).all())
        # A MIP stopped early may return worse than the start it was given.
        start_value = float(phases[0] @ start_x)
        worse = better is not None and phases[0] @ better < start_value - 1e-6 * max(1.0, abs(start_value))
        if better is not None and not (start_ok and worse):
            x, status = better, mip_status
        elif start_ok:
            x, status = start_x, Status.TIMED_OUT  # the rounded LP optimum or the search's incumbent
        else:
            x, status = None, Status.TIMED_OUT
    if x is None:
        return _BlockOutcome(np.zeros(block.n, dtype=np.int64), Status.TIMED_OUT, bound)
    flow = _whole_quanta(
        x,
        block.need_row,
        np.unique(block.cap, return_inverse=True)[1],
        arcs.demand[block.needs],
        arcs.supply[np.unique(block.cap)],
    )
    if discrete:
        flow = _respect_lots(block, flow)
    # Whole quanta may lose a little of a fractional LP optimum.
    if (
        status == Status.OPTIMAL
        and bound is not None
        and not policy.lexicographic
        and bound - float(phases[0] @ flow) > 1e-9 * max(1.0, abs(bound))
    ):
        status = Status.FEASIBLE
    return _BlockOutcome(flow, status, None if policy.lexicographic else bound)


def _discrete_start(
    block: _Block, x: np.ndarray, objective: np.ndarray, penalty: float, deadline: float, timings: dict[str, float]
) -> np.ndarray:
    """A start for the MIP from the LP optimum x: with one provider per need,
    the LP again over each need's largest pair only (which keeps every side
    constraint); then rule-breaking pairs (below the lot) set to zero."""
    start = x
    if block.policy.single_provider:
        pattern = (x > NEAR_WHOLE) & ~_rule_breakers(block, x, lots=False)
        block.fixed_zero = ~pattern
        block.row_status = block.slack_status = None
        again = _lp_phase(block, objective, pattern, penalty, deadline, timings, price=False)
        if again is not None and again.artificial <= ARTIFICIAL_TOLERANCE:
            start = again.x
        block.fixed_zero = np.zeros(block.n, dtype=bool)
        block.row_status = block.slack_status = None
    return np.where(_rule_breakers(block, start), 0.0, start)


def _rule_breakers(block: _Block, x: np.ndarray, lots: bool = True) -> np.ndarray:
    """Pairs whose flow breaks a discrete rule: below the minimum lot, or a
    need's second and further providers (the largest one stays)."""
    used = x > NEAR_WHOLE
    bad = np.zeros(block.n, dtype=bool)
    if lots and block.policy.min_lot_size > 0:
        bad |= used & (x < block.lot - NEAR_WHOLE)
    if block.policy.single_provider:
        order = np.lexsort((np.arange(block.n), -x, block.need))
        first = np.r_[True, block.need[order][1:] != block.need[order][:-1]]
        bad[order[~first]] |= used[order[~first]]
    return bad


def _mixed_integer(
    block: _Block,
    phases: list[np.ndarray],
    columns: np.ndarray,
    start_x: np.ndarray,
    penalty: float,
    lp_bound: float,
    deadline: float,
    timings: dict[str, float],
) -> tuple[np.ndarray | None, Status, float]:
    """The discrete rules as a MIP (y_k in {0, 1}) on the columns of the LP
    optimum's support and the plain optimum, started from the LP optimum
    with its rule-breaking pairs set to zero, phase by phase (each started
    from the previous one); then an LP polishes the cost over the pairs (and
    lots) chosen, in case the cost MIP stopped early.  The bound is the LP
    bound, or the MIP's own when the model holds every column and it proved
    optimality."""
    policy = block.policy
    cols = np.flatnonzero(columns)
    complete = cols.size == block.n
    bound = lp_bound
    x: np.ndarray | None = None
    status = Status.OPTIMAL
    start = start_x.copy()
    # Every phase is a MIP (the cost phase may stop early: it starts from
    # the previous phase's solution, which is feasible for it).
    for index, objective in enumerate(phases):
        now = time.perf_counter()
        if now >= deadline - 0.05:
            status = Status.TIMED_OUT if index < len(phases) - 1 else status
            break
        proto, n_x = block.proto(cols, objective, penalty, mixed_integer=True)
        hint = np.concatenate([start[cols], (start[cols] > NEAR_WHOLE).astype(np.float64), block.slack_needed(start)])
        t1 = time.perf_counter()
        timings["build"] += t1 - now
        last = index == len(phases) - 1 and len(phases) > 1
        seconds = (deadline - t1) * (1 - POLISH_SHARE)
        if not last and len(phases) > 1:
            # The maximising phases share most of the time; the cost phase gets the rest.
            seconds *= MIP_FIRST_PHASE_SHARE / (len(phases) - 1 - index)
        solved = _solve(proto, MIP_SOLVER, seconds, policy.threads, policy.relative_gap, hint)
        timings["solve"] += time.perf_counter() - t1
        if solved.values is None or solved.values[n_x:].sum() > ARTIFICIAL_TOLERANCE:
            if not last:
                status = Status.TIMED_OUT
            break
        candidate = np.zeros(block.n)
        candidate[cols] = solved.values[: cols.size]
        value = float(objective @ candidate)
        if index == 0 and complete and solved.reason == TR.TERMINATION_REASON_OPTIMAL and math.isfinite(solved.dual):
            bound = min(lp_bound, solved.dual)
        x = start = candidate
        if solved.reason != TR.TERMINATION_REASON_OPTIMAL and not last:
            status = Status.TIMED_OUT if solved.limit == result_pb2.LimitProto.LIMIT_TIME else Status.FEASIBLE
        if index == 0 and bound - value > 1e-9 * max(1.0, abs(bound)) and status == Status.OPTIMAL:
            status = Status.FEASIBLE
        if not last:
            block.keep(objective, value - KEEP_RELATIVE * abs(value) - KEEP_ABSOLUTE)
    if x is not None and len(phases) > 1:
        # Polish the cost with the pairs (and lots) the MIP chose: an LP.
        chosen = x > NEAR_WHOLE
        block.fixed_zero = ~chosen
        if policy.min_lot_size > 0:
            block.column_lower = np.where(chosen, block.lot, 0.0)
        block.row_status = block.slack_status = None
        polished = _lp_phase(block, phases[-1], chosen, penalty, deadline, timings, price=False)
        if polished is not None and polished.artificial <= ARTIFICIAL_TOLERANCE:
            x = polished.x
    return x, status, bound


def _respect_lots(block: _Block, flow: np.ndarray) -> np.ndarray:
    """After rounding, drop any pair left below its minimum lot."""
    if block.policy.min_lot_size > 0:
        flow = np.where((flow > 0) & (flow < block.lot), 0, flow)
    return flow
