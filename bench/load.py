"""Load benchmark of the production stack: gunicorn, PostgreSQL, Redis and two RQ workers on loopback, driven by
Locust (headless, bounded in time) with signed-in users doing the daily mix (bench/locustfile.py).

Run: ``.venv/bin/python bench/load.py --database postgresql://postgres@127.0.0.1:5432/coordhub_prod
[--redis redis://127.0.0.1:6379/3] [--web-workers 4] [--steps 8 16 32 64] [--step-seconds 45] [--reuse]``.

1. Fills the database (its tables are dropped: use a scratch database) with one operation of 20,000 projects,
   10,000 needs, 2,000 capacities, 40 partner organisations with a focal point each, a coordinator, and their
   overlap alerts (full detection), unless --reuse finds it already there.
2. Starts `coordhub serve` (gunicorn, --web-workers processes) and two `coordhub worker` processes on loopback.
3. Runs Locust once per step of concurrent users (each step bounded by --step-seconds); in each step one
   coordinator starts an allocation run (a background job) and imports a 1,000-row 3W file through the API.
4. Stops everything and writes bench/results/load.json and load.md: throughput, p50/p95/p99 per route, errors,
   the background jobs' durations, and the machine's load average (the machine is shared).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import platform
import random
import secrets
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

RESULTS = ROOT / "bench" / "results"
PASSWORD = "load-password"
OPERATION = "Load 20000"


def _bench_module(name: str):
    import importlib.util

    spec = importlib.util.spec_from_file_location(f"bench_{name}", ROOT / "bench" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def fill(app, projects: int, needs: int, capacities: int, seed: int = 9) -> None:
    """The operation: projects from bench/overlap_alerts.py's generator, then needs, capacities, alerts."""
    from flask_migrate import upgrade

    from coordhub.auth.models import Role, User
    from coordhub.database import utcnow
    from coordhub.extensions import db
    from coordhub.overlap.detection import detect_operation
    from coordhub.registry.models import Capacity, Need, Organisation, OrganisationType, capacity_areas

    rng = random.Random(seed)
    db.session.remove()  # no open transaction may hold a lock on the tables dropped here
    with db.engine.begin() as connection:
        connection.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    upgrade()
    from coordhub.registry.reference import ensure_reference_data

    ensure_reference_data()
    db.session.commit()
    began = time.perf_counter()
    operation, users, refs = _bench_module("overlap_alerts")._setup(projects, rng)
    operation.name = OPERATION
    local = Organisation(name="Prefecture (load)", acronym="PREF", type=OrganisationType.local_authority, is_local=True)
    db.session.add(local)
    db.session.flush()
    coordinator = User(
        email="coordinator@load.bench",
        name="Coordinator",
        role=Role.coordinator,
        organisation_id=local.id,
        operations=[operation],
        current_operation=operation,
    )
    db.session.add(coordinator)
    coordinator.set_password(PASSWORD)
    for user in users:
        user.password_hash = coordinator.password_hash
    now, types, areas = utcnow(), refs["types"], refs["areas"]
    need_rows = []
    for number in range(needs):
        type_id, sector_id = rng.choice(types)
        start = date(2026, 1, 1) + timedelta(days=rng.randrange(0, 300))
        need_rows.append(
            {
                "operation_id": operation.id,
                "organisation_id": local.id,
                "admin_area_id": rng.choice(areas[rng.choice((2, 3))]),
                "sector_id": sector_id,
                "resource_type_id": type_id,
                "title": f"Need {number}",
                "description": "",
                "quantity": rng.randint(10, 500),
                "priority": rng.randint(1, 5),
                "start_date": start,
                "end_date": start + timedelta(days=90),
                "source": "load",
                "status": "open",
                "sensitive": False,
                "code": f"N{number}",
                "created_at": now,
                "updated_at": now,
            }
        )
    db.session.execute(sa.insert(Need.__table__), need_rows)
    organisation_ids = sorted({user.organisation_id for user in users})
    capacity_rows = [
        {
            "operation_id": operation.id,
            "organisation_id": rng.choice(organisation_ids),
            "resource_type_id": rng.choice(types)[0],
            "title": f"Capacity {number}",
            "quantity": rng.randint(100, 5000),
            "start_date": date(2026, 1, 1),
            "end_date": date(2026, 12, 31),
            "unit_cost": rng.randint(1, 50),
            "currency": "USD",
            "notes": "",
            "code": f"C{number}",
            "created_at": now,
            "updated_at": now,
        }
        for number in range(capacities)
    ]
    ids = (
        db.session.execute(
            sa.insert(Capacity.__table__).returning(Capacity.__table__.c.id, sort_by_parameter_order=True),
            capacity_rows,
        )
        .scalars()
        .all()
    )
    db.session.execute(
        sa.insert(capacity_areas),
        [
            {"capacity_id": capacity_id, "admin_area_id": area}
            for capacity_id in ids
            for area in rng.sample(areas[rng.choice((1, 2))], rng.randint(1, 3))
        ],
    )
    db.session.commit()
    print(f"  records written in {time.perf_counter() - began:.1f} s; full overlap detection ...", flush=True)
    began = time.perf_counter()
    counts = detect_operation(operation)
    print(f"  detection {time.perf_counter() - began:.1f} s: {counts}", flush=True)
    analyse()


def analyse() -> None:
    """Fresh planner statistics, as autovacuum keeps them in production: without them (a CI server runs with
    autovacuum off) PostgreSQL plans every query for empty tables, and a list of 20,000 projects takes seconds."""
    from coordhub.extensions import db

    db.session.commit()
    with db.engine.begin() as connection:
        connection.execute(sa.text("ANALYZE"))


def accounts(app, folder: Path, run_id: str) -> Path:
    """API tokens (new ones each run) and the ids the Locust users pick from, as JSON for the locustfile."""
    from coordhub.api.models import ApiToken
    from coordhub.auth.models import Role, User
    from coordhub.extensions import db
    from coordhub.registry.models import AdminArea, Need, Operation, Organisation, Project, Sector

    rng = random.Random(3)
    operation = db.session.scalar(sa.select(Operation).where(Operation.name == OPERATION))
    users = db.session.scalars(sa.select(User).order_by(User.id)).all()
    tokens = {user.id: ApiToken.issue(user, f"load {run_id}")[1] for user in users}
    db.session.commit()
    project_ids = db.session.execute(
        sa.select(Project.id, Project.organisation_id).where(Project.operation_id == operation.id)
    ).all()
    by_organisation: dict[int, list[int]] = {}
    for project_id, organisation_id in project_ids:
        by_organisation.setdefault(organisation_id, []).append(project_id)
    focal = [
        {
            "email": u.email,
            "token": tokens[u.id],
            "projects": rng.sample(
                by_organisation[u.organisation_id], min(50, len(by_organisation[u.organisation_id]))
            ),
        }
        for u in users
        if u.role is Role.focal_point and by_organisation.get(u.organisation_id)
    ]
    coordinator = next(u for u in users if u.role is Role.coordinator)
    # The information-management officer (an administrator) imports the office's 3W: a coordinator may not
    # register projects for other organisations, so its import would write nothing.
    officer = next((u for u in users if u.role is Role.admin), None)
    if officer is None:
        officer = User(
            email="im.officer@load.example.org",
            name="IM officer",
            role=Role.admin,
            organisation_id=coordinator.organisation_id,
        )
        officer.set_password(PASSWORD)
        officer.operations.append(operation)
        db.session.add(officer)
        db.session.flush()
        tokens[officer.id] = ApiToken.issue(officer, f"load {run_id}")[1]
        db.session.commit()
    needs = db.session.scalars(sa.select(Need.id).where(Need.operation_id == operation.id)).all()
    areas = db.session.execute(
        sa.select(AdminArea.id, AdminArea.pcode, AdminArea.name, AdminArea.level).where(
            AdminArea.operation_id == operation.id, AdminArea.level.in_((1, 2))
        )
    ).all()
    sectors = db.session.execute(sa.select(Sector.id, Sector.name)).all()
    organisations = db.session.execute(
        sa.select(Organisation.name, Organisation.acronym).where(Organisation.id.in_(by_organisation))
    ).all()
    import_file = folder / "load-3w.csv"
    import_file.write_bytes(
        three_w_file(1000, organisations, [a for a in areas if a.level == 2], [name for _, name in sectors])
    )
    data = {
        "password": PASSWORD,
        "run_id": run_id,
        "focal_points": focal,
        "import_file": str(import_file),
        "coordinator": {"email": coordinator.email, "token": tokens[coordinator.id]},
        "officer": {"email": officer.email, "token": tokens[officer.id]},
        "projects": rng.sample([p for p, _ in project_ids], min(2000, len(project_ids))),
        "needs": rng.sample(needs, min(2000, len(needs))),
        "areas": [a.id for a in areas],
        "sectors": [s for s, _ in sectors],
    }
    path = folder / "users.json"
    path.write_text(json.dumps(data))
    return path


def three_w_file(rows: int, organisations, districts, sectors: list[str]) -> bytes:
    """A 3W file of the operation's own organisations and districts; codes hold LOADRUN (made unique per step)."""
    rng = random.Random(11)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(
        ["Organisation", "Acronym", "Sector", "District P-code", "Activity", "Activity code", "Start", "End"]
    )
    writer.writerow(
        [
            "#org+name",
            "#org+acronym",
            "#sector",
            "#adm2+code",
            "#activity+name",
            "#activity+code",
            "#date+start",
            "#date+end",
        ]
    )
    for number in range(rows):
        name, acronym = rng.choice(organisations)
        start = date(2026, 1, 1) + timedelta(days=rng.randrange(0, 300))
        writer.writerow(
            [
                name,
                acronym,
                rng.choice(sectors),
                rng.choice(districts).pcode,
                f"Imported activity {number}",
                f"LOADRUN-{number:05d}",
                start.isoformat(),
                (start + timedelta(days=120)).isoformat(),
            ]
        )
    return buffer.getvalue().encode()


def wait_healthy(url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"{url}/healthz did not answer 200 within {seconds:.0f} s")


def warm_up(url: str, requests: int = 24) -> None:
    """Each web process builds its app and database pool on its first requests: not part of the figures."""
    for _ in range(requests):
        with urllib.request.urlopen(f"{url}/login", timeout=60) as response:
            response.read()


def start_stack(environment: dict, port: int, web_workers: int, folder: Path) -> list[subprocess.Popen]:
    python = sys.executable
    log = open(folder / "stack.log", "ab")  # noqa: SIM115  (the stack's processes write to it until stopped)
    coordhub = str(Path(python).parent / "coordhub")
    web = subprocess.Popen(
        [coordhub, "serve", "--bind", f"127.0.0.1:{port}", "--workers", str(web_workers)],
        env=environment,
        stdout=log,
        stderr=log,
        cwd=ROOT,
    )
    workers = [
        subprocess.Popen(
            [coordhub, "worker", "--name", f"load-{os.getpid()}-{n}"], env=environment, stdout=log, stderr=log, cwd=ROOT
        )
        for n in (1, 2)
    ]
    return [web, *workers]


def stop_stack(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in processes:
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()


def run_step(users: int, seconds: int, url: str, users_file: Path, folder: Path) -> dict:
    prefix = folder / f"step{users}"
    environment = dict(os.environ, COORDHUB_LOAD_USERS=str(users_file))
    load_before = os.getloadavg()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "locust",
            "-f",
            str(ROOT / "bench" / "locustfile.py"),
            "--headless",
            "-u",
            str(users),
            "-r",
            str(max(1, users // 4)),
            "-t",
            f"{seconds}s",
            "--stop-timeout",
            "10",
            "--host",
            url,
            "--csv",
            str(prefix),
            "--only-summary",
            "--loglevel",
            "WARNING",
        ],
        env=environment,
        check=True,
        timeout=seconds + 120,
        stdout=subprocess.DEVNULL,
    )
    routes = []
    with open(f"{prefix}_stats.csv", newline="") as file:
        for row in csv.DictReader(file):
            routes.append(
                {
                    "route": row["Name"] if row["Type"] != "" else "Aggregated",
                    "requests": int(row["Request Count"]),
                    "failures": int(row["Failure Count"]),
                    "rps": round(float(row["Requests/s"]), 2),
                    "p50": float(row["50%"] or 0),
                    "p95": float(row["95%"] or 0),
                    "p99": float(row["99%"] or 0),
                    "max": round(float(row["Max Response Time"] or 0), 1),
                }
            )
    failures = []
    if Path(f"{prefix}_failures.csv").exists():
        with open(f"{prefix}_failures.csv", newline="") as file:
            failures = [
                {"route": row["Name"], "error": row["Error"][:300], "count": int(row["Occurrences"])}
                for row in csv.DictReader(file)
            ]
    return {
        "users": users,
        "seconds": seconds,
        "routes": routes,
        "failures": failures,
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
    }


def background_jobs(app, since) -> list[dict]:
    from coordhub.extensions import db
    from coordhub.jobs.models import Job

    db.session.remove()
    jobs = db.session.scalars(sa.select(Job).where(Job.created_at >= since).order_by(Job.created_at)).all()
    return [
        {
            "kind": job.kind,
            "status": job.status.value,
            "queued_s": round(((job.started_at or job.created_at) - job.created_at).total_seconds(), 1),
            "run_s": round(
                (
                    (job.finished_at or job.started_at or job.created_at) - (job.started_at or job.created_at)
                ).total_seconds(),
                1,
            ),
        }
        for job in jobs
    ]


def markdown(report: dict) -> str:
    lines = [
        "# Load benchmark: the production stack under the daily mix",
        "",
        f"Machine: {report['machine']}. Stack on loopback: gunicorn with {report['web_workers']} sync workers, "
        f"PostgreSQL ({report['postgres']}), Redis, 2 RQ workers, Locust in the same machine. Operation: "
        f"{report['data']}. Command: `{report['command']}`. Date: {report['date']}.",
        "",
        (
            "**The machine was shared**: other work ran at the same time (load averages before the steps above 2), "
            "so these figures are a lower bound of what a dedicated 2-core machine does."
            if max(step["load_average_before"][0] for step in report["steps"]) > 2
            else "Nothing else ran on the machine (load averages before each step below 2): the load is the "
            "benchmark's own (Locust, gunicorn, PostgreSQL, Redis and the workers share the 2 cores)."
        ),
        "",
        "| users | req/s | p50 ms | p95 ms | p99 ms | errors | load avg before → after |",
        "|---|---|---|---|---|---|---|",
    ]
    for step in report["steps"]:
        total = next(r for r in step["routes"] if r["route"] == "Aggregated")
        lines.append(
            f"| {step['users']} | {total['rps']} | {total['p50']:.0f} | {total['p95']:.0f} | "
            f"{total['p99']:.0f} | {total['failures']} of {total['requests']} | "
            f"{step['load_average_before'][0]} → {step['load_average_after'][0]} |"
        )
    for step in report["steps"]:
        lines += [
            "",
            f"## {step['users']} concurrent users, {step['seconds']} s",
            "",
            "| route | requests | req/s | p50 ms | p95 ms | p99 ms | max ms | errors |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for route in step["routes"]:
            lines.append(
                f"| {route['route']} | {route['requests']} | {route['rps']} | {route['p50']:.0f} | "
                f"{route['p95']:.0f} | {route['p99']:.0f} | {route['max']:.0f} | {route['failures']} |"
            )
        for failure in step["failures"]:
            lines.append(f"\nError on {failure['route']} ({failure['count']}×): {failure['error']}")
    lines += [
        "",
        "## Background jobs during the run",
        "",
        "| kind | status | waited in queue s | ran s |",
        "|---|---|---|---|",
    ]
    lines += [f"| {job['kind']} | {job['status']} | {job['queued_s']} | {job['run_s']} |" for job in report["jobs"]]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--database", default="postgresql://postgres@127.0.0.1:5432/coordhub_prod")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/3")
    parser.add_argument("--web-workers", type=int, default=4)
    parser.add_argument("--steps", type=int, nargs="+", default=[8, 16, 32, 64])
    parser.add_argument("--step-seconds", type=int, default=45)
    parser.add_argument("--projects", type=int, default=20_000)
    parser.add_argument("--needs", type=int, default=10_000)
    parser.add_argument("--capacities", type=int, default=2_000)
    parser.add_argument("--reuse", action="store_true", help="keep the operation of a previous run")
    parser.add_argument("--port", type=int, default=18460)
    arguments = parser.parse_args()

    from config import database_url
    from coordhub import create_app
    from coordhub.database import utcnow
    from coordhub.extensions import db
    from coordhub.registry.models import Operation

    folder = Path(tempfile.mkdtemp(prefix="coordhub-load-"))
    environment = dict(
        os.environ,
        DATABASE_URL=arguments.database,
        REDIS_URL=arguments.redis,
        SECRET_KEY=secrets.token_urlsafe(32),
        COORDHUB_CONFIG="default",
        COORDHUB_LOG_FORMAT="json",
        COORDHUB_LOG_LEVEL="WARNING",
        PYTHONPATH=str(ROOT),
        COORDHUB_PROXY_COUNT="0",
    )
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": database_url(arguments.database, arguments.database), "LOG_LEVEL": "WARNING"}
    )
    with app.app_context():
        exists = sa.inspect(db.engine).has_table("operations") and db.session.scalar(
            sa.select(Operation.id).where(Operation.name == OPERATION)
        )
        if not (arguments.reuse and exists):
            print(f"Filling {arguments.database} ...", flush=True)
            fill(app, arguments.projects, arguments.needs, arguments.capacities)
        else:
            from flask_migrate import upgrade

            upgrade()  # a reused database gets the indexes of migrations added since it was filled
        analyse()  # also after earlier runs' imports and saves
        run_id = secrets.token_hex(3)
        users_file = accounts(app, folder, run_id)
        postgres = db.session.scalar(sa.text("SHOW server_version")).split()[0]
        counts = {
            name: db.session.scalar(sa.text(f"SELECT count(*) FROM {name}"))
            for name in ("projects", "needs", "capacities", "overlap_alerts")
        }
        started_at = utcnow()
    processes = start_stack(environment, arguments.port, arguments.web_workers, folder)
    url = f"http://127.0.0.1:{arguments.port}"
    steps = []
    try:
        wait_healthy(url)
        warm_up(url)
        for users in arguments.steps:
            print(f"Step: {users} users for {arguments.step_seconds} s ...", flush=True)
            steps.append(run_step(users, arguments.step_seconds, url, users_file, folder))
            total = next(r for r in steps[-1]["routes"] if r["route"] == "Aggregated")
            print(
                f"  {total['rps']} req/s, p50 {total['p50']:.0f} ms, p95 {total['p95']:.0f} ms, "
                f"p99 {total['p99']:.0f} ms, {total['failures']} errors of {total['requests']}",
                flush=True,
            )
        time.sleep(5)
    finally:
        stop_stack(processes)
    with app.app_context():
        jobs = background_jobs(app, started_at)
    report = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "postgres": postgres,
        "web_workers": arguments.web_workers,
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "data": f"{counts['projects']:,} projects, {counts['needs']:,} needs, {counts['capacities']:,} capacities, "
        f"{counts['overlap_alerts']:,} overlap alerts",
        "command": "bench/load.py " + " ".join(sys.argv[1:]),
        "steps": steps,
        "jobs": jobs,
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "load.json").write_text(json.dumps(report, indent=1))
    (RESULTS / "load.md").write_text(markdown(report))
    print(markdown(report))
    print(f"Stack log: {folder / 'stack.log'}")


if __name__ == "__main__":
    main()
