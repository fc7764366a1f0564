"""Validated, canonically ordered, integer-scaled arrays for one allocation run.

Exact integer scaling (the solvers work in integers):

* Quantities (needs, capacities, pins, minimum lot) are multiplied by
  ``quantity_scale = 10**k`` where k (0..6) is the smallest number of decimals
  that represents every quantity exactly; a quantity with more than 6 decimals
  is rounded to 6 (and a note says so).  Flows are whole multiples of
  1/quantity_scale, so results are exact decimals.
* Unit costs are multiplied by ``cost_scale = 10**c`` the same way (c <= 6);
  with a distance cost, c is at least 2 (cents) and each pair's distance cost
  is rounded to that quantum.  ``value_per_weighted_unit`` joins the choice.
* Dates become ordinal day numbers; an open end is day 10**9.

Needs and capacities are sorted by id, so the same input in any order gives
the same arrays, the same solver run and the same assignments.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

import numpy as np

from .areas import AreaIndex, build_area_index
from .model import PRIORITIES, AdminArea, Capacity, ForbiddenPair, InvalidInput, Need, Pin, Policy

OPEN_END = 10**9
MAX_DECIMALS = 6
MAX_LISTED = 20
MAX_SCALED_TOTAL = 2**53


@dataclass
class Problem:
    """Column arrays of one run (index i: needs sorted by id, j: capacities
    sorted by id).  Quantities are int64 in 1/quantity_scale units, unit costs
    int64 in 1/cost_scale currency."""

    policy: Policy
    needs: list[Need]
    capacities: list[Capacity]
    areas: AreaIndex
    type_names: list[str]
    org_names: list[str]
    quantity_scale: int
    cost_scale: int
    need_area: np.ndarray
    need_type: np.ndarray
    need_priority: np.ndarray
    need_weight: np.ndarray
    need_start: np.ndarray
    need_end: np.ndarray
    need_quantity: np.ndarray
    cap_type: np.ndarray
    cap_org: np.ndarray
    cap_quantity: np.ndarray
    cap_unit_cost: np.ndarray
    cap_local: np.ndarray
    cap_start: np.ndarray
    cap_end: np.ndarray
    cap_origin: np.ndarray
    cap_throughput: np.ndarray
    service_cap: np.ndarray
    service_area: np.ndarray
    need_lead: np.ndarray
    present_cap: np.ndarray
    present_area: np.ndarray
    pin_need: np.ndarray
    pin_cap: np.ndarray
    pin_quantity: np.ndarray
    forbidden_need: np.ndarray
    forbidden_cap: np.ndarray
    forbidden_reason: dict[tuple[int, int], str]
    declined_need: np.ndarray  # a pair declined for one period of a plan: need, capacity, ordinal day
    declined_cap: np.ndarray
    declined_day: np.ndarray
    notes: list[str] = field(default_factory=list)

    @property
    def need_count(self) -> int:
        return len(self.needs)

    @property
    def cap_count(self) -> int:
        return len(self.capacities)

    @property
    def need_ids(self) -> list[str]:
        return [need.id for need in self.needs]

    @property
    def cap_ids(self) -> list[str]:
        return [cap.id for cap in self.capacities]

    def quantity(self, scaled: np.ndarray | int) -> np.ndarray | float:
        """Scaled integer quantity back to units (float)."""
        return np.asarray(scaled, dtype=np.float64) / self.quantity_scale

    def money(self, scaled: np.ndarray | int) -> np.ndarray | float:
        """Scaled integer cost back to currency (float)."""
        return np.asarray(scaled, dtype=np.float64) / self.cost_scale


def decimals_needed(values: np.ndarray, max_decimals: int = MAX_DECIMALS) -> tuple[int, bool]:
    """Smallest k <= max_decimals with every value * 10**k a whole number
    (within float noise); second item True when some value needed rounding."""
    values = np.abs(np.asarray(values, dtype=np.float64))
    if values.size == 0:
        return 0, False
    for k in range(max_decimals + 1):
        scaled = values * 10.0**k
        if np.all(np.abs(scaled - np.rint(scaled)) <= 1e-9 * np.maximum(1.0, scaled)):
            return k, False
    return max_decimals, True


def _ordinal(day: date | None, what: str, problems: list[str]) -> int:
    if day is None:
        return OPEN_END
    try:
        return day.toordinal()
    except AttributeError:
        problems.append(f"{what}: {day!r} is not a date")
        return 0


def _listed(ids: Sequence[str], mask: np.ndarray) -> str:
    chosen = [ids[i] for i in np.flatnonzero(mask)[:MAX_LISTED]]
    more = int(mask.sum()) - len(chosen)
    return ", ".join(chosen) + (f" and {more} more" if more > 0 else "")


def _check_ids(kind: str, ids: list[str], problems: list[str]) -> None:
    seen: set[str] = set()
    dupes = []
    for id_ in ids:
        if not isinstance(id_, str) or not id_:
            problems.append(f"every {kind} needs a non-empty text id")
            return
        if id_ in seen:
            dupes.append(id_)
        seen.add(id_)
    if dupes:
        problems.append(f"{kind} ids must be unique: {', '.join(dupes[:MAX_LISTED])} repeated")


def build_problem(
    needs: Sequence[Need],
    capacities: Sequence[Capacity],
    areas: Sequence[AdminArea] | None,
    policy: Policy,
    pins: Sequence[Pin],
    forbidden: Sequence[ForbiddenPair],
) -> Problem:
    """Validate the input against the contracts of the model types and turn it
    into canonical arrays.  Raises InvalidInput listing every problem found."""
    problems = policy.problems()
    needs = sorted(needs, key=lambda n: n.id)
    capacities = sorted(capacities, key=lambda c: c.id)
    need_ids = [n.id for n in needs]
    cap_ids = [c.id for c in capacities]
    _check_ids("need", need_ids, problems)
    _check_ids("capacity", cap_ids, problems)
    if problems:
        raise InvalidInput(problems)

    need_qty = np.array([n.quantity for n in needs], dtype=np.float64)
    need_priority = np.array([n.priority if n.priority in PRIORITIES else 0 for n in needs], dtype=np.int64)
    need_start = np.array([_ordinal(n.start, f"need {n.id} start", problems) for n in needs], dtype=np.int64)
    need_end = np.array([_ordinal(n.end, f"need {n.id} end", problems) for n in needs], dtype=np.int64)
    # An earliest start or a deadline narrows the window in which the need can be served.
    need_start = np.maximum(
        need_start,
        np.array(
            [
                _ordinal(n.earliest_start, f"need {n.id} earliest start", problems) if n.earliest_start else 0
                for n in needs
            ],
            dtype=np.int64,
        ),
    )
    need_end = np.minimum(
        need_end, np.array([_ordinal(n.deadline, f"need {n.id} deadline", problems) for n in needs], dtype=np.int64)
    )
    need_lead = np.array([n.lead_time if isinstance(n.lead_time, int) else -1 for n in needs], dtype=np.int64)
    cap_throughput = np.array([np.nan if c.throughput is None else c.throughput for c in capacities], dtype=np.float64)
    cap_qty = np.array([c.quantity for c in capacities], dtype=np.float64)
    cap_cost = np.array([c.unit_cost for c in capacities], dtype=np.float64)
    cap_start = np.array([_ordinal(c.start, f"capacity {c.id} start", problems) for c in capacities], dtype=np.int64)
    cap_end = np.array([_ordinal(c.end, f"capacity {c.id} end", problems) for c in capacities], dtype=np.int64)
    checks = [
        (need_ids, ~(np.isfinite(need_qty) & (need_qty > 0)), "need quantity must be greater than 0"),
        (need_ids, need_priority == 0, "need priority must be a whole number from 1 to 5"),
        (need_ids, need_end < need_start, "need end date (or deadline) is before its start date (or earliest start)"),
        (
            need_ids,
            (need_lead < 0) | (need_lead > 3650),
            "need lead time must be a whole number of days from 0 to 3650",
        ),
        (cap_ids, ~(np.isfinite(cap_qty) & (cap_qty > 0)), "capacity quantity must be greater than 0"),
        (cap_ids, ~(np.isfinite(cap_cost) & (cap_cost >= 0)), "capacity unit cost must be zero or positive"),
        (cap_ids, cap_end < cap_start, "capacity end date is before its start date"),
        (
            cap_ids,
            ~np.isnan(cap_throughput) & ~(np.isfinite(cap_throughput) & (cap_throughput > 0)),
            "capacity throughput must be greater than 0",
        ),
    ]
    for ids, mask, message in checks:
        if mask.any():
            problems.append(f"{message}: {_listed(ids, mask)}")
    if problems:
        raise InvalidInput(problems)

    extra = {n.pcode for n in needs}
    for c in capacities:
        extra.update(c.service_pcodes)
        extra.update(c.present_pcodes)
        if c.origin_pcode:
            extra.add(c.origin_pcode)
    area_index = build_area_index(areas, extra)
    notes: list[str] = []
    if area_index.tree_given:
        unknown = sorted({n.pcode for n in needs if not area_index.known[area_index.index[n.pcode]]})
        if unknown:
            notes.append(
                f"{len(unknown)} need area code(s) are not in the area list and are matched only exactly: "
                + ", ".join(unknown[:MAX_LISTED])
            )

    type_names = sorted({n.resource_type for n in needs} | {c.resource_type for c in capacities})
    type_index = {name: i for i, name in enumerate(type_names)}
    org_names = sorted({c.org for c in capacities})
    org_index = {name: i for i, name in enumerate(org_names)}

    # Pins and forbidden pairs refer to ids.
    need_pos = {id_: i for i, id_ in enumerate(need_ids)}
    cap_pos = {id_: j for j, id_ in enumerate(cap_ids)}
    pin_rows: list[tuple[int, int, float]] = []
    seen_pins: set[tuple[int, int]] = set()
    for pin in pins:
        i, j = need_pos.get(pin.need_id), cap_pos.get(pin.capacity_id)
        if i is None or j is None:
            problems.append(f"pin {pin.need_id} / {pin.capacity_id} refers to an unknown need or capacity")
        elif not (math.isfinite(pin.quantity) and pin.quantity > 0):
            problems.append(f"pin {pin.need_id} / {pin.capacity_id} must have a quantity greater than 0")
        elif (i, j) in seen_pins:
            problems.append(f"pin {pin.need_id} / {pin.capacity_id} is given twice")
        else:
            seen_pins.add((i, j))
            pin_rows.append((i, j, pin.quantity))
    forbidden_reason: dict[tuple[int, int], str] = {}
    declined: list[tuple[int, int, int]] = []
    for pair in forbidden:
        i, j = need_pos.get(pair.need_id), cap_pos.get(pair.capacity_id)
        if i is None or j is None:
            continue  # a decline of a need or offer that is gone: nothing to forbid
        if pair.period is not None:
            declined.append((i, j, _ordinal(pair.period, f"forbidden pair {pair.need_id} period", problems)))
            continue
        if (i, j) in seen_pins:
            problems.append(f"pair {pair.need_id} / {pair.capacity_id} is both pinned and forbidden")
        forbidden_reason[(i, j)] = pair.reason
    if problems:
        raise InvalidInput(problems)

    if policy.single_provider:
        pinned_caps: dict[int, int] = {}
        for i, _, _ in pin_rows:
            pinned_caps[i] = pinned_caps.get(i, 0) + 1
        several = [need_ids[i] for i, count in sorted(pinned_caps.items()) if count > 1]
        if several:
            problems.append(
                "with one provider per need, a need can be pinned to one capacity only: "
                + ", ".join(several[:MAX_LISTED])
            )
            raise InvalidInput(problems)
    pin_qty = np.array([row[2] for row in pin_rows], dtype=np.float64)
    lot = np.array([policy.min_lot_size], dtype=np.float64)
    throughput_given = cap_throughput[~np.isnan(cap_throughput)]
    qdec, q_rounded = decimals_needed(np.concatenate([need_qty, cap_qty, pin_qty, lot, throughput_given]))
    cost_values = [cap_cost]
    if policy.value_per_weighted_unit is not None:
        cost_values.append(np.array([policy.value_per_weighted_unit]))
    if policy.lateness_weight is not None:
        cost_values.append(np.array([policy.lateness_weight]))
    cdec, c_rounded = decimals_needed(np.concatenate(cost_values))
    if policy.distance_cost_per_km > 0:
        cdec = max(cdec, 2)
    if q_rounded:
        notes.append(f"quantities with more than {MAX_DECIMALS} decimals were rounded to {MAX_DECIMALS} decimals")
    if c_rounded:
        notes.append(f"costs with more than {MAX_DECIMALS} decimals were rounded to {MAX_DECIMALS} decimals")
    quantity_scale, cost_scale = 10**qdec, 10**cdec

    def scaled(values: np.ndarray, scale: int) -> np.ndarray:
        return np.rint(values * scale).astype(np.int64)

    need_quantity = scaled(need_qty, quantity_scale)
    cap_quantity = scaled(cap_qty, quantity_scale)
    if need_quantity.sum() > MAX_SCALED_TOTAL or cap_quantity.sum() > MAX_SCALED_TOTAL:
        raise InvalidInput("total quantities are too large to be represented exactly; use larger units")
    pin_need = np.array([row[0] for row in pin_rows], dtype=np.int64)
    pin_cap = np.array([row[1] for row in pin_rows], dtype=np.int64)
    pin_quantity = scaled(pin_qty, quantity_scale)
    pinned_per_need = np.bincount(pin_need, weights=pin_quantity, minlength=len(needs))
    pinned_per_cap = np.bincount(pin_cap, weights=pin_quantity, minlength=len(capacities))
    over_need = pinned_per_need > need_quantity
    over_cap = pinned_per_cap > cap_quantity
    if over_need.any():
        problems.append(f"pins give more than the needed quantity to: {_listed(need_ids, over_need)}")
    if over_cap.any():
        problems.append(f"pins take more than the offered quantity from: {_listed(cap_ids, over_cap)}")
    if problems:
        raise InvalidInput(problems)

    service_cap: list[int] = []
    service_area: list[int] = []
    index = area_index.index
    for j, cap in enumerate(capacities):
        for code in sorted(set(cap.service_pcodes)):
            service_cap.append(j)
            service_area.append(index[code])
    present_cap: list[int] = []
    present_area: list[int] = []
    for j, cap in enumerate(capacities):
        for code in sorted(set(cap.present_pcodes) | ({cap.origin_pcode} if cap.origin_pcode else set())):
            present_cap.append(j)
            present_area.append(index[code])
    forbidden_pairs = sorted(forbidden_reason)
    weights = np.array([0] + [policy.weight(p) for p in PRIORITIES], dtype=np.int64)
    return Problem(
        policy=policy,
        needs=needs,
        capacities=capacities,
        areas=area_index,
        type_names=type_names,
        org_names=org_names,
        quantity_scale=quantity_scale,
        cost_scale=cost_scale,
        need_area=np.array([index[n.pcode] for n in needs], dtype=np.int64),
        need_type=np.array([type_index[n.resource_type] for n in needs], dtype=np.int64),
        need_priority=need_priority,
        need_weight=weights[need_priority],
        need_start=need_start,
        need_end=need_end,
        need_quantity=need_quantity,
        cap_type=np.array([type_index[c.resource_type] for c in capacities], dtype=np.int64),
        cap_org=np.array([org_index[c.org] for c in capacities], dtype=np.int64),
        cap_quantity=cap_quantity,
        cap_unit_cost=scaled(cap_cost, cost_scale),
        cap_local=np.array([bool(c.is_local) for c in capacities], dtype=bool),
        cap_start=cap_start,
        cap_end=cap_end,
        cap_origin=np.array([index[c.origin_pcode] if c.origin_pcode else -1 for c in capacities], dtype=np.int64),
        # -1: no limit per period
        cap_throughput=np.where(
            np.isnan(cap_throughput), -1, np.rint(np.nan_to_num(cap_throughput) * quantity_scale)
        ).astype(np.int64),
        service_cap=np.array(service_cap, dtype=np.int64),
        service_area=np.array(service_area, dtype=np.int64),
        need_lead=need_lead,
        present_cap=np.array(present_cap, dtype=np.int64),
        present_area=np.array(present_area, dtype=np.int64),
        pin_need=pin_need,
        pin_cap=pin_cap,
        pin_quantity=pin_quantity,
        forbidden_need=np.array([p[0] for p in forbidden_pairs], dtype=np.int64),
        forbidden_cap=np.array([p[1] for p in forbidden_pairs], dtype=np.int64),
        forbidden_reason=forbidden_reason,
        declined_need=np.array([row[0] for row in declined], dtype=np.int64),
        declined_cap=np.array([row[1] for row in declined], dtype=np.int64),
        declined_day=np.array([row[2] for row in declined], dtype=np.int64),
        notes=notes,
    )
