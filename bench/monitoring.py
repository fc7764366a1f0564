"""Benchmark of monitoring at scale: 20,000 projects × 3 indicators × 5 admin areas × 12 monthly periods
(3.6 million approved values), then the progress page filtered by sector and area (target: < 1 s on
PostgreSQL) and one project's report form save (target: < 200 ms).

Run: ``.venv/bin/python bench/monitoring.py [--database URL] [--projects 20000]``. Default database:
postgresql://postgres@127.0.0.1:5432/coordhub_mne (its tables are dropped and created again: use a scratch
database). Values are written with PostgreSQL's COPY. Prints the figures and saves them to
bench/results/monitoring_<database>.{json,md}.
"""

from __future__ import annotations

import argparse
import contextvars
import json
import os
import platform
import random
import statistics
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402
from flask.testing import FlaskClient  # noqa: E402

from coordhub import create_app  # noqa: E402
from coordhub.auth.models import Role, User  # noqa: E402
from coordhub.database import utcnow  # noqa: E402
from coordhub.extensions import db  # noqa: E402
from coordhub.monitoring import operations as mops  # noqa: E402
from coordhub.monitoring.library import ensure_indicator_library  # noqa: E402
from coordhub.monitoring.models import Indicator, Report, ReportingPeriod, ReportValue, Target  # noqa: E402
from coordhub.monitoring.queries import ProgressFilters, progress  # noqa: E402
from coordhub.registry.admin_areas import AreaRecord  # noqa: E402
from coordhub.registry.models import AdminArea, Operation, Organisation, OrganisationType, Project, project_areas  # noqa: E402
from coordhub.registry.operations import _insert_rows, load_admin_areas  # noqa: E402
from coordhub.registry.reference import ensure_reference_data  # noqa: E402

RESULTS = ROOT / "bench" / "results"
PASSWORD = "bench-password-123"
PROVINCES, DISTRICTS = 8, 25  # 200 districts under 8 provinces
AREAS_PER_PROJECT, INDICATORS_PER_PROJECT, MONTHS = 5, 3, 12


class IsolatedClient(FlaskClient):
    def open(self, *args, **kwargs):
        return contextvars.Context().run(super().open, *args, **kwargs)


def _timed(function, *args, **kwargs):
    began = time.perf_counter()
    result = function(*args, **kwargs)
    return result, time.perf_counter() - began


def _median(function, repeat: int = 5) -> float:
    return statistics.median(_timed(function)[1] for _ in range(repeat))


def build(n_projects: int, rng: random.Random) -> dict:
    """The operation, its areas, organisations, library, periods, projects with targets and approved reports."""
    timings = {}
    began = time.perf_counter()
    ensure_reference_data()
    operation = Operation(name="Bench monitoring", country_code="XY")
    db.session.add(operation)
    db.session.flush()
    records = [AreaRecord("XY", "Country", 0, None)]
    for p in range(PROVINCES):
        records.append(AreaRecord(f"XY{p:02d}", f"Province {p}", 1, "XY"))
        records += [AreaRecord(f"XY{p:02d}{d:02d}", f"District {p}-{d}", 2, f"XY{p:02d}") for d in range(DISTRICTS)]
    load_admin_areas(operation, records)
    districts = list(
        db.session.scalars(
            sa.select(AdminArea.id)
            .where(AdminArea.operation_id == operation.id, AdminArea.level == 2)
            .order_by(AdminArea.id)
        )
    )
    organisations = [
        Organisation(name=f"Bench partner {i}", acronym=f"BP{i}", type=OrganisationType.international_ngo)
        for i in range(60)
    ]
    db.session.add_all(organisations)
    db.session.flush()
    ensure_indicator_library(operation)
    coordinator = User(
        email="coordinator@bench.example", name="Coordinator", organisation=organisations[0], role=Role.coordinator
    )
    focal = User(email="focal@bench.example", name="Focal point", organisation=organisations[1], role=Role.focal_point)
    for user in (coordinator, focal):
        user.set_password(PASSWORD)
        user.operations = [operation]
        user.current_operation = operation
    db.session.add_all([coordinator, focal])
    db.session.commit()
    mops.create_periods(coordinator, operation, date(2026, 1, 1), MONTHS + 1)  # the 13th stays open, unreported
    periods = list(
        db.session.scalars(
            sa.select(ReportingPeriod)
            .where(ReportingPeriod.operation_id == operation.id)
            .order_by(ReportingPeriod.start_date)
        )
    )
    indicators = list(db.session.scalars(sa.select(Indicator).where(Indicator.operation_id == operation.id)))
    by_sector: dict[int, list[Indicator]] = {}
    for indicator in indicators:
        by_sector.setdefault(indicator.sector_id, []).append(indicator)
    sectors = sorted(s for s, items in by_sector.items() if len(items) >= INDICATORS_PER_PROJECT)
    timings["setup_s"] = time.perf_counter() - began

    began = time.perf_counter()
    now = utcnow()
    project_ids = list(
        db.session.scalars(
            sa.text("SELECT nextval(pg_get_serial_sequence('projects', 'id')) FROM generate_series(1, :n)"),
            {"n": n_projects},
        )
    )
    project_rows, link_rows, plans = [], [], []
    for number, project_id in enumerate(project_ids):
        sector = sectors[number % len(sectors)]
        organisation = organisations[1 if number == 0 else rng.randrange(len(organisations))]
        areas = rng.sample(districts, AREAS_PER_PROJECT)
        project_rows.append(
            {
                "id": project_id,
                "operation_id": operation.id,
                "organisation_id": organisation.id,
                "sector_id": sector,
                "title": f"Bench project {number}",
                "description": "",
                "start_date": date(2026, 1, 1),
                "end_date": date(2027, 6, 30),
                "status": "ongoing",
                "currency": "USD",
                "target_group": "",
                "sensitive": number % 50 == 0,
                "created_at": now,
                "updated_at": now,
                "code": f"B-{number}",
            }
        )
        link_rows += [{"project_id": project_id, "admin_area_id": area} for area in areas]
        plans.append((project_id, rng.sample(by_sector[sector], INDICATORS_PER_PROJECT), areas))
    _insert_rows(Project.__table__, project_rows)
    _insert_rows(project_areas, link_rows)
    target_rows = [
        {
            "project_id": pid,
            "indicator_id": ind.id,
            "admin_area_id": area,
            "disaggregation": "",
            "value": float(rng.randint(50, 500)),
            "baseline": 0.0,
        }
        for pid, chosen, areas in plans
        for ind in chosen
        for area in areas
    ]
    _insert_rows(Target.__table__, target_rows)
    db.session.commit()
    timings["projects_and_targets_s"] = time.perf_counter() - began

    began = time.perf_counter()
    # Loading into an indexed table is several times slower: drop report_values' indexes, COPY, build them again.
    value_table = ReportValue.__table__
    unique = sa.inspect(db.session.connection()).get_unique_constraints("report_values")[0]
    db.session.execute(sa.text(f'ALTER TABLE report_values DROP CONSTRAINT "{unique["name"]}"'))
    for index in value_table.indexes:
        db.session.execute(sa.schema.DropIndex(index))
    # The generated rows are consistent: skip the six foreign-key checks per row while loading (superuser).
    db.session.execute(sa.text("ALTER TABLE report_values DISABLE TRIGGER ALL"))
    db.session.execute(sa.text("ALTER TABLE reports DISABLE TRIGGER ALL"))
    db.session.commit()
    report_ids = iter(
        db.session.scalars(
            sa.text("SELECT nextval(pg_get_serial_sequence('reports', 'id')) FROM generate_series(1, :n)"),
            {"n": n_projects * MONTHS},
        )
    )
    report_rows, value_count = [], 0
    reported = periods[:MONTHS]
    chunk: list[dict] = []
    for pid, chosen, areas in plans:
        running = {}
        for period in reported:
            report_id = next(report_ids)
            report_rows.append(
                {
                    "id": report_id,
                    "operation_id": operation.id,
                    "project_id": pid,
                    "period_id": period.id,
                    "state": "approved",
                    "comment": "",
                    "review_comment": "",
                    "created_at": now,
                    "updated_at": now,
                    "submitted_at": now,
                    "reviewed_at": now,
                }
            )
            for indicator in chosen:
                for area in areas:
                    value = float(rng.randint(0, 20))
                    if indicator.aggregation.value == "latest":
                        running[(indicator.id, area)] = value = running.get((indicator.id, area), 0.0) + value
                    chunk.append(
                        {
                            "report_id": report_id,
                            "operation_id": operation.id,
                            "project_id": pid,
                            "period_id": period.id,
                            "indicator_id": indicator.id,
                            "admin_area_id": area,
                            "disaggregation": "",
                            "value": value,
                            "approved": True,
                        }
                    )
        if len(chunk) >= 200_000:
            _insert_rows(Report.__table__, report_rows)
            _insert_rows(ReportValue.__table__, chunk)
            value_count += len(chunk)
            report_rows, chunk = [], []
    if chunk:
        _insert_rows(Report.__table__, report_rows)
        _insert_rows(ReportValue.__table__, chunk)
        value_count += len(chunk)
    db.session.commit()
    timings["values_copy_s"] = time.perf_counter() - began
    began = time.perf_counter()
    db.session.execute(sa.text("ALTER TABLE report_values ENABLE TRIGGER ALL"))
    db.session.execute(sa.text("ALTER TABLE reports ENABLE TRIGGER ALL"))
    db.session.execute(
        sa.text(
            f'ALTER TABLE report_values ADD CONSTRAINT "{unique["name"]}" UNIQUE ({", ".join(unique["column_names"])})'
        )
    )
    for index in value_table.indexes:
        db.session.execute(sa.schema.CreateIndex(index))
    db.session.commit()
    timings["values_indexes_s"] = time.perf_counter() - began
    began = time.perf_counter()
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(sa.text("VACUUM ANALYZE"))
    timings["analyze_s"] = time.perf_counter() - began
    return {
        "operation_id": operation.id,
        "values": value_count,
        "periods": periods,
        "plans": plans,
        "coordinator_id": coordinator.id,
        "focal_id": focal.id,
        "sectors": sectors,
        "timings": timings,
    }


def measure(app, built: dict, rng: random.Random) -> dict:
    figures = {}
    operation = db.session.get(Operation, built["operation_id"])
    coordinator = db.session.get(User, built["coordinator_id"])
    sector = built["sectors"][0]
    province = db.session.scalar(
        sa.select(AdminArea.id)
        .where(AdminArea.operation_id == operation.id, AdminArea.level == 1)
        .order_by(AdminArea.pcode)
    )
    cases = {
        "progress_sector_and_area": ProgressFilters(sector_id=sector, area_id=province),
        "progress_sector_by_area": ProgressFilters(sector_id=sector, group_by="area"),
        "progress_sector_area_by_organisation": ProgressFilters(
            sector_id=sector, area_id=province, group_by="organisation"
        ),
        "progress_whole_operation": ProgressFilters(),
    }
    for name, filters in cases.items():
        progress(coordinator, operation, filters)  # warm the caches once
        figures[f"{name}_query_s"] = _median(lambda: progress(coordinator, operation, filters), 3)

    client = app.test_client()
    response = client.post("/login", data={"email": "coordinator@bench.example", "password": PASSWORD})
    assert response.status_code == 302, response.status_code
    url = f"/monitoring/progress?sector={sector}&area={province}"
    assert client.get(url).status_code == 200
    figures["progress_page_sector_and_area_s"] = _median(lambda: client.get(url), 5)
    url_by_area = f"/monitoring/progress?sector={sector}&group_by=area"
    client.get(url_by_area)
    figures["progress_page_sector_by_area_s"] = _median(lambda: client.get(url_by_area), 3)

    focal_client = app.test_client()
    focal_client.post("/logout")
    response = focal_client.post("/login", data={"email": "focal@bench.example", "password": PASSWORD})
    assert response.status_code == 302
    project_id, chosen, areas = built["plans"][0]
    open_period = built["periods"][-1]
    form_url = f"/monitoring/projects/{project_id}/periods/{open_period.id}"
    assert focal_client.get(form_url).status_code == 200
    saves = []
    for attempt in range(7):
        data = {
            f"v-{indicator.id}-{area}-": str(5 + (attempt + i) % 7)
            for i, (indicator, area) in enumerate((ind, a) for ind in chosen for a in areas)
        }
        data.update({"comment": f"attempt {attempt}", "need_id": "", "confirm": "y", "save": "1"})
        response, seconds = _timed(focal_client.post, form_url, data=data)
        assert response.status_code == 302, response.get_data(as_text=True)[:2000]
        saves.append(seconds)
    figures["report_form_save_s"] = statistics.median(saves[1:])
    figures["report_form_values"] = len(chosen) * len(areas)
    response, figures["report_form_page_s"] = _timed(focal_client.get, form_url)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="postgresql://postgres@127.0.0.1:5432/coordhub_mne")
    parser.add_argument("--projects", type=int, default=20_000)
    args = parser.parse_args()
    os.environ["DATABASE_URL"] = args.database
    from config import database_url

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url(args.database, ""),
            "TESTING": True,
            "WTF_CSRF_ENABLED": False,
            "SQLALCHEMY_ENGINE_OPTIONS": {},
            "PASSWORD_HASH_CHEAP": True,
        }
    )
    app.test_client_class = IsolatedClient
    rng = random.Random(11)
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            raise SystemExit("This benchmark writes with COPY: give a PostgreSQL database.")
        with db.engine.begin() as connection:
            connection.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        db.create_all()
        built, build_seconds = _timed(build, args.projects, rng)
        figures = measure(app, built, rng)
    result = {
        "projects": args.projects,
        "indicators_per_project": INDICATORS_PER_PROJECT,
        "areas_per_project": AREAS_PER_PROJECT,
        "periods": MONTHS,
        "values": built["values"],
        "build_s": round(build_seconds, 1),
        **{k: round(v, 2) for k, v in built["timings"].items()},
        **{k: round(v, 4) if isinstance(v, float) else v for k, v in figures.items()},
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "database": "postgresql",
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "monitoring_postgresql.json").write_text(json.dumps(result, indent=2) + "\n")
    lines = [
        "# Monitoring benchmark (PostgreSQL)",
        "",
        f"{args.projects:,} projects × {INDICATORS_PER_PROJECT} indicators × {AREAS_PER_PROJECT} areas × "
        f"{MONTHS} periods = {built['values']:,} approved values (built in {build_seconds:.0f} s, values "
        f"written with COPY in {built['timings']['values_copy_s']:.0f} s, indexed in "
        f"{built['timings']['values_indexes_s']:.0f} s).",
        "",
        "| measure | seconds | target |",
        "|---|---:|---|",
    ]
    targets = {"progress_page_sector_and_area_s": "< 1 s", "report_form_save_s": "< 0.2 s"}
    for key, value in figures.items():
        if key.endswith("_s"):
            lines.append(f"| {key[:-2].replace('_', ' ')} | {value:.3f} | {targets.get(key, '')} |")
    (RESULTS / "monitoring_postgresql.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
