"""Every kind of explanation, with its words, names and params."""

from __future__ import annotations

from datetime import date

import numpy as np

from coordhub.allocation.core import Policy, Status, allocate
from coordhub.allocation.core import messages as m
from coordhub.allocation.core.compatibility import find_compatible_pairs
from coordhub.allocation.core.explain import ExplainContext, explain
from coordhub.allocation.core.problem import build_problem

from .builders import AREAS, cap, need, reasons


def explanation(result, subject_id):
    return next(e for e in result.explanations if e.subject_id == subject_id)


def test_need_outside_every_time_window():
    result = allocate(
        [need("N", 5, start=date(2025, 6, 1), end=date(2025, 6, 30))],
        [cap("C", 5, start=date(2025, 1, 1), end=date(2025, 5, 31))],
        areas=AREAS,
    )
    e = explanation(result, "N")
    assert e.reason == "no_capacity_in_time_window"
    assert e.text == "The tent capacity serving XX11 is not available between 2025-06-01 and 2025-06-30."
    assert e.quantity == 5 and e.params["shortfall"] == 5.0
    assert reasons(result, "capacity") == {"C": "no_need_in_time_window"}


def test_equal_priority_takers_are_named_with_what_they_took():
    needs = [need("A", 6, priority=3), need("B", 6, priority=3), need("C", 6, priority=3)]
    result = allocate(needs, [cap("X", 12)], areas=AREAS)
    e = explanation(result, "C")
    assert e.reason == "used_by_equal_priority"
    assert e.related_ids == ("A", "B")
    assert "A (priority 3, 6), B (priority 3, 6)" in e.text


def test_many_takers_are_cut_to_the_largest_three():
    needs = [need(f"T{i}", 2 + i, priority=5) for i in range(5)] + [need("LOW", 5, priority=1)]
    result = allocate(needs, [cap("X", 20)], areas=AREAS)
    e = explanation(result, "LOW")
    assert e.reason == "used_by_higher_priority"
    assert e.related_ids == ("T4", "T3", "T2")
    assert e.text.endswith("and 2 more.")


def test_capacity_too_small_for_the_need_itself():
    result = allocate([need("N", 10)], [cap("C", 4)], areas=AREAS)
    e = explanation(result, "N")
    assert e.reason == "not_enough_capacity"
    assert e.text == "All the capacity that could serve it (C) is used up; 4 of it went to this need."


def test_capacity_explanations_for_type_and_area():
    result = allocate(
        [need("N", 1, pcode="XX21")],
        [cap("FOOD", 3, resource_type="food"), cap("NORTH", 3, service=("XX1",))],
        areas=AREAS,
    )
    assert reasons(result, "capacity") == {"FOOD": "no_need_of_type", "NORTH": "no_need_in_service_area"}
    assert explanation(result, "FOOD").text == "No need for food is registered."
    assert explanation(result, "NORTH").text == "No need for tent is registered in the areas it serves (XX1)."
    assert explanation(result, "NORTH").quantity == 3


def test_already_met_names_the_cheaper_capacity():
    result = allocate([need("N", 5)], [cap("CHEAP", 5, unit_cost=1), cap("DEAR", 5, unit_cost=2)], areas=AREAS)
    e = explanation(result, "DEAR")
    assert e.reason == "needs_already_met" and e.related_ids == ("CHEAP",)
    assert e.text == "The needs it could serve are already met by cheaper or pinned capacity: CHEAP."


def test_capacity_that_met_its_needs_itself_has_a_surplus():
    result = allocate([need("N", 5)], [cap("ONLY", 8, unit_cost=1)], areas=AREAS)
    e = explanation(result, "ONLY")
    assert e.reason == "surplus" and e.related_ids == () and e.quantity == 3
    assert e.text == "It already meets in full every need it could serve; the rest is more than they ask for."


def test_capacity_not_worth_its_cost():
    result = allocate(
        [need("N", 5, priority=1)], [cap("DEAR", 5, unit_cost=3)], areas=AREAS, policy=Policy(value_per_weighted_unit=2)
    )
    assert reasons(result, "capacity") == {"DEAR": "not_worth_cost"}
    assert explanation(result, "N").params["value"] == 2.0


def test_side_constraint_reasons_for_capacities():
    needs = [need("A", 10, priority=5), need("B", 10, priority=1, pcode="XX21")]
    caps = [cap("C1", 15, org="ORG-1", unit_cost=2), cap("C2", 5, org="ORG-2", unit_cost=1, is_local=True)]
    single = allocate(needs, caps, areas=AREAS, policy=Policy(single_provider=True))
    assert reasons(single, "capacity") == {"C1": "single_provider"}
    lots = allocate(needs, caps, areas=AREAS, policy=Policy(min_lot_size=6))
    assert reasons(lots, "capacity") == {"C1": "min_lot_size"}
    assert "minimum lot size of 6 units" in explanation(lots, "C1").text


def test_timed_out_run_says_so():
    needs = [need("N", 5)]
    caps = [cap("C", 5)]
    problem = build_problem(needs, caps, AREAS, Policy(budget_caps={"ORG-A": 100}), (), ())
    compat = find_compatible_pairs(problem)
    flow = np.zeros(compat.size, dtype=np.int64)  # the solver found nothing before its time limit
    (for_need, for_cap) = explain(problem, compat, flow, ExplainContext(Status.TIMED_OUT))
    assert (for_need.reason, for_cap.reason) == ("timed_out", "timed_out")
    assert for_need.text == m.NEED_REASONS["timed_out"]


def test_every_reason_has_a_sentence_and_params_render_again():
    result = allocate([need("N", 5, priority=1), need("M", 5, priority=5)], [cap("C", 5)], areas=AREAS)
    for e in result.explanations:
        assert m.render(e.subject, e.reason, e.params) == e.text
    assert set(m.NEED_REASONS) >= {"no_capacity_of_type", "used_by_higher_priority", "budget_cap", "infeasible"}
    assert set(m.CAPACITY_REASONS) >= {"no_need_of_type", "needs_already_met", "budget_cap"}
