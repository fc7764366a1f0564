"""The gap matrix: needs against activities and capacities per sector × admin area."""

from __future__ import annotations

from datetime import date

from coordhub.overlap.core import Capacity, Need
from coordhub.overlap.core.gaps import find_gaps

from .factories import AREAS, activity


def test_needs_with_no_one_working_are_gaps_and_lower_levels_roll_up():
    report = find_gaps(
        [
            activity(id="a", organisation="UNICEF", pcodes=["CF632"], beneficiaries=300),
            activity(id="b", organisation="NRC", pcodes=["CF631"], beneficiaries=200),
            activity(id="c", organisation="NRC", pcodes=["CF632"], beneficiaries=50),
        ],
        AREAS,
        level=1,
        needs=[
            Need("n1", "Education", ["CF632"], quantity=1000),
            Need("n2", "Education", ["CF321"], quantity=400),
            Need("n3", "Health", ["CF63"], quantity=10),
        ],
    )
    ouham_pende = report.cell("Education", "CF63")
    assert (ouham_pende.need_count, ouham_pende.need_quantity) == (1, 1000)
    assert ouham_pende.activity_count == 3
    assert ouham_pende.organisations == ("NRC", "UNICEF")
    assert ouham_pende.beneficiaries == 550
    assert not ouham_pende.is_gap
    assert [(g.sector, g.area.pcode) for g in report.gaps] == [("Education", "CF32"), ("Health", "CF63")]
    assert [a.pcode for a in report.areas] == ["CF32", "CF63"]
    assert report.sectors == ("Education", "Health")


def test_work_registered_above_the_level_covers_every_area_below():
    report = find_gaps(
        [activity(id="a", pcodes=["CF63"], beneficiaries=999)],
        AREAS,
        level=2,
        needs=[Need("n1", "Education", ["CF631"]), Need("n2", "Education", ["CF"])],
    )
    bocaranga = report.cell("Education", "CF631")
    assert bocaranga.activity_count == 1 and not bocaranga.is_gap
    assert bocaranga.beneficiaries == 0  # not split from the prefecture's figure
    assert report.cell("Education", "CF632").activity_count == 1
    assert report.cell("Education", "CF321").activity_count == 0
    assert report.needs_above_level == ("n2",)


def test_double_counted_intervention_counts_once():
    report = find_gaps(
        [
            activity(id="a", organisation="UNICEF", implementing_partners=["NRC"], beneficiaries=500),
            activity(id="b", organisation="NRC", beneficiaries=500),
        ],
        AREAS,
        level=2,
        needs=[Need("n1", "Education", ["CF632"])],
    )
    cell = report.cell("Education", "CF632")
    assert (cell.activity_count, cell.organisations, cell.beneficiaries, cell.linked_count) == (1, ("NRC",), 500, 1)


def test_period_capacities_and_unknown_areas():
    report = find_gaps(
        [activity(id="old", start=date(2020, 1, 1), end=date(2020, 12, 31)), activity(id="elsewhere", pcodes=["ZZ1"])],
        AREAS,
        level=2,
        period=(date(2026, 1, 1), date(2026, 12, 31)),
        needs=[Need("n1", "Education", ["CF632"], quantity=5)],
        capacities=[
            Capacity("c1", "WFP", "Education", ["CF632"], quantity=3),
            Capacity("c2", "WFP", "Education", ["CF63"], quantity=2),
        ],
    )
    cell = report.cell("Education", "CF632")
    assert cell.is_gap and cell.activity_count == 0
    assert (cell.capacity_count, cell.capacity_quantity) == (2, 5)
    assert report.unmatched_pcodes == {"ZZ1"}
    assert report.cell("education", "ZZ1").activity_count == 1
