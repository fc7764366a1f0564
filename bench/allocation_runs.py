"""Benchmark of stored allocation runs against the database: reading the operation, solving, storing the run with
its assignments and explanations, then the run page, the CSV export, the comparison of two runs and the partners'
badge.

Run: ``.venv/bin/python bench/allocation_runs.py [--sizes 1000x500 10000x5000] [--database URL]``.
Default database: a fresh SQLite file in /tmp; pass a PostgreSQL URL to measure there (its tables are dropped and
created again: use a scratch database). The instances are those of bench/allocation.py (the core's benchmark),
written into an operation. Prints the figures and saves them to bench/results/allocation_runs_<database>.{json,md}.
"""

from __future__ import annotations

import argparse
import contextvars
import importlib.util
import json
import os
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from coordhub import create_app  # noqa: E402
from coordhub.allocation.inputs import read_input  # noqa: E402
from coordhub.allocation.models import AllocationAssignment, AllocationExplanation  # noqa: E402
from coordhub.allocation.operations import publish_run, run_allocation  # noqa: E402
from coordhub.allocation.queries import compare_runs, pending_count  # noqa: E402
from coordhub.auth.models import Role, User  # noqa: E402
from coordhub.database import utcnow  # noqa: E402
from coordhub.extensions import db  # noqa: E402
from coordhub.registry.admin_areas import AreaRecord  # noqa: E402
from coordhub.registry.models import (  # noqa: E402
    AdminArea,
    Capacity,
    Need,
    Operation,
    Organisation,
    OrganisationType,
    ResourceType,
    capacity_areas,
)
from coordhub.registry.operations import load_admin_areas  # noqa: E402
from coordhub.registry.reference import ensure_reference_data  # noqa: E402

RESULTS = ROOT / "bench" / "results"
_spec = importlib.util.spec_from_file_location("core_bench", ROOT / "bench" / "allocation.py")
core_bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(core_bench)


def _timed(function, *args, **kwargs):
    began = time.perf_counter()
    result = function(*args, **kwargs)
    return result, time.perf_counter() - began


def _chunks(rows: list, size: int = 5000):
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def _setup(n_needs: int, n_caps: int) -> tuple[Operation, User, User]:
    """The core benchmark's instance as an operation: areas, organisations, needs, capacities, two users."""
    needs, capacities, areas = core_bench.make_instance(n_needs, n_caps)
    operation = Operation(name=f"Bench {n_needs}x{n_caps}", country_code="XY")
    db.session.add(operation)
    db.session.flush()
    load_admin_areas(operation, [AreaRecord(a.pcode, a.name, a.level, a.parent_pcode, a.lat, a.lon) for a in areas])
    area_id = dict(
        db.session.execute(sa.select(AdminArea.pcode, AdminArea.id).where(AdminArea.operation_id == operation.id)).all()
    )
    types = db.session.execute(
        sa.select(ResourceType.code, ResourceType.id, ResourceType.sector_id).order_by(ResourceType.code)
    ).all()
    type_of = {f"item{t:02d}": types[t % len(types)] for t in range(100)}
    org_names = sorted({c.org for c in capacities})
    organisations = [
        Organisation(
            name=f"{name} ({operation.name})", acronym=name, is_local=False, type=OrganisationType.international_ngo
        )
        for name in org_names
    ]
    local = Organisation(
        name=f"Prefecture ({operation.name})", acronym="PREF", type=OrganisationType.local_authority, is_local=True
    )
    db.session.add_all([*organisations, local])
    db.session.flush()
    org_id = {o.acronym: o.id for o in organisations}
    now = utcnow()
    need_rows = [
        {
            "operation_id": operation.id,
            "organisation_id": local.id,
            "admin_area_id": area_id[n.pcode],
            "sector_id": type_of[n.resource_type].sector_id,
            "resource_type_id": type_of[n.resource_type].id,
            "title": f"Need {n.id}",
            "description": "",
            "quantity": n.quantity,
            "priority": n.priority,
            "start_date": n.start,
            "end_date": n.end,
            "source": "bench",
            "status": "open",
            "sensitive": False,
            "code": n.id,
            "created_at": now,
            "updated_at": now,
        }
        for n in needs
    ]
    for chunk in _chunks(need_rows):
        db.session.execute(sa.insert(Need.__table__), chunk)
    cap_rows = [
        {
            "operation_id": operation.id,
            "organisation_id": org_id[c.org],
            "resource_type_id": type_of[c.resource_type].id,
            "title": f"Capacity {c.id}",
            "quantity": c.quantity,
            "start_date": c.start,
            "end_date": c.end,
            "unit_cost": c.unit_cost,
            "currency": "USD",
            "notes": "",
            "code": c.id,
            "created_at": now,
            "updated_at": now,
        }
        for c in capacities
    ]
    ids = []
    for chunk in _chunks(cap_rows):
        ids += (
            db.session.execute(
                sa.insert(Capacity.__table__).returning(Capacity.__table__.c.id, sort_by_parameter_order=True), chunk
            )
            .scalars()
            .all()
        )
    links = [
        {"capacity_id": cid, "admin_area_id": area_id[p]} for cid, c in zip(ids, capacities) for p in c.service_pcodes
    ]
    for chunk in _chunks(links):
        db.session.execute(sa.insert(capacity_areas), chunk)
    coordinator = User(
        email=f"coordinator@{n_needs}x{n_caps}.bench",
        name="Coordinator",
        role=Role.coordinator,
        organisation_id=local.id,
        password_hash="x",
        operations=[operation],
        current_operation=operation,
    )
    partner = User(
        email=f"partner@{n_needs}x{n_caps}.bench",
        name="Partner",
        role=Role.focal_point,
        organisation_id=organisations[0].id,
        password_hash="x",
        operations=[operation],
        current_operation=operation,
    )
    db.session.add_all([coordinator, partner])
    db.session.commit()
    return operation, coordinator, partner


def _page(app, user: User, url: str) -> tuple[int, float, int]:
    """Status, seconds and size of a GET as the signed-in user (the session cookie set by hand)."""
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = str(user.id)
        session["_fresh"] = True
    began = time.perf_counter()
    # A fresh context per request, as a server gives (the bench's own app context would share `g`).
    response = contextvars.Context().run(client.get, url)
    body = response.get_data()
    return response.status_code, time.perf_counter() - began, len(body)


def run(app, n_needs: int, n_caps: int, time_limit: float) -> dict:
    (operation, coordinator, partner), setup_seconds = _timed(_setup, n_needs, n_caps)
    run_input, read_seconds = _timed(read_input, operation)
    settings = {"time_limit_seconds": time_limit, "distance_cost_per_km": core_bench.DISTANCE_COST_PER_KM}
    first, total = _timed(run_allocation, coordinator, operation, settings, "bench")
    second, second_total = _timed(run_allocation, coordinator, operation, {**settings, "lexicographic": True})
    publish_run(coordinator, second)
    assignments = db.session.scalar(
        sa.select(sa.func.count()).select_from(AllocationAssignment).where(AllocationAssignment.run_id == first.id)
    )
    explanations = db.session.scalar(
        sa.select(sa.func.count()).select_from(AllocationExplanation).where(AllocationExplanation.run_id == first.id)
    )
    _, compare_seconds = _timed(compare_runs, first, second, limit=300)  # as the page does
    _, badge_seconds = _timed(pending_count, partner, operation)
    page_status, page_seconds, _ = _page(app, coordinator, f"/allocations/{first.id}")
    csv_status, csv_seconds, csv_bytes = _page(app, coordinator, f"/allocations/{first.id}/assignments.csv")
    mine_status, mine_seconds, _ = _page(app, partner, "/allocations/mine")
    assert (page_status, csv_status, mine_status) == (200, 200, 200), (page_status, csv_status, mine_status)
    return {
        "size": f"{n_needs}x{n_caps}",
        "needs": n_needs,
        "capacities": n_caps,
        "setup_seconds": round(setup_seconds, 2),
        "status": first.status.value,
        "engine": first.engine,
        "assignments": assignments,
        "explanations": explanations,
        "read_seconds": round(read_seconds, 3),
        "core_seconds": round(first.seconds, 3),
        "store_seconds": round(total - read_seconds - first.seconds, 3),
        "run_seconds": round(total, 3),
        "lexicographic_run_seconds": round(second_total, 3),
        "run_page_seconds": round(page_seconds, 3),
        "csv_seconds": round(csv_seconds, 3),
        "csv_megabytes": round(csv_bytes / 2**20, 2),
        "compare_seconds": round(compare_seconds, 3),
        "badge_seconds": round(badge_seconds, 4),
        "my_assignments_seconds": round(mine_seconds, 3),
    }


def markdown(results: list[dict], database: str) -> str:
    lines = [
        f"# Stored allocation runs on {database}",
        "",
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {os.cpu_count()} CPUs, Python "
        f"{platform.python_version()}, load average {', '.join(f'{x:.1f}' for x in os.getloadavg())} (shared "
        "machine). Produced by `bench/allocation_runs.py` on the instances of `bench/allocation.py` (plain "
        "policy with a distance cost); seconds. *run* = read the operation + solve + store the run, its "
        "assignments and explanations in one transaction (*store* is what remains after reading and the core).",
        "",
        "| size | assignments | explanations | read | core | store | run | run page | CSV (MB) | compare "
        "| partner page | badge |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        lines.append(
            f"| {r['size']} | {r['assignments']:,} | {r['explanations']:,} | {r['read_seconds']} | "
            f"{r['core_seconds']} | {r['store_seconds']} | {r['run_seconds']} | {r['run_page_seconds']} | "
            f"{r['csv_seconds']} ({r['csv_megabytes']}) | {r['compare_seconds']} | "
            f"{r['my_assignments_seconds']} | {r['badge_seconds']} |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", default=["1000x500", "10000x5000"])
    parser.add_argument("--database", default="sqlite:////tmp/coordhub-allocation-runs-bench.db")
    parser.add_argument("--time-limit", type=float, default=60.0)
    args = parser.parse_args()
    if args.database.startswith("sqlite:////"):
        Path(args.database[len("sqlite:///") :]).unlink(missing_ok=True)
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": args.database, "SQLALCHEMY_ENGINE_OPTIONS": {}, "WTF_CSRF_ENABLED": False}
    )
    database = sa.make_url(args.database).get_backend_name()
    results = []
    with app.app_context():
        db.drop_all()
        db.create_all()
        ensure_reference_data()
        db.session.commit()
        for size in args.sizes:
            n_needs, n_caps = (int(x) for x in size.split("x"))
            result = run(app, n_needs, n_caps, args.time_limit)
            print(json.dumps(result), flush=True)
            results.append(result)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"allocation_runs_{database}.json").write_text(json.dumps(results, indent=2) + "\n")
    text = markdown(results, database)
    (RESULTS / f"allocation_runs_{database}.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
