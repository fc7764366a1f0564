"""Sentences for the checks' issue codes, rendered in the reader's language when shown."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from coordhub.monitoring.core import Issue

DIMENSION_LABELS = {
    "sex": _l("sex"),
    "age": _l("age group"),
    "displacement": _l("displacement status"),
    "disability": _l("disability"),
}
CATEGORY_LABELS = {
    "female": _l("female"),
    "male": _l("male"),
    "0-17": _l("0–17 years"),
    "18-59": _l("18–59 years"),
    "60+": _l("60 years and over"),
    "idp": _l("internally displaced"),
    "refugee": _l("refugees"),
    "returnee": _l("returnees"),
    "host": _l("host community"),
    "with": _l("with disability"),
    "without": _l("without disability"),
}


def _number(value) -> str:
    value = float(value)
    return f"{value:,.0f}" if value == int(value) else f"{value:,.2f}"


def issue_message(issue: Issue) -> str:
    p = issue.params
    code = issue.code
    if code == "negative":
        return _("A value cannot be negative.")
    if code == "percentage_range":
        return _("A percentage is between 0 and 100.")
    if code == "yes_no_value":
        return _("Enter 1 for yes or 0 for no.")
    if code == "unknown_category":
        return _("This indicator is not broken down this way.")
    if code == "disaggregation_mismatch":
        return _(
            "The values by %(dimension)s add up to %(parts)s, not to the total %(total)s.",
            dimension=DIMENSION_LABELS.get(p["dimension"], p["dimension"]),
            parts=_number(p["parts"]),
            total=_number(p["total"]),
        )
    if code == "outside_project_dates":
        return _(
            "This period is outside the project's dates (%(start)s to %(end)s).",
            start=p["start"],
            end=p["end"] or _("open-ended"),
        )
    if code == "above_target":
        return _(
            "Reached to date (%(reached)s) is above the target (%(target)s).",
            reached=_number(p["reached"]),
            target=_number(p["target"]),
        )
    if code == "cumulative_decrease":
        return _(
            "This running total went down from %(previous)s to %(value)s.",
            previous=_number(p["previous"]),
            value=_number(p["value"]),
        )
    if code == "outlier":
        return _(
            "%(value)s is far from this project's usual figure (median %(median)s per period).",
            value=_number(p["value"]),
            median=_number(p["median"]),
        )
    return code


def disaggregation_label(text: str) -> str:
    if not text:
        return _("total")
    dimension, _sep, category = text.partition(":")
    return f"{DIMENSION_LABELS.get(dimension, dimension)}: {CATEGORY_LABELS.get(category, category)}"
