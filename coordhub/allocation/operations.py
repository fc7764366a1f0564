"""The only code that changes allocation data: runs (computed and stored in one transaction), publishing, pins,
forbidden pairs and partners' responses. Each checks rights, validates, writes, records the audit entry."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

import numpy as np
import sqlalchemy as sa
from flask_babel import gettext as _

from coordhub.allocation import core
from coordhub.allocation.core.messages import number
from coordhub.allocation.inputs import (
    RunInput,
    capacity_key,
    clean_settings,
    core_plan,
    core_policy,
    need_key,
    read_input,
    record_id,
)
from coordhub.allocation.models import (
    AccessLevel,
    AllocationAssignment,
    AllocationExplanation,
    AllocationForbiddenPair,
    AllocationPin,
    AllocationResponse,
    AllocationRun,
    AreaAccess,
    Decision,
    RunStatus,
)
from coordhub.allocation.rights import can_manage_allocations, can_respond
from coordhub.audit.models import AuditAction, record
from coordhub.auth.models import User
from coordhub.database import utcnow
from coordhub.errors import NotFound, PermissionDenied, ValidationError
from coordhub.extensions import db
from coordhub.locks import lock_operation
from coordhub.notifications import events as notifications
from coordhub.registry.models import AdminArea, Capacity, Need, Operation

Progress = Callable[[float, str], None]
MAX_REASON = 500


def require_manager(user: User | None, operation: Operation) -> None:
    """`user` None is the command line (trusted)."""
    if user is not None and not can_manage_allocations(user, operation):
        raise PermissionDenied(
            _("Only coordinators and administrators of %(name)s manage allocations.", name=operation.name)
        )


# --- running ----------------------------------------------------------------------------------------


def run_allocation(
    user: User | None,
    operation: Operation,
    settings: Mapping[str, Any],
    note: str = "",
    *,
    progress: Progress | None = None,
    job_id: str | None = None,
) -> AllocationRun:
    """Allocate the operation's capacities to its needs with the policy `settings` (see inputs.clean_settings),
    the current pins and forbidden pairs; store the run with its assignments and explanations and commit.

    Raises PermissionDenied, or ValidationError when the settings or the data cannot be allocated."""
    require_manager(user, operation)
    settings = clean_settings(settings, operation)
    note = (note or "").strip()
    if len(note) > 300:
        raise ValidationError(_("At most 300 characters."), "note")
    started = utcnow()
    run_input = read_input(operation)
    pins, forbidden, notes = _constraints(operation, run_input)
    try:
        result = core.allocate(
            run_input.needs,
            run_input.capacities,
            areas=run_input.areas,
            policy=core_policy(settings, run_input),
            pins=pins,
            forbidden=forbidden,
            progress=progress,
            access=run_input.access,
            plan=core_plan(settings),
        )
    except core.InvalidInput as error:
        raise ValidationError(
            _("The allocation cannot run: %(problems)s", problems="; ".join(error.problems))
        ) from None
    if run_input.delivered > 0:
        notes.insert(
            0,
            _(
                "Delivered work counted: %(units)s units that approved results delivered against "
                "%(needs)d needs were deducted from what is still open.",
                units=number(run_input.delivered),
                needs=run_input.delivered_needs,
            ),
        )
    run = _store(
        user,
        operation,
        run_input,
        result,
        settings=settings,
        pins=pins,
        forbidden=forbidden,
        notes=notes + list(result.notes),
        note=note,
        started=started,
        job_id=job_id,
    )
    db.session.commit()
    return run


def _constraints(
    operation: Operation, run_input: RunInput
) -> tuple[list[core.Pin], list[core.ForbiddenPair], list[str]]:
    """The operation's pins and forbidden pairs as the core takes them. A pin that no longer fits (its need
    was closed or archived, the pair no longer matches, or earlier pins already take the quantity) is left out
    with a note, so that one stale pin cannot stop every run."""
    need_left = {record_id(n.id): n.quantity for n in run_input.needs}
    capacity_left = {record_id(c.id): c.quantity for c in run_input.capacities}
    pins, notes, pinned = [], [], set()
    for pin in db.session.scalars(
        sa.select(AllocationPin).where(AllocationPin.operation_id == operation.id).order_by(AllocationPin.id)
    ):
        problem = None
        if pin.need_id not in need_left or pin.capacity_id not in capacity_left:
            problem = _("the need is closed or archived, or the capacity archived")
        else:
            problem = pair_problem(pin.need, pin.capacity)
            if problem is None and (
                pin.quantity > need_left[pin.need_id] + 1e-9 or pin.quantity > capacity_left[pin.capacity_id] + 1e-9
            ):
                problem = _("earlier pins already take that quantity")
        if problem is not None:
            notes.append(
                _(
                    "The pin of %(quantity)s from “%(capacity)s” to “%(need)s” was left out: %(problem)s.",
                    quantity=number(pin.quantity),
                    capacity=pin.capacity.title,
                    need=pin.need.title,
                    problem=problem,
                )
            )
            continue
        need_left[pin.need_id] -= pin.quantity
        capacity_left[pin.capacity_id] -= pin.quantity
        pinned.add((pin.need_id, pin.capacity_id))
        pins.append(
            core.Pin(need_id=need_key(pin.need_id), capacity_id=capacity_key(pin.capacity_id), quantity=pin.quantity)
        )
    forbidden = [
        core.ForbiddenPair(
            need_id=need_key(pair.need_id),
            capacity_id=capacity_key(pair.capacity_id),
            reason=pair.reason,
            period=pair.period,
        )
        for pair in db.session.scalars(
            sa.select(AllocationForbiddenPair)
            .where(AllocationForbiddenPair.operation_id == operation.id)
            .order_by(AllocationForbiddenPair.id)
        )
        if ((pair.need_id, pair.capacity_id) not in pinned or pair.period is not None)
        and pair.need_id in need_left
        and pair.capacity_id in capacity_left
    ]
    return pins, forbidden, notes


def _rounded(value: float) -> float:
    return round(value, 6)


def coverage_figures(run_input: RunInput, result: core.AllocationResult) -> dict[str, Any]:
    """{overall, weighted: [needed, met]; by_sector, by_resource_type, by_admin1, by_area: {key: [needed, met]}}."""
    facts = list(run_input.need_facts.values())
    needed = np.array([fact.quantity for fact in facts], dtype=np.float64)
    met = np.array([result.met.get(need_key(need_id), 0.0) for need_id in run_input.need_facts], dtype=np.float64)
    figures: dict[str, Any] = {}
    for group, attribute in (
        ("by_sector", "sector"),
        ("by_resource_type", "resource_type"),
        ("by_admin1", "admin1"),
        ("by_area", "pcode"),
    ):
        cells = core.grouped_coverage([getattr(fact, attribute) for fact in facts], needed, met)
        figures[group] = {key: [_rounded(cell.needed), _rounded(cell.met)] for key, cell in cells.items()}
    coverage = result.coverage
    figures["overall"] = [_rounded(coverage.overall.needed), _rounded(coverage.overall.met)]
    figures["weighted"] = [_rounded(coverage.weighted.needed), _rounded(coverage.weighted.met)]
    figures["fully_met"] = [int(coverage.fully_met.needed), int(coverage.fully_met.met)]
    figures["priority_share"] = [_rounded(coverage.priority_share.needed), _rounded(coverage.priority_share.met)]
    if coverage.by_period:
        figures["by_period"] = {day: [_rounded(f.needed), _rounded(f.met)] for day, f in coverage.by_period.items()}
        by_type: dict[str, dict[str, list[float]]] = {}
        for (day, kind), f in coverage.by_period_and_type.items():
            by_type.setdefault(kind, {})[day] = [_rounded(f.needed), _rounded(f.met)]
        figures["by_period_and_type"] = by_type
    return figures


def _store(
    user: User | None,
    operation: Operation,
    run_input: RunInput,
    result: core.AllocationResult,
    *,
    settings: dict,
    pins: list[core.Pin],
    forbidden: list[core.ForbiddenPair],
    notes: list[str],
    note: str,
    started,
    job_id: str | None,
) -> AllocationRun:
    coverage = coverage_figures(run_input, result)
    run = AllocationRun(
        operation_id=operation.id,
        created_by_id=getattr(user, "id", None),
        started_at=started,
        created_at=utcnow(),
        note=note,
        policy=settings,
        fingerprint=result.fingerprint,
        status=RunStatus(str(result.status)),
        pins=[[record_id(p.need_id), record_id(p.capacity_id), p.quantity] for p in pins],
        forbidden=[
            [record_id(f.need_id), record_id(f.capacity_id)] + ([f.period.isoformat()] if f.period else [])
            for f in forbidden
        ],
        engine=result.engine,
        objective=result.objective,
        weighted_units=result.weighted_units,
        cost=result.cost,
        bound=result.bound,
        gap=result.gap,
        need_count=len(run_input.needs),
        capacity_count=len(run_input.capacities),
        units_needed=coverage["overall"][0],
        units_met=coverage["overall"][1],
        weighted_needed=coverage["weighted"][0],
        weighted_met=coverage["weighted"][1],
        coverage=coverage,
        seconds=result.seconds,
        timings={name: round(seconds, 6) for name, seconds in result.timings.items()},
        notes=notes,
        job_id=job_id,
        period_kind=settings.get("periods") or "",
        periods=[day.isoformat() for day in result.periods],
        access=[
            [
                rule.pcode,
                str(rule.level),
                rule.start.isoformat(),
                rule.end.isoformat() if rule.end else None,
                ";".join(rule.clearances),
            ]
            for rule in run_input.access
        ],
    )
    db.session.add(run)
    db.session.flush()
    organisation_of = run_input.capacity_organisation
    rows = [
        {
            "run_id": run.id,
            "need_id": record_id(a.need_id),
            "capacity_id": record_id(a.capacity_id),
            "organisation_id": organisation_of[record_id(a.capacity_id)],
            "quantity": a.quantity,
            "unit_cost": a.unit_cost,
            "cost": a.cost,
            "pinned": a.pinned,
            "period": a.period,
        }
        for a in result.assignments
    ]
    if rows:
        db.session.execute(sa.insert(AllocationAssignment.__table__), rows)
    explanations = []
    for e in result.explanations:
        related_needs = [record_id(k) for k in e.related_ids if k.startswith("N")]
        related_capacities = [record_id(k) for k in e.related_ids if k.startswith("C")]
        subject_id = record_id(e.subject_id)
        explanations.append(
            {
                "run_id": run.id,
                "subject": e.subject,
                "need_id": subject_id if e.subject == "need" else None,
                "capacity_id": subject_id if e.subject == "capacity" else None,
                "reason": e.reason,
                "text": e.text,
                "quantity": e.quantity,
                "related_need_ids": related_needs,
                "related_capacity_ids": related_capacities,
                "params": dict(e.params),
            }
        )  # the core gives JSON-ready facts: rendered in the reader's language
    if explanations:
        db.session.execute(sa.insert(AllocationExplanation.__table__), explanations)
    record(
        user,
        AuditAction.create,
        run,
        {
            "status": [None, run.status.value],
            "units_met": [None, run.units_met],
            "cost": [None, run.cost],
            "assignments": [None, len(rows)],
            "fingerprint": [None, run.fingerprint],
        },
        summary=_("Allocation run %(id)s (%(status)s)", id=run.id, status=run.status.value),
    )
    return run


# --- publishing -----------------------------------------------------------------------------------


def publish_run(user: User, run: AllocationRun) -> AllocationRun:
    """Show the run's assignments to the partners (it becomes the latest published run). Commits.

    Publishing, answering and pinning hold the operation's row lock: one of them at a time per operation, each
    seeing what the previous one committed (two publishes at once stamp one after the other)."""
    require_manager(user, run.operation)
    lock_operation(run.operation_id)
    if run.status is RunStatus.infeasible:
        raise ValidationError(_("An infeasible run cannot be published: relax the policy and run again."))
    if run.withdrawn:
        raise ValidationError(
            _("This run's publication was withdrawn: it cannot be published again. Run again and publish the new run.")
        )
    if run.published:
        return run
    run.published_at, run.published_by_id = utcnow(), user.id
    record(
        user,
        AuditAction.update,
        run,
        {"published": [False, True]},
        summary=_("Allocation run %(id)s published", id=run.id),
    )
    notifications.run_published(run, user)
    db.session.commit()
    return run


def withdraw_publication(user: User, run: AllocationRun, reason: str = "") -> AllocationRun:
    """Take back the publication of the current run: partners no longer see it nor answer it, and no run is
    current until another is published. Partners' answers are kept (shown as given before the withdrawal), and
    so are the exclusions their declines created. Commits."""
    from coordhub.allocation.queries import latest_published_run

    require_manager(user, run.operation)
    lock_operation(run.operation_id)
    reason = (reason or "").strip()
    if len(reason) > MAX_REASON:
        raise ValidationError(_("At most %(n)d characters.", n=MAX_REASON), "reason")
    if not run.published:
        raise ValidationError(_("This run is not published."))
    if run.withdrawn:
        return run
    if latest_published_run(run.operation) is not run:
        raise ValidationError(_("Only the current publication can be withdrawn: a later run was published since."))
    run.withdrawn_at, run.withdrawn_by_id, run.withdrawal_reason = utcnow(), user.id, reason
    record(
        user,
        AuditAction.update,
        run,
        {"withdrawn": [False, True], "withdrawal_reason": [None, reason]},
        operation_id=run.operation_id,
        summary=_("Publication of allocation run %(id)s withdrawn", id=run.id),
    )
    db.session.commit()
    return run


# --- pins and forbidden pairs -----------------------------------------------------------------------


def pair_problem(need: Need, capacity: Capacity) -> str | None:
    """Why the capacity cannot serve the need (type, area, dates, archived), or None."""
    if need.archived or capacity.archived:
        return _("the need or the capacity is archived")
    if need.resource_type_id != capacity.resource_type_id:
        return _(
            "the capacity offers %(offered)s, the need asks for %(asked)s",
            offered=capacity.resource_type.name,
            asked=need.resource_type.name,
        )
    if not any(area.covers(need.area) for area in capacity.areas):
        return _("the capacity does not serve %(area)s", area=need.area.label)
    if (capacity.end_date is not None and capacity.end_date < need.start_date) or (
        need.end_date is not None and need.end_date < capacity.start_date
    ):
        return _("their time windows do not overlap")
    return None


def _pair(operation: Operation, need_id: int, capacity_id: int) -> tuple[Need, Capacity]:
    need, capacity = db.session.get(Need, need_id), db.session.get(Capacity, capacity_id)
    if need is None or capacity is None or need.operation_id != operation.id or capacity.operation_id != operation.id:
        raise NotFound(_("No such need or capacity in this operation."))
    return need, capacity


def _pair_row(kind: type, operation: Operation, need_id: int, capacity_id: int, period: date | None = None):
    """The pin or exclusion of a pair (an exclusion of every period, or of the one period given)."""
    query = sa.select(kind).where(
        kind.operation_id == operation.id, kind.need_id == need_id, kind.capacity_id == capacity_id
    )
    if kind is AllocationForbiddenPair:
        query = query.where(
            AllocationForbiddenPair.period.is_(None) if period is None else AllocationForbiddenPair.period == period
        )
    return db.session.scalar(query)


def _delete_pin(user: User | None, pin: AllocationPin, why: str) -> None:
    record(user, AuditAction.delete, pin, {"quantity": [pin.quantity, None]}, summary=why)
    db.session.delete(pin)


def _delete_forbidden(user: User | None, pair: AllocationForbiddenPair, why: str) -> None:
    record(user, AuditAction.delete, pair, {"reason": [pair.reason, None]}, summary=why)
    db.session.delete(pair)


def pin_pair(
    user: User, operation: Operation, need_id: int, capacity_id: int, quantity: float, note: str = ""
) -> AllocationPin:
    """Fix `quantity` units of the capacity for the need in every later run (replacing a pin of the same pair
    and a coordinator's exclusion of it). Commits."""
    require_manager(user, operation)
    lock_operation(operation.id)
    need, capacity = _pair(operation, need_id, capacity_id)
    problem = pair_problem(need, capacity)
    if problem is not None:
        raise ValidationError(_("This pair cannot be pinned: %(problem)s.", problem=problem))
    if isinstance(quantity, bool) or not isinstance(quantity, (int, float)) or not 0 < quantity < float("inf"):
        raise ValidationError(_("The quantity must be greater than zero."), "quantity")
    pin = _pair_row(AllocationPin, operation, need_id, capacity_id)
    others = db.session.execute(
        sa.select(
            sa.func.coalesce(
                sa.func.sum(sa.case((AllocationPin.need_id == need_id, AllocationPin.quantity), else_=0)), 0
            ),
            sa.func.coalesce(
                sa.func.sum(sa.case((AllocationPin.capacity_id == capacity_id, AllocationPin.quantity), else_=0)), 0
            ),
        ).where(AllocationPin.operation_id == operation.id, AllocationPin.id != (pin.id if pin else 0))
    ).one()
    if quantity > need.quantity - others[0] + 1e-9:
        raise ValidationError(
            _("Pins would give this need more than the %(quantity)s it asks for.", quantity=number(need.quantity)),
            "quantity",
        )
    if quantity > capacity.quantity - others[1] + 1e-9:
        raise ValidationError(
            _("Pins would take more than the %(quantity)s this capacity offers.", quantity=number(capacity.quantity)),
            "quantity",
        )
    forbidden = _pair_row(AllocationForbiddenPair, operation, need_id, capacity_id)
    if forbidden is not None:
        if forbidden.from_decline:
            raise ValidationError(
                _("%(org)s declined this assignment: it cannot be pinned.", org=capacity.organisation.label)
            )
        _delete_forbidden(user, forbidden, _("Exclusion replaced by a pin"))
    old = pin.quantity if pin else None
    if pin is None:
        pin = AllocationPin(operation_id=operation.id, need_id=need_id, capacity_id=capacity_id, created_by_id=user.id)
        db.session.add(pin)
    pin.quantity, pin.note = float(quantity), (note or "").strip()[:300]
    db.session.flush()
    record(
        user,
        AuditAction.create if old is None else AuditAction.update,
        pin,
        {"quantity": [old, pin.quantity]},
        summary=_("Pinned %(capacity)s to %(need)s", capacity=capacity.title, need=need.title),
        operation_id=operation.id,
    )
    db.session.commit()
    return pin


def forbid_pair(
    user: User, operation: Operation, need_id: int, capacity_id: int, reason: str = ""
) -> AllocationForbiddenPair:
    """Keep later runs from using the pair (removes a pin of it). Commits."""
    require_manager(user, operation)
    lock_operation(operation.id)
    need, capacity = _pair(operation, need_id, capacity_id)
    reason = (reason or "").strip() or _("excluded by a coordinator")
    if len(reason) > MAX_REASON:
        raise ValidationError(_("At most %(n)d characters.", n=MAX_REASON), "reason")
    pin = _pair_row(AllocationPin, operation, need_id, capacity_id)
    if pin is not None:
        _delete_pin(user, pin, _("Pin replaced by an exclusion"))
    pair = _pair_row(AllocationForbiddenPair, operation, need_id, capacity_id)
    if pair is None:
        pair = AllocationForbiddenPair(
            operation_id=operation.id, need_id=need_id, capacity_id=capacity_id, created_by_id=user.id
        )
        db.session.add(pair)
    pair.reason = reason
    db.session.flush()
    record(
        user,
        AuditAction.create,
        pair,
        {"reason": [None, reason]},
        operation_id=operation.id,
        summary=_("Excluded %(capacity)s for %(need)s", capacity=capacity.title, need=need.title),
    )
    db.session.commit()
    return pair


def remove_pin(user: User, pin: AllocationPin) -> None:
    operation = db.session.get(Operation, pin.operation_id)
    require_manager(user, operation)
    _delete_pin(user, pin, _("Pin removed"))
    db.session.commit()


def remove_forbidden(user: User, pair: AllocationForbiddenPair) -> None:
    """Allow the pair again (a partner's decline too: the coordinator has agreed it with them)."""
    operation = db.session.get(Operation, pair.operation_id)
    require_manager(user, operation)
    _delete_forbidden(user, pair, _("Exclusion removed"))
    db.session.commit()


# --- partners' responses ----------------------------------------------------------------------------


def respond(
    user: User, assignment: AllocationAssignment, decision: Decision | str, reason: str = ""
) -> AllocationResponse:
    """A partner accepts or declines (with a reason) an assignment of the latest published run. A decline
    forbids the pair for the next runs (and lifts a pin of it); accepting after a decline lifts that again.
    An assignment of a plan is one period's part: its decline forbids the pair in that period only (the next
    plans use the pair in the other periods). Commits."""
    from coordhub.allocation.queries import latest_published_run

    lock_operation(assignment.run.operation_id)  # then the answer and the published run are read as committed
    run = assignment.run
    operation = run.operation
    if not can_respond(user, operation, assignment.organisation_id):
        raise PermissionDenied(_("Only %(org)s answers for this assignment.", org=assignment.organisation.label))
    if not run.published or latest_published_run(operation) is not run:
        raise ValidationError(_("This run is no longer the published allocation."))
    try:
        decision = Decision(decision)
    except ValueError:
        raise ValidationError(_("Choose accept or decline."), "decision") from None
    reason = (reason or "").strip()
    if decision is Decision.declined and not reason:
        raise ValidationError(_("Say why you decline."), "reason")
    if len(reason) > MAX_REASON:
        raise ValidationError(_("At most %(n)d characters.", n=MAX_REASON), "reason")
    response = assignment.response
    old = response.decision.value if response else None
    if response is None:
        response = AllocationResponse(assignment_id=assignment.id)
        db.session.add(response)
    response.decision, response.reason, response.user_id, response.responded_at = decision, reason, user.id, utcnow()
    db.session.flush()
    period = assignment.period
    pair = _pair_row(AllocationForbiddenPair, operation, assignment.need_id, assignment.capacity_id, period)
    if decision is Decision.declined:
        pin = _pair_row(AllocationPin, operation, assignment.need_id, assignment.capacity_id)
        if pin is not None:
            _delete_pin(user, pin, _("Pin lifted: the partner declined"))
        if pair is None:
            pair = AllocationForbiddenPair(
                operation_id=operation.id,
                need_id=assignment.need_id,
                capacity_id=assignment.capacity_id,
                period=period,
                created_by_id=user.id,
            )
            db.session.add(pair)
        pair.reason = _("declined by %(org)s: %(reason)s", org=assignment.organisation.label, reason=reason)[
            :MAX_REASON
        ]
        pair.response_id = response.id
    elif pair is not None and pair.response_id == response.id:
        _delete_forbidden(user, pair, _("Exclusion lifted: the partner accepted"))
    record(
        user,
        AuditAction.create if old is None else AuditAction.update,
        response,
        {"decision": [old, decision.value], "reason": [None, reason]}
        | ({"period": [None, period.isoformat()]} if period else {}),
        operation_id=operation.id,
        summary=_(
            "%(org)s %(decision)s an assignment of run %(id)s",
            org=assignment.organisation.label,
            decision=decision.value,
            id=run.id,
        )
        if period is None
        else _(
            "%(org)s %(decision)s the part of an assignment of run %(id)s in the period from %(period)s",
            org=assignment.organisation.label,
            decision=decision.value,
            id=run.id,
            period=period.isoformat(),
        ),
    )
    if decision is Decision.declined:
        notifications.assignment_declined(assignment, user, reason)
    db.session.commit()
    return response


# --- access (security assessments) ------------------------------------------------------------------


def _clearances(text: str) -> str:
    return ";".join(
        sorted({part.strip().lower() for part in (text or "").replace(",", ";").split(";") if part.strip()})
    )


def _checked_access(
    operation: Operation, area_id: int | None, level: str, start, end, clearances: str, note: str
) -> dict:
    area = db.session.get(AdminArea, area_id) if area_id else None
    if area is None or area.operation_id != operation.id:
        raise ValidationError(_("This admin area is not part of the operation."), "admin_area_id")
    try:
        level = AccessLevel(level)
    except ValueError:
        raise ValidationError(_("Choose open, restricted or no-go."), "level") from None
    if start is None:
        raise ValidationError(_("Enter the first day."), "start_date")
    if end is not None and end < start:
        raise ValidationError(_("The end date must be on or after the start date."), "end_date")
    clearances = _clearances(clearances)
    if level is AccessLevel.restricted and not clearances:
        raise ValidationError(_("Name the clearances that may serve a restricted area."), "clearances")
    if len(clearances) > 200:
        raise ValidationError(_("At most 200 characters."), "clearances")
    note = (note or "").strip()
    if len(note) > 300:
        raise ValidationError(_("At most 300 characters."), "note")
    return {
        "admin_area_id": area.id,
        "level": level,
        "start_date": start,
        "end_date": end,
        "clearances": clearances if level is AccessLevel.restricted else "",
        "note": note,
    }


def _add_access(user: User | None, operation: Operation, values: dict) -> AreaAccess:
    rule = AreaAccess(operation_id=operation.id, created_by_id=getattr(user, "id", None), **values)
    db.session.add(rule)
    db.session.flush()
    record(
        user,
        AuditAction.create,
        rule,
        {
            "level": [None, rule.level.value],
            "clearances": [None, rule.clearances],
            "start_date": [None, rule.start_date.isoformat()],
        },
        operation_id=operation.id,
        summary=_("Access of %(area)s set to %(level)s", area=rule.area.label, level=rule.level.value),
    )
    return rule


def set_area_access(
    user: User,
    operation: Operation,
    area_id: int | None,
    level: str,
    start,
    end=None,
    clearances: str = "",
    note: str = "",
) -> AreaAccess:
    """Record a security assessment: the area (and every area below it) is open, restricted to the clearances
    named, or no-go from `start` to `end` (None: until further notice). Commits."""
    require_manager(user, operation)
    rule = _add_access(user, operation, _checked_access(operation, area_id, level, start, end, clearances, note))
    db.session.commit()
    return rule


def remove_area_access(user: User, rule: AreaAccess) -> None:
    operation = db.session.get(Operation, rule.operation_id)
    require_manager(user, operation)
    record(
        user,
        AuditAction.delete,
        rule,
        {"level": [rule.level.value, None]},
        operation_id=operation.id,
        summary=_("Access assessment of %(area)s removed", area=rule.area.label),
    )
    db.session.delete(rule)
    db.session.commit()


def import_area_access(user: User, operation: Operation, source, label: str) -> list[AreaAccess]:
    """Add every assessment of a CSV file (pcode, level, start, end, clearance), read by the allocation core's
    file reader; all or nothing. Raises ValidationError naming the row and column of every problem. Commits."""
    from coordhub.allocation.core.files import FileError, read_access

    require_manager(user, operation)
    try:
        rules = read_access(source, label)
    except FileError as error:
        raise ValidationError("; ".join(str(p) for p in error.problems[:10]), "file") from None
    areas = dict(
        db.session.execute(sa.select(AdminArea.pcode, AdminArea.id).where(AdminArea.operation_id == operation.id)).all()
    )
    unknown = sorted({rule.pcode for rule in rules if rule.pcode not in areas})
    if unknown:
        raise ValidationError(_("Unknown P-codes in this operation: %(codes)s.", codes=", ".join(unknown[:20])), "file")
    added = [
        _add_access(
            user,
            operation,
            _checked_access(
                operation, areas[rule.pcode], str(rule.level), rule.start, rule.end, ";".join(rule.clearances), label
            ),
        )
        for rule in rules
    ]
    db.session.commit()
    return added
