"""/api/v1/maps/<layer>: a map layer as a GeoJSON FeatureCollection, with the lists' filters and `level`."""

from __future__ import annotations

from flask import Response, request

from coordhub.api.core import api_route, operation_for
from coordhub.maps.core.layers import dumps
from coordhub.maps.queries import map_layer, parse_map_query


@api_route("/maps/<layer>", methods=["GET"])
def map_layer_api(layer: str, user):
    operation = operation_for(user)
    query = parse_map_query(layer, operation, request.args)
    return Response(dumps(map_layer(query, operation, user)), mimetype="application/geo+json")


# The OpenAPI description of the endpoint (served at /api/v1/openapi.json, checked by schemathesis).
from coordhub.api.openapi import EXTRA_PATHS, EXTRA_SCHEMAS, PAGING, _error_responses  # noqa: E402
from coordhub.maps.core.layers import LAYERS  # noqa: E402
from coordhub.registry.models import OrganisationType, ProjectStatus  # noqa: E402

EXTRA_SCHEMAS["MapLayer"] = {
    "type": "object",
    "required": ["type", "features", "metadata"],
    "properties": {
        "type": {"type": "string", "enum": ["FeatureCollection"]},
        "metadata": {
            "type": "object",
            "required": ["layer", "level", "title", "classes"],
            "properties": {
                "layer": {"type": "string", "enum": list(LAYERS)},
                "level": {"type": "integer"},
                "title": {"type": "string"},
                "filters": {"type": "object"},
                "classes": {"type": "array", "items": {"type": "number"}},
                "boundaries": {"type": "integer"},
                "run": {"type": ["integer", "null"]},
            },
        },
        "features": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["type", "geometry", "properties"],
                "properties": {
                    "type": {"type": "string", "enum": ["Feature"]},
                    "geometry": {"type": ["object", "null"]},
                    "properties": {
                        "type": "object",
                        "description": "Admin areas: pcode, name, level, centroid and the "
                        "layer's figures; allocation lines: kind 'flow', from, to, quantity",
                    },
                },
            },
        },
    },
}
EXTRA_PATHS["/maps/{layer}"] = {
    "get": {
        "summary": "A map layer: one GeoJSON feature per admin area at the level, with its figures",
        "tags": ["maps"],
        "parameters": [
            {"name": "layer", "in": "path", "required": True, "schema": {"type": "string", "enum": list(LAYERS)}},
            {
                "name": "level",
                "in": "query",
                "schema": {"type": "integer", "minimum": 0, "maximum": 20},
                "description": "Admin level (default 1); must be one of the operation's levels",
            },
            {"name": "sector", "in": "query", "schema": {"type": "integer"}},
            {"name": "area", "in": "query", "schema": {"type": "integer"}},
            {"name": "organisation", "in": "query", "schema": {"type": "integer"}},
            {
                "name": "organisation_type",
                "in": "query",
                "schema": {"type": "string", "enum": [t.value for t in OrganisationType]},
            },
            {"name": "status", "in": "query", "schema": {"type": "string", "enum": [s.value for s in ProjectStatus]}},
            {"name": "date_from", "in": "query", "schema": {"type": "string", "format": "date"}},
            {"name": "date_to", "in": "query", "schema": {"type": "string", "format": "date"}},
            {"name": "measure", "in": "query", "schema": {"type": "string", "enum": ["organisations", "projects"]}},
            {
                "name": "run",
                "in": "query",
                "schema": {"type": "integer", "minimum": 1, "maximum": 2147483647},
                "description": "Allocation run (allocation layer; default: the latest you may see)",
            },
            PAGING[2],
        ],
        "responses": {
            "200": {
                "description": "GeoJSON FeatureCollection",
                "content": {"application/geo+json": {"schema": {"$ref": "#/components/schemas/MapLayer"}}},
            },
            **_error_responses(401, 404, 422),
        },
    }
}
