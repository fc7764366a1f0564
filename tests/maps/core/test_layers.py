"""The pure map core: folding areas into a level, shading classes, GeoJSON and CSV output (no app needed)."""

from __future__ import annotations

import csv
import io
import json

from hypothesis import given
from hypothesis import strategies as st

from coordhub.maps.core.layers import AreaTree, MapArea, RawJSON, classes, csv_text, dumps, feature_collection, fold

TREE = AreaTree(
    {
        a.id: a
        for a in [
            MapArea(1, "XX", "Country", 0, None, 10.0, 20.0),
            MapArea(2, "XX01", "North", 1, 1, 12.0, 20.0),
            MapArea(3, "XX0101", "North-A", 2, 2, 12.1, 20.1),
            MapArea(4, "XX0102", "North-B", 2, 2),
            MapArea(
                5,
                "XX02",
                "South",
                1,
                1,
                8.0,
                20.0,
                {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]},
            ),
        ]
    }
)


def test_fold_counts_an_item_once_per_area_of_the_level():
    grouped = fold(TREE, 1, [(3, "p1"), (4, "p1"), (4, "p2"), (5, "p3"), (1, "p4")])
    assert grouped == {2: ["p1", "p2"], 5: ["p3"]}  # p4 is registered above the level: in no area
    assert fold(TREE, 2, [(3, "p1"), (4, "p1"), (2, "p5")]) == {3: ["p1"], 4: ["p1"]}


def test_centroid_falls_back_to_the_parent():
    assert TREE.centroid(4) == (12.0, 20.0)
    assert TREE.ancestor_at(4, 1) == 2 and TREE.ancestor_at(2, 2) is None


def test_feature_collection_boundary_point_or_nothing():
    collection = feature_collection(
        TREE.at_level(2) + TREE.at_level(1), {3: {"value": 2}}, {"value": 0}, {"title": "t"}
    )
    geometries = {f["id"]: f["geometry"] for f in collection["features"]}
    assert geometries["XX0101"] == {"type": "Point", "coordinates": [20.1, 12.1]}
    assert geometries["XX0102"] is None  # no boundary, no centroid: in the table only
    assert geometries["XX02"]["type"] == "Polygon"
    assert {f["id"]: f["properties"]["value"] for f in collection["features"]}["XX0101"] == 2


def test_dumps_copies_stored_boundaries_as_they_are():
    stored = '{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]}'
    area = MapArea(9, "XX09", "Stored", 1, 1, 1.0, 2.0, stored)
    collection = feature_collection([area], {}, {"n": 1}, {"title": "é"})
    assert isinstance(collection["features"][0]["geometry"], RawJSON)
    text = dumps(collection)
    assert stored in text and json.loads(text)["features"][0]["geometry"]["type"] == "Polygon"
    assert json.loads(text)["metadata"]["title"] == "é"


def test_csv_has_one_row_per_area_and_joins_lists():
    collection = feature_collection(
        TREE.at_level(1),
        {2: {"names": ["A", "B"], "n": 3}},
        {"names": [], "n": 0},
        {},
        [{"type": "Feature", "geometry": None, "properties": {"kind": "flow"}}],
    )
    rows = list(csv.reader(io.StringIO(csv_text(collection, ["n", "names"]))))
    assert rows == [
        ["pcode", "name", "level", "n", "names"],
        ["XX01", "North", "1", "3", "A; B"],
        ["XX02", "South", "1", "0", ""],
    ]


@given(st.lists(st.floats(min_value=0, max_value=1e6, allow_nan=False), max_size=200))
def test_classes_cover_every_value_in_increasing_steps(values):
    bounds = classes(values)
    positive = [v for v in values if v > 0]
    if not positive:
        assert bounds == []
        return
    assert bounds == sorted(set(bounds)) and len(bounds) <= 6
    assert bounds[-1] >= max(positive)
