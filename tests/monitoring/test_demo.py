"""The demo operation comes with results: two closed periods and an open one, some late reports, one returned."""

from __future__ import annotations

import sqlalchemy as sa

from coordhub.demo.loader import DEMO_OPERATION, DEMO_PASSWORD, load_demo
from coordhub.extensions import db
from coordhub.monitoring.models import NeedDelivery, Report, ReportingPeriod, ReportState
from coordhub.monitoring.queries import late_reports
from coordhub.registry.models import Operation


def test_demo_has_closed_and_open_periods_with_realistic_reports(app):
    load_demo(DEMO_PASSWORD)
    operation = db.session.scalar(sa.select(Operation).where(Operation.name == DEMO_OPERATION))
    periods = db.session.scalars(
        sa.select(ReportingPeriod)
        .where(ReportingPeriod.operation_id == operation.id)
        .order_by(ReportingPeriod.start_date)
    ).all()
    assert [p.closed for p in periods] == [True, True, False]
    states = dict(db.session.execute(sa.select(Report.state, sa.func.count()).group_by(Report.state)).all())
    assert states[ReportState.approved] > 20 and states[ReportState.returned] == 1
    assert states.get(ReportState.submitted, 0) > 0
    assert late_reports(operation.id)  # some are late
    assert db.session.scalar(sa.select(sa.func.sum(NeedDelivery.delivered))) > 0  # results met needs
