"""A small allocation scenario on the test world (CAR: CF63 with Bozoum CF632 and Bocaranga CF633, CF71 with
Bria CF711), with a known optimum:

* classrooms: NGOA offers 12 in CF63 at 100, NGOB 4 in Bozoum only at 50. The priority-5 need in Bozoum (10)
  takes NGOB's 4 and 6 of NGOA's; the priority-1 need in Bocaranga (10) gets NGOA's other 6 (short by 4, the
  capacity went to the higher-priority need); nothing serves Bria (short by 5).
* victim case management (sensitive need of the prefecture): NGOA offers 3 in CF63 for a need of 2.
"""

from __future__ import annotations

import contextvars
from dataclasses import dataclass

import sqlalchemy as sa

from coordhub.allocation.models import AllocationAssignment, AllocationRun
from coordhub.extensions import db
from coordhub.registry.models import Capacity, Need
from tests import factories


@dataclass
class Scenario:
    high: Need
    low: Need
    far: Need
    sensitive: Need
    ngo_classrooms: Capacity
    other_classrooms: Capacity
    ngo_cases: Capacity


def make_scenario(world) -> Scenario:
    op, local = world.operation, world.local_authority
    return Scenario(
        high=factories.make_need(op, local, "CF632", title="Classrooms Bozoum", quantity=10.0, priority=5),
        low=factories.make_need(op, local, "CF633", title="Classrooms Bocaranga", quantity=10.0, priority=1),
        far=factories.make_need(op, local, "CF711", title="Classrooms Bria", quantity=5.0, priority=3),
        sensitive=factories.make_need(
            op,
            local,
            "CF633",
            "PROT-VICTIM-CASE",
            title="Survivors of the March attack",
            quantity=2.0,
            priority=4,
            sensitive=True,
        ),
        ngo_classrooms=factories.make_capacity(
            op, world.ngo, ("CF63",), title="NGOA classroom teams", quantity=12.0, unit_cost=100.0
        ),
        other_classrooms=factories.make_capacity(
            op, world.other_ngo, ("CF632",), title="NGOB classroom team", quantity=4.0, unit_cost=50.0
        ),
        ngo_cases=factories.make_capacity(
            op, world.ngo, ("CF63",), "PROT-VICTIM-CASE", title="NGOA case workers", quantity=3.0, unit_cost=20.0
        ),
    )


def quantities(run: AllocationRun) -> dict[tuple[int, int], float]:
    """(need id, capacity id) -> quantity of a stored run."""
    return {
        (a.need_id, a.capacity_id): a.quantity
        for a in db.session.scalars(sa.select(AllocationAssignment).where(AllocationAssignment.run_id == run.id))
    }


def latest_run() -> AllocationRun:
    return db.session.scalar(sa.select(AllocationRun).order_by(AllocationRun.id.desc()).limit(1))


def assignment(run: AllocationRun, need: Need, capacity: Capacity) -> AllocationAssignment:
    return db.session.scalar(
        sa.select(AllocationAssignment).where(
            AllocationAssignment.run_id == run.id,
            AllocationAssignment.need_id == need.id,
            AllocationAssignment.capacity_id == capacity.id,
        )
    )


# The new-run form as a browser sends it with the default settings.
DEFAULT_FORM = {
    "mode": "weights",
    "weight_5": "16",
    "weight_4": "8",
    "weight_3": "4",
    "weight_2": "2",
    "weight_1": "1",
    "distance_cost_per_km": "0",
    "budget_caps": "",
    "min_admin1_coverage": "0",
    "min_local_share": "0",
    "min_lot_size": "0",
    "time_limit_seconds": "20",
}


def run_from_form(client, **changes) -> AllocationRun:
    """Post the new-run form (signed-in client) and return the stored run."""
    response = client.post("/allocations/new", data={**DEFAULT_FORM, **changes})
    assert response.status_code == 302, response.get_data(as_text=True)
    return latest_run()


def body_after_request(response) -> str:
    """A streamed response's body read as a server sends it: after the request, its app context and its
    database session have ended (here: in a fresh context, where no app context exists)."""
    return contextvars.Context().run(response.get_data, as_text=True).lstrip("\ufeff")
