"""Checks of a report's values at entry: errors that stop the save, warnings the partner confirms.

Issues carry a code and parameters, never sentences: the views render them in the reader's language."""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

# Disaggregation dimensions and their categories. A value's `disaggregation` is '' for the total or
# 'dimension:category'; each dimension is broken down on its own (the categories of one dimension add up to
# the total), not crossed with the others.
DIMENSIONS: dict[str, tuple[str, ...]] = {
    "sex": ("female", "male"),
    "age": ("0-17", "18-59", "60+"),
    "displacement": ("idp", "refugee", "returnee", "host"),
    "disability": ("with", "without"),
}

ERROR = "error"
WARNING = "warning"
# Modified z-score above which a value is an outlier (Iglewicz and Hoaglin, 1993), and the history it needs.
OUTLIER_Z = 3.5
OUTLIER_MIN_HISTORY = 3
# With no spread in the history (every earlier value equal), a value this many times above or below it.
OUTLIER_FLAT_RATIO = 3.0
TOLERANCE = 1e-6


@dataclass(frozen=True)
class IndicatorFacts:
    """What the checks need of an indicator: `kind` count / percentage / yes_no, `aggregation` sum / latest."""

    id: int
    kind: str = "count"
    aggregation: str = "sum"
    dimensions: tuple[str, ...] = ()


@dataclass(frozen=True)
class Entry:
    """One value as entered: indicator × area × disaggregation ('' = total)."""

    indicator_id: int
    area_id: int
    disaggregation: str
    value: float

    @property
    def key(self) -> tuple[int, int, str]:
        return (self.indicator_id, self.area_id, self.disaggregation)


@dataclass(frozen=True)
class Issue:
    """`code` names the problem; `key` the value it is about ((indicator, area, disaggregation) or None for the
    whole report); `params` the figures a message shows."""

    code: str
    severity: str
    key: tuple[int, int, str] | None = None
    params: Mapping[str, object] = field(default_factory=dict)


def parse_disaggregation(text: str) -> tuple[str, str] | None:
    """'sex:female' -> ('sex', 'female'); '' -> None. Raises ValueError for an unknown dimension or category."""
    if not text:
        return None
    dimension, _, category = text.partition(":")
    if dimension not in DIMENSIONS or category not in DIMENSIONS[dimension]:
        raise ValueError(text)
    return dimension, category


def dimension_of(text: str) -> str | None:
    return text.partition(":")[0] if text else None


def _value_issues(entry: Entry, facts: IndicatorFacts) -> list[Issue]:
    if entry.value < 0:
        return [Issue("negative", ERROR, entry.key)]
    if facts.kind == "percentage" and entry.value > 100:
        return [Issue("percentage_range", ERROR, entry.key)]
    if facts.kind == "yes_no" and entry.value not in (0, 1):
        return [Issue("yes_no_value", ERROR, entry.key)]
    if entry.disaggregation:
        try:
            dimension, _category = parse_disaggregation(entry.disaggregation)
        except ValueError:
            return [Issue("unknown_category", ERROR, entry.key)]
        if dimension not in facts.dimensions:
            return [Issue("unknown_category", ERROR, entry.key)]
    return []


def is_outlier(value: float, history: Sequence[float]) -> bool:
    """Whether `value` is far from the earlier per-period values `history` (at least OUTLIER_MIN_HISTORY of them):
    its modified z-score 0.6745·(value − median)/MAD is above OUTLIER_Z; when every earlier value is the same
    (MAD 0), when it is more than OUTLIER_FLAT_RATIO times above or below that value."""
    if len(history) < OUTLIER_MIN_HISTORY:
        return False
    median = statistics.median(history)
    mad = statistics.median(abs(h - median) for h in history)
    if mad > 0:
        return abs(0.6745 * (value - median) / mad) > OUTLIER_Z
    if median <= 0:
        return False
    return value > median * OUTLIER_FLAT_RATIO or value < median / OUTLIER_FLAT_RATIO


def check_report(
    entries: Sequence[Entry],
    indicators: Mapping[int, IndicatorFacts],
    *,
    targets: Mapping[tuple[int, int, str], float] | None = None,
    history: Mapping[tuple[int, int], Sequence[float]] | None = None,
    period: tuple[date, date] | None = None,
    project_dates: tuple[date, date | None] | None = None,
) -> list[Issue]:
    """Every issue of a report's values.

    - `targets`: (indicator, area, disaggregation) -> the project's target there.
    - `history`: (indicator, area) -> the project's totals of earlier periods, oldest first.
    - `period` (start, end) and `project_dates` (start, end or None): a period outside the project's dates is
      an error for the whole report.
    Errors: negative, percentage_range, yes_no_value, unknown_category, disaggregation_mismatch (a dimension's
    categories do not add up to the total), outside_project_dates. Warnings: above_target (reached to date
    above the target), cumulative_decrease (a latest-value indicator below its previous value), outlier (see
    is_outlier; on per-period increments for latest-value indicators)."""
    targets = targets or {}
    history = history or {}
    issues: list[Issue] = []
    if period is not None and project_dates is not None:
        start, end = project_dates
        if period[1] < start or (end is not None and period[0] > end):
            issues.append(
                Issue(
                    "outside_project_dates",
                    ERROR,
                    None,
                    {"start": start.isoformat(), "end": end.isoformat() if end else ""},
                )
            )
    totals: dict[tuple[int, int], float] = {}
    parts: dict[tuple[int, int, str], float] = {}
    for entry in entries:
        facts = indicators[entry.indicator_id]
        problems = _value_issues(entry, facts)
        issues.extend(problems)
        if problems:
            continue
        if entry.disaggregation:
            part = (entry.indicator_id, entry.area_id, dimension_of(entry.disaggregation))
            parts[part] = parts.get(part, 0.0) + entry.value
        else:
            totals[(entry.indicator_id, entry.area_id)] = entry.value
    for (indicator_id, area_id, dimension), added in sorted(parts.items()):
        facts = indicators[indicator_id]
        if facts.kind != "count":
            continue
        total = totals.get((indicator_id, area_id))
        if total is not None and abs(total - added) > TOLERANCE * max(1.0, abs(total)):
            issues.append(
                Issue(
                    "disaggregation_mismatch",
                    ERROR,
                    (indicator_id, area_id, ""),
                    {"dimension": dimension, "parts": added, "total": total},
                )
            )
    for (indicator_id, area_id), value in sorted(totals.items()):
        facts = indicators[indicator_id]
        key = (indicator_id, area_id, "")
        earlier = list(history.get((indicator_id, area_id), ()))
        latest = facts.aggregation == "latest"
        to_date = value if latest else sum(earlier) + value
        target = targets.get(key)
        if target is not None and facts.kind == "count" and to_date > target + TOLERANCE:
            issues.append(Issue("above_target", WARNING, key, {"reached": to_date, "target": target}))
        if latest and earlier and value < earlier[-1] - TOLERANCE:
            issues.append(Issue("cumulative_decrease", WARNING, key, {"previous": earlier[-1], "value": value}))
        if facts.kind == "count":
            series = [b - a for a, b in zip([0.0] + earlier, earlier)] if latest else earlier
            current = value - earlier[-1] if latest and earlier else value
            if is_outlier(current, series):
                issues.append(Issue("outlier", WARNING, key, {"value": current, "median": statistics.median(series)}))
    return issues


def completed_totals(entries: Sequence[Entry], indicators: Mapping[int, IndicatorFacts]) -> list[Entry]:
    """The entries with a total added where only a dimension's categories were given (their sum)."""
    totals = {(e.indicator_id, e.area_id) for e in entries if not e.disaggregation}
    sums: dict[tuple[int, int], dict[str, float]] = {}
    for entry in entries:
        if entry.disaggregation and indicators[entry.indicator_id].kind == "count":
            dimension = dimension_of(entry.disaggregation)
            by_dimension = sums.setdefault((entry.indicator_id, entry.area_id), {})
            by_dimension[dimension] = by_dimension.get(dimension, 0.0) + entry.value
    added = [
        Entry(indicator_id, area_id, "", max(by_dimension.values()))
        for (indicator_id, area_id), by_dimension in sorted(sums.items())
        if (indicator_id, area_id) not in totals
    ]
    return list(entries) + added
