"""Progress figures from the database: sums vs latest values, breakdowns, and each intervention counted once
across a funding chain (the implementer's report counts)."""

from __future__ import annotations

from coordhub.extensions import db
from coordhub.monitoring import operations as mops
from coordhub.monitoring.models import NeedDelivery
from coordhub.monitoring.queries import ProgressFilters, progress
from coordhub.overlap.models import AlertKind, OverlapAlert
from tests import factories
from tests.monitoring.helpers import entry, period, setup


def approve(world, project, month, periods, entries):
    report, _w = mops.save_report(
        world.users["focal"] if project.organisation_id == world.ngo.id else world.users["other_focal"],
        project,
        period(periods, month),
        entries,
        submit=True,
        confirm=True,
    )
    mops.review_report(world.users["coordinator"], report, approve=True)


def test_sum_indicators_add_periods_latest_value_indicators_take_the_last_figure(world):
    project, periods, area, classrooms, enrolled = setup(world)
    approve(world, project, 3, periods, [entry(classrooms, area, 4), entry(enrolled, area, 100)])
    approve(world, project, 4, periods, [entry(classrooms, area, 5), entry(enrolled, area, 150)])
    rows = {row.indicator.code: row for row in progress(world.users["viewer"], world.operation).rows}
    assert rows["EDU-1"].series.per_period == (4, 5, 0, 0) and rows["EDU-1"].achieved == 9
    assert rows["EDU-3"].series.per_period == (100, 50, 0, 0) and rows["EDU-3"].achieved == 150
    assert rows["EDU-3"].target == 400 and rows["EDU-3"].percent == 37.5 and rows["EDU-3"].baseline == 100


def test_latest_values_add_up_across_projects_and_areas(world):
    project, periods, area, _classrooms, enrolled = setup(world)
    other = factories.make_project(world.operation, world.ngo, pcodes=("CF633",))
    other_area = factories.area(world.operation, "CF633")
    mops.save_targets(world.users["focal"], other, [mops.TargetRow(enrolled.id, other_area.id, 100)])
    approve(world, project, 3, periods, [entry(enrolled, area, 100)])
    approve(world, other, 4, periods, [entry(enrolled, other_area, 30)])
    approve(world, project, 5, periods, [entry(enrolled, area, 120)])
    filters = ProgressFilters(indicator_id=enrolled.id)
    row = progress(world.users["viewer"], world.operation, filters).rows[0]
    assert row.series.cumulative == (100, 130, 150, 150) and row.target == 500
    by_area = progress(
        world.users["viewer"], world.operation, ProgressFilters(indicator_id=enrolled.id, group_by="area")
    ).rows
    assert [(r.group.pcode, r.achieved) for r in by_area] == [("CF63", 150)]  # both districts in Ouham-Pendé
    only_bozoum = progress(
        world.users["viewer"], world.operation, ProgressFilters(indicator_id=enrolled.id, area_id=area.id)
    ).rows[0]
    assert only_bozoum.achieved == 120 and only_bozoum.target == 400


def test_a_funding_chain_is_counted_once(world):
    implementer, periods, area, classrooms, _ = setup(world)
    funder = factories.make_project(world.operation, world.other_ngo, pcodes=("CF632",), partners=[world.ngo])
    mops.save_targets(world.users["other_focal"], funder, [mops.TargetRow(classrooms.id, area.id, 20)])
    need = factories.make_need(world.operation, world.local_authority, pcode="CF632", quantity=50.0)
    a, b = sorted((implementer, funder), key=lambda p: p.id)
    db.session.add(
        OverlapAlert(
            operation_id=world.operation.id,
            project_a_id=a.id,
            project_b_id=b.id,
            organisation_a_id=a.organisation_id,
            organisation_b_id=b.organisation_id,
            sector_id=a.sector_id,
            shared_area_id=area.id,
            relation="same",
            kind=AlertKind.double_count,
            score=0.9,
            counted_project_id=implementer.id,
        )
    )
    db.session.commit()
    approve(world, implementer, 3, periods, [entry(classrooms, area, 6)])
    approve(world, funder, 3, periods, [entry(classrooms, area, 6)])
    row = progress(world.users["coordinator"], world.operation, ProgressFilters(indicator_id=classrooms.id)).rows[0]
    assert row.achieved == 6 and row.target == 20  # the funder's report and target are left out
    assert db.session.get(NeedDelivery, need.id).delivered == 6
