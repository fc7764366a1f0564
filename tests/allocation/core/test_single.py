"""One provider per need: the greedy + batched local search incumbent, hand-made optima, properties against brute force."""

from __future__ import annotations

import itertools
import time

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from coordhub.allocation.core import Policy, Status, allocate
from coordhub.allocation.core.single import (
    assign,
    fill_value,
    fill_values,
    improve,
    members_table,
    perturb_and_improve,
)

from .builders import AREAS, assigned, cap, need

PRIORITY_WEIGHT = {p: Policy().weight(p) for p in range(1, 6)}


def providers(result) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for a in result.assignments:
        out.setdefault(a.need_id, set()).add(a.capacity_id)
    return out


def test_fill_value_serves_the_heaviest_needs_first():
    assert fill_value({0, 1, 2}, [1, 4, 2], [5, 3, 4], 6) == 4 * 3 + 2 * 3
    assert fill_value(set(), [1], [5], 6) == 0
    assert fill_value({0}, [3], [5], 0) == 0


def total(owner, weight, quantity, room) -> int:
    """Weighted units of an assignment, each capacity filling its needs by weight."""
    w, q, s = ([int(x) for x in a] for a in (weight, quantity, room))
    return sum(fill_value({i for i, o in enumerate(owner) if o == j}, w, q, s[j]) for j in range(len(s)))


def test_fill_values_is_fill_value_per_row():
    weight, quantity = np.array([1, 4, 2, 16]), np.array([5, 3, 4, 2])
    sets = np.array([[0, 1, 2, -1], [-1, -1, -1, -1], [3, -1, 0, 1], [2, -1, -1, -1]])
    room = np.array([6, 9, 4, 10])
    assert fill_values(sets, weight, quantity, room).tolist() == [18, 0, 16 * 2 + 4 * 2, 2 * 4]


def test_members_table_lists_each_capacity_s_needs():
    table = members_table(np.array([2, -1, 0, 2]), 3)
    assert [sorted(row[row >= 0].tolist()) for row in table] == [[2], [], [0, 3]]


def test_a_chain_moves_a_need_away_so_that_another_gets_more_room():
    # I (at K) also fits J, which is empty; U (at T, room 5) would get all its 10 units at K.
    # Moving I alone or U alone gains nothing; both together (U takes the room I leaves) gain 20.
    weight, quantity, room = np.array([4, 4]), np.array([10, 10]), np.array([10, 10, 5])  # caps J, K, T
    arc_need, arc_cap = np.array([0, 0, 1, 1]), np.array([0, 1, 1, 2])
    owner, settled = improve(weight, quantity, room, arc_need, arc_cap, np.array([1, 2]), time.perf_counter() + 10)
    assert settled and owner.tolist() == [0, 1]
    assert total(owner.tolist(), weight, quantity, room) == 80


def test_weighted_units_beyond_int64_are_searched_exactly():
    # Weight 2**40 times 2**30 units does not fit in 64 bits: the chain of the test above still happens,
    # and the value is exact.
    weight, quantity = np.array([2**40, 2**40]), np.array([2**30, 2**30])
    room = np.array([2**30, 2**30, 2**29])  # caps J, K, T
    arc_need, arc_cap = np.array([0, 0, 1, 1]), np.array([0, 1, 1, 2])
    owner, settled = improve(weight, quantity, room, arc_need, arc_cap, np.array([1, 2]), time.perf_counter() + 10)
    assert settled and owner.tolist() == [0, 1]
    assert total(owner.tolist(), weight, quantity, room) == 2 * 2**70
    again = perturb_and_improve(weight, quantity, room, arc_need, arc_cap, owner, time.perf_counter() + 10)
    assert again.tolist() == [0, 1]


def test_an_ejection_pushes_a_need_to_a_free_capacity():
    # O (at J) also fits the empty K2; I (at K) also fits J; U (unserved) fits only K.  No single move,
    # refill or swap helps (equal weights); I entering J and pushing O out to K2, with U taking K, does.
    weight, quantity, room = np.array([4, 4, 4]), np.array([10, 10, 10]), np.array([10, 10, 10])  # J, K, K2
    arc_need, arc_cap = np.array([0, 0, 1, 1, 2]), np.array([0, 2, 0, 1, 1])
    owner, settled = improve(weight, quantity, room, arc_need, arc_cap, np.array([0, 1, -1]), time.perf_counter() + 10)
    assert settled and owner.tolist() == [2, 0, 1]
    assert total(owner.tolist(), weight, quantity, room) == 120


@settings(max_examples=80, deadline=None)
@given(st.data())
def test_improve_never_loses_and_ends_where_no_move_or_swap_helps(data):
    n_needs = data.draw(st.integers(1, 7))
    n_caps = data.draw(st.integers(1, 4))
    weight = np.array([data.draw(st.sampled_from([1, 2, 4, 8, 16])) for _ in range(n_needs)])
    quantity = np.array([data.draw(st.integers(1, 20)) for _ in range(n_needs)])
    room = np.array([data.draw(st.integers(0, 25)) for _ in range(n_caps)])
    pairs = sorted({(i, j) for i in range(n_needs) for j in range(n_caps) if data.draw(st.booleans())})
    arc_need = np.array([i for i, _ in pairs], dtype=np.int64)
    arc_cap = np.array([j for _, j in pairs], dtype=np.int64)
    start = [data.draw(st.sampled_from([-1] + [j for k, j in pairs if k == i])) for i in range(n_needs)]
    owner, settled = improve(weight, quantity, room, arc_need, arc_cap, np.array(start), time.perf_counter() + 10)
    assert settled
    after = owner.tolist()
    assert all(j == -1 or (i, j) in pairs for i, j in enumerate(after))
    value = total(after, weight, quantity, room)
    assert value >= total(start, weight, quantity, room)
    for i, j in pairs + [(i, -1) for i in range(n_needs)]:
        moved = list(after)
        moved[i] = j
        assert total(moved, weight, quantity, room) <= value, f"moving need {i} to {j} helps"
    for a, b in itertools.combinations(range(n_needs), 2):
        if after[a] >= 0 and after[b] >= 0 and (a, after[b]) in pairs and (b, after[a]) in pairs:
            swapped = list(after)
            swapped[a], swapped[b] = after[b], after[a]
            assert total(swapped, weight, quantity, room) <= value, f"swapping needs {a} and {b} helps"


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_perturbations_never_lose_and_are_the_same_for_a_seed(data):
    n_needs = data.draw(st.integers(1, 8))
    n_caps = data.draw(st.integers(1, 5))
    weight = np.array([data.draw(st.sampled_from([1, 2, 4, 8, 16])) for _ in range(n_needs)])
    quantity = np.array([data.draw(st.integers(1, 20)) for _ in range(n_needs)])
    room = np.array([data.draw(st.integers(0, 25)) for _ in range(n_caps)])
    pairs = sorted({(i, j) for i in range(n_needs) for j in range(n_caps) if data.draw(st.booleans())})
    arc_need = np.array([i for i, _ in pairs], dtype=np.int64)
    arc_cap = np.array([j for _, j in pairs], dtype=np.int64)
    start, _ = assign(weight, quantity, room, arc_need, arc_cap, time.perf_counter() + 10, perturb=False)
    seed = data.draw(st.integers(0, 3))
    once = perturb_and_improve(weight, quantity, room, arc_need, arc_cap, start, time.perf_counter() + 10, seed)
    again = perturb_and_improve(weight, quantity, room, arc_need, arc_cap, start, time.perf_counter() + 10, seed)
    assert once.tolist() == again.tolist()
    assert all(j == -1 or (i, j) in pairs for i, j in enumerate(once.tolist()))
    assert total(once.tolist(), weight, quantity, room) >= total(start.tolist(), weight, quantity, room)


def test_local_search_moves_a_need_to_free_room_for_an_unserved_one():
    # Greedy (heaviest first): A (weight 4, 6 units) reaches P and Q, both with room 6, and takes P;
    # then B (weight 1, 4 units), which only P serves, is left out.  Moving A to Q lets P serve B.
    weight = np.array([4, 1])
    quantity = np.array([6, 4])
    room = np.array([6, 6])
    arc_need = np.array([0, 0, 1])
    arc_cap = np.array([0, 1, 0])
    owner, settled = assign(weight, quantity, room, arc_need, arc_cap, time.perf_counter() + 10)
    assert settled
    assert owner.tolist() == [1, 0]


def test_two_needs_two_capacities_each_one_provider_all_met():
    # The plain optimum may split A over both capacities; one provider each still meets everything.
    result = allocate(
        [need("A", 6, priority=5), need("B", 4, priority=5)],
        [cap("C6", 6, unit_cost=1), cap("C4", 4, unit_cost=1)],
        areas=AREAS,
        policy=Policy(single_provider=True),
    )
    assert result.status == Status.OPTIMAL and result.gap == 0
    assert assigned(result) == {("A", "C6"): 6, ("B", "C4"): 4}


def test_heavier_need_gets_the_capacity_that_meets_it_in_full():
    # H (priority 5, 7 units) reaches both; L (priority 1, 5 units) only the big one.
    result = allocate(
        [need("H", 7, priority=5), need("L", 5, priority=1, pcode="XX21")],
        [cap("BIG", 12, service=("XX",)), cap("MID", 7, service=("XX1",))],
        areas=AREAS,
        policy=Policy(single_provider=True),
    )
    assert result.status == Status.OPTIMAL and result.gap == 0
    assert assigned(result) == {("H", "MID"): 7, ("L", "BIG"): 5}


def brute_force(needs, caps) -> float:
    """Best weighted units over every choice of one capacity (or none) per need (all serve XX)."""
    weight = [PRIORITY_WEIGHT[n.priority] for n in needs]
    quantity = [int(n.quantity) for n in needs]
    best = 0
    for owner in itertools.product(range(len(caps) + 1), repeat=len(needs)):
        value = sum(
            fill_value({i for i, o in enumerate(owner) if o == j + 1}, weight, quantity, int(c.quantity))
            for j, c in enumerate(caps)
        )
        best = max(best, value)
    return float(best)


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_single_provider_properties(data):
    n_needs = data.draw(st.integers(1, 4))
    n_caps = data.draw(st.integers(1, 3))
    needs = [
        need(f"N{i}", data.draw(st.integers(1, 12)), priority=data.draw(st.integers(1, 5))) for i in range(n_needs)
    ]
    caps = [cap(f"C{j}", data.draw(st.integers(1, 15)), unit_cost=data.draw(st.integers(1, 5))) for j in range(n_caps)]
    result = allocate(needs, caps, areas=AREAS, policy=Policy(single_provider=True, time_limit_seconds=20))
    assert all(len(p) == 1 for p in providers(result).values())
    assert result.bound is not None and result.weighted_units <= result.bound + 1e-9
    assert brute_force(needs, caps) <= result.bound + 1e-9  # the bound is proven: never below the true optimum
    assert result.gap == max(0.0, result.bound - result.objective) / max(abs(result.bound), 1e-9)
    if result.status == Status.OPTIMAL:
        assert result.gap == 0 or result.gap < 1e-9
        assert result.weighted_units == brute_force(needs, caps)


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_search_obeys_the_rule_and_never_loses_to_greedy_alone(data):
    n_needs = data.draw(st.integers(1, 6))
    n_caps = data.draw(st.integers(1, 4))
    weight = np.array([data.draw(st.sampled_from([1, 2, 4, 8, 16])) for _ in range(n_needs)])
    quantity = np.array([data.draw(st.integers(1, 20)) for _ in range(n_needs)])
    room = np.array([data.draw(st.integers(1, 25)) for _ in range(n_caps)])
    pairs = sorted({(i, j) for i in range(n_needs) for j in range(n_caps) if data.draw(st.booleans())})
    arc_need = np.array([i for i, _ in pairs], dtype=np.int64)
    arc_cap = np.array([j for _, j in pairs], dtype=np.int64)
    owner, settled = assign(weight, quantity, room, arc_need, arc_cap, time.perf_counter() + 10)
    assert settled
    for i, j in enumerate(owner.tolist()):
        assert j == -1 or (i, j) in pairs
    w, q, s = weight.tolist(), quantity.tolist(), room.tolist()
    value = sum(fill_value({i for i, o in enumerate(owner.tolist()) if o == j}, w, q, s[j]) for j in range(n_caps))
    # Never below the greedy alone (a deadline already past stops before the search), never below the
    # best single pair, never above the relaxation without the rule.
    greedy, _ = assign(weight, quantity, room, arc_need, arc_cap, time.perf_counter() - 1)
    greedy_value = sum(
        fill_value({i for i, o in enumerate(greedy.tolist()) if o == j}, w, q, s[j]) for j in range(n_caps)
    )
    assert value >= greedy_value
    best_pair = max((w[i] * min(q[i], s[j]) for i, j in pairs), default=0)
    assert value >= best_pair
    assert value <= sum(sorted(w)[-1] * r for r in s)
