"""One provider per need: a greedy assignment improved by a batched local search, the incumbent the MIP starts from.

With only the single-provider rule, resource types never interact, so each
type is searched on its own.  For one type the rule means choosing, for each
need, at most one capacity; once the choice is made, the best quantities
are a min-cost flow over the chosen pairs only (each capacity then fills
its needs by priority weight, cheapest first among equals).  So the search
is over assignments:

1. Greedy: needs by weight (largest first), then quantity (largest first),
   each to the compatible capacity with the least room that can still serve
   it in full, else to the one with the most room left.
2. Local search in rounds.  Each round values, with numpy over every
   compatible pair at once, the changes below (the weighted units each
   capacity delivers, filling its needs by weight, before and after):
   - *move*: a need goes to another capacity (or an unserved need gets one),
     and the room it leaves is refilled by the best need compatible with
     that capacity, unserved or taken from a third capacity (a chain);
   - *swap*: two needs trade capacities;
   - *ejection*: a need enters a capacity and pushes one of its needs to
     that need's best other capacity (or out), with the refill above.
   The best changes that touch disjoint capacities are checked exactly and
   applied together; rounds go on until no change helps (a local optimum)
   or the deadline.  In the time left, a few capacities chosen at random
   (seeded) are emptied and the search runs again from there; the better
   assignment is kept (iterated local search).
3. A min-cost flow over the chosen pairs gives the quantities (weighted
   units first, then cost).

``linear._solve_block`` hands this solution to the MIP as its start when it
beats the LP optimum's rounding; the MIP keeps the proof (optimal on small
instances, the LP bound otherwise).  On 10,000 needs x 5,000 capacities the
search ends about 0.9 % below the proven bound (README, "One provider per
need").
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

import numpy as np

from .arcs import Arcs
from .compatibility import Compatibility
from .flow import solve_min_cost_flow
from .problem import Problem

PERTURBED_SHARE = 0.05  # of a type's capacities emptied before each new search from the best assignment
PERTURBATION_PATIENCE = 20  # tries in a row without a gain before the search stops early


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


def fill_value(members: Iterable[int], weight: list[int], quantity: list[int], room: int) -> int:
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
    perturb: bool = True,
    clock: Callable[[], float] = time.perf_counter,
) -> tuple[np.ndarray, bool]:
    """Capacity chosen for each need (-1: none), by greedy then local search
    (see the module docstring); True when the search reached a local
    optimum before ``deadline`` (a value of ``clock``, wall time by default;
    one already past returns the greedy assignment).  From there,
    ``perturb`` goes on with ``perturb_and_improve``."""
    n_needs = weight.size
    by_need = np.argsort(arc_need, kind="stable")
    need_starts = np.searchsorted(arc_need[by_need], np.arange(n_needs + 1))

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

    owner, settled = improve(weight, quantity, room, arc_need, arc_cap, chosen, deadline, clock)
    if settled and perturb:
        owner = perturb_and_improve(weight, quantity, room, arc_need, arc_cap, owner, deadline, clock=clock)
    return owner, settled


def perturb_and_improve(
    weight: np.ndarray,
    quantity: np.ndarray,
    room: np.ndarray,
    arc_need: np.ndarray,
    arc_cap: np.ndarray,
    owner: np.ndarray,
    deadline: float,
    seed: int = 0,
    clock: Callable[[], float] = time.perf_counter,
) -> np.ndarray:
    """From a local optimum, in the time left: empty a few capacities chosen
    at random (``PERTURBED_SHARE`` of them, seeded), search again and keep
    the result when it is better; stops at ``deadline`` or after
    ``PERTURBATION_PATIENCE`` tries in a row without a gain."""
    w, q, s = (np.asarray(a, dtype=np.int64) for a in (weight, quantity, room))
    if s.size == 0 or arc_need.size == 0:
        return owner
    rng = np.random.default_rng(seed)
    best = exact_total(owner, w, q, s)
    failed = 0
    patience = min(PERTURBATION_PATIENCE, 2 * s.size)  # few capacities: few different perturbations
    while failed < patience and clock() < deadline:
        emptied = np.zeros(s.size, dtype=bool)
        emptied[rng.choice(s.size, max(1, round(PERTURBED_SHARE * s.size)), replace=False)] = True
        trial = owner.copy()
        trial[(trial >= 0) & emptied[np.maximum(trial, 0)]] = -1
        trial, _ = improve(w, q, s, arc_need, arc_cap, trial, deadline, clock)
        value = exact_total(trial, w, q, s)
        if value > best:
            owner, best, failed = trial, value, 0
        else:
            failed += 1
    return owner


def exact_total(owner: np.ndarray, weight: np.ndarray, quantity: np.ndarray, room: np.ndarray) -> int:
    """Weighted units of an assignment (capacity per need, -1: none), in exact integers."""
    members: list[set[int]] = [set() for _ in range(room.size)]
    for i, j in enumerate(owner.tolist()):
        if j >= 0:
            members[j].add(i)
    w, q, s = weight.tolist(), quantity.tolist(), room.tolist()
    return sum(fill_value(members[j], w, q, s[j]) for j in range(room.size))


def fill_values(sets: np.ndarray, weight: np.ndarray, quantity: np.ndarray, room: np.ndarray) -> np.ndarray:
    """Weighted units per row of ``sets`` (need indices, -1 for none), each
    row a capacity with ``room`` (one value per row) serving its heaviest
    needs first; the vectorised ``fill_value``."""
    present = sets >= 0
    index = np.where(present, sets, 0)
    w = np.where(present, weight[index], 0)
    q = np.where(present, quantity[index], 0)
    order = np.argsort(-w, axis=1, kind="stable")
    w = np.take_along_axis(w, order, 1)
    q = np.take_along_axis(q, order, 1)
    before = np.cumsum(q, axis=1) - q
    return (w * np.clip(room[:, None] - before, 0, q)).sum(axis=1)


def members_table(owner: np.ndarray, n_caps: int) -> np.ndarray:
    """Needs of each capacity as rows (n_caps x most needs of one capacity), padded with -1."""
    served = np.flatnonzero(owner >= 0)
    order = served[np.argsort(owner[served], kind="stable")]
    caps = owner[order]
    counts = np.bincount(caps, minlength=n_caps)
    table = np.full((n_caps, max(1, int(counts.max(initial=0)))), -1, dtype=np.int64)
    table[caps, np.arange(order.size) - (np.cumsum(counts) - counts)[caps]] = order
    return table


def _without(rows: np.ndarray, need: np.ndarray) -> np.ndarray:
    return np.where(rows == need[:, None], -1, rows)


def _with(rows: np.ndarray, need: np.ndarray) -> np.ndarray:
    return np.concatenate([rows, need[:, None]], axis=1)


def _best_per_group(group: np.ndarray, gain: np.ndarray) -> np.ndarray:
    """Index of the largest gain of each group (the first on ties)."""
    order = np.lexsort((-gain, group))
    return order[np.r_[True, group[order][1:] != group[order][:-1]]] if order.size else order


Change = tuple[tuple[int, int], ...]  # (need, capacity or -1) reassignments


def improve(
    weight: np.ndarray,
    quantity: np.ndarray,
    room: np.ndarray,
    arc_need: np.ndarray,
    arc_cap: np.ndarray,
    owner: np.ndarray,
    deadline: float,
    clock: Callable[[], float] = time.perf_counter,
) -> tuple[np.ndarray, bool]:
    """Local search from ``owner`` (capacity per need, -1: none) in rounds of
    moves with refills and chains, swaps and ejections (module docstring);
    returns the new owners and True when it ended at a local optimum rather
    than at ``deadline`` (a value of ``clock``).  Never lowers the value."""
    n_needs, n_caps = weight.size, room.size
    w: np.ndarray
    q: np.ndarray
    s: np.ndarray
    w, q, s = (np.asarray(a, dtype=np.int64) for a in (weight, quantity, room))
    wl, ql, sl = w.tolist(), q.tolist(), s.tolist()
    if w.size and s.size and int(w.max()) * max(int(s.sum()), 1) >= 2**62:
        # Weighted units could overflow int64: estimate in floats (each change is still checked exactly).
        w, q, s = (a.astype(np.float64) for a in (w, q, s))
    owner = np.asarray(owner, dtype=np.int64).copy()
    arc_need, arc_cap = np.asarray(arc_need, dtype=np.int64), np.asarray(arc_cap, dtype=np.int64)
    if arc_need.size == 0:
        return owner, True
    codes = np.sort(arc_need * n_caps + arc_cap)
    cap_need = arc_need[np.argsort(arc_cap, kind="stable")]
    cap_starts = np.r_[0, np.cumsum(np.bincount(arc_cap, minlength=n_caps))]
    limit = 2 * n_caps  # changes checked per round (at most n_caps / 2 can touch disjoint capacities)
    while clock() < deadline:
        table = members_table(owner, n_caps)
        width = table.shape[1]
        value = fill_values(table, w, q, s)
        # What each served need's capacity loses without it (<= 0).
        served = np.flatnonzero(owner >= 0)
        home = owner[served]
        leave = np.zeros(n_needs, dtype=w.dtype)
        leave[served] = fill_values(_without(table[home], served), w, q, s[home]) - value[home]
        # The best refill of the room a served need leaves: a need compatible with its capacity,
        # unserved or from a third capacity (which then loses it).
        degree = cap_starts[home + 1] - cap_starts[home]
        group = np.repeat(np.arange(served.size), degree)
        offset = np.arange(group.size) - np.repeat(np.cumsum(degree) - degree, degree)
        other = cap_need[cap_starts[home][group] + offset]
        keep = owner[other] != home[group]
        group, other = group[keep], other[keep]
        k = home[group]
        gain = fill_values(_with(_without(table[k], served[group]), other), w, q, s[k]) - value[k] + leave[other]
        refill, refill_need = np.zeros(n_needs, dtype=w.dtype), np.full(n_needs, -1, dtype=np.int64)
        refill[served] = leave[served]
        best = _best_per_group(group, gain)
        better = gain[best] > refill[served[group[best]]]
        refill[served[group[best[better]]]] = gain[best[better]]
        refill_need[served[group[best[better]]]] = other[best[better]]
        # Moves: need i to capacity j (not its own), with the best refill behind it.
        keep = owner[arc_need] != arc_cap
        mi, mj = arc_need[keep], arc_cap[keep]
        enter = fill_values(_with(table[mj], mi), w, q, s[mj]) - value[mj]
        move_gain = enter + refill[mi]
        # The best other capacity of each need (or none), for the needs an ejection pushes out.
        out_gain, out_cap = np.zeros(n_needs, dtype=w.dtype), np.full(n_needs, -1, dtype=np.int64)
        best = _best_per_group(mi, enter)
        better = enter[best] > 0
        out_gain[mi[best[better]]] = enter[best[better]]
        out_cap[mi[best[better]]] = mj[best[better]]
        # Ejections (i enters j, o of j leaves) and swaps (o goes to i's capacity, if compatible).
        ei, ej = np.repeat(mi, width), np.repeat(mj, width)
        eo = table[ej, np.tile(np.arange(width), mi.size)]
        keep = eo >= 0
        ei, ej, eo = ei[keep], ej[keep], eo[keep]
        swapped = fill_values(_with(_without(table[ej], eo), ei), w, q, s[ej]) - value[ej]
        eject_gain = swapped + refill[ei] + out_gain[eo]
        keep = owner[ei] >= 0
        si, sj, so = ei[keep], ej[keep], eo[keep]
        sk, sg = owner[si], swapped[keep]
        code = so * n_caps + sk
        keep = codes[np.minimum(np.searchsorted(codes, code), codes.size - 1)] == code
        si, sj, so, sk, sg = si[keep], sj[keep], so[keep], sk[keep], sg[keep]
        swap_gain = sg + fill_values(_with(_without(table[sk], si), so), w, q, s[sk]) - value[sk]

        def best_of(gain: np.ndarray) -> list[int]:
            good = np.flatnonzero(gain > 0)
            return good[np.argsort(-gain[good], kind="stable")[:limit]].tolist()

        changes: list[tuple[int, Change]] = []
        for t in best_of(move_gain):
            i, j, u = int(mi[t]), int(mj[t]), int(refill_need[mi[t]])
            if u >= 0 and owner[u] == j:  # the refill comes from j itself: the estimate is off, try without
                changes.append((int(enter[t] + leave[i]), ((i, j),)))
            changes.append((int(move_gain[t]), ((i, j),) + (((u, int(owner[i])),) if u >= 0 else ())))
        for t in best_of(swap_gain):
            changes.append((int(swap_gain[t]), ((int(si[t]), int(sj[t])), (int(so[t]), int(sk[t])))))
        for t in best_of(eject_gain):
            i, o, u = int(ei[t]), int(eo[t]), int(refill_need[ei[t]])
            change: Change = ((i, int(ej[t])), (o, int(out_cap[o])))
            changes.append((int(eject_gain[t]), change + (((u, int(owner[i])),) if u >= 0 else ())))
        if not changes:
            return owner, True
        # Estimates assume the capacities of a change are distinct: apply each change only
        # after checking it exactly, and only if it touches capacities no other change did.
        changes.sort(key=lambda change: (-change[0], change[1]))
        touched_caps: set[int] = set()
        touched_needs: set[int] = set()
        applied = 0
        for _, change in changes:
            needs = {i for i, _ in change}
            caps = ({int(owner[i]) for i, _ in change} | {j for _, j in change}) - {-1}
            if len(needs) < len(change) or needs & touched_needs or caps & touched_caps:
                continue
            sets = {j: set(table[j][table[j] >= 0].tolist()) for j in caps}
            before = sum(fill_value(sets[j], wl, ql, sl[j]) for j in caps)
            for i, j in change:
                if owner[i] >= 0:
                    sets[int(owner[i])].discard(i)
                if j >= 0:
                    sets[j].add(i)
            if sum(fill_value(sets[j], wl, ql, sl[j]) for j in caps) <= before:
                continue
            for i, j in change:
                owner[i] = j
            touched_caps |= caps
            touched_needs |= needs
            applied += 1
        if not applied:
            return owner, True
    return owner, False


def search(
    problem: Problem,
    compat: Compatibility,
    arcs: Arcs,
    pair: np.ndarray,
    deadline: float,
    perturb: bool = True,
    clock: Callable[[], float] = time.perf_counter,
) -> np.ndarray:
    """Scaled units per pair of ``pair`` (one resource type, in canonical
    (need, capacity) order) obeying one provider per need: greedy, local
    search until ``deadline`` (a value of ``clock``: wall time by default,
    ``time.process_time`` for a CPU-time budget), then the min-cost flow
    over the chosen pairs."""
    p, c = problem, compat
    needs, need_local = np.unique(c.need[pair], return_inverse=True)
    caps, cap_local = np.unique(c.cap[pair], return_inverse=True)
    weight = p.need_weight[needs].astype(np.int64)
    demand, supply = arcs.demand[needs], arcs.supply[caps]
    owner, _ = assign(weight, demand, supply, need_local, cap_local, deadline, perturb, clock)
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
