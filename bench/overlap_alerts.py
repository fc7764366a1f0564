"""Benchmark of overlap detection against the database: full detection that writes the alerts, incremental
detection on each project save, the alerts list, the inbox badge and the gap matrix.

Run: ``.venv/bin/python bench/overlap_alerts.py [--projects 1000 5000] [--database URL] [--saves 30]``.
Default database: a fresh SQLite file in /tmp; pass a PostgreSQL URL to measure there (its tables are
dropped and created again: use a scratch database). Prints the figures and saves them to
bench/results/overlap_alerts.json and .md.
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
from coordhub.database import utcnow  # noqa: E402
from coordhub.extensions import db  # noqa: E402
from coordhub.overlap import detection  # noqa: E402
from coordhub.overlap.detection import detect_for_projects, detect_operation  # noqa: E402
from coordhub.overlap.matrix import gap_matrix  # noqa: E402
from coordhub.overlap.models import OverlapAlert  # noqa: E402
from coordhub.overlap.queries import AlertFilters, alert_query, unread_count  # noqa: E402
from coordhub.registry import operations as ops  # noqa: E402
from coordhub.registry.admin_areas import AreaRecord  # noqa: E402
from coordhub.registry.models import (  # noqa: E402
    AdminArea,
    Operation,
    Organisation,
    OrganisationType,
    Project,
    ResourceType,
    project_areas,
)
from coordhub.registry.reference import ensure_reference_data  # noqa: E402

RESULTS = ROOT / "bench" / "results"
DETECT_AROUND = detection._detect_around


def _areas(provinces: int = 20, districts: int = 10, communes: int = 6) -> list[AreaRecord]:
    records = [AreaRecord("XX", "Country", 0, None)]
    for p in range(1, provinces + 1):
        records.append(AreaRecord(f"XX{p:02d}", f"Province {p}", 1, "XX"))
        for d in range(1, districts + 1):
            records.append(AreaRecord(f"XX{p:02d}{d:02d}", f"District {p}-{d}", 2, f"XX{p:02d}"))
            for c in range(1, communes + 1):
                records.append(AreaRecord(f"XX{p:02d}{d:02d}{c:02d}", f"Commune {p}-{d}-{c}", 3, f"XX{p:02d}{d:02d}"))
    return records


def _setup(n: int, rng: random.Random) -> tuple[Operation, list[User], dict]:
    operation = Operation(name=f"Bench {n}", country_code="XX")
    db.session.add(operation)
    db.session.flush()
    ops.load_admin_areas(operation, _areas())
    areas = db.session.execute(
        sa.select(AdminArea.id, AdminArea.level).where(AdminArea.operation_id == operation.id)
    ).all()
    by_level = {level: [i for i, lv in areas if lv == level] for level in (1, 2, 3)}
    organisations = [
        Organisation(name=f"Organisation {i} ({n})", acronym=f"ORG{i}", type=OrganisationType.international_ngo)
        for i in range(40)
    ]
    db.session.add_all(organisations)
    db.session.flush()
    users = [
        User(
            email=f"focal{i}.{n}@bench.org",
            name=f"Focal {i}",
            organisation=o,
            role=Role.focal_point,
            password_hash="x",
            operations=[operation],
            current_operation=operation,
        )
        for i, o in enumerate(organisations)
    ]
    db.session.add_all(users)
    types = db.session.execute(sa.select(ResourceType.id, ResourceType.sector_id)).all()
    db.session.commit()
    rows, links, now = [], [], utcnow()
    for number in range(n):
        type_id, sector_id = rng.choice(types)
        level = rng.choices((1, 2, 3), (15, 45, 40))[0]
        start = date(2026, 1, 1) + timedelta(days=rng.randrange(0, 365))
        end = None if rng.random() < 0.1 else start + timedelta(days=30 * rng.randint(1, 12))
        organisation = organisations[min(int(rng.paretovariate(1.2)) - 1, 39)]
        rows.append(
            {
                "operation_id": operation.id,
                "organisation_id": organisation.id,
                "sector_id": sector_id,
                "resource_type_id": type_id if rng.random() < 0.8 else None,
                "title": f"Project {number} {rng.choice(['rehabilitation', 'support', 'training', 'kits'])}",
                "description": "",
                "start_date": start,
                "end_date": end,
                "status": "ongoing",
                "currency": "USD",
                "target_group": "",
                "sensitive": False,
                "code": None,
                "created_at": now,
                "updated_at": now,
            }
        )
        links.append(rng.choice(by_level[level]))
    ids = (
        db.session.execute(
            sa.insert(Project.__table__).returning(Project.__table__.c.id, sort_by_parameter_order=True), rows
        )
        .scalars()
        .all()
    )
    db.session.execute(sa.insert(project_areas), [{"project_id": i, "admin_area_id": a} for i, a in zip(ids, links)])
    db.session.commit()
    return operation, users, {"types": types, "areas": by_level}


def _timed(function, *args, **kwargs):
    began = time.perf_counter()
    result = function(*args, **kwargs)
    return result, time.perf_counter() - began


def _p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20, method="inclusive")[-1] if len(values) > 1 else values[0]


def run(n: int, saves: int, seed: int) -> dict:
    rng = random.Random(seed)
    operation, users, pools = _setup(n, rng)
    counts, full_seconds = _timed(detect_operation, operation)
    # Saves alternate between detection around the project (what a save does) and, for reference under the
    # same machine load, the whole-sector detection saves used before (forced by declining the fast path).
    times: dict[str, dict[str, list[float]]] = {
        mode: {"save": [], "detect": [], "loaded": []} for mode in ("around", "whole_sector")
    }
    for number in range(saves):
        mode = "around" if number % 2 == 0 else "whole_sector"
        if mode == "whole_sector":
            detection._detect_around = lambda *args, **kwargs: False
        user = rng.choice(users[:10])
        type_id, sector_id = rng.choice(pools["types"])
        data = {
            "title": f"New project {number}",
            "sector_id": sector_id,
            "resource_type_id": type_id,
            "area_ids": [rng.choice(pools["areas"][rng.choice((2, 3))])],
            "start_date": date(2026, 3, 1),
            "end_date": date(2026, 9, 30),
        }
        project, seconds = _timed(ops.save_record, user, operation, Project, data)
        times[mode]["save"].append(seconds)
        detected, seconds = _timed(detect_for_projects, {project.id: set()})  # detection alone, nothing to change
        db.session.rollback()
        times[mode]["detect"].append(seconds)
        times[mode]["loaded"].append(detected.projects)
        detection._detect_around = DETECT_AROUND
    save_times, detect_times = times["around"]["save"], times["around"]["detect"]
    coordinator = users[0]
    coordinator.role = Role.coordinator
    db.session.commit()
    _, list_seconds = _timed(
        lambda: (
            db.paginate(alert_query(operation, coordinator, AlertFilters()), page=1, per_page=25, error_out=False).items
        )
    )
    _, badge_seconds = _timed(unread_count, users[1], operation)
    _, gaps_seconds = _timed(gap_matrix, operation, coordinator, 2)
    alerts = db.session.scalar(
        sa.select(sa.func.count()).select_from(OverlapAlert).where(OverlapAlert.operation_id == operation.id)
    )
    median = statistics.median
    return {
        "projects": n,
        "pairs": counts.pairs,
        "alerts": alerts,
        "clusters": counts.clusters,
        "full_detection_s": round(full_seconds, 3),
        "save_with_detection_ms": {
            "median": round(median(save_times) * 1000, 1),
            "p95": round(_p95(save_times) * 1000, 1),
            "max": round(max(save_times) * 1000, 1),
        },
        "incremental_detection_ms": {
            "median": round(median(detect_times) * 1000, 1),
            "max": round(max(detect_times) * 1000, 1),
        },
        "projects_loaded_per_save": median(times["around"]["loaded"]),
        "whole_sector_reference": {
            "save_ms": {
                "median": round(median(times["whole_sector"]["save"]) * 1000, 1),
                "p95": round(_p95(times["whole_sector"]["save"]) * 1000, 1),
            },
            "projects_loaded_per_save": median(times["whole_sector"]["loaded"]),
        },
        "alerts_page_ms": round(list_seconds * 1000, 1),
        "inbox_badge_ms": round(badge_seconds * 1000, 1),
        "gap_matrix_level2_ms": round(gaps_seconds * 1000, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, nargs="+", default=[1000, 5000])
    parser.add_argument("--saves", type=int, default=30)
    parser.add_argument("--seed", type=int, default=4)
    parser.add_argument("--database", default="sqlite:////tmp/coordhub-bench-overlap.db")
    options = parser.parse_args()
    if options.database.startswith("sqlite:////") and Path(options.database[10:]).exists():
        Path(options.database[10:]).unlink()
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": options.database.replace("postgresql://", "postgresql+psycopg://"),
            "SQLALCHEMY_ENGINE_OPTIONS": {},
        }
    )
    results = []
    with app.app_context():
        db.drop_all()
        db.create_all()
        ensure_reference_data()
        db.session.commit()
        for n in options.projects:
            result = run(n, options.saves, options.seed)
            print(json.dumps(result))
            results.append(result)
    backend = options.database.split(":", 1)[0]
    machine = (
        f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, {backend}, "
        f"load average {os.getloadavg()[0]:.1f} at the end (the machine is shared)"
    )
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"overlap_alerts_{backend}.json").write_text(
        json.dumps({"machine": machine, "results": results}, indent=2) + "\n"
    )
    lines = [
        f"# Overlap alerts benchmark ({backend})",
        "",
        f"Machine: {machine}. Command: `.venv/bin/python bench/overlap_alerts.py`. Synthetic operation: "
        "1,221 admin areas (20 provinces, 200 districts, 1,000 communes), 40 organisations, projects in all "
        "12 sectors at province (15 %), district (45 %) and commune (40 %) level, 1–12 months in 2026. "
        "Saves alternate: detection around the project (the columns of a save) and, as a reference "
        "measured under the same load, the whole-sector detection saves used before.",
        "",
        "| projects | pairs (alerts) | clusters | full detection, writing the alerts | save of one project "
        "(median / p95 / max) | incremental detection alone (median / max) | alerts page | inbox badge | "
        "gap matrix (level 2) | projects loaded per save | reference: save with whole-sector detection "
        "(median / p95), projects loaded |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        lines.append(
            f"| {r['projects']:,} | {r['pairs']:,} ({r['alerts']:,}) | {r['clusters']:,} | "
            f"{r['full_detection_s']} s | {r['save_with_detection_ms']['median']} / "
            f"{r['save_with_detection_ms'].get('p95', '–')} / {r['save_with_detection_ms']['max']} ms | {r['incremental_detection_ms']['median']} / "
            f"{r['incremental_detection_ms']['max']} ms | {r['alerts_page_ms']} ms | "
            f"{r['inbox_badge_ms']} ms | {r['gap_matrix_level2_ms']} ms | "
            f"{r.get('projects_loaded_per_save', '–')} | "
            + (
                f"{r['whole_sector_reference']['save_ms']['median']} / "
                f"{r['whole_sector_reference']['save_ms']['p95']} ms, "
                f"{r['whole_sector_reference']['projects_loaded_per_save']} |"
                if "whole_sector_reference" in r
                else "– |"
            )
        )
    (RESULTS / f"overlap_alerts_{backend}.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
