"""Benchmark of the reading layer: the real 3W files read into activities, and the admin-area tree
the allocation core builds its ancestors table from.

Run: ``.venv/bin/python bench/reading.py [--repeat 3]``. Prints the figures and saves them to
bench/results/reading.json and bench/results/reading.md. The real files are read from
``../shared/data`` when present (skipped otherwise).
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from coordhub.allocation.core.areas import build_area_index  # noqa: E402
from coordhub.allocation.core.model import AdminArea  # noqa: E402
from coordhub.overlap.core.three_w import read_three_w  # noqa: E402
from coordhub.reading.tables import read_table  # noqa: E402

DATA = ROOT.parent / "shared" / "data"
RESULTS = ROOT / "bench" / "results"
FILES = (
    ("afg_3w_operational_presence_2024q1.csv", (date(2024, 1, 1), date(2024, 3, 31))),
    ("nga_3w_2023q4.xlsx", None),
)


def best_of(repeat: int, fn, *args, **kwargs):
    """(last value, best wall time in seconds) of ``repeat`` calls."""
    best, value = float("inf"), None
    for _ in range(repeat):
        began = time.perf_counter()
        value = fn(*args, **kwargs)
        best = min(best, time.perf_counter() - began)
    return value, best


def country(provinces: int = 20, districts: int = 50, communes: int = 20) -> list[AdminArea]:
    """A 4-level tree: 1 + 20 + 1,000 + 20,000 areas by default."""
    areas = [AdminArea(pcode="C", level=0)]
    for p in range(provinces):
        areas.append(AdminArea(pcode=f"C{p:02d}", parent_pcode="C", level=1))
        for d in range(districts):
            areas.append(AdminArea(pcode=f"C{p:02d}{d:02d}", parent_pcode=f"C{p:02d}", level=2))
            areas.extend(
                AdminArea(pcode=f"C{p:02d}{d:02d}{c:02d}", parent_pcode=f"C{p:02d}{d:02d}", level=3)
                for c in range(communes)
            )
    return areas


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    figures: dict = {
        "machine": platform.platform(),
        "python": platform.python_version(),
        "repeat": args.repeat,
        "files": [],
    }
    for name, period in FILES:
        path = DATA / name
        if not path.exists():
            continue
        table, table_seconds = best_of(args.repeat, read_table, path)
        imported, seconds = best_of(args.repeat, read_three_w, path, period=period)
        figures["files"].append(
            {
                "file": name,
                "rows": len(table.rows),
                "read_table_seconds": round(table_seconds, 3),
                "read_three_w_seconds": round(seconds, 3),
                "activities": len(imported.activities),
                "areas": len(imported.areas),
                "skipped": len(imported.skipped),
            }
        )
    areas = country()
    index, seconds = best_of(args.repeat, build_area_index, areas, ["UNKNOWN"])
    figures["area_tree"] = {
        "areas": len(areas),
        "build_area_index_seconds": round(seconds, 3),
        "depth": int(index.ancestors.shape[1]),
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "reading.json").write_text(json.dumps(figures, indent=2) + "\n")
    lines = [
        "# Reading layer",
        "",
        f"{figures['machine']}, Python {figures['python']}, best of {args.repeat}",
        "",
        "| file | rows | read_table (s) | read_three_w (s) | activities | areas | skipped |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    lines += [
        f"| {f['file']} | {f['rows']} | {f['read_table_seconds']} | {f['read_three_w_seconds']} | "
        f"{f['activities']} | {f['areas']} | {f['skipped']} |"
        for f in figures["files"]
    ]
    tree = figures["area_tree"]
    lines += [
        "",
        f"Allocation ancestors table from the shared area tree: {tree['areas']} areas, "
        f"{tree['build_area_index_seconds']} s, depth {tree['depth']}.",
    ]
    text = "\n".join(lines) + "\n"
    (RESULTS / "reading.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
