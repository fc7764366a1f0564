"""A partner answers each period of a published plan on its own (page and API): a decline keeps the pair out of that
period only in the next plans, is audited, shown to the coordinator, and lifted by accepting again."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from coordhub.allocation.models import AllocationAssignment, AllocationForbiddenPair
from coordhub.audit.models import AuditEntry
from coordhub.extensions import db
from tests.allocation.helpers import make_scenario, run_from_form
from tests.allocation.test_runs import text_of
from tests.api.conftest import token_for  # noqa: F401  (fixture)

APRIL = date(2026, 4, 1)


def published_plan(world, login, client):
    s = make_scenario(world)
    s.ngo_classrooms.throughput = 4.0
    db.session.commit()
    login(world.users["coordinator"])
    run = run_from_form(client, periods="month", horizon="2026-06-30")
    assert client.post(f"/allocations/{run.id}/publish").status_code == 302
    return s, run


def part(run, need, capacity, period: date) -> AllocationAssignment:
    return db.session.scalar(
        sa.select(AllocationAssignment).where(
            AllocationAssignment.run_id == run.id,
            AllocationAssignment.need_id == need.id,
            AllocationAssignment.capacity_id == capacity.id,
            AllocationAssignment.period == period,
        )
    )


def periods_of(run, need, capacity) -> dict[date, float]:
    return {a.period: a.quantity for a in run.assignments if a.need_id == need.id and a.capacity_id == capacity.id}


def test_a_partner_declines_one_period_and_the_next_plan_avoids_only_that_period(world, login, client):
    s, run = published_plan(world, login, client)
    before = periods_of(run, s.high, s.ngo_classrooms)
    assert APRIL in before
    login(world.users["focal"])
    page = text_of(client.get("/allocations/mine"))
    assert "Period" in page and "answer each period on its own" in page and "2026-04-01" in page
    april = part(run, s.high, s.ngo_classrooms, APRIL)
    response = client.post(
        f"/allocations/mine/{april.id}/respond",
        data={"decision": "declined", "reason": "road cut in April"},
        follow_redirects=True,
    )
    assert "Declined for the period from 2026-04-01" in text_of(response)
    pair = db.session.scalar(sa.select(AllocationForbiddenPair))
    assert (pair.need_id, pair.capacity_id, pair.period) == (s.high.id, s.ngo_classrooms.id, APRIL)
    audit = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.entity_type == "AllocationResponse"))
    assert audit.changes["period"] == [None, "2026-04-01"] and "in the period from 2026-04-01" in audit.summary

    login(world.users["coordinator"])
    page = text_of(client.get(f"/allocations/{run.id}"))
    assert "declined road cut in April" in page
    assert "period from 2026-04-01 only" in text_of(client.get("/allocations/constraints"))
    assert "Data changed since this run" in page and "1 exclusions" in page
    again = run_from_form(client, periods="month", horizon="2026-06-30")
    after = periods_of(again, s.high, s.ngo_classrooms)
    assert APRIL not in after and after  # the pair is still used in the other months
    assert again.forbidden == [[s.high.id, s.ngo_classrooms.id, "2026-04-01"]]
    # A run without periods is not bound by a one-period decline.
    plain = run_from_form(client)
    assert any(a.need_id == s.high.id and a.capacity_id == s.ngo_classrooms.id for a in plain.assignments)

    # Accepting the period again lifts that exclusion only.
    login(world.users["focal"])
    client.post(f"/allocations/mine/{april.id}/respond", data={"decision": "accepted"})
    assert db.session.scalar(sa.select(AllocationForbiddenPair)) is None


def test_two_periods_declined_through_the_api_are_two_exclusions(world, login, client, token_for):  # noqa: F811
    _, run = published_plan(world, login, client)
    headers = token_for(world.users["focal"])
    parts = [a for a in run.assignments if a.organisation_id == world.ngo.id and a.period is not None][:2]
    assert len(parts) == 2
    for a in parts:
        response = client.post(
            f"/api/v1/allocation-runs/{run.id}/assignments/{a.id}/response",
            headers=headers,
            json={"decision": "declined", "reason": "no team that month"},
        )
        assert response.status_code in (200, 201), response.get_json()
    rows = db.session.scalars(sa.select(AllocationForbiddenPair).order_by(AllocationForbiddenPair.id)).all()
    assert [(r.need_id, r.capacity_id, r.period) for r in rows] == [(a.need_id, a.capacity_id, a.period) for a in parts]
    body = client.get(f"/api/v1/allocation-runs/{run.id}", headers=token_for(world.users["coordinator"])).get_json()
    answered = {a["id"]: a for a in body["assignments"]}
    assert all(answered[a.id]["response"]["decision"] == "declined" and answered[a.id]["period"] for a in parts)
