"""/api/v1/monitoring/…: indicators, periods, progress, late reports, and a project's reports (read, save,
submit, review), over the same operations as the pages; with their part of the OpenAPI description."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import jsonify, request

from coordhub.api.core import api_route, json_body, operation_for
from coordhub.api.openapi import EXTRA_PATHS, EXTRA_SCHEMAS, ID, PAGING, _error_responses, _json, _ref
from coordhub.errors import NotFound, ValidationError
from coordhub.extensions import db
from coordhub.monitoring import operations as mops
from coordhub.monitoring import queries
from coordhub.monitoring.core import Entry
from coordhub.monitoring.models import Indicator, Report, ReportingPeriod, ReportState
from coordhub.monitoring.rights import can_see_draft, can_see_results
from coordhub.registry.models import AdminArea, Project
from coordhub.web import parse_id


def serialise_indicator(indicator: Indicator) -> dict[str, Any]:
    return {
        "id": indicator.id,
        "code": indicator.code,
        "name": indicator.name,
        "sector_id": indicator.sector_id,
        "unit": indicator.unit,
        "type": indicator.type.value,
        "aggregation": indicator.aggregation.value,
        "disaggregation": list(indicator.disaggregation or []),
        "resource_type_id": indicator.resource_type_id,
        "archived": indicator.archived,
    }


def serialise_period(period: ReportingPeriod) -> dict[str, Any]:
    return {
        "id": period.id,
        "label": period.label,
        "start_date": period.start_date.isoformat(),
        "end_date": period.end_date.isoformat(),
        "due_date": period.due_date.isoformat(),
        "closed": period.closed,
    }


def serialise_report(report: Report | None, project: Project, period: ReportingPeriod) -> dict[str, Any]:
    pcodes = dict(
        db.session.execute(
            sa.select(AdminArea.id, AdminArea.pcode).where(AdminArea.id.in_([a.id for a in project.areas] or [0]))
        ).all()
    )
    values = queries.report_values(report)
    return {
        "project_id": project.id,
        "period_id": period.id,
        "id": report.id if report else None,
        "state": report.state.value if report else None,
        "comment": report.comment if report else "",
        "review_comment": report.review_comment if report else "",
        "need_id": report.need_id if report else None,
        "values": [
            {"indicator_id": k[0], "pcode": pcodes.get(k[1], ""), "disaggregation": k[2], "value": v}
            for k, v in sorted(values.items())
        ],
    }


def _project_and_period(user, project_id: int, period_id: int) -> tuple[Project, ReportingPeriod]:
    operation = operation_for(user)
    project = db.session.get(Project, project_id)
    if project is None or project.operation_id != operation.id or not can_see_results(user, project):
        raise NotFound(f"No project {project_id} that you can see in this operation.")
    period = db.session.get(ReportingPeriod, period_id)
    if period is None or period.operation_id != operation.id:
        raise NotFound(f"No reporting period {period_id} in this operation.")
    return project, period


@api_route("/monitoring/indicators")
def list_indicators(user):
    operation = operation_for(user)
    rows = db.session.scalars(
        sa.select(Indicator).where(Indicator.operation_id == operation.id).order_by(Indicator.code)
    )
    return jsonify(items=[serialise_indicator(i) for i in rows])


@api_route("/monitoring/periods")
def list_periods(user):
    operation = operation_for(user)
    return jsonify(items=[serialise_period(p) for p in queries.periods_of(operation)])


@api_route("/monitoring/progress")
def progress(user):
    operation = operation_for(user)
    group_by = request.args.get("group_by", "none")
    filters = queries.ProgressFilters(
        sector_id=parse_id(request.args.get("sector")),
        area_id=parse_id(request.args.get("area")),
        organisation_id=parse_id(request.args.get("organisation")),
        indicator_id=parse_id(request.args.get("indicator")),
        group_by=group_by if group_by in queries.GROUPINGS else "none",
    )
    result = queries.progress(user, operation, filters)
    rows = []
    for row in result.rows:
        group = row.group
        rows.append(
            {
                "indicator_id": row.indicator.id,
                "indicator_code": row.indicator.code,
                "group": None
                if group is None
                else {"restricted": True}
                if group == queries.RESTRICTED
                else {"id": group.id, "label": group.label, "restricted": False},
                "baseline": row.baseline,
                "target": row.target,
                "achieved": row.achieved,
                "percent": row.percent,
                "per_period": list(row.series.per_period),
                "cumulative": list(row.series.cumulative),
            }
        )
    return jsonify(periods=[serialise_period(p) for p in result.periods], rows=rows)


@api_route("/monitoring/late")
def late(user):
    from coordhub.monitoring.rights import can_manage_monitoring

    operation = operation_for(user)
    sees_all = can_manage_monitoring(user, operation)
    items = [
        {
            "period_id": item.period_id,
            "period": item.period_label,
            "due_date": item.due_date.isoformat(),
            "project_id": item.project_id,
            "organisation_id": item.organisation_id,
            "state": item.state,
            "project_title": item.project_title
            if (not item.sensitive or sees_all or item.organisation_id == user.organisation_id)
            else None,
        }
        for item in queries.late_reports(operation.id)
        if sees_all or item.organisation_id == user.organisation_id
    ]
    return jsonify(items=items)


@api_route("/monitoring/projects/<id:project_id>/reports/<id:period_id>")
def read_report(project_id: int, period_id: int, user):
    project, period = _project_and_period(user, project_id, period_id)
    report = db.session.scalar(sa.select(Report).where(Report.project_id == project.id, Report.period_id == period.id))
    if report is not None and report.state is ReportState.draft and not can_see_draft(user, project):
        report = None  # another organisation's draft is not shown
    return jsonify(serialise_report(report, project, period))


def _entries(body: dict, project: Project) -> list[Entry]:
    values = body.get("values", [])
    if not isinstance(values, list):
        raise ValidationError("values must be a list.", "values")
    areas = {a.pcode: a.id for a in project.areas}
    entries = []
    for index, item in enumerate(values):
        field = f"values[{index}]"
        if not isinstance(item, dict) or set(item) - {"indicator_id", "pcode", "disaggregation", "value"}:
            raise ValidationError(f"{field} must be an object with indicator_id, pcode, disaggregation, value.", field)
        indicator_id, pcode, value = item.get("indicator_id"), item.get("pcode"), item.get("value")
        disaggregation = item.get("disaggregation", "")
        if not isinstance(indicator_id, int) or isinstance(indicator_id, bool):
            raise ValidationError(f"{field}.indicator_id must be an id.", field)
        if pcode not in areas:
            raise ValidationError(f"{field}.pcode must be one of the project's P-codes: {', '.join(areas)}.", field)
        if not isinstance(disaggregation, str):
            raise ValidationError(f"{field}.disaggregation must be text.", field)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValidationError(f"{field}.value must be a number.", field)
        entries.append(Entry(indicator_id, areas[pcode], disaggregation, float(value)))
    return entries


@api_route("/monitoring/projects/<id:project_id>/reports/<id:period_id>", methods=["POST"])
def save_report(project_id: int, period_id: int, user):
    project, period = _project_and_period(user, project_id, period_id)
    body = json_body()
    unknown = sorted(set(body) - {"values", "comment", "need_id", "confirm", "submit"})
    if unknown:
        raise ValidationError(f"Unknown field(s): {', '.join(unknown)}.", unknown[0])
    for flag in ("confirm", "submit"):
        if not isinstance(body.get(flag, False), bool):
            raise ValidationError(f"{flag} must be true or false.", flag)
    if not isinstance(body.get("comment", ""), str):
        raise ValidationError("comment must be text.", "comment")
    need_id = body.get("need_id")
    if need_id is not None and (not isinstance(need_id, int) or isinstance(need_id, bool)):
        raise ValidationError("need_id must be an id.", "need_id")
    report, warnings = mops.save_report(
        user,
        project,
        period,
        _entries(body, project),
        comment=body.get("comment", ""),
        need_id=need_id,
        confirm=body.get("confirm", False),
        submit=body.get("submit", False),
    )
    result = serialise_report(report, project, period)
    result["warnings_confirmed"] = sorted({w.code for w in warnings})
    return jsonify(result)


@api_route("/monitoring/reports/<id:report_id>/review", methods=["POST"])
def review_report(report_id: int, user):
    operation = operation_for(user)
    report = db.session.get(Report, report_id)
    if report is None or report.operation_id != operation.id or not can_see_results(user, report.project):
        raise NotFound(f"No report {report_id} that you can see in this operation.")
    body = json_body()
    unknown = sorted(set(body) - {"approve", "comment"})
    if unknown:
        raise ValidationError(f"Unknown field(s): {', '.join(unknown)}.", unknown[0])
    if not isinstance(body.get("approve"), bool):
        raise ValidationError("approve must be true or false.", "approve")
    if not isinstance(body.get("comment", ""), str):
        raise ValidationError("comment must be text.", "comment")
    mops.review_report(user, report, body["approve"], body.get("comment", ""))
    return jsonify(serialise_report(report, report.project, report.period))


# --- OpenAPI -------------------------------------------------------------------------------------------------

TAGS = ["monitoring"]
PERIOD = {
    "type": "object",
    "required": ["id", "label", "start_date", "end_date", "due_date", "closed"],
    "properties": {
        "id": {"type": "integer"},
        "label": {"type": "string"},
        "start_date": {"type": "string"},
        "end_date": {"type": "string"},
        "due_date": {"type": "string"},
        "closed": {"type": "boolean"},
    },
}
VALUE = {
    "type": "object",
    "required": ["indicator_id", "pcode", "value"],
    "additionalProperties": False,
    "properties": {
        "indicator_id": ID,
        "pcode": {"type": "string"},
        "disaggregation": {"type": "string", "description": "'' for the total, or e.g. sex:female"},
        "value": {"type": "number", "minimum": 0},
    },
}
NUMBERS = {"type": "array", "items": {"type": "number"}}
EXTRA_SCHEMAS.update(
    {
        "Indicator": {
            "type": "object",
            "required": ["id", "code", "name", "unit", "type", "aggregation"],
            "properties": {
                "id": {"type": "integer"},
                "code": {"type": "string"},
                "name": {"type": "string"},
                "sector_id": {"type": "integer"},
                "unit": {"type": "string"},
                "type": {"type": "string", "enum": ["count", "percentage", "yes_no"]},
                "aggregation": {"type": "string", "enum": ["sum", "latest"]},
                "disaggregation": {"type": "array", "items": {"type": "string"}},
                "resource_type_id": {"type": ["integer", "null"]},
                "archived": {"type": "boolean"},
            },
        },
        "ReportingPeriod": PERIOD,
        "Report": {
            "type": "object",
            "required": ["project_id", "period_id", "state", "values"],
            "properties": {
                "id": {"type": ["integer", "null"]},
                "project_id": {"type": "integer"},
                "period_id": {"type": "integer"},
                "state": {"type": ["string", "null"], "enum": [s.value for s in ReportState] + [None]},
                "comment": {"type": "string"},
                "review_comment": {"type": "string"},
                "need_id": {"type": ["integer", "null"]},
                "values": {"type": "array", "items": VALUE},
                "warnings_confirmed": {"type": "array", "items": {"type": "string"}},
            },
        },
        "ReportInput": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "values": {"type": "array", "items": VALUE},
                "comment": {"type": "string", "maxLength": 5000},
                "need_id": {"type": ["integer", "null"]},
                "confirm": {"type": "boolean", "description": "accept the checks' warnings (409 lists them otherwise)"},
                "submit": {"type": "boolean", "description": "submit for review after saving"},
            },
        },
        "ReviewInput": {
            "type": "object",
            "additionalProperties": False,
            "required": ["approve"],
            "properties": {
                "approve": {"type": "boolean"},
                "comment": {"type": "string", "maxLength": 5000, "description": "required to return a report"},
            },
        },
    }
)
OPERATION = PAGING[2]
FILTERS = [OPERATION] + [
    {"name": name, "in": "query", "schema": {"type": "integer"}, "description": text}
    for name, text in (
        ("sector", "sector id"),
        ("area", "admin area id (and below)"),
        ("organisation", "organisation id"),
        ("indicator", "indicator id"),
    )
]
FILTERS.append({"name": "group_by", "in": "query", "schema": {"type": "string", "enum": list(queries.GROUPINGS)}})
PROJECT_PERIOD = [
    {"name": "project_id", "in": "path", "required": True, "schema": ID},
    {"name": "period_id", "in": "path", "required": True, "schema": ID},
    OPERATION,
]


def _items(schema: dict) -> dict:
    return {"type": "object", "required": ["items"], "properties": {"items": {"type": "array", "items": schema}}}


EXTRA_PATHS.update(
    {
        "/monitoring/indicators": {
            "get": {
                "summary": "The operation's indicators",
                "tags": TAGS,
                "parameters": [OPERATION],
                "responses": {"200": _json(_items(_ref("Indicator"))), **_error_responses(401, 404)},
            }
        },
        "/monitoring/periods": {
            "get": {
                "summary": "The operation's reporting periods",
                "tags": TAGS,
                "parameters": [OPERATION],
                "responses": {"200": _json(_items(_ref("ReportingPeriod"))), **_error_responses(401, 404)},
            }
        },
        "/monitoring/progress": {
            "get": {
                "summary": "Target vs achieved (approved results) per indicator, per period and to date",
                "tags": TAGS,
                "parameters": FILTERS,
                "responses": {
                    "200": _json(
                        {
                            "type": "object",
                            "required": ["periods", "rows"],
                            "properties": {
                                "periods": {"type": "array", "items": _ref("ReportingPeriod")},
                                "rows": {
                                    "type": "array",
                                    "items": {
                                        "type": "object",
                                        "properties": {
                                            "indicator_id": {"type": "integer"},
                                            "indicator_code": {"type": "string"},
                                            "group": {"type": ["object", "null"]},
                                            "baseline": {"type": ["number", "null"]},
                                            "target": {"type": ["number", "null"]},
                                            "achieved": {"type": "number"},
                                            "percent": {"type": ["number", "null"]},
                                            "per_period": NUMBERS,
                                            "cumulative": NUMBERS,
                                        },
                                    },
                                },
                            },
                        }
                    ),
                    **_error_responses(401, 404),
                },
            }
        },
        "/monitoring/late": {
            "get": {
                "summary": "Reports due and not submitted (coordinators: all; others: their organisation's)",
                "tags": TAGS,
                "parameters": [OPERATION],
                "responses": {"200": _json(_items({"type": "object"})), **_error_responses(401, 404)},
            }
        },
        "/monitoring/projects/{project_id}/reports/{period_id}": {
            "parameters": PROJECT_PERIOD,
            "get": {
                "summary": "A project's report for a period",
                "tags": TAGS,
                "responses": {"200": _json(_ref("Report")), **_error_responses(401, 404)},
            },
            "post": {
                "summary": "Save (replace) a project's values for an open period, optionally submitting them; "
                "409 lists warnings to confirm",
                "tags": TAGS,
                "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("ReportInput")}}},
                "responses": {"200": _json(_ref("Report")), **_error_responses(400, 401, 403, 404, 422)},
            },
        },
        "/monitoring/reports/{report_id}/review": {
            "parameters": [{"name": "report_id", "in": "path", "required": True, "schema": ID}, OPERATION],
            "post": {
                "summary": "Approve a submitted report or return it with a comment (coordinators, sector lead)",
                "tags": TAGS,
                "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("ReviewInput")}}},
                "responses": {"200": _json(_ref("Report")), **_error_responses(400, 401, 403, 404, 422)},
            },
        },
    }
)
