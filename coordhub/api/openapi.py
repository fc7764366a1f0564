"""The OpenAPI 3 description of /api/v1, served at /api/v1/openapi.json (kept true by tests/api)."""

from __future__ import annotations

from typing import Any

from flask import jsonify

from coordhub.api.core import bp
from coordhub.registry.limits import MAX_PAGE

# Other modules (allocation, overlap) add their paths and schemas here before the first request.
EXTRA_PATHS: dict[str, Any] = {}
EXTRA_SCHEMAS: dict[str, Any] = {}

DATE = {"type": "string", "format": "date"}
ID = {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}
NULLABLE_DATE = {"type": ["string", "null"], "format": "date"}
AREA = {
    "type": "object",
    "required": ["id", "pcode", "name", "level"],
    "properties": {
        "id": {"type": "integer"},
        "pcode": {"type": "string"},
        "name": {"type": "string"},
        "level": {"type": "integer"},
    },
}
VERSION = {
    "type": "integer",
    "minimum": 1,
    "description": "Optimistic concurrency: the record's version, +1 at every write (also the ETag)",
}
STAMPS = {
    "created_at": {"type": "string"},
    "updated_at": {"type": "string"},
    "archived": {"type": "boolean"},
    "version": VERSION,
}
REDACTED = {
    "type": "object",
    "required": ["id", "sensitive", "details_restricted"],
    "properties": {
        "id": {"type": "integer"},
        "sensitive": {"const": True},
        "details_restricted": {"const": True},
        "sector_id": {"type": "integer"},
        "areas": {"type": "array", "items": AREA},
    },
}
ETAG = {
    "ETag": {
        "description": "The record's version as an entity tag (`\"3\"`): send it back in If-Match",
        "schema": {"type": "string"},
    }
}
IF_MATCH = {
    "name": "If-Match",
    "in": "header",
    "required": False,
    "schema": {"type": "string"},
    "description": "Optional. The ETag of your last read of the record: the change is made only if the "
    "record still has that version, else 409 with the current record. Without If-Match "
    "(or `*`) the change is unconditional; a `version` field in the body does the same.",
}


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _error_responses(*codes: int) -> dict:
    text = {
        400: "Bad request",
        401: "Missing or invalid token",
        403: "Not allowed",
        404: "Not found",
        409: "Conflict: the record changed since the version sent in If-Match (error.current holds it now)",
        422: "Invalid input (the message names the field)",
    }
    responses = {
        str(code): {"description": text[code], "content": {"application/json": {"schema": _ref("Error")}}}
        for code in codes
    }
    responses["default"] = {
        "description": "Any other error (e.g. 405), in the same JSON shape",
        "content": {"application/json": {"schema": _ref("Error")}},
    }
    return responses


def _json(schema: dict, description: str = "OK", headers: dict | None = None) -> dict:
    response = {"description": description, "content": {"application/json": {"schema": schema}}}
    if headers:
        response["headers"] = headers
    return response


def _page(item: dict) -> dict:
    return {
        "type": "object",
        "required": ["items", "page", "per_page", "total", "pages"],
        "properties": {
            "items": {"type": "array", "items": item},
            "page": {"type": "integer"},
            "per_page": {"type": "integer"},
            "total": {"type": "integer"},
            "pages": {"type": "integer"},
        },
    }


PAGING = [
    {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE}},
    {"name": "per_page", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 200}},
    {
        "name": "operation",
        "in": "query",
        "schema": {"type": "integer"},
        "description": "Operation id (default: the user's current operation)",
    },
]
RECORD_FILTERS = [
    {"name": name, "in": "query", "schema": schema, "description": description}
    for name, schema, description in (
        ("q", {"type": "string"}, "search title, description and code"),
        ("sector", {"type": "integer"}, "sector id"),
        ("area", {"type": "integer"}, "admin area id: records in it or any area below it"),
        ("organisation", {"type": "integer"}, "organisation id"),
        ("resource_type", {"type": "integer"}, "resource type id"),
        ("status", {"type": "string"}, "status value"),
        ("priority", {"type": "integer", "minimum": 1, "maximum": 5}, "needs only"),
        ("date_from", {"type": "string", "format": "date"}, "active on or after"),
        ("date_to", {"type": "string", "format": "date"}, "active on or before"),
        ("archived", {"type": "string", "enum": ["0", "1"]}, "list archived records instead"),
    )
]


def _record_schemas() -> dict[str, Any]:
    common_in = {
        "code": {"type": ["string", "null"], "maxLength": 100},
        "title": {"type": "string", "maxLength": 300},
        "organisation_id": {"type": "integer"},
        "start_date": DATE,
        "end_date": NULLABLE_DATE,
    }
    project_in = {
        **common_in,
        "description": {"type": "string"},
        "sector_id": {"type": "integer"},
        "resource_type_id": {"type": ["integer", "null"]},
        "area_pcodes": {"type": "array", "items": {"type": "string"}},
        "partner_ids": {"type": "array", "items": {"type": "integer"}},
        "status": {"type": "string", "enum": ["planned", "ongoing", "completed", "suspended"]},
        "budget": {"type": ["number", "null"], "minimum": 0},
        "currency": {"type": "string"},
        "beneficiaries_targeted": {"type": ["integer", "null"], "minimum": 0},
        "target_group": {"type": "string"},
        "sensitive": {"type": "boolean"},
    }
    need_in = {
        **common_in,
        "description": {"type": "string"},
        "admin_area_pcode": {"type": "string"},
        "sector_id": {"type": "integer"},
        "resource_type_id": {"type": "integer"},
        "quantity": {"type": "number", "exclusiveMinimum": 0},
        "priority": {"type": "integer", "minimum": 1, "maximum": 5},
        "source": {"type": "string"},
        "status": {"type": "string", "enum": ["open", "partially_met", "met", "closed"]},
        "sensitive": {"type": "boolean"},
        "lead_time": {
            "type": "integer",
            "minimum": 0,
            "maximum": 3650,
            "description": "days a capacity not yet present in the area needs to mobilise there (plans)",
        },
    }
    capacity_in = {
        **common_in,
        "resource_type_id": {"type": "integer"},
        "quantity": {"type": "number", "exclusiveMinimum": 0},
        "unit_cost": {"type": "number", "minimum": 0},
        "currency": {"type": "string"},
        "area_pcodes": {"type": "array", "items": {"type": "string"}},
        "notes": {"type": "string"},
        "throughput": {
            "type": ["number", "null"],
            "exclusiveMinimum": 0,
            "description": "units per period of a plan; null: no limit",
        },
        "clearances": {"type": "string", "description": "access clearances held, separated by ;"},
    }
    project_out = {
        "type": "object",
        "required": ["id", "title", "organisation_id", "sector_id", "areas", "status"],
        "properties": {
            "id": {"type": "integer"},
            **{k: v for k, v in project_in.items() if k != "area_pcodes"},
            "areas": {"type": "array", "items": AREA},
            "details_restricted": {"const": False},
            **STAMPS,
        },
    }
    need_out = {
        "type": "object",
        "required": ["id", "title", "area", "quantity", "priority"],
        "properties": {
            "id": {"type": "integer"},
            **{k: v for k, v in need_in.items() if k != "admin_area_pcode"},
            "area": AREA,
            "details_restricted": {"const": False},
            **STAMPS,
        },
    }
    capacity_out = {
        "type": "object",
        "required": ["id", "title", "quantity", "unit_cost", "areas"],
        "properties": {
            "id": {"type": "integer"},
            **{k: v for k, v in capacity_in.items() if k != "area_pcodes"},
            "sector_id": {"type": "integer"},
            "areas": {"type": "array", "items": AREA},
            **STAMPS,
        },
    }
    required = {
        "Project": ["title", "sector_id", "area_pcodes", "start_date"],
        "Need": ["title", "admin_area_pcode", "resource_type_id", "quantity", "start_date"],
        "Capacity": ["title", "resource_type_id", "quantity", "unit_cost", "area_pcodes", "start_date"],
    }
    inputs = {"Project": project_in, "Need": need_in, "Capacity": capacity_in}
    return {
        **{
            f"{name}Input": {
                "type": "object",
                "additionalProperties": False,
                "required": required[name],
                "properties": properties,
            }
            for name, properties in inputs.items()
        },
        **{
            f"{name}Patch": {
                "type": "object",
                "additionalProperties": False,
                "properties": {
                    **properties,
                    "version": {**VERSION, "description": "the version you read: as If-Match (409 when stale)"},
                },
            }
            for name, properties in inputs.items()
        },
        "Project": {"oneOf": [project_out, REDACTED]},
        "Need": {"oneOf": [need_out, REDACTED]},
        "Capacity": capacity_out,
    }


def _record_paths() -> dict[str, Any]:
    paths: dict[str, Any] = {}
    for slug, name in (("projects", "Project"), ("needs", "Need"), ("capacities", "Capacity")):
        record_id = {"name": "record_id", "in": "path", "required": True, "schema": ID}
        body = {"required": True, "content": {"application/json": {"schema": _ref(f"{name}Input")}}}
        patch = {"required": True, "content": {"application/json": {"schema": _ref(f"{name}Patch")}}}
        paths[f"/{slug}"] = {
            "get": {
                "summary": f"List {slug}",
                "tags": [slug],
                "parameters": PAGING + RECORD_FILTERS,
                "responses": {"200": _json(_page(_ref(name))), **_error_responses(401, 404)},
            },
            "post": {
                "summary": f"Register a {name.lower()}",
                "tags": [slug],
                "parameters": PAGING[2:],
                "requestBody": body,
                "responses": {"201": _json(_ref(name), "Created", ETAG), **_error_responses(400, 401, 403, 404, 422)},
            },
        }
        paths[f"/{slug}/{{record_id}}"] = {
            "parameters": [record_id, PAGING[2]],
            "get": {
                "summary": f"Read a {name.lower()}",
                "tags": [slug],
                "responses": {"200": _json(_ref(name), headers=ETAG), **_error_responses(401, 404)},
            },
            "patch": {
                "summary": f"Change a {name.lower()} (only the fields sent)",
                "tags": [slug],
                "parameters": [IF_MATCH],
                "requestBody": patch,
                "responses": {"200": _json(_ref(name), headers=ETAG), **_error_responses(400, 401, 403, 404, 409, 422)},
            },
        }
        for action in ("archive", "restore"):
            paths[f"/{slug}/{{record_id}}/{action}"] = {
                "parameters": [record_id, PAGING[2]],
                "post": {
                    "summary": f"{action.capitalize()} a {name.lower()}",
                    "tags": [slug],
                    "responses": {"200": _json(_ref(name), headers=ETAG), **_error_responses(401, 403, 404)},
                },
            }
    return paths


def build_spec() -> dict[str, Any]:
    organisation = {
        "type": "object",
        "required": ["id", "name", "type"],
        "properties": {
            "id": {"type": "integer"},
            "name": {"type": "string"},
            "acronym": {"type": ["string", "null"]},
            "type": {"type": "string"},
            "is_local": {"type": "boolean"},
            "iati_identifier": {"type": ["string", "null"]},
            "archived": {"type": "boolean"},
        },
    }
    organisation_in = {
        "type": "object",
        "additionalProperties": False,
        "required": ["name", "type"],
        "properties": {
            "name": {"type": "string", "minLength": 1},
            "acronym": {"type": ["string", "null"]},
            "type": {
                "type": "string",
                "enum": [
                    "un_mission",
                    "un_agency",
                    "international_ngo",
                    "national_ngo",
                    "local_authority",
                    "government_ministry",
                    "donor",
                    "red_cross",
                    "private_sector",
                ],
            },
            "is_local": {"type": "boolean"},
            "iati_identifier": {"type": ["string", "null"]},
        },
    }
    admin_area = {
        "type": "object",
        "required": ["id", "pcode", "name", "level"],
        "properties": {
            **AREA["properties"],
            "parent_pcode": {"type": ["string", "null"]},
            "latitude": {"type": ["number", "null"]},
            "longitude": {"type": ["number", "null"]},
        },
    }
    organisation_id = {"name": "organisation_id", "in": "path", "required": True, "schema": ID}
    paths = {
        **_record_paths(),
        "/organisations": {
            "get": {
                "summary": "List organisations",
                "tags": ["organisations"],
                "parameters": PAGING[:2] + [{"name": "q", "in": "query", "schema": {"type": "string"}}],
                "responses": {"200": _json(_page(_ref("Organisation"))), **_error_responses(401)},
            },
            "post": {
                "summary": "Create an organisation (administrators)",
                "tags": ["organisations"],
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": _ref("OrganisationInput")}},
                },
                "responses": {"201": _json(_ref("Organisation"), "Created"), **_error_responses(400, 401, 403, 422)},
            },
        },
        "/organisations/{organisation_id}": {
            "parameters": [organisation_id],
            "get": {
                "summary": "Read an organisation",
                "tags": ["organisations"],
                "responses": {"200": _json(_ref("Organisation")), **_error_responses(401, 404)},
            },
            "patch": {
                "summary": "Change an organisation (administrators)",
                "tags": ["organisations"],
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": _ref("OrganisationInput")}},
                },
                "responses": {"200": _json(_ref("Organisation")), **_error_responses(400, 401, 403, 404, 422)},
            },
        },
        "/organisations/{organisation_id}/archive": {
            "parameters": [organisation_id],
            "post": {
                "summary": "Archive an organisation (administrators)",
                "tags": ["organisations"],
                "responses": {"200": _json(_ref("Organisation")), **_error_responses(401, 403, 404)},
            },
        },
        "/admin-areas": {
            "get": {
                "summary": "List the operation's admin areas",
                "tags": ["admin areas"],
                "parameters": PAGING
                + [
                    {"name": "level", "in": "query", "schema": {"type": "integer"}},
                    {"name": "parent", "in": "query", "schema": {"type": "string"}, "description": "parent P-code"},
                    {"name": "q", "in": "query", "schema": {"type": "string"}},
                ],
                "responses": {"200": _json(_page(_ref("AdminArea"))), **_error_responses(401, 404)},
            }
        },
        "/admin-areas/{pcode}": {
            "get": {
                "summary": "Read an admin area by P-code",
                "tags": ["admin areas"],
                "parameters": [
                    {"name": "pcode", "in": "path", "required": True, "schema": {"type": "string"}},
                    PAGING[2],
                ],
                "responses": {"200": _json(_ref("AdminArea")), **_error_responses(401, 404)},
            }
        },
        "/sectors": {
            "get": {
                "summary": "Reference sectors (IASC cluster, DAC code)",
                "tags": ["reference"],
                "responses": {
                    "200": _json(
                        {"type": "object", "properties": {"items": {"type": "array", "items": {"type": "object"}}}}
                    ),
                    **_error_responses(401),
                },
            }
        },
        "/resource-types": {
            "get": {
                "summary": "Reference resource types with units",
                "tags": ["reference"],
                "responses": {
                    "200": _json(
                        {"type": "object", "properties": {"items": {"type": "array", "items": {"type": "object"}}}}
                    ),
                    **_error_responses(401),
                },
            }
        },
        **EXTRA_PATHS,
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "coordhub API",
            "version": "1.0.0",
            "description": "Registry, allocation and overlap data of coordhub. Authenticate with a personal "
            "token (Account › API tokens) as `Authorization: Bearer <token>`. Errors are "
            "JSON: `{\"error\": {\"status\", \"message\", \"field\"}}`.",
        },
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearerAuth": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Error": {
                    "type": "object",
                    "required": ["error"],
                    "properties": {
                        "error": {
                            "type": "object",
                            "required": ["status", "message"],
                            "properties": {
                                "status": {"type": "integer"},
                                "message": {"type": "string"},
                                "field": {"type": "string"},
                                "errors": {"type": "object"},
                                "current": {"type": "object", "description": "409 only: the record as it is now"},
                            },
                        }
                    },
                },
                "Organisation": organisation,
                "OrganisationInput": organisation_in,
                "AdminArea": admin_area,
                **_record_schemas(),
                **EXTRA_SCHEMAS,
            },
        },
    }


@bp.route("/openapi.json")
def openapi():
    return jsonify(build_spec())
