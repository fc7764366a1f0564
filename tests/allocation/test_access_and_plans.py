"""Access assessments (page, import, rights) and plans over time through the pages: runs respect access, name it in
explanations and show it; plan runs store periods, show a timeline and coverage by month, export a period column;
a run page warns when data changed since the run."""

from __future__ import annotations

import csv
import io
from datetime import date

import sqlalchemy as sa

from coordhub.allocation.models import AllocationAssignment, AreaAccess
from coordhub.audit.models import AuditEntry
from coordhub.extensions import db
from tests import factories
from tests.allocation.helpers import make_scenario, quantities, run_from_form
from tests.allocation.test_runs import text_of


def add_access(client, world, pcode: str, level: str, **fields):
    area = factories.area(world.operation, pcode)
    data = {
        "admin_area_id": str(area.id),
        "level": level,
        "start_date": "2026-01-01",
        "end_date": "",
        "clearances": "",
        "note": "UNDSS assessment",
    } | fields
    return client.post("/allocations/access", data=data)


def test_coordinator_sets_a_no_go_area_and_runs_respect_and_explain_it(world, login, client):
    s = make_scenario(world)
    login(world.users["coordinator"])
    response = add_access(client, world, "CF632", "no_go")
    assert response.status_code == 302
    rule = db.session.scalar(sa.select(AreaAccess))
    assert rule.level.value == "no_go" and rule.area.pcode == "CF632" and rule.created_by_id
    assert db.session.scalar(sa.select(AuditEntry).where(AuditEntry.entity_type == "AreaAccess")) is not None
    page = text_of(client.get("/allocations/access"))
    assert "Bozoum (CF632) no-go" in page
    run = run_from_form(client)
    # Bozoum is no-go: its priority-5 need gets nothing, NGOB (serving only Bozoum) is kept out, Bocaranga gets
    # all of NGOA's classrooms.
    assert quantities(run) == {(s.low.id, s.ngo_classrooms.id): 10.0, (s.sensitive.id, s.ngo_cases.id): 2.0}
    assert run.access == [["CF632", "no_go", "2026-01-01", None, ""]]
    page = text_of(client.get(f"/allocations/{run.id}"))
    assert "Bozoum (CF632) is a no-go area in the time from 2026-03-01 to 2026-09-30: nobody may serve it." in page
    assert "Access rules keep it out of every area where it could serve a need (CF632)." in page
    assert "Access in force (1 assessments)" in page


def test_restricted_area_is_served_only_by_cleared_capacities(world, login, client):
    s = make_scenario(world)
    login(world.users["coordinator"])
    assert add_access(client, world, "CF63", "restricted", clearances="escort").status_code == 302
    s.other_classrooms.clearances = "escort"
    db.session.commit()
    run = run_from_form(client)
    assert quantities(run) == {(s.high.id, s.other_classrooms.id): 4.0}
    page = text_of(client.get(f"/allocations/{run.id}"))
    assert "No capacity cleared for restricted access (escort) could serve Bocaranga (CF633)" in page


def test_restricted_without_clearances_is_refused_naming_the_field(world, login, client):
    make_scenario(world)
    login(world.users["coordinator"])
    response = add_access(client, world, "CF63", "restricted")
    assert response.status_code == 200
    assert "Name the clearances that may serve a restricted area." in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AreaAccess)) == 0


def test_only_coordinators_manage_access(world, login, client):
    make_scenario(world)
    for role in ("focal", "viewer"):
        login(world.users[role])
        assert client.get("/allocations/access").status_code == 403
        assert add_access(client, world, "CF632", "no_go").status_code == 403
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AreaAccess)) == 0


def upload(client, text: str):
    return client.post(
        "/allocations/access/import",
        data={"file": (io.BytesIO(text.encode()), "undss.csv")},
        content_type="multipart/form-data",
    )


def test_import_adds_every_row_or_none(world, login, client):
    make_scenario(world)
    login(world.users["coordinator"])
    bad = upload(
        client, "pcode,level,start,end,clearance\nCF632,no_go,2026-03-01,2026-04-30,\nCF633,restricted,2026-03-01,,\n"
    )
    assert bad.status_code == 302
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AreaAccess)) == 0
    page = text_of(client.get("/allocations/access"))
    assert "undss.csv, row 3, column clearance" in page
    unknown = upload(client, "pcode,level,start,end,clearance\nZZ9,no_go,2026-03-01,,\n")
    assert unknown.status_code == 302
    assert "Unknown P-codes in this operation: ZZ9." in text_of(client.get("/allocations/access"))
    good = upload(
        client,
        "pcode,level,start,end,clearance\nCF632,no_go,2026-03-01,2026-04-30,\n"
        "CF633,restricted,2026-03-01,,escort;local\n",
    )
    assert good.status_code == 302
    rules = db.session.scalars(sa.select(AreaAccess).order_by(AreaAccess.id)).all()
    assert [(r.area.pcode, r.level.value, r.end_date, r.clearances) for r in rules] == [
        ("CF632", "no_go", date(2026, 4, 30), ""),
        ("CF633", "restricted", None, "escort;local"),
    ]


def test_plan_by_month_stores_periods_within_throughput_and_shows_a_timeline(world, login, client):
    s = make_scenario(world)
    s.ngo_classrooms.throughput = 2.0
    s.other_classrooms.throughput = 1.0
    db.session.commit()
    login(world.users["coordinator"])
    run = run_from_form(client, periods="month")
    assert run.engine == "time_expanded_min_cost_flow" and run.period_kind == "month"
    assert run.periods == [f"2026-{m:02d}-01" for m in range(3, 10)]
    rows = db.session.scalars(sa.select(AllocationAssignment).where(AllocationAssignment.run_id == run.id)).all()
    per_period: dict[tuple[int, date], float] = {}
    for a in rows:
        assert a.period is not None
        per_period[(a.capacity_id, a.period)] = per_period.get((a.capacity_id, a.period), 0) + a.quantity
    assert max(q for (c, _), q in per_period.items() if c == s.ngo_classrooms.id) <= 2.0
    assert max(q for (c, _), q in per_period.items() if c == s.other_classrooms.id) <= 1.0
    # The priority-5 need goes first: fully met, and every unit of it by June.
    high = [a for a in rows if a.need_id == s.high.id]
    assert sum(a.quantity for a in high) == 10 and max(a.period for a in high) <= date(2026, 6, 1)
    assert run.coverage["fully_met"][1] >= 2 and "by_period" in run.coverage
    page = text_of(client.get(f"/allocations/{run.id}"))
    assert "Plan by month" in page and "Timeline: units delivered per period" in page
    assert "NGOA organisation" in text_of(client.get(f"/allocations/{run.id}?timeline=partner"))
    assert "Bozoum" in text_of(client.get(f"/allocations/{run.id}?timeline=area"))
    body = client.get(f"/allocations/{run.id}/assignments.csv").get_data(as_text=True)
    exported = list(csv.DictReader(io.StringIO(body)))
    assert {row["period"] for row in exported[1:]} <= set(run.periods)  # row 1 holds the HXL hashtags
    assert exported[0]["period"] == "#date+period"


def test_run_page_warns_when_data_changed_since_the_run(world, login, client):
    s = make_scenario(world)
    login(world.users["coordinator"])
    run = run_from_form(client)
    assert "Data changed since this run" not in text_of(client.get(f"/allocations/{run.id}"))
    s.low.quantity = 12.0
    db.session.commit()
    add_access(client, world, "CF711", "no_go")
    page = text_of(client.get(f"/allocations/{run.id}"))
    assert "Data changed since this run: 1 needs, 1 access assessments. Run again" in page


def test_plan_settings_are_checked(world, login, client):
    make_scenario(world)
    login(world.users["coordinator"])
    response = client.post(
        "/allocations/new",
        data={
            **__import__("tests.allocation.helpers", fromlist=["x"]).DEFAULT_FORM,
            "periods": "",
            "horizon": "2026-12-31",
        },
    )
    assert response.status_code == 200
    assert "A horizon needs periods (weeks or months)." in response.get_data(as_text=True)


def test_coordinator_removes_an_assessment_with_csrf_and_rights(world, login, client):
    make_scenario(world)
    login(world.users["coordinator"])
    add_access(client, world, "CF632", "no_go")
    rule = db.session.scalar(sa.select(AreaAccess))
    login(world.users["focal"])
    assert client.post(f"/allocations/access/{rule.id}/remove").status_code == 403
    login(world.users["coordinator"])
    assert client.post(f"/allocations/access/{rule.id}/remove").status_code == 302
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AreaAccess)) == 0
    assert client.post("/allocations/access/999/remove").status_code == 404


def test_a_plan_compares_with_a_run_without_periods_pair_by_pair(world, login, client):
    s = make_scenario(world)
    login(world.users["coordinator"])
    plain = run_from_form(client)
    s.ngo_classrooms.throughput = 2.0
    db.session.commit()
    plan = run_from_form(client, periods="month")
    page = text_of(client.get(f"/allocations/compare?a={plain.id}&b={plan.id}"))
    # Same totals per pair (throughput 2 a month over 7 months does not bind 12 units): nothing changed.
    assert (
        sum(
            a.quantity
            for a in db.session.scalars(
                sa.select(AllocationAssignment).where(
                    AllocationAssignment.run_id == plan.id, AllocationAssignment.capacity_id == s.ngo_classrooms.id
                )
            )
        )
        == 12
    )
    assert "0 changed, 4 the same" in page
