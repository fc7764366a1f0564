"""Benchmark of the lists' sorts and "my organisation" filter: one page of projects and of needs (the count and
the first ten rows, as the list pages and the API fetch them) for every sort key, ascending and descending, as
a coordinator (who sees every entry) and as a focal point (sensitive entries of others sorted after the rest).

Run: ``.venv/bin/python bench/list_sorting.py [--projects 20000] [--database URL] [--repeat 3]``.
Default database: a fresh SQLite file in /tmp; pass a PostgreSQL URL to measure there (its tables are dropped
and created again: use a scratch database). Prints the figures and saves them to
bench/results/list_sorting_<backend>.json and .md.
"""

from __future__ import annotations

import argparse
import json
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

from coordhub import create_app  # noqa: E402
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
    ResourceType,
    project_areas,
    utcnow,
)
from coordhub.registry.queries import SORTS, RecordFilters, record_query  # noqa: E402
from coordhub.registry.reference import ensure_reference_data  # noqa: E402

RESULTS = ROOT / "bench" / "results"
PAGE_SIZE = 10


def _areas() -> list[AreaRecord]:
    records = [AreaRecord("XX", "Country", 0, None)]
    for p in range(1, 21):
        records.append(AreaRecord(f"XX{p:02d}", f"Province {p}", 1, "XX"))
        for d in range(1, 11):
            records.append(AreaRecord(f"XX{p:02d}{d:02d}", f"District {p}-{d}", 2, f"XX{p:02d}"))
    return records


def _setup(n: int, rng: random.Random) -> tuple[Operation, dict[str, User]]:
    """`n` projects and `n` needs of 40 organisations (10 % sensitive), in 220 admin areas."""
    operation = Operation(name=f"Bench {n}", country_code="XX")
    db.session.add(operation)
    db.session.flush()
    ops.load_admin_areas(operation, _areas())
    areas = list(db.session.scalars(sa.select(AdminArea.id).where(AdminArea.operation_id == operation.id)))
    organisations = [
        Organisation(name=f"Organisation {i}", acronym=f"ORG{i}", type=OrganisationType.international_ngo)
        for i in range(40)
    ]
    db.session.add_all(organisations)
    db.session.flush()
    users = {
        "coordinator": User(
            email="coordinator@bench.org", name="C", organisation=organisations[0], role=Role.coordinator
        ),
        "focal point": User(email="focal@bench.org", name="F", organisation=organisations[1], role=Role.focal_point),
    }
    for user in users.values():
        user.password_hash = "x"
        user.operations = [operation]
        user.current_operation = operation
    db.session.add_all(users.values())
    types = db.session.execute(sa.select(ResourceType.id, ResourceType.sector_id)).all()
    db.session.commit()
    now = utcnow()
    projects, needs = [], []
    for number in range(n):
        type_id, sector_id = rng.choice(types)
        start = date(2026, 1, 1) + timedelta(days=rng.randrange(0, 365))
        end = None if rng.random() < 0.1 else start + timedelta(days=30 * rng.randint(1, 12))
        common = {
            "operation_id": operation.id,
            "organisation_id": organisations[min(int(rng.paretovariate(1.2)) - 1, 39)].id,
            "sector_id": sector_id,
            "resource_type_id": type_id,
            "start_date": start,
            "end_date": end,
            "sensitive": rng.random() < 0.1,
            "created_at": now,
            "updated_at": now - timedelta(seconds=rng.randrange(0, 10**7)),
        }
        projects.append(
            {**common, "title": f"Project {number}", "description": "", "status": "ongoing", "currency": "USD"}
        )
        needs.append(
            {
                **common,
                "title": f"Need {number}",
                "admin_area_id": rng.choice(areas),
                "quantity": float(rng.randint(1, 5000)),
                "priority": rng.randint(1, 5),
                "status": "open",
            }
        )
    ids = (
        db.session.execute(sa.insert(Project).returning(Project.id, sort_by_parameter_order=True), projects)
        .scalars()
        .all()
    )
    db.session.execute(sa.insert(project_areas), [{"project_id": i, "admin_area_id": rng.choice(areas)} for i in ids])
    db.session.execute(sa.insert(Need), needs)
    db.session.commit()
    return operation, users


def _page(kind: type, operation: Operation, user: User, filters: RecordFilters) -> tuple[float, float, int]:
    """Wall and CPU seconds of one list page (its count and its first rows), and the count."""
    wall, cpu = time.perf_counter(), time.process_time()
    page = db.paginate(record_query(kind, operation, user, filters), page=1, per_page=PAGE_SIZE, error_out=False)
    for record in page.items:  # loaded afresh by the next run
        db.session.expunge(record)
    return time.perf_counter() - wall, time.process_time() - cpu, page.total


def run(n: int, repeat: int, seed: int) -> dict:
    rng = random.Random(seed)
    started = time.perf_counter()
    operation, users = _setup(n, rng)
    setup_seconds = time.perf_counter() - started
    rows = []
    for kind in (Project, Need):
        for role, user in users.items():
            for sort in [""] + [order for key in SORTS for order in (key, f"-{key}")]:
                for mine in (False, True) if sort in ("", "title") else (False,):
                    filters = RecordFilters(sort=sort, mine=mine)
                    timings = [_page(kind, operation, user, filters) for _ in range(repeat)]
                    rows.append(
                        {
                            "kind": kind.__tablename__,
                            "reader": role,
                            "sort": sort or "(default: recently updated)",
                            "mine": mine,
                            "rows": timings[0][2],
                            "wall_ms": round(1000 * statistics.median(t[0] for t in timings), 1),
                            "cpu_ms": round(1000 * statistics.median(t[1] for t in timings), 1),
                        }
                    )
                    print(json.dumps(rows[-1]))
    return {"projects": n, "needs": n, "setup_seconds": round(setup_seconds, 1), "pages": rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=20000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--database", default="sqlite:////tmp/coordhub-bench-sorting.db")
    options = parser.parse_args()
    if options.database.startswith("sqlite:////") and Path(options.database[10:]).exists():
        Path(options.database[10:]).unlink()
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": options.database.replace("postgresql://", "postgresql+psycopg://"),
            "SQLALCHEMY_ENGINE_OPTIONS": {},
        }
    )
    load_before = os.getloadavg()[0]
    with app.app_context():
        db.drop_all()
        db.create_all()
        ensure_reference_data()
        db.session.commit()
        result = run(options.projects, options.repeat, options.seed)
    backend = options.database.split(":", 1)[0]
    machine = (
        f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, {backend}, load average "
        f"(1 min) {load_before:.1f} before and {os.getloadavg()[0]:.1f} after (the machine is shared)"
    )
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"list_sorting_{backend}.json").write_text(
        json.dumps({"machine": machine, "result": result}, indent=2) + "\n"
    )
    pages = result["pages"]
    worst = max(pages, key=lambda p: p["wall_ms"])
    lines = [
        f"# List sorting benchmark ({backend})",
        "",
        f"Machine: {machine}. Command: `.venv/bin/python bench/list_sorting.py --projects {options.projects}`. "
        f"Synthetic operation: {options.projects:,} projects and as many needs of 40 organisations (10 % "
        "sensitive), 220 admin areas. Each figure: the median of "
        f"{options.repeat} runs of one list page (the count and the first {PAGE_SIZE} rows).",
        "",
        f"Slowest page: {worst['kind']} by `{worst['sort']}` as a {worst['reader']}, {worst['wall_ms']} ms wall, "
        f"{worst['cpu_ms']} ms CPU. Median of all pages: "
        f"{statistics.median(p['wall_ms'] for p in pages):.1f} ms wall.",
        "",
        "| list | reader | sort | my organisation | rows | wall ms | CPU ms |",
        "|---|---|---|---|---:|---:|---:|",
    ]
    lines += [
        f"| {p['kind']} | {p['reader']} | `{p['sort']}` | {'yes' if p['mine'] else ''} | {p['rows']:,} | "
        f"{p['wall_ms']} | {p['cpu_ms']} |"
        for p in pages
    ]
    (RESULTS / f"list_sorting_{backend}.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines[:6]))


if __name__ == "__main__":
    main()
