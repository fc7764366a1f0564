"""Lead time to mobilise: a capacity not yet present in a need's area delivers there only after the need's lead
time (hand-made optima, presence by origin, presence areas and the area above, explanations, pins, side
constraints)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from coordhub.allocation.core import Capacity, InvalidInput, Pin, PlanSpec, Policy, allocate
from coordhub.allocation.core.messages import render

from .builders import AREAS, need, reasons
from .test_plan import FEB, JAN, MAR, schedule
from .test_plan_properties import BASE, PLAN, SETTINGS, month_end, plans

QUARTER = PlanSpec(kind="month", start=JAN, horizon=date(2027, 3, 31))


def crew(id: str, throughput: float, **fields) -> Capacity:
    base = dict(id=id, org=id, resource_type="tent", quantity=20, start=JAN, service_pcodes=("XX",))
    return Capacity(**(base | {"throughput": throughput} | fields))


def test_a_capacity_from_elsewhere_delivers_after_the_lead_time_and_the_shortfall_is_explained():
    needs = [replace(need("N1", 20, start=JAN, priority=5), lead_time=40)]
    caps = [crew("FAR", 4, origin_pcode="XX2"), crew("NEAR", 2, present_pcodes=("XX1",))]
    result = allocate(needs, caps, areas=AREAS, plan=QUARTER)
    # FAR mobilises 40 days from 1 January: it delivers from 10 February, so in February and March only.
    assert schedule(result) == {
        ("N1", "NEAR", JAN): 2,
        ("N1", "NEAR", FEB): 2,
        ("N1", "NEAR", MAR): 2,
        ("N1", "FAR", FEB): 4,
        ("N1", "FAR", MAR): 4,
    }
    explanation = next(e for e in result.explanations if e.subject == "need")
    assert explanation.reason == "lead_time" and explanation.quantity == 6
    assert explanation.params["ready"] == "2027-02-10" and explanation.params["capacities"] == ["FAR"]
    assert explanation.text == (
        "Could not mobilise in time: FAR, not yet present in XX11, need 40 days to mobilise there and could "
        "deliver only from 2027-02-10."
    )
    french = render("need", "lead_time", explanation.params, lambda s: {"ongoing": "en cours"}.get(s, s))
    assert "2027-02-10" in french


def test_presence_in_the_area_or_above_it_needs_no_lead_time():
    needs = [replace(need("N1", 12, start=JAN), lead_time=80)]
    for present in (dict(origin_pcode="XX11"), dict(present_pcodes=("XX1",)), dict(present_pcodes=("XX",))):
        result = allocate(needs, [crew("C1", 4, **present)], areas=AREAS, plan=QUARTER)
        assert schedule(result) == {("N1", "C1", JAN): 4, ("N1", "C1", FEB): 4, ("N1", "C1", MAR): 4}
    elsewhere = allocate(needs, [crew("C1", 4, present_pcodes=("XX12", "XX2"))], areas=AREAS, plan=QUARTER)
    assert schedule(elsewhere) == {("N1", "C1", MAR): 4}  # 1 January + 80 days = 22 March: March only
    assert reasons(elsewhere)["N1"] == "lead_time"


def test_the_lead_time_counts_from_the_capacity_start_and_is_ignored_without_a_plan():
    needs = [replace(need("N1", 12, start=JAN), lead_time=20)]
    late_start = crew("C1", 4, start=date(2027, 2, 15))
    result = allocate(needs, [late_start], areas=AREAS, plan=QUARTER)
    assert schedule(result) == {("N1", "C1", MAR): 4}  # ready on 7 March
    without_plan = allocate(needs, [late_start], areas=AREAS)
    assert without_plan.met == {"N1": 12}


def test_a_pin_inside_the_lead_time_is_refused_and_bad_lead_times_are_named():
    needs = [replace(need("N1", 12, start=JAN, end=date(2027, 1, 31)), lead_time=40)]
    with pytest.raises(InvalidInput, match="lead time"):
        allocate(
            needs,
            [crew("C1", 4)],
            areas=AREAS,
            plan=QUARTER,
            pins=[Pin(need_id="N1", capacity_id="C1", quantity=2)],
        )
    with pytest.raises(InvalidInput, match="need lead time must be a whole number of days from 0 to 3650: N1"):
        allocate([replace(needs[0], lead_time=-3)], [crew("C1", 4)], areas=AREAS, plan=QUARTER)


def test_the_lead_time_holds_with_side_constraints():
    needs = [replace(need("N1", 20, start=JAN, priority=5), lead_time=40)]
    caps = [crew("FAR", 4, origin_pcode="XX2", unit_cost=1), crew("NEAR", 2, present_pcodes=("XX1",), unit_cost=1)]
    result = allocate(needs, caps, areas=AREAS, plan=QUARTER, policy=Policy(budget_caps={"FAR": 100}))
    assert result.engine == "time_expanded_linear_program"
    assert schedule(result)[("N1", "FAR", FEB)] == 4 and ("N1", "FAR", JAN) not in schedule(result)
    assert reasons(result)["N1"] == "lead_time"


@given(plans(), st.lists(st.integers(0, 90), min_size=7, max_size=7), st.booleans())
@SETTINGS
def test_no_delivery_before_a_capacity_can_have_mobilised(case, leads, present_north):
    needs, caps, rules = case
    needs = [replace(n, lead_time=lead) for n, lead in zip(needs, leads)]
    caps = [replace(c, present_pcodes=("XX1",) if present_north else ()) for c in caps]
    result = allocate(needs, caps, areas=AREAS, plan=PLAN, access=rules)
    need = {n.id: n for n in needs}
    cap = {c.id: c for c in caps}
    for a in result.assignments:
        n, c = need[a.need_id], cap[a.capacity_id]
        present = present_north and n.pcode.startswith("XX1")
        ready = max(c.start, BASE) + timedelta(days=n.lead_time)
        assert present or n.lead_time == 0 or month_end(a.period) >= ready, (a, ready)
