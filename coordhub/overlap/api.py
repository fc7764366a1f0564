"""/api/v1/alerts, /api/v1/clusters and /api/v1/gaps, with their part of the OpenAPI description."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import jsonify, request, url_for

from coordhub.api.core import api_route, json_body, operation_for, paginate
from coordhub.api.openapi import AREA, EXTRA_PATHS, EXTRA_SCHEMAS, ID, PAGING, _error_responses, _json, _page, _ref
from coordhub.errors import NotFound, ValidationError
from coordhub.extensions import db
from coordhub.jobs.api import ACCEPTED, job_accepted
from coordhub.overlap import operations as overlap_ops
from coordhub.overlap.matrix import default_level, gap_matrix, levels_of
from coordhub.overlap.models import AlertKind, AlertState, OverlapAlert, OverlapCluster, Resolution
from coordhub.overlap.present import author_hidden, cluster_views, explanation, sides
from coordhub.overlap.queries import AlertFilters, alert_query, cluster_order
from coordhub.overlap.rights import can_see_alert
from coordhub.web import parse_id


def _area(area) -> dict[str, Any]:
    return {"id": area.id, "pcode": area.pcode, "name": area.name, "level": area.level}


def _day(value) -> str | None:
    return value.isoformat() if value else None


def serialise_alert(alert: OverlapAlert, user, with_events: bool = False) -> dict[str, Any]:
    a, b = sides(user, alert)
    full = a.visible and b.visible
    projects = []
    for side in (a, b):
        if side.visible:
            projects.append(
                {
                    "id": side.project.id,
                    "title": side.project.title,
                    "organisation_id": side.project.organisation_id,
                    "details_restricted": False,
                }
            )
        else:
            projects.append({"id": side.project.id, "sensitive": True, "details_restricted": True})
    body = {
        "id": alert.id,
        "operation_id": alert.operation_id,
        "kind": alert.kind.value,
        "state": alert.state.value,
        "resolution": alert.resolution.value if alert.resolution else None,
        "score": round(alert.score, 6) if full else None,
        "sector_id": alert.sector_id,
        "shared_area": _area(alert.shared_area),
        "projects": projects,
        # Dates would tell something about a sensitive entry the user may not see.
        "overlap_start": _day(alert.overlap_start) if full else None,
        "overlap_end": _day(alert.overlap_end) if full else None,
        "days": alert.days if full else None,
        "counted_project_id": alert.counted_project_id if full else None,
        "explanation": explanation(user, alert),
        "created_at": alert.created_at.isoformat() + "Z",
        "changed_at": alert.changed_at.isoformat() + "Z",
    }
    if with_events:
        body["events"] = [
            {
                "at": e.at.isoformat() + "Z",
                "by_detection": e.by_detection,
                "user_id": None if author_hidden(user, alert, e) else e.user_id,
                "from_state": e.from_state.value if e.from_state else None,
                "to_state": e.to_state.value,
                "resolution": e.resolution.value if e.resolution else None,
                "comment": e.comment_text,
            }
            for e in alert.events
        ]
    return body


def _alert(alert_id: int, user) -> OverlapAlert:
    operation = operation_for(user)
    alert = db.session.get(OverlapAlert, alert_id)
    if alert is None or alert.operation_id != operation.id or not can_see_alert(user, alert):
        raise NotFound(f"No alert {alert_id} that you can see in this operation.")
    return alert


@api_route("/alerts", methods=["GET"])
def list_alerts(user):
    operation = operation_for(user)
    filters = AlertFilters.from_args(request.args)
    return paginate(
        alert_query(operation, user, filters, inbox=request.args.get("inbox") in ("1", "true")),
        lambda alert: serialise_alert(alert, user),
    )


@api_route("/alerts/<id:alert_id>", methods=["GET"])
def read_alert(alert_id: int, user):
    return jsonify(serialise_alert(_alert(alert_id, user), user, with_events=True))


@api_route("/alerts/<id:alert_id>/transition", methods=["POST"])
def transition_alert(alert_id: int, user):
    body = json_body()
    unknown = sorted(set(body) - {"state", "resolution", "comment"})
    if unknown:
        raise ValidationError(f"Unknown field(s): {', '.join(unknown)}.", unknown[0])
    for field in ("state", "comment"):
        if not isinstance(body.get(field), str):
            raise ValidationError(f"{field} must be text.", field)
    if body.get("resolution") is not None and not isinstance(body["resolution"], str):
        raise ValidationError("resolution must be text or null.", "resolution")
    alert = _alert(alert_id, user)
    overlap_ops.change_state(user, alert, body["state"], body.get("resolution"), body["comment"])
    return jsonify(serialise_alert(alert, user, with_events=True))


@api_route("/clusters", methods=["GET"])
def list_clusters(user):
    operation = operation_for(user)
    query = sa.select(OverlapCluster).where(OverlapCluster.operation_id == operation.id)
    if sector_id := parse_id(request.args.get("sector")):
        query = query.where(OverlapCluster.sector_id == sector_id)
    query = query.order_by(*cluster_order(user))

    def serialise(cluster: OverlapCluster) -> dict[str, Any]:
        view = cluster_views(user, [cluster])[0]
        return {
            "id": cluster.id,
            "sector_id": cluster.sector_id,
            "area": _area(cluster.area),
            "organisation_count": view.organisation_count,
            "organisations": view.organisations,
            "sensitive_entries": view.hidden_entries,
            "project_ids": [p.id for p in view.projects],
            "start_date": _day(view.window[0]) if view.window else None,
            "end_date": _day(view.window[1]) if view.window else None,
            "explanation": view.sentence,
        }

    return paginate(query, serialise)


@api_route("/gaps", methods=["GET"])
def read_gaps(user):
    operation = operation_for(user)
    levels = levels_of(operation)
    raw = request.args.get("level")
    level = parse_id(raw)
    if raw not in (None, "") and (level is None or not 0 <= level <= 20):
        raise ValidationError("level must be a whole number from 0 to 20.", "level")
    if level is None:
        level = default_level(levels)
    matrix = gap_matrix(operation, user, level)
    cells = []
    for (sector_id, area_id), cell in sorted(matrix.cells.items()):
        cells.append(
            {
                "sector_id": sector_id,
                "area_id": area_id,
                "pcode": cell.area.pcode,
                "needs": cell.need_count,
                "need_quantity": cell.need_quantity,
                "activities": cell.activity_count,
                "organisations": cell.organisation_count,
                "capacities": cell.capacity_count,
                "linked": cell.linked_count,
                "gap": cell.is_gap,
            }
        )
    return jsonify(
        level=level,
        levels=levels,
        sectors=[{"id": s.id, "code": s.code, "name": s.name} for s in matrix.sectors],
        areas=[_area(a) for a in matrix.areas],
        cells=cells,
        gaps=matrix.gap_count,
        needs_above_level=matrix.needs_above_level,
    )


# --- the OpenAPI description ---------------------------------------------------------------------

NULLABLE_DATE = {"type": ["string", "null"], "format": "date"}
ALERT_FILTERS = [
    {"name": name, "in": "query", "schema": schema, "description": description}
    for name, schema, description in (
        ("sector", {"type": "integer"}, "sector id"),
        ("area", {"type": "integer"}, "admin area id: alerts whose shared area is in it or below it"),
        ("organisation", {"type": "integer"}, "organisation id (either side)"),
        ("project", {"type": "integer"}, "project id (either side)"),
        (
            "state",
            {"type": "string", "enum": ["active"] + [s.value for s in AlertState]},
            "a state, or 'active' (open or acknowledged)",
        ),
        ("kind", {"type": "string", "enum": [k.value for k in AlertKind]}, "kind of pair"),
        ("min_score", {"type": "number", "minimum": 0, "maximum": 1}, "lowest score"),
        ("unread", {"type": "string", "enum": ["0", "1"]}, "only alerts changed since you last read them"),
        ("inbox", {"type": "string", "enum": ["0", "1"]}, "only alerts about your own organisation"),
    )
]
ALERT_ID = {"name": "alert_id", "in": "path", "required": True, "schema": ID}
SIDE = {
    "type": "object",
    "required": ["id", "details_restricted"],
    "properties": {
        "id": {"type": "integer"},
        "title": {"type": "string"},
        "organisation_id": {"type": "integer"},
        "sensitive": {"const": True},
        "details_restricted": {"type": "boolean"},
    },
}
EVENT = {
    "type": "object",
    "required": ["at", "to_state", "comment", "by_detection"],
    "properties": {
        "at": {"type": "string"},
        "user_id": {"type": ["integer", "null"]},
        "by_detection": {"type": "boolean"},
        "from_state": {"type": ["string", "null"]},
        "to_state": {"type": "string"},
        "resolution": {"type": ["string", "null"]},
        "comment": {"type": "string"},
    },
}
EXTRA_SCHEMAS.update(
    {
        "Alert": {
            "type": "object",
            "required": ["id", "kind", "state", "score", "shared_area", "projects", "explanation"],
            "properties": {
                "id": {"type": "integer"},
                "operation_id": {"type": "integer"},
                "kind": {"type": "string", "enum": [k.value for k in AlertKind]},
                "state": {"type": "string", "enum": [s.value for s in AlertState]},
                "resolution": {"type": ["string", "null"]},
                "score": {"type": ["number", "null"], "minimum": 0, "maximum": 1},
                "sector_id": {"type": "integer"},
                "shared_area": AREA,
                "projects": {"type": "array", "items": SIDE, "minItems": 2, "maxItems": 2},
                "overlap_start": NULLABLE_DATE,
                "overlap_end": NULLABLE_DATE,
                "days": {"type": ["integer", "null"]},
                "counted_project_id": {"type": ["integer", "null"]},
                "explanation": {"type": "string"},
                "created_at": {"type": "string"},
                "changed_at": {"type": "string"},
                "events": {"type": "array", "items": EVENT},
            },
        },
        "AlertTransition": {
            "type": "object",
            "additionalProperties": False,
            "required": ["state", "comment"],
            "properties": {
                "state": {"type": "string", "enum": [s.value for s in AlertState if s is not AlertState.closed]},
                "resolution": {"type": ["string", "null"], "enum": [r.value for r in Resolution] + [None]},
                "comment": {"type": "string", "minLength": 1, "maxLength": 2000},
            },
        },
        "Cluster": {
            "type": "object",
            "required": ["id", "sector_id", "area", "organisation_count"],
            "properties": {
                "id": {"type": "integer"},
                "sector_id": {"type": "integer"},
                "area": AREA,
                "organisation_count": {"type": "integer", "minimum": 3},
                "organisations": {"type": "array", "items": {"type": "string"}},
                "sensitive_entries": {"type": "integer"},
                "project_ids": {"type": "array", "items": {"type": "integer"}},
                "start_date": NULLABLE_DATE,
                "end_date": NULLABLE_DATE,
                "explanation": {"type": "string"},
            },
        },
        "GapMatrix": {
            "type": "object",
            "required": ["level", "levels", "sectors", "areas", "cells"],
            "properties": {
                "level": {"type": "integer"},
                "levels": {"type": "array", "items": {"type": "integer"}},
                "sectors": {"type": "array", "items": {"type": "object"}},
                "areas": {"type": "array", "items": AREA},
                "cells": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["sector_id", "area_id", "gap"],
                        "properties": {
                            "sector_id": {"type": "integer"},
                            "area_id": {"type": "integer"},
                            "pcode": {"type": "string"},
                            "needs": {"type": "integer"},
                            "need_quantity": {"type": "number"},
                            "activities": {"type": "integer"},
                            "organisations": {"type": "integer"},
                            "capacities": {"type": "integer"},
                            "linked": {"type": "integer"},
                            "gap": {"type": "boolean"},
                        },
                    },
                },
                "gaps": {"type": "integer"},
                "needs_above_level": {"type": "integer"},
            },
        },
    }
)


@api_route("/overlap-detection", methods=["POST"])
def start_detection(user):
    """Full detection over the operation, always in a background job (as the alerts page starts it)."""
    job = overlap_ops.start_detection(user, operation_for(user), result_url=url_for("overlap.alerts"))
    return job_accepted(job)


EXTRA_PATHS.update(
    {
        "/overlap-detection": {
            "post": {
                "summary": "Run full overlap detection over the operation (coordinators, administrators)",
                "description": "Always a background job: answers 202 at once; the job's result holds the alert counts.",
                "tags": ["overlaps"],
                "parameters": [PAGING[2]],
                "responses": {"202": ACCEPTED, **_error_responses(401, 403, 404)},
            }
        },
        "/alerts": {
            "get": {
                "summary": "List overlap alerts you may see (coordinators: all; others: their organisation's)",
                "tags": ["overlaps"],
                "parameters": PAGING + ALERT_FILTERS,
                "responses": {"200": _json(_page(_ref("Alert"))), **_error_responses(401, 404)},
            }
        },
        "/alerts/{alert_id}": {
            "parameters": [ALERT_ID, PAGING[2]],
            "get": {
                "summary": "Read an alert with its history",
                "tags": ["overlaps"],
                "responses": {"200": _json(_ref("Alert")), **_error_responses(401, 404)},
            },
        },
        "/alerts/{alert_id}/transition": {
            "parameters": [ALERT_ID, PAGING[2]],
            "post": {
                "summary": "Change an alert's state (acknowledged, resolved with a resolution, dismissed, open)",
                "tags": ["overlaps"],
                "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("AlertTransition")}}},
                "responses": {"200": _json(_ref("Alert")), **_error_responses(400, 401, 403, 404, 422)},
            },
        },
        "/clusters": {
            "get": {
                "summary": "More than two organisations in one sector × admin area cell",
                "tags": ["overlaps"],
                "parameters": PAGING + [{"name": "sector", "in": "query", "schema": {"type": "integer"}}],
                "responses": {"200": _json(_page(_ref("Cluster"))), **_error_responses(401, 404)},
            }
        },
        "/gaps": {
            "get": {
                "summary": "The sector × admin area gap matrix at one admin level",
                "tags": ["overlaps"],
                "parameters": [
                    PAGING[2],
                    {
                        "name": "level",
                        "in": "query",
                        "schema": {"type": "integer", "minimum": 0, "maximum": 20},
                        "description": "admin level (default 1)",
                    },
                ],
                "responses": {"200": _json(_ref("GapMatrix")), **_error_responses(401, 404, 422)},
            }
        },
    }
)
