"""The allocation run: validate, match, optimise, explain, report."""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable, Sequence
from dataclasses import replace
from datetime import date

import numpy as np

from . import messages as m
from .access import AccessIndex, WindowAccess, allowed, build_access, describe, window_access
from .arcs import open_arcs, plain_flow
from .compatibility import Compatibility, find_compatible_pairs
from .explain import ExplainContext, explain
from .fingerprint import fingerprint
from .model import (
    AccessRule,
    AdminArea,
    AllocationResult,
    Assignment,
    Capacity,
    Coverage,
    CoverageFigure,
    ForbiddenPair,
    InvalidInput,
    Need,
    Pin,
    PlanSpec,
    Policy,
    Status,
)
from .plan import Periods, make_periods, mobilisation_days, solve_plan
from .problem import OPEN_END, Problem, build_problem

Progress = Callable[[float, str], None]


def _silent(fraction: float, message: str) -> None:
    return None


def grouped_coverage(keys: Sequence[Hashable] | np.ndarray, needed: np.ndarray, met: np.ndarray) -> dict:
    """Units needed and met per group: needs that share a key added up, in the needs' order.

    ``keys[i]`` is the group of need ``i`` (any sortable values: codes, indices), ``needed`` and ``met`` its units
    (float arrays of the same length). Returns {key: CoverageFigure} in ascending key order; no needs, no groups.
    The one place coverage is grouped: the core's own figures and the stored run's figures (by sector, area …)."""
    if len(keys) == 0:
        return {}
    codes, index = np.unique(np.asarray(keys), return_inverse=True)
    total_needed = np.bincount(index, weights=needed, minlength=codes.size)
    total_met = np.bincount(index, weights=met, minlength=codes.size)
    return {code: CoverageFigure(float(total_needed[k]), float(total_met[k])) for k, code in enumerate(codes.tolist())}


def _coverage(
    problem: Problem,
    met: np.ndarray,
    compat: Compatibility | None = None,
    deliveries=None,
    periods: Periods | None = None,
) -> Coverage:
    p = problem
    scale = p.quantity_scale
    needed = p.need_quantity.astype(np.float64) / scale
    got = met.astype(np.float64) / scale
    weight = p.need_weight.astype(np.float64)
    n_types = len(p.type_names)
    admin1 = p.areas.admin1[p.need_area]
    type_figures = grouped_coverage(p.need_type, needed, got)
    by_type = {p.type_names[t]: figure for t, figure in type_figures.items()}
    by_admin1 = {p.areas.codes[a]: figure for a, figure in grouped_coverage(admin1, needed, got).items()}
    by_pair = {
        (p.areas.codes[code // max(n_types, 1)], p.type_names[code % max(n_types, 1)]): figure
        for code, figure in grouped_coverage(admin1 * max(n_types, 1) + p.need_type, needed, got).items()
    }
    by_period: dict[str, CoverageFigure] = {}
    by_period_type: dict[tuple[str, str], CoverageFigure] = {}
    if deliveries is not None and periods is not None:
        need_of = compat.need[deliveries.pair]
        units = deliveries.quantity.astype(np.float64) / scale
        n_periods = periods.count
        share = units * weight[need_of] / needed[need_of]  # unit-free: each need's share, priority-weighted
        weighted = np.cumsum(np.bincount(deliveries.period, weights=share, minlength=n_periods))
        typed = np.bincount(
            deliveries.period * max(n_types, 1) + p.need_type[need_of],
            weights=units,
            minlength=n_periods * max(n_types, 1),
        ).reshape(n_periods, max(n_types, 1))
        typed = np.cumsum(typed, axis=0)
        weighted_needed = float(weight.sum())
        for q, day in enumerate(periods.dates):
            by_period[day.isoformat()] = CoverageFigure(weighted_needed, float(weighted[q]))
            for t in np.unique(p.need_type).tolist():
                by_period_type[(day.isoformat(), p.type_names[t])] = CoverageFigure(
                    type_figures[t].needed, float(typed[q, t])
                )
    return Coverage(
        overall=CoverageFigure(float(needed.sum()), float(got.sum())),
        weighted=CoverageFigure(float((needed * weight).sum()), float((got * weight).sum())),
        by_resource_type=by_type,
        by_admin1=by_admin1,
        by_admin1_and_type=by_pair,
        fully_met=CoverageFigure(float(p.need_count), float((met >= p.need_quantity).sum())),
        priority_share=CoverageFigure(float(weight.sum()), float((weight * got / np.maximum(needed, 1e-300)).sum())),
        by_period=by_period,
        by_period_and_type=by_period_type,
    )


def totals(problem: Problem, compat: Compatibility, flow: np.ndarray) -> tuple[float, float]:
    """(weighted units, cost in currency) of a flow, computed exactly in
    integers and divided once."""
    p = problem
    positive = np.flatnonzero(flow > 0)
    f = flow[positive].astype(object)
    weighted = int(np.dot(f, p.need_weight[compat.need[positive]].astype(object))) if positive.size else 0
    cost = int(np.dot(f, compat.unit_cost[positive].astype(object))) if positive.size else 0
    return weighted / p.quantity_scale, cost / (p.quantity_scale * p.cost_scale)


def allocate(
    needs: Sequence[Need],
    capacities: Sequence[Capacity],
    *,
    areas: Sequence[AdminArea] | None = None,
    policy: Policy | None = None,
    pins: Sequence[Pin] = (),
    forbidden: Sequence[ForbiddenPair] = (),
    progress: Progress | None = None,
    access: Sequence[AccessRule] = (),
    plan: PlanSpec | None = None,
) -> AllocationResult:
    """Allocate capacities to needs; the single entry point of the core.

    areas: the admin-area tree; None means the hierarchy is unknown and a
    capacity covers only the exact P-codes it lists.  pins: fixed
    assignments (kept exactly); forbidden: pairs never used (e.g. partners'
    declines).  progress(fraction in [0, 1], message) is called between
    phases and blocks (from the calling thread).  access: security rules per
    area and time (see ``access.py``); without a plan a pair is judged over
    the need's whole window.  plan: plan over periods (see ``plan.py``): the
    assignments then carry their period; side constraints and the value
    trade-off are not available with a plan (InvalidInput).

    Returns an AllocationResult (see there).  The same input, in any order,
    gives the same result apart from timings.  Raises InvalidInput (a
    ValueError) listing what is wrong with the input or policy.
    """
    started = time.perf_counter()
    policy = policy or Policy()
    tell = progress or _silent
    timings: dict[str, float] = {}

    def lap(name: str, since: float) -> float:
        now = time.perf_counter()
        timings[name] = timings.get(name, 0.0) + now - since
        return now

    tell(0.0, m.PROGRESS_CHECKING)
    problem = build_problem(needs, capacities, areas, policy, pins, forbidden)
    if plan is not None and policy.value_per_weighted_unit is not None:
        raise InvalidInput(m.NOTE_PLAN_UNSUPPORTED.format(what="value_per_weighted_unit"))
    if plan is None and policy.budget_per_period:
        raise InvalidInput(m.NOTE_BUDGET_PER_PERIOD_NEEDS_PLAN)
    digest = fingerprint(needs, capacities, areas, policy, pins, forbidden, access=access, plan=plan)
    access_index = build_access(problem, access) if access else None
    periods = make_periods(problem, plan) if plan is not None else None
    now = lap("prepare", started)
    tell(0.1, m.PROGRESS_MATCHING)
    compat = find_compatible_pairs(problem)
    access_params: dict[int, tuple[str, dict]] = {}
    if access_index is not None and periods is None:
        rows = window_access(problem, access_index, np.arange(problem.need_count), problem.need_start, problem.need_end)
        blocked = ~allowed(access_index, rows, compat.need, compat.cap)
        if (blocked & compat.pinned).any():
            raise InvalidInput(
                "pinned pairs must be allowed by the access rules: "
                + ", ".join(
                    f"{problem.needs[i].id} / {problem.capacities[j].id}"
                    for i, j in zip(compat.need[blocked & compat.pinned][:20], compat.cap[blocked & compat.pinned][:20])
                )
            )
        compat.block(blocked, problem.need_count, problem.cap_count)
        access_params = _access_params(problem, access_index, rows, areas, None)
    now = lap("compatibility", now)
    tell(0.2, m.PROGRESS_BUILDING)
    arcs = open_arcs(problem, compat)
    notes = list(problem.notes)
    bound: float | None = None
    saturated = None
    deliveries = None
    if periods is not None:
        if policy.has_side_constraints:
            from .plan_linear import solve_plan_with_side_constraints

            constrained = solve_plan_with_side_constraints(problem, compat, arcs, access_index, periods, started, tell)
            outcome, status, engine = constrained.plan, constrained.status, constrained.engine
            bound, saturated = constrained.bound, constrained.saturated_org
            notes += constrained.notes
        else:
            outcome = solve_plan(problem, compat, arcs, access_index, periods, tell)
            status, engine = Status.OPTIMAL, "time_expanded_min_cost_flow"
        compat.block(outcome.blocked, problem.need_count, problem.cap_count)
        if outcome.access_rows is not None:
            access_params = _access_params(problem, access_index, outcome.access_rows, areas, periods)
        flow, deliveries = outcome.flow, outcome
        notes += outcome.notes
        timings["build"] = outcome.timings["build"]
        timings["solve"] = outcome.timings["solve"]
        now = time.perf_counter()
    elif policy.has_side_constraints:
        from .linear import solve_with_side_constraints

        outcome = solve_with_side_constraints(problem, compat, arcs, started, tell)
        flow, status, engine = outcome.flow, outcome.status, outcome.engine
        bound, saturated = outcome.bound, outcome.saturated_org
        notes += outcome.notes
        timings["build"] = timings.get("build", 0.0) + outcome.timings["build"]
        timings["solve"] = outcome.timings["solve"]
        now = time.perf_counter()
    else:
        build_started = now
        flow, _method, flow_timings = plain_flow(problem, compat, arcs, tell)
        now = time.perf_counter()
        timings["solve"] = flow_timings["solve"]
        timings["build"] = (now - build_started) - flow_timings["solve"]
        status, engine = Status.OPTIMAL, "min_cost_flow"
        if now - started > policy.time_limit_seconds:
            notes.append(m.NOTE_FLOW_OVER_TIME.format(seconds=round(now - started, 2)))
    tell(0.9, m.PROGRESS_EXPLAINING)
    ready = None
    if periods is not None and (problem.need_lead > 0).any():
        ready = mobilisation_days(problem, compat, int(periods.start[0]))
    explanations = explain(
        problem,
        compat,
        flow,
        ExplainContext(
            status, arcs.unit_value, saturated, access_params=access_params, plan=periods is not None, ready=ready
        ),
    )
    now = lap("explain", now)

    weighted, cost = totals(problem, compat, flow)
    if policy.value_per_weighted_unit is not None:
        objective = policy.value_per_weighted_unit * weighted - cost
    else:
        objective = weighted
    if status == Status.OPTIMAL and bound is None:
        bound = objective
    gap = None if bound is None else max(0.0, bound - objective) / max(abs(bound), 1e-9)
    met = np.bincount(compat.need, weights=flow, minlength=problem.need_count).astype(np.int64)
    used = np.bincount(compat.cap, weights=flow, minlength=problem.cap_count).astype(np.int64)
    result = AllocationResult(
        status=status,
        objective=objective,
        weighted_units=weighted,
        cost=cost,
        bound=bound,
        gap=gap,
        assignments=(
            _assignments(problem, compat, flow)
            if deliveries is None
            else _plan_assignments(problem, compat, deliveries, periods)
        ),
        met=dict(zip(problem.need_ids, (met / problem.quantity_scale).tolist())),
        used=dict(zip(problem.cap_ids, (used / problem.quantity_scale).tolist())),
        coverage=_coverage(problem, met, compat, deliveries, periods),
        explanations=explanations,
        timings=timings,
        seconds=0.0,
        engine=engine,
        fingerprint=digest,
        notes=tuple(notes),
        periods=periods.dates if periods is not None else (),
    )
    lap("result", now)
    tell(1.0, m.PROGRESS_DONE)
    return replace(result, seconds=time.perf_counter() - started)


def _assignments(problem: Problem, compat: Compatibility, flow: np.ndarray) -> tuple[Assignment, ...]:
    p, c = problem, compat
    positive = np.flatnonzero(flow > 0)
    quantity = flow[positive] / p.quantity_scale
    unit_cost = c.unit_cost[positive] / p.cost_scale
    cost = (flow[positive].astype(np.float64) * c.unit_cost[positive]) / (p.quantity_scale * p.cost_scale)
    need_ids, cap_ids = p.need_ids, p.cap_ids
    return tuple(
        Assignment(need_id=need_ids[i], capacity_id=cap_ids[j], quantity=q, unit_cost=u, cost=k, pinned=pin)
        for i, j, q, u, k, pin in zip(
            c.need[positive].tolist(),
            c.cap[positive].tolist(),
            quantity.tolist(),
            unit_cost.tolist(),
            cost.tolist(),
            c.pinned[positive].tolist(),
        )
    )


def _plan_assignments(problem: Problem, compat: Compatibility, deliveries, periods: Periods) -> tuple[Assignment, ...]:
    """One assignment per (pair, period), ordered by need, capacity, period."""
    p, c = problem, compat
    order = np.lexsort((deliveries.period, deliveries.pair))
    pair, period = deliveries.pair[order], deliveries.period[order]
    flow, pinned = deliveries.quantity[order], deliveries.pinned[order]
    dates = periods.dates
    unit_cost = c.unit_cost[pair] / p.cost_scale
    cost = flow.astype(np.float64) * c.unit_cost[pair] / (p.quantity_scale * p.cost_scale)
    need_ids, cap_ids = p.need_ids, p.cap_ids
    return tuple(
        Assignment(
            need_id=need_ids[i], capacity_id=cap_ids[j], quantity=q, unit_cost=u, cost=k, pinned=pin, period=dates[t]
        )
        for i, j, q, u, k, pin, t in zip(
            c.need[pair].tolist(),
            c.cap[pair].tolist(),
            (flow / p.quantity_scale).tolist(),
            unit_cost.tolist(),
            cost.tolist(),
            pinned.tolist(),
            period.tolist(),
        )
    )


def _access_params(
    problem: Problem,
    access: AccessIndex,
    rows: WindowAccess,
    areas: Sequence[AdminArea] | None,
    periods: Periods | None,
) -> dict[int, tuple[str, dict]]:
    """For each need that access restricts somewhere in its window: the reason
    and parameters of its explanation (first restricted period)."""
    names = {a.pcode: a.name for a in areas or ()}
    out: dict[int, tuple[str, dict]] = {}
    n_periods = periods.count if periods is not None else 1
    restricted = np.flatnonzero(rows.level > 0)
    for row in restricted.tolist():
        i = row // n_periods
        if i in out:
            continue
        need = problem.needs[i]
        level, clearances = describe(access, int(rows.rule[row]))
        if periods is not None:
            day = date.fromordinal(int(periods.start[row % n_periods]))
            if (
                problem.need_start[i] > periods.end[row % n_periods]
                or problem.need_end[i] < periods.start[row % n_periods]
            ):
                continue
            when = {
                "period_kind": "week" if periods.kind == "week" else "month",
                "period_start": day.isoformat(),
                "period_end": None,
            }
        else:
            end = problem.need_end[i]
            when = {
                "period_kind": "window",
                "period_start": date.fromordinal(int(problem.need_start[i])).isoformat(),
                "period_end": None if end >= OPEN_END else date.fromordinal(int(end)).isoformat(),
            }
        out[i] = (
            m.NO_GO if level == "no_go" else m.NO_ACCESS,
            {
                "area": names.get(need.pcode) or need.pcode,
                "pcode": need.pcode,
                **when,
                "clearances": clearances,
                "level": level,
            },
        )
    return out
