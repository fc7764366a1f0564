"""Plans with side constraints: hand-made optima for budgets over the plan and per period, one provider and the
minimum lot over the plan, the local share; hypothesis properties (throughput, limits and budgets hold) and the
time-expanded LP's bound equal to an independent LP (scipy HiGHS) with budgets and the local share."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import numpy as np
import pytest
from hypothesis import given, note
from hypothesis import strategies as st
from scipy.optimize import linprog

from coordhub.allocation.core import InvalidInput, Pin, Policy, Status, allocate

from .builders import AREAS, need, reasons
from .test_plan import APR, FEB, HALF_YEAR, JAN, MAR, MAY, schedule, team
from .test_plan_properties import MONTHS, PLAN, SETTINGS, plans, triples

WEIGHTS = {1: 1, 2: 2, 3: 4, 4: 8, 5: 16}


def test_a_budget_over_the_whole_plan_limits_the_total_and_is_explained():
    result = allocate(
        [need("N1", 10, start=JAN)],
        [team(unit_cost=10)],
        areas=AREAS,
        plan=HALF_YEAR,
        policy=Policy(budget_caps={"ORG": 50}),
    )
    assert schedule(result) == {("N1", "C1", JAN): 4, ("N1", "C1", FEB): 1}
    assert result.engine == "time_expanded_linear_program"
    assert result.status == Status.OPTIMAL and result.cost == 50
    assert result.bound == result.weighted_units == 5 * 4 and result.gap == 0
    assert reasons(result)["N1"] == "budget_cap"


def test_a_budget_per_period_spreads_the_spending():
    result = allocate(
        [need("N1", 10, start=JAN)],
        [team(unit_cost=10)],
        areas=AREAS,
        plan=HALF_YEAR,
        policy=Policy(budget_caps={"ORG": 20}, budget_per_period=True),
    )
    assert schedule(result) == {("N1", "C1", month): 2 for month in (JAN, FEB, MAR, APR, MAY)}


def test_a_pin_over_a_period_budget_is_infeasible_and_budget_per_period_needs_a_plan():
    result = allocate(
        [need("N1", 10, start=JAN)],
        [team(unit_cost=10)],
        areas=AREAS,
        plan=HALF_YEAR,
        pins=[Pin(need_id="N1", capacity_id="C1", quantity=4)],
        policy=Policy(budget_caps={"ORG": 30}, budget_per_period=True),
    )
    assert result.status == Status.INFEASIBLE and "budget cap of ORG" in result.notes[-1]
    with pytest.raises(InvalidInput, match="budget_per_period"):
        allocate([need("N1", start=JAN)], [team()], policy=Policy(budget_per_period=True))


def test_one_provider_per_need_holds_over_all_periods():
    needs = [need("N1", 8, start=JAN)]
    caps = [team("SLOW", throughput=2, unit_cost=1), team("FAST", throughput=4, unit_cost=5)]
    two_months = replace(HALF_YEAR, horizon=date(2027, 2, 28))
    plain = allocate(needs, caps, areas=AREAS, plan=two_months)
    assert schedule(plain) == {("N1", "SLOW", JAN): 2, ("N1", "SLOW", FEB): 2, ("N1", "FAST", JAN): 4}
    single = allocate(needs, caps, areas=AREAS, plan=two_months, policy=Policy(single_provider=True))
    assert schedule(single) == {("N1", "FAST", JAN): 4, ("N1", "FAST", FEB): 4}
    assert single.engine == "time_expanded_mixed_integer" and single.gap == 0


def test_the_minimum_lot_counts_what_a_pair_delivers_over_the_plan():
    needs = [need("N1", 10, start=JAN)]
    caps = [team("TRICKLE", throughput=1, unit_cost=1), team("BULK", throughput=4, unit_cost=2)]
    three_months = replace(HALF_YEAR, horizon=date(2027, 3, 31))
    plain = allocate(needs, caps, areas=AREAS, plan=three_months)
    assert schedule(plain) == {
        ("N1", "BULK", JAN): 4,
        ("N1", "TRICKLE", JAN): 1,
        ("N1", "BULK", FEB): 4,
        ("N1", "TRICKLE", FEB): 1,
    }
    # TRICKLE can bring at most 3 in three months, under the lot of 5: BULK alone (4 + 4 + 2).
    lots = allocate(needs, caps, areas=AREAS, plan=three_months, policy=Policy(min_lot_size=5))
    assert schedule(lots) == {("N1", "BULK", JAN): 4, ("N1", "BULK", FEB): 4, ("N1", "BULK", MAR): 2}


def test_the_local_share_applies_to_the_whole_plan_with_least_lateness():
    needs = [need("N1", 10, start=JAN)]
    caps = [team("INTL", throughput=10, unit_cost=1), team("LOCAL", throughput=2, unit_cost=5, is_local=True)]
    three_months = replace(HALF_YEAR, horizon=date(2027, 3, 31))
    result = allocate(needs, caps, areas=AREAS, plan=three_months, policy=Policy(min_local_share=0.5))
    # Half of the 10 from LOCAL (2 a month): 2 + 2 + 1; the least delay puts the rest in January.
    assert schedule(result) == {
        ("N1", "INTL", JAN): 5,
        ("N1", "LOCAL", JAN): 2,
        ("N1", "LOCAL", FEB): 2,
        ("N1", "LOCAL", MAR): 1,
    }
    assert result.cost == 5 * 1 + 5 * 5


def test_minimum_coverage_per_admin1_area_over_the_plan():
    needs = [need("NORTH", 8, pcode="XX11", priority=5, start=JAN), need("SOUTH", 8, pcode="XX21", start=JAN)]
    two_months = replace(HALF_YEAR, horizon=date(2027, 2, 28))
    plain = allocate(needs, [team()], areas=AREAS, plan=two_months)
    assert plain.met == {"NORTH": 8, "SOUTH": 0}
    # Half of what could reach each area over the plan (8 in two months each): 4 to the south.
    fair = allocate(needs, [team()], areas=AREAS, plan=two_months, policy=Policy(min_admin1_coverage=0.5))
    assert fair.met == {"NORTH": 4, "SOUTH": 4}


def _limits(needs, caps, result, policy):
    need = {n.id: n for n in needs}
    cap = {c.id: c for c in caps}
    per_period: dict = {}
    per_need: dict = {}
    per_cap: dict = {}
    spent: dict = {}
    providers: dict = {}
    per_pair: dict = {}
    for a in result.assignments:
        note(str(a))
        c = cap[a.capacity_id]
        per_period[(a.capacity_id, a.period)] = per_period.get((a.capacity_id, a.period), 0) + a.quantity
        per_need[a.need_id] = per_need.get(a.need_id, 0) + a.quantity
        per_cap[a.capacity_id] = per_cap.get(a.capacity_id, 0) + a.quantity
        key = (c.org, a.period if policy.budget_per_period else None)
        spent[key] = spent.get(key, 0) + a.quantity * c.unit_cost
        providers.setdefault(a.need_id, set()).add(a.capacity_id)
        per_pair[(a.need_id, a.capacity_id)] = per_pair.get((a.need_id, a.capacity_id), 0) + a.quantity
    for (cap_id, _), units in per_period.items():
        assert cap[cap_id].throughput is None or units <= cap[cap_id].throughput + 1e-9
    for need_id, units in per_need.items():
        assert units <= need[need_id].quantity + 1e-9
    for cap_id, units in per_cap.items():
        assert units <= cap[cap_id].quantity + 1e-9
    for (org, _), amount in spent.items():
        assert org not in policy.budget_caps or amount <= policy.budget_caps[org] + 1e-6
    if policy.single_provider:
        assert all(len(s) == 1 for s in providers.values())
    for (need_id, cap_id), units in per_pair.items():
        lot = min(policy.min_lot_size, need[need_id].quantity, cap[cap_id].quantity)
        assert units >= lot - 1e-9


@st.composite
def constrained(draw):
    needs, caps, rules = draw(plans(max_needs=5, max_caps=4))
    caps = [replace(c, org=draw(st.sampled_from(["A", "B"]))) for c in caps]
    policy = Policy(
        budget_caps={org: draw(st.integers(0, 60)) for org in draw(st.sets(st.sampled_from(["A", "B"])))},
        budget_per_period=draw(st.booleans()),
        min_local_share=draw(st.sampled_from([0.0, 0.3])),
        single_provider=draw(st.booleans()),
        min_lot_size=draw(st.sampled_from([0.0, 3.0])),
        min_admin1_coverage=draw(st.sampled_from([0.0, 0.5])),
        time_limit_seconds=20,
    )
    return needs, caps, rules, policy


@given(constrained())
@SETTINGS
def test_throughput_limits_and_budgets_always_hold_with_side_constraints(case):
    needs, caps, rules, policy = case
    result = allocate(needs, caps, areas=AREAS, plan=PLAN, access=rules, policy=policy)
    note(f"{result.status} {result.notes}")
    if result.status != Status.INFEASIBLE:
        _limits(needs, caps, result, policy)
        assert result.bound is None or result.weighted_units <= result.bound + 1e-6


@given(constrained())
@SETTINGS
def test_the_plan_bound_with_budgets_and_local_share_equals_an_independent_lp(case):
    needs, caps, rules, policy = case
    policy = replace(
        policy,
        single_provider=False,
        min_lot_size=0.0,
        min_admin1_coverage=0.0,
        budget_caps=policy.budget_caps or {"A": 30},
    )
    result = allocate(needs, caps, areas=AREAS, plan=PLAN, access=rules, policy=policy)
    columns = triples(needs, caps, rules)
    if not columns:
        assert result.weighted_units == 0
        return
    rows, limits = [], []

    def row(select) -> list[float]:
        return [float(select(n, c, q)) for n, c, q in columns]

    for n in needs:
        rows.append(row(lambda a, b, q, n=n: a is n))
        limits.append(n.quantity)
    for c in caps:
        rows.append(row(lambda a, b, q, c=c: b is c))
        limits.append(c.quantity)
        if c.throughput is not None:
            for month in range(len(MONTHS)):
                rows.append(row(lambda a, b, q, c=c, month=month: b is c and q == month))
                limits.append(c.throughput)
    for org, amount in policy.budget_caps.items():
        for month in range(len(MONTHS)) if policy.budget_per_period else [None]:
            rows.append(row(lambda a, b, q, org=org, month=month: b.unit_cost * (b.org == org and month in (None, q))))
            limits.append(amount)
    if policy.min_local_share > 0:
        share = policy.min_local_share
        for kind in {n.resource_type for n, c, _ in columns if c.is_local}:
            rows.append(row(lambda a, b, q, kind=kind: (share - b.is_local) * (a.resource_type == kind)))
            limits.append(0.0)
    weight = np.array([WEIGHTS[n.priority] for n, _, _ in columns], dtype=float)
    best = -linprog(-weight, A_ub=np.array(rows), b_ub=np.array(limits), bounds=(0, None), method="highs").fun
    assert result.status == Status.OPTIMAL
    assert result.bound == pytest.approx(best, rel=1e-6, abs=1e-6)
    assert result.weighted_units <= best + 1e-6
    # Whole units from a fractional optimum lose less than one unit per column at the highest weight.
    assert result.weighted_units >= best - 16 * len(columns) - 1e-6
    if abs(result.weighted_units - best) < 1e-6:
        assert result.gap == 0


def test_when_the_lp_finds_nothing_in_time_the_plan_is_cut_down_to_the_budgets(monkeypatch):
    from coordhub.allocation.core import plan_linear
    from coordhub.allocation.core.linear import TR, _Solved

    def out_of_time(*args, **kwargs):
        return _Solved(TR.TERMINATION_REASON_NO_SOLUTION_FOUND, 0, None, None, float("nan"), float("nan"))

    monkeypatch.setattr(plan_linear, "_solve", out_of_time)
    needs = [need("N1", 10, start=JAN)]
    result = allocate(needs, [team(unit_cost=10)], areas=AREAS, plan=HALF_YEAR, policy=Policy(budget_caps={"ORG": 50}))
    assert result.status == Status.TIMED_OUT and result.bound is None
    assert result.cost <= 50 and result.met == {"N1": 5}
    # With a lower limit (minimum coverage) nothing is known to be feasible: only the pins.
    shared = allocate(needs, [team()], areas=AREAS, plan=HALF_YEAR, policy=Policy(min_admin1_coverage=0.5))
    assert shared.status == Status.TIMED_OUT and shared.assignments == ()
