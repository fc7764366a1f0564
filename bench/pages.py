"""Single-request cost of the pages and API reads of issue 9 on the 20,000-project operation of bench/load.py:
wall and CPU milliseconds and SQL statements per request, p50/p95 over N requests each.

Run: ``.venv/bin/python bench/pages.py --database postgresql://postgres@127.0.0.1:5432/coordhub_prod
[--label after] [--requests 30] [--fill]``. The database must hold bench/load.py's operation (``--fill``
makes it: its tables are dropped, use a scratch database).

Requests go through Flask's test client in this process, one at a time, so that the CPU time
(``time.process_time``) is this request's Python work alone, however loaded the shared machine is; the SQL
statements are counted with an engine event and their wall time summed (PostgreSQL's own CPU is not in the
CPU figure). Results are kept per --label in bench/results/pages.json (an earlier label, e.g. "before", stays)
and all labels are written side by side to bench/results/pages.md.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import random
import re
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

RESULTS = ROOT / "bench" / "results"
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def _load_bench() -> Any:
    spec = importlib.util.spec_from_file_location("bench_load", ROOT / "bench" / "load.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class SqlCounter:
    """Counts the statements the engine executes and sums their wall time."""

    def __init__(self, engine: sa.Engine) -> None:
        self.statements = 0
        self.seconds = 0.0
        self._started: list[float] = []
        sa.event.listen(engine, "before_cursor_execute", self._before)
        sa.event.listen(engine, "after_cursor_execute", self._after)

    def _before(self, *_: Any) -> None:
        self.statements += 1
        self._started.append(time.perf_counter())

    def _after(self, *_: Any) -> None:
        if self._started:
            self.seconds += time.perf_counter() - self._started.pop()

    def reset(self) -> None:
        self.statements, self.seconds = 0, 0.0


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))]


def measure(
    name: str, requests: int, call: Callable[[int], Any], counter: SqlCounter, expected: tuple[int, ...]
) -> dict[str, Any]:
    """`call(i)` `requests` times after one warm-up call; every answer must have an expected status."""
    call(-1)
    walls, cpus, statements, sql = [], [], [], []
    for number in range(requests):
        counter.reset()
        wall, cpu = time.perf_counter(), time.process_time()
        response = call(number)
        cpus.append((time.process_time() - cpu) * 1000)
        walls.append((time.perf_counter() - wall) * 1000)
        statements.append(counter.statements)
        sql.append(counter.seconds * 1000)
        if response.status_code not in expected:
            raise SystemExit(f"{name}: status {response.status_code}\n{response.get_data(as_text=True)[:2000]}")
    row = {
        "requests": requests,
        "p50_ms": round(statistics.median(walls), 1),
        "p95_ms": round(percentile(walls, 0.95), 1),
        "cpu_ms": round(statistics.mean(cpus), 1),
        "cpu_p95_ms": round(percentile(cpus, 0.95), 1),
        "sql_statements": round(statistics.mean(statements), 1),
        "sql_ms": round(statistics.mean(sql), 1),
    }
    print(
        f"  {name:<42} p50 {row['p50_ms']:>7} ms  p95 {row['p95_ms']:>7} ms  cpu {row['cpu_ms']:>7} ms"
        f"  sql {row['sql_statements']:>6} stmts {row['sql_ms']:>7} ms",
        flush=True,
    )
    return row


def sign_in(client: Any, email: str, password: str) -> Any:
    page = client.get("/login")
    token = CSRF.search(page.get_data(as_text=True))
    return client.post(
        "/login", data={"email": email, "password": password, "csrf_token": token.group(1) if token else ""}
    )


def run(app: Any, requests: int, only: list[str] | None, analyse_skipped: bool = False) -> dict[str, dict[str, Any]]:
    from coordhub.api.models import ApiToken
    from coordhub.auth.models import Role, User
    from coordhub.extensions import db
    from coordhub.registry.models import AdminArea, Capacity, Need, Operation, Project, Sector

    load = _load_bench()
    rng = random.Random(5)
    with app.app_context():
        operation = db.session.scalar(sa.select(Operation).where(Operation.name == load.OPERATION))
        if operation is None:
            raise SystemExit("No load operation in this database: run with --fill first.")
        operation_id = operation.id
        if db.engine.dialect.name == "postgresql" and not analyse_skipped:
            load.analyse()  # fresh planner statistics, as autovacuum keeps them in production
        coordinator = db.session.scalar(sa.select(User).where(User.role == Role.coordinator).order_by(User.id))
        counts = dict(
            db.session.execute(
                sa.select(Project.organisation_id, sa.func.count())
                .where(Project.operation_id == operation_id)
                .group_by(Project.organisation_id)
            ).all()
        )
        partner = max(
            db.session.scalars(sa.select(User).where(User.role == Role.focal_point)),
            key=lambda user: counts.get(user.organisation_id, 0),
        )
        if coordinator is None:
            raise SystemExit("No coordinator in the load operation.")
        tokens = {
            "partner": ApiToken.issue(partner, "bench pages")[1],
            "coordinator": ApiToken.issue(coordinator, "bench pages")[1],
        }
        emails = {"partner": partner.email, "coordinator": coordinator.email}
        db.session.commit()

        def ids(kind: Any) -> list[int]:
            return list(db.session.scalars(sa.select(kind.id).where(kind.operation_id == operation_id)))

        projects = rng.sample(ids(Project), requests + 1)
        needs = rng.sample(ids(Need), requests + 1)
        capacities = rng.sample(ids(Capacity), requests + 1)
        sectors = list(db.session.scalars(sa.select(Sector.id)))
        areas = list(
            db.session.scalars(
                sa.select(AdminArea.id).where(AdminArea.operation_id == operation_id, AdminArea.level.in_((1, 2)))
            )
        )
        districts = db.session.execute(
            sa.select(AdminArea.pcode).where(AdminArea.operation_id == operation_id, AdminArea.level == 2)
        ).all()
        sector_names = list(db.session.scalars(sa.select(Sector.name)))
        organisations = db.session.execute(
            sa.text("SELECT name, acronym FROM organisations WHERE id IN (SELECT organisation_id FROM projects)")
        ).all()
        import_file = load.three_w_file(1000, organisations, districts, sector_names)
        db.session.remove()

    def filters(number: int) -> dict[str, Any]:
        choice = random.Random(number).random()
        pick = random.Random(number * 7 + 1)
        if choice < 0.4:
            return {"sector": pick.choice(sectors)}
        if choice < 0.8:
            return {"area": pick.choice(areas), "sector": pick.choice(sectors)}
        return {"q": pick.choice(["water", "school", "training", "kits", "support"])}

    counter = sql_counter_for(app)
    clients = {}
    for who in ("partner", "coordinator"):
        clients[who] = app.test_client()
        response = sign_in(clients[who], emails[who], load.PASSWORD)
        if response.status_code != 302:
            raise SystemExit(f"sign-in of {emails[who]} failed: {response.status_code}")
    partner_client, coordinator_client = clients["partner"], clients["coordinator"]
    api = {"Authorization": f"Bearer {tokens['partner']}"}
    imports = iter(range(10**6))

    def post_login(_number: int) -> Any:
        login_client = app.test_client()  # a browser that is not signed in
        page = login_client.get("/login")
        token = CSRF.search(page.get_data(as_text=True))
        return login_client.post(
            "/login",
            data={"email": emails["partner"], "password": load.PASSWORD, "csrf_token": token.group(1) if token else ""},
        )

    def post_import(_number: int) -> Any:
        data = import_file.replace(b"LOADRUN", f"pages-{time.time_ns()}-{next(imports)}".encode())
        return coordinator_client.post(
            "/api/v1/imports",
            headers={"Authorization": f"Bearer {tokens['coordinator']}"},
            data={"kind": "projects", "commit": "true", "skip_invalid": "true", "file": (_bytes(data), "load-3w.csv")},
            content_type="multipart/form-data",
        )

    ok = (200,)
    routes: dict[str, tuple[Callable[[int], Any], tuple[int, ...], int]] = {
        "GET / (dashboard)": (lambda n: partner_client.get("/"), ok, requests),
        "GET / (dashboard, coordinator)": (lambda n: coordinator_client.get("/"), ok, requests),
        "GET /projects/<id>": (lambda n: partner_client.get(f"/projects/{projects[n]}"), ok, requests),
        "GET /needs/<id>": (lambda n: partner_client.get(f"/needs/{needs[n]}"), ok, requests),
        "GET /capacities/<id>": (lambda n: partner_client.get(f"/capacities/{capacities[n]}"), ok, requests),
        "GET /projects/?filters": (lambda n: partner_client.get("/projects/", query_string=filters(n)), ok, requests),
        "GET /needs/?filters": (lambda n: partner_client.get("/needs/", query_string=filters(n)), ok, requests),
        "GET /capacities/": (lambda n: partner_client.get("/capacities/"), ok, requests),
        "GET /allocations/new": (lambda n: coordinator_client.get("/allocations/new"), ok, requests),
        "GET /api/v1/projects?sector": (
            lambda n: partner_client.get(
                "/api/v1/projects", query_string={"sector": sectors[n % len(sectors)], "per_page": 50}, headers=api
            ),
            ok,
            requests,
        ),
        "GET /api/v1/projects/<id>": (
            lambda n: partner_client.get(f"/api/v1/projects/{projects[n]}", headers=api),
            ok,
            requests,
        ),
        "GET /api/v1/needs/<id>": (
            lambda n: partner_client.get(f"/api/v1/needs/{needs[n]}", headers=api),
            ok,
            requests,
        ),
        "POST /login": (post_login, (302,), max(5, requests // 3)),
        "POST /api/v1/imports (1,000 rows, commit)": (post_import, (200, 201, 202), 3),
    }
    results = {}
    for name, (call, expected, count) in routes.items():
        if only and not any(part in name for part in only):
            continue
        # No app context around the requests: each request has its own (its own session and `g`), as in a server.
        results[name] = measure(name, count, call, counter, expected)
    with app.app_context():  # the imported projects go (their areas and alerts with them): the next run is alike
        db.session.execute(sa.text("DELETE FROM projects WHERE code LIKE 'pages-%'"))
        db.session.commit()
    return results


def _bytes(data: bytes) -> Any:
    import io

    return io.BytesIO(data)


_COUNTERS: dict[int, SqlCounter] = {}


def sql_counter_for(app: Any) -> SqlCounter:
    from coordhub.extensions import db

    with app.app_context():
        engine = db.engine
    if id(engine) not in _COUNTERS:
        _COUNTERS[id(engine)] = SqlCounter(engine)
    return _COUNTERS[id(engine)]


def markdown(report: dict[str, Any]) -> str:
    labels = list(report["runs"])
    lines = [
        "# Pages and API reads at 20,000 projects: cost of one request",
        "",
        "`bench/pages.py`: Flask's test client in one process, one request at a time, on bench/load.py's operation "
        "(20,000 projects, 10,000 needs, 2,000 capacities and their overlap alerts) in PostgreSQL; signed in as the "
        "focal point with the most projects (the coordinator for /allocations/new and the import). CPU is this "
        "process's time (the request's Python work), SQL is the statements per request and their summed wall time. "
        "The machine is shared: wall times include other engineers' load (load averages below), CPU and statement "
        "counts do not.",
        "",
    ]
    for label in labels:
        run = report["runs"][label]
        lines.append(
            f"- **{label}**: {run.get('note') or ''} {run['date']}, commit {run['commit']}, "
            f"{run['requests']} requests per route, "
            f"load average {run['load_before']} → {run['load_after']}, {run['machine']}"
        )
    lines += [
        "",
        "| route | " + " | ".join(f"{label} p50 / p95 ms | {label} CPU ms | {label} SQL" for label in labels) + " |",
    ]
    lines.append("|---" * (1 + 3 * len(labels)) + "|")
    names: list[str] = []
    for label in labels:
        names += [name for name in report["runs"][label]["routes"] if name not in names]
    for name in names:
        cells = [name]
        for label in labels:
            row = report["runs"][label]["routes"].get(name)
            if row is None:
                cells += ["", "", ""]
            else:
                cells += [
                    f"{row['p50_ms']:g} / {row['p95_ms']:g}",
                    f"{row['cpu_ms']:g}",
                    f"{row['sql_statements']:g} ({row['sql_ms']:g} ms)",
                ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--database", default="postgresql://postgres@127.0.0.1:5432/coordhub_prod")
    parser.add_argument("--label", default="after")
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--only", nargs="*", help="routes whose name contains one of these")
    parser.add_argument("--fill", action="store_true", help="fill the database first (drops its tables)")
    parser.add_argument("--note", default="", help="what this label measured (kept with the figures)")
    parser.add_argument("--no-save", action="store_true")
    parser.add_argument("--no-analyse", action="store_true", help="measure without refreshing planner statistics")
    arguments = parser.parse_args()

    os.environ.pop("REDIS_URL", None)  # before config is read: no Redis needed, jobs would run in a thread
    from config import database_url
    from coordhub import create_app

    url = database_url(arguments.database, arguments.database)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "LOG_LEVEL": "WARNING", "SECRET_KEY": "bench-pages"})
    if arguments.fill:
        load = _load_bench()
        with app.app_context():
            load.fill(app, 20_000, 10_000, 2_000)
    load_before = os.getloadavg()
    results = run(app, arguments.requests, arguments.only, arguments.no_analyse)
    load_after = os.getloadavg()
    if arguments.no_save:
        return
    import subprocess

    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=False
    ).stdout.strip()
    path = RESULTS / "pages.json"
    report = json.loads(path.read_text()) if path.exists() else {"runs": {}}
    previous = report["runs"].get(arguments.label, {}).get("routes", {}) if arguments.only else {}
    report["runs"][arguments.label] = {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "commit": commit,
        "note": arguments.note or report["runs"].get(arguments.label, {}).get("note", ""),
        "requests": arguments.requests,
        "load_before": round(load_before[0], 2),
        "load_after": round(load_after[0], 2),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "routes": {**previous, **results},
    }
    RESULTS.mkdir(exist_ok=True)
    path.write_text(json.dumps(report, indent=2) + "\n")
    (RESULTS / "pages.md").write_text(markdown(report))
    print(f"Written {path} and pages.md")


if __name__ == "__main__":
    main()
