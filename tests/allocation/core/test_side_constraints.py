"""Side constraints (LP / MIP through MathOpt): hand-made cases with known optima and their explanations."""

from __future__ import annotations

import pytest

from coordhub.allocation.core import Pin, Policy, Status, allocate

from .builders import AREAS, assigned, cap, need, reasons

# A (priority 5, North) and B (priority 1, South) need 10 tents each.  C1
# (ORG-1, 2 per unit, international) offers 15 everywhere; C2 (ORG-2, 1 per
# unit, local) offers 5 everywhere.  Without side constraints everything is met.
NEEDS = [need("A", 10, priority=5), need("B", 10, priority=1, pcode="XX21")]
CAPS = [cap("C1", 15, org="ORG-1", unit_cost=2), cap("C2", 5, org="ORG-2", unit_cost=1, is_local=True)]


def run(**policy):
    return allocate(NEEDS, CAPS, areas=AREAS, policy=Policy(**policy))


def test_plain_reference():
    result = run()
    assert result.weighted_units == 170 and result.cost == 35


def test_budget_cap_limits_an_organisations_spending():
    result = run(budget_caps={"ORG-1": 10})
    assert result.engine == "linear_program" and result.status == Status.OPTIMAL
    assert assigned(result) == {("A", "C1"): 5, ("A", "C2"): 5}
    assert result.weighted_units == 160 and result.cost == 15
    assert result.bound == 160 and result.gap == 0
    assert reasons(result) == {"B": "budget_cap"}
    assert reasons(result, "capacity") == {"C1": "budget_cap"}
    assert "ORG-1" in next(e.text for e in result.explanations if e.subject_id == "B")


def test_budget_cap_of_an_unknown_organisation_is_ignored():
    assert run(budget_caps={"NOBODY": 0}).weighted_units == 170


def test_pins_over_the_budget_cap_make_the_run_infeasible():
    result = allocate(
        NEEDS,
        CAPS,
        areas=AREAS,
        policy=Policy(budget_caps={"ORG-1": 5}),
        pins=[Pin(need_id="A", capacity_id="C1", quantity=5)],
    )
    assert result.status == Status.INFEASIBLE
    assert assigned(result) == {("A", "C1"): 5}
    assert any("budget cap of ORG-1" in note for note in result.notes)
    assert set(reasons(result).values()) == {"infeasible"}


def test_minimum_local_share():
    # Only 5 local units: at most 10 units in all can go out at a 50 % local share.
    result = run(min_local_share=0.5)
    assert result.met == {"A": 10, "B": 0}
    assert result.cost == 15
    assert reasons(result) == {"B": "local_share"}
    assert reasons(result, "capacity") == {"C1": "local_share"}


def test_minimum_admin1_coverage_takes_capacity_from_higher_priority():
    caps = [cap("C1", 10, unit_cost=1)]
    result = allocate(NEEDS, caps, areas=AREAS, policy=Policy(min_admin1_coverage=0.3))
    # South (B) must get 30 % of its 10: 3 units; North's A keeps the other 7.
    assert result.met == {"A": 7, "B": 3}
    assert result.weighted_units == 7 * 16 + 3
    assert reasons(result) == {"A": "used_for_area_coverage", "B": "used_by_higher_priority"}


def test_minimum_admin1_coverage_is_capped_by_what_can_reach_the_area():
    caps = [cap("NORTH_ONLY", 10, service=("XX1",)), cap("SOUTH", 2, service=("XX2",))]
    result = allocate(NEEDS, caps, areas=AREAS, policy=Policy(min_admin1_coverage=0.5))
    assert result.status == Status.OPTIMAL
    assert result.met == {"A": 10, "B": 2}


def test_single_provider_per_need():
    result = run(single_provider=True)
    assert result.engine == "mixed_integer" and result.status == Status.OPTIMAL
    providers: dict[str, set[str]] = {}
    for a in result.assignments:
        providers.setdefault(a.need_id, set()).add(a.capacity_id)
    assert all(len(p) == 1 for p in providers.values())
    assert result.weighted_units == 165
    assert reasons(result) == {"B": "single_provider"}


def test_minimum_lot_size():
    result = run(min_lot_size=6)
    # (A, C2) may be 5 (all C2 has); (B, C1) would be 5 < 6: B gets C2 instead.
    assert result.weighted_units == 165
    assert all(a.quantity >= 5 for a in result.assignments)
    assert reasons(result) == {"B": "min_lot_size"}


def test_lexicographic_with_a_budget_cap():
    # A budget makes weights matter: 1 expensive priority-5 unit against 2 cheap priority-4 ones.
    needs = [need("HIGH", 1, priority=5), need("LOW", 2, priority=4, pcode="XX21")]
    caps = [
        cap("DEAR", 1, org="O", unit_cost=10, service=("XX11",)),
        cap("CHEAP", 2, org="O", unit_cost=5, service=("XX21",)),
    ]
    weighted = allocate(
        needs, caps, areas=AREAS, policy=Policy(budget_caps={"O": 10}, priority_weights={1: 1, 2: 2, 3: 3, 4: 8, 5: 9})
    )
    assert weighted.met == {"HIGH": 0, "LOW": 2}
    lexicographic = allocate(needs, caps, areas=AREAS, policy=Policy(budget_caps={"O": 10}, lexicographic=True))
    assert lexicographic.met == {"HIGH": 1, "LOW": 0}


def test_trade_off_mode_with_a_budget_cap():
    result = run(budget_caps={"ORG-1": 10}, value_per_weighted_unit=1.0)
    # B is worth 1 per unit and costs at least 1: not worth it.
    assert result.objective == pytest.approx(160 - 15)
    assert reasons(result)["B"] == "not_worth_cost"


def test_infeasible_side_constraints_are_reported_not_raised():
    # Half the delivered volume must be local, and each admin-1 area must get
    # 80 % of what can reach it; local organisations offer 1 unit.
    caps = [cap("C1", 20, unit_cost=1), cap("LOCAL", 1, is_local=True)]
    result = allocate(NEEDS, caps, areas=AREAS, policy=Policy(min_local_share=0.5, min_admin1_coverage=0.8))
    assert result.status == Status.INFEASIBLE
    assert result.assignments == ()
    assert result.notes
