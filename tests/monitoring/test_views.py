"""Monitoring pages through the test client: what each role can do and see."""

from __future__ import annotations

import csv
import io
from datetime import date

import sqlalchemy as sa

from coordhub.extensions import db
from coordhub.monitoring import operations as mops
from coordhub.monitoring.models import Indicator, Report, ReportingPeriod, ReportState, Target
from tests import factories
from tests.monitoring.helpers import entry, period, setup


def test_a_coordinator_adds_an_indicator_opens_and_closes_periods(world, login):
    client = login(world.users["coordinator"])
    response = client.post(
        "/monitoring/indicators/new",
        data={
            "code": "WASH-9",
            "name": "Water points repaired",
            "sector_id": factories.sector("WASH").id,
            "unit": "water points",
            "type": "count",
            "aggregation": "sum",
            "disaggregation": [],
            "resource_type_id": "",
        },
    )
    assert response.status_code == 302
    assert db.session.scalar(sa.select(Indicator.name).where(Indicator.code == "WASH-9")) == "Water points repaired"
    response = client.post(
        "/monitoring/indicators/new",
        data={
            "code": "WASH-9",
            "name": "Again",
            "sector_id": factories.sector("WASH").id,
            "unit": "x",
            "type": "count",
            "aggregation": "sum",
        },
    )
    assert response.status_code == 200 and "already has an indicator with the code WASH-9" in response.get_data(True)
    assert (
        client.post("/monitoring/periods", data={"first": "2026-03-01", "count": 2, "due_days": 10}).status_code == 302
    )
    page = client.get("/monitoring/periods").get_data(as_text=True)
    assert "2026-03" in page and "2026-04" in page
    march = db.session.scalar(sa.select(ReportingPeriod).where(ReportingPeriod.start_date == date(2026, 3, 1)))
    client.post(f"/monitoring/periods/{march.id}/state", data={"closed": "1"})
    db.session.refresh(march)
    assert march.closed
    client.post(f"/monitoring/periods/{march.id}/state", data={"closed": "0", "reason": ""})
    db.session.refresh(march)
    assert march.closed  # no reason, no reopening
    client.post(f"/monitoring/periods/{march.id}/state", data={"closed": "0", "reason": "correction"})
    db.session.refresh(march)
    assert not march.closed


def test_partners_cannot_manage_indicators_or_periods(world, login):
    client = login(world.users["focal"])
    assert client.get("/monitoring/indicators/new").status_code == 403
    assert (
        client.post("/monitoring/periods", data={"first": "2026-03-01", "count": 2, "due_days": 10}).status_code == 403
    )


def test_a_partner_sets_targets_reports_with_a_warning_and_submits(world, login):
    project, periods, area, classrooms, enrolled = setup(world)
    client = login(world.users["focal"])
    response = client.post(
        f"/monitoring/projects/{project.id}/targets",
        data={
            f"t-{classrooms.id}-{area.id}-": "12",
            f"b-{classrooms.id}-{area.id}-": "2",
            f"t-{enrolled.id}-{area.id}-": "abc",
        },
    )
    assert response.status_code == 200 and "Enter a number." in response.get_data(True)
    response = client.post(
        f"/monitoring/projects/{project.id}/targets",
        data={
            f"t-{classrooms.id}-{area.id}-": "12",
            f"b-{classrooms.id}-{area.id}-": "2",
            f"t-{enrolled.id}-{area.id}-": "300",
            f"t-{enrolled.id}-{area.id}-sex:female": "150",
        },
    )
    assert response.status_code == 302
    assert db.session.scalar(sa.select(Target.baseline).where(Target.indicator_id == classrooms.id)) == 2
    url = f"/monitoring/projects/{project.id}/periods/{period(periods, 3).id}"
    page = client.get(url).get_data(as_text=True)
    assert f'name="v-{enrolled.id}-{area.id}-sex:female"' in page and "Save and submit for review" in page
    data = {f"v-{classrooms.id}-{area.id}-": "14", "comment": "three schools", "need_id": ""}
    page = client.post(url, data={**data, "save": "1"}).get_data(as_text=True)
    assert "above the target" in page and "I checked the values" in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Report)) == 0
    response = client.post(url, data={**data, "confirm": "y", "send": "1"})
    assert response.status_code == 302
    report = db.session.scalar(sa.select(Report))
    assert report.state is ReportState.submitted and report.comment == "three schools"
    page = client.get(url).get_data(as_text=True)
    assert 'disabled' in page and "Approve" not in page  # no longer editable, not the reviewer


def test_errors_are_shown_all_at_once_next_to_their_values(world, login):
    project, periods, area, classrooms, enrolled = setup(world)
    client = login(world.users["focal"])
    url = f"/monitoring/projects/{project.id}/periods/{period(periods, 3).id}"
    page = client.post(
        url,
        data={
            f"v-{enrolled.id}-{area.id}-": "100",
            f"v-{enrolled.id}-{area.id}-sex:female": "10",
            f"v-{classrooms.id}-{area.id}-": "-3",
            "save": "1",
        },
    ).get_data(as_text=True)
    assert "add up to 10" in page and "cannot be negative" in page


def test_a_coordinator_reviews_from_the_report_page(world, login):
    project, periods, area, classrooms, _ = setup(world)
    report, _w = mops.save_report(
        world.users["focal"], project, period(periods, 3), [entry(classrooms, area, 3)], submit=True
    )
    client = login(world.users["coordinator"])
    home = client.get("/monitoring/").get_data(as_text=True)
    assert "Waiting for your review" in home and project.title in home
    client.post(f"/monitoring/reports/{report.id}/review", data={"review_comment": "", "give_back": "1"})
    db.session.refresh(report)
    assert report.state is ReportState.submitted  # returning needs a comment
    client.post(f"/monitoring/reports/{report.id}/review", data={"review_comment": "ok", "approve": "1"})
    db.session.refresh(report)
    assert report.state is ReportState.approved


def test_sensitive_projects_results_are_redacted(world, login):
    project, periods, area, classrooms, _ = setup(world)
    project.sensitive = True
    db.session.commit()
    mops.save_report(world.users["focal"], project, period(periods, 3), [entry(classrooms, area, 3)], submit=True)
    mops.review_report(world.users["coordinator"], db.session.scalar(sa.select(Report)), approve=True)
    client = login(world.users["other_focal"])
    assert client.get(f"/monitoring/projects/{project.id}").status_code == 403
    assert client.get(f"/monitoring/projects/{project.id}/periods/{period(periods, 3).id}").status_code == 403
    page = client.get("/monitoring/progress?group_by=organisation").get_data(as_text=True)
    assert "sensitive entries" in page and "<td>NGOA</td>" not in page
    coordinator = login(world.users["coordinator"])
    page = coordinator.get("/monitoring/progress?group_by=organisation").get_data(as_text=True)
    assert "<td>NGOA</td>" in page


def test_late_reports_page(world, login):
    project, _periods, _area, _classrooms, _ = setup(world)
    client = login(world.users["coordinator"])
    page = client.get("/monitoring/late").get_data(as_text=True)
    assert "2026-03" in page and project.title in page and "nothing entered" in page
    other = login(world.users["other_focal"])
    assert project.title not in other.get("/monitoring/late").get_data(as_text=True)


def test_progress_page_and_hxl_export(world, login):
    project, periods, area, classrooms, _ = setup(world)
    for month, value in ((3, 4), (4, 5)):
        report, _w = mops.save_report(
            world.users["focal"], project, period(periods, month), [entry(classrooms, area, value)], submit=True
        )
        mops.review_report(world.users["coordinator"], report, approve=True)
    client = login(world.users["viewer"])
    page = client.get(f"/monitoring/progress?sector={classrooms.sector_id}&group_by=area").get_data(as_text=True)
    assert "EDU-1" in page and "45 %" in page and "Ouham-Pendé" in page
    response = client.get(f"/monitoring/progress.csv?sector={classrooms.sector_id}")
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[1][:3] == ["#indicator+code", "#indicator+name", "#sector+code"]
    edu1 = [r for r in rows[2:] if r[0] == "EDU-1"]
    assert [(r[6], r[10], r[11]) for r in edu1] == [
        ("2026-03-01", "4", "4"),
        ("2026-04-01", "5", "9"),
        ("2026-05-01", "0", "9"),
        ("2026-06-01", "0", "9"),
    ]
    assert client.get("/monitoring/progress.xlsx").status_code == 200


def test_drafts_are_shown_only_to_their_organisation_and_coordinators(world, login):
    project, periods, area, classrooms, _ = setup(world)
    project.code = "P-1"
    db.session.commit()
    mops.save_report(world.users["focal"], project, period(periods, 3), [entry(classrooms, area, 3)])
    url = f"/monitoring/projects/{project.id}/periods/{period(periods, 3).id}"
    name = f'name="v-{classrooms.id}-{area.id}-"'
    for user, shown in (("focal", True), ("coordinator", True), ("other_focal", False), ("viewer", False)):
        page = login(world.users[user]).get(url).get_data(as_text=True)
        assert (f'{name} inputmode="decimal" size="7"' in page) and (('value="3.0"' in page) is shown), user
    exported = login(world.users["viewer"]).get("/monitoring/reports.csv").get_data(as_text=True)
    assert len(exported.strip().splitlines()) == 2  # header and hashtags only
    exported = login(world.users["coordinator"]).get("/monitoring/reports.csv").get_data(as_text=True)
    assert len(exported.strip().splitlines()) == 3 and "P-1" in exported
