"""Benchmark of the importer: a generated 50,000-row 3W file previewed and committed on SQLite and PostgreSQL.

Run: ``.venv/bin/python bench/import.py [--rows 50000] [--databases sqlite,postgresql] [--postgres URL]``.
Prints the figures and saves them to bench/results/import.json and bench/results/import.md.
Target (issue 5): preview and commit each under 30 s on a 2-core machine.

The file is a 3W as partners send them: an HXL row, 300 organisations by name and acronym (some
written in capitals or with trailing spaces), the 13 sectors as cluster names or codes, provinces and
districts by name and P-code, activities with a code, month and year instead of dates, statuses with
stray spaces. The commit is the real one: registry rights and checks, bulk writes, one audit entry per
project and one per batch, and whatever listens to saved projects (overlap detection, when that module
is installed), in one transaction. It is timed twice: as the application runs, and with the
project-saved listeners switched off, so that the importer's own share is visible.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import io
import json
import os
import platform
import random
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

RESULTS = ROOT / "bench" / "results"
SECTORS = [
    "Education",
    "EDU",
    "Health",
    "HEALTH",
    "WASH",
    "Water and sanitation",
    "Protection",
    "PROT",
    "Food Security & Agriculture",
    "Early Recovery",
    "Governance and elections",
    "Rule of law",
    "Transport",
    "Energy",
    "Social cohesion",
    "DDR",
    "Security sector reform",
    "Coordination",
]
MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July ",
    "August",
    "September",
    "October ",
    "November",
    "December",
]
STATUSES = ["Ongoing", "Ongoing ", "Completed", "Closed ", "Planned", "Suspended"]


def organisations(count: int = 300) -> list[tuple[str, str]]:
    return [(f"Partner Organisation {n:03d} for Reconstruction", f"PO{n:03d}") for n in range(count)]


def areas(provinces: int = 34, districts: int = 12) -> list[tuple[str, str, str, str]]:
    """(province P-code, province name, district P-code, district name)."""
    return [
        (f"XX{p:02d}", f"Province {p}", f"XX{p:02d}{d:02d}", f"District {p}-{d}")
        for p in range(1, provinces + 1)
        for d in range(1, districts + 1)
    ]


def three_w_file(rows: int, seed: int = 5) -> bytes:
    rng = random.Random(seed)
    orgs, places = organisations(), areas()
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(
        [
            "Organisation",
            "Acronym",
            "Sector/Cluster",
            "Province",
            "Province P-code",
            "District",
            "District P-code",
            "Activity",
            "Activity code",
            "Month",
            "Year",
            "Status",
            "Targeted",
        ]
    )
    writer.writerow(
        [
            "#org+name",
            "#org+acronym",
            "#sector",
            "#adm1+name",
            "#adm1+code",
            "#adm2+name",
            "#adm2+code",
            "#activity+name",
            "#activity+code",
            "#date+month",
            "#date+year",
            "#status",
            "#targeted",
        ]
    )
    for n in range(rows):
        name, acronym = orgs[rng.randrange(len(orgs))]
        if n % 17 == 0:
            name = name.upper() + " "
        province_code, province, district_code, district = places[rng.randrange(len(places))]
        writer.writerow(
            [
                name,
                acronym,
                SECTORS[rng.randrange(len(SECTORS))],
                province,
                province_code,
                district,
                district_code,
                f"Activity {n} in {district}",
                f"ACT-{n:06d}",
                MONTHS[rng.randrange(12)],
                rng.choice([2025, 2026]),
                STATUSES[rng.randrange(len(STATUSES))],
                rng.randrange(50, 5000),
            ]
        )
    return buffer.getvalue().encode("utf-8")


def prepare_database(url: str):
    """A fresh schema with the reference lists, an operation with its areas, the organisations, an admin."""
    from coordhub import create_app
    from coordhub.auth.models import Role, User
    from coordhub.extensions import db
    from coordhub.registry.admin_areas import AreaRecord
    from coordhub.registry.models import Operation, Organisation, OrganisationType
    from coordhub.registry.operations import load_admin_areas
    from coordhub.registry.reference import ensure_reference_data

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SQLALCHEMY_ENGINE_OPTIONS": {}})
    with app.app_context():
        db.drop_all()
        db.create_all()
        ensure_reference_data()
        coordination = Organisation(name="Coordination office", acronym="COORD", type=OrganisationType.un_agency)
        db.session.add(coordination)
        db.session.add_all(
            Organisation(name=name, acronym=acronym, type=OrganisationType.national_ngo)
            for name, acronym in organisations()
        )
        operation = Operation(name="Benchmark operation", country_code="XX")
        db.session.add(operation)
        db.session.flush()
        records = [AreaRecord("XX", "Country", 0, None)]
        seen = set()
        for province_code, province, district_code, district in areas():
            if province_code not in seen:
                seen.add(province_code)
                records.append(AreaRecord(province_code, province, 1, "XX"))
            records.append(AreaRecord(district_code, district, 2, province_code))
        load_admin_areas(operation, records)
        admin = User(email="bench@example.org", name="Bench", organisation=coordination, role=Role.admin)
        admin.set_password("bench-password")
        admin.operations = [operation]
        db.session.add(admin)
        db.session.commit()
    return app


def run(url: str, label: str, data: bytes, listeners: bool) -> dict:
    from coordhub.auth.models import User
    from coordhub.extensions import db
    from coordhub.interop.importer import ImportSettings, run_import
    from coordhub.registry.models import Operation, Project
    from coordhub.registry.signals import project_saved

    app = prepare_database(url)
    figures: dict = {"database": label, "listeners": listeners}
    with app.app_context(), contextlib.nullcontext() if listeners else project_saved.muted():
        try:
            user = db.session.scalar(sa.select(User))
            operation = db.session.scalar(sa.select(Operation))
            settings = ImportSettings(kind="projects")
            began = time.perf_counter()
            report = run_import(user, operation, data, "bench-3w.csv", settings, commit=False)
            figures["preview_s"] = round(time.perf_counter() - began, 2)
            figures["preview_counts"] = report.counts
            began = time.perf_counter()
            report = run_import(user, operation, data, "bench-3w.csv", settings, commit=True)
            figures["commit_s"] = round(time.perf_counter() - began, 2)
            figures["committed"] = report.committed
            figures["written"] = report.written
            figures["projects_in_database"] = db.session.scalar(sa.select(sa.func.count()).select_from(Project))
            began = time.perf_counter()
            again = run_import(user, operation, data, "bench-3w.csv", settings, commit=True)
            figures["reimport_s"] = round(time.perf_counter() - began, 2)
            figures["reimport_counts"] = again.counts
        finally:
            db.session.remove()
            db.engine.dispose()
    return figures


def postgres_scratch(admin_url: str) -> tuple[str, Callable[[], None]]:
    engine = sa.create_engine(
        admin_url.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT"
    )
    name = f"coordhub_bench_{uuid.uuid4().hex[:8]}"
    with engine.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = engine.url.set(database=name).render_as_string(hide_password=False)

    def drop() -> None:
        with engine.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()

    return url, drop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument(
        "--postgres", default=os.environ.get("COORDHUB_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
    )
    args = parser.parse_args()
    data = three_w_file(args.rows)
    results = {
        "rows": args.rows,
        "file_bytes": len(data),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "runs": [],
    }
    print(f"3W file: {args.rows} rows, {len(data) / 1e6:.1f} MB")
    for database in args.databases.split(","):
        for listeners in (True, False):
            label = "SQLite (file)" if database == "sqlite" else "PostgreSQL"
            try:
                if database == "sqlite":
                    path = Path(f"/tmp/coordhub-bench-import-{uuid.uuid4().hex[:6]}.db")
                    try:
                        figures = run(f"sqlite:///{path}", label, data, listeners)
                    finally:
                        path.unlink(missing_ok=True)
                else:
                    url, drop = postgres_scratch(args.postgres)
                    try:
                        figures = run(url, label, data, listeners)
                    finally:
                        drop()
            except Exception as error:  # a failed run is a figure too: say what failed, go on with the others
                figures = {
                    "database": label,
                    "listeners": listeners,
                    "error": f"{type(error).__name__}: {str(error).splitlines()[0][:300]}",
                }
                print(f"{label:<14} listeners {'on ' if listeners else 'off'}: FAILED {figures['error']}")
                results["runs"].append(figures)
                continue
            results["runs"].append(figures)
            print(
                f"{figures['database']:<14} listeners {'on ' if listeners else 'off'}: preview {figures['preview_s']:6.2f} s, "
                f"commit {figures['commit_s']:6.2f} s ({figures['written']}), re-import {figures['reimport_s']:6.2f} s "
                f"({figures['reimport_counts']['unchanged']} unchanged)"
            )
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "import.json").write_text(json.dumps(results, indent=2) + "\n")
    lines = [
        f"# Import benchmark: {args.rows:,}-row 3W file",
        "",
        f"{results['machine']['cpus']} CPUs, Python {results['machine']['python']}; file {len(data) / 1e6:.1f} MB. "
        "Target: preview and commit each under 30 s.",
        "",
        "| database | project-saved listeners (overlap detection) | preview (s) | commit (s) | re-import, nothing changes (s) | created |",
        "|---|---|---|---|---|---|",
    ]
    for figures in results["runs"]:
        if "error" in figures:
            lines.append(
                f"| {figures['database']} | {'on' if figures['listeners'] else 'off'} | failed: "
                f"{figures['error'][:160]} | | | |"
            )
            continue
        lines.append(
            f"| {figures['database']} | {'on' if figures['listeners'] else 'off'} | {figures['preview_s']} | "
            f"{figures['commit_s']} | {figures['reimport_s']} | {figures['written'].get('created', 0)} |"
        )
    (RESULTS / "import.md").write_text("\n".join(lines) + "\n")
    print(f"Saved {RESULTS / 'import.json'} and {RESULTS / 'import.md'}")


if __name__ == "__main__":
    main()
