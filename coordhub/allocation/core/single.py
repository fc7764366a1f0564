"""One provider per need: a greedy assignment improved by local search, the incumbent the MIP starts from.

With only the single-provider rule, resource types never interact, so each
type is searched on its own.  For one type the rule means choosing, for each
need, at most one capacity; once the choice is made, the best quantities
are a min-cost flow over the chosen pairs only (each capacity then fills
its needs by priority weight, cheapest first among equals).  So the search
is over assignments:

1. Greedy: needs by weight (largest first), then quantity (largest first),
   each to the compatible capacity with the least room that can still serve
   it in full, else to the one with the most room left.
2. Local search: move a need to another compatible capacity (or give an
   unserved need one), possibly handing the room it leaves to a need nobody
   serves yet, or swap two needs between their capacities, whenever the
   weighted units delivered by the two capacities, each filled by weight,
   grow; sweep until no change helps.  Then, in the time left, also chains:
   the room left is taken by a need served at a third capacity.
3. A min-cost flow over the chosen pairs gives the quantities (weighted
   units first, then cost).

``linear._solve_block`` hands this solution to the MIP as its start when it
beats the LP optimum's rounding (about 1.8 % instead of 5.5 % from the LP
bound on 10,000 needs x 5,000 capacities, see docs/readme/single.md); the
MIP keeps the proof (optimal on small instances, the LP bound otherwise).
"""

from __future__ import annotations

import time

import numpy as np

from .arcs import Arcs
from .compatibility import Compatibility
from .flow import solve_min_cost_flow
from .problem import Problem


def applies(problem: Problem) -> bool:
    """True when this method solves the policy: one provider per need is
    its only side constraint and the objective is weighted units then cost."""
    policy = problem.policy
    return bool(
        policy.single_provider
        and not policy.budget_caps
        and policy.min_admin1_coverage <= 0
        and policy.min_local_share <= 0
        and policy.min_lot_size <= 0
        and not policy.lexicographic
        and policy.value_per_weighted_unit is None
    )


def fill_value(members, weight: list[int], quantity: list[int], room: int) -> int:
    """Weighted units a capacity with ``room`` scaled units delivers to its
    ``members`` (need indices), serving the heaviest needs first."""
    value, left = 0, room
    for i in sorted(members, key=lambda i: -weight[i]):
        take = min(quantity[i], left)
        value += weight[i] * take
        left -= take
        if left <= 0:
            break
    return value


def assign(
    weight: np.ndarray,
    quantity: np.ndarray,
    room: np.ndarray,
    arc_need: np.ndarray,
    arc_cap: np.ndarray,
    deadline: float,
) -> tuple[np.ndarray, bool]:
    """Capacity chosen for each need (-1: none), by greedy then local search
    (see the module docstring); True when the search ended at a local
    optimum rather than at the deadline."""
    n_needs, n_caps = weight.size, room.size
    by_need = np.argsort(arc_need, kind="stable")
    need_starts = np.searchsorted(arc_need[by_need], np.arange(n_needs + 1))
    by_cap = np.argsort(arc_cap, kind="stable")
    cap_starts = np.searchsorted(arc_cap[by_cap], np.arange(n_caps + 1))
    needs_of_cap = [arc_need[by_cap[cap_starts[j] : cap_starts[j + 1]]].tolist() for j in range(n_caps)]

    left = room.astype(np.int64).copy()
    chosen = np.full(n_needs, -1, dtype=np.int64)
    for i in np.lexsort((-quantity, -weight)).tolist():
        caps = arc_cap[by_need[need_starts[i] : need_starts[i + 1]]]
        if caps.size == 0:
            continue
        r = left[caps]
        full = r >= quantity[i]
        if full.any():
            j = int(caps[int(np.argmin(np.where(full, r, np.iinfo(np.int64).max)))])
        elif r.max() > 0:
            j = int(caps[int(np.argmax(r))])
        else:
            continue
        chosen[i] = j
        left[j] -= min(int(quantity[i]), int(left[j]))

    w, q, s = weight.tolist(), quantity.tolist(), room.tolist()
    members: list[set[int]] = [set() for _ in range(n_caps)]
    for i in np.flatnonzero(chosen >= 0).tolist():
        members[int(chosen[i])].add(i)
    value = [fill_value(members[j], w, q, s[j]) for j in range(n_caps)]
    owner = chosen.tolist()
    compatible = set(zip(arc_need.tolist(), arc_cap.tolist()))

    def fill(members_of: set[int], cap: int) -> int:
        return fill_value(members_of, w, q, s[cap])

    chains = False  # first to a local optimum of the cheap changes, then with the dearer chains too
    while True:
        moved = 0
        for j in range(n_caps):
            if time.perf_counter() >= deadline:
                return np.array(owner, dtype=np.int64), False
            # A full capacity gains nothing from an unserved need no heavier than those it serves.
            full = sum(q[i] for i in members[j]) >= s[j]
            lightest = min((w[i] for i in members[j]), default=0)
            for i in needs_of_cap[j]:
                k = owner[i]
                if k == j or (k < 0 and full and w[i] <= lightest):
                    continue
                # Candidate changes: (gain, new value at j, new value at k, need j gives to k, need k takes in).
                gained = fill(members[j] | {i}, j)
                chain = None
                if k < 0:
                    best = (gained - value[j], gained, 0, -1, -1)
                else:
                    rest = members[k] - {i}
                    kept = fill(rest, k)
                    best = (gained + kept - value[j] - value[k], gained, kept, -1, -1)
                    # The room i leaves at k may serve a need nobody serves yet.
                    for u in needs_of_cap[k]:
                        if owner[u] == -1 and u != i:
                            refilled = fill(rest | {u}, k)
                            best = max(best, (gained + refilled - value[j] - value[k], gained, refilled, -1, u))
                    # Or (second stage) a need served at a third capacity moves into that room.
                    for u in needs_of_cap[k] if chains else ():
                        third = owner[u]
                        if third < 0 or third in (j, k) or u == i:
                            continue
                        refilled = fill(rest | {u}, k)
                        if gained + refilled - value[j] - value[k] <= best[0]:
                            continue
                        left_behind = fill(members[third] - {u}, third)
                        gain = gained + refilled + left_behind - value[j] - value[k] - value[third]
                        if gain > best[0]:
                            best, chain = (gain, gained, refilled, -1, u), (third, left_behind)
                    # Or i and a need of j that k can serve trade places.
                    for other in members[j]:
                        if (other, k) in compatible:
                            at_j = fill((members[j] - {other}) | {i}, j)
                            at_k = fill(rest | {other}, k)
                            best = max(best, (at_j + at_k - value[j] - value[k], at_j, at_k, other, -1))
                delta, value_j, value_k, given, taken = best
                if delta <= 0:
                    continue
                members[j].add(i)
                owner[i] = j
                value[j] = value_j
                if k >= 0:
                    members[k].discard(i)
                    value[k] = value_k
                if chain is not None and taken >= 0 and owner[taken] == chain[0]:
                    members[chain[0]].discard(taken)
                    value[chain[0]] = chain[1]
                for extra in (given, taken):
                    if extra >= 0:
                        members[j].discard(extra)
                        members[k].add(extra)
                        owner[extra] = k
                full = sum(q[m] for m in members[j]) >= s[j]
                lightest = min(w[m] for m in members[j])
                moved += 1
        if not moved:
            if chains:
                return np.array(owner, dtype=np.int64), True
            chains = True


def search(problem: Problem, compat: Compatibility, arcs: Arcs, pair: np.ndarray, deadline: float) -> np.ndarray:
    """Scaled units per pair of ``pair`` (one resource type, in canonical
    (need, capacity) order) obeying one provider per need: greedy, local
    search until ``deadline`` (a perf_counter value), then the min-cost flow
    over the chosen pairs."""
    p, c = problem, compat
    needs, need_local = np.unique(c.need[pair], return_inverse=True)
    caps, cap_local = np.unique(c.cap[pair], return_inverse=True)
    weight = p.need_weight[needs].astype(np.int64)
    demand, supply = arcs.demand[needs], arcs.supply[caps]
    owner, _ = assign(weight, demand, supply, need_local, cap_local, deadline)
    code = need_local.astype(np.int64) * caps.size + cap_local
    served = np.flatnonzero(owner >= 0)
    chosen = np.sort(np.searchsorted(code, served * caps.size + owner[served]))
    out = solve_min_cost_flow(
        supply=supply,
        demand=demand,
        arc_cap=cap_local[chosen],
        arc_need=need_local[chosen],
        arc_cost=c.unit_cost[pair][chosen],
        need_rank=weight,
        unit_value=None,
    )
    flow = np.zeros(pair.size, dtype=np.int64)
    flow[chosen] = out.flow
    return flow
