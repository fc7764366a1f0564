"""Benchmark of the allocation core: compatibility, build, solve, explain, memory, and HiGHS on the same LP.

Usage:
    .venv/bin/python bench/allocation.py                 # all sizes, writes bench/results/allocation.{json,md}
    .venv/bin/python bench/allocation.py --sizes 10000x5000 --no-highs
    .venv/bin/python bench/allocation.py --one 10000x5000  # one size in this process, prints JSON (used per size)

Every size runs in its own subprocess so that its peak memory (ru_maxrss,
which includes Python, NumPy and OR-Tools themselves) is its own.  Instances
are random but seeded: 20 admin-1 x 15 admin-2 x 10 admin-3 areas with
centroids, needs in admin-3 areas, capacities serving 1 to 3 areas at
country, admin-1 or admin-2 level, mixed so that a need has about 10 to 30
compatible capacities; total capacity is about 85 % of demand per type, so
priorities and costs both matter.
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
from datetime import date, timedelta
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from coordhub.allocation.core import (  # noqa: E402
    AdminArea,
    Capacity,
    Need,
    Policy,
    allocate,
)

RESULTS = ROOT / "bench" / "results"
SIZES = {"1000x500": (1000, 500), "10000x5000": (10_000, 5_000), "100000x20000": (100_000, 20_000)}
DISTANCE_COST_PER_KM = 0.002
HIGHS_LIMIT_SECONDS = 300.0
SIDE_TIME_LIMIT = 30.0


def make_areas(rng: np.random.Generator, admin1: int = 20, admin2: int = 15, admin3: int = 10) -> list[AdminArea]:
    areas = [AdminArea(pcode="XY", name="Country", level=0, lat=15.0, lon=40.0)]
    for a in range(admin1):
        p1 = f"XY{a + 1:02d}"
        lat1, lon1 = 15 + rng.uniform(-5, 5), 40 + rng.uniform(-5, 5)
        areas.append(AdminArea(pcode=p1, parent_pcode="XY", name=f"Province {a + 1}", level=1, lat=lat1, lon=lon1))
        for b in range(admin2):
            p2 = f"{p1}{b + 1:02d}"
            lat2, lon2 = lat1 + rng.uniform(-0.8, 0.8), lon1 + rng.uniform(-0.8, 0.8)
            areas.append(AdminArea(pcode=p2, parent_pcode=p1, name=f"District {p2}", level=2, lat=lat2, lon=lon2))
            for c in range(admin3):
                p3 = f"{p2}{c + 1:02d}"
                areas.append(AdminArea(
                    pcode=p3, parent_pcode=p2, name=f"Sub-district {p3}", level=3,
                    lat=lat2 + rng.uniform(-0.15, 0.15), lon=lon2 + rng.uniform(-0.15, 0.15),
                ))
    return areas


def make_instance(n_needs: int, n_caps: int, seed: int = 7, target_compatible: float = 20.0):
    """Needs, capacities and areas of one size (deterministic for a seed)."""
    rng = np.random.default_rng(seed)
    areas = make_areas(rng)
    level3 = [a.pcode for a in areas if a.level == 3]
    level2 = [a.pcode for a in areas if a.level == 2]
    level1 = [a.pcode for a in areas if a.level == 1]
    n_types = max(2, n_caps // 1000)
    types = [f"item{t:02d}" for t in range(n_types)]
    caps_per_type = n_caps / n_types
    # Expected compatible capacities per need ~ caps_per_type * overlap * sum(share_l * areas_l / |level l|)
    # with 2 service areas per capacity on average and ~0.75 time overlap: pick the level mix to hit the target.
    reach = target_compatible / (caps_per_type * 0.75 * 2.0)
    share0 = min(0.02, reach / 4)
    # share1 / 20 + share2 / 300 = reach - share0, share1 + share2 = 1 - share0
    share1 = float(np.clip((reach - share0 - (1 - share0) / 300) / (1 / 20 - 1 / 300), 0.0, 1 - share0))
    share2 = 1 - share0 - share1
    base = date(2025, 1, 1)

    need_type = rng.integers(0, n_types, n_needs)
    need_qty = rng.integers(10, 500, n_needs)
    need_area = rng.integers(0, len(level3), n_needs)
    need_priority = rng.choice([1, 2, 3, 4, 5], n_needs, p=[0.15, 0.25, 0.3, 0.2, 0.1])
    need_start = rng.integers(0, 120, n_needs)
    need_len = rng.integers(30, 180, n_needs)
    need_open = rng.random(n_needs) < 0.2
    needs = [
        Need(
            id=f"N{i:06d}", pcode=level3[need_area[i]], resource_type=types[need_type[i]],
            quantity=float(need_qty[i]), priority=int(need_priority[i]),
            start=base + timedelta(days=int(need_start[i])),
            end=None if need_open[i] else base + timedelta(days=int(need_start[i] + need_len[i])),
        )
        for i in range(n_needs)
    ]
    demand_per_type = np.bincount(need_type, weights=need_qty, minlength=n_types)
    cap_type = rng.integers(0, n_types, n_caps)
    caps_count = np.bincount(cap_type, minlength=n_types)
    cap_mean = 0.85 * demand_per_type[cap_type] / np.maximum(caps_count[cap_type], 1)
    cap_qty = np.maximum(1, np.rint(cap_mean * rng.uniform(0.3, 1.7, n_caps)))
    cap_level = rng.choice([0, 1, 2], n_caps, p=[share0, share1, share2])
    cap_areas = rng.integers(1, 4, n_caps)
    cap_cost = np.round(rng.uniform(1, 50, n_caps), 2)
    cap_start = rng.integers(-30, 90, n_caps)
    cap_len = rng.integers(60, 240, n_caps)
    cap_open = rng.random(n_caps) < 0.3
    cap_local = rng.random(n_caps) < 0.3
    n_orgs = max(5, n_caps // 50)
    cap_org = rng.integers(0, n_orgs, n_caps)
    capacities = []
    for j in range(n_caps):
        pool = (["XY"], level1, level2)[cap_level[j]]
        chosen = sorted({pool[k] for k in rng.integers(0, len(pool), cap_areas[j])})
        capacities.append(Capacity(
            id=f"C{j:06d}", org=f"ORG{cap_org[j]:04d}", org_type="NGO" if cap_local[j] else "INGO",
            is_local=bool(cap_local[j]), resource_type=types[cap_type[j]], quantity=float(cap_qty[j]),
            unit_cost=float(cap_cost[j]), service_pcodes=chosen,
            start=base + timedelta(days=int(cap_start[j])),
            end=None if cap_open[j] else base + timedelta(days=int(cap_start[j] + cap_len[j])),
        ))
    return needs, capacities, areas


def highs_same_lp(needs, capacities, areas, policy: Policy, time_limit: float) -> dict:
    """Solve the plain allocation as one LP with HiGHS (scipy.optimize.linprog):
    the same pairs, the same integer costs and the same P_i penalties as the
    min-cost flow uses, so the optimum (in scaled units) must be identical."""
    from scipy.optimize import linprog
    from scipy.sparse import coo_matrix

    from coordhub.allocation.core.allocate import open_arcs
    from coordhub.allocation.core.compatibility import find_compatible_pairs
    from coordhub.allocation.core.flow import cycle_bound
    from coordhub.allocation.core.problem import build_problem

    problem = build_problem(needs, capacities, areas, policy, (), ())
    compat = find_compatible_pairs(problem)
    arcs = open_arcs(problem, compat)
    pair = arcs.pair
    need, cap = compat.need[pair], compat.cap[pair]
    cost = compat.unit_cost[pair].astype(np.float64)
    big = cycle_bound(need, cap, compat.unit_cost[pair])
    penalty = problem.need_weight * float(big)
    n = pair.size
    rows = np.concatenate([need, problem.need_count + cap])
    cols = np.concatenate([np.arange(n), np.arange(n)])
    matrix = coo_matrix((np.ones(2 * n), (rows, cols)), shape=(problem.need_count + problem.cap_count, n)).tocsr()
    rhs = np.concatenate([arcs.demand, arcs.supply]).astype(np.float64)
    # minimise sum (c - P_i) x  (the flow's objective minus the constant sum P_i d_i)
    objective = cost - penalty[need]
    started = time.perf_counter()
    solved = linprog(objective, A_ub=matrix, b_ub=rhs, bounds=(0, None), method="highs",
                     options={"time_limit": time_limit, "presolve": True})
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "status": int(solved.status), "message": solved.message,
            "objective": float(solved.fun) if solved.fun is not None else None,
            "flow_objective": None, "pairs": int(n), "penalties": penalty, "need": need, "cost": cost}


def run_one(label: str, highs: bool, side: bool) -> dict:
    n_needs, n_caps = SIZES[label]
    started = time.perf_counter()
    needs, capacities, areas = make_instance(n_needs, n_caps)
    generated = time.perf_counter() - started
    policy = Policy(distance_cost_per_km=DISTANCE_COST_PER_KM, time_limit_seconds=60)
    allocate(needs[:200], capacities[:100], areas=areas, policy=policy)  # warm up imports
    result = allocate(needs, capacities, areas=areas, policy=policy)
    pairs = sum(1 for _ in ())  # filled below
    from coordhub.allocation.core.compatibility import find_compatible_pairs
    from coordhub.allocation.core.problem import build_problem

    compat = find_compatible_pairs(build_problem(needs, capacities, areas, policy, (), ()))
    pairs = compat.size
    row = {
        "size": label, "needs": n_needs, "capacities": n_caps, "pairs": int(pairs),
        "pairs_per_need": round(pairs / n_needs, 1), "generate_s": round(generated, 3),
        "status": str(result.status), "engine": result.engine,
        "timings": {k: round(v, 4) for k, v in result.timings.items()},
        "end_to_end_s": round(result.seconds, 4),
        "weighted_units": result.weighted_units, "cost": result.cost,
        "coverage": round(result.coverage.overall.share, 4), "explanations": len(result.explanations),
        "assignments": len(result.assignments),
    }
    if highs:
        h = highs_same_lp(needs, capacities, areas, policy, HIGHS_LIMIT_SECONDS)
        row["highs_s"] = round(h["seconds"], 3)
        row["highs_status"] = h["message"]
        if h["status"] == 0:
            flow_objective = _flow_lp_objective(result, h)
            row["highs_matches"] = bool(abs(flow_objective - h["objective"]) <= 1e-6 * max(1.0, abs(h["objective"])))
            row["ratio_highs_to_flow"] = round(h["seconds"] / max(result.timings["solve"], 1e-9), 1)
            row["ratio_highs_to_end_to_end"] = round(h["seconds"] / result.seconds, 1)
    if side:
        row["side"] = run_side(needs, capacities, areas)
    row["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    return row


def _flow_lp_objective(result, highs: dict) -> float:
    """The flow's value of HiGHS' objective: sum over assignments of (c - P_i) x, scaled."""
    # The LP works in scaled units; recompute from the problem the same way.
    return highs.get("flow_objective_value", float("nan"))


def run_side(needs, capacities, areas) -> dict:
    """10k x 5k with every side constraint: budget caps, admin-1 fairness, local share, min lot."""
    orgs = sorted({c.org for c in capacities})
    spend: dict[str, float] = {}
    for c in capacities:
        spend[c.org] = spend.get(c.org, 0.0) + c.quantity * c.unit_cost
    caps = {org: round(0.5 * spend[org], 2) for org in orgs[::3]}
    policy = Policy(
        distance_cost_per_km=DISTANCE_COST_PER_KM, time_limit_seconds=SIDE_TIME_LIMIT, budget_caps=caps,
        min_admin1_coverage=0.5, min_local_share=0.3, min_lot_size=25,
    )
    result = allocate(needs, capacities, areas=areas, policy=policy)
    return {
        "status": str(result.status), "engine": result.engine, "seconds": round(result.seconds, 2),
        "weighted_units": result.weighted_units, "bound": result.bound,
        "gap_to_lp_bound": None if result.gap is None else round(result.gap, 6),
        "cost": result.cost, "timings": {k: round(v, 3) for k, v in result.timings.items()},
        "notes": list(result.notes),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=",".join(SIZES))
    parser.add_argument("--one", help="run one size in this process and print its JSON row")
    parser.add_argument("--no-highs", action="store_true")
    parser.add_argument("--no-side", action="store_true")
    args = parser.parse_args()
    if args.one:
        row = run_one(args.one, highs=not args.no_highs, side=args.one == "10000x5000" and not args.no_side)
        print(json.dumps(row, default=str))
        return
    rows = []
    for label in args.sizes.split(","):
        command = [sys.executable, __file__, "--one", label] + (["--no-highs"] if args.no_highs else []) + (
            ["--no-side"] if args.no_side else [])
        done = subprocess.run(command, capture_output=True, text=True, check=True)
        row = json.loads(done.stdout.strip().splitlines()[-1])
        print(json.dumps(row))
        rows.append(row)
    write_results(rows)


def write_results(rows: list[dict]) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    meta = {"python": platform.python_version(), "cpus": os.cpu_count(), "machine": platform.machine()}
    (RESULTS / "allocation.json").write_text(json.dumps({"meta": meta, "rows": rows}, indent=2) + "\n")


if __name__ == "__main__":
    main()
