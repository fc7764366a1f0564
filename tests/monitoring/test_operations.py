"""Monitoring operations: indicators, targets, periods and locking, the report lifecycle and its rights, audit,
the needs update and its effect on an allocation run."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from coordhub.allocation import operations as allocation_ops
from coordhub.audit.models import AuditEntry
from coordhub.errors import PermissionDenied, ValidationError
from coordhub.extensions import db
from coordhub.monitoring import operations as mops
from coordhub.monitoring.models import NeedDelivery, ReportState, ReportValue
from coordhub.monitoring.queries import late_reports, late_reports_by_period
from coordhub.registry.models import NeedStatus
from tests import factories
from tests.monitoring.helpers import entry, period, setup


def test_coordinators_edit_indicators_partners_do_not(world):
    data = {"code": "X-1", "name": "Wells cleaned", "sector_id": factories.sector("WASH").id, "unit": "wells"}
    with pytest.raises(PermissionDenied):
        mops.save_indicator(world.users["focal"], world.operation, data)
    created = mops.save_indicator(world.users["coordinator"], world.operation, data)
    assert created.aggregation.value == "sum" and created.type.value == "count"
    with pytest.raises(ValidationError) as error:
        mops.save_indicator(world.users["coordinator"], world.operation, data)
    assert error.value.field == "code"
    with pytest.raises(ValidationError) as error:
        mops.save_indicator(
            world.users["coordinator"],
            world.operation,
            {**data, "code": "X-2", "resource_type_id": factories.resource_type("EDU-CLASSROOM").id},
        )
    assert error.value.field == "resource_type_id"
    with pytest.raises(ValidationError) as error:
        mops.save_indicator(world.users["coordinator"], world.operation, {**data, "code": "X-3", "type": "percentage"})
    assert error.value.field == "aggregation"


def test_targets_only_in_the_projects_areas_and_by_its_organisation(world):
    project, _periods, area, classrooms, _enrolled = setup(world)
    with pytest.raises(PermissionDenied):
        mops.save_targets(world.users["other_focal"], project, [mops.TargetRow(classrooms.id, area.id, 5)])
    with pytest.raises(ValidationError, match="admin area"):
        mops.save_targets(
            world.users["focal"],
            project,
            [mops.TargetRow(classrooms.id, factories.area(world.operation, "CF711").id, 5)],
        )
    with pytest.raises(ValidationError, match="broken down"):
        mops.save_targets(
            world.users["focal"], project, [mops.TargetRow(classrooms.id, area.id, 5, None, "sex:female")]
        )


def test_report_lifecycle_is_audited(world):
    project, periods, area, classrooms, _enrolled = setup(world)
    focal, coordinator = world.users["focal"], world.users["coordinator"]
    march = period(periods, 3)
    report, warnings = mops.save_report(focal, project, march, [entry(classrooms, area, 4)], comment="first")
    assert report.state is ReportState.draft and warnings == []
    mops.submit_report(focal, report)
    with pytest.raises(ValidationError):  # submitted reports are no longer changed
        mops.save_report(focal, project, march, [entry(classrooms, area, 5)])
    with pytest.raises(ValidationError, match="Say what"):
        mops.review_report(coordinator, report, approve=False)
    mops.review_report(coordinator, report, approve=False, comment="Which schools?")
    assert report.state is ReportState.returned and report.review_comment == "Which schools?"
    mops.save_report(focal, project, march, [entry(classrooms, area, 5)], submit=True)
    mops.review_report(coordinator, report, approve=True)
    assert report.state is ReportState.approved
    assert db.session.scalars(sa.select(ReportValue.approved).where(ReportValue.report_id == report.id)).all() == [True]
    states = [
        e.changes.get("state")
        for e in db.session.scalars(
            sa.select(AuditEntry).where(AuditEntry.entity_type == "Report").order_by(AuditEntry.id)
        )
        if "state" in e.changes
    ]
    assert states == [
        ["draft", "submitted"],
        ["submitted", "returned"],
        ["returned", "submitted"],
        ["submitted", "approved"],
    ]


def test_partners_report_for_their_own_organisation_only(world):
    project, periods, area, classrooms, _ = setup(world)
    for name in ("other_focal", "viewer", "outsider"):
        with pytest.raises(PermissionDenied):
            mops.save_report(world.users[name], project, period(periods, 3), [entry(classrooms, area, 1)])


def test_reviewers_are_coordinators_and_the_sector_lead_but_not_for_their_own_reports(world):
    project, periods, area, classrooms, _ = setup(world)
    report, _w = mops.save_report(
        world.users["focal"], project, period(periods, 3), [entry(classrooms, area, 1)], submit=True
    )
    with pytest.raises(PermissionDenied):
        mops.review_report(world.users["other_focal"], report, approve=True)
    with pytest.raises(PermissionDenied):
        mops.review_report(world.users["focal"], report, approve=True)
    mops.set_sector_lead(world.users["coordinator"], world.operation, project.sector_id, world.other_ngo.id)
    mops.review_report(world.users["other_focal"], report, approve=True)
    assert report.state is ReportState.approved


def test_closed_periods_are_locked_and_reopening_is_audited(world):
    project, periods, area, classrooms, _ = setup(world)
    march = period(periods, 3)
    with pytest.raises(PermissionDenied):
        mops.set_period_closed(world.users["focal"], march, True)
    mops.set_period_closed(world.users["coordinator"], march, True)
    with pytest.raises(ValidationError, match="closed") as error:
        mops.save_report(world.users["focal"], project, march, [entry(classrooms, area, 1)])
    assert error.value.field == "period_id"
    with pytest.raises(ValidationError, match="Say why"):
        mops.set_period_closed(world.users["coordinator"], march, False)
    mops.set_period_closed(world.users["coordinator"], march, False, reason="late correction by NGOA")
    audit = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.entity_type == "ReportingPeriod").order_by(AuditEntry.id)
    ).all()
    assert [a.changes["closed"] for a in audit] == [[False, True], [True, False]]
    assert audit[-1].changes["reason"] == [None, "late correction by NGOA"]
    mops.save_report(world.users["focal"], project, march, [entry(classrooms, area, 1)])


def test_errors_name_the_value_and_warnings_need_confirmation(world):
    project, periods, area, classrooms, enrolled = setup(world)
    focal = world.users["focal"]
    with pytest.raises(ValidationError) as error:
        mops.save_report(
            focal,
            project,
            period(periods, 3),
            [
                entry(enrolled, area, 100),
                entry(enrolled, area, 30, "sex:female"),
                entry(enrolled, area, 30, "sex:male"),
            ],
        )
    assert error.value.field == f"v-{enrolled.id}-{area.id}-"
    assert "add up to 60" in error.value.message
    with pytest.raises(mops.WarningsToConfirm) as warned:
        mops.save_report(focal, project, period(periods, 3), [entry(classrooms, area, 25)])
    assert [i.code for i in warned.value.issues] == ["above_target"]
    _report, warnings = mops.save_report(
        focal, project, period(periods, 3), [entry(classrooms, area, 25)], confirm=True
    )
    assert [w.code for w in warnings] == ["above_target"]
    audit = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.entity_type == "Report")).all()
    assert audit[-1].changes["warnings_confirmed"] == [None, ["above_target"]]


def test_a_period_outside_the_project_dates_is_refused(world):
    project, _periods, area, classrooms, _ = setup(world)  # the project runs March to June 2026
    september = mops.create_periods(world.users["coordinator"], world.operation, date(2026, 9, 1), 1)[0]
    with pytest.raises(ValidationError, match="outside the project") as error:
        mops.save_report(world.users["focal"], project, september, [entry(classrooms, area, 1)])
    assert error.value.field == "period_id"


def test_late_reports_per_period(world):
    project, periods, area, classrooms, _ = setup(world)
    other = factories.make_project(world.operation, world.other_ngo, pcodes=("CF632",))
    mops.save_targets(world.users["other_focal"], other, [mops.TargetRow(classrooms.id, area.id, 3)])
    mops.save_report(world.users["focal"], project, period(periods, 3), [entry(classrooms, area, 2)], submit=True)
    mops.save_report(world.users["other_focal"], other, period(periods, 3), [entry(classrooms, area, 1)])
    late = late_reports(world.operation.id, today=date(2026, 4, 20))  # March is due 10 April; April not yet
    assert [(r.period_label, r.project_id, r.state) for r in late] == [("2026-03", other.id, "draft")]
    grouped = late_reports_by_period(world.operation.id, today=date(2026, 7, 1))
    assert {periods_label(world, pid): sorted(r.project_id for r in items) for pid, items in grouped.items()} == {
        "2026-03": [other.id],
        "2026-04": sorted([project.id, other.id]),
        "2026-05": sorted([project.id, other.id]),
    }


def periods_label(world, period_id):
    from coordhub.monitoring.models import ReportingPeriod

    return db.session.get(ReportingPeriod, period_id).label


def test_approved_results_meet_needs_and_the_next_allocation_sees_what_is_open(world):
    project, periods, area, classrooms, _ = setup(world)
    need = factories.make_need(world.operation, world.local_authority, pcode="CF632", quantity=10.0)
    factories.make_capacity(world.operation, world.other_ngo, pcodes=("CF63",), quantity=20.0)
    coordinator, focal = world.users["coordinator"], world.users["focal"]
    report, _w = mops.save_report(
        focal, project, period(periods, 3), [entry(classrooms, area, 4)], submit=True, need_id=need.id
    )
    db.session.refresh(need)
    assert need.status is NeedStatus.open  # submitted results do not count yet
    mops.review_report(coordinator, report, approve=True)
    db.session.refresh(need)
    assert need.status is NeedStatus.partially_met
    assert db.session.get(NeedDelivery, need.id).delivered == 4
    run = allocation_ops.run_allocation(coordinator, world.operation, {})
    assert run.units_needed == 6 and run.units_met == 6
    assert any("Delivered work counted: 4" in note for note in run.notes)
    second, _w = mops.save_report(focal, project, period(periods, 4), [entry(classrooms, area, 6)], submit=True)
    mops.review_report(coordinator, second, approve=True)  # matched by resource type, area and time
    db.session.refresh(need)
    assert need.status is NeedStatus.met
    run = allocation_ops.run_allocation(coordinator, world.operation, {})
    assert run.need_count == 0
    mops.review_report(coordinator, second, approve=False, comment="double entry")  # coordinator reopens
    db.session.refresh(need)
    assert need.status is NeedStatus.partially_met and db.session.get(NeedDelivery, need.id).delivered == 4
