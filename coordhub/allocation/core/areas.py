"""The admin-area tree as the solver's arrays: ancestors, admin-1 of every area, centroid distances.

Containment comes from the shared tree (:class:`coordhub.reading.areas.AreaTree`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from coordhub.reading.areas import AreaTree
from coordhub.reading.areas import InvalidInput as TreeError

from .model import AdminArea, InvalidInput

MAX_DEPTH = 16
EARTH_RADIUS_KM = 6371.0088


@dataclass(frozen=True)
class AreaIndex:
    """Every P-code the run mentions, numbered 0..A-1 in sorted order.

    ancestors[a, k] is the k-th ancestor of area a (k=0: a itself), -1 past
    the root.  Codes not in the tree (or every code when no tree is given) are
    roots of their own: they cover only themselves.  admin1[a] is the area
    index of a's admin-1 area (the ancestor-or-self at level 1; the area itself
    when the tree does not say).
    """

    codes: tuple[str, ...]
    index: dict[str, int]
    ancestors: np.ndarray
    admin1: np.ndarray
    lat: np.ndarray
    lon: np.ndarray
    known: np.ndarray
    tree_given: bool


def build_area_index(areas: Sequence[AdminArea] | None, extra_codes: Iterable[str]) -> AreaIndex:
    """Number the tree's areas and the extra codes, and tabulate ancestors.

    Raises InvalidInput on a duplicate P-code, a parent that is not in the
    tree, a cycle, or a tree deeper than 16 levels.
    """
    areas = list(areas or ())
    problems: list[str] = []
    by_code: dict[str, AdminArea] = {}
    for area in areas:
        if area.pcode in by_code:
            problems.append(f"area {area.pcode} is listed twice")
        by_code[area.pcode] = area
    for area in areas:
        if area.parent_pcode and area.parent_pcode not in by_code:
            problems.append(f"area {area.pcode} has unknown parent {area.parent_pcode}")
    if problems:
        raise InvalidInput(problems[:50])
    codes = sorted(set(by_code) | set(extra_codes))
    index = {code: i for i, code in enumerate(codes)}
    count = len(codes)
    try:
        tree = AreaTree(areas)
    except TreeError as error:
        raise InvalidInput(str(error)) from None
    nodes = np.array([tree.locate(code) for code in codes], dtype=np.int64)
    node_ancestors = tree.ancestor_table(nodes)
    if node_ancestors.shape[1] > MAX_DEPTH:
        deep = [codes[i] for i in np.flatnonzero(node_ancestors[:, MAX_DEPTH] >= 0)[:5]]
        raise InvalidInput(f"the area tree has a cycle or is deeper than {MAX_DEPTH} levels (at {', '.join(deep)})")
    # The tree numbers its nodes depth first; this index numbers codes in sorted order.
    index_of_node = np.full(len(tree), -1, dtype=np.int64)
    index_of_node[nodes] = np.arange(count)
    ancestors = np.where(node_ancestors >= 0, index_of_node[np.maximum(node_ancestors, 0)], -1)
    lat = np.full(count, np.nan)
    lon = np.full(count, np.nan)
    level = np.full(count, -1, dtype=np.int64)
    known = np.zeros(count, dtype=bool)
    for area in areas:
        i = index[area.pcode]
        known[i] = True
        if area.lat is not None and area.lon is not None:
            lat[i], lon[i] = area.lat, area.lon
        if area.level is not None:
            level[i] = area.level

    depth = (ancestors >= 0).sum(axis=1) - 1
    level = np.where(level >= 0, level, depth)
    ancestor_level = np.where(ancestors >= 0, level[np.maximum(ancestors, 0)], -1)
    is_admin1 = ancestor_level == 1
    first = is_admin1.argmax(axis=1)
    rows = np.arange(count)
    admin1 = np.where(is_admin1.any(axis=1), ancestors[rows, first], rows)
    return AreaIndex(
        codes=tuple(codes),
        index=index,
        ancestors=ancestors,
        admin1=admin1,
        lat=lat,
        lon=lon,
        known=known,
        tree_given=bool(areas),
    )


def haversine_km(lat1: np.ndarray, lon1: np.ndarray, lat2: np.ndarray, lon2: np.ndarray) -> np.ndarray:
    """Great-circle distance in km between points given in degrees (vectorised;
    NaN where a coordinate is missing)."""
    phi1, phi2 = np.radians(lat1), np.radians(lat2)
    dphi = phi2 - phi1
    dlmb = np.radians(lon2 - lon1)
    h = np.sin(dphi / 2) ** 2 + np.cos(phi1) * np.cos(phi2) * np.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))
