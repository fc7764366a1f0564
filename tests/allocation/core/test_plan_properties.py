"""Property tests of plans and access: no-go never served, restricted areas only by cleared capacities, throughput
never exceeded, a one-period plan equals today's allocation, and the plan's optimum equals an independent LP."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from coordhub.allocation.core import AccessRule, Capacity, Need, PlanSpec, Policy, allocate

from .builders import AREAS
from .test_properties import CODES, TYPES, compatible

BASE = date(2025, 3, 1)
MONTHS = [date(2025, m, 1) for m in (3, 4, 5, 6)]
PLAN = PlanSpec(kind="month", start=BASE, horizon=date(2025, 6, 30))
CLEARANCES = ["escort", "un_security"]
SETTINGS = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def month_end(day: date) -> date:
    return (date(day.year + (day.month == 12), day.month % 12 + 1, 1)) - timedelta(days=1)


@st.composite
def plans(draw, days: int = 110, max_needs: int = 7, max_caps: int = 5, end_within: int | None = None):
    """Needs, capacities (with throughput and clearances) and access rules."""

    def window():
        start = BASE + timedelta(days=draw(st.integers(0, days)))
        if end_within is not None:
            return start, min(start + timedelta(days=draw(st.integers(0, end_within))), BASE + timedelta(days=30))
        end = None if draw(st.booleans()) else start + timedelta(days=draw(st.integers(0, 60)))
        return start, end

    needs, caps, rules = [], [], []
    for i in range(draw(st.integers(1, max_needs))):
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
    for j in range(draw(st.integers(1, max_caps))):
        start, end = window()
        caps.append(
            Capacity(
                id=f"C{j}",
                org="A",
                resource_type=draw(st.sampled_from(TYPES)),
                quantity=draw(st.integers(1, 30)),
                unit_cost=draw(st.integers(0, 40)) / 4,
                is_local=draw(st.booleans()),
                service_pcodes=tuple(draw(st.lists(st.sampled_from(CODES), min_size=1, max_size=2, unique=True))),
                throughput=draw(st.one_of(st.none(), st.integers(1, 8))),
                start=start,
                end=end,
                clearances=tuple(draw(st.lists(st.sampled_from(CLEARANCES), max_size=2, unique=True))),
            )
        )
    for _ in range(draw(st.integers(0, 3))):
        level = draw(st.sampled_from(["open", "restricted", "no_go"]))
        start = BASE + timedelta(days=draw(st.integers(0, days)))
        end = None if draw(st.booleans()) else start + timedelta(days=draw(st.integers(0, 60)))
        clearances = (
            tuple(draw(st.lists(st.sampled_from(CLEARANCES + ["local"]), min_size=1, max_size=2, unique=True)))
            if level == "restricted"
            else ()
        )
        rules.append(
            AccessRule(pcode=draw(st.sampled_from(CODES)), level=level, start=start, end=end, clearances=clearances)
        )
    return needs, caps, rules


def window_of(need: Need) -> tuple[date, date]:
    start = max(need.start, need.earliest_start or need.start)
    end = min(need.end or date.max, need.deadline or date.max)
    return start, end


def may_serve(need: Need, cap: Capacity, rules: list[AccessRule], start: date, end: date) -> bool:
    """Independent statement of the access rule for the days start..end."""

    def overlaps(rule: AccessRule) -> bool:
        return rule.start <= end and (rule.end or date.max) >= start

    code = need.pcode
    while code:
        here = [r for r in rules if r.pcode == code and overlaps(r)]
        if here:
            held = set(cap.clearances) | ({"local"} if cap.is_local else set())
            return all(r.level == "open" or (r.level == "restricted" and held & set(r.clearances)) for r in here)
        code = next(a.parent_pcode for a in AREAS if a.pcode == code)
    return True


def triples(needs, caps, rules):
    """Every (need, capacity, period index) a plan may use."""
    out = []
    for n in needs:
        n_start, n_end = window_of(n)
        for c in caps:
            if not compatible(n, c):
                continue
            for q, month in enumerate(MONTHS):
                start = max(n_start, c.start, month)
                end = min(n_end, c.end or date.max, month_end(month))
                if start <= end and may_serve(n, c, rules, max(n_start, month), min(n_end, month_end(month))):
                    out.append((n, c, q))
    return out


@given(plans())
@SETTINGS
def test_access_throughput_and_limits_always_hold(case):
    needs, caps, rules = case
    result = allocate(needs, caps, areas=AREAS, plan=PLAN, access=rules)
    need = {n.id: n for n in needs}
    cap = {c.id: c for c in caps}
    allowed = {(n.id, c.id, MONTHS[q]) for n, c, q in triples(needs, caps, rules)}
    per_period: dict[tuple[str, date], float] = {}
    per_need: dict[str, float] = {}
    per_cap: dict[str, float] = {}
    for a in result.assignments:
        note(str(a))
        assert (a.need_id, a.capacity_id, a.period) in allowed  # no-go never served, clearances respected
        per_period[(a.capacity_id, a.period)] = per_period.get((a.capacity_id, a.period), 0) + a.quantity
        per_need[a.need_id] = per_need.get(a.need_id, 0) + a.quantity
        per_cap[a.capacity_id] = per_cap.get(a.capacity_id, 0) + a.quantity
    for (cap_id, _), units in per_period.items():
        assert cap[cap_id].throughput is None or units <= cap[cap_id].throughput + 1e-9
    for need_id, units in per_need.items():
        assert units <= need[need_id].quantity + 1e-9
    for cap_id, units in per_cap.items():
        assert units <= cap[cap_id].quantity + 1e-9


@given(plans(days=0, end_within=25))
@SETTINGS
def test_a_plan_over_one_period_equals_todays_allocation(case):
    needs, caps, rules = case
    caps = [Capacity(**{**{f: getattr(c, f) for f in c.__slots__}, "throughput": None}) for c in caps]
    today = allocate(needs, caps, areas=AREAS, access=rules)
    one = allocate(needs, caps, areas=AREAS, access=rules, plan=PlanSpec(kind="month", start=BASE, horizon=BASE))
    assert one.periods == (BASE,)
    assert one.weighted_units == today.weighted_units
    assert abs(one.cost - today.cost) < 1e-6
    assert sorted(e.reason for e in one.explanations if e.reason.startswith("no_")) == sorted(
        e.reason for e in today.explanations if e.reason.startswith("no_")
    )


@given(plans())
@SETTINGS
def test_the_plan_optimum_equals_an_independent_lp(case):
    needs, caps, rules = case
    lateness = 0.5
    result = allocate(needs, caps, areas=AREAS, plan=PLAN, access=rules, policy=Policy(lateness_weight=lateness))
    weights = {1: 1, 2: 2, 3: 4, 4: 8, 5: 16}
    columns = triples(needs, caps, rules)
    if not columns:
        assert result.weighted_units == 0
        return
    rows, limits = [], []
    for n in needs:
        rows.append([1.0 if col[0] is n else 0.0 for col in columns])
        limits.append(n.quantity)
    for c in caps:
        rows.append([1.0 if col[1] is c else 0.0 for col in columns])
        limits.append(c.quantity)
        if c.throughput is not None:
            for q in range(len(MONTHS)):
                rows.append([1.0 if col[1] is c and col[2] == q else 0.0 for col in columns])
                limits.append(c.throughput)
    rows, limits = np.array(rows), np.array(limits, dtype=float)

    def first(n: Need) -> int:
        return max(0, sum(1 for m in MONTHS if m <= window_of(n)[0]) - 1)

    weight = np.array([weights[n.priority] for n, _, _ in columns], dtype=float)
    second = np.array([c.unit_cost + lateness * weights[n.priority] * (q - first(n)) for n, c, q in columns])
    best = -linprog(-weight, A_ub=rows, b_ub=limits, bounds=(0, None), method="highs").fun
    cheapest = linprog(
        second, A_ub=np.vstack([rows, -weight]), b_ub=np.r_[limits, -best + 1e-7], bounds=(0, None), method="highs"
    ).fun
    assert abs(result.weighted_units - best) < 1e-6
    need = {n.id: n for n in needs}
    cap = {c.id: c for c in caps}
    achieved = sum(
        a.quantity
        * (
            cap[a.capacity_id].unit_cost
            + lateness * weights[need[a.need_id].priority] * (MONTHS.index(a.period) - first(need[a.need_id]))
        )
        for a in result.assignments
    )
    assert abs(achieved - cheapest) < 1e-5
