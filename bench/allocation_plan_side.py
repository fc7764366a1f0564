"""Benchmark of plans with side constraints: budget caps over the whole plan and per period on the plan instance of
bench/allocation_plan.py, with scipy's HiGHS on an independent statement of the same LP beside it.

Usage:
    .venv/bin/python bench/allocation_plan_side.py                 # 2,000 x 1,000 x 12 and 10,000 x 5,000 x 12
    .venv/bin/python bench/allocation_plan_side.py --sizes 2000x1000
    .venv/bin/python bench/allocation_plan_side.py --one 2000x1000 # one measurement (run in a subprocess)

Budgets: every organisation may spend 30 % of what its capacities would cost in full (whole plan), or a twelfth
of that in each month (per period).  The plan's LP (``coordhub/allocation/core/plan_linear.py``, HiGHS through
OR-Tools MathOpt) reports its bound (phase 1's optimum) and gap; scipy's HiGHS solves phase 1 again from the
time-expanded arcs with its own rows, and the two optima are compared.  The machine is shared: CPU seconds of the
process are reported beside wall seconds, with the load average.
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
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import allocation_plan as base  # noqa: E402
from allocation import DISTANCE_COST_PER_KM  # noqa: E402

from coordhub.allocation.core import Policy, allocate  # noqa: E402

RESULTS = ROOT / "bench" / "results"
SIZES = ("2000x1000", "10000x5000")
TIME_LIMIT = 300.0
HIGHS_LIMIT = 600.0
SHARE = 0.3


def budgets(capacities, per_period: bool) -> dict[str, float]:
    value: dict[str, float] = {}
    for c in capacities:
        value[c.org] = value.get(c.org, 0.0) + c.quantity * c.unit_cost
    return {org: SHARE * v / (12 if per_period else 1) for org, v in value.items()}


def independent_lp(needs, capacities, areas, rules, policy: Policy) -> dict:
    """Phase 1 (weighted units) from the time-expanded arcs with rows written here: need, capacity,
    throughput and budget (per organisation, or per organisation and month)."""
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
    periods = make_periods(problem, base.PLAN)
    timed = expand_in_time(problem, compat, arcs, build_access(problem, rules), periods)
    need, cap = compat.need[timed.pair], compat.cap[timed.pair]
    n, n_periods = timed.pair.size, periods.count
    slot, slot_row = np.unique(cap * n_periods + timed.period, return_inverse=True)
    org = problem.cap_org[cap]
    key = org * n_periods + timed.period if policy.budget_per_period else org
    budget_keys, budget_row = np.unique(key, return_inverse=True)
    budget_org = budget_keys // n_periods if policy.budget_per_period else budget_keys
    scale = problem.quantity_scale * problem.cost_scale
    amounts = np.array([policy.budget_caps[problem.org_names[o]] * scale for o in budget_org])
    offsets = np.cumsum([0, problem.need_count, problem.cap_count, slot.size])
    rows = np.concatenate([need, offsets[1] + cap, offsets[2] + slot_row, offsets[3] + budget_row])
    cols = np.tile(np.arange(n), 4)
    values = np.concatenate([np.ones(3 * n), compat.unit_cost[timed.pair].astype(np.float64)])
    matrix = csr_matrix((values, (rows, cols)), shape=(offsets[3] + budget_keys.size, n))
    limits = np.concatenate([arcs.demand, arcs.supply, timed.room[slot // n_periods, slot % n_periods], amounts])
    started, cpu = time.perf_counter(), time.process_time()
    solved = linprog(
        -problem.need_weight[need].astype(np.float64),
        A_ub=matrix,
        b_ub=limits.astype(np.float64),
        bounds=(0, None),
        method="highs",
        options={"time_limit": HIGHS_LIMIT},
    )
    out = {
        "highs_s": round(time.perf_counter() - started, 2),
        "highs_cpu_s": round(time.process_time() - cpu, 2),
        "highs_status": str(solved.message),
        "arcs": int(n),
        "lp_rows": int(matrix.shape[0]),
    }
    if solved.status == 0:
        out["highs_weighted_units"] = -float(solved.fun) / problem.quantity_scale
    return out


def run_one(size: str) -> list[dict]:
    base.SIZE = tuple(int(x) for x in size.split("x"))
    needs, capacities, areas, rules = base.make_plan_instance()
    rows = []
    for per_period in (False, True):
        policy = Policy(
            distance_cost_per_km=DISTANCE_COST_PER_KM,
            time_limit_seconds=TIME_LIMIT,
            budget_caps=budgets(capacities, per_period),
            budget_per_period=per_period,
        )
        load = os.getloadavg()[0]
        cpu = time.process_time()
        result = allocate(needs, capacities, areas=areas, policy=policy, plan=base.PLAN, access=rules)
        row = {
            "size": f"{size}x12",
            "budget": "per period" if per_period else "whole plan",
            "status": str(result.status),
            "engine": result.engine,
            "end_to_end_s": round(result.seconds, 2),
            "cpu_s": round(time.process_time() - cpu, 2),
            "load_before": round(load, 1),
            "timings": {k: round(v, 3) for k, v in result.timings.items()},
            "weighted_units": result.weighted_units,
            "bound": result.bound,
            "gap": result.gap,
            "weighted_share_met": round(result.coverage.priority_share.share, 4),
            "assignments": len(result.assignments),
        }
        row.update(independent_lp(needs, capacities, areas, rules, policy))
        if "highs_weighted_units" in row and result.bound is not None:
            row["bound_equals_highs"] = abs(row["highs_weighted_units"] - result.bound) <= 1e-6 * max(1.0, result.bound)
        row["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
        rows.append(row)
        print(json.dumps(row), file=sys.stderr, flush=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--one")
    parser.add_argument("--sizes", default=",".join(SIZES))
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_one(args.one)))
        return
    rows = []
    for size in args.sizes.split(","):
        done = subprocess.run([sys.executable, __file__, "--one", size], capture_output=True, text=True, check=True)
        rows += json.loads(done.stdout.strip().splitlines()[-1])
        print(json.dumps(rows[-2:], indent=2), flush=True)
    write_results(rows)


def write_results(rows: list[dict]) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    meta = {
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "load_average": os.getloadavg(),
        "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }
    (RESULTS / "allocation_plan_side.json").write_text(json.dumps({"meta": meta, "rows": rows}, indent=2) + "\n")
    lines = [
        "# Plans with side constraints (time-expanded LP)",
        "",
        f"{meta['when']}, {meta['cpus']} CPUs, Python {meta['python']}, load average at the end "
        f"{', '.join(f'{x:.1f}' for x in meta['load_average'])} (shared machine).  Produced by "
        "`bench/allocation_plan_side.py`: the plan instance of `bench/allocation_plan.py`, every organisation's "
        f"budget {SHARE:.0%} of its capacities' full cost (whole plan) or a twelfth of it per month; time limit "
        f"{TIME_LIMIT:.0f} s; scipy HiGHS on an independent statement of phase 1 beside it.",
        "",
        "| size | budget | status | wall s | CPU s | load | weighted share met | gap | bound = HiGHS | HiGHS wall s "
        "| arcs | peak RSS MB |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        gap = "-" if r["gap"] is None else f"{r['gap']:.4%}"
        lines.append(
            f"| {r['size']} | {r['budget']} | {r['status']} | {r['end_to_end_s']} | {r['cpu_s']} | "
            f"{r['load_before']} | {r['weighted_share_met']:.1%} | {gap} | {r.get('bound_equals_highs', '-')} | "
            f"{r['highs_s']} ({r['highs_status'][:40]}) | {r['arcs']} | {r['peak_rss_mb']} |"
        )
    (RESULTS / "allocation_plan_side.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
