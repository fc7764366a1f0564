"""The allocation run: validate, match, optimise, explain, report."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import replace

import numpy as np

from . import messages as m
from .arcs import open_arcs, plain_flow
from .compatibility import Compatibility, find_compatible_pairs
from .explain import ExplainContext, explain
from .fingerprint import fingerprint
from .model import (
    AdminArea,
    AllocationResult,
    Assignment,
    Capacity,
    Coverage,
    CoverageFigure,
    ForbiddenPair,
    Need,
    Pin,
    Policy,
    Status,
)
from .problem import Problem, build_problem

Progress = Callable[[float, str], None]


def _silent(fraction: float, message: str) -> None:
    return None


def _coverage(problem: Problem, met: np.ndarray) -> Coverage:
    p = problem
    scale = p.quantity_scale
    needed = p.need_quantity.astype(np.float64) / scale
    got = met.astype(np.float64) / scale
    weight = p.need_weight.astype(np.float64)
    n_types = len(p.type_names)
    admin1 = p.areas.admin1[p.need_area]

    def figures(keys: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
        return np.bincount(keys, weights=needed, minlength=size), np.bincount(keys, weights=got, minlength=size)

    t_need, t_met = figures(p.need_type, n_types)
    by_type = {p.type_names[t]: CoverageFigure(float(t_need[t]), float(t_met[t])) for t in np.unique(p.need_type)}
    a_codes, a_index = np.unique(admin1, return_inverse=True)
    a_need, a_met = figures(a_index, a_codes.size)
    by_admin1 = {p.areas.codes[a]: CoverageFigure(float(a_need[k]), float(a_met[k])) for k, a in enumerate(a_codes)}
    pair_codes, pair_index = np.unique(admin1 * max(n_types, 1) + p.need_type, return_inverse=True)
    g_need, g_met = figures(pair_index, pair_codes.size)
    by_pair = {
        (p.areas.codes[code // max(n_types, 1)], p.type_names[code % max(n_types, 1)]):
            CoverageFigure(float(g_need[k]), float(g_met[k]))
        for k, code in enumerate(pair_codes.tolist())
    }
    return Coverage(
        overall=CoverageFigure(float(needed.sum()), float(got.sum())),
        weighted=CoverageFigure(float((needed * weight).sum()), float((got * weight).sum())),
        by_resource_type=by_type,
        by_admin1=by_admin1,
        by_admin1_and_type=by_pair,
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
) -> AllocationResult:
    """Allocate capacities to needs; the single entry point of the core.

    areas: the admin-area tree; None means the hierarchy is unknown and a
    capacity covers only the exact P-codes it lists.  pins: fixed
    assignments (kept exactly); forbidden: pairs never used (e.g. partners'
    declines).  progress(fraction in [0, 1], message) is called between
    phases and blocks (from the calling thread).

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
    digest = fingerprint(needs, capacities, areas, policy, pins, forbidden)
    now = lap("prepare", started)
    tell(0.1, m.PROGRESS_MATCHING)
    compat = find_compatible_pairs(problem)
    now = lap("compatibility", now)
    tell(0.2, m.PROGRESS_BUILDING)
    arcs = open_arcs(problem, compat)
    notes = list(problem.notes)
    bound: float | None = None
    saturated = None
    if policy.has_side_constraints:
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
        flow, method, flow_timings = plain_flow(problem, compat, arcs, tell)
        now = time.perf_counter()
        timings["solve"] = flow_timings["solve"]
        timings["build"] = (now - build_started) - flow_timings["solve"]
        status, engine = Status.OPTIMAL, "min_cost_flow"
        if now - started > policy.time_limit_seconds:
            notes.append(m.NOTE_FLOW_OVER_TIME.format(seconds=round(now - started, 2)))
    tell(0.9, m.PROGRESS_EXPLAINING)
    explanations = explain(problem, compat, flow, ExplainContext(status, arcs.unit_value, saturated))
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
        assignments=_assignments(problem, compat, flow),
        met=dict(zip(problem.need_ids, (met / problem.quantity_scale).tolist())),
        used=dict(zip(problem.cap_ids, (used / problem.quantity_scale).tolist())),
        coverage=_coverage(problem, met),
        explanations=explanations,
        timings=timings,
        seconds=0.0,
        engine=engine,
        fingerprint=digest,
        notes=tuple(notes),
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
            c.need[positive].tolist(), c.cap[positive].tolist(), quantity.tolist(), unit_cost.tolist(),
            cost.tolist(), c.pinned[positive].tolist(),
        )
    )
