"""Small builders for allocation-core tests: needs, capacities and a tiny area tree."""

from __future__ import annotations

from datetime import date

from coordhub.allocation.core import AdminArea, Capacity, Need

DAY = date(2025, 3, 1)

# Country XX; provinces XX1, XX2; districts XX11, XX12 under XX1 and XX21 under XX2.
AREAS = [
    AdminArea(pcode="XX", name="Country", level=0, lat=10.0, lon=40.0),
    AdminArea(pcode="XX1", parent_pcode="XX", name="North", level=1, lat=11.0, lon=40.0),
    AdminArea(pcode="XX2", parent_pcode="XX", name="South", level=1, lat=9.0, lon=40.0),
    AdminArea(pcode="XX11", parent_pcode="XX1", name="North-East", level=2, lat=11.0, lon=40.5),
    AdminArea(pcode="XX12", parent_pcode="XX1", name="North-West", level=2, lat=11.0, lon=39.5),
    AdminArea(pcode="XX21", parent_pcode="XX2", name="South-East", level=2, lat=9.0, lon=40.5),
]


def need(
    id: str,
    quantity: float = 10,
    *,
    pcode: str = "XX11",
    resource_type: str = "tent",
    priority: int = 3,
    start: date = DAY,
    end: date | None = None,
) -> Need:
    return Need(
        id=id, pcode=pcode, resource_type=resource_type, quantity=quantity, priority=priority, start=start, end=end
    )


def cap(
    id: str,
    quantity: float = 10,
    *,
    org: str = "ORG-A",
    resource_type: str = "tent",
    service: tuple[str, ...] = ("XX",),
    unit_cost: float = 1.0,
    is_local: bool = False,
    start: date = DAY,
    end: date | None = None,
) -> Capacity:
    return Capacity(
        id=id,
        org=org,
        org_type="NGO" if is_local else "INGO",
        is_local=is_local,
        resource_type=resource_type,
        quantity=quantity,
        unit_cost=unit_cost,
        service_pcodes=service,
        start=start,
        end=end,
    )


def assigned(result) -> dict[tuple[str, str], float]:
    """{(need id, capacity id): quantity} of a result."""
    return {(a.need_id, a.capacity_id): a.quantity for a in result.assignments}


def reasons(result, subject: str = "need") -> dict[str, str]:
    """{subject id: reason code} of a result's explanations."""
    return {e.subject_id: e.reason for e in result.explanations if e.subject == subject}
