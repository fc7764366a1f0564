"""/api/v1/allocation-runs: list, read, run, publish, and partners' answers, with their part of the OpenAPI
description. The same operations as the pages; runs started here are computed within the request."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import current_app, jsonify, request, url_for

from coordhub.allocation import jobs as allocation_jobs
from coordhub.allocation import operations as allocation_ops
from coordhub.allocation import present, queries
from coordhub.allocation.inputs import (
    MAX_AMOUNT,
    MAX_DISTANCE_COST,
    MAX_QUANTITY,
    MAX_TIME_LIMIT,
    MAX_WEIGHT,
    clean_settings,
    pair_count,
)
from coordhub.allocation.models import (
    AllocationAssignment,
    AllocationExplanation,
    AllocationRun,
    Decision,
    RunStatus,
)
from coordhub.allocation.rights import can_manage_allocations
from coordhub.api.core import api_route, json_body, operation_for, paginate
from coordhub.api.openapi import AREA, EXTRA_PATHS, EXTRA_SCHEMAS, ID, PAGING, _error_responses, _json, _page, _ref
from coordhub.auth import rights
from coordhub.errors import NotFound, ValidationError
from coordhub.extensions import db
from coordhub.jobs.api import ACCEPTED, job_accepted
from coordhub.jobs.runner import start_job


def _stamp(value) -> str | None:
    return value.isoformat() + "Z" if value else None


def _figure(cell: list[float]) -> dict[str, float]:
    needed, met = cell
    return {"needed": needed, "met": met, "share": met / needed if needed > 0 else 1.0}


def _policy_out(settings: dict) -> dict[str, Any]:
    return {
        **settings,
        "budget_caps": [
            {"organisation_id": int(oid), "amount": amount} for oid, amount in settings.get("budget_caps", {}).items()
        ],
    }


def _policy_in(body: Any) -> dict[str, Any]:
    """The JSON policy (budget caps as a list of {organisation_id, amount}) as inputs.clean_settings takes it."""
    if not isinstance(body, dict):
        raise ValidationError("policy must be an object.", "policy")
    settings = dict(body)
    caps = settings.pop("budget_caps", None)
    if caps is not None:
        if not isinstance(caps, list):
            raise ValidationError("budget_caps must be a list of {organisation_id, amount}.", "budget_caps")
        mapped = {}
        for cap in caps:
            if (
                not isinstance(cap, dict)
                or set(cap) != {"organisation_id", "amount"}
                or not isinstance(cap["organisation_id"], int)
                or isinstance(cap["organisation_id"], bool)
            ):
                raise ValidationError("budget_caps must be a list of {organisation_id, amount}.", "budget_caps")
            mapped[str(cap["organisation_id"])] = cap["amount"]
        settings["budget_caps"] = mapped
    return settings


def serialise_run(run: AllocationRun, user, full: bool = False) -> dict[str, Any]:
    manager = can_manage_allocations(user, run.operation)
    coverage = run.coverage
    body: dict[str, Any] = {
        "id": run.id,
        "operation_id": run.operation_id,
        "status": run.status.value,
        "engine": run.engine,
        "note": run.note,
        "started_at": _stamp(run.started_at),
        "created_at": _stamp(run.created_at),
        "created_by_id": run.created_by_id,
        "published": run.published,
        "published_at": _stamp(run.published_at),
        "withdrawn": run.withdrawn,
        "withdrawn_at": _stamp(run.withdrawn_at),
        "withdrawal_reason": run.withdrawal_reason,
        "fingerprint": run.fingerprint,
        "policy": _policy_out(run.policy),
        "objective": run.objective,
        "weighted_units": run.weighted_units,
        "cost": run.cost,
        "bound": run.bound,
        "gap": run.gap,
        "need_count": run.need_count,
        "capacity_count": run.capacity_count,
        "seconds": run.seconds,
        "weighted_share_met": run.priority_share_met,
        "share_fully_met": run.share_fully_met,
        "period_kind": run.period_kind,
        "periods": list(run.periods),
        "access": [
            {
                "pcode": pcode,
                "level": level,
                "start": start,
                "end": end,
                "clearances": [c for c in clearances.split(";") if c],
            }
            for pcode, level, start, end, clearances in run.access
        ],
        "coverage": {
            "overall": _figure(coverage.get("overall", [0.0, 0.0])),
            "weighted": _figure(coverage.get("weighted", [0.0, 0.0])),
            "fully_met": _figure(coverage.get("fully_met", [0, 0])),
            "by_period": {day: _figure(cell) for day, cell in coverage.get("by_period", {}).items()},
            **{
                group: {key: _figure(cell) for key, cell in coverage.get(group, {}).items()}
                for group in queries.COVERAGE_GROUPS
            },
        },
    }
    if manager:
        body["notes"] = list(run.notes)
    if full:
        organisation_id = None if manager else user.organisation_id
        body["assignments"] = [
            serialise_assignment(a, user) for a in db.session.scalars(queries.assignments_query(run, organisation_id))
        ]
        if manager:
            explanations = list(
                db.session.scalars(
                    sa.select(AllocationExplanation)
                    .where(AllocationExplanation.run_id == run.id)
                    .order_by(AllocationExplanation.id)
                )
            )
            texts = present.explanation_texts(run.operation, explanations)
            body["explanations"] = [serialise_explanation(e, texts[e.id]) for e in explanations]
    return body


def serialise_assignment(a: AllocationAssignment, user) -> dict[str, Any]:
    need = a.need
    area = {"id": need.area.id, "pcode": need.area.pcode, "name": need.area.name, "level": need.area.level}
    if rights.can_see_details(user, need):
        need_body = {
            "id": need.id,
            "code": need.code,
            "title": need.title,
            "area": area,
            "resource_type_id": need.resource_type_id,
            "priority": need.priority,
            "sensitive": need.sensitive,
            "details_restricted": False,
        }
    else:
        need_body = {
            "id": need.id,
            "area": area,
            "resource_type_id": need.resource_type_id,
            "priority": need.priority,
            "sensitive": True,
            "details_restricted": True,
        }
    response = a.response
    return {
        "id": a.id,
        "run_id": a.run_id,
        "need": need_body,
        "capacity_id": a.capacity_id,
        "capacity_title": a.capacity.title,
        "organisation_id": a.organisation_id,
        "quantity": a.quantity,
        "unit_cost": a.unit_cost,
        "cost": a.cost,
        "pinned": a.pinned,
        "period": a.period.isoformat() if a.period else None,
        "response": None
        if response is None
        else {
            "decision": response.decision.value,
            "reason": response.reason,
            "responded_at": _stamp(response.responded_at),
        },
    }


def serialise_explanation(e: AllocationExplanation, text: str) -> dict[str, Any]:
    """text: the sentence in the reader's language; reason and params: the stored facts behind it."""
    return {
        "id": e.id,
        "subject": e.subject,
        "need_id": e.need_id,
        "capacity_id": e.capacity_id,
        "reason": e.reason,
        "params": e.params,
        "text": text,
        "quantity": e.quantity,
        "related_need_ids": e.related_need_ids,
        "related_capacity_ids": e.related_capacity_ids,
    }


def _visible_run(run_id: int, user) -> AllocationRun:
    operation = operation_for(user)
    run = db.session.get(AllocationRun, run_id)
    if (
        run is None
        or run.operation_id != operation.id
        or not (run.published or can_manage_allocations(user, operation))
    ):
        raise NotFound(f"No allocation run {run_id} that you can see in this operation.")
    return run


@api_route("/allocation-runs", methods=["GET"])
def list_runs(user):
    operation = operation_for(user)
    query = queries.runs_query(operation, published_only=not can_manage_allocations(user, operation))
    return paginate(query, lambda run: serialise_run(run, user))


@api_route("/allocation-runs/<id:run_id>", methods=["GET"])
def read_run(run_id: int, user):
    return jsonify(serialise_run(_visible_run(run_id, user), user, full=True))


@api_route("/allocation-runs", methods=["POST"])
def create_run(user):
    body = json_body()
    unknown = sorted(set(body) - {"policy", "note"})
    if unknown:
        raise ValidationError(f"Unknown field(s): {', '.join(unknown)}.", unknown[0])
    note = body.get("note", "")
    if not isinstance(note, str):
        raise ValidationError("note must be text.", "note")
    operation = operation_for(user)
    settings = _policy_in(body.get("policy", {}))
    if pair_count(operation) > current_app.config["ALLOCATION_BACKGROUND_THRESHOLD"]:
        # As the new-run page: large runs go to a worker; check rights and settings now, not in the job.
        allocation_ops.require_manager(user, operation)
        settings = clean_settings(settings, operation)
        job = start_job(
            allocation_jobs.JOB_KIND,
            {"operation_id": operation.id, "settings": settings, "note": note, "runs_url": url_for("allocation.runs")},
            user=user,
            operation=operation,
        )
        return job_accepted(job)
    run = allocation_ops.run_allocation(user, operation, settings, note)
    return jsonify(serialise_run(run, user, full=True)), 201


@api_route("/allocation-runs/<id:run_id>/publish", methods=["POST"])
def publish_run(run_id: int, user):
    run = _visible_run(run_id, user)
    return jsonify(serialise_run(allocation_ops.publish_run(user, run), user))


@api_route("/allocation-runs/<id:run_id>/withdraw", methods=["POST"])
def withdraw_run(run_id: int, user):
    run = _visible_run(run_id, user)
    body = json_body() if request.get_data() else {}
    unknown = sorted(set(body) - {"reason"})
    if unknown:
        raise ValidationError(f"Unknown field(s): {', '.join(unknown)}.", unknown[0])
    reason = body.get("reason", "")
    if not isinstance(reason, str):
        raise ValidationError("reason must be text.", "reason")
    return jsonify(serialise_run(allocation_ops.withdraw_publication(user, run, reason), user))


@api_route("/allocation-runs/<id:run_id>/assignments/<id:assignment_id>/response", methods=["POST"])
def respond(run_id: int, assignment_id: int, user):
    run = _visible_run(run_id, user)
    assignment = db.session.get(AllocationAssignment, assignment_id)
    if (
        assignment is None
        or assignment.run_id != run.id
        or not (assignment.organisation_id == user.organisation_id or can_manage_allocations(user, run.operation))
    ):
        raise NotFound(f"No assignment {assignment_id} of yours in run {run_id}.")
    body = json_body()
    unknown = sorted(set(body) - {"decision", "reason"})
    if unknown:
        raise ValidationError(f"Unknown field(s): {', '.join(unknown)}.", unknown[0])
    if body.get("decision") not in [d.value for d in Decision]:
        raise ValidationError("decision must be 'accepted' or 'declined'.", "decision")
    reason = body.get("reason", "")
    if not isinstance(reason, str):
        raise ValidationError("reason must be text.", "reason")
    allocation_ops.respond(user, assignment, body["decision"], reason)
    db.session.refresh(assignment)
    return jsonify(serialise_assignment(assignment, user))


# --- OpenAPI ------------------------------------------------------------------------------------------

FIGURE = {
    "type": "object",
    "required": ["needed", "met", "share"],
    "properties": {"needed": {"type": "number"}, "met": {"type": "number"}, "share": {"type": "number"}},
}
FIGURES = {"type": "object", "additionalProperties": FIGURE}
POLICY_PROPERTIES = {
    "lexicographic": {"type": "boolean", "description": "rank priorities strictly instead of by weight"},
    "priority_weights": {
        "type": "object",
        "additionalProperties": False,
        "properties": {str(p): {"type": "integer", "minimum": 1, "maximum": MAX_WEIGHT} for p in range(1, 6)},
    },
    "distance_cost_per_km": {"type": "number", "minimum": 0, "maximum": MAX_DISTANCE_COST},
    "budget_caps": {
        "type": "array",
        "items": {
            "type": "object",
            "additionalProperties": False,
            "required": ["organisation_id", "amount"],
            "properties": {
                "organisation_id": {"type": "integer"},
                "amount": {"type": "number", "minimum": 0, "maximum": MAX_AMOUNT},
            },
        },
    },
    "budget_per_period": {
        "type": "boolean",
        "description": "plans only: each budget cap applies to every period (false: to the whole plan)",
    },
    "min_admin1_coverage": {"type": "number", "minimum": 0, "maximum": 1},
    "min_local_share": {"type": "number", "minimum": 0, "maximum": 1},
    "single_provider": {"type": "boolean"},
    "min_lot_size": {"type": "number", "minimum": 0, "maximum": MAX_QUANTITY},
    "time_limit_seconds": {"type": "number", "exclusiveMinimum": 0, "maximum": MAX_TIME_LIMIT},
    "periods": {"type": "string", "enum": ["", "week", "month"], "description": "plan over weeks or months"},
    "horizon": {"type": "string", "description": "last day of a plan (YYYY-MM-DD), empty: the needs' latest end"},
}
NEED_REF = {
    "type": "object",
    "required": ["id", "area", "priority", "details_restricted"],
    "properties": {
        "id": {"type": "integer"},
        "code": {"type": ["string", "null"]},
        "title": {"type": "string"},
        "area": AREA,
        "resource_type_id": {"type": "integer"},
        "priority": {"type": "integer"},
        "sensitive": {"type": "boolean"},
        "details_restricted": {"type": "boolean"},
    },
}
RESPONSE = {
    "type": ["object", "null"],
    "required": ["decision", "reason", "responded_at"],
    "properties": {
        "decision": {"type": "string", "enum": [d.value for d in Decision]},
        "reason": {"type": "string"},
        "responded_at": {"type": "string"},
    },
}
RUN_PROPERTIES = {
    "id": {"type": "integer"},
    "operation_id": {"type": "integer"},
    "status": {"type": "string", "enum": [s.value for s in RunStatus]},
    "engine": {"type": "string"},
    "note": {"type": "string"},
    "started_at": {"type": "string"},
    "created_at": {"type": "string"},
    "created_by_id": {"type": ["integer", "null"]},
    "published": {"type": "boolean"},
    "published_at": {"type": ["string", "null"]},
    "fingerprint": {"type": "string"},
    "withdrawn": {"type": "boolean", "description": "the publication was withdrawn: partners no longer answer"},
    "withdrawn_at": {"type": ["string", "null"]},
    "withdrawal_reason": {"type": "string"},
    "policy": {"type": "object", "properties": POLICY_PROPERTIES},
    "objective": {"type": "number"},
    "weighted_units": {"type": "number"},
    "cost": {"type": "number"},
    "bound": {"type": ["number", "null"]},
    "gap": {"type": ["number", "null"]},
    "need_count": {"type": "integer"},
    "capacity_count": {"type": "integer"},
    "seconds": {"type": "number"},
    "notes": {"type": "array", "items": {"type": "string"}},
    "weighted_share_met": {
        "type": "number",
        "description": "priority-weighted average of each need's share met (unit-free)",
    },
    "share_fully_met": {"type": "number", "description": "share of the needs met in full"},
    "period_kind": {"type": "string", "enum": ["", "week", "month"]},
    "periods": {"type": "array", "items": {"type": "string"}, "description": "first day of every period"},
    "access": {
        "type": "array",
        "items": {
            "type": "object",
            "properties": {
                "pcode": {"type": "string"},
                "level": {"type": "string", "enum": ["open", "restricted", "no_go"]},
                "start": {"type": "string"},
                "end": {"type": ["string", "null"]},
                "clearances": {"type": "array", "items": {"type": "string"}},
            },
        },
    },
    "coverage": {
        "type": "object",
        "required": ["overall", "weighted"],
        "properties": {
            "overall": FIGURE,
            "weighted": FIGURE,
            "fully_met": FIGURE,
            "by_period": {"type": "object", "additionalProperties": FIGURE},
            **dict.fromkeys(queries.COVERAGE_GROUPS, FIGURES),
        },
    },
    "assignments": {"type": "array", "items": _ref("AllocationAssignment")},
    "explanations": {"type": "array", "items": _ref("AllocationExplanation")},
}
EXTRA_SCHEMAS.update(
    {
        "AllocationRun": {
            "type": "object",
            "required": ["id", "status", "policy", "coverage", "published"],
            "properties": RUN_PROPERTIES,
        },
        "AllocationPolicy": {"type": "object", "additionalProperties": False, "properties": POLICY_PROPERTIES},
        "AllocationRunInput": {
            "type": "object",
            "additionalProperties": False,
            "properties": {"policy": _ref("AllocationPolicy"), "note": {"type": "string", "maxLength": 300}},
        },
        "AllocationAssignment": {
            "type": "object",
            "required": ["id", "need", "capacity_id", "organisation_id", "quantity", "response"],
            "properties": {
                "id": {"type": "integer"},
                "run_id": {"type": "integer"},
                "need": NEED_REF,
                "capacity_id": {"type": "integer"},
                "capacity_title": {"type": "string"},
                "organisation_id": {"type": "integer"},
                "quantity": {"type": "number"},
                "unit_cost": {"type": "number"},
                "cost": {"type": "number"},
                "pinned": {"type": "boolean"},
                "period": {"type": ["string", "null"]},
                "response": RESPONSE,
            },
        },
        "AllocationExplanation": {
            "type": "object",
            "required": ["subject", "reason", "text", "quantity"],
            "properties": {
                "id": {"type": "integer"},
                "subject": {"type": "string", "enum": ["need", "capacity"]},
                "need_id": {"type": ["integer", "null"]},
                "capacity_id": {"type": ["integer", "null"]},
                "reason": {"type": "string", "description": "stable reason code"},
                "params": {
                    "type": "object",
                    "description": "the facts filled into the sentence (ids, numbers, ISO dates, lists)",
                },
                "text": {
                    "type": "string",
                    "description": "the sentence in the reader's language (Accept-Language or the account's language)",
                },
                "quantity": {"type": "number"},
                "related_need_ids": {"type": "array", "items": {"type": "integer"}},
                "related_capacity_ids": {"type": "array", "items": {"type": "integer"}},
            },
        },
        "AllocationWithdrawalInput": {
            "type": "object",
            "additionalProperties": False,
            "properties": {"reason": {"type": "string", "maxLength": 500, "description": "shown to the partners"}},
        },
        "AllocationResponseInput": {
            "type": "object",
            "additionalProperties": False,
            "required": ["decision"],
            "properties": {
                "decision": {"type": "string", "enum": [d.value for d in Decision]},
                "reason": {"type": "string", "maxLength": 500, "description": "required (not blank) to decline"},
            },
        },
    }
)
RUN_ID = {"name": "run_id", "in": "path", "required": True, "schema": ID}
ASSIGNMENT_ID = {"name": "assignment_id", "in": "path", "required": True, "schema": ID}
TAGS = ["allocations"]
EXTRA_PATHS.update(
    {
        "/allocation-runs": {
            "get": {
                "summary": "List allocation runs (coordinators: all; others: published ones)",
                "tags": TAGS,
                "parameters": PAGING,
                "responses": {"200": _json(_page(_ref("AllocationRun"))), **_error_responses(401, 404)},
            },
            "post": {
                "summary": "Run an allocation with a policy and store it (coordinators, administrators)",
                "description": "Computed within the request (201) when the operation has at most "
                "COORDHUB_ALLOCATION_BACKGROUND need-capacity pairs (2,000 by default), as the "
                "new-run page; larger runs go to a background job (202).",
                "tags": TAGS,
                "parameters": PAGING[2:],
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": _ref("AllocationRunInput")}},
                },
                "responses": {
                    "201": _json(_ref("AllocationRun"), "Stored"),
                    "202": ACCEPTED,
                    **_error_responses(400, 401, 403, 404, 422),
                },
            },
        },
        "/allocation-runs/{run_id}": {
            "parameters": [RUN_ID, PAGING[2]],
            "get": {
                "summary": "Read a run with its assignments (partners: their own) and explanations (coordinators)",
                "tags": TAGS,
                "responses": {"200": _json(_ref("AllocationRun")), **_error_responses(401, 404)},
            },
        },
        "/allocation-runs/{run_id}/publish": {
            "parameters": [RUN_ID, PAGING[2]],
            "post": {
                "summary": "Publish a run to the partners (coordinators, administrators)",
                "tags": TAGS,
                "responses": {"200": _json(_ref("AllocationRun")), **_error_responses(401, 403, 404, 422)},
            },
        },
        "/allocation-runs/{run_id}/withdraw": {
            "parameters": [RUN_ID, PAGING[2]],
            "post": {
                "summary": "Withdraw the publication of the current run (coordinators, administrators): partners "
                "no longer answer it; their answers are kept",
                "tags": TAGS,
                "requestBody": {
                    "required": False,
                    "content": {"application/json": {"schema": _ref("AllocationWithdrawalInput")}},
                },
                "responses": {"200": _json(_ref("AllocationRun")), **_error_responses(400, 401, 403, 404, 422)},
            },
        },
        "/allocation-runs/{run_id}/assignments/{assignment_id}/response": {
            "parameters": [RUN_ID, ASSIGNMENT_ID, PAGING[2]],
            "post": {
                "summary": "Accept or decline (with a reason) one of your organisation's assignments in the "
                "latest published run; a decline forbids the pair in later runs",
                "tags": TAGS,
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": _ref("AllocationResponseInput")}},
                },
                "responses": {"200": _json(_ref("AllocationAssignment")), **_error_responses(400, 401, 403, 404, 422)},
            },
        },
    }
)
