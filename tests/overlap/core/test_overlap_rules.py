"""Each detection rule on hand-made cases: space, time, kinds, clusters, explanations, errors."""

from __future__ import annotations

from datetime import date

import pytest

from coordhub.overlap.core import (
    AdminArea,
    InvalidInput,
    OverlapKind,
    SpatialRelation,
    detect_overlaps,
)
from coordhub.overlap.core.scoring import TYPE_DIFFERENT

from .factories import AREAS, activity


def pairs(*activities, areas=AREAS, **options):
    return list(detect_overlaps(activities, areas, **options).overlaps)


def only_pair(*activities, **options):
    found = pairs(*activities, **options)
    assert len(found) == 1, found
    return found[0]


# space ---------------------------------------------------------------------------------------
def test_same_area_overlaps_with_full_spatial_weight():
    o = only_pair(activity(id="a"), activity(id="b", organisation="Save the Children"))
    assert o.relation is SpatialRelation.SAME
    assert o.shared_pcode == "CF632"
    assert o.kind is OverlapKind.OVERLAP


def test_prefecture_contains_sub_prefecture_and_match_is_weighted_by_levels_apart():
    same = only_pair(activity(id="a"), activity(id="b", organisation="NRC"))
    one_up = only_pair(activity(id="a", pcodes=["CF63"]), activity(id="b", organisation="NRC"))
    two_up = only_pair(activity(id="a", pcodes=["CF"]), activity(id="b", organisation="NRC"))
    assert one_up.relation is SpatialRelation.CONTAINS
    assert one_up.area_a.pcode == "CF63" and one_up.shared_pcode == "CF632"
    assert two_up.shared_pcode == "CF632"
    assert same.score > one_up.score > two_up.score > 0
    assert one_up.score == pytest.approx(same.score * 0.75)


def test_within_is_reported_from_the_first_activity_side():
    o = only_pair(activity(id="a"), activity(id="b", organisation="NRC", pcodes=["CF63"]))
    assert o.relation is SpatialRelation.WITHIN
    assert o.shared_area.pcode == "CF632"


def test_sibling_areas_and_other_sectors_do_not_overlap():
    assert pairs(activity(id="a"), activity(id="b", organisation="NRC", pcodes=["CF631"])) == []
    assert pairs(activity(id="a"), activity(id="b", organisation="NRC", sector="Health")) == []


def test_sector_is_compared_without_case_or_extra_spaces():
    assert len(pairs(activity(id="a"), activity(id="b", organisation="NRC", sector=" education "))) == 1


def test_activity_in_several_areas_matches_on_the_closest_one():
    o = only_pair(activity(id="a", pcodes=["CF63", "CF632", "CF321"]), activity(id="b", organisation="NRC"))
    assert o.relation is SpatialRelation.SAME and o.shared_pcode == "CF632"


def test_area_not_in_the_tree_matches_only_itself_and_is_reported():
    result = detect_overlaps(
        [
            activity(id="a", pcodes=["XX1"]),
            activity(id="b", organisation="NRC", pcodes=["XX1"]),
            activity(id="c", organisation="IRC", pcodes=["CF"]),
        ],
        AREAS,
    )
    assert [o.key for o in result.overlaps] == [("a", "b")]
    assert result.unknown_pcodes == {"XX1"}


# time ----------------------------------------------------------------------------------------
def test_touching_date_ranges_share_one_day():
    o = only_pair(
        activity(id="a", start=date(2026, 1, 1), end=date(2026, 6, 30)),
        activity(id="b", organisation="NRC", start=date(2026, 6, 30), end=date(2026, 9, 1)),
    )
    assert (o.start, o.end, o.days) == (date(2026, 6, 30), date(2026, 6, 30), 1)


def test_ranges_a_day_apart_do_not_overlap():
    assert (
        pairs(
            activity(id="a", end=date(2026, 6, 29)),
            activity(id="b", organisation="NRC", start=date(2026, 6, 30), end=None),
        )
        == []
    )


def test_open_end_means_ongoing():
    o = only_pair(
        activity(id="a", start=date(2020, 1, 1), end=None),
        activity(id="b", organisation="NRC", start=date(2031, 5, 1), end=date(2031, 5, 31)),
    )
    assert o.days == 31 and o.end == date(2031, 5, 31)
    both_open = only_pair(activity(id="a", end=None), activity(id="b", organisation="NRC", end=None))
    assert both_open.days is None and both_open.end is None
    assert "both active from 1 Mar 2026, ongoing" in both_open.explanation


def test_longer_intersection_scores_higher():
    base = activity(id="a", start=date(2026, 1, 1), end=date(2026, 12, 31))
    short = only_pair(base, activity(id="b", organisation="NRC", start=date(2026, 12, 1), end=date(2027, 12, 31)))
    long = only_pair(base, activity(id="b", organisation="NRC", start=date(2026, 2, 1), end=date(2027, 12, 31)))
    assert long.score > short.score


def test_unknown_start_is_always_or_the_reporting_period_start():
    old = activity(id="a", start=date(2019, 1, 1), end=date(2019, 12, 31))
    unknown = activity(id="b", organisation="NRC", start=None, end=date(2026, 6, 30))
    assert len(pairs(old, unknown)) == 1  # unknown start: could have been active in 2019
    assert pairs(old, unknown, period=(date(2026, 1, 1), date(2026, 3, 31))) == []
    o = only_pair(activity(id="c", start=date(2026, 3, 1)), unknown, period=(date(2026, 1, 1), date(2026, 3, 31)))
    assert o.days == 122


# kinds ---------------------------------------------------------------------------------------
def test_same_organisation_twice_is_a_duplicate_entry():
    o = only_pair(activity(id="a", organisation="UNICEF"), activity(id="b", organisation=" unicef"))
    assert o.kind is OverlapKind.DUPLICATE_ENTRY
    assert "probably a duplicate entry" in o.explanation


def test_one_organisations_own_work_of_different_types_is_not_reported():
    assert pairs(activity(id="a"), activity(id="b", activity_type="school feeding")) == []


def test_different_activity_types_are_complementary_and_score_lower():
    same = only_pair(activity(id="a"), activity(id="b", organisation="NRC"))
    other = only_pair(activity(id="a"), activity(id="b", organisation="NRC", activity_type="school feeding"))
    assert other.kind is OverlapKind.COMPLEMENTARY
    assert other.score < same.score and other.score <= TYPE_DIFFERENT
    assert "teacher training and school feeding (complementary)" in other.explanation


def test_unknown_activity_type_is_an_overlap_scored_between():
    o = only_pair(activity(id="a"), activity(id="b", organisation="NRC", activity_type=""))
    assert o.kind is OverlapKind.OVERLAP
    assert 0.4 < o.score < 1


def test_similar_titles_raise_the_score():
    alike = only_pair(
        activity(id="a", title="Teacher training in Bozoum"),
        activity(id="b", organisation="NRC", title="Bozoum teacher training"),
    )
    unlike = only_pair(
        activity(id="a", title="Teacher training in Bozoum"),
        activity(id="b", organisation="NRC", title="Accelerated learning kits"),
    )
    assert alike.title_similarity == 1.0
    assert alike.score > unlike.score
    assert alike.score == pytest.approx(1.0)


def test_funder_naming_its_implementing_partner_is_a_double_count():
    funder = activity(id="a", organisation="UNICEF", implementing_partners=["Save the Children"])
    partner = activity(id="b", organisation="Save the Children")
    result = detect_overlaps([funder, partner], AREAS)
    o = result.overlaps[0]
    assert o.kind is OverlapKind.DOUBLE_COUNT
    assert o.counted_activity_id == "b"
    assert result.linked_activity_ids == {"a"}
    assert o.explanation.startswith("UNICEF names Save the Children as implementing partner")


def test_implementing_partner_doing_other_work_is_not_a_double_count():
    funder = activity(id="a", implementing_partners=["NRC"])
    partner = activity(id="b", organisation="NRC", activity_type="school feeding")
    result = detect_overlaps([funder, partner], AREAS)
    assert result.overlaps[0].kind is OverlapKind.COMPLEMENTARY
    assert result.linked_activity_ids == set()


def test_min_score_drops_weak_pairs_but_keeps_double_count_links():
    funder = activity(
        id="a", implementing_partners=["NRC"], pcodes=["CF"], start=date(2026, 1, 1), end=date(2026, 12, 31)
    )
    partner = activity(id="b", organisation="NRC", start=date(2026, 12, 31), end=date(2027, 12, 31))
    result = detect_overlaps([funder, partner], AREAS, min_score=0.9)
    assert len(result.overlaps) == 0
    assert result.linked_activity_ids == {"a"}


# clusters ------------------------------------------------------------------------------------
def test_three_organisations_in_one_cell_make_a_cluster():
    result = detect_overlaps(
        [
            activity(id="a", organisation="UNICEF"),
            activity(id="b", organisation="NRC"),
            activity(id="c", organisation="IRC", end=None),
        ],
        AREAS,
    )
    assert len(result.overlaps) == 3
    [cluster] = result.clusters
    assert cluster.area.pcode == "CF632" and cluster.sector == "Education"
    assert cluster.organisations == ("IRC", "NRC", "UNICEF")
    assert cluster.activity_ids == ("a", "b", "c")
    assert cluster.explanation.startswith("3 organisations in Education, Bozoum (CF632)")


def test_two_organisations_or_three_never_active_together_make_no_cluster():
    two = [activity(id="a"), activity(id="b", organisation="NRC"), activity(id="c")]
    assert detect_overlaps(two, AREAS).clusters == []
    chain = [
        activity(id="a", start=date(2026, 1, 1), end=date(2026, 3, 31)),
        activity(id="b", organisation="NRC", start=date(2026, 3, 1), end=date(2026, 5, 31)),
        activity(id="c", organisation="IRC", start=date(2026, 4, 1), end=date(2026, 6, 30)),
    ]
    assert detect_overlaps(chain, AREAS).clusters == []
    chain[2] = activity(id="c", organisation="IRC", start=date(2026, 3, 31), end=date(2026, 6, 30))
    assert len(detect_overlaps(chain, AREAS).clusters) == 1


def test_double_counted_intervention_adds_no_organisation_to_a_cluster():
    members = [
        activity(id="a", organisation="UNICEF", implementing_partners=["NRC"]),
        activity(id="b", organisation="NRC"),
        activity(id="c", organisation="IRC"),
    ]
    assert detect_overlaps(members, AREAS).clusters == []
    members.append(activity(id="d", organisation="Plan"))
    [cluster] = detect_overlaps(members, AREAS).clusters
    assert cluster.organisations == ("IRC", "NRC", "Plan")
    assert cluster.linked_activity_ids == ("a",)


def test_large_cell_gives_all_pairs_and_one_cluster():
    members = [activity(id=f"a{i:02d}", organisation=f"ORG{i}") for i in range(68)]
    result = detect_overlaps(members, AREAS)
    assert len(result.overlaps) == 68 * 67 // 2
    assert [c.organisation_count for c in result.clusters] == [68]


# explanations and contracts ------------------------------------------------------------------
def test_explanation_reads_like_the_issue_example():
    o = only_pair(
        activity(id="a", organisation="UNICEF", pcodes=["CF63"]),
        activity(id="b", organisation="Save the Children", start=date(2026, 3, 1)),
    )
    assert o.explanation == (
        "UNICEF and Save the Children: Education / teacher training, "
        "Ouham-Pendé (CF63) contains Bozoum (CF632), both active "
        "1 Mar – 30 Jun 2026 (122 days)"
    )


def test_scores_stay_in_unit_range():
    found = pairs(
        *(
            activity(id=f"x{i}", organisation=f"O{i % 3}", pcodes=[p], title=t)
            for i, (p, t) in enumerate([("CF", "a"), ("CF63", "b"), ("CF632", ""), ("CF632", "a b"), ("CF631", "b")])
        )
    )
    assert found and all(0.0 <= o.score <= 1.0 for o in found)


@pytest.mark.parametrize(
    "make, field",
    [
        (lambda: activity(id=""), "id"),
        (lambda: activity(start=date(2026, 7, 1), end=date(2026, 6, 30)), "end"),
        (lambda: activity(organisation=" "), "organisation"),
        (lambda: activity(beneficiaries=-1), "beneficiaries"),
    ],
)
def test_broken_activities_are_refused(make, field):
    with pytest.raises(InvalidInput) as error:
        make()
    assert error.value.field == field


def test_repeated_ids_and_broken_trees_are_refused():
    with pytest.raises(InvalidInput, match="appears twice"):
        detect_overlaps([activity(id="a"), activity(id="a")], AREAS)
    with pytest.raises(InvalidInput, match="cycle"):
        detect_overlaps([], [AdminArea("A", "B"), AdminArea("B", "A")])
    with pytest.raises(InvalidInput, match="twice"):
        detect_overlaps([], [AdminArea("A"), AdminArea("A")])
    with pytest.raises(InvalidInput, match="min_score"):
        detect_overlaps([], AREAS, min_score=1.5)


def test_placement_fingerprint_changes_with_sector_area_or_dates_only():
    base = activity(id="a", title="x")
    same = activity(id="b", title="other title", organisation="NRC", pcodes=["CF632"])
    assert base.placement_fingerprint() == same.placement_fingerprint()
    for change in ({"sector": "Health"}, {"pcodes": ["CF631"]}, {"end": None}):
        assert activity(id="c", **change).placement_fingerprint() != base.placement_fingerprint()
