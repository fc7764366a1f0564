"""/api/v1 endpoints for projects, needs, capacities, organisations, admin areas and reference lists."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import jsonify, request

from coordhub.api import serialise
from coordhub.api.core import (
    api_route,
    areas_from_pcodes,
    clean_arg,
    etag,
    if_match_version,
    json_body,
    operation_for,
    paginate,
    parse_date,
    parse_id_list,
    parse_number,
)
from coordhub.errors import NotFound, ValidationError
from coordhub.extensions import db
from coordhub.registry import operations as ops
from coordhub.registry.models import AdminArea, Capacity, Need, Organisation, Project, ResourceType, Sector
from coordhub.registry.queries import RecordFilters, record_query
from coordhub.web import parse_id

KINDS = {"projects": Project, "needs": Need, "capacities": Capacity}
TEXT_FIELDS = ("code", "title", "description", "status", "currency", "target_group", "source", "notes", "clearances")
NUMBER_FIELDS = {
    "budget": float,
    "quantity": float,
    "unit_cost": float,
    "beneficiaries_targeted": int,
    "throughput": float,
    "lead_time": int,
    "priority": int,
    "organisation_id": int,
    "sector_id": int,
    "resource_type_id": int,
    "admin_area_id": int,
}


def record_input(kind: type, operation, body: dict[str, Any]) -> dict[str, Any]:
    """Turn a JSON body into the plain values operations.save_record takes (only the fields given)."""
    allowed = set(ops.FIELDS[kind]) | {"area_pcodes", "area_ids", "partner_ids", "admin_area_pcode", "version"}
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise ValidationError(f"Unknown field(s): {', '.join(unknown)}.", unknown[0])
    data: dict[str, Any] = {}
    for field in TEXT_FIELDS:
        if field in body and field in ops.FIELDS[kind]:
            if body[field] is not None and not isinstance(body[field], str):
                raise ValidationError(f"{field} must be text.", field)
            data[field] = body[field] if body[field] is not None else ""
    for field, number_kind in NUMBER_FIELDS.items():
        if field in body and field in ops.FIELDS[kind]:
            data[field] = parse_number(body, field, number_kind)
    for field in ("start_date", "end_date"):
        if field in body:
            data[field] = parse_date(body, field)
    if "sensitive" in body and "sensitive" in ops.FIELDS[kind]:
        if not isinstance(body["sensitive"], bool):
            raise ValidationError("sensitive must be true or false.", "sensitive")
        data["sensitive"] = body["sensitive"]
    if "area_pcodes" in body:
        data["area_ids"] = areas_from_pcodes(operation, body["area_pcodes"], "area_pcodes")
    elif "area_ids" in body:
        data["area_ids"] = parse_id_list(body, "area_ids")
    if "admin_area_pcode" in body:
        data["admin_area_id"] = areas_from_pcodes(operation, [body["admin_area_pcode"]], "admin_area_pcode")[0]
    if "partner_ids" in body:
        data["partner_ids"] = parse_id_list(body, "partner_ids")
    if "version" in body:
        if not isinstance(body["version"], int) or isinstance(body["version"], bool):
            raise ValidationError("version must be a whole number.", "version")
        data["version"] = ops.parse_version(body["version"])
    if kind is Need and "resource_type_id" in data and "sector_id" not in data and data["resource_type_id"]:
        rtype = db.session.get(ResourceType, data["resource_type_id"])
        if rtype is not None:
            data["sector_id"] = rtype.sector_id
    return data


def _record(kind: type, record_id: int, operation):
    record = db.session.get(kind, record_id)
    if record is None or record.operation_id != operation.id:
        raise NotFound(f"No {kind.__name__.lower()} {record_id} in this operation.")
    return record


def _kind(slug: str) -> type:
    return KINDS[slug]


@api_route("/<any(projects, needs, capacities):slug>", methods=["GET"])
def list_records(slug: str, user):
    kind = _kind(slug)
    operation = operation_for(user)
    filters = RecordFilters.from_args(request.args)
    return paginate(
        record_query(kind, operation, user, filters), lambda record: serialise.RECORD_SERIALISERS[kind](record, user)
    )


def _record_response(kind: type, record, user, status: int = 200):
    """A record as JSON with its version as the ETag (none for a redacted record: its edits are hidden too)."""
    body = serialise.RECORD_SERIALISERS[kind](record, user)
    response = jsonify(body)
    if not body.get("details_restricted"):
        response.headers["ETag"] = etag(record.version)
    return response, status


@api_route("/<any(projects, needs, capacities):slug>/<id:record_id>", methods=["GET"])
def read_record(slug: str, record_id: int, user):
    kind = _kind(slug)
    return _record_response(kind, _record(kind, record_id, operation_for(user)), user)


@api_route("/<any(projects, needs, capacities):slug>", methods=["POST"])
def create_record(slug: str, user):
    kind = _kind(slug)
    operation = operation_for(user)
    data = record_input(kind, operation, json_body())
    data.pop("version", None)
    return _record_response(kind, ops.save_record(user, operation, kind, data), user, 201)


@api_route("/<any(projects, needs, capacities):slug>/<id:record_id>", methods=["PATCH"])
def update_record(slug: str, record_id: int, user):
    """If-Match (or a `version` in the body) makes the update conditional: 409 when the record has another
    version now. Without either the update is unconditional."""
    kind = _kind(slug)
    operation = operation_for(user)
    record = _record(kind, record_id, operation)
    expected = if_match_version()
    data = record_input(kind, operation, json_body())
    if expected is not None:
        data["version"] = expected
    return _record_response(kind, ops.save_record(user, operation, kind, data, record), user)


@api_route("/<any(projects, needs, capacities):slug>/<id:record_id>/<any(archive, restore):action>", methods=["POST"])
def archive_record(slug: str, record_id: int, action: str, user):
    kind = _kind(slug)
    record = ops.set_archived(user, _record(kind, record_id, operation_for(user)), action == "archive")
    return _record_response(kind, record, user)


@api_route("/organisations", methods=["GET"])
def list_organisations(user):
    query = sa.select(Organisation).order_by(Organisation.name)
    if q := clean_arg("q"):
        like = f"%{q.lower()}%"
        query = query.where(
            sa.or_(
                sa.func.lower(Organisation.name).like(like),
                sa.func.lower(sa.func.coalesce(Organisation.acronym, "")).like(like),
            )
        )
    return paginate(query, serialise.organisation)


@api_route("/organisations/<id:organisation_id>", methods=["GET"])
def read_organisation(organisation_id: int, user):
    organisation = db.session.get(Organisation, organisation_id)
    if organisation is None:
        raise NotFound(f"No organisation {organisation_id}.")
    return jsonify(serialise.organisation(organisation))


def _organisation_input(body: dict) -> dict:
    allowed = {"name", "acronym", "type", "is_local", "iati_identifier", "archived"}
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise ValidationError(f"Unknown field(s): {', '.join(unknown)}.", unknown[0])
    return body


@api_route("/organisations", methods=["POST"])
def create_organisation(user):
    organisation = ops.save_organisation(user, _organisation_input(json_body()))
    return jsonify(serialise.organisation(organisation)), 201


@api_route("/organisations/<id:organisation_id>", methods=["PATCH"])
def update_organisation(organisation_id: int, user):
    organisation = db.session.get(Organisation, organisation_id)
    if organisation is None:
        raise NotFound(f"No organisation {organisation_id}.")
    body = {**serialise.organisation(organisation), **_organisation_input(json_body())}
    body.pop("id")
    return jsonify(serialise.organisation(ops.save_organisation(user, body, organisation)))


@api_route("/organisations/<id:organisation_id>/archive", methods=["POST"])
def archive_organisation(organisation_id: int, user):
    organisation = db.session.get(Organisation, organisation_id)
    if organisation is None:
        raise NotFound(f"No organisation {organisation_id}.")
    body = {**serialise.organisation(organisation), "archived": True}
    body.pop("id")
    return jsonify(serialise.organisation(ops.save_organisation(user, body, organisation)))


@api_route("/admin-areas", methods=["GET"])
def list_admin_areas(user):
    operation = operation_for(user)
    query = sa.select(AdminArea).where(AdminArea.operation_id == operation.id).order_by(AdminArea.path)
    if (level := parse_id(request.args.get("level"))) is not None and 0 <= level <= 20:
        query = query.where(AdminArea.level == level)
    if parent := clean_arg("parent"):
        parent_area = db.session.scalar(
            sa.select(AdminArea).where(AdminArea.operation_id == operation.id, AdminArea.pcode == parent)
        )
        if parent_area is None:
            raise NotFound(f"No admin area {parent} in this operation.")
        query = query.where(AdminArea.parent_id == parent_area.id)
    if q := clean_arg("q"):
        like = f"%{q.lower()}%"
        query = query.where(sa.or_(sa.func.lower(AdminArea.name).like(like), sa.func.lower(AdminArea.pcode).like(like)))
    return paginate(query, serialise.admin_area)


@api_route("/admin-areas/<pcode>", methods=["GET"])
def read_admin_area(pcode: str, user):
    operation = operation_for(user)
    pcode = pcode.replace("\x00", "")
    area = db.session.scalar(
        sa.select(AdminArea).where(AdminArea.operation_id == operation.id, AdminArea.pcode == pcode)
    )
    if area is None:
        raise NotFound(f"No admin area {pcode} in this operation.")
    return jsonify(serialise.admin_area(area))


@api_route("/sectors", methods=["GET"])
def list_sectors(user):
    return jsonify(items=[serialise.sector(s) for s in db.session.scalars(sa.select(Sector).order_by(Sector.code))])


@api_route("/resource-types", methods=["GET"])
def list_resource_types(user):
    return jsonify(
        items=[
            serialise.resource_type(t) for t in db.session.scalars(sa.select(ResourceType).order_by(ResourceType.code))
        ]
    )
