"""Loading COD-AB boundaries: GeoJSON and zipped shapefiles made in the tests, bad geometries, unknown
P-codes, preview then all-or-nothing, and the maps drawing the loaded shapes."""

from __future__ import annotations

import io
import json
import re
import zipfile

import shapefile
import sqlalchemy as sa

from coordhub.extensions import db
from coordhub.maps.core.boundaries import parse_boundaries
from coordhub.registry.models import AdminArea


def square(x: float, y: float, size: float = 1.0) -> dict:
    return {"type": "Polygon", "coordinates": [[[x, y], [x + size, y], [x + size, y + size], [x, y + size], [x, y]]]}


def cod_file(features: list[tuple[str, str, dict | None]], level: int = 2) -> bytes:
    """A COD-AB style GeoJSON: ADM<level>_PCODE, ADM<level>_FR and the parent's columns."""
    return json.dumps(
        {
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "properties": {
                        f"ADM{level}_PCODE": pcode,
                        f"ADM{level}_FR": name,
                        "ADM0_PCODE": "CF",
                        "Shape_Area": 0.5,
                    },
                    "geometry": geometry,
                }
                for pcode, name, geometry in features
            ],
        }
    ).encode()


def bowtie(x: float, y: float) -> dict:
    return {"type": "Polygon", "coordinates": [[[x, y], [x + 1, y + 1], [x + 1, y], [x, y + 1], [x, y]]]}


DISTRICTS = [
    ("CF632", "Bozoum", square(16, 6)),
    ("CF633", "Bocaranga", square(15, 7)),
    ("CF711", "Bria", square(22, 6)),
]


def upload(client, raw: bytes, level: int = 2, name: str = "cod.geojson"):
    return client.post(
        "/maps/boundaries",
        data={"file": (io.BytesIO(raw), name), "level": str(level)},
        content_type="multipart/form-data",
    )


def commit(client, html: str):
    token = re.search(r'name="upload" type="hidden" value="([0-9a-f]{32})"', html) or re.search(
        r'id="upload" name="upload" type="hidden" value="([0-9a-f]{32})"', html
    )
    assert token, html
    level = re.search(r'name="level" type="hidden" value="(\d+)"', html).group(1)
    filename = re.search(r'name="filename" type="hidden" value="([^"]*)"', html).group(1)
    return client.post("/maps/boundaries", data={"upload": token.group(1), "level": level, "filename": filename})


def boundary_of(operation, pcode):
    return db.session.scalar(
        sa.select(AdminArea.boundary_web).where(AdminArea.operation_id == operation.id, AdminArea.pcode == pcode)
    )


def test_preview_writes_nothing_then_load_writes_all(client, mapped, login):
    login(mapped.users["admin"])
    preview = upload(client, cod_file(DISTRICTS))
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200 and "3 matched" in html and "ADM2_PCODE" in html
    assert boundary_of(mapped.operation, "CF632") is None
    loaded = commit(client, html)
    assert loaded.status_code == 200 and "3 boundaries loaded" in loaded.get_data(as_text=True)
    db.session.expire_all()
    assert boundary_of(mapped.operation, "CF632")["type"] == "Polygon"
    original = db.session.scalar(
        sa.select(AdminArea.boundary).where(AdminArea.pcode == "CF632", AdminArea.operation_id == mapped.operation.id)
    )
    assert original["coordinates"][0][0] == [16.0, 6.0]
    # The map now draws the shapes at that level, and circles where there are none (level 1).
    login(mapped.users["viewer"])
    level2 = client.get("/maps/presence/data?level=2").get_json()
    assert {f["geometry"]["type"] for f in level2["features"]} == {"Polygon"}
    assert level2["metadata"]["boundaries"] == 3
    level1 = client.get("/maps/presence/data?level=1").get_json()
    assert {f["geometry"]["type"] for f in level1["features"]} == {"Point"}


def test_unknown_pcodes_bad_geometries_and_wrong_level_refuse_the_whole_file(client, mapped, login):
    login(mapped.users["admin"])
    raw = cod_file(
        [
            *DISTRICTS[:2],
            ("CF999", "Nowhere", square(0, 0)),
            ("CF63", "A province", square(1, 1)),
            ("", "No code", square(2, 2)),
            ("CF711", "Bria", {"type": "Polygon", "coordinates": [[[0, 0], [1, 1]]]}),
        ]
    )
    preview = upload(client, raw)
    html = preview.get_data(as_text=True)
    assert "No admin area of this operation has this P-code." in html  # CF999
    assert "level 1, not of the level loaded" in html  # CF63
    assert "No P-code in property ADM2_PCODE." in html
    assert "The geometry cannot be read" in html  # Bria's broken ring
    assert "Load these boundaries</button>" not in html
    assert "Bria (CF711)" in html  # left without a boundary
    assert boundary_of(mapped.operation, "CF632") is None


def test_a_self_intersecting_polygon_is_repaired_and_flagged(app):
    parsed = parse_boundaries(cod_file([("CF632", "Bozoum", bowtie(16, 6))]), 2)
    assert parsed.problems == []
    assert parsed.boundaries[0].repaired and parsed.boundaries[0].web_geometry["type"] == "MultiPolygon"


def test_simplified_copy_is_lighter(app):
    import math

    ring = [[16 + math.cos(i / 500 * 2 * math.pi), 6 + math.sin(i / 500 * 2 * math.pi)] for i in range(500)]
    ring.append(ring[0])
    parsed = parse_boundaries(cod_file([("CF632", "Bozoum", {"type": "Polygon", "coordinates": [ring]})]), 2)
    boundary = parsed.boundaries[0]
    assert boundary.points == 501 and boundary.web_points < 200
    assert boundary.name == "Bozoum"


def test_zipped_shapefile(client, mapped, login):
    shp, shx, dbf = io.BytesIO(), io.BytesIO(), io.BytesIO()
    with shapefile.Writer(shp=shp, shx=shx, dbf=dbf, shapeType=shapefile.POLYGON) as writer:
        writer.field("ADM1_PCODE", "C", size=20)
        writer.field("ADM1_FR", "C", size=60)
        for pcode, name, x in (("CF63", "Ouham-Pendé", 15), ("CF71", "Haute-Kotto", 22)):
            writer.poly([[[x, 6], [x, 8], [x + 2, 8], [x + 2, 6], [x, 6]]])
            writer.record(pcode, name)
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        for suffix, buffer in (("shp", shp), ("shx", shx), ("dbf", dbf)):
            zipped.writestr(f"cod_adm1.{suffix}", buffer.getvalue())
    login(mapped.users["admin"])
    preview = upload(client, archive.getvalue(), level=1, name="cod_adm1.zip")
    html = preview.get_data(as_text=True)
    assert "2 matched" in html and "Haute-Kotto" in html
    assert commit(client, html).status_code == 200
    db.session.expire_all()
    assert boundary_of(mapped.operation, "CF71")["type"] == "Polygon"


def test_unreadable_files_name_the_field(client, mapped, login):
    login(mapped.users["admin"])
    for raw, name in (
        (b"not json at all", "x.geojson"),
        (b"PK\x03\x04broken", "x.zip"),
        (
            json.dumps(
                {
                    "type": "FeatureCollection",
                    "features": [{"type": "Feature", "properties": {"name": "x"}, "geometry": square(0, 0)}],
                }
            ).encode(),
            "x.geojson",
        ),
    ):
        response = upload(client, raw, name=name)
        assert response.status_code == 422
        assert "The file cannot be read as boundaries" in response.get_data(as_text=True)
    response = upload(client, cod_file(DISTRICTS), level=5)
    assert response.status_code == 422 and "no admin areas at level 5" in response.get_data(as_text=True)


def test_only_administrators_load_boundaries(client, mapped, login):
    for role in ("coordinator", "focal", "viewer"):
        login(mapped.users[role])
        assert client.get("/maps/boundaries").status_code == 403
        assert upload(client, cod_file(DISTRICTS)).status_code == 403
    login(mapped.users["admin"])
    assert client.post("/maps/boundaries", data={"upload": "../../etc/passwd", "level": "2"}).status_code == 400
