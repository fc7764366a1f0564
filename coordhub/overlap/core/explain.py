"""Every sentence shown to people about overlaps, clusters and gaps, in one place for translation.

Each template is marked with ``_`` (the identity here) so that a translation layer can extract
and replace them; placeholders are named so word order can change between languages.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

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


MONTHS = (
    _("Jan"),
    _("Feb"),
    _("Mar"),
    _("Apr"),
    _("May"),
    _("Jun"),
    _("Jul"),
    _("Aug"),
    _("Sep"),
    _("Oct"),
    _("Nov"),
    _("Dec"),
)

OVERLAP = _("%(org_a)s and %(org_b)s: %(what)s, %(where)s, %(when)s")
DUPLICATE_ENTRY = _("%(org_a)s twice, probably a duplicate entry: %(what)s, %(where)s, %(when)s")
DOUBLE_COUNT = _(
    "%(funder)s names %(partner)s as implementing partner and both report "
    "%(what)s, %(where)s, %(when)s: one intervention reported twice, counted once"
)
DOUBLE_COUNT_SELF = _(
    "%(funder)s reports %(what)s both as funder and as implementer, "
    "%(where)s, %(when)s: one intervention reported twice, counted once"
)
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


Translate = Callable[[str], str]


def _identity(message: str) -> str:
    return message


def format_date(day: date, *, with_year: bool = True, translate: Translate = _identity) -> str:
    """'1 Mar 2026' (month abbreviations in the language of `translate`, not the machine's locale)."""
    values = {"day": day.day, "month": translate(MONTHS[day.month - 1]), "year": day.year}
    return translate(DATE if with_year else DATE_NO_YEAR) % values


def format_range(start: date, end: date, translate: Translate = _identity) -> str:
    """'1 Mar – 30 Jun 2026', '1 Dec 2025 – 28 Feb 2026' or '30 Jun 2026' for a single day."""
    if start == end:
        return format_date(start, translate=translate)
    return translate(RANGE) % {
        "start": format_date(start, with_year=start.year != end.year, translate=translate),
        "end": format_date(end, translate=translate),
    }


def format_days(days: int, translate: Translate = _identity) -> str:
    return translate(DAYS_ONE) if days == 1 else translate(DAYS_MANY) % {"count": days}


def format_area(area: AdminArea, translate: Translate = _identity) -> str:
    """'Bozoum (CF632)', or just the P-code for an area not in the tree."""
    if not area.name:
        return area.pcode
    return translate(AREA) % {"name": area.name, "pcode": area.pcode}


def _when(start: date | None, end: date | None, days: int | None, translate: Translate) -> str:
    if start is not None and end is not None:
        return translate(WHEN_RANGE) % {
            "range": format_range(start, end, translate),
            "days": format_days(days or 0, translate),
        }
    if start is not None:
        return translate(WHEN_FROM) % {"start": format_date(start, translate=translate)}
    if end is not None:
        return translate(WHEN_UNTIL) % {"end": format_date(end, translate=translate)}
    return translate(WHEN_OPEN)


def overlap_reason(overlap: Overlap) -> dict[str, Any]:
    """The facts of a pair's sentence as plain JSON-ready values (a reason code and its parameters), to be
    stored and rendered in the reader's language by :func:`render_overlap`."""
    a, b = overlap.a, overlap.b
    reason: dict[str, Any] = {
        "code": "overlap",
        "org_a": a.organisation_label,
        "org_b": b.organisation_label,
        "sector": a.sector,
        "complementary": overlap.kind is OverlapKind.COMPLEMENTARY,
        "type_a": a.activity_type,
        "type_b": b.activity_type,
        "relation": overlap.relation.value,
        "area_a": [overlap.area_a.name, overlap.area_a.pcode],
        "area_b": [overlap.area_b.name, overlap.area_b.pcode],
        "start": overlap.start.isoformat() if overlap.start else None,
        "end": overlap.end.isoformat() if overlap.end else None,
        "days": overlap.days,
        "title_percent": (
            round(overlap.title_similarity * 100)
            if overlap.title_similarity is not None and a.title and b.title
            else None
        ),
    }
    if overlap.kind is OverlapKind.DOUBLE_COUNT:
        counted, funder = (a, b) if overlap.counted_activity_id == a.id else (b, a)
        same = funder.organisation.casefold() == counted.organisation.casefold()
        reason.update(
            code="double_count_self" if same else "double_count",
            funder=funder.organisation_label,
            partner=counted.organisation_label,
        )
    elif overlap.kind is OverlapKind.DUPLICATE_ENTRY:
        reason["code"] = "duplicate_entry"
    return reason


SENTENCES = {
    "overlap": OVERLAP,
    "duplicate_entry": DUPLICATE_ENTRY,
    "double_count": DOUBLE_COUNT,
    "double_count_self": DOUBLE_COUNT_SELF,
}


def render_overlap(reason: dict[str, Any], translate: Translate = _identity) -> str:
    """The sentence of :func:`overlap_reason`'s facts; `translate` (gettext) gives the reader's language and is
    also asked for the sector and activity-type names."""
    sector = translate(reason["sector"]) if reason["sector"] else ""
    type_a, type_b = reason.get("type_a"), reason.get("type_b")
    if reason.get("complementary"):
        what = translate(WHAT_COMPLEMENTARY) % {
            "sector": sector,
            "type_a": translate(type_a or ""),
            "type_b": translate(type_b or ""),
        }
    elif type_a or type_b:
        what = translate(WHAT_TYPE) % {"sector": sector, "type": translate(type_a or type_b)}
    else:
        what = sector
    area_a = format_area(AdminArea(pcode=reason["area_a"][1], name=reason["area_a"][0]), translate)
    area_b = format_area(AdminArea(pcode=reason["area_b"][1], name=reason["area_b"][0]), translate)
    if reason["relation"] == SpatialRelation.SAME.value:
        where = area_a
    else:
        template = AREA_CONTAINS if reason["relation"] == SpatialRelation.CONTAINS.value else AREA_WITHIN
        where = translate(template) % {"area_a": area_a, "area_b": area_b}
    start = date.fromisoformat(reason["start"]) if reason.get("start") else None
    end = date.fromisoformat(reason["end"]) if reason.get("end") else None
    values = {
        "org_a": reason["org_a"],
        "org_b": reason["org_b"],
        "what": what,
        "where": where,
        "when": _when(start, end, reason.get("days"), translate),
        "funder": reason.get("funder", ""),
        "partner": reason.get("partner", ""),
    }
    text = translate(SENTENCES[reason["code"]]) % values
    if reason.get("title_percent") is not None:
        text += "; " + translate(TITLES_ALIKE) % {"percent": reason["title_percent"]}
    return text


def explain_overlap(overlap: Overlap, translate: Translate = _identity) -> str:
    """One sentence on a pair, e.g. 'UNICEF and Save the Children: Education / teacher
    training, Ouham-Pendé (CF63) contains Bozoum (CF632), both active 1 Mar – 30 Jun 2026
    (122 days)'."""
    return render_overlap(overlap_reason(overlap), translate)


def explain_cluster(cluster: Cluster) -> str:
    """One sentence on a cluster: how many organisations, which cell, when, who."""
    if cluster.start is not None and cluster.end is not None:
        when = CLUSTER_WHEN % {"range": format_range(cluster.start, cluster.end)}
    elif cluster.start is not None:
        when = CLUSTER_FROM % {"start": format_date(cluster.start)}
    else:
        when = CLUSTER_OPEN
    return CLUSTER % {
        "count": len(cluster.organisations),
        "sector": cluster.sector,
        "where": format_area(cluster.area),
        "when": when,
        "organisations": ", ".join(cluster.organisations),
    }
