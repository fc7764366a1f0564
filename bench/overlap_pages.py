"""Benchmark of the overlap pages and saves at 20,000 projects: the gap matrix, the alerts inbox, the alerts list,
one alert, a project page (its alerts and the inbox badge) and a save with its overlap detection (the API's PATCH),
each a request through the app (Flask test client, no web server), with its wall time, CPU time and SQL statements.

Run: ``.venv/bin/python bench/overlap_pages.py --database postgresql://postgres@127.0.0.1:5432/coordhub_scratch
[--fill] [--repeat 15] [--label after]``. --fill (or an empty database) fills it as bench/load.py does (its tables
are dropped: use a scratch database): 20,000 projects, 10,000 needs, 2,000 capacities and their overlap alerts.
Prints the figures and writes bench/results/overlap_pages_<label>.json and .md. The machine is shared: CPU time
is reported beside wall time, the app's (this process) and PostgreSQL's (its backend processes, read from /proc,
10 ms ticks: a mean over the requests), and the load average before and after.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import random
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

RESULTS = ROOT / "bench" / "results"
PASSWORD = "load-password"


def _load_module() -> Any:
    spec = importlib.util.spec_from_file_location("bench_load", ROOT / "bench" / "load.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _cpu_seconds(pids: set[int]) -> dict[int, float]:
    """CPU seconds (user + system) each PostgreSQL backend process has used so far (/proc; the database runs on
    this machine in these benchmarks): what the database spent on a request, whatever the machine's load."""
    ticks = os.sysconf("SC_CLK_TCK")
    used = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        used[pid] = (int(fields[11]) + int(fields[12])) / ticks
    return used


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--database", required=True)
    parser.add_argument("--fill", action="store_true", help="fill the database first (drops its tables)")
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--label", default="after")
    options = parser.parse_args()

    from config import database_url
    from coordhub import create_app
    from coordhub.api.models import ApiToken
    from coordhub.auth.models import Role, User
    from coordhub.extensions import db
    from coordhub.overlap.models import OverlapAlert
    from coordhub.registry.models import Operation, Project, Sector

    load = _load_module()
    url = database_url(options.database, options.database)
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": url, "LOG_LEVEL": "WARNING", "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False}
    )
    statements: list[float] = []
    backends: set[int] = set()  # the PostgreSQL processes behind the app's connections
    with app.app_context():

        @sa.event.listens_for(db.engine, "before_cursor_execute")
        def _count(connection: Any, *_args: Any) -> None:
            statements.append(1.0)
            backends.add(connection.connection.dbapi_connection.info.backend_pid)

        present = sa.inspect(db.engine).has_table("operations") and db.session.scalar(
            sa.select(Operation.id).where(Operation.name == load.OPERATION)
        )
        if options.fill or not present:
            print(f"Filling {options.database} ...", flush=True)
            load.fill(app, 20_000, 10_000, 2_000)
        operation = db.session.scalar(sa.select(Operation).where(Operation.name == load.OPERATION))
        coordinator = db.session.scalar(sa.select(User).where(User.role == Role.coordinator).order_by(User.id))
        assert operation is not None and coordinator is not None, "no filled operation: run with --fill"
        focal_points = db.session.scalars(
            sa.select(User).where(User.role == Role.focal_point).order_by(User.id).limit(10)
        ).all()
        # The organisation with the most alerts (the generator's distribution gives one most of them): the inbox's
        # worst case, and one of the others.
        busiest = db.session.scalar(
            sa.select(OverlapAlert.organisation_a_id)
            .group_by(OverlapAlert.organisation_a_id)
            .order_by(sa.func.count().desc())
            .limit(1)
        )
        focal = next(u for u in focal_points if u.organisation_id == busiest)
        token = ApiToken.issue(focal, "overlap pages bench")[1]
        own = db.session.scalars(
            sa.select(Project.id)
            .where(Project.organisation_id == focal.organisation_id)
            .order_by(Project.id)
            .limit(200)
        ).all()
        sectors = db.session.scalars(sa.select(Sector.id).order_by(Sector.id)).all()
        alert_ids = db.session.scalars(
            sa.select(OverlapAlert.id).where(OverlapAlert.operation_id == operation.id).limit(200)
        ).all()
        counts = {
            name: db.session.scalar(sa.text(f"SELECT count(*) FROM {name}"))
            for name in ("projects", "needs", "capacities", "overlap_alerts")
        }
        emails = {"coordinator": coordinator.email, "focal": focal.email}
        db.session.commit()
        db.session.remove()

    rng = random.Random(5)
    # The saves' new end dates differ from run to run: a date already stored would make the save a no-op.
    dates = random.Random(time.time_ns())
    routes: list[tuple[str, str, Any]] = [
        ("GET /gaps/ (coordinator)", "coordinator", lambda c: c.get("/gaps/")),
        ("GET /gaps/?level=2 (coordinator)", "coordinator", lambda c: c.get("/gaps/?level=2")),
        ("GET /gaps/ (focal point)", "focal", lambda c: c.get("/gaps/")),
        ("GET /overlaps/inbox (busiest organisation)", "focal", lambda c: c.get("/overlaps/inbox")),
        ("GET /overlaps/inbox?page=3", "focal", lambda c: c.get("/overlaps/inbox?page=3")),
        (
            "GET /overlaps/?sector (coordinator)",
            "coordinator",
            lambda c: c.get(f"/overlaps/?sector={rng.choice(sectors)}"),
        ),
        ("GET /overlaps/ (focal point)", "focal", lambda c: c.get("/overlaps/")),
        ("GET /overlaps/<id>", "coordinator", lambda c: c.get(f"/overlaps/{rng.choice(alert_ids)}")),
        ("GET /projects/<id> (alerts, badge)", "focal", lambda c: c.get(f"/projects/{rng.choice(own)}")),
        (
            "PATCH /api/v1/projects/<id> (save + detection)",
            "api",
            lambda c: c.patch(
                f"/api/v1/projects/{rng.choice(own)}",
                json={"end_date": (date(2027, 1, 1) + timedelta(days=dates.randrange(3650))).isoformat()},
                headers={"Authorization": f"Bearer {token}"},
            ),
        ),
    ]
    load_before = os.getloadavg()
    results = []
    clients = {}
    for who in ("coordinator", "focal"):
        client = app.test_client()
        response = client.post("/login", data={"email": emails[who], "password": PASSWORD})
        assert response.status_code == 302, f"sign-in of {who}: {response.status_code}"
        clients[who] = client
    clients["api"] = app.test_client()
    for name, who, call in routes:
        walls, cpus, sql, database = [], [], [], []
        call(clients[who])  # warm: first request of a route (templates compiled, caches filled)
        for _ in range(options.repeat):
            statements.clear()
            known = _cpu_seconds(backends)
            cpu, wall = time.process_time(), time.perf_counter()
            response = call(clients[who])
            walls.append((time.perf_counter() - wall) * 1000)
            cpus.append((time.process_time() - cpu) * 1000)
            sql.append(len(statements))
            database.append(
                sum(seconds - known.get(pid, 0.0) for pid, seconds in _cpu_seconds(backends).items()) * 1000
            )
            assert response.status_code == 200, (
                f"{name}: {response.status_code} {response.get_data(as_text=True)[:300]}"
            )
        row = {
            "route": name,
            "p50_ms": round(statistics.median(walls), 1),
            "p95_ms": round(_percentile(walls, 0.95), 1),
            "max_ms": round(max(walls), 1),
            "cpu_p50_ms": round(statistics.median(cpus), 1),
            "database_cpu_mean_ms": round(statistics.mean(database), 1),
            "sql_statements": int(statistics.median(sql)),
        }
        results.append(row)
        print(
            f"{name}: p50 {row['p50_ms']} ms, p95 {row['p95_ms']} ms, CPU {row['cpu_p50_ms']} ms, "
            f"database CPU {row['database_cpu_mean_ms']} ms, "
            f"{row['sql_statements']} SQL",
            flush=True,
        )
    report = {
        "label": options.label,
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "load_average": [round(load_before[0], 2), round(os.getloadavg()[0], 2)],
        "data": f"{counts['projects']:,} projects, {counts['needs']:,} needs, {counts['capacities']:,} capacities, "
        f"{counts['overlap_alerts']:,} overlap alerts",
        "repeat": options.repeat,
        "routes": results,
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"overlap_pages_{options.label}.json").write_text(json.dumps(report, indent=1) + "\n")
    lines = [
        f"# Overlap pages and saves at 20,000 projects ({options.label})",
        "",
        f"Machine: {report['machine']}, PostgreSQL; load average {report['load_average'][0]} before, "
        f"{report['load_average'][1]} after (the machine is shared). Data: {report['data']}. {options.repeat} "
        f"requests per route through the Flask test client (no web server), after one warm-up request; CPU: this "
        f"process's, and PostgreSQL's backends' (from /proc, 10 ms ticks, so a mean). "
        f"Command: `.venv/bin/python bench/overlap_pages.py --database URL --label {options.label}`; {report['date']}.",
        "",
        "| route | p50 ms | p95 ms | max ms | CPU p50 ms (app) | CPU mean ms (PostgreSQL) | SQL statements |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in results:
        lines.append(
            f"| {row['route']} | {row['p50_ms']} | {row['p95_ms']} | {row['max_ms']} | {row['cpu_p50_ms']} | "
            f"{row['database_cpu_mean_ms']} | {row['sql_statements']} |"
        )
    (RESULTS / f"overlap_pages_{options.label}.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
