"""Hand-made plain allocations (min-cost flow) with known optima, pins, forbidden pairs and input errors."""

from __future__ import annotations

from datetime import date

import pytest

from coordhub.allocation.core import (
    ForbiddenPair,
    InvalidInput,
    Pin,
    Policy,
    Status,
    allocate,
    fingerprint,
)

from .builders import AREAS, DAY, assigned, cap, need, reasons


def test_higher_priority_is_served_first_and_the_rest_goes_to_lower():
    result = allocate([need("A", 8, priority=5), need("B", 8, priority=1)], [cap("C", 10)], areas=AREAS)
    assert result.status == Status.OPTIMAL
    assert result.engine == "min_cost_flow"
    assert assigned(result) == {("A", "C"): 8, ("B", "C"): 2}
    assert result.weighted_units == 8 * 16 + 2 * 1
    assert result.objective == result.weighted_units
    assert result.met == {"A": 8, "B": 2}
    assert result.used == {"C": 10}
    assert result.gap == 0 and result.bound == result.objective


def test_cheaper_capacity_is_used_first():
    result = allocate([need("A", 10)], [cap("CHEAP", 6, unit_cost=1), cap("DEAR", 10, unit_cost=3)], areas=AREAS)
    assert assigned(result) == {("A", "CHEAP"): 6, ("A", "DEAR"): 4}
    assert result.cost == 6 * 1 + 4 * 3
    assert reasons(result, "capacity") == {"DEAR": "needs_already_met"}


def test_weighted_units_come_before_cost():
    # Serving the priority-5 need costs 100 per unit; it still wins the scarce capacity.
    needs = [need("HIGH", 5, priority=5, pcode="XX21"), need("LOW", 5, priority=4)]
    caps = [cap("FAR", 5, unit_cost=100, service=("XX",)), cap("NEAR", 5, unit_cost=1, service=("XX11",))]
    result = allocate(needs, caps, areas=AREAS)
    assert assigned(result) == {("HIGH", "FAR"): 5, ("LOW", "NEAR"): 5}


def test_service_area_covers_itself_and_below_only():
    needs = [need("N11", 5, pcode="XX11"), need("N12", 5, pcode="XX12"), need("N21", 5, pcode="XX21")]
    caps = [cap("C1", 20, service=("XX1",)), cap("C12", 20, service=("XX12",), unit_cost=0.5)]
    result = allocate(needs, caps, areas=AREAS)
    assert assigned(result) == {("N11", "C1"): 5, ("N12", "C12"): 5}
    assert reasons(result)["N21"] == "no_capacity_in_area"


def test_without_an_area_tree_only_exact_codes_match():
    needs = [need("N11", 5, pcode="XX11")]
    assert assigned(allocate(needs, [cap("C1", 5, service=("XX1",))])) == {}
    assert assigned(allocate(needs, [cap("C11", 5, service=("XX11",))])) == {("N11", "C11"): 5}


def test_time_windows_are_inclusive_and_open_ends_are_ongoing():
    n = need("N", 40, start=date(2025, 3, 1), end=date(2025, 3, 10))
    caps = [
        cap("ENDS_ON_START", 10, start=date(2025, 2, 1), end=date(2025, 3, 1)),
        cap("STARTS_ON_END", 10, start=date(2025, 3, 10), end=date(2025, 4, 1)),
        cap("ONGOING", 10, start=date(2024, 1, 1), end=None),
        cap("TOO_LATE", 10, start=date(2025, 3, 11)),
    ]
    result = allocate([n], caps, areas=AREAS)
    assert set(assigned(result)) == {("N", "ENDS_ON_START"), ("N", "STARTS_ON_END"), ("N", "ONGOING")}
    assert reasons(result, "capacity") == {"TOO_LATE": "no_need_in_time_window"}


def test_open_ended_need_meets_any_later_capacity():
    result = allocate([need("N", 5, end=None)], [cap("LATER", 5, start=date(2030, 1, 1))], areas=AREAS)
    assert assigned(result) == {("N", "LATER"): 5}


def test_distance_cost_prefers_the_nearer_service_area():
    needs = [need("N", 5, pcode="XX11")]
    caps = [cap("NEAR", 5, service=("XX11",)), cap("FAR", 5, service=("XX",))]
    result = allocate(needs, caps, areas=AREAS, policy=Policy(distance_cost_per_km=0.01))
    assert assigned(result) == {("N", "NEAR"): 5}
    (assignment,) = result.assignments
    assert assignment.unit_cost == 1.0  # distance 0 from its own service area
    far = allocate(needs, caps[1:], areas=AREAS, policy=Policy(distance_cost_per_km=0.01))
    # XX centroid (10, 40) to XX11 (11, 40.5): about 124 km, 1.24 per unit, rounded to cents.
    assert far.assignments[0].unit_cost == pytest.approx(1 + 1.24, abs=0.011)


def test_lexicographic_policy_gives_the_same_plain_optimum():
    needs = [need("A", 8, priority=5), need("B", 8, priority=1), need("C", 8, priority=3)]
    caps = [cap("X", 10, unit_cost=2), cap("Y", 5, unit_cost=1)]
    weighted = allocate(needs, caps, areas=AREAS)
    lexicographic = allocate(needs, caps, areas=AREAS, policy=Policy(lexicographic=True))
    # The same units per need at the same cost (ties between pairs may break differently).
    assert weighted.met == lexicographic.met == {"A": 8, "B": 0, "C": 7}
    assert weighted.cost == lexicographic.cost


def test_trade_off_mode_skips_deliveries_that_cost_more_than_they_are_worth():
    needs = [need("LOW", 10, priority=1), need("MID", 10, priority=3, pcode="XX21")]
    caps = [cap("C", 30, unit_cost=3)]
    policy = Policy(value_per_weighted_unit=2.0)  # LOW is worth 2 per unit, MID 8
    result = allocate(needs, caps, areas=AREAS, policy=policy)
    assert assigned(result) == {("MID", "C"): 10}
    assert result.objective == pytest.approx(2.0 * 40 - 30)
    assert reasons(result)["LOW"] == "not_worth_cost"


def test_pins_are_kept_exactly_even_against_priority():
    needs = [need("A", 10, priority=5), need("B", 10, priority=1)]
    caps = [cap("C", 10)]
    result = allocate(needs, caps, areas=AREAS, pins=[Pin(need_id="B", capacity_id="C", quantity=4)])
    assert assigned(result) == {("A", "C"): 6, ("B", "C"): 4}
    assert [a.pinned for a in result.assignments] == [False, True]
    assert reasons(result) == {"A": "used_by_pins", "B": "used_by_higher_priority"}


def test_forbidden_pairs_are_never_used_and_explained():
    needs = [need("A", 10), need("B", 5, pcode="XX21")]
    caps = [cap("C1", 10, unit_cost=1), cap("C2", 10, unit_cost=5)]
    forbidden = [
        ForbiddenPair(need_id="A", capacity_id="C1", reason="declined by ORG-A"),
        ForbiddenPair(need_id="B", capacity_id="C1", reason="declined by ORG-A"),
        ForbiddenPair(need_id="B", capacity_id="C2"),
        ForbiddenPair(need_id="GONE", capacity_id="C2"),  # ignored
    ]
    result = allocate(needs, caps, areas=AREAS, forbidden=forbidden)
    assert assigned(result) == {("A", "C2"): 10}
    explanation = next(e for e in result.explanations if e.subject_id == "B")
    assert explanation.reason == "excluded_by_forbidden_pairs"
    assert "declined by ORG-A" in explanation.text and "no reason given" in explanation.text
    assert reasons(result, "capacity") == {"C1": "excluded_by_forbidden_pairs"}


def test_fractional_quantities_are_exact():
    result = allocate([need("A", 0.75), need("B", 1.5, priority=5)], [cap("C", 2.125)], areas=AREAS)
    assert result.met == {"A": 0.625, "B": 1.5}
    assert result.coverage.overall.met == 2.125


def test_coverage_by_type_and_admin1():
    needs = [need("A", 10, pcode="XX11"), need("B", 10, pcode="XX21"), need("W", 4, resource_type="water")]
    result = allocate(needs, [cap("C", 5, service=("XX1",))], areas=AREAS)
    cov = result.coverage
    assert (cov.overall.needed, cov.overall.met) == (24, 5)
    assert cov.by_resource_type["tent"].share == 0.25
    assert cov.by_resource_type["water"].share == 0
    assert cov.by_admin1["XX1"].needed == 14 and cov.by_admin1["XX1"].met == 5
    assert cov.by_admin1_and_type[("XX2", "tent")].share == 0


@pytest.mark.parametrize(
    ("needs", "caps", "kwargs", "fragment"),
    [
        ([need("A"), need("A")], [cap("C")], {}, "unique"),
        ([need("A", priority=6)], [cap("C")], {}, "priority"),
        ([need("A", 0)], [cap("C")], {}, "quantity"),
        ([need("A", end=date(2025, 1, 1))], [cap("C")], {}, "end date"),
        ([need("A")], [cap("C", unit_cost=-1)], {}, "unit cost"),
        (
            [need("A")],
            [cap("C", service=("XX2",))],
            {"pins": [Pin(need_id="A", capacity_id="C", quantity=1)]},
            "compatible",
        ),
        ([need("A", 5)], [cap("C")], {"pins": [Pin(need_id="A", capacity_id="C", quantity=6)]}, "more than"),
        ([need("A")], [cap("C")], {"pins": [Pin(need_id="A", capacity_id="X", quantity=1)]}, "unknown"),
        ([need("A")], [cap("C")], {"policy": Policy(priority_weights={1: 1})}, "weight"),
        (
            [need("A")],
            [cap("C"), cap("D")],
            {
                "policy": Policy(single_provider=True),
                "pins": [Pin(need_id="A", capacity_id="C", quantity=1), Pin(need_id="A", capacity_id="D", quantity=1)],
            },
            "one capacity only",
        ),
        ([need("A")], [cap("C")], {"policy": Policy(min_local_share=2)}, "between 0 and 1"),
    ],
)
def test_invalid_input_is_refused_with_a_clear_message(needs, caps, kwargs, fragment):
    with pytest.raises(InvalidInput) as raised:
        allocate(needs, caps, areas=AREAS, **kwargs)
    assert fragment in str(raised.value)


def test_area_tree_errors():
    from coordhub.allocation.core import AdminArea

    with pytest.raises(InvalidInput, match="unknown parent"):
        allocate([need("A")], [cap("C")], areas=[AdminArea(pcode="XX11", parent_pcode="NOPE")])
    loop = [AdminArea(pcode="P", parent_pcode="Q"), AdminArea(pcode="Q", parent_pcode="P")]
    with pytest.raises(InvalidInput, match="cycle"):
        allocate([need("A", pcode="P")], [cap("C", service=("Q",))], areas=loop)


def test_fingerprint_ignores_order_and_sees_changes():
    needs = [need("A", 3), need("B", 4)]
    caps = [cap("C", service=("XX1", "XX2"))]
    base = fingerprint(needs, caps, AREAS)
    assert fingerprint(needs[::-1], [cap("C", service=("XX2", "XX1"))], AREAS[::-1]) == base
    assert fingerprint([need("A", 3), need("B", 5)], caps, AREAS) != base
    assert fingerprint(needs, caps, AREAS, Policy(min_local_share=0.1)) != base
    assert allocate(needs, caps, areas=AREAS).fingerprint == base


def test_progress_is_reported_from_zero_to_one():
    seen: list[tuple[float, str]] = []
    allocate([need("A")], [cap("C")], areas=AREAS, progress=lambda f, msg: seen.append((f, msg)))
    assert seen[0][0] == 0.0 and seen[-1] == (1.0, "Done")
    assert [f for f, _ in seen] == sorted(f for f, _ in seen)


def test_empty_input_is_fine():
    result = allocate([], [], areas=AREAS)
    assert result.status == Status.OPTIMAL and result.assignments == () and result.objective == 0
    result = allocate([need("A")], [], areas=AREAS)
    assert reasons(result) == {"A": "no_capacity_of_type"}


def test_same_day_dates_work():
    result = allocate([need("A", 1, start=DAY, end=DAY)], [cap("C", 1, start=DAY, end=DAY)], areas=AREAS)
    assert result.met == {"A": 1}


def test_long_reassignment_chains_still_favour_priority():
    # Five areas 0.1 degree apart on a meridian; capacity Ck is based in Pk and
    # serves P(k-1) and Pk.  Serving HIGH (priority 2, in P0) from C1 moves
    # M1..M3 (priority 2) one capacity along and drops LOW (priority 1): four deliveries
    # of about 11 km instead of four of 0 km.  A cost-sized priority premium
    # would keep the cheap plan; the weighted units must win.
    from coordhub.allocation.core import AdminArea, Capacity

    areas = [AdminArea(pcode=f"P{k}", lat=0.1 * k, lon=0.0) for k in range(5)]
    needs = [need("HIGH", 1, pcode="P0", priority=2), need("LOW", 1, pcode="P4", priority=1)]
    needs += [need(f"M{k}", 1, pcode=f"P{k}", priority=2) for k in (1, 2, 3)]
    caps = [
        Capacity(
            id=f"C{k}",
            org="O",
            resource_type="tent",
            quantity=1,
            start=DAY,
            service_pcodes=(f"P{k - 1}", f"P{k}"),
            origin_pcode=f"P{k}",
        )
        for k in (1, 2, 3, 4)
    ]
    result = allocate(needs, caps, areas=areas, policy=Policy(distance_cost_per_km=1.0))
    assert result.met == {"HIGH": 1, "LOW": 0, "M1": 1, "M2": 1, "M3": 1}
    assert result.weighted_units == 4 * 2
    assert result.cost == pytest.approx(4 * 11.12, abs=0.05)
