"""Benchmark of overlap detection: 100,000 synthetic activities, one-activity checks, real 3W files.

Run: ``.venv/bin/python bench/overlap.py [--activities 100000] [--checks 300] [--seed 7]``.
Prints the figures and saves them to bench/results/overlap.json and bench/results/overlap.md.
Targets (issue 4): full detection of 100,000 activities under 5 s on 2 cores; the check of one
new activity against 100,000 stored ones under 50 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from coordhub.overlap.core import Activity, AdminArea, OverlapIndex, detect_overlaps  # noqa: E402
from coordhub.overlap.core.three_w import read_three_w  # noqa: E402

DATA = ROOT.parent / "shared" / "data"
RESULTS = ROOT / "bench" / "results"
SECTORS = (
    "Education",
    "Health",
    "WASH",
    "Protection",
    "Food Security",
    "Shelter",
    "Nutrition",
    "Livelihoods",
    "Logistics",
    "Early Recovery",
    "Mine Action",
)
VERBS = (
    "Support to",
    "Rehabilitation of",
    "Training on",
    "Distribution for",
    "Mobile",
    "Community",
    "Emergency",
    "Improved",
)


def synthetic_areas(provinces: int = 30, districts: int = 12, communes: int = 8) -> list[AdminArea]:
    """A country with provinces, districts and communes (3,271 areas by default)."""
    areas = [AdminArea("XX", None, "Country", 0)]
    for p in range(1, provinces + 1):
        pp = f"XX{p:02d}"
        areas.append(AdminArea(pp, "XX", f"Province {p}", 1))
        for d in range(1, districts + 1):
            dd = f"{pp}{d:02d}"
            areas.append(AdminArea(dd, pp, f"District {p}-{d}", 2))
            for c in range(1, communes + 1):
                areas.append(AdminArea(f"{dd}{c:02d}", dd, f"Commune {p}-{d}-{c}", 3))
    return areas


def synthetic_activities(n: int, areas: list[AdminArea], seed: int) -> list[Activity]:
    """Activities spread like a real response: hot-spot provinces, mostly district and commune
    level, 1–18 months long, some open-ended or with unknown start, 3% funder/partner reports of
    one intervention and 1% entered twice by the same organisation."""
    rng = np.random.default_rng(seed)
    by_level: dict[int, list[str]] = {}
    for a in areas:
        by_level.setdefault(a.level, []).append(a.pcode)
    children: dict[str, list[str]] = {}
    for a in areas:
        if a.parent_pcode:
            children.setdefault(a.parent_pcode, []).append(a.pcode)
    provinces = by_level[1]
    hot = 1.0 / np.arange(1, len(provinces) + 1) ** 0.8  # a few provinces draw most of the work
    rng.shuffle(hot)
    hot /= hot.sum()
    orgs = [f"ORG{i:03d}" for i in range(400)]
    org_weight = 1.0 / np.arange(1, len(orgs) + 1) ** 0.9
    org_weight /= org_weight.sum()
    types = {s: [f"{s.lower()} type {k}" for k in range(6)] for s in SECTORS}
    first = date(2024, 1, 1).toordinal()

    def place() -> list[str]:
        province = provinces[rng.choice(len(provinces), p=hot)]
        level = rng.choice(4, p=[0.002, 0.048, 0.55, 0.4])
        if level == 0:
            return ["XX"]
        if level == 1:
            return [province]
        district_list = children[province]
        district = district_list[min(int(rng.exponential(5)), len(district_list) - 1)]
        pool = [district] if level == 2 else children[district]
        k = 1 if rng.random() < 0.85 else int(rng.integers(2, 4))
        return list(dict.fromkeys(rng.choice(pool, size=min(k, len(pool)), replace=False).tolist()))

    out: list[Activity] = []
    while len(out) < n:
        sector = SECTORS[int(rng.integers(len(SECTORS)))]
        activity_type = types[sector][int(rng.integers(6))]
        pcodes = place()
        start_ordinal = first + int(rng.integers(0, 3 * 365))
        length = int(rng.integers(30, 540))
        start = date.fromordinal(start_ordinal)
        end = date.fromordinal(start_ordinal + length)
        roll = rng.random()
        if roll < 0.10:
            end = None
        elif roll < 0.15:
            start = None
        org = orgs[int(rng.choice(len(orgs), p=org_weight))]
        title = f"{VERBS[int(rng.integers(len(VERBS)))]} {activity_type} {pcodes[0][-2:]}"
        base = dict(
            sector=sector,
            pcodes=pcodes,
            activity_type=activity_type,
            start=start,
            end=end,
            title=title,
            beneficiaries=int(rng.integers(50, 5000)),
        )
        partner = orgs[int(rng.integers(len(orgs)))]
        roll = rng.random()
        if roll < 0.03 and partner != org:
            out.append(Activity(id=f"A{len(out)}", organisation=org, implementing_partners=[partner], **base))
            out.append(Activity(id=f"A{len(out)}", organisation=partner, **base))
        elif roll < 0.04:
            out.append(Activity(id=f"A{len(out)}", organisation=org, **base))
            shifted = dict(base, start=start + timedelta(days=3) if start else None)
            out.append(Activity(id=f"A{len(out)}", organisation=org, **shifted))
        else:
            out.append(Activity(id=f"A{len(out)}", organisation=org, **base))
    return out[:n]


def timed(fn, *args, **kwargs):
    began = time.perf_counter()
    value = fn(*args, **kwargs)
    return value, time.perf_counter() - began


def bench_full(activities, areas, repeats: int) -> dict:
    detect_overlaps(activities[:2000], areas)  # warm-up (imports, numpy, rapidfuzz)
    runs = [timed(detect_overlaps, activities, areas) for _ in range(repeats)]
    result = runs[0][0]
    seconds = [s for _, s in runs]
    _, seconds_no_clusters = timed(detect_overlaps, activities, areas, clusters=False)
    sample = min(len(result.overlaps), 100_000)
    _, explain_seconds = timed(lambda: [o.explanation for o in result.overlaps[:sample]])
    return {
        "activities": result.activity_count,
        "pairs": len(result.overlaps),
        "pairs_by_kind": {k.value: v for k, v in result.overlaps.count_by_kind().items()},
        "clusters": len(result.clusters),
        "largest_cluster_organisations": max((c.organisation_count for c in result.clusters), default=0),
        "linked_double_counts": len(result.linked_activity_ids),
        "seconds_full_detection": round(min(seconds), 3),
        "seconds_full_detection_runs": [round(s, 3) for s in seconds],
        "seconds_without_clusters": round(seconds_no_clusters, 3),
        "seconds_per_100k_explanations": round(explain_seconds * 100_000 / max(sample, 1), 3),
    }


def bench_index(activities, areas, checks: int, seed: int) -> dict:
    index, build_seconds = timed(OverlapIndex, activities, areas)
    probes = synthetic_activities(checks, areas, seed + 1)
    probes = [Activity(**{**_fields(p), "id": f"new{i}"}) for i, p in enumerate(probes)]
    country = Activity(
        id="new-country",
        organisation="ORG000",
        sector="Health",
        pcodes=["XX"],
        activity_type="health type 1",
        start=date(2025, 1, 1),
        end=None,
        title="Mobile health type 1 XX",
    )
    times, found = [], []
    for probe in probes:
        pairs, seconds = timed(index.check, probe)
        times.append(seconds)
        found.append(len(pairs))
    worst_pairs, worst_seconds = timed(index.check, country)
    add_times = []
    for probe in probes[:50]:
        _, seconds = timed(index.add, probe)
        add_times.append(seconds)
    remove_times = []
    for probe in probes[:50]:
        _, seconds = timed(index.remove, probe.id)
        remove_times.append(seconds)
    ms = sorted(t * 1000 for t in times)
    return {
        "stored": len(activities),
        "seconds_build_index": round(build_seconds, 3),
        "checks": len(times),
        "check_ms_median": round(statistics.median(ms), 2),
        "check_ms_p95": round(ms[int(0.95 * (len(ms) - 1))], 2),
        "check_ms_max": round(ms[-1], 2),
        "pairs_per_check_median": statistics.median(found),
        "check_ms_countrywide_activity": round(worst_seconds * 1000, 2),
        "pairs_countrywide_activity": len(worst_pairs),
        "add_ms_median": round(statistics.median(add_times) * 1000, 2),
        "remove_ms_median": round(statistics.median(remove_times) * 1000, 2),
    }


def _fields(activity: Activity) -> dict:
    return {name: getattr(activity, name) for name in Activity.__slots__}


def bench_real() -> dict:
    out = {}
    files = {
        "afghanistan_3w_2024q1": (
            DATA / "afg_3w_operational_presence_2024q1.csv",
            (date(2024, 1, 1), date(2024, 3, 31)),
        ),
        "nigeria_3w_2023q4": (DATA / "nga_3w_2023q4.xlsx", None),
    }
    for name, (path, period) in files.items():
        if not path.exists():
            continue
        imported, read_seconds = timed(read_three_w, path, period=period)
        result = detect_overlaps(imported.activities, imported.areas, period=period)
        out[name] = {
            "activities": result.activity_count,
            "pairs": len(result.overlaps),
            "pairs_by_kind": {k.value: v for k, v in result.overlaps.count_by_kind().items()},
            "clusters": len(result.clusters),
            "seconds_read": round(read_seconds, 3),
            "seconds_detect": round(result.seconds, 3),
        }
    return out


def markdown(figures: dict) -> str:
    full, index = figures["full"], figures["index"]
    lines = [
        "# Overlap detection benchmark",
        "",
        f"Machine: {figures['machine']}. Command: `.venv/bin/python bench/overlap.py`.",
        f"Synthetic data: {full['activities']:,} activities over {figures['areas']:,} admin areas "
        "(country, 30 provinces, 360 districts, 2,880 communes), 11 sectors, 400 organisations, "
        f"3 years; seed {figures['seed']}. It is denser than both real files: "
        f"{full['pairs'] / full['activities']:.0f} pairs per activity (Afghanistan 3W: 3, "
        "Nigeria 3W: 24).",
        "",
        "| measure | figure | target |",
        "|---|---|---|",
        f"| full detection, {full['activities']:,} activities (pairs + clusters) | "
        f"{full['seconds_full_detection']} s (best of "
        f"{', '.join(map(str, full['seconds_full_detection_runs']))}) | < 5 s |",
        f"| full detection without clusters | {full['seconds_without_clusters']} s | |",
        f"| pairs found / clusters | {full['pairs']:,} / {full['clusters']:,} | |",
        f"| build OverlapIndex over {index['stored']:,} | {index['seconds_build_index']} s | once |",
        f"| check of one new activity, median / p95 / max of {index['checks']} | "
        f"{index['check_ms_median']} / {index['check_ms_p95']} / {index['check_ms_max']} ms | "
        "< 50 ms |",
        f"| check of a countrywide activity ({index['pairs_countrywide_activity']:,} pairs) | "
        f"{index['check_ms_countrywide_activity']} ms | < 50 ms |",
        f"| add / remove one activity, median | {index['add_ms_median']} / {index['remove_ms_median']} ms | |",
        f"| building 100,000 explanations (lazy, on demand) | {full['seconds_per_100k_explanations']} s | |",
    ]
    for name, real in figures.get("real", {}).items():
        lines.append(
            f"| {name}: {real['activities']:,} activities → {real['pairs']:,} pairs, "
            f"{real['clusters']:,} clusters | read {real['seconds_read']} s, detect "
            f"{real['seconds_detect']} s | |"
        )
    lines += ["", "Pairs by kind (synthetic): " + ", ".join(f"{k} {v:,}" for k, v in full["pairs_by_kind"].items()), ""]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--activities", type=int, default=100_000)
    parser.add_argument("--checks", type=int, default=300)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    areas = synthetic_areas()
    activities, generate_seconds = timed(synthetic_activities, args.activities, areas, args.seed)
    figures = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, numpy {np.__version__}",
        "seed": args.seed,
        "areas": len(areas),
        "seconds_generate": round(generate_seconds, 2),
        "full": bench_full(activities, areas, args.repeats),
        "index": bench_index(activities, areas, args.checks, args.seed),
        "real": bench_real(),
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "overlap.json").write_text(json.dumps(figures, indent=2) + "\n")
    text = markdown(figures)
    (RESULTS / "overlap.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
