"""Plans with side constraints through the pages and the API: a budget per period holds in every month, the run page
says how the budget applies, budgets per period without a plan are refused naming the field."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from coordhub.allocation.models import AllocationAssignment
from coordhub.extensions import db
from coordhub.registry.models import Capacity
from tests.allocation.helpers import DEFAULT_FORM, make_scenario, run_from_form
from tests.allocation.test_runs import text_of
from tests.api.conftest import token_for  # noqa: F401  (fixture)


def spending_per_month(run, organisation_id: int) -> dict[date, float]:
    rows = db.session.scalars(sa.select(AllocationAssignment).where(AllocationAssignment.run_id == run.id)).all()
    out: dict[date, float] = {}
    for a in rows:
        capacity = db.session.get(Capacity, a.capacity_id)
        if capacity.organisation_id == organisation_id:
            out[a.period] = out.get(a.period, 0) + a.quantity * capacity.unit_cost
    return out


def test_a_budget_per_period_holds_in_every_month_of_a_plan(world, login, client):
    s = make_scenario(world)
    s.ngo_classrooms.throughput = 4.0
    db.session.commit()
    login(world.users["coordinator"])
    plan = run_from_form(client, periods="month")
    assert max(spending_per_month(plan, world.ngo.id).values()) > 200
    capped = run_from_form(client, periods="month", budget_caps="NGOA = 200", budget_per_period="y")
    assert capped.engine == "time_expanded_linear_program" and capped.policy["budget_per_period"] is True
    spent = spending_per_month(capped, world.ngo.id)
    assert spent and max(spent.values()) <= 200 + 1e-6
    assert capped.gap is not None and capped.bound is not None
    page = text_of(client.get(f"/allocations/{capped.id}"))
    assert "Budget caps 1 (each period)" in page
    whole = run_from_form(client, periods="month", budget_caps="NGOA = 200")
    assert sum(spending_per_month(whole, world.ngo.id).values()) <= 200 + 1e-6
    assert "Budget caps 1 (whole plan)" in text_of(client.get(f"/allocations/{whole.id}"))


def test_budgets_per_period_need_a_plan(world, login, client):
    make_scenario(world)
    login(world.users["coordinator"])
    response = client.post("/allocations/new", data={**DEFAULT_FORM, "budget_per_period": "y"})
    assert response.status_code == 200
    assert "Budgets per period need a plan over periods." in response.get_data(as_text=True)


def test_plan_with_one_provider_and_budget_per_period_through_the_api(world, client, token_for):  # noqa: F811
    s = make_scenario(world)
    s.ngo_classrooms.throughput = 3.0
    db.session.commit()
    headers = token_for(world.users["coordinator"])
    bad = client.post(
        "/api/v1/allocation-runs", headers=headers, json={"policy": {"budget_per_period": True}}
    ).get_json()
    assert bad["error"]["field"] == "budget_per_period"
    policy = {
        "periods": "month",
        "single_provider": True,
        "budget_per_period": True,
        "budget_caps": [{"organisation_id": world.ngo.id, "amount": 300}],
    }
    response = client.post("/api/v1/allocation-runs", headers=headers, json={"policy": policy})
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["engine"] == "time_expanded_mixed_integer" and body["gap"] is not None
    providers: dict[int, set[int]] = {}
    spent: dict[str, float] = {}
    for a in body["assignments"]:
        providers.setdefault(a["need"]["id"], set()).add(a["capacity_id"])
        capacity = db.session.get(Capacity, a["capacity_id"])
        if capacity.organisation_id == world.ngo.id:
            spent[a["period"]] = spent.get(a["period"], 0) + a["quantity"] * capacity.unit_cost
    assert all(len(caps) == 1 for caps in providers.values())
    assert max(spent.values()) <= 300 + 1e-6
