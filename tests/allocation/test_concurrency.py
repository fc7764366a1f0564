"""Allocation writes at the same moment leave a consistent state (real concurrent transactions on PostgreSQL):
an assignment answered once, one latest published run, pins within the quantities, concurrent runs stored
side by side."""

from __future__ import annotations

import sqlalchemy as sa

from coordhub.allocation import operations as allocation_ops
from coordhub.allocation.models import (
    AllocationAssignment,
    AllocationPin,
    AllocationResponse,
    AllocationRun,
)
from coordhub.allocation.queries import latest_published_run
from coordhub.audit.models import AuditEntry
from coordhub.auth.models import User
from coordhub.errors import ValidationError
from coordhub.extensions import db
from coordhub.registry.models import Operation
from tests.allocation.helpers import assignment, make_scenario
from tests.concurrency import at_once


def _published_run(world) -> AllocationRun:
    run = allocation_ops.run_allocation(world.users["coordinator"], world.operation, {})
    return allocation_ops.publish_run(world.users["coordinator"], run)


def _respond(user_id: int, assignment_id: int, decision: str, reason: str = ""):
    def answer():
        return allocation_ops.respond(
            db.session.get(User, user_id), db.session.get(AllocationAssignment, assignment_id), decision, reason
        ).id

    return answer


def _publish(user_id: int, run_id: int):
    def publish():
        return allocation_ops.publish_run(db.session.get(User, user_id), db.session.get(AllocationRun, run_id)).id

    return publish


def test_an_assignment_is_answered_once(app, world):
    scenario = make_scenario(world)
    run = _published_run(world)
    target = assignment(run, scenario.high, scenario.ngo_classrooms)
    focal = world.users["focal"].id
    results = at_once(
        app,
        _respond(focal, target.id, "accepted"),
        _respond(focal, target.id, "declined", "no truck"),
        _respond(focal, target.id, "accepted"),
    )
    assert not [r for r in results if isinstance(r, Exception)], results
    responses = db.session.scalars(
        sa.select(AllocationResponse).where(AllocationResponse.assignment_id == target.id)
    ).all()
    assert len(responses) == 1 and set(results) == {responses[0].id}
    audits = db.session.scalar(
        sa.select(sa.func.count()).select_from(AuditEntry).where(AuditEntry.entity_type == "AllocationResponse")
    )
    assert audits == 3  # every answer is in the history, one after the other


def test_publishing_while_partners_answer_keeps_one_published_run(app, world):
    scenario = make_scenario(world)
    first = _published_run(world)
    second = allocation_ops.run_allocation(world.users["coordinator"], world.operation, {})
    target = assignment(first, scenario.high, scenario.ngo_classrooms)
    coordinator, focal = world.users["coordinator"].id, world.users["focal"].id
    results = at_once(
        app, _publish(coordinator, second.id), _respond(focal, target.id, "accepted"), _publish(coordinator, second.id)
    )
    assert results[0] == results[2] == second.id
    published = db.session.get(AllocationRun, second.id)
    assert latest_published_run(db.session.get(Operation, world.operation.id)).id == second.id
    publishes = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(AuditEntry)
        .where(
            AuditEntry.entity_type == "AllocationRun", AuditEntry.entity_id == second.id, AuditEntry.action == "update"
        )
    )
    assert publishes == 1  # the second publish saw the first one's stamp
    response = db.session.scalar(sa.select(AllocationResponse).where(AllocationResponse.assignment_id == target.id))
    if isinstance(results[1], ValidationError):  # the answer came after the new run was published
        assert response is None and "no longer the published allocation" in results[1].message
    else:  # the answer came first, while the first run was still the published one
        assert response is not None and response.responded_at <= published.published_at


def test_pins_at_once_never_give_a_need_more_than_it_asks(app, world):
    scenario = make_scenario(world)  # the Bozoum need asks for 10
    coordinator = world.users["coordinator"].id

    def pin(capacity_id: int, quantity: float):
        def work():
            return allocation_ops.pin_pair(
                db.session.get(User, coordinator),
                db.session.get(Operation, world.operation.id),
                scenario.high.id,
                capacity_id,
                quantity,
            ).id

        return work

    results = at_once(app, pin(scenario.ngo_classrooms.id, 8), pin(scenario.other_classrooms.id, 4))
    refused = [r for r in results if isinstance(r, ValidationError)]
    assert len(refused) == 1 and refused[0].field == "quantity", results
    pinned = db.session.scalar(
        sa.select(sa.func.sum(AllocationPin.quantity)).where(AllocationPin.need_id == scenario.high.id)
    )
    assert pinned <= 10


def test_two_runs_at_once_are_stored_side_by_side(app, world):
    scenario = make_scenario(world)
    coordinator = world.users["coordinator"].id

    def run(note: str):
        def work():
            return allocation_ops.run_allocation(
                db.session.get(User, coordinator), db.session.get(Operation, world.operation.id), {}, note
            ).id

        return work

    results = at_once(app, run("first"), run("second"))
    assert all(isinstance(r, int) for r in results), results
    for run_id in results:
        rows = db.session.scalars(sa.select(AllocationAssignment).where(AllocationAssignment.run_id == run_id)).all()
        used = sum(a.quantity for a in rows if a.capacity_id == scenario.ngo_classrooms.id)
        assert rows and used <= scenario.ngo_classrooms.quantity + 1e-9
    assert {db.session.get(AllocationRun, r).fingerprint for r in results} == {
        db.session.get(AllocationRun, results[0]).fingerprint
    }
