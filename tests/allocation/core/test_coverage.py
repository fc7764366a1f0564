"""Coverage is grouped in one place (core.grouped_coverage): the core's own figures and the stored run's figures."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from coordhub.allocation.core import CoverageFigure, allocate, grouped_coverage

from .builders import AREAS, cap, need


def test_needs_sharing_a_key_are_added_up_in_key_order():
    cells = grouped_coverage(["WASH", "EDU", "WASH"], np.array([10.0, 4.0, 6.0]), np.array([5.0, 4.0, 0.0]))
    assert list(cells) == ["EDU", "WASH"]
    assert cells == {"EDU": CoverageFigure(4.0, 4.0), "WASH": CoverageFigure(16.0, 5.0)}
    assert cells["WASH"].share == 5 / 16
    assert grouped_coverage([], np.array([]), np.array([])) == {}


@given(
    st.lists(st.tuples(st.sampled_from(["a", "b", "c"]), st.floats(0, 1e6), st.floats(0, 1e6)), min_size=1, max_size=40)
)
def test_groups_sum_like_a_plain_loop(rows):
    keys = [key for key, _, _ in rows]
    cells = grouped_coverage(keys, np.array([n for _, n, _ in rows]), np.array([m for _, _, m in rows]))
    expected: dict[str, list[float]] = {}
    for key, needed, met in rows:
        cell = expected.setdefault(key, [0.0, 0.0])
        cell[0] += needed
        cell[1] += met
    assert {key: [cell.needed, cell.met] for key, cell in cells.items()} == dict(sorted(expected.items()))


def test_the_core_groups_its_result_by_type_and_admin1_the_same_way():
    result = allocate(
        [need("n1", 10, pcode="XX11"), need("n2", 5, pcode="XX21"), need("n3", 4, pcode="XX12", resource_type="kit")],
        [cap("c1", 8, service=("XX1",)), cap("c2", 4, service=("XX1",), resource_type="kit")],
        areas=AREAS,
    )
    coverage = result.coverage
    assert coverage.by_resource_type == {"kit": CoverageFigure(4.0, 4.0), "tent": CoverageFigure(15.0, 8.0)}
    assert coverage.by_admin1 == {"XX1": CoverageFigure(14.0, 12.0), "XX2": CoverageFigure(5.0, 0.0)}
    assert coverage.by_admin1_and_type[("XX1", "tent")] == CoverageFigure(10.0, 8.0)
