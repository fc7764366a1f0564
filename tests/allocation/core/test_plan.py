"""Plans over time and access rules: hand-made optima for throughput, deadlines, earliest starts, the lateness
order, access in time (restricted, no-go, a lower area overriding), pins, and the explanations naming access."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from coordhub.allocation.core import AccessRule, Capacity, InvalidInput, Pin, PlanSpec, Policy, allocate
from coordhub.allocation.core.messages import NOTE_LATENESS_PER_UNIT

from .builders import AREAS, need, reasons

JAN = date(2027, 1, 1)
FEB, MAR, APR, MAY, JUN = (date(2027, m, 1) for m in range(2, 7))
HALF_YEAR = PlanSpec(kind="month", start=JAN, horizon=date(2027, 6, 30))


def team(
    id: str = "C1",
    quantity: float = 20,
    *,
    throughput: float | None = 4,
    unit_cost: float = 0.0,
    clearances: tuple[str, ...] = (),
    is_local: bool = False,
    start: date = JAN,
    service=("XX",),
) -> Capacity:
    return Capacity(
        id=id,
        org="ORG",
        resource_type="tent",
        quantity=quantity,
        start=start,
        unit_cost=unit_cost,
        service_pcodes=service,
        throughput=throughput,
        clearances=clearances,
        is_local=is_local,
    )


def schedule(result) -> dict[tuple[str, str, date], float]:
    return {(a.need_id, a.capacity_id, a.period): a.quantity for a in result.assignments}


def test_throughput_spreads_delivery_and_higher_priority_goes_first():
    needs = [need("HIGH", 10, priority=5, start=JAN), need("LOW", 10, priority=1, start=JAN)]
    result = allocate(needs, [team()], areas=AREAS, plan=HALF_YEAR)
    assert schedule(result) == {
        ("HIGH", "C1", JAN): 4,
        ("HIGH", "C1", FEB): 4,
        ("HIGH", "C1", MAR): 2,
        ("LOW", "C1", MAR): 2,
        ("LOW", "C1", APR): 4,
        ("LOW", "C1", MAY): 4,
    }
    assert result.engine == "time_expanded_min_cost_flow"
    assert result.periods == (JAN, FEB, MAR, APR, MAY, JUN)
    assert result.gap == 0 and result.bound == result.objective == 10 * 16 + 10 * 1
    by_month = result.coverage.by_period
    # Unit-free: priority weight times the share of each need met, by the end of each month (of 16 + 1).
    assert [round(f.met, 6) for f in by_month.values()] == [6.4, 12.8, 16.2, 16.6, 17, 17]
    assert {f.needed for f in by_month.values()} == {17}
    assert result.coverage.by_period_and_type[("2027-02-01", "tent")].met == 8


def test_deadline_cuts_what_can_be_delivered_and_explains_it():
    needs = [need("N1", 10, start=JAN, end=None)]
    needs = [replace(needs[0], deadline=date(2027, 2, 28))]
    result = allocate(needs, [team()], areas=AREAS, plan=HALF_YEAR)
    assert schedule(result) == {("N1", "C1", JAN): 4, ("N1", "C1", FEB): 4}
    assert reasons(result)["N1"] == "booked_in_time"
    assert reasons(result, "capacity")["C1"] == "throughput"


def test_earliest_start_delays_the_first_delivery():
    needs = [replace(need("N1", 6, start=JAN), earliest_start=date(2027, 3, 15))]
    result = allocate(needs, [team()], areas=AREAS, plan=HALF_YEAR)
    assert schedule(result) == {("N1", "C1", MAR): 4, ("N1", "C1", APR): 2}


def test_lateness_ranks_before_cost_unless_a_weight_says_otherwise():
    needs = [need("N1", 4, start=JAN)]
    caps = [team("CHEAP_LATER", unit_cost=1, start=MAR), team("DEAR_NOW", unit_cost=50)]
    strict = allocate(needs, caps, areas=AREAS, plan=HALF_YEAR)
    assert schedule(strict) == {("N1", "DEAR_NOW", JAN): 4}
    # 0.1 per weighted unit (priority 3: weight 4) and period: two months late costs 0.8 < 49 saved.
    traded = allocate(needs, caps, areas=AREAS, plan=HALF_YEAR, policy=Policy(lateness_weight=0.1))
    assert schedule(traded) == {("N1", "CHEAP_LATER", MAR): 4}


def test_restricted_access_in_time_lets_only_cleared_capacities_in():
    rules = [AccessRule(pcode="XX1", level="restricted", start=JAN, end=date(2027, 2, 28), clearances=("escort",))]
    needs = [need("N1", 8, start=JAN)]
    plain = allocate(needs, [team()], areas=AREAS, plan=HALF_YEAR, access=rules)
    assert schedule(plain) == {("N1", "C1", MAR): 4, ("N1", "C1", APR): 4}
    escorted = allocate(needs, [team(clearances=("escort",))], areas=AREAS, plan=HALF_YEAR, access=rules)
    assert schedule(escorted) == {("N1", "C1", JAN): 4, ("N1", "C1", FEB): 4}


def test_local_organisations_hold_the_local_clearance():
    rules = [AccessRule(pcode="XX", level="restricted", start=JAN, clearances=("local",))]
    needs = [need("N1", 4, start=JAN)]
    result = allocate(needs, [team("INTL"), team("LOCAL", is_local=True)], areas=AREAS, plan=HALF_YEAR, access=rules)
    assert schedule(result) == {("N1", "LOCAL", JAN): 4}
    assert reasons(result, "capacity")["INTL"] == "not_cleared"


def test_no_go_blocks_everybody_and_the_explanation_names_area_and_month():
    rules = [AccessRule(pcode="XX1", level="no_go", start=JAN)]
    result = allocate(
        [need("N1", 4, start=JAN)],
        [team(clearances=("escort", "un_security"))],
        areas=AREAS,
        plan=HALF_YEAR,
        access=rules,
    )
    assert result.assignments == ()
    explanation = next(e for e in result.explanations if e.subject_id == "N1")
    assert explanation.reason == "no_go"
    assert explanation.text == "North-East (XX11) is a no-go area in January 2027: nobody may serve it."


def test_restricted_explanation_names_the_clearance():
    rules = [AccessRule(pcode="XX11", level="restricted", start=JAN, clearances=("escort",))]
    result = allocate([need("N1", 4, start=JAN)], [team()], areas=AREAS, plan=HALF_YEAR, access=rules)
    text = next(e.text for e in result.explanations if e.subject_id == "N1")
    assert text == "No capacity cleared for restricted access (escort) could serve North-East (XX11) in January 2027."


def test_a_lower_area_overrides_the_rule_above_it():
    rules = [AccessRule(pcode="XX1", level="no_go", start=JAN), AccessRule(pcode="XX11", level="open", start=JAN)]
    needs = [need("EAST", 4, pcode="XX11", start=JAN), need("WEST", 4, pcode="XX12", start=JAN)]
    result = allocate(needs, [team(throughput=None)], areas=AREAS, plan=HALF_YEAR, access=rules)
    assert schedule(result) == {("EAST", "C1", JAN): 4}
    assert reasons(result)["WEST"] == "no_go"


def test_strictest_rule_of_an_area_wins_when_rules_overlap():
    rules = [
        AccessRule(pcode="XX11", level="open", start=JAN),
        AccessRule(pcode="XX11", level="no_go", start=FEB, end=date(2027, 2, 10)),
    ]
    result = allocate([need("N1", 8, start=JAN)], [team()], areas=AREAS, plan=HALF_YEAR, access=rules)
    assert schedule(result) == {("N1", "C1", JAN): 4, ("N1", "C1", MAR): 4}


def test_access_without_a_plan_judges_the_whole_window():
    rules = [AccessRule(pcode="XX1", level="restricted", start=JAN, clearances=("escort",))]
    needs = [need("N1", 4, start=JAN)]
    result = allocate(
        needs,
        [team("A", throughput=None), team("B", throughput=None, clearances=("escort",))],
        areas=AREAS,
        access=rules,
    )
    assert [(a.need_id, a.capacity_id, a.quantity, a.period) for a in result.assignments] == [("N1", "B", 4, None)]
    text = next(e.text for e in result.explanations if e.subject_id == "A")
    assert "XX11" in text


def test_pins_are_scheduled_first_within_throughput():
    needs = [need("N1", 6, priority=1, start=JAN), need("N2", 6, priority=5, start=JAN)]
    pins = [Pin(need_id="N1", capacity_id="C1", quantity=6)]
    result = allocate(needs, [team(quantity=12)], areas=AREAS, plan=HALF_YEAR, pins=pins)
    assert schedule(result) == {("N1", "C1", JAN): 4, ("N1", "C1", FEB): 2, ("N2", "C1", FEB): 2, ("N2", "C1", MAR): 4}
    assert all(a.pinned == (a.need_id == "N1") for a in result.assignments)


def test_weekly_periods_start_on_monday():
    result = allocate(
        [need("N1", 3, start=date(2027, 1, 6))],
        [team(throughput=1, start=date(2027, 1, 6))],
        areas=AREAS,
        plan=PlanSpec(kind="week", horizon=date(2027, 1, 31)),
    )
    assert [a.period for a in result.assignments] == [date(2027, 1, 4), date(2027, 1, 11), date(2027, 1, 18)]


@pytest.mark.parametrize(
    "policy, rules, message",
    [
        (Policy(value_per_weighted_unit=1.0), (), "cannot be combined with value_per_weighted_unit"),
        (Policy(), (AccessRule(pcode="XX1", level="restricted", start=JAN),), "must name the clearances"),
        (Policy(), (AccessRule(pcode="XX1", level="closed", start=JAN),), "level must be open, restricted or no_go"),
    ],
)
def test_invalid_plans_and_rules_are_refused(policy, rules, message):
    with pytest.raises(InvalidInput, match=message):
        allocate([need("N1", start=JAN)], [team()], areas=AREAS, plan=HALF_YEAR, policy=policy, access=rules)


def test_horizon_before_start_is_refused():
    with pytest.raises(InvalidInput, match="horizon"):
        allocate([need("N1", start=JAN)], [team()], plan=PlanSpec(start=FEB, horizon=JAN))


def test_unit_free_headline_counts_needs_fully_met():
    result = allocate(
        [need("N1", 4, start=JAN), need("N2", 40, priority=1, start=JAN)], [team(throughput=None)], areas=AREAS
    )
    assert result.coverage.fully_met.needed == 2 and result.coverage.fully_met.met == 1
    # N1 (weight 4) fully met, N2 (weight 1) 16 of 40: (4 * 1 + 1 * 0.4) / 5, whatever the units.
    assert result.coverage.priority_share.share == (4 + 0.4) / 5
    summary = result.summary()
    assert summary["share_fully_met"] == 0.5 and summary["gap"] == 0 and summary["weighted_share_met"] == 0.88


def test_the_residual_search_finds_a_flow_that_can_deliver_more_weighted_units():
    import numpy as np

    from coordhub.allocation.core.plan import _weighted_units_optimal

    # One capacity (1 unit, one period node) and two needs: the unit went to the lower-ranked need.
    args = dict(
        supply=np.array([1]),
        demand=np.array([1, 1]),
        arc_cp=np.array([0, 0]),
        arc_need=np.array([0, 1]),
        arc_capacity=np.array([1, 1]),
        cp_cap=np.array([0]),
        cp_limit=np.array([1]),
        entry_flow=np.array([1]),
        rank=np.array([16, 1]),
    )
    assert not _weighted_units_optimal(flow=np.array([0, 1]), **args)
    assert _weighted_units_optimal(flow=np.array([1, 0]), **args)
    # Spare capacity that could reach a short need.
    assert not _weighted_units_optimal(
        **{**args, "supply": np.array([2]), "cp_limit": np.array([2]), "arc_capacity": np.array([1, 1])},
        flow=np.array([1, 0]),
    )


def test_costs_too_large_for_strict_lateness_fall_back_or_are_refused():
    needs = [need(f"N{i}", 4, priority=1 + i % 5, start=JAN) for i in range(60)]
    caps = [team(f"C{j}", quantity=6, unit_cost=1e9 * (1 + j % 3), throughput=1) for j in range(30)]
    fallback = allocate(needs, caps, areas=AREAS, plan=HALF_YEAR)
    assert fallback.notes == (NOTE_LATENESS_PER_UNIT,)
    assert (
        fallback.weighted_units
        == allocate(needs, caps, areas=AREAS, plan=HALF_YEAR, policy=Policy(lateness_weight=0)).weighted_units
    )
    with pytest.raises(InvalidInput, match="too large"):
        allocate(needs, [team("C1", unit_cost=1e12, throughput=1)], areas=AREAS, plan=HALF_YEAR)


def test_a_decline_of_one_period_keeps_the_pair_out_of_that_period_only():
    from coordhub.allocation.core import ForbiddenPair

    needs = [need("N1", 12, start=JAN)]
    caps = [team("C1", unit_cost=1), team("C2", unit_cost=5)]
    plain = allocate(needs, caps, areas=AREAS, plan=HALF_YEAR)
    assert schedule(plain) == {("N1", "C1", JAN): 4, ("N1", "C2", JAN): 4, ("N1", "C1", FEB): 4}
    february = ForbiddenPair(need_id="N1", capacity_id="C1", reason="rainy season", period=date(2027, 2, 14))
    declined = allocate(needs, caps, areas=AREAS, plan=HALF_YEAR, forbidden=[february])
    assert schedule(declined) == {("N1", "C1", JAN): 4, ("N1", "C2", JAN): 4, ("N1", "C2", FEB): 4}
    # A run without periods ignores it; a decline outside the plan holds nothing.
    assert allocate(needs, caps, areas=AREAS, forbidden=[february]).met == {"N1": 12}
    later = replace(february, period=date(2028, 1, 1))
    assert schedule(allocate(needs, caps, areas=AREAS, plan=HALF_YEAR, forbidden=[later])) == schedule(plain)
    # With side constraints too.
    capped = allocate(
        needs, caps, areas=AREAS, plan=HALF_YEAR, forbidden=[february], policy=Policy(budget_caps={"ORG": 1000})
    )
    assert schedule(capped) == schedule(declined)
