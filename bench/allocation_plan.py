"""Benchmark of plans over time: 10,000 needs x 5,000 capacities x 12 monthly periods, with access rules, end to end,
peak memory, and HiGHS on the LP of the same time-expanded model beside it.

Usage:
    .venv/bin/python bench/allocation_plan.py              # writes bench/results/allocation_plan.{json,md}
    .venv/bin/python bench/allocation_plan.py --no-highs
    .venv/bin/python bench/allocation_plan.py --one        # the measurement itself (run in a subprocess)

The instance is bench/allocation.py's 10,000 x 5,000 (seed 7) with, added:
a throughput per capacity of a quarter to a tenth of its quantity per month
(so that time binds), 40 % of the capacities holding a clearance (escort or
un_security), and access rules: 20 admin-2 areas restricted to escorts for
three months each, 10 admin-2 areas no-go for two months, and one admin-1
area restricted to local organisations for the whole year.  Periods: the 12
months of 2025.  The machine is shared by several engineers: absolute times
are noisy, the HiGHS / flow ratio less so.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench.allocation import DISTANCE_COST_PER_KM, HIGHS_METHOD, make_instance  # noqa: E402
from coordhub.allocation.core import AccessRule, PlanSpec, Policy, allocate  # noqa: E402

RESULTS = ROOT / "bench" / "results"
PLAN = PlanSpec(kind="month", start=date(2025, 1, 1), horizon=date(2025, 12, 31))
HIGHS_LIMIT_SECONDS = 600.0
REPEATS = 3
SIZE = (10_000, 5_000)


def make_plan_instance(seed: int = 11):
    needs, capacities, areas = make_instance(*SIZE)
    rng = np.random.default_rng(seed)
    share = rng.uniform(0.1, 0.25, len(capacities))
    clearance = rng.choice(["", "escort", "un_security"], len(capacities), p=[0.6, 0.25, 0.15])
    capacities = [
        replace(c, throughput=float(max(1, round(c.quantity * s))), clearances=(k,) if k else ())
        for c, s, k in zip(capacities, share, clearance)
    ]
    level2 = [a.pcode for a in areas if a.level == 2]
    level1 = [a.pcode for a in areas if a.level == 1]
    rules = []
    for code in rng.choice(level2, 30, replace=False)[:20]:
        month = int(rng.integers(1, 11))
        rules.append(
            AccessRule(
                pcode=str(code),
                level="restricted",
                start=date(2025, month, 1),
                end=date(2025, month + 2, 28),
                clearances=("escort",),
            )
        )
    for code in rng.choice(level2, 10, replace=False):
        month = int(rng.integers(1, 12))
        rules.append(
            AccessRule(pcode=str(code), level="no_go", start=date(2025, month, 1), end=date(2025, month + 1, 28))
        )
    rules.append(AccessRule(pcode=str(level1[0]), level="restricted", start=date(2025, 1, 1), clearances=("local",)))
    return needs, capacities, areas, rules


def highs_same_lp(needs, capacities, areas, rules, policy: Policy, time_limit: float) -> dict:
    """The plan's model as one LP for HiGHS (scipy.optimize.linprog): the same (pair, period) arcs, need,
    capacity and throughput rows, and one objective: cost + lateness (the flow's, per unit) minus a premium
    w_i * K per unit (K = the largest per-unit cost + lateness + 1, which puts weighted units first)."""
    from scipy.optimize import linprog
    from scipy.sparse import csr_matrix

    from coordhub.allocation.core.access import build_access
    from coordhub.allocation.core.arcs import open_arcs
    from coordhub.allocation.core.compatibility import find_compatible_pairs
    from coordhub.allocation.core.plan import expand_in_time, make_periods
    from coordhub.allocation.core.problem import build_problem

    problem = build_problem(needs, capacities, areas, policy, (), ())
    compat = find_compatible_pairs(problem)
    arcs = open_arcs(problem, compat)
    periods = make_periods(problem, PLAN)
    timed = expand_in_time(problem, compat, arcs, build_access(problem, rules), periods)
    need, cap = compat.need[timed.pair], compat.cap[timed.pair]
    cost = compat.unit_cost[timed.pair].astype(np.float64)
    lateness = (int(cost.max(initial=0)) + 1) * problem.need_weight[need] * timed.delay
    per_unit = cost + lateness
    premium = float(per_unit.max(initial=0)) + 1
    n = timed.pair.size
    n_periods = periods.count
    slot, slot_index = np.unique(cap * n_periods + timed.period, return_inverse=True)
    rows = np.concatenate([need, problem.need_count + cap, problem.need_count + problem.cap_count + slot_index])
    cols = np.tile(np.arange(n), 3)
    shape = (problem.need_count + problem.cap_count + slot.size, n)
    matrix = csr_matrix((np.ones(3 * n), (rows, cols)), shape=shape)
    limits = np.concatenate([arcs.demand, arcs.supply, timed.room[slot // n_periods, slot % n_periods]])
    objective = per_unit - problem.need_weight[need] * premium
    started = time.perf_counter()
    solved = linprog(
        objective,
        A_ub=matrix,
        b_ub=limits.astype(np.float64),
        bounds=(0, None),
        method=HIGHS_METHOD,
        options={"time_limit": time_limit},
    )
    out = {
        "seconds": time.perf_counter() - started,
        "status": int(solved.status),
        "message": str(solved.message),
        "arcs": int(n),
        "rows": int(shape[0]),
    }
    if solved.x is not None and solved.status == 0:
        out["weighted_units"] = float(solved.x @ problem.need_weight[need]) / problem.quantity_scale
    return out


def run_one(highs: bool) -> dict:
    started = time.perf_counter()
    needs, capacities, areas, rules = make_plan_instance()
    generated = time.perf_counter() - started
    policy = Policy(distance_cost_per_km=DISTANCE_COST_PER_KM, time_limit_seconds=60)
    allocate(needs[:200], capacities[:100], areas=areas, policy=policy, plan=PLAN, access=rules)  # warm up
    # The machine is shared: wall time depends on the others' load, so CPU seconds of this process are measured too.
    runs, cpu = [], []
    for _ in range(REPEATS):
        cpu_started = time.process_time()
        runs.append(allocate(needs, capacities, areas=areas, policy=policy, plan=PLAN, access=rules))
        cpu.append(time.process_time() - cpu_started)
    rss_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result = min(runs, key=lambda r: r.seconds)
    assert all(r.assignments == result.assignments for r in runs)
    cpu_started = time.process_time()
    plain = allocate(needs, capacities, areas=areas, policy=policy)
    plain_cpu = time.process_time() - cpu_started
    row = {
        "size": "10000x5000x12",
        "status": str(result.status),
        "engine": result.engine,
        "generate_s": round(generated, 2),
        "timings": {k: round(v, 4) for k, v in result.timings.items()},
        "end_to_end_s": round(result.seconds, 4),
        "end_to_end_median_s": round(float(np.median([r.seconds for r in runs])), 4),
        "runs": len(runs),
        "cpu_s": round(min(cpu), 3),
        "plain_cpu_s": round(plain_cpu, 3),
        "load_before": os.getloadavg()[0],
        "peak_rss_mb": round(rss_peak, 1),
        "weighted_units": result.weighted_units,
        "cost": round(result.cost, 2),
        "weighted_share_met": round(result.coverage.priority_share.share, 4),
        "share_fully_met": round(result.coverage.fully_met.share, 4),
        "assignments": len(result.assignments),
        "explanations": len(result.explanations),
        "access_explanations": sum(e.reason in ("no_access", "no_go", "not_cleared") for e in result.explanations),
        "plain_weighted_share_met": round(plain.coverage.priority_share.share, 4),
        "plain_s": round(plain.seconds, 4),
        "access_rules": len(rules),
    }
    if highs:
        h = highs_same_lp(needs, capacities, areas, rules, policy, HIGHS_LIMIT_SECONDS)
        row.update(highs_s=round(h["seconds"], 2), highs_status=h["message"], arcs=h["arcs"], lp_rows=h["rows"])
        if "weighted_units" in h:
            row["highs_weighted_units"] = h["weighted_units"]
            row["same_weighted_units"] = abs(h["weighted_units"] - result.weighted_units) <= 1e-6 * max(
                1.0, result.weighted_units
            )
            row["highs_over_end_to_end"] = round(h["seconds"] / result.seconds, 1)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--one", action="store_true")
    parser.add_argument("--no-highs", action="store_true")
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_one(highs=not args.no_highs), default=str))
        return
    command = [sys.executable, __file__, "--one"] + (["--no-highs"] if args.no_highs else [])
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    row = json.loads(done.stdout.strip().splitlines()[-1])
    print(json.dumps(row, indent=2))
    write_results(row)


def write_results(row: dict) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    previous = RESULTS / "allocation_plan.json"
    if "highs_s" not in row and previous.exists():  # a run without HiGHS keeps the last HiGHS figures
        old = json.loads(previous.read_text())["row"]
        row.update({k: v for k, v in old.items() if k.startswith("highs") or k in ("arcs", "lp_rows")})
    meta: dict[str, Any] = {
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "load_average": os.getloadavg(),
        "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }
    (RESULTS / "allocation_plan.json").write_text(json.dumps({"meta": meta, "row": row}, indent=2) + "\n")
    t = row["timings"]
    highs = (
        f"{row['highs_s']} s ({row['highs_status']}); HiGHS / end to end {row.get('highs_over_end_to_end', '-')}; "
        f"same weighted units: {row.get('same_weighted_units', '-')}"
        if "highs_s" in row
        else "not run"
    )
    lines = [
        "# Plan benchmark (time-expanded min-cost flow)",
        "",
        f"{meta['when']}, {meta['cpus']} CPUs, Python {meta['python']}, load average at the end "
        f"{', '.join(f'{x:.1f}' for x in meta['load_average'])} (the machine is shared by several engineers).  "
        "Produced by `bench/allocation_plan.py`: 10,000 needs x 5,000 capacities x 12 monthly periods, "
        f"{row['access_rules']} access rules, throughput on every capacity; fastest of {row['runs']} runs, "
        "median in brackets; peak RSS of the whole process.",
        "",
        "| phase | seconds |",
        "|---|---|",
        *[f"| {k} | {v} |" for k, v in t.items()],
        f"| **end to end** | **{row['end_to_end_s']}** ({row['end_to_end_median_s']}) |",
        "",
        f"- CPU seconds of the process for the fastest plan: {row['cpu_s']} (the plain allocation of the same "
        f"instance: {row['plain_cpu_s']}; ratio {row['cpu_s'] / max(row['plain_cpu_s'], 1e-9):.1f})",
        f"- peak RSS: {row['peak_rss_mb']} MB",
        f"- (pair, period) arcs: {row.get('arcs', '-')}; assignments: {row['assignments']}; explanations: "
        f"{row['explanations']} ({row['access_explanations']} name access)",
        f"- weighted share met {row['weighted_share_met']:.1%}, needs fully met {row['share_fully_met']:.1%} "
        f"(the same instance without time, throughput or access: {row['plain_weighted_share_met']:.1%} in "
        f"{row['plain_s']} s)",
        f"- HiGHS ({HIGHS_METHOD}) on the LP of the same model: {highs}",
    ]
    (RESULTS / "allocation_plan.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
