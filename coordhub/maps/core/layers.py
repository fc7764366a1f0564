"""Map layers as plain data: admin areas with figures in, a GeoJSON FeatureCollection (or CSV) out."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

LAYERS = ("presence", "needs", "allocation", "overlaps")


@dataclass(frozen=True)
class MapArea:
    """An admin area as a map draws it: the simplified boundary when loaded, else its centroid."""

    id: int
    pcode: str
    name: str
    level: int
    parent_id: int | None
    latitude: float | None = None
    longitude: float | None = None
    geometry: Mapping[str, Any] | str | None = None  # GeoJSON geometry, or its JSON text as stored


class RawJSON(str):
    """JSON text kept as it was stored (a boundary), written out by `dumps` without parsing it again."""


@dataclass
class AreaTree:
    """Every admin area of an operation, to fold figures of lower areas into the level a map shows."""

    areas: dict[int, MapArea]
    children: dict[int, list[int]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._targets: dict[int, dict[int, int]] = {}
        self.children = {}
        for area in self.areas.values():
            if area.parent_id is not None:
                self.children.setdefault(area.parent_id, []).append(area.id)

    def targets(self, level: int) -> dict[int, int]:
        """area id -> the id of the area at `level` that holds it, for every area at or below `level`."""
        cached = self._targets.get(level)
        if cached is None:
            cached = {
                area_id: target for area_id in self.areas if (target := self.ancestor_at(area_id, level)) is not None
            }
            self._targets[level] = cached
        return cached

    def at_level(self, level: int) -> list[MapArea]:
        return sorted((a for a in self.areas.values() if a.level == level), key=lambda a: a.pcode)

    def ancestor_at(self, area_id: int, level: int) -> int | None:
        """The area at `level` that holds `area_id` (itself when at that level); None when it lies above."""
        area = self.areas.get(area_id)
        while area is not None and area.level > level:
            area = self.areas.get(area.parent_id) if area.parent_id is not None else None
        return area.id if area is not None and area.level == level else None

    def centroid(self, area_id: int) -> tuple[float, float] | None:
        """(latitude, longitude) of an area, else of its nearest ancestor that has one."""
        area = self.areas.get(area_id)
        while area is not None:
            if area.latitude is not None and area.longitude is not None:
                return area.latitude, area.longitude
            area = self.areas.get(area.parent_id) if area.parent_id is not None else None
        return None


def fold(tree: AreaTree, level: int, keyed: Iterable[tuple[int, Any]]) -> dict[int, list[Any]]:
    """Group (area id, item) pairs under their area at `level`; an item listed under several areas of one
    level-area appears once there (a project in two districts of a province counts once for it)."""
    grouped: dict[int, dict[Any, None]] = {}
    targets = tree.targets(level)
    for area_id, item in keyed:
        target = targets.get(area_id)
        if target is not None:
            grouped.setdefault(target, {})[item] = None
    return {area_id: list(items) for area_id, items in grouped.items()}


def point_of(area: MapArea) -> dict[str, Any] | None:
    if area.latitude is None or area.longitude is None:
        return None
    return {"type": "Point", "coordinates": [round(area.longitude, 5), round(area.latitude, 5)]}


def feature_collection(
    areas: Iterable[MapArea],
    figures: Mapping[int, Mapping[str, Any]],
    defaults: Mapping[str, Any],
    meta: Mapping[str, Any],
    extra_features: Iterable[dict] = (),
) -> dict[str, Any]:
    """One feature per area (its boundary, else its centroid as a point, else no geometry), with `pcode`,
    `name`, `level`, `centroid` and the area's figures (or `defaults`) as properties; `meta` is kept as
    the collection's `metadata` (title, legend, filters) and `extra_features` (lines, markers) follow."""
    features = []
    for area in areas:
        properties = {
            "pcode": area.pcode,
            "name": area.name,
            "level": area.level,
            "area_id": area.id,
            "centroid": [area.latitude, area.longitude] if area.latitude is not None else None,
            "has_boundary": area.geometry is not None,
        }
        properties.update(defaults)
        properties.update(figures.get(area.id, {}))
        geometry = RawJSON(area.geometry) if isinstance(area.geometry, str) else area.geometry
        features.append(
            {"type": "Feature", "id": area.pcode, "geometry": geometry or point_of(area), "properties": properties}
        )
    features.extend(extra_features)
    return {"type": "FeatureCollection", "metadata": dict(meta), "features": features}


def classes(values: Iterable[float], count: int = 5) -> list[float]:
    """Upper bounds of up to `count` classes for shading, from the positive values (nice rounded steps).

    Zero always has its own class (the map shows "none" apart); an empty input gives []."""
    positive = sorted(v for v in values if v > 0)
    if not positive:
        return []
    top = positive[-1]
    if top <= count:
        return [float(v) for v in range(1, int(top) + 1)] if float(top).is_integer() else [top]
    bounds: list[float] = []
    for index in range(1, count + 1):
        value = positive[min(len(positive) - 1, max(0, round(index * len(positive) / count) - 1))]
        value = float(round(value, 0 if value >= 10 else 2))
        if not bounds or value > bounds[-1]:
            bounds.append(value)
    if bounds[-1] < top:
        bounds.append(float(top))
    return bounds


def csv_text(collection: Mapping[str, Any], columns: list[str]) -> str:
    """The area features of a collection as CSV: P-code, name, level, then `columns` (lists joined by '; ')."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["pcode", "name", "level", *columns])
    for feature in collection["features"]:
        properties = feature["properties"]
        if "pcode" not in properties:
            continue
        row = [properties["pcode"], properties["name"], properties["level"]]
        for column in columns:
            value = properties.get(column)
            if isinstance(value, (list, tuple)):
                value = "; ".join(str(v) for v in value)
            elif isinstance(value, dict):
                value = json.dumps(value, sort_keys=True)
            row.append("" if value is None else value)
        writer.writerow(row)
    return out.getvalue()


def dumps(collection: Mapping[str, Any]) -> str:
    """The collection as compact JSON; stored boundaries (RawJSON) are copied in as they are: at 1,500
    areas, parsing and writing the polygons again would cost more than everything else."""

    def encode(value: Any) -> str:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)

    parts = []
    for feature in collection["features"]:
        geometry = feature.get("geometry")
        body = {key: value for key, value in feature.items() if key != "geometry"}
        geometry_text = geometry if isinstance(geometry, RawJSON) else encode(geometry)
        parts.append(encode(body)[:-1] + ',"geometry":' + geometry_text + "}")
    head = {key: value for key, value in collection.items() if key != "features"}
    return encode(head)[:-1] + ',"features":[' + ",".join(parts) + "]}"


def geometry_of(feature: Mapping[str, Any]) -> dict[str, Any] | None:
    """A feature's geometry as a dict (parsing a stored boundary when needed)."""
    geometry = feature.get("geometry")
    return json.loads(geometry) if isinstance(geometry, RawJSON) else geometry
