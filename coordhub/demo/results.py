"""The demo's results: the indicator library, sector leads, two closed monthly periods and an open one, targets
and reports of the projects (some late, one returned), reviewed through the monitoring operations."""

from __future__ import annotations

import random
from datetime import date

import sqlalchemy as sa

from coordhub.auth.models import Role, User
from coordhub.extensions import db
from coordhub.monitoring import operations as mops
from coordhub.monitoring.core import Entry
from coordhub.monitoring.library import ensure_indicator_library
from coordhub.monitoring.models import Indicator
from coordhub.registry.models import Operation, Organisation, Project, Sector

SECTOR_LEADS = {"EDU": "UNICEF", "HEALTH": "WHO", "WASH": "UNICEF", "PROT": "UNHCR", "LIVE": "UNDP"}
FIRST_MONTH = date(2026, 4, 1)
# A project that reports this much of its target each month (before noise).
MONTHLY_SHARE = 0.12


def load_results(operation: Operation, users: list[User], rng: random.Random) -> None:
    admin = next(u for u in users if u.role is Role.admin)
    coordinator = next(u for u in users if u.role is Role.coordinator)
    reporter_of = {u.organisation_id: u for u in users if u.role is Role.focal_point}
    ensure_indicator_library(operation)
    db.session.commit()
    organisations = {o.acronym: o for o in db.session.scalars(sa.select(Organisation))}
    sectors = {s.code: s for s in db.session.scalars(sa.select(Sector))}
    for sector, acronym in SECTOR_LEADS.items():
        mops.set_sector_lead(coordinator, operation, sectors[sector].id, organisations[acronym].id)
    periods = mops.create_periods(coordinator, operation, FIRST_MONTH, 3)
    indicators = list(db.session.scalars(sa.select(Indicator).where(Indicator.operation_id == operation.id)))
    by_type = {i.resource_type_id: i for i in indicators if i.resource_type_id}
    people = {i.sector_id: i for i in indicators if i.unit == "people" and i.aggregation.value == "sum"}
    projects = db.session.scalars(
        sa.select(Project)
        .where(
            Project.operation_id == operation.id,
            Project.start_date <= periods[-1].end_date,
            sa.or_(Project.end_date.is_(None), Project.end_date >= periods[0].start_date),
        )
        .order_by(Project.id)
    ).all()
    plans = []
    for project in projects:
        chosen = [i for i in (by_type.get(project.resource_type_id), people.get(project.sector_id)) if i]
        if not chosen:
            continue
        author = reporter_of.get(project.organisation_id, admin)
        rows, monthly = [], {}
        for indicator in chosen:
            for area in project.areas:
                target = float(rng.randint(20, 60) if indicator.unit != "people" else rng.randint(400, 3000))
                if indicator.unit in ("courts", "health centres", "bridges", "posts"):
                    target = float(rng.randint(2, 6))
                rows.append(mops.TargetRow(indicator.id, area.id, target, baseline=0.0))
                monthly[(indicator, area.id)] = target
        mops.save_targets(author, project, rows)
        plans.append((project, author, monthly))
    returned_one = False
    for index, period in enumerate(periods):
        for project, author, monthly in plans:
            if not period.overlaps(project.start_date, project.end_date):
                continue
            late = rng.random() < (0.1 if index < 2 else 0.45)
            if late:
                continue
            entries = []
            for (indicator, area_id), target in monthly.items():
                value = max(0.0, round(target * MONTHLY_SHARE * rng.uniform(0.6, 1.4)))
                entries.append(Entry(indicator.id, area_id, "", value))
                if "sex" in (indicator.disaggregation or []):
                    female = round(value * rng.uniform(0.45, 0.6))
                    entries += [
                        Entry(indicator.id, area_id, "sex:female", female),
                        Entry(indicator.id, area_id, "sex:male", value - female),
                    ]
            submit = index < 2 or rng.random() < 0.5
            report, _warnings = mops.save_report(
                author,
                project,
                period,
                entries,
                confirm=True,
                submit=submit,
                comment="Activités conduites comme prévu." if submit else "",
            )
            if index < 2:
                if not returned_one and index == 1:
                    mops.review_report(
                        coordinator,
                        report,
                        approve=False,
                        comment="Les chiffres de mai semblent inclure ceux d'avril : merci de vérifier.",
                    )
                    returned_one = True
                else:
                    mops.review_report(coordinator, report, approve=True)
    for period in periods[:2]:
        mops.set_period_closed(coordinator, period, True)
