"""Benchmark of the maps and dashboards: /api/v1/maps/<layer> for the four layers and the home page of each
role, at 20,000 projects over 1,500 admin areas (with boundaries at levels 1 and 2).

Run: ``.venv/bin/python bench/maps.py [--database URL] [--projects 20000] [--repeat 5]``.
Default database: a fresh SQLite file in /tmp; pass a PostgreSQL URL to measure there (its tables are
dropped and created again: use a scratch database). Target: every request under 300 ms on PostgreSQL.
Prints the figures and saves them to bench/results/maps_<database>.json and .md.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import random
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from config import database_url  # noqa: E402
from coordhub import create_app  # noqa: E402
from coordhub.api.models import ApiToken  # noqa: E402
from coordhub.auth.models import Role, User  # noqa: E402
from coordhub.extensions import db  # noqa: E402
from coordhub.registry import operations as ops  # noqa: E402
from coordhub.registry.admin_areas import AreaRecord  # noqa: E402
from coordhub.registry.models import (  # noqa: E402
    AdminArea,
    Need,
    Operation,
    Organisation,
    OrganisationType,
    Project,
    ProjectStatus,
    ResourceType,
    project_areas,
)
from coordhub.registry.reference import ensure_reference_data  # noqa: E402

RESULTS = ROOT / "bench" / "results"
TARGET_MS = 300
PASSWORD = "bench-password-1"


def _areas(provinces: int = 25, districts: int = 59) -> list[AreaRecord]:
    records = [AreaRecord("XX", "Country", 0, None, 10.0, 20.0)]
    for p in range(provinces):
        lat, lon = 5 + 2 * (p // 5), 14 + 2 * (p % 5)
        records.append(AreaRecord(f"XX{p:02d}", f"Province {p}", 1, "XX", lat + 1, lon + 1))
        for d in range(districts):
            records.append(
                AreaRecord(
                    f"XX{p:02d}{d:02d}",
                    f"District {p}-{d}",
                    2,
                    f"XX{p:02d}",
                    lat + 0.25 * (d // 8) + 0.12,
                    lon + 0.25 * (d % 8) + 0.12,
                )
            )
    return records


def _polygon(lat: float, lon: float, radius: float, points: int = 40) -> dict:
    ring = [
        [
            round(lon + radius * math.cos(2 * math.pi * i / points), 5),
            round(lat + radius * math.sin(2 * math.pi * i / points), 5),
        ]
        for i in range(points)
    ]
    return {"type": "Polygon", "coordinates": [ring + [ring[0]]]}


def setup(projects: int, rng: random.Random) -> tuple[Operation, dict[str, User]]:
    operation = Operation(name="Bench maps", country_code="XX")
    db.session.add(operation)
    db.session.flush()
    ops.load_admin_areas(operation, _areas(), commit=False)
    areas = db.session.scalars(sa.select(AdminArea).where(AdminArea.operation_id == operation.id)).all()
    for area in areas:
        if area.level in (1, 2):
            shape = _polygon(area.latitude, area.longitude, 0.9 if area.level == 1 else 0.11)
            area.boundary, area.boundary_web = shape, shape
    districts = [a.id for a in areas if a.level == 2]
    organisations = [
        Organisation(name=f"Bench org {i}", acronym=f"BO{i}", type=list(OrganisationType)[i % 9], is_local=i % 3 == 0)
        for i in range(60)
    ]
    db.session.add_all(organisations)
    db.session.flush()
    types = db.session.execute(sa.select(ResourceType.id, ResourceType.sector_id)).all()
    users = {}
    for role, organisation in (
        ("coordinator", organisations[0]),
        ("focal_point", organisations[1]),
        ("viewer", organisations[2]),
    ):
        user = User(email=f"{role}@bench.example.org", name=role, organisation=organisation, role=Role(role))
        user.set_password(PASSWORD)
        user.operations.append(operation)
        db.session.add(user)
        users[role] = user
    db.session.flush()
    start = date(2026, 1, 1)
    rows, links = [], []
    for i in range(projects):
        type_id, sector_id = rng.choice(types)
        begin = start + timedelta(days=rng.randrange(0, 365))
        rows.append(
            {
                "id": i + 1,
                "operation_id": operation.id,
                "organisation_id": rng.choice(organisations).id,
                "sector_id": sector_id,
                "resource_type_id": type_id,
                "title": f"Bench project {i}",
                "description": "",
                "start_date": begin,
                "end_date": begin + timedelta(days=rng.randrange(30, 400)),
                "status": rng.choice(list(ProjectStatus)),
                "currency": "USD",
                "target_group": "",
                "sensitive": rng.random() < 0.05,
            }
        )
        for area_id in rng.sample(districts, rng.choice((1, 1, 2, 3))):
            links.append({"project_id": i + 1, "admin_area_id": area_id})
    db.session.execute(sa.insert(Project), rows)
    db.session.execute(sa.insert(project_areas), links)
    needs = []
    for i in range(5000):
        type_id, sector_id = rng.choice(types)
        needs.append(
            {
                "operation_id": operation.id,
                "organisation_id": organisations[3].id,
                "sector_id": sector_id,
                "resource_type_id": type_id,
                "admin_area_id": rng.choice(districts),
                "title": f"Need {i}",
                "description": "",
                "quantity": rng.randrange(1, 500),
                "priority": rng.randrange(1, 6),
                "start_date": start,
                "source": "",
                "status": "open",
                "sensitive": False,
            }
        )
    db.session.execute(sa.insert(Need), needs)
    if db.engine.dialect.name == "postgresql":
        db.session.execute(sa.text("SELECT setval('projects_id_seq', (SELECT max(id) FROM projects))"))
    db.session.commit()
    if db.engine.dialect.name == "postgresql":  # fresh statistics, as autovacuum keeps them in production
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(sa.text("ANALYZE"))
    return operation, users


def timed(client, url: str, repeat: int, **kwargs) -> tuple[float, float, int]:
    """Median wall-clock and CPU milliseconds of the app's process (the CPU figure leaves out the time spent
    waiting for the database and for a busy machine's other processes)."""
    response = client.get(url, **kwargs)  # warm-up
    assert response.status_code == 200, (url, response.status_code, response.get_data(as_text=True)[:300])
    wall, cpu = [], []
    for _ in range(repeat):
        began, began_cpu = time.perf_counter(), time.process_time()
        response = client.get(url, **kwargs)
        wall.append((time.perf_counter() - began) * 1000)
        cpu.append((time.process_time() - began_cpu) * 1000)
    return statistics.median(wall), statistics.median(cpu), len(response.data)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="sqlite:////tmp/coordhub-bench-maps.db")
    parser.add_argument("--projects", type=int, default=20000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    if args.database.startswith("sqlite:////"):
        Path(args.database[len("sqlite:///") :]).unlink(missing_ok=True)
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url(args.database, ""),
            "WTF_CSRF_ENABLED": False,
            "SQLALCHEMY_ENGINE_OPTIONS": {},
            "JOBS_MODE": "eager",
        }
    )
    rng = random.Random(12)
    with app.app_context():
        db.drop_all()
        db.create_all()
        ensure_reference_data()
        began = time.perf_counter()
        _operation, users = setup(args.projects, rng)
        print(
            f"set up {args.projects} projects over {db.session.scalar(sa.select(sa.func.count(AdminArea.id)))} "
            f"areas in {time.perf_counter() - began:.1f} s"
        )
        tokens = {}
        for role, user in users.items():
            _, plain = ApiToken.issue(user, "bench")
            tokens[role] = plain
        db.session.commit()
        figures = []
        client = app.test_client()
        for role in ("coordinator", "viewer"):
            headers = {"Authorization": f"Bearer {tokens[role]}"}
            for layer in ("presence", "needs", "allocation", "overlaps"):
                for level in (1, 2):
                    ms, cpu, size = timed(client, f"/api/v1/maps/{layer}?level={level}", args.repeat, headers=headers)
                    figures.append(
                        {
                            "what": f"GET /api/v1/maps/{layer}?level={level}",
                            "role": role,
                            "ms": round(ms, 1),
                            "cpu_ms": round(cpu, 1),
                            "kb": round(size / 1024),
                        }
                    )
            ms, cpu, size = timed(
                client, "/api/v1/maps/presence?level=2&status=ongoing&sector=1", args.repeat, headers=headers
            )
            figures.append(
                {
                    "what": "GET /api/v1/maps/presence?level=2&status=ongoing&sector=1",
                    "role": role,
                    "ms": round(ms, 1),
                    "cpu_ms": round(cpu, 1),
                    "kb": round(size / 1024),
                }
            )
        for role in ("coordinator", "focal_point", "viewer"):
            client = app.test_client()
            client.post("/login", data={"email": users[role].email, "password": PASSWORD})
            ms, cpu, size = timed(client, "/", args.repeat)
            figures.append(
                {
                    "what": "GET / (dashboard)",
                    "role": role,
                    "ms": round(ms, 1),
                    "cpu_ms": round(cpu, 1),
                    "kb": round(size / 1024),
                }
            )
            ms, cpu, size = timed(client, "/maps/presence/data?level=2", args.repeat)
            figures.append(
                {
                    "what": "GET /maps/presence/data?level=2 (the page's script)",
                    "role": role,
                    "ms": round(ms, 1),
                    "cpu_ms": round(cpu, 1),
                    "kb": round(size / 1024),
                }
            )
        ms, cpu, size = timed(client, "/maps/snapshot.pdf?level=2", args.repeat)
        figures.append(
            {
                "what": "GET /maps/snapshot.pdf?level=2",
                "role": "viewer",
                "ms": round(ms, 1),
                "cpu_ms": round(cpu, 1),
                "kb": round(size / 1024),
            }
        )
        dialect = db.engine.dialect.name
    for row in figures:
        flag = "" if row["ms"] < TARGET_MS else "  (over target)"
        print(
            f"{row['what']:<62} {row['role']:<12} {row['ms']:>8.1f} ms {row['cpu_ms']:>8.1f} ms CPU "
            f"{row['kb']:>6} KB{flag}"
        )
    RESULTS.mkdir(exist_ok=True)
    meta = {
        "database": dialect,
        "projects": args.projects,
        "areas": 1501,
        "needs": 5000,
        "repeat": args.repeat,
        "target_ms": TARGET_MS,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "date": date.today().isoformat(),
        "load_average": os.getloadavg(),
        "cpus": os.cpu_count(),
    }
    (RESULTS / f"maps_{dialect}.json").write_text(json.dumps({"meta": meta, "figures": figures}, indent=2))
    lines = [
        f"# Maps and dashboards benchmark ({dialect})",
        "",
        f"{args.projects:,} projects over 1,501 admin areas (boundaries at levels 1 and 2), 5,000 needs; "
        f"median of {args.repeat} requests after a warm-up; target under {TARGET_MS} ms. Machine: "
        f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at the end of the run (shared machine: "
        "wall-clock times grow with the load; the CPU column is the app process's own work).",
        "",
        "| request | role | wall ms | CPU ms | KB |",
        "|---|---|---:|---:|---:|",
    ]
    lines += [f"| `{r['what']}` | {r['role']} | {r['ms']} | {r['cpu_ms']} | {r['kb']} |" for r in figures]
    (RESULTS / f"maps_{dialect}.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
