"""What the slow-query watch costs: every database statement is timed (coordhub/server/logs.py).

Runs the same small statements with the timing listeners off and on, in an app context on SQLite (in memory)
and, when DATABASE_URL names a PostgreSQL database, on it too; prints wall and CPU microseconds per statement
and saves them to bench/results/log_overhead.json and .md.

Run: ``.venv/bin/python bench/log_overhead.py [--statements 20000]``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402
from sqlalchemy import event  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402

from coordhub import create_app  # noqa: E402
from coordhub.extensions import db  # noqa: E402
from coordhub.server import logs  # noqa: E402

RESULTS = ROOT / "bench" / "results"


def per_statement(statements: int) -> tuple[float, float]:
    """(wall µs, CPU µs) per `SELECT 1` through the app's session."""
    query = sa.text("SELECT 1")
    db.session.execute(query)  # connect first
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(statements):
        db.session.execute(query)
    return (time.perf_counter() - wall) / statements * 1e6, (time.process_time() - cpu) / statements * 1e6


def measure(url: str, statements: int, repeat: int = 5) -> dict[str, Any]:
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SQLALCHEMY_ENGINE_OPTIONS": {}, "TESTING": True})
    figures: dict[str, Any] = {}
    runs: dict[str, list[tuple[float, float]]] = {"off": [], "on": []}
    with app.app_context():
        for _ in range(repeat):  # off and on in turn, so that a change in the machine's load hits both
            for state in ("off", "on"):
                listening = event.contains(Engine, "after_cursor_execute", logs._query_finished)
                if state == "off" and listening:
                    event.remove(Engine, "before_cursor_execute", logs._query_started)
                    event.remove(Engine, "after_cursor_execute", logs._query_finished)
                if state == "on" and not listening:
                    event.listen(Engine, "before_cursor_execute", logs._query_started)
                    event.listen(Engine, "after_cursor_execute", logs._query_finished)
                runs[state].append(per_statement(statements))
        for state, measured in runs.items():
            figures[f"wall_us_{state}"] = round(min(r[0] for r in measured), 2)
            figures[f"cpu_us_{state}"] = round(min(r[1] for r in measured), 2)
        db.session.remove()
        db.engine.dispose()
    figures["wall_us_added"] = round(figures["wall_us_on"] - figures["wall_us_off"], 2)
    figures["cpu_us_added"] = round(figures["cpu_us_on"] - figures["cpu_us_off"], 2)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--statements", type=int, default=20000)
    args = parser.parse_args()
    databases = {"sqlite": "sqlite:///:memory:"}
    if os.environ.get("DATABASE_URL", "").startswith("postgres"):
        from config import database_url

        databases["postgresql"] = database_url(os.environ["DATABASE_URL"], "")
    rows = {name: measure(url, args.statements) for name, url in databases.items()}
    meta = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "statements": args.statements,
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "log_overhead.json").write_text(json.dumps({"meta": meta, "rows": rows}, indent=2) + "\n")
    lines = [
        "# Slow-query watch: cost per statement",
        "",
        f"{meta['when']}, {meta['cpus']} CPUs, load average {meta['load_average']} (shared machine), "
        f"`SELECT 1` x {args.statements}, best of 5 rounds, off and on in turn. Produced by `bench/log_overhead.py`.",
        "",
        "| database | wall µs off | wall µs on | added | CPU µs off | CPU µs on | added |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, f in rows.items():
        lines.append(
            f"| {name} | {f['wall_us_off']} | {f['wall_us_on']} | {f['wall_us_added']} | "
            f"{f['cpu_us_off']} | {f['cpu_us_on']} | {f['cpu_us_added']} |"
        )
    (RESULTS / "log_overhead.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
