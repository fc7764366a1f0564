"""Needs met by results: which approved deliveries count against which need."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class NeedFacts:
    """A need as matching sees it: `area_path` is its admin area's path ('/CF/CF63/'), dates inclusive."""

    id: int
    resource_type: str
    area_path: str
    quantity: float
    priority: int
    start: date
    end: date | None


@dataclass(frozen=True)
class Delivery:
    """Units of a resource type delivered in an area (its path) during a period, by an approved report value;
    `need_id` when the report names the need it served."""

    resource_type: str
    area_path: str
    quantity: float
    start: date
    end: date
    need_id: int | None = None


def _matches(need: NeedFacts, delivery: Delivery) -> bool:
    return (
        need.resource_type == delivery.resource_type
        and delivery.area_path.startswith(need.area_path)
        and delivery.start <= (need.end or date.max)
        and delivery.end >= need.start
    )


def distribute(needs: Sequence[NeedFacts], deliveries: Iterable[Delivery]) -> dict[int, float]:
    """Delivered quantity per need id (every need present, at most its quantity).

    A delivery that names its need counts against that need (up to the need's quantity; the rest is matched like
    an unnamed one). Unnamed deliveries (and the rest) go to the needs of the same resource type whose area
    contains the delivery's area and whose dates meet its period, most urgent first (priority 1 first, then the
    most specific area, then the need id), each need taking at most what is still open; what no need takes is
    left over (not counted)."""
    open_quantity = {need.id: need.quantity for need in needs}
    by_id = {need.id: need for need in needs}
    ranked = sorted(needs, key=lambda n: (n.priority, -len(n.area_path), n.id))
    rest: list[tuple[Delivery, float]] = []
    for delivery in deliveries:
        amount = delivery.quantity
        if amount <= 0:
            continue
        if delivery.need_id in by_id:
            taken = min(amount, open_quantity[delivery.need_id])
            open_quantity[delivery.need_id] -= taken
            amount -= taken
        if amount > 0:
            rest.append((delivery, amount))
    for delivery, amount in rest:
        for need in ranked:
            if amount <= 0:
                break
            if open_quantity[need.id] > 0 and _matches(need, delivery):
                taken = min(amount, open_quantity[need.id])
                open_quantity[need.id] -= taken
                amount -= taken
    return {need.id: need.quantity - open_quantity[need.id] for need in needs}
