"""Benchmark of notifications: an operation of 2,000 users and 20,000 overlap alerts in a day, the notices they
give (fan-out), then the daily digest for every user, built and sent to a real SMTP server on loopback.

Run: ``.venv/bin/python bench/notifications.py [--users 2000] [--alerts 20000] [--database URL]``.
Default database: a fresh SQLite file in /tmp; pass a PostgreSQL URL to measure there (its tables are dropped
and created again: use a scratch database such as coordhub_notify). Prints the figures and saves them to
bench/results/notifications_<backend>.json and .md. Target: the daily digest for all users in under 60 s.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import socket
import subprocess
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
from coordhub.notifications import events  # noqa: E402
from coordhub.notifications.digests import send_digests  # noqa: E402
from coordhub.notifications.mail import deliver_due  # noqa: E402
from coordhub.notifications.models import Event, Frequency, Notification, OutboxMessage, Subscription  # noqa: E402
from coordhub.overlap.models import AlertKind, AlertState, OverlapAlert  # noqa: E402
from coordhub.registry import operations as ops  # noqa: E402
from coordhub.registry.admin_areas import AreaRecord  # noqa: E402
from coordhub.registry.models import (  # noqa: E402
    AdminArea,
    Operation,
    Organisation,
    OrganisationType,
    Project,
    ResourceType,
    operation_members,
    project_areas,
)
from coordhub.registry.reference import ensure_reference_data  # noqa: E402

RESULTS = ROOT / "bench" / "results"
USERS_PER_ORGANISATION = 10


def _wait_for(port: int) -> None:
    for _attempt in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit("the SMTP server did not start")


def _areas() -> list[AreaRecord]:
    records = [AreaRecord("XX", "Country", 0, None)]
    for p in range(1, 21):
        records.append(AreaRecord(f"XX{p:02d}", f"Province {p}", 1, "XX"))
        for d in range(1, 11):
            records.append(AreaRecord(f"XX{p:02d}{d:02d}", f"District {p}-{d}", 2, f"XX{p:02d}"))
    return records


def setup(users: int, alerts: int, rng: random.Random) -> dict:
    """Organisations of ten users (one coordinator organisation), projects (10 % sensitive) and alerts
    between projects of two organisations, written in bulk."""
    operation = Operation(name="Bench notifications", country_code="XX")
    db.session.add(operation)
    db.session.flush()
    ops.load_admin_areas(operation, _areas())
    area_rows = (
        db.session.execute(sa.select(AdminArea.id).where(AdminArea.operation_id == operation.id, AdminArea.level == 2))
        .scalars()
        .all()
    )
    count = users // USERS_PER_ORGANISATION
    organisations = [
        Organisation(name=f"Organisation {i}", acronym=f"ORG{i}", type=OrganisationType.international_ngo)
        for i in range(count)
    ]
    db.session.add_all(organisations)
    db.session.flush()
    roles = [Role.focal_point] * 6 + [Role.viewer] * 4
    user_rows = [
        {
            "email": f"user{o}.{k}@bench.org",
            "name": f"User {o}.{k}",
            "password_hash": "x",
            "organisation_id": organisations[o].id,
            "role": (Role.coordinator if o == 0 else roles[k]).value,
            "active": True,
            "locale": "fr" if (o + k) % 3 == 0 else "en",
            "current_operation_id": operation.id,
            "created_at": utcnow(),
        }
        for o in range(count)
        for k in range(USERS_PER_ORGANISATION)
    ]
    db.session.execute(sa.insert(User.__table__), user_rows)
    user_ids = db.session.scalars(sa.select(User.id)).all()
    db.session.execute(sa.insert(operation_members), [{"operation_id": operation.id, "user_id": u} for u in user_ids])
    # A third of the users choose a weekly digest for alerts, the others keep the daily default.
    db.session.execute(
        sa.insert(Subscription.__table__),
        [
            {"user_id": u, "event": event.value, "frequency": Frequency.weekly.value}
            for u in user_ids[::3]
            for event in (Event.alert_raised, Event.alert_changed)
        ],
    )
    types = db.session.execute(sa.select(ResourceType.id, ResourceType.sector_id)).all()
    project_rows, now = [], utcnow()
    projects = alerts // 2
    for number in range(projects):
        type_id, sector_id = rng.choice(types)
        project_rows.append(
            {
                "operation_id": operation.id,
                "organisation_id": organisations[1 + number % (count - 1)].id,
                "sector_id": sector_id,
                "resource_type_id": type_id,
                "title": f"Project {number}",
                "status": "ongoing",
                "start_date": date(2026, 1, 1),
                "end_date": date(2026, 1, 1) + timedelta(days=rng.randint(30, 300)),
                "sensitive": rng.random() < 0.1,
                "archived": False,
                "description": "",
                "target_group": "",
                "created_at": now,
                "updated_at": now,
            }
        )
    db.session.execute(sa.insert(Project.__table__), project_rows)
    stored = db.session.execute(
        sa.select(Project.id, Project.organisation_id, Project.sector_id).order_by(Project.id)
    ).all()
    area_of = {row.id: rng.choice(area_rows) for row in stored}
    db.session.execute(sa.insert(project_areas), [{"project_id": p, "admin_area_id": a} for p, a in area_of.items()])
    pairs: set[tuple[int, int]] = set()
    alert_rows = []
    while len(alert_rows) < alerts:
        a, b = sorted(rng.sample(stored, 2), key=lambda row: row.id)
        if a.organisation_id == b.organisation_id or (a.id, b.id) in pairs:
            continue
        pairs.add((a.id, b.id))
        alert_rows.append(
            {
                "operation_id": operation.id,
                "project_a_id": a.id,
                "project_b_id": b.id,
                "organisation_a_id": a.organisation_id,
                "organisation_b_id": b.organisation_id,
                "sector_id": a.sector_id,
                "shared_area_id": area_of[a.id],
                "relation": "same",
                "kind": AlertKind.overlap.value,
                "score": 0.8,
                "overlap_start": date(2026, 1, 1),
                "overlap_end": date(2026, 3, 1),
                "days": 60,
                "title_similarity": 0.5,
                "explanation": f"ORG and ORG: overlap {len(alert_rows)}",
                "state": AlertState.open.value,
                "created_at": now,
                "changed_at": now,
                "detected_at": now,
            }
        )
    for start in range(0, len(alert_rows), 5000):
        db.session.execute(sa.insert(OverlapAlert.__table__), alert_rows[start : start + 5000])
    db.session.commit()
    return {"operation_id": operation.id, "users": len(user_ids), "organisations": count, "projects": projects}


def run(users: int, alerts: int, seed: int) -> dict:
    rng = random.Random(seed)
    began = time.perf_counter()
    shape = setup(users, alerts, rng)
    result = {**shape, "alerts": alerts, "setup_s": round(time.perf_counter() - began, 1)}

    # A day of alerts raised one save at a time: every alert gives its own notices (no "N new alerts" summary).
    events.BULK_ALERTS = 10**9
    alert_ids = db.session.scalars(sa.select(OverlapAlert.id).order_by(OverlapAlert.id)).all()
    began = time.perf_counter()
    for start in range(0, len(alert_ids), 500):
        events.alerts_changed(alert_ids[start : start + 500], Event.alert_raised)
        db.session.commit()
    result["fan_out_s"] = round(time.perf_counter() - began, 1)
    if db.engine.dialect.name == "postgresql":  # what autovacuum does after such a load: fresh planner statistics
        db.session.execute(sa.text("ANALYZE notifications"))
        db.session.commit()
    result["notices"] = db.session.scalar(sa.select(sa.func.count()).select_from(Notification))
    result["notices_for_daily"] = db.session.scalar(
        sa.select(sa.func.count()).select_from(Notification).where(Notification.email == Frequency.daily)
    )

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # The SMTP server in its own process, as a real one would be (aiosmtpd's Sink accepts and discards).
    server = subprocess.Popen(
        [sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}", "-c", "aiosmtpd.handlers.Sink"]
    )
    _wait_for(port)
    from flask import current_app

    current_app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_BASE_URL="https://coordhub.example")
    try:
        load_before = os.getloadavg()[0]
        began, cpu_began = time.perf_counter(), time.process_time()
        counts = send_digests("daily")
        built, cpu_built = time.perf_counter() - began, time.process_time() - cpu_began
        sent = deliver_due()
        total, cpu_total = time.perf_counter() - began, time.process_time() - cpu_began
        load_after = os.getloadavg()[0]
        again = send_digests("daily")
    finally:
        server.terminate()
        server.wait(timeout=10)
    result.update(
        {
            "digest_users": counts["users"],
            "digest_notices": counts["notices"],
            "digest_build_s": round(built, 1),
            "digest_send_s": round(total - built, 1),
            "digest_total_s": round(total, 1),
            "digest_build_cpu_s": round(cpu_built, 1),
            "digest_total_cpu_s": round(cpu_total, 1),
            "load_average": [round(load_before, 1), round(load_after, 1)],
            "emails_sent": sent["sent"],
            "emails_failed": sent["failed"] + sent["retry"],
            "second_run_users": again["users"],
            "mean_email_kb": round(
                float(
                    db.session.scalar(
                        sa.select(
                            sa.func.avg(
                                sa.func.length(OutboxMessage.text_body) + sa.func.length(OutboxMessage.html_body)
                            )
                        )
                    )
                    or 0
                )
                / 1024,
                1,
            ),
        }
    )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=2000)
    parser.add_argument("--alerts", type=int, default=20000)
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--database", default="sqlite:////tmp/coordhub-bench-notifications.db")
    options = parser.parse_args()
    if options.database.startswith("sqlite:////") and Path(options.database[10:]).exists():
        Path(options.database[10:]).unlink()
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": options.database.replace("postgresql://", "postgresql+psycopg://"),
            "SQLALCHEMY_ENGINE_OPTIONS": {},
            "JOBS_MODE": "eager",
            "MAIL_SERVER": None,
        }
    )
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as connection:
                connection.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        else:
            db.drop_all()
        db.create_all()
        ensure_reference_data()
        db.session.commit()
        result = run(options.users, options.alerts, options.seed)
    print(json.dumps(result))
    backend = options.database.split(":", 1)[0]
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, {backend}"
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"notifications_{backend}.json").write_text(
        json.dumps({"machine": machine, "result": result}, indent=2) + "\n"
    )
    r = result
    lines = [
        f"# Notifications benchmark ({backend})",
        "",
        f"Machine: {machine}. Command: `.venv/bin/python bench/notifications.py`. Synthetic operation: "
        f"{r['users']:,} users in {r['organisations']} organisations of ten, {r['projects']:,} projects (10 % "
        f"sensitive), {r['alerts']:,} overlap alerts raised in one day; a third of the users chose a weekly "
        "digest, the others the daily default; a third read French.",
        "",
        "| step | figure |",
        "|---|---|",
        f"| fan-out: notices written for {r['alerts']:,} alerts | {r['notices']:,} notices in {r['fan_out_s']} s |",
        f"| daily digest: built (grouped, deduplicated, redacted, rendered in 2 languages) | "
        f"{r['digest_users']:,} users, {r['digest_notices']:,} notices in {r['digest_build_s']} s |",
        f"| daily digest: sent to a loopback SMTP server | {r['emails_sent']:,} e-mails in {r['digest_send_s']} s |",
        f"| **daily digest for all users, total** | **{r['digest_total_s']} s** wall (target < 60 s), "
        f"{r['digest_total_cpu_s']} s CPU of this process |",
        f"| machine load average (1 min) before / after the digest | {r['load_average'][0]} / "
        f"{r['load_average'][1]} (2 cores shared with other work: wall times are inflated by it) |",
        f"| second run the same day (idempotent) | {r['second_run_users']} users |",
        f"| mean e-mail size (text + HTML) | {r['mean_email_kb']} KB |",
    ]
    (RESULTS / f"notifications_{backend}.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
