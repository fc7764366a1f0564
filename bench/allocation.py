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
HIGHS_METHOD = "highs-ipm"  # HiGHS interior point (with crossover): its fastest here, 2-4x its default simplex
REPEATS = {"1000x500": 5, "10000x5000": 5, "100000x20000": 2}


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
                areas.append(
                    AdminArea(
                        pcode=p3,
                        parent_pcode=p2,
                        name=f"Sub-district {p3}",
                        level=3,
                        lat=lat2 + rng.uniform(-0.15, 0.15),
                        lon=lon2 + rng.uniform(-0.15, 0.15),
                    )
                )
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
            id=f"N{i:06d}",
            pcode=level3[need_area[i]],
            resource_type=types[need_type[i]],
            quantity=float(need_qty[i]),
            priority=int(need_priority[i]),
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
        capacities.append(
            Capacity(
                id=f"C{j:06d}",
                org=f"ORG{cap_org[j]:04d}",
                org_type="NGO" if cap_local[j] else "INGO",
                is_local=bool(cap_local[j]),
                resource_type=types[cap_type[j]],
                quantity=float(cap_qty[j]),
                unit_cost=float(cap_cost[j]),
                service_pcodes=chosen,
                start=base + timedelta(days=int(cap_start[j])),
                end=None if cap_open[j] else base + timedelta(days=int(cap_start[j] + cap_len[j])),
            )
        )
    return needs, capacities, areas


def highs_same_lp(needs, capacities, areas, policy: Policy, time_limit: float) -> dict:
    """The plain allocation as one LP for HiGHS (scipy.optimize.linprog):
    the same open pairs, integer costs and penalties P_i = w_i * K that the
    min-cost flow solves first (K = max cost + 1), i.e. minimise
    sum (c - P_i) x under the need and capacity limits.  Returns seconds, status and the weighted units and
    cost of HiGHS' solution (in real units)."""
    from scipy.optimize import linprog
    from scipy.sparse import csr_matrix

    from coordhub.allocation.core.arcs import open_arcs
    from coordhub.allocation.core.compatibility import find_compatible_pairs
    from coordhub.allocation.core.problem import build_problem

    problem = build_problem(needs, capacities, areas, policy, (), ())
    compat = find_compatible_pairs(problem)
    arcs = open_arcs(problem, compat)
    pair = arcs.pair
    need, cap = compat.need[pair], compat.cap[pair]
    cost = compat.unit_cost[pair]
    # The premium the flow tries first (and proves optimal here): max cost + 1.
    big = int(cost.max(initial=0)) + 1
    n = pair.size
    rows = np.concatenate([need, problem.need_count + cap])
    cols = np.concatenate([np.arange(n), np.arange(n)])
    matrix = csr_matrix((np.ones(2 * n), (rows, cols)), shape=(problem.need_count + problem.cap_count, n))
    limits = np.concatenate([arcs.demand, arcs.supply]).astype(np.float64)
    objective = cost.astype(np.float64) - (problem.need_weight[need] * float(big))
    started = time.perf_counter()
    solved = linprog(
        objective, A_ub=matrix, b_ub=limits, bounds=(0, None), method=HIGHS_METHOD, options={"time_limit": time_limit}
    )
    seconds = time.perf_counter() - started
    out = {"seconds": seconds, "status": int(solved.status), "message": str(solved.message), "pairs": int(n)}
    if solved.x is not None and solved.status == 0:
        x = solved.x
        out["weighted_units"] = float(x @ problem.need_weight[need]) / problem.quantity_scale
        out["cost"] = float(x @ cost) / (problem.quantity_scale * problem.cost_scale)
    return out


def side_policies(capacities) -> dict[str, Policy]:
    """Side-constrained variants: budget caps on a third of the organisations
    (half of what they could spend), 50 % admin-1 coverage, 30 % local share,
    then a minimum lot of 25 units, or one provider per need."""
    spend: dict[str, float] = {}
    for c in capacities:
        spend[c.org] = spend.get(c.org, 0.0) + c.quantity * c.unit_cost
    caps = {org: round(0.5 * amount, 2) for org, amount in sorted(spend.items())[::3]}
    common = dict(distance_cost_per_km=DISTANCE_COST_PER_KM, time_limit_seconds=SIDE_TIME_LIMIT)
    linear = dict(budget_caps=caps, min_admin1_coverage=0.5, min_local_share=0.3)
    return {
        "budget+coverage+local+lot": Policy(**common, **linear, min_lot_size=25),
        "budget+coverage+local (LP)": Policy(**common, **linear),
        "single provider": Policy(**common, single_provider=True),
    }


def run_one(label: str, highs: bool, side: bool) -> dict:
    n_needs, n_caps = SIZES[label]
    started = time.perf_counter()
    needs, capacities, areas = make_instance(n_needs, n_caps)
    generated = time.perf_counter() - started
    policy = Policy(distance_cost_per_km=DISTANCE_COST_PER_KM, time_limit_seconds=60)
    allocate(needs[:200], capacities[:100], areas=areas, policy=policy)  # imports and first calls
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    # The machine is shared: repeat, report the fastest run and the median.
    runs = [allocate(needs, capacities, areas=areas, policy=policy) for _ in range(REPEATS[label])]
    rss_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result = min(runs, key=lambda r: r.seconds)
    assert all(r.assignments == result.assignments for r in runs)
    t = result.timings
    row = {
        "size": label,
        "needs": n_needs,
        "capacities": n_caps,
        "generate_s": round(generated, 2),
        "status": str(result.status),
        "engine": result.engine,
        "timings": {k: round(v, 4) for k, v in t.items()},
        "end_to_end_s": round(result.seconds, 4),
        "end_to_end_median_s": round(float(np.median([r.seconds for r in runs])), 4),
        "runs": len(runs),
        "core_s": round(t["compatibility"] + t["build"] + t["solve"] + t["explain"], 4),
        "weighted_units": result.weighted_units,
        "cost": round(result.cost, 2),
        "coverage": round(result.coverage.overall.share, 4),
        "explanations": len(result.explanations),
        "assignments": len(result.assignments),
        "rss_before_mb": round(rss_before, 1),
        "peak_rss_mb": round(rss_peak, 1),
    }
    from coordhub.allocation.core.compatibility import find_compatible_pairs
    from coordhub.allocation.core.problem import build_problem

    pairs = find_compatible_pairs(build_problem(needs, capacities, areas, policy, (), ())).size
    row["pairs"] = int(pairs)
    row["pairs_per_need"] = round(pairs / n_needs, 1)
    if highs:
        h = highs_same_lp(needs, capacities, areas, policy, HIGHS_LIMIT_SECONDS)
        row["highs_s"] = round(h["seconds"], 2)
        row["highs_status"] = h["message"]
        if "weighted_units" in h:
            row["highs_weighted_units"] = h["weighted_units"]
            row["highs_cost"] = round(h["cost"], 2)
            row["same_weighted_units"] = abs(h["weighted_units"] - result.weighted_units) <= 1e-6 * max(
                1.0, result.weighted_units
            )
            row["highs_over_flow_solve"] = round(h["seconds"] / max(t["solve"], 1e-9), 1)
            row["highs_over_end_to_end"] = round(h["seconds"] / result.seconds, 1)
        else:
            row["highs_note"] = f"HiGHS stopped after {HIGHS_LIMIT_SECONDS:.0f} s without an optimum"
    if side:
        row["side"] = []
        for name, side_policy in side_policies(capacities).items():
            r = allocate(needs, capacities, areas=areas, policy=side_policy)
            row["side"].append(
                {
                    "constraints": name,
                    "status": str(r.status),
                    "engine": r.engine,
                    "seconds": round(r.seconds, 2),
                    "weighted_units": r.weighted_units,
                    "lp_bound": None if r.bound is None else round(r.bound, 2),
                    "gap_to_lp_bound": None if r.gap is None else r.gap,
                    "cost": round(r.cost, 2),
                    "timings": {k: round(v, 3) for k, v in r.timings.items()},
                }
            )
    return row


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
        command = [sys.executable, __file__, "--one", label]
        command += ["--no-highs"] if args.no_highs else []
        command += ["--no-side"] if args.no_side else []
        done = subprocess.run(command, capture_output=True, text=True, check=True)
        row = json.loads(done.stdout.strip().splitlines()[-1])
        print(json.dumps(row), flush=True)
        rows.append(row)
    write_results(rows)


def write_results(rows: list[dict]) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    # A run of some sizes replaces those rows and keeps the others.
    previous = RESULTS / "allocation.json"
    if previous.exists():
        kept = {r["size"]: r for r in json.loads(previous.read_text())["rows"]}
        for r in rows:  # field by field: a run without HiGHS keeps the last HiGHS figures
            kept.setdefault(r["size"], {}).update(r)
            if "highs_weighted_units" in kept[r["size"]]:
                kept[r["size"]]["highs_over_end_to_end"] = round(
                    kept[r["size"]]["highs_s"] / kept[r["size"]]["end_to_end_s"], 1
                )
        rows = [kept[label] for label in SIZES if label in kept]
    meta = {
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "machine": platform.machine(),
        "load_average": os.getloadavg(),
        "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }
    (RESULTS / "allocation.json").write_text(json.dumps({"meta": meta, "rows": rows}, indent=2) + "\n")
    lines = [
        "# Allocation benchmark",
        "",
        f"{meta['when']}, {meta['cpus']} CPUs, Python {meta['python']}, load average at the end "
        f"{', '.join(f'{x:.1f}' for x in meta['load_average'])} (the machine is shared).  Produced by "
        "`bench/allocation.py`; times in seconds, plain policy (priority weights, unit cost + distance cost); "
        "phase times of the fastest of several runs, median end to end in brackets; peak RSS of the whole "
        "benchmark process (Python, OR-Tools, the instance's objects).  HiGHS solves the same LP "
        f"(same pairs, integer costs and penalties) through scipy, method {HIGHS_METHOD}, limit "
        f"{HIGHS_LIMIT_SECONDS:.0f} s.",
        "",
        "| size | pairs (per need) | compatibility | build | solve | explain | end to end (median) | peak RSS MB "
        "| HiGHS same LP | HiGHS / end to end | same optimum |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        t = r["timings"]
        highs = r.get("highs_s", "-")
        lines.append(
            f"| {r['size']} | {r['pairs']:,} ({r['pairs_per_need']}) | {t['compatibility']:.3f} | {t['build']:.3f} "
            f"| {t['solve']:.3f} | {t['explain']:.3f} | {r['end_to_end_s']:.3f} ({r['end_to_end_median_s']:.3f}) "
            f"| {r['peak_rss_mb']:.0f} "
            f"| {highs} | {r.get('highs_over_end_to_end', '-')} | {r.get('same_weighted_units', r.get('highs_note', '-'))} |"
        )
    side = [s for r in rows for s in r.get("side", [])]
    if side:
        lines += [
            "",
            f"Side-constrained 10,000 x 5,000, time limit {SIDE_TIME_LIMIT:.0f} s:",
            "",
            "| constraints | engine | status | seconds | weighted units | LP bound | gap to LP bound |",
            "|---|---|---|---|---|---|---|",
        ]
        for s_ in side:
            gap = "-" if s_["gap_to_lp_bound"] is None else f"{100 * s_['gap_to_lp_bound']:.3f} %"
            lines.append(
                f"| {s_['constraints']} | {s_['engine']} | {s_['status']} | {s_['seconds']} "
                f"| {s_['weighted_units']:,.0f} | {s_['lp_bound']} | {gap} |"
            )
    (RESULTS / "allocation.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
