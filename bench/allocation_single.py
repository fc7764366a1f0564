"""Benchmark of one provider per need on 10,000 needs x 5,000 capacities: gap to a proven bound, HiGHS MIP beside it.

Usage:
    .venv/bin/python bench/allocation_single.py [--time-limit 30] [--highs-limit 30]

Same seeded instance as bench/allocation.py.  Reports, for the policy with
one provider per need as its only side constraint:
- coordhub (``allocate``): status, wall and CPU seconds, weighted units,
  proven bound (the LP relaxation with x_ij <= min(q_i, c_j) y_ij) and gap;
- the greedy + batched local search alone (coordhub/allocation/core/single.py),
  run to its local optimum without the perturbations that follow it in
  ``allocate``: weighted units, gap to the same bound, CPU s (the CPU-time
  budget the incumbent needs, whatever the load);
- a CPU-time budget of the same limit: the CPU seconds ``allocate`` spent
  outside the search (preparation, plain flow, LP bound, MIP, explanations)
  are taken off, and the search with its perturbations runs for the rest
  of the budget in CPU seconds (``clock=time.process_time``), each type
  getting a share by its pairs: what the limit gives with the CPU to itself;
- the bound without the rule (the plain min-cost flow optimum);
- HiGHS (scipy.optimize.milp) on the same MIP (x_ij integer units, y_ij
  binary, x_ij <= min(q_i, c_j) y_ij, sum_j y_ij <= 1, need and capacity
  rows, maximise weighted units) with the same time limit: its best
  solution, its dual bound and gap.
The machine is shared: CPU seconds of this process are printed beside wall
seconds, with the load average before and after, and the peak memory
(ru_maxrss) of the process.  Results go to bench/results/allocation_single.{json,md} (other
time limits: allocation_single_<limit>s.{json,md}).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench.allocation import DISTANCE_COST_PER_KM, make_instance  # noqa: E402
from coordhub.allocation.core import Policy, allocate, linear  # noqa: E402
from coordhub.allocation.core.arcs import blocks_by_type, open_arcs, plain_flow  # noqa: E402
from coordhub.allocation.core.compatibility import find_compatible_pairs  # noqa: E402
from coordhub.allocation.core.problem import build_problem  # noqa: E402
from coordhub.allocation.core.single import search  # noqa: E402

RESULTS = ROOT / "bench" / "results"


def timed(fn):
    wall, cpu = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - wall, time.process_time() - cpu


def highs_mip(problem, compat, arcs, seconds: float) -> dict:
    """The single-provider MIP for HiGHS through scipy.optimize.milp."""
    from scipy.optimize import Bounds, LinearConstraint, milp
    from scipy.sparse import coo_matrix, vstack

    pair = arcs.pair
    n = pair.size
    need, cap = compat.need[pair], compat.cap[pair]
    u = np.minimum(arcs.demand[need], arcs.supply[cap]).astype(np.float64)
    n_needs, n_caps = problem.need_count, problem.cap_count
    ones, idx = np.ones(n), np.arange(n)
    rows_x = coo_matrix(
        (np.r_[ones, ones], (np.r_[need, n_needs + cap], np.r_[idx, idx])), shape=(n_needs + n_caps, 2 * n)
    )
    rows_y = coo_matrix((ones, (need, n + idx)), shape=(n_needs, 2 * n))
    link = coo_matrix((np.r_[ones, -u], (np.r_[idx, idx], np.r_[idx, n + idx])), shape=(n, 2 * n))
    matrix = vstack([rows_x, rows_y, link]).tocsr()
    upper = np.r_[arcs.demand, arcs.supply, np.ones(n_needs), np.zeros(n)].astype(np.float64)
    objective = np.r_[-problem.need_weight[need].astype(np.float64), np.zeros(n)]
    solved, wall, cpu = timed(
        lambda: milp(
            objective,
            constraints=LinearConstraint(matrix, -np.inf, upper),
            integrality=np.ones(2 * n),
            bounds=Bounds(np.zeros(2 * n), np.r_[u, np.ones(n)]),
            options={"time_limit": seconds},
        )
    )
    out = {"wall_s": round(wall, 2), "cpu_s": round(cpu, 2), "message": str(solved.message)}
    if solved.x is not None:
        out["weighted_units"] = float(-solved.fun) / problem.quantity_scale
    bound = getattr(solved, "mip_dual_bound", None)
    if bound is not None and np.isfinite(bound):
        out["bound"] = float(-bound) / problem.quantity_scale
        if "weighted_units" in out:
            out["gap"] = max(0.0, out["bound"] - out["weighted_units"]) / out["bound"]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--time-limit", type=float, default=30.0)
    parser.add_argument("--highs-limit", type=float, default=30.0)
    parser.add_argument("--no-highs", action="store_true")
    parser.add_argument("--rewrite", action="store_true", help="only write the .md again from the stored .json")
    args = parser.parse_args()
    if args.rewrite:
        stem = "allocation_single" if args.time_limit == 30 else f"allocation_single_{args.time_limit:.0f}s"
        stored = json.loads((RESULTS / f"{stem}.json").read_text())
        write_results(stored["row"], stored["meta"])
        return
    load_before = os.getloadavg()
    needs, capacities, areas = make_instance(10_000, 5_000)
    policy = Policy(distance_cost_per_km=DISTANCE_COST_PER_KM, time_limit_seconds=args.time_limit, single_provider=True)
    allocate(needs[:200], capacities[:100], areas=areas, policy=policy)  # imports and first calls
    # The CPU seconds of the search inside allocate, to tell them from the rest.
    search_cpu = [0.0]
    inner_search = linear.single.search

    def counted_search(*args, **kwargs):
        started = time.process_time()
        try:
            return inner_search(*args, **kwargs)
        finally:
            search_cpu[0] += time.process_time() - started

    linear.single.search = counted_search
    try:
        result, wall, cpu = timed(lambda: allocate(needs, capacities, areas=areas, policy=policy))
    finally:
        linear.single.search = inner_search
    peak_after_allocate = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    row = {
        "size": "10000x5000",
        "time_limit_s": args.time_limit,
        "coordhub": {
            "status": str(result.status),
            "engine": result.engine,
            "wall_s": round(wall, 2),
            "cpu_s": round(cpu, 2),
            "weighted_units": result.weighted_units,
            "bound": result.bound,
            "gap": result.gap,
            "search_cpu_s": round(search_cpu[0], 2),
        },
    }
    print(json.dumps(row["coordhub"]), flush=True)

    problem = build_problem(needs, capacities, areas, policy, (), ())
    compat = find_compatible_pairs(problem)
    arcs = open_arcs(problem, compat)
    weight = problem.need_weight[compat.need].astype(np.float64)

    def search_all() -> float:
        return sum(
            float(search(problem, compat, arcs, pair, time.perf_counter() + 600, perturb=False) @ weight[pair])
            for pair in blocks_by_type(problem, compat, arcs.pair)
        )

    found, wall, cpu = timed(search_all)
    found /= problem.quantity_scale
    row["search"] = {
        "weighted_units": found,
        "wall_s": round(wall, 2),
        "cpu_s": round(cpu, 2),
        "gap": max(0.0, result.bound - found) / result.bound,
    }
    # The same limit as a CPU-time budget: what allocate spent outside the search, then the search.
    outside = row["coordhub"]["cpu_s"] - search_cpu[0]
    budget = args.time_limit - outside
    blocks = list(blocks_by_type(problem, compat, arcs.pair))
    total_pairs = sum(pair.size for pair in blocks)

    def search_budget() -> float:
        found = 0.0
        for pair in blocks:
            until = time.process_time() + budget * pair.size / total_pairs
            found += float(search(problem, compat, arcs, pair, until, clock=time.process_time) @ weight[pair])
        return found

    found, wall, cpu_used = timed(search_budget)
    found /= problem.quantity_scale
    row["cpu_budget"] = {
        "budget_cpu_s": round(args.time_limit, 2),
        "outside_search_cpu_s": round(outside, 2),
        "weighted_units": found,
        "wall_s": round(wall, 2),
        "cpu_s": round(cpu_used, 2),
        "gap": max(0.0, result.bound - found) / result.bound,
    }
    print(json.dumps(row["cpu_budget"]), flush=True)
    relaxed, _, _ = plain_flow(problem, compat, arcs, lambda _f, _msg: None)
    row["without_rule_bound"] = float(relaxed @ weight) / problem.quantity_scale
    print(json.dumps(row["search"]), flush=True)
    if not args.no_highs:
        row["highs_mip"] = highs_mip(problem, compat, arcs, args.highs_limit)
        print(json.dumps(row["highs_mip"]), flush=True)
    row["load_before"] = load_before
    row["peak_memory_allocate_mb"] = round(peak_after_allocate, 1)
    row["peak_memory_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    write_results(row)


def best_known_bound(row: dict) -> float:
    """The smallest proven bound of this run and of the stored runs of other limits (same seeded
    instance): under load a short run may stop its LP before it converges, with a weaker bound."""
    bounds = [row["coordhub"]["bound"]]
    for path in RESULTS.glob("allocation_single*.json"):
        stored = json.loads(path.read_text())["row"]
        if stored.get("size") == row["size"] and stored["coordhub"].get("bound") is not None:
            bounds.append(stored["coordhub"]["bound"])
    return min(bounds)


def write_results(row: dict, meta: dict | None = None) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    meta = meta or {
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "load_average": os.getloadavg(),
        "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }
    # The default 30 s run is allocation_single.*; other time limits get their own files.
    stem = "allocation_single" if row["time_limit_s"] == 30 else f"allocation_single_{row['time_limit_s']:.0f}s"
    (RESULTS / f"{stem}.json").write_text(json.dumps({"meta": meta, "row": row}, indent=2) + "\n")
    c, s = row["coordhub"], row["search"]
    best = best_known_bound(row)
    memory = f"{row['peak_memory_mb']:,.0f} MB at the end (HiGHS included)"
    if "peak_memory_allocate_mb" in row:
        memory = f"{row['peak_memory_allocate_mb']:,.0f} MB after `allocate`, {memory}"
    lines = [
        "# One provider per need, 10,000 needs x 5,000 capacities",
        "",
        f"{meta['when']}, {meta['cpus']} CPUs, Python {meta['python']}, load average at the start "
        f"{', '.join(f'{x:.1f}' for x in row['load_before'])}, at the end "
        f"{', '.join(f'{x:.1f}' for x in meta['load_average'])} (the machine is shared: CPU seconds of the "
        f"process beside wall seconds).  Peak memory of the process: {memory}.  "
        "Produced by `bench/allocation_single.py`.",
        "",
        f"Gap: against this run's proven bound; in brackets against the best proven bound known for this "
        f"instance ({best:,.0f}, the smallest of this run and the stored runs of other limits).",
        "",
        "| method | status | wall s | CPU s | weighted units | proven bound | gap |",
        "|---|---|---|---|---|---|---|",
        f"| coordhub `allocate`, limit {row['time_limit_s']:.0f} s | {c['status']} | {c['wall_s']} | {c['cpu_s']} "
        f"| {c['weighted_units']:,.0f} | {c['bound']:,.0f} | {100 * c['gap']:.2f} % "
        f"({100 * max(0.0, best - c['weighted_units']) / best:.2f} %) |",
        f"| greedy + batched local search alone, to its local optimum | - | {s['wall_s']} | {s['cpu_s']} "
        f"| {s['weighted_units']:,.0f} | {c['bound']:,.0f} | {100 * s['gap']:.2f} % "
        f"({100 * max(0.0, best - s['weighted_units']) / best:.2f} %) |",
    ]
    b = row.get("cpu_budget")
    if b:
        lines.append(
            f"| {b['budget_cpu_s']:.0f} CPU-second budget: {b['outside_search_cpu_s']} CPU s outside the search "
            f"(measured in `allocate` above), the search with perturbations in the rest | - | {b['wall_s']} "
            f"| {b['cpu_s']} | {b['weighted_units']:,.0f} | {c['bound']:,.0f} | {100 * b['gap']:.2f} % "
            f"({100 * max(0.0, best - b['weighted_units']) / best:.2f} %) |"
        )
    h = row.get("highs_mip")
    if h:
        wu = f"{h['weighted_units']:,.0f}" if "weighted_units" in h else "none"
        bound = f"{h['bound']:,.0f}" if "bound" in h else "-"
        gap = f"{100 * h['gap']:.2f} %" if "gap" in h else "-"
        lines.append(
            f"| HiGHS MIP (scipy milp), same model | {h['message']} | {h['wall_s']} | {h['cpu_s']} "
            f"| {wu} | {bound} | {gap} |"
        )
    lines += ["", f"Bound without the rule (plain min-cost flow optimum): {row['without_rule_bound']:,.0f}."]
    (RESULTS / f"{stem}.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
