"""Every sentence shown to people about overlaps, clusters and gaps, in one place for translation.

Each template is marked with ``_`` (the identity here) so that a translation layer can extract
and replace them; placeholders are named so word order can change between languages.
"""

from __future__ import annotations

from datetime import date

from coordhub.overlap.core.model import (
    AdminArea,
    Cluster,
    Overlap,
    OverlapKind,
    SpatialRelation,
)


def _(message: str) -> str:
    """Marks a message for translation (the identity until a translation layer wraps it)."""
    return message


MONTHS = (_("Jan"), _("Feb"), _("Mar"), _("Apr"), _("May"), _("Jun"), _("Jul"), _("Aug"),
          _("Sep"), _("Oct"), _("Nov"), _("Dec"))

OVERLAP = _("%(org_a)s and %(org_b)s: %(what)s, %(where)s, %(when)s")
DUPLICATE_ENTRY = _("%(org_a)s twice, probably a duplicate entry: %(what)s, %(where)s, %(when)s")
DOUBLE_COUNT = _("%(funder)s names %(partner)s as implementing partner and both report "
                 "%(what)s, %(where)s, %(when)s: one intervention reported twice, counted once")
DOUBLE_COUNT_SELF = _("%(funder)s reports %(what)s both as funder and as implementer, "
                      "%(where)s, %(when)s: one intervention reported twice, counted once")
WHAT_TYPE = _("%(sector)s / %(type)s")
WHAT_COMPLEMENTARY = _("%(sector)s / %(type_a)s and %(type_b)s (complementary)")
AREA = _("%(name)s (%(pcode)s)")
AREA_CONTAINS = _("%(area_a)s contains %(area_b)s")
AREA_WITHIN = _("%(area_a)s lies within %(area_b)s")
WHEN_RANGE = _("both active %(range)s (%(days)s)")
WHEN_FROM = _("both active from %(start)s, ongoing")
WHEN_UNTIL = _("both active until %(end)s, start unknown")
WHEN_OPEN = _("both active, no dates given")
DAYS_ONE = _("1 day")
DAYS_MANY = _("%(count)d days")
TITLES_ALIKE = _("titles %(percent)d%% alike")
DATE = _("%(day)d %(month)s %(year)d")
DATE_NO_YEAR = _("%(day)d %(month)s")
RANGE = _("%(start)s – %(end)s")
CLUSTER = _("%(count)d organisations in %(sector)s, %(where)s, %(when)s: %(organisations)s")
CLUSTER_WHEN = _("active %(range)s")
CLUSTER_FROM = _("active from %(start)s, ongoing")
CLUSTER_OPEN = _("open dates")


def format_date(day: date, *, with_year: bool = True) -> str:
    """'1 Mar 2026' (English month abbreviations, independent of the machine's locale)."""
    values = {"day": day.day, "month": MONTHS[day.month - 1], "year": day.year}
    return (DATE if with_year else DATE_NO_YEAR) % values


def format_range(start: date, end: date) -> str:
    """'1 Mar – 30 Jun 2026', '1 Dec 2025 – 28 Feb 2026' or '30 Jun 2026' for a single day."""
    if start == end:
        return format_date(start)
    return RANGE % {"start": format_date(start, with_year=start.year != end.year),
                    "end": format_date(end)}


def format_days(days: int) -> str:
    return DAYS_ONE if days == 1 else DAYS_MANY % {"count": days}


def format_area(area: AdminArea) -> str:
    """'Bozoum (CF632)', or just the P-code for an area not in the tree."""
    if not area.name:
        return area.pcode
    return AREA % {"name": area.name, "pcode": area.pcode}


def _when(start: date | None, end: date | None, days: int | None) -> str:
    if start is not None and end is not None:
        return WHEN_RANGE % {"range": format_range(start, end), "days": format_days(days or 0)}
    if start is not None:
        return WHEN_FROM % {"start": format_date(start)}
    if end is not None:
        return WHEN_UNTIL % {"end": format_date(end)}
    return WHEN_OPEN


def _what(overlap: Overlap) -> str:
    a, b = overlap.a, overlap.b
    if overlap.kind is OverlapKind.COMPLEMENTARY:
        return WHAT_COMPLEMENTARY % {"sector": a.sector, "type_a": a.activity_type,
                                     "type_b": b.activity_type}
    activity_type = a.activity_type or b.activity_type
    if activity_type:
        return WHAT_TYPE % {"sector": a.sector, "type": activity_type}
    return a.sector


def _where(overlap: Overlap) -> str:
    area_a, area_b = format_area(overlap.area_a), format_area(overlap.area_b)
    if overlap.relation is SpatialRelation.SAME:
        return area_a
    template = AREA_CONTAINS if overlap.relation is SpatialRelation.CONTAINS else AREA_WITHIN
    return template % {"area_a": area_a, "area_b": area_b}


def explain_overlap(overlap: Overlap) -> str:
    """One sentence on a pair, e.g. 'UNICEF and Save the Children: Education / teacher
    training, Ouham-Pendé (CF63) contains Bozoum (CF632), both active 1 Mar – 30 Jun 2026
    (122 days)'."""
    a, b = overlap.a, overlap.b
    values = {"org_a": a.organisation_label, "org_b": b.organisation_label, "what": _what(overlap),
              "where": _where(overlap), "when": _when(overlap.start, overlap.end, overlap.days)}
    if overlap.kind is OverlapKind.DOUBLE_COUNT:
        counted, funder = (a, b) if overlap.counted_activity_id == a.id else (b, a)
        values["funder"] = funder.organisation_label
        values["partner"] = counted.organisation_label
        same = funder.organisation.casefold() == counted.organisation.casefold()
        text = (DOUBLE_COUNT_SELF if same else DOUBLE_COUNT) % values
    elif overlap.kind is OverlapKind.DUPLICATE_ENTRY:
        text = DUPLICATE_ENTRY % values
    else:
        text = OVERLAP % values
    if overlap.title_similarity is not None and a.title and b.title:
        text += "; " + TITLES_ALIKE % {"percent": round(overlap.title_similarity * 100)}
    return text


def explain_cluster(cluster: Cluster) -> str:
    """One sentence on a cluster: how many organisations, which cell, when, who."""
    if cluster.start is not None and cluster.end is not None:
        when = CLUSTER_WHEN % {"range": format_range(cluster.start, cluster.end)}
    elif cluster.start is not None:
        when = CLUSTER_FROM % {"start": format_date(cluster.start)}
    else:
        when = CLUSTER_OPEN
    return CLUSTER % {"count": len(cluster.organisations), "sector": cluster.sector,
                      "where": format_area(cluster.area), "when": when,
                      "organisations": ", ".join(cluster.organisations)}
