"""Monitoring test helpers: an indicator library, periods, a project with targets."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from coordhub.extensions import db
from coordhub.monitoring import operations as mops
from coordhub.monitoring.core import Entry
from coordhub.monitoring.library import ensure_indicator_library
from coordhub.monitoring.models import Indicator, ReportingPeriod
from tests import factories


def indicator(operation, code: str) -> Indicator:
    return db.session.scalar(sa.select(Indicator).where(Indicator.operation_id == operation.id, Indicator.code == code))


def setup(world, months: int = 4):
    """The library, `months` monthly periods from March 2026, and NGOA's classroom project in Bozoum with
    targets: 20 classrooms (EDU-1) and 400 children enrolled (EDU-3, by sex)."""
    ensure_indicator_library(world.operation)
    db.session.commit()
    coordinator = world.users["coordinator"]
    periods = mops.create_periods(coordinator, world.operation, date(2026, 3, 1), months)
    project = factories.make_project(world.operation, world.ngo, pcodes=("CF632",))
    area = factories.area(world.operation, "CF632")
    classrooms, enrolled = indicator(world.operation, "EDU-1"), indicator(world.operation, "EDU-3")
    mops.save_targets(
        world.users["focal"],
        project,
        [
            mops.TargetRow(classrooms.id, area.id, 20, baseline=0),
            mops.TargetRow(enrolled.id, area.id, 400, baseline=100),
        ],
    )
    return project, periods, area, classrooms, enrolled


def entry(indicator_obj, area, value, disaggregation=""):
    return Entry(indicator_obj.id, area.id, disaggregation, value)


def period(periods, month: int) -> ReportingPeriod:
    return next(p for p in periods if p.start_date.month == month)
