"""Property tests: limits, compatibility, pins, exclusions, determinism, and the optimum against an independent LP."""

from __future__ import annotations

import random
from datetime import date, timedelta

import numpy as np
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from coordhub.allocation.core import Capacity, ForbiddenPair, Need, Pin, Policy, allocate

from .builders import AREAS

PARENT = {a.pcode: a.parent_pcode for a in AREAS}
CODES = sorted(PARENT)
TYPES = ["tent", "water"]
BASE = date(2025, 3, 1)
PROPERTY_SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def covers(service: str, pcode: str) -> bool:
    while pcode:
        if pcode == service:
            return True
        pcode = PARENT[pcode]
    return False


def compatible(need: Need, cap: Capacity) -> bool:
    """Independent statement of the compatibility rule."""
    if need.resource_type != cap.resource_type:
        return False
    if not any(covers(s, need.pcode) for s in cap.service_pcodes):
        return False
    need_end = need.end or date.max
    cap_end = cap.end or date.max
    return need.start <= cap_end and cap.start <= need_end


@st.composite
def instances(draw, max_needs: int = 8, max_caps: int = 6):
    n_needs = draw(st.integers(1, max_needs))
    n_caps = draw(st.integers(1, max_caps))

    def window():
        start = BASE + timedelta(days=draw(st.integers(0, 20)))
        end = None if draw(st.booleans()) else start + timedelta(days=draw(st.integers(0, 20)))
        return start, end

    needs = []
    for i in range(n_needs):
        start, end = window()
        needs.append(
            Need(
                id=f"N{i}",
                pcode=draw(st.sampled_from(CODES)),
                resource_type=draw(st.sampled_from(TYPES)),
                quantity=draw(st.integers(1, 20)),
                priority=draw(st.integers(1, 5)),
                start=start,
                end=end,
            )
        )
    caps = []
    for j in range(n_caps):
        start, end = window()
        caps.append(
            Capacity(
                id=f"C{j}",
                org=draw(st.sampled_from(["A", "B", "C"])),
                resource_type=draw(st.sampled_from(TYPES)),
                quantity=draw(st.integers(1, 25)),
                unit_cost=draw(st.integers(0, 40)) / 4,
                service_pcodes=tuple(draw(st.lists(st.sampled_from(CODES), min_size=1, max_size=2, unique=True))),
                is_local=draw(st.booleans()),
                start=start,
                end=end,
            )
        )
    forbidden = [
        ForbiddenPair(need_id=n.id, capacity_id=c.id)
        for n in needs
        for c in caps
        if compatible(n, c) and draw(st.integers(0, 9)) == 0
    ]
    return needs, caps, forbidden


def check_limits_and_pairs(needs, caps, forbidden, result) -> None:
    need = {n.id: n for n in needs}
    cap = {c.id: c for c in caps}
    banned = {(f.need_id, f.capacity_id) for f in forbidden}
    per_need: dict[str, float] = {}
    per_cap: dict[str, float] = {}
    for a in result.assignments:
        assert a.quantity > 0
        assert compatible(need[a.need_id], cap[a.capacity_id]), a
        assert (a.need_id, a.capacity_id) not in banned or a.pinned
        per_need[a.need_id] = per_need.get(a.need_id, 0) + a.quantity
        per_cap[a.capacity_id] = per_cap.get(a.capacity_id, 0) + a.quantity
    for key, total in per_need.items():
        assert total <= need[key].quantity + 1e-9
        assert result.met[key] == total
    for key, total in per_cap.items():
        assert total <= cap[key].quantity + 1e-9
        assert result.used[key] == total


def lp_optimum(needs, caps, forbidden, policy: Policy) -> tuple[float, float]:
    """(weighted units, cost) by HiGHS, in two phases: maximise weighted
    units; then, keeping them, minimise cost.  Built here from scratch."""
    banned = {(f.need_id, f.capacity_id) for f in forbidden}
    pairs = [
        (i, j)
        for i, n in enumerate(needs)
        for j, c in enumerate(caps)
        if compatible(n, c) and (n.id, c.id) not in banned
    ]
    if not pairs:
        return 0.0, 0.0
    weight = np.array([policy.priority_weights[needs[i].priority] for i, _ in pairs], dtype=float)
    cost = np.array([caps[j].unit_cost for _, j in pairs])
    rows = np.zeros((len(needs) + len(caps), len(pairs)))
    for k, (i, j) in enumerate(pairs):
        rows[i, k] = 1
        rows[len(needs) + j, k] = 1
    limits = np.array([n.quantity for n in needs] + [c.quantity for c in caps], dtype=float)
    first = linprog(-weight, A_ub=rows, b_ub=limits, bounds=(0, None), method="highs")
    best = -first.fun
    second = linprog(
        cost, A_ub=np.vstack([rows, -weight]), b_ub=np.r_[limits, -best + 1e-7], bounds=(0, None), method="highs"
    )
    return best, second.fun


@PROPERTY_SETTINGS
@given(instances())
def test_limits_compatibility_exclusions_and_the_lp_optimum(instance):
    needs, caps, forbidden = instance
    policy = Policy()
    result = allocate(needs, caps, areas=AREAS, policy=policy, forbidden=forbidden)
    check_limits_and_pairs(needs, caps, forbidden, result)
    weighted, cost = lp_optimum(needs, caps, forbidden, policy)
    assert abs(result.weighted_units - weighted) < 1e-6
    assert abs(result.cost - cost) < 1e-5
    # Every shortfall and every idle capacity is explained, once.
    short = {n.id for n in needs if result.met[n.id] < n.quantity}
    idle = {c.id for c in caps if result.used[c.id] < c.quantity}
    assert {e.subject_id for e in result.explanations if e.subject == "need"} == short
    assert {e.subject_id for e in result.explanations if e.subject == "capacity"} == idle
    assert all(e.text for e in result.explanations)


@PROPERTY_SETTINGS
@given(instances(), st.randoms(use_true_random=False))
def test_same_input_in_any_order_gives_the_same_assignments(instance, rnd: random.Random):
    needs, caps, forbidden = instance
    first = allocate(needs, caps, areas=AREAS, forbidden=forbidden)
    again = allocate(needs, caps, areas=AREAS, forbidden=forbidden)
    shuffled_needs, shuffled_caps, shuffled_forbidden = list(needs), list(caps), list(forbidden)
    for items in (shuffled_needs, shuffled_caps, shuffled_forbidden):
        rnd.shuffle(items)
    shuffled = allocate(shuffled_needs, shuffled_caps, areas=AREAS[::-1], forbidden=shuffled_forbidden)
    assert first.assignments == again.assignments == shuffled.assignments
    assert first.explanations == shuffled.explanations
    assert first.fingerprint == shuffled.fingerprint


@PROPERTY_SETTINGS
@given(instances(), st.data())
def test_pins_are_kept_and_the_rest_stays_within_limits(instance, data):
    needs, caps, forbidden = instance
    free = allocate(needs, caps, areas=AREAS, forbidden=forbidden)
    chosen = data.draw(st.lists(st.sampled_from(free.assignments), unique=True, max_size=3)) if free.assignments else []
    pins = [
        Pin(need_id=a.need_id, capacity_id=a.capacity_id, quantity=data.draw(st.integers(1, int(a.quantity))))
        for a in chosen
    ]
    result = allocate(needs, caps, areas=AREAS, forbidden=forbidden, pins=pins)
    check_limits_and_pairs(needs, caps, forbidden, result)
    got = {(a.need_id, a.capacity_id): a for a in result.assignments}
    for pin in pins:
        assert got[(pin.need_id, pin.capacity_id)].quantity == pin.quantity
        assert got[(pin.need_id, pin.capacity_id)].pinned


@PROPERTY_SETTINGS
@given(instances(), st.sampled_from([1, 2, 5]))
def test_trade_off_mode_equals_the_lp_optimum(instance, value):
    needs, caps, forbidden = instance
    policy = Policy(value_per_weighted_unit=float(value))
    result = allocate(needs, caps, areas=AREAS, policy=policy, forbidden=forbidden)
    check_limits_and_pairs(needs, caps, forbidden, result)
    banned = {(f.need_id, f.capacity_id) for f in forbidden}
    pairs = [
        (i, j)
        for i, n in enumerate(needs)
        for j, c in enumerate(caps)
        if compatible(n, c) and (n.id, c.id) not in banned
    ]
    best = 0.0
    if pairs:
        gain = np.array([value * policy.priority_weights[needs[i].priority] - caps[j].unit_cost for i, j in pairs])
        rows = np.zeros((len(needs) + len(caps), len(pairs)))
        for k, (i, j) in enumerate(pairs):
            rows[i, k] = rows[len(needs) + j, k] = 1
        limits = np.array([n.quantity for n in needs] + [c.quantity for c in caps], dtype=float)
        best = -linprog(-gain, A_ub=rows, b_ub=limits, bounds=(0, None), method="highs").fun
    assert abs(result.objective - best) < 1e-6


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(max_needs=6, max_caps=5), st.data())
def test_side_constraints_hold(instance, data):
    needs, caps, forbidden = instance
    note(repr(instance))
    policy = Policy(
        budget_caps={"A": float(data.draw(st.integers(0, 60)))},
        min_local_share=data.draw(st.sampled_from([0.0, 0.3])),
        single_provider=data.draw(st.booleans()),
        min_lot_size=float(data.draw(st.sampled_from([0, 3]))),
        time_limit_seconds=10,
    )
    result = allocate(needs, caps, areas=AREAS, policy=policy, forbidden=forbidden)
    check_limits_and_pairs(needs, caps, forbidden, result)
    assert result.status != "infeasible"  # delivering nothing meets all these rules
    cap = {c.id: c for c in caps}
    need = {n.id: n for n in needs}
    spent_a = sum(a.cost for a in result.assignments if cap[a.capacity_id].org == "A")
    assert spent_a <= policy.budget_caps["A"] + 1e-6
    providers: dict[str, int] = {}
    for a in result.assignments:
        providers[a.need_id] = providers.get(a.need_id, 0) + 1
        if policy.min_lot_size:
            lot = min(policy.min_lot_size, need[a.need_id].quantity, cap[a.capacity_id].quantity)
            assert a.quantity >= lot - 1e-9
    if policy.single_provider:
        assert max(providers.values(), default=0) <= 1
    if policy.min_local_share:
        banned = {(f.need_id, f.capacity_id) for f in forbidden}
        for kind in TYPES:
            if not any(
                c.is_local and c.resource_type == kind and compatible(n, c) and (n.id, c.id) not in banned
                for n in needs
                for c in caps
            ):
                continue  # the share applies where local organisations can deliver
            total = sum(a.quantity for a in result.assignments if cap[a.capacity_id].resource_type == kind)
            local = sum(
                a.quantity
                for a in result.assignments
                if cap[a.capacity_id].resource_type == kind and cap[a.capacity_id].is_local
            )
            # Whole units: the share may miss by less than one unit per assignment.
            assert local >= policy.min_local_share * total - len(result.assignments)
    if result.bound is not None:
        assert result.weighted_units <= result.bound + 1e-6
