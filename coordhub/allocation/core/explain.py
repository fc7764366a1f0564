"""Plain-language reasons for every need not fully met and every capacity not fully used."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

from . import messages as m
from .compatibility import Compatibility
from .model import Explanation, Status
from .problem import OPEN_END, Problem

TOP = 3


@dataclass
class ExplainContext:
    """What the explanations need to know about the run besides the flows.

    unit_value: trade-off mode, value of one unit per need (scaled currency
    per scaled unit, like Compatibility.unit_cost); saturated_org: per
    organisation, True when its budget cap is reached."""

    status: Status
    unit_value: np.ndarray | None = None
    saturated_org: np.ndarray | None = None
    access_params: dict[int, tuple[str, dict]] | None = None  # need -> (reason, params) when access blocks
    plan: bool = False
    ready: np.ndarray | None = None  # plans: per compatible pair, first day it may deliver (lead time), 0: any


@dataclass
class _Top:
    """Per group: the top items by weight and how many items in all."""

    items: dict[int, list[tuple[int, float]]]
    count: np.ndarray


def _top_per_group(group: np.ndarray, item: np.ndarray, weight: np.ndarray, n_groups: int, n_items: int) -> _Top:
    """Sum weight per (group, item); keep the TOP heaviest items of each group
    (ties by item index).  Weights are whole numbers (scaled units)."""
    items: dict[int, list[tuple[int, float]]] = {}
    if group.size == 0:
        return _Top(items, np.zeros(n_groups, dtype=np.int64))
    code = group * n_items + item
    order = np.argsort(code, kind="stable")
    code = code[order]
    starts = np.flatnonzero(np.r_[True, code[1:] != code[:-1]])
    unique = code[starts]
    total = np.add.reduceat(np.asarray(weight, dtype=np.float64)[order], starts).astype(np.int64)
    g = unique // n_items
    # Within a group: heaviest first, then lowest item (the unique codes are in item order).
    top = int(total.max()) + 1
    if (int(g.max()) + 1) * top < 2**62:
        by_weight = np.argsort(g * top + (top - 1 - total), kind="stable")
    else:
        by_weight = np.lexsort((-total, g))
    g, unique, total = g[by_weight], unique[by_weight], total[by_weight]
    first = np.flatnonzero(np.r_[True, g[1:] != g[:-1]])
    rank = np.arange(g.size) - np.repeat(first, np.diff(np.r_[first, g.size]))
    keep = rank < TOP
    for gg, code_, ww in zip(g[keep].tolist(), unique[keep].tolist(), total[keep].tolist()):
        items.setdefault(gg, []).append((code_ % n_items, float(ww)))
    return _Top(items, np.bincount(g, minlength=n_groups))


def _expand(sorted_keys: np.ndarray, queries: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each query key, all positions in sorted_keys with that key:
    returns (query index, position) pairs."""
    lo = np.searchsorted(sorted_keys, queries, side="left")
    hi = np.searchsorted(sorted_keys, queries, side="right")
    counts = hi - lo
    query = np.repeat(np.arange(queries.size), counts)
    starts = np.cumsum(counts) - counts
    position = np.arange(int(counts.sum())) - np.repeat(starts - lo, counts)
    return query, position


def _day(ordinal: int) -> str | None:
    """ISO date, or None for an open end."""
    return None if ordinal >= OPEN_END else date.fromordinal(int(ordinal)).isoformat()


def _delayed(spare_pairs: np.ndarray, of_need: np.ndarray, ready: np.ndarray, need_start: int) -> np.ndarray:
    """The spare pairs of one need whose lead time cuts the start of its window."""
    pairs = spare_pairs[of_need]
    return pairs[ready[pairs] > need_start]


def explain(
    problem: Problem, compat: Compatibility, flow: np.ndarray, context: ExplainContext
) -> tuple[Explanation, ...]:
    """One Explanation per need with a shortfall and per capacity with spare
    units, in id order (needs first).  flow: scaled units per compatible pair.
    Each carries its reason code and parameters as JSON-ready values (ids,
    numbers, ISO dates, lists; see messages.render) and the English text."""
    p, c = problem, compat
    n_needs, n_caps = p.need_count, p.cap_count
    met = np.bincount(c.need, weights=flow, minlength=n_needs).astype(np.int64)
    used = np.bincount(c.cap, weights=flow, minlength=n_caps).astype(np.int64)
    short = p.need_quantity - met
    spare = p.cap_quantity - used
    blocked = c.blocked if c.blocked is not None else np.zeros(c.size, dtype=bool)
    open_pair = ~c.forbidden & ~blocked
    policy = p.policy
    constraints = list(policy.side_constraints())
    weight = p.need_weight
    scale = p.quantity_scale

    def qty(value: float) -> float:
        return float(value) / scale

    def cap_list(indices: list[int], total: int) -> dict:
        return {"capacities": [p.capacities[j].id for j in indices], "capacities_total": int(total)}

    # Positive flows grouped by capacity and by need, for "who took it".
    positive = np.flatnonzero(flow > 0)
    by_cap = positive[np.argsort(c.cap[positive], kind="stable")]
    by_need = positive  # pairs are already sorted by need

    out: list[Explanation] = []

    # ---- needs ----
    unmet = short > 0
    need_reason: dict[int, tuple[str, dict]] = {}
    stage_type = unmet & (c.need_type_caps == 0)
    stage_area = unmet & ~stage_type & (c.need_area_caps == 0)
    stage_time = unmet & ~stage_type & ~stage_area & (c.need_time_caps == 0)
    stage_forbidden = unmet & (c.need_time_caps > 0) & (c.need_open_caps == 0)
    rest = unmet & (c.need_open_caps > 0)
    for i in np.flatnonzero(stage_type | stage_area | stage_time):
        need = p.needs[i]
        reason = (
            m.NO_CAPACITY_OF_TYPE
            if stage_type[i]
            else m.NO_CAPACITY_IN_AREA
            if stage_area[i]
            else m.NO_CAPACITY_IN_TIME_WINDOW
        )
        need_reason[i] = (
            reason,
            {
                "resource_type": need.resource_type,
                "pcode": need.pcode,
                "start": _day(p.need_start[i]),
                "end": _day(p.need_end[i]),
            },
        )
    blocked_need = np.bincount(c.need[blocked & ~c.forbidden], minlength=n_needs) > 0
    for i in np.flatnonzero(stage_forbidden & blocked_need):
        reason, params = (context.access_params or {}).get(int(i), (m.NO_ACCESS, {}))
        need_reason[i] = (reason, dict(params))
    stage_forbidden &= ~blocked_need
    for i in np.flatnonzero(stage_forbidden):
        pairs = np.flatnonzero(c.need == i)
        reasons = sorted({p.forbidden_reason.get((i, int(c.cap[k])), "") for k in pairs})
        need_reason[i] = (m.EXCLUDED_BY_FORBIDDEN_PAIRS, {"reasons": reasons})
    if context.status == Status.INFEASIBLE:
        for i in np.flatnonzero(rest):
            need_reason[i] = (m.INFEASIBLE, {})
        rest = np.zeros_like(rest)

    pair_rest = open_pair & rest[c.need]
    spare_pair = pair_rest & (spare[c.cap] > 0)
    has_spare = np.bincount(c.need[spare_pair], minlength=n_needs) > 0
    exhausted = rest & ~has_spare
    # Needs whose every capacity is used up: name who took it.
    query = np.flatnonzero(pair_rest & exhausted[c.need])
    q_need, q_cap = c.need[query], c.cap[query]
    caps_top = _top_per_group(q_need, q_cap, np.ones(query.size), n_needs, max(n_caps, 1))
    qi, pos = _expand(c.cap[by_cap], q_cap)
    t_pair = by_cap[pos]
    t_need = q_need[qi]
    taker = c.need[t_pair]
    other = taker != t_need
    t_need, taker, t_pair = t_need[other], taker[other], t_pair[other]
    takers_top = _top_per_group(t_need, taker, flow[t_pair].astype(np.float64), n_needs, max(n_needs, 1))
    lower = weight[taker] < weight[t_need]
    has_lower = np.bincount(t_need[lower], minlength=n_needs) > 0
    has_lower_free = np.bincount(t_need[lower & ~c.pinned[t_pair]], minlength=n_needs) > 0
    has_equal = np.bincount(t_need[weight[taker] == weight[t_need]], minlength=n_needs) > 0
    for i in np.flatnonzero(exhausted):
        caps = caps_top.items.get(i, [])
        caps_params = cap_list([j for j, _ in caps], int(caps_top.count[i]))
        tops = takers_top.items.get(i, [])
        if not tops:
            need_reason[i] = (m.NOT_ENOUGH_CAPACITY, caps_params | {"met": qty(met[i])})
            continue
        params = caps_params | {
            "takers": [[p.needs[k].id, int(p.need_priority[k]), qty(q)] for k, q in tops],
            "takers_total": int(takers_top.count[i]),
        }
        if context.status == Status.TIMED_OUT and has_lower[i]:
            reason = m.TIMED_OUT
        elif has_lower[i] and not has_lower_free[i]:
            reason = m.USED_BY_PINS
        elif has_lower[i] and policy.min_admin1_coverage > 0:
            reason = m.USED_FOR_AREA_COVERAGE
        elif has_lower[i]:
            reason = m.SIDE_CONSTRAINT
            params["constraints"] = constraints
        else:
            reason = m.USED_BY_EQUAL_PRIORITY if has_equal[i] else m.USED_BY_HIGHER_PRIORITY
        need_reason[i] = (reason, params)

    # Needs with spare compatible capacity left: the policy held it back.
    sp = np.flatnonzero(spare_pair)
    sp_need, sp_cap = c.need[sp], c.cap[sp]
    spare_top = _top_per_group(sp_need, sp_cap, spare[sp_cap].astype(np.float64), n_needs, max(n_caps, 1))
    min_cost = np.full(n_needs, np.iinfo(np.int64).max)
    np.minimum.at(min_cost, sp_need, c.unit_cost[sp])
    any_local = np.bincount(sp_need[p.cap_local[sp_cap]], minlength=n_needs) > 0
    org_free = np.ones(max(len(p.org_names), 1), dtype=bool)
    if context.saturated_org is not None:
        org_free = ~context.saturated_org
    any_budget_free = np.bincount(sp_need[org_free[p.cap_org[sp_cap]]], minlength=n_needs) > 0
    providers = np.bincount(c.need[by_need], minlength=n_needs)
    for i in np.flatnonzero(rest & has_spare):
        caps = spare_top.items.get(i, [])
        params: dict = cap_list([j for j, _ in caps], int(spare_top.count[i]))
        if context.unit_value is not None and min_cost[i] >= context.unit_value[i]:
            reason = m.NOT_WORTH_COST
            params.update(
                unit_cost=float(min_cost[i]) / p.cost_scale,
                priority=int(p.need_priority[i]),
                value=float(context.unit_value[i]) / p.cost_scale,
            )
        elif context.saturated_org is not None and not any_budget_free[i]:
            orgs = sorted({p.capacities[j].org for j in np.unique(sp_cap[sp_need == i]).tolist()})
            reason = m.BUDGET_CAP
            params.update(orgs=orgs[:TOP], orgs_total=len(orgs))
        elif policy.single_provider and providers[i] >= 1:
            reason = m.SINGLE_PROVIDER
            served = np.unique(c.cap[by_need][c.need[by_need] == i]).tolist()
            params.update(cap_list(served[:TOP], len(served)))
        elif policy.min_lot_size > 0 and short[i] < round(policy.min_lot_size * scale):
            reason = m.MIN_LOT_SIZE
            params.update(shortfall=qty(short[i]), lot=float(policy.min_lot_size))
        elif policy.min_local_share > 0 and not any_local[i]:
            reason = m.LOCAL_SHARE
            params["share"] = float(policy.min_local_share)
        elif context.ready is not None and (delayed := _delayed(sp, sp_need == i, context.ready, p.need_start[i])).size:
            reason = m.LEAD_TIME
            late_caps = np.unique(c.cap[delayed]).tolist()
            params = cap_list(late_caps[:TOP], len(late_caps)) | {
                "pcode": p.needs[i].pcode,
                "lead_time": int(p.need_lead[i]),
                "ready": date.fromordinal(int(context.ready[delayed].min())).isoformat(),
            }
        elif context.status == Status.TIMED_OUT:
            reason = m.TIMED_OUT
        elif context.plan:
            reason = m.BOOKED_IN_TIME
            params.update(start=_day(p.need_start[i]), end=_day(p.need_end[i]))
        else:
            reason = m.SIDE_CONSTRAINT
            params["constraints"] = constraints
        need_reason[i] = (reason, params)

    for i in sorted(need_reason):
        reason, params = need_reason[i]
        params = params | {"shortfall": qty(short[i])}
        related = tuple(taker[0] for taker in params.get("takers", ()))
        out.append(
            Explanation(
                subject="need",
                subject_id=p.needs[i].id,
                reason=reason,
                text=m.render("need", reason, params),
                quantity=float(short[i]) / scale,
                related_ids=related,
                params=params,
            )
        )

    # ---- capacities ----
    idle = spare > 0
    cap_reason: dict[int, tuple[str, dict]] = {}
    c_type = idle & (c.cap_type_needs == 0)
    c_area = idle & ~c_type & (c.cap_area_needs == 0)
    c_time = idle & ~c_type & ~c_area & (c.cap_time_needs == 0)
    c_forbidden = idle & (c.cap_time_needs > 0) & (c.cap_open_needs == 0)
    c_rest = idle & (c.cap_open_needs > 0)
    for j in np.flatnonzero(c_type | c_area | c_time):
        cap = p.capacities[j]
        reason = (
            m.NO_NEED_OF_TYPE if c_type[j] else m.NO_NEED_IN_SERVICE_AREA if c_area[j] else m.NO_NEED_IN_TIME_WINDOW
        )
        cap_reason[j] = (
            reason,
            {
                "resource_type": cap.resource_type,
                "areas": list(cap.service_pcodes),
                "start": _day(p.cap_start[j]),
                "end": _day(p.cap_end[j]),
            },
        )
    blocked_cap = np.bincount(c.cap[blocked & ~c.forbidden], minlength=n_caps) > 0
    for j in np.flatnonzero(c_forbidden & blocked_cap):
        areas = sorted({p.needs[int(i)].pcode for i in c.need[(c.cap == j) & blocked].tolist()})
        cap_reason[j] = (m.NOT_CLEARED, {"areas": areas[:TOP], "areas_total": len(areas)})
    c_forbidden &= ~blocked_cap
    for j in np.flatnonzero(c_forbidden):
        pairs = np.flatnonzero(c.cap == j)
        reasons = sorted({p.forbidden_reason.get((int(c.need[k]), j), "") for k in pairs})
        cap_reason[j] = (m.EXCLUDED_BY_FORBIDDEN_PAIRS, {"reasons": reasons})
    if context.status == Status.INFEASIBLE:
        for j in np.flatnonzero(c_rest):
            cap_reason[j] = (m.INFEASIBLE, {})
        c_rest = np.zeros_like(c_rest)
    cpair = open_pair & c_rest[c.cap]
    needy_pair = cpair & (short[c.need] > 0)
    needy = np.bincount(c.cap[needy_pair], minlength=n_caps) > 0
    # Capacities whose needs are all met: name who met them.
    done = c_rest & ~needy
    query = np.flatnonzero(cpair & done[c.cap])
    q_cap, q_need = c.cap[query], c.need[query]
    qi, pos = _expand(c.need[by_need], q_need)
    o_pair = by_need[pos]
    o_cap_for, o_provider = q_cap[qi], c.cap[o_pair]
    keep = o_provider != o_cap_for
    providers_top = _top_per_group(
        o_cap_for[keep], o_provider[keep], flow[o_pair[keep]].astype(np.float64), n_caps, max(n_caps, 1)
    )
    for j in np.flatnonzero(done):
        tops = providers_top.items.get(j, [])
        if not tops:  # it met its needs itself: what is left is simply more than they ask for
            cap_reason[j] = (m.SURPLUS, {})
            continue
        cap_reason[j] = (m.NEEDS_ALREADY_MET, cap_list([k for k, _ in tops], int(providers_top.count[j])))
    nd = np.flatnonzero(needy_pair)
    worth = np.ones(n_caps, dtype=bool)
    if context.unit_value is not None:
        worth = np.bincount(c.cap[nd][c.unit_cost[nd] < context.unit_value[c.need[nd]]], minlength=n_caps) > 0
    for j in np.flatnonzero(c_rest & needy):
        cap = p.capacities[j]
        params: dict = {}
        if not worth[j]:
            reason = m.NOT_WORTH_COST
            params["unit_cost"] = float(p.cap_unit_cost[j]) / p.cost_scale
        elif context.saturated_org is not None and context.saturated_org[p.cap_org[j]]:
            reason = m.BUDGET_CAP
            params.update(org=cap.org, cap=float(policy.budget_caps.get(cap.org, 0.0)))
        elif policy.single_provider:
            reason = m.SINGLE_PROVIDER
        elif policy.min_lot_size > 0:
            reason = m.MIN_LOT_SIZE
            params["lot"] = float(policy.min_lot_size)
        elif policy.min_local_share > 0 and not p.cap_local[j]:
            reason = m.LOCAL_SHARE
            params["share"] = float(policy.min_local_share)
        elif context.status == Status.TIMED_OUT:
            reason = m.TIMED_OUT
        elif context.plan:
            reason = m.THROUGHPUT
            limit = p.cap_throughput[j]
            params["throughput"] = qty(limit) if limit >= 0 else qty(p.cap_quantity[j])
        else:
            reason = m.SIDE_CONSTRAINT
            params["constraints"] = constraints
        cap_reason[j] = (reason, params)

    for j in sorted(cap_reason):
        reason, params = cap_reason[j]
        related = tuple(params.get("capacities", ())) if reason == m.NEEDS_ALREADY_MET else ()
        params = params | {"unused": qty(spare[j])}
        out.append(
            Explanation(
                subject="capacity",
                subject_id=p.capacities[j].id,
                reason=reason,
                text=m.render("capacity", reason, params),
                quantity=float(spare[j]) / scale,
                related_ids=related,
                params=params,
            )
        )
    return tuple(out)
