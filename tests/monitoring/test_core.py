"""The pure monitoring core: entry checks, aggregation (sum vs latest, averages), needs met by results."""

from __future__ import annotations

from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from coordhub.monitoring.core import (
    Cell,
    Delivery,
    Entry,
    IndicatorFacts,
    NeedFacts,
    check_report,
    cumulate,
    distribute,
)
from coordhub.monitoring.core.checks import completed_totals, is_outlier

COUNT = IndicatorFacts(1, "count", "sum", ("sex", "age"))
RUNNING = IndicatorFacts(2, "count", "latest", ())
SHARE = IndicatorFacts(3, "percentage", "latest", ())
YES_NO = IndicatorFacts(4, "yes_no", "latest", ())
FACTS = {f.id: f for f in (COUNT, RUNNING, SHARE, YES_NO)}


def codes(issues):
    return sorted((i.code, i.severity) for i in issues)


def test_valid_report_has_no_issue():
    entries = [Entry(1, 10, "", 10), Entry(1, 10, "sex:female", 6), Entry(1, 10, "sex:male", 4)]
    assert check_report(entries, FACTS, targets={(1, 10, ""): 50}, history={(1, 10): [8, 9, 11]}) == []


def test_value_rules_are_errors():
    entries = [
        Entry(1, 10, "", -1),
        Entry(3, 10, "", 101),
        Entry(4, 10, "", 2),
        Entry(1, 11, "disability:with", 1),
        Entry(1, 12, "sex:other", 1),
    ]
    assert codes(check_report(entries, FACTS)) == [
        ("negative", "error"),
        ("percentage_range", "error"),
        ("unknown_category", "error"),
        ("unknown_category", "error"),
        ("yes_no_value", "error"),
    ]


def test_disaggregation_totals_must_match_each_dimension():
    entries = [
        Entry(1, 10, "", 10),
        Entry(1, 10, "sex:female", 6),
        Entry(1, 10, "sex:male", 4),
        Entry(1, 10, "age:0-17", 3),
        Entry(1, 10, "age:18-59", 3),
    ]
    issues = check_report(entries, FACTS)
    assert codes(issues) == [("disaggregation_mismatch", "error")]
    assert issues[0].params == {"dimension": "age", "parts": 6, "total": 10}


def test_missing_total_is_completed_from_the_breakdown_then_checked():
    entries = completed_totals(
        [Entry(1, 10, "sex:female", 6), Entry(1, 10, "sex:male", 4), Entry(1, 10, "age:0-17", 9)], FACTS
    )
    assert Entry(1, 10, "", 10) in entries
    assert codes(check_report(entries, FACTS)) == [("disaggregation_mismatch", "error")]


def test_reached_above_target_counts_earlier_periods_for_sums_only_the_value_for_latest():
    assert codes(check_report([Entry(1, 10, "", 5)], FACTS, targets={(1, 10, ""): 20}, history={(1, 10): [10, 6]})) == [
        ("above_target", "warning")
    ]
    assert check_report([Entry(2, 10, "", 19)], FACTS, targets={(2, 10, ""): 20}, history={(2, 10): [10, 15]}) == []
    assert codes(check_report([Entry(2, 10, "", 21)], FACTS, targets={(2, 10, ""): 20})) == [
        ("above_target", "warning")
    ]


def test_running_total_going_down_is_a_warning():
    issues = check_report([Entry(2, 10, "", 12)], FACTS, history={(2, 10): [10, 15]})
    assert codes(issues) == [("cumulative_decrease", "warning")]
    assert issues[0].params == {"previous": 15, "value": 12}


def test_outlier_rule():
    assert not is_outlier(100, [10, 12])  # too little history
    assert is_outlier(100, [10, 12, 11, 9])  # modified z-score far above 3.5
    assert not is_outlier(14, [10, 12, 11, 9])
    assert is_outlier(31, [10, 10, 10]) and not is_outlier(29, [10, 10, 10])  # flat history: 3× rule
    assert is_outlier(3, [10, 10, 10])
    assert codes(check_report([Entry(1, 10, "", 100)], FACTS, history={(1, 10): [10, 12, 11, 9]})) == [
        ("outlier", "warning")
    ]
    # latest-value indicators are judged on their increments: +10 a month, then +60
    assert codes(check_report([Entry(2, 10, "", 100)], FACTS, history={(2, 10): [10, 20, 30, 40]})) == [
        ("outlier", "warning")
    ]


def test_period_outside_project_dates():
    issues = check_report(
        [], FACTS, period=(date(2026, 7, 1), date(2026, 7, 31)), project_dates=(date(2026, 3, 1), date(2026, 6, 30))
    )
    assert codes(issues) == [("outside_project_dates", "error")] and issues[0].key is None
    assert (
        check_report([], FACTS, period=(date(2026, 6, 1), date(2026, 6, 30)), project_dates=(date(2026, 3, 1), None))
        == []
    )


def test_cumulate_sums_and_latest_increments():
    # sum: 3 then 4 -> cumulative 3, 7
    series = cumulate({"a": {0: Cell(3), 1: Cell(4)}}, 3)["a"]
    assert series.per_period == (3, 4, 0) and series.cumulative == (3, 7, 7)
    # latest: unit reports 10 then 15 (increments 10, 5), a second unit 20 in period 1
    series = cumulate({"b": {0: Cell(10, 1), 1: Cell(5 + 20, 1)}}, 2)["b"]
    assert series.cumulative == (10, 35)


def test_cumulate_averages_percentages_over_reporting_units():
    # two units: 40 % then 60 % (one unit), the other 80 % from period 1
    series = cumulate({"s": {0: Cell(40, 1), 1: Cell(20 + 80, 1)}}, 2, average=True)["s"]
    assert series.cumulative == (40, 70)


@given(st.lists(st.floats(min_value=0, max_value=1e6), min_size=1, max_size=12))
def test_cumulative_of_a_sum_indicator_is_the_running_total(values):
    series = cumulate({"x": {i: Cell(v) for i, v in enumerate(values)}}, len(values))["x"]
    assert abs(series.total - sum(values)) <= 1e-6 * max(1.0, sum(values))


NEEDS = [
    NeedFacts(1, "EDU-CLASSROOM", "/CF/CF63/CF632/", 10, 2, date(2026, 1, 1), None),
    NeedFacts(2, "EDU-CLASSROOM", "/CF/CF63/", 5, 1, date(2026, 1, 1), date(2026, 12, 31)),
    NeedFacts(3, "WASH-BOREHOLE", "/CF/CF63/CF632/", 4, 1, date(2026, 1, 1), None),
]


def test_linked_delivery_counts_against_its_need_first():
    delivered = distribute(
        NEEDS, [Delivery("EDU-CLASSROOM", "/CF/CF63/CF632/", 12, date(2026, 3, 1), date(2026, 3, 31), need_id=1)]
    )
    # 10 to need 1 (named), the 2 left over to need 2 (matching type, area contains, dates)
    assert delivered == {1: 10, 2: 2, 3: 0}


def test_unlinked_delivery_matches_by_type_area_and_time_most_urgent_first():
    delivered = distribute(
        NEEDS, [Delivery("EDU-CLASSROOM", "/CF/CF63/CF632/", 7, date(2026, 3, 1), date(2026, 3, 31))]
    )
    assert delivered == {1: 2, 2: 5, 3: 0}
    assert distribute(NEEDS, [Delivery("EDU-CLASSROOM", "/CF/CF71/", 7, date(2026, 3, 1), date(2026, 3, 31))]) == {
        1: 0,
        2: 0,
        3: 0,
    }
    late = [Delivery("EDU-CLASSROOM", "/CF/CF63/", 7, date(2027, 3, 1), date(2027, 3, 31))]
    assert distribute(NEEDS, late) == {1: 0, 2: 0, 3: 0}


@given(st.lists(st.floats(min_value=0, max_value=100), max_size=6))
def test_no_need_receives_more_than_its_quantity(amounts):
    deliveries = [
        Delivery(
            "EDU-CLASSROOM", "/CF/CF63/CF632/", a, date(2026, 3, 1), date(2026, 3, 31), need_id=1 if i % 2 else None
        )
        for i, a in enumerate(amounts)
    ]
    delivered = distribute(NEEDS, deliveries)
    assert all(0 <= delivered[n.id] <= n.quantity + 1e-9 for n in NEEDS)
    assert sum(delivered.values()) <= sum(amounts) + 1e-6
