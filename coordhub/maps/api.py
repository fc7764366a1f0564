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
