"""COD-AB boundary files (GeoJSON, zipped shapefile) to checked, simplified geometries keyed by P-code."""

from __future__ import annotations

import io
import json
import re
import zipfile
from dataclasses import dataclass, field
from typing import Any

import shapefile  # pyshp
from shapely import make_valid
from shapely.geometry import mapping, shape
from shapely.geometry.base import BaseGeometry

# Properties that hold an area's P-code, most specific first ("ADM2_PCODE", "admin2Pcode", "pcode").
PCODE_KEY = re.compile(r"^adm(?:in)?\s*_?(\d)\s*_?p\s*_?code$", re.IGNORECASE)
NAME_KEY = re.compile(r"^adm(?:in)?\s*_?(\d)\s*_?(?:name)?\s*_?(en|fr|ref)?$", re.IGNORECASE)
POLYGONAL = {"Polygon", "MultiPolygon"}
# Degrees; about 1 km at the equator: COD-AB files are drawn at 1:250,000 or finer, far more than a web map needs.
DEFAULT_TOLERANCE = 0.01


class BoundaryFileError(ValueError):
    """The file as a whole cannot be read as boundaries (not the problem of one row)."""


@dataclass(frozen=True)
class RowProblem:
    """A problem with one feature: `code` says what (for the reader's language), `params` the details."""

    row: int  # 1-based feature number in the file
    pcode: str
    code: str  # no_pcode, bad_geometry, not_polygon, duplicate, unknown_pcode, wrong_level
    params: dict[str, Any] = field(default_factory=dict)


@dataclass
class Boundary:
    row: int
    pcode: str
    name: str
    geometry: dict[str, Any]  # as loaded (made valid when it was not)
    web_geometry: dict[str, Any]  # simplified for the web
    repaired: bool = False
    points: int = 0
    web_points: int = 0


@dataclass
class ParsedBoundaries:
    boundaries: list[Boundary]
    problems: list[RowProblem]
    pcode_property: str | None


def _features_from_geojson(raw: bytes) -> list[dict[str, Any]]:
    try:
        data = json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise BoundaryFileError(f"not a GeoJSON file ({error})") from None
    if isinstance(data, dict) and data.get("type") == "FeatureCollection" and isinstance(data.get("features"), list):
        return [f if isinstance(f, dict) else {} for f in data["features"]]
    if isinstance(data, dict) and data.get("type") == "Feature":
        return [data]
    raise BoundaryFileError("a GeoJSON FeatureCollection was expected")


def _features_from_shapefile(raw: bytes) -> list[dict[str, Any]]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(raw))
    except zipfile.BadZipFile:
        raise BoundaryFileError("not a zip archive") from None
    names = {name.lower(): name for name in archive.namelist()}
    shp = sorted(name for name in names if name.endswith(".shp"))
    if not shp:
        raise BoundaryFileError("the zip archive holds no .shp file")
    stem = shp[0][:-4]
    if stem + ".dbf" not in names:
        raise BoundaryFileError("the shapefile's .dbf (its attributes) is missing from the archive")
    try:
        reader = shapefile.Reader(
            shp=io.BytesIO(archive.read(names[stem + ".shp"])),
            dbf=io.BytesIO(archive.read(names[stem + ".dbf"])),
            shx=io.BytesIO(archive.read(names[stem + ".shx"])) if stem + ".shx" in names else None,
            encoding="utf-8",
            encodingErrors="replace",
        )
        return [
            {
                "type": "Feature",
                "properties": record.record.as_dict(),
                "geometry": record.shape.__geo_interface__ if record.shape.shapeType else None,
            }
            for record in reader.iterShapeRecords()
        ]
    except shapefile.ShapefileException as error:
        raise BoundaryFileError(f"the shapefile cannot be read ({error})") from None


def read_features(raw: bytes, filename: str = "") -> list[dict[str, Any]]:
    """GeoJSON features from a GeoJSON file or a zipped shapefile (told apart by content, then name)."""
    if raw[:4] == b"PK\x03\x04" or filename.lower().endswith(".zip"):
        return _features_from_shapefile(raw)
    return _features_from_geojson(raw)


def pcode_property(features: list[dict[str, Any]], level: int) -> str | None:
    """The property holding the P-code of areas at `level` (ADM2_PCODE for level 2), else a plain 'pcode'."""
    keys: list[str] = []
    for feature in features[:50]:
        for key in feature.get("properties") or {}:
            if key not in keys:
                keys.append(key)
    for key in keys:
        match = PCODE_KEY.match(key.strip())
        if match and int(match.group(1)) == level:
            return key
    return next((k for k in keys if k.strip().lower() in ("pcode", "p_code", "p-code")), None)


def _name(properties: dict[str, Any], level: int) -> str:
    for key, value in properties.items():
        match = NAME_KEY.match(key.strip())
        if match and int(match.group(1)) == level and isinstance(value, str) and value.strip():
            return value.strip()
    return str(properties.get("name") or "").strip()


def _count_points(geometry: BaseGeometry) -> int:
    import shapely

    return int(shapely.get_num_coordinates(geometry))


def _rounded(geometry: BaseGeometry, digits: int) -> dict[str, Any]:
    import shapely

    return mapping(shapely.set_precision(geometry, 10**-digits))


def parse_boundaries(
    raw: bytes, level: int, filename: str = "", tolerance: float = DEFAULT_TOLERANCE
) -> ParsedBoundaries:
    """Read a boundary file for admin level `level`: one Boundary per polygon feature with a P-code.

    Invalid polygons (self-intersections) are repaired with shapely's make_valid and flagged; features
    without a P-code, without a polygon, with an empty or unreadable geometry, or repeating a P-code are
    reported as RowProblems. The web geometry is simplified to `tolerance` degrees (topology kept) and
    rounded to 5 decimals (about 1 m). Raises BoundaryFileError when the file is unreadable as a whole."""
    features = read_features(raw, filename)
    if not features:
        raise BoundaryFileError("the file holds no features")
    key = pcode_property(features, level)
    if key is None:
        raise BoundaryFileError(f"no P-code property for level {level} (such as ADM{level}_PCODE)")
    boundaries: list[Boundary] = []
    problems: list[RowProblem] = []
    seen: dict[str, int] = {}
    for row, feature in enumerate(features, start=1):
        properties = feature.get("properties") or {}
        pcode = str(properties.get(key) or "").strip()
        if not pcode:
            problems.append(RowProblem(row, "", "no_pcode", {"property": key}))
            continue
        if pcode in seen:
            problems.append(RowProblem(row, pcode, "duplicate", {"first_row": seen[pcode]}))
            continue
        seen[pcode] = row
        raw_geometry = feature.get("geometry")
        try:
            geometry = shape(raw_geometry) if raw_geometry else None
        except (ValueError, TypeError, AttributeError, KeyError, IndexError) as error:
            problems.append(RowProblem(row, pcode, "bad_geometry", {"detail": str(error)[:200]}))
            continue
        except Exception as error:  # shapely raises GEOSException (not a ValueError) on broken rings
            problems.append(RowProblem(row, pcode, "bad_geometry", {"detail": str(error)[:200]}))
            continue
        if geometry is None or geometry.is_empty:
            problems.append(RowProblem(row, pcode, "bad_geometry", {"detail": "empty"}))
            continue
        if geometry.geom_type not in POLYGONAL:
            problems.append(RowProblem(row, pcode, "not_polygon", {"type": geometry.geom_type}))
            continue
        repaired = not geometry.is_valid
        if repaired:
            geometry = make_valid(geometry)
            polygons = [g for g in getattr(geometry, "geoms", [geometry]) if g.geom_type in POLYGONAL]
            if not polygons:
                problems.append(RowProblem(row, pcode, "bad_geometry", {"detail": "no area left once repaired"}))
                continue
            from shapely.ops import unary_union

            geometry = unary_union(polygons)
        simple = geometry.simplify(tolerance, preserve_topology=True)
        if simple.is_empty:
            simple = geometry
        boundaries.append(
            Boundary(
                row=row,
                pcode=pcode,
                name=_name(properties, level),
                geometry=mapping(geometry),
                web_geometry=_rounded(simple, 5),
                repaired=repaired,
                points=_count_points(geometry),
                web_points=_count_points(simple),
            )
        )
    return ParsedBoundaries(boundaries, problems, key)


def centroid_of(geometry: dict[str, Any]) -> tuple[float, float]:
    """(latitude, longitude) of a point inside the polygon (its centroid when that lies inside)."""
    polygon = shape(geometry)
    point = polygon.centroid if polygon.contains(polygon.centroid) else polygon.representative_point()
    return round(point.y, 6), round(point.x, 6)
