"""Incremental detection (OverlapIndex) finds exactly what full detection finds."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coordhub.overlap.core import Activity, OverlapIndex, detect_overlaps

from .factories import AREAS, activity

PCODES = [a.pcode for a in AREAS] + ["XX9"]  # one P-code not in the tree
ORGS = ["UNICEF", "NRC", "IRC", "Plan"]
FIRST = date(2026, 1, 1)


@st.composite
def activities(draw, prefix: str = "a") -> list[Activity]:
    n = draw(st.integers(0, 14))
    out = []
    for i in range(n):
        start = draw(st.none() | st.integers(0, 60).map(lambda d: FIRST + timedelta(days=d)))
        length = draw(st.none() | st.integers(0, 40))
        end = None if length is None else (start or FIRST) + timedelta(days=length)
        out.append(
            Activity(
                id=f"{prefix}{i}",
                organisation=draw(st.sampled_from(ORGS)),
                sector=draw(st.sampled_from(["Health", "WASH"])),
                pcodes=draw(st.lists(st.sampled_from(PCODES), min_size=1, max_size=2)),
                activity_type=draw(st.sampled_from(["", "clinic", "latrines"])),
                start=start,
                end=end,
                title=draw(st.sampled_from(["", "Mobile clinic", "Clinic support", "Latrines"])),
                target_group=draw(st.sampled_from(["", "children", "women"])),
                implementing_partners=draw(st.lists(st.sampled_from(ORGS), max_size=1)),
            )
        )
    return out


def signature(overlaps) -> set[tuple]:
    return {
        (o.a.id, o.b.id, o.kind, o.score, o.shared_pcode, o.relation, o.days, o.counted_activity_id) for o in overlaps
    }


options = st.fixed_dictionaries(
    {
        "period": st.none() | st.just((date(2026, 1, 15), date(2026, 2, 15))),
        "min_score": st.sampled_from([0.0, 0.3]),
    }
)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(initial=activities("s"), added=activities("n"), options=options, data=st.data())
def test_index_gives_the_same_pairs_as_full_detection(initial, added, options, data):
    index = OverlapIndex(initial, AREAS, **options)
    found = {o.key: o for o in detect_overlaps(initial, AREAS, **options).overlaps}
    for a in added:
        preview = index.check(a)
        assert signature(preview) == signature(index.add(a))
        found.update((o.key, o) for o in preview)
    current = {a.id: a for a in initial + added}
    # remove some, change others: the pairs kept up to date must still match full detection
    for activity_id in (
        data.draw(st.lists(st.sampled_from(sorted(current)), max_size=4, unique=True)) if current else []
    ):
        if data.draw(st.booleans()):
            index.remove(activity_id)
            del current[activity_id]
            found = {k: o for k, o in found.items() if activity_id not in k}
        else:
            changed = Activity(
                **{
                    **{f: getattr(current[activity_id], f) for f in Activity.__slots__},
                    "pcodes": data.draw(st.lists(st.sampled_from(PCODES), min_size=1, max_size=2)),
                }
            )
            current[activity_id] = changed
            found = {k: o for k, o in found.items() if activity_id not in k}
            found.update((o.key, o) for o in index.update(changed))
    full = detect_overlaps(list(current.values()), AREAS, **options)
    assert signature(found.values()) == signature(full.overlaps)
    assert signature(index.overlaps().overlaps) == signature(full.overlaps)
    assert index.clusters() == full.clusters
    assert index.linked_activity_ids() == full.linked_activity_ids


def test_check_stores_nothing_and_skips_the_earlier_version():
    first = activity(id="a")
    index = OverlapIndex([first, activity(id="b", organisation="NRC")], AREAS)
    moved = activity(id="a", pcodes=["CF321"])
    assert index.check(moved) == []
    assert len(index) == 2 and index.get("a") == first
    assert [o.key for o in index.check(activity(id="c", organisation="IRC"))] == [("a", "c"), ("b", "c")]


def test_clusters_of_one_activity():
    members = [activity(id=x, organisation=x.upper()) for x in "abc"]
    index = OverlapIndex(members + [activity(id="d", pcodes=["CF631"])], AREAS)
    assert [c.activity_ids for c in index.clusters("a")] == [("a", "b", "c")]
    assert index.clusters("d") == []
