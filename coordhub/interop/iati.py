"""IATI activity XML 2.03 for an organisation's projects, built from plain dataclasses, and its schema check."""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from pathlib import Path
from typing import BinaryIO

from lxml import etree

IATI_VERSION = "2.03"
SCHEMA_DIR = Path(__file__).parent / "schemas" / "iati-2.03"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"

# IATI OrganisationType codes for coordhub's organisation types (codelist OrganisationType:
# 10 Government, 11 Local Government, 21 International NGO, 22 National NGO, 40 Multilateral,
# 70 Private Sector, 80 Academic, Training and Research, 90 Other). Red Cross / Red Crescent
# bodies have no code of their own; they are listed as international NGOs unless overridden.
ORGANISATION_TYPE_CODES: dict[str, str] = {
    "un_mission": "40",
    "un_agency": "40",
    "international_ngo": "21",
    "national_ngo": "22",
    "local_authority": "11",
    "government_ministry": "10",
    "donor": "10",
    "red_cross": "21",
    "private_sector": "70",
    "academic": "80",
    "foundation": "60",
    "other": "90",
}

# IATI ActivityStatus: 1 Pipeline/identification, 2 Implementation, 3 Finalisation, 4 Closed,
# 5 Cancelled, 6 Suspended.
ACTIVITY_STATUS_CODES: dict[str, int] = {
    "planned": 1,
    "pipeline": 1,
    "ongoing": 2,
    "completed": 3,
    "closed": 4,
    "cancelled": 5,
    "suspended": 6,
}

# IATI OrganisationRole.
ROLE_FUNDING = 1
ROLE_ACCOUNTABLE = 2
ROLE_EXTENDING = 3
ROLE_IMPLEMENTING = 4

# IATI ActivityDateType.
DATE_PLANNED_START = 1
DATE_ACTUAL_START = 2
DATE_PLANNED_END = 3
DATE_ACTUAL_END = 4


class IatiError(ValueError):
    """The data cannot be expressed as valid IATI (message for people)."""


@dataclass(frozen=True)
class IatiOrganisation:
    """The reporting organisation: its IATI organisation identifier (e.g. 'XM-DAC-41122',
    'GB-CHC-202918'), name and IATI OrganisationType code (see organisation_type_code)."""

    ref: str
    name: str
    type_code: str | None = None


@dataclass(frozen=True)
class IatiParticipant:
    """A participating organisation with its role: 1 funding, 2 accountable, 3 extending, 4 implementing."""

    name: str
    role: int
    ref: str | None = None
    type_code: str | None = None


@dataclass(frozen=True)
class IatiLocation:
    """An admin area where the activity happens: P-code (written as the location's ref), name,
    COD level (1–4, written as feature designation ADM1–ADM4), optional centroid and any
    gazetteer identifiers as (GeographicVocabulary code, id) pairs, e.g. ('G1', '1138958')."""

    pcode: str
    name: str
    level: int
    latitude: float | None = None
    longitude: float | None = None
    gazetteer_ids: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class IatiBudget:
    """A budget line: value in `currency` for a period; `value_date` defaults to the period start.
    `type` 1 original / 2 revised; `status` 1 indicative / 2 committed."""

    value: float | Decimal
    currency: str
    period_start: date
    period_end: date
    value_date: date | None = None
    type: int = 1
    status: int = 1


@dataclass(frozen=True)
class IatiDate:
    type_code: int
    iso_date: date


@dataclass(frozen=True)
class IatiResultPeriod:
    """One reporting period of an indicator: its target and actual values (None: not given)."""

    start: date
    end: date
    target: float | None = None
    actual: float | None = None


@dataclass(frozen=True)
class IatiIndicator:
    """An indicator of a result: `measure` 1 unit / 2 percentage (IATI IndicatorMeasure), baseline value and
    year, `ascending` when more is better, and its periods."""

    title: str
    measure: int = 1
    baseline: float | None = None
    baseline_year: int | None = None
    ascending: bool = True
    periods: tuple[IatiResultPeriod, ...] = ()


@dataclass(frozen=True)
class IatiResult:
    """A result (`type` 1 output, 2 outcome, 3 impact: IATI ResultType) with its indicators."""

    title: str
    indicators: tuple[IatiIndicator, ...]
    type: int = 1


@dataclass(frozen=True)
class IatiActivity:
    """One project as IATI needs it.

    `code` is the organisation's own activity code; the iati-identifier is the reporting
    organisation's ref + '-' + code unless `identifier` is given. `status` is a coordhub
    project status (planned, ongoing, completed, suspended) or closed / cancelled. `dates`
    default to activity_dates(status, start_date, end_date). `dac_code` is the OECD DAC
    5-digit purpose code of the sector (3 digits are accepted as vocabulary 2).
    `recipient_country` is ISO 3166-1 alpha-2.
    """

    code: str
    title: str
    status: str
    start_date: date | None = None
    end_date: date | None = None
    description: str = ""
    recipient_country: str | None = None
    dac_code: str | None = None
    sector_name: str | None = None
    locations: tuple[IatiLocation, ...] = ()
    participants: tuple[IatiParticipant, ...] = ()
    budgets: tuple[IatiBudget, ...] = ()
    dates: tuple[IatiDate, ...] | None = None
    last_updated: datetime | None = None
    humanitarian: bool | None = None
    default_currency: str | None = None
    identifier: str | None = None
    results: tuple[IatiResult, ...] = ()


def organisation_type_code(organisation_type: str, overrides: dict[str, str] | None = None) -> str:
    """The IATI OrganisationType code for a coordhub organisation type value ('90' Other when unknown)."""
    table = {**ORGANISATION_TYPE_CODES, **(overrides or {})}
    return table.get(getattr(organisation_type, "value", organisation_type), "90")


def activity_status_code(status: str) -> int:
    key = getattr(status, "value", status)
    try:
        return ACTIVITY_STATUS_CODES[key]
    except KeyError:
        raise IatiError(f"No IATI activity status for {key!r}.") from None


def activity_dates(status: str, start: date | None, end: date | None) -> tuple[IatiDate, ...]:
    """Which IATI date types a project's start and end are, from its status: planned (and
    cancelled) projects have planned dates; ongoing and suspended ones an actual start and a
    planned end; completed and closed ones actual start and end."""
    key = getattr(status, "value", status)
    actual_start = key in ("ongoing", "suspended", "completed", "closed")
    actual_end = key in ("completed", "closed")
    dates = []
    if start is not None:
        dates.append(IatiDate(DATE_ACTUAL_START if actual_start else DATE_PLANNED_START, start))
    if end is not None:
        dates.append(IatiDate(DATE_ACTUAL_END if actual_end else DATE_PLANNED_END, end))
    return tuple(dates)


def iati_identifier(organisation_ref: str, activity_code: str) -> str:
    """'XM-DAC-41122' + 'AF-2026-001' → 'XM-DAC-41122-AF-2026-001' (no doubled prefix)."""
    code = activity_code.strip()
    prefix = organisation_ref.strip()
    if code.startswith(prefix + "-"):
        return code
    return f"{prefix}-{code}"


def annual_budgets(
    total: float | Decimal, currency: str, start: date, end: date, *, value_date: date | None = None
) -> tuple[IatiBudget, ...]:
    """Split a project total into budget lines of at most one year each (IATI's rule for
    budget periods), pro rata by days, in cents; the last line takes the rounding remainder."""
    if end < start:
        raise IatiError("The budget period ends before it starts.")
    periods = []
    period_start = start
    while period_start <= end:
        year_later = _add_years(period_start, 1) - timedelta(days=1)
        period_end = min(year_later, end)
        periods.append((period_start, period_end))
        period_start = period_end + timedelta(days=1)
    total_days = (end - start).days + 1
    amount = Decimal(str(total))
    budgets, allotted = [], Decimal("0")
    for index, (period_start, period_end) in enumerate(periods):
        if index == len(periods) - 1:
            value = amount - allotted
        else:
            days = (period_end - period_start).days + 1
            value = (amount * days / total_days).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
            allotted += value
        budgets.append(IatiBudget(value, currency, period_start, period_end, value_date=value_date or period_start))
    return tuple(budgets)


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=calendar.monthrange(day.year + years, day.month)[1])


# ---------------------------------------------------------------------------------------------
# Building


def build_iati_activities(
    reporting_org: IatiOrganisation,
    activities: Iterable[IatiActivity],
    *,
    generated: datetime | None = None,
    language: str = "en",
) -> etree._Element:
    """The <iati-activities version="2.03"> element for `activities`, in the schema's order.

    Raises IatiError when an activity lacks what the schema requires (a code, a title, a start
    or end date) so that the export view can say which project to fix.
    """
    generated = generated or datetime.now(UTC)
    root = etree.Element("iati-activities", version=IATI_VERSION)
    root.set("generated-datetime", _datetime_text(generated))
    for activity in activities:
        root.append(_activity_element(reporting_org, activity, language))
    return root


def write_iati_activities(
    reporting_org: IatiOrganisation,
    activities: Iterable[IatiActivity],
    out: BinaryIO | None = None,
    *,
    generated: datetime | None = None,
    language: str = "en",
) -> bytes | None:
    """Serialise as UTF-8 XML with declaration; writes to `out` if given, else returns the bytes."""
    root = build_iati_activities(reporting_org, activities, generated=generated, language=language)
    data = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    if out is None:
        return data
    out.write(data)
    return None


def _datetime_text(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def _narrative(parent: etree._Element, tag: str, text: str, **attributes: str) -> etree._Element:
    element = etree.SubElement(parent, tag, **attributes)
    etree.SubElement(element, "narrative").text = text
    return element


def _decimal_text(value: float | Decimal) -> str:
    number = Decimal(str(value))
    if number != number or number in (Decimal("Infinity"), Decimal("-Infinity")):
        raise IatiError(f"{value!r} is not an amount.")
    return format(number.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP), "f")


def _activity_element(reporting_org: IatiOrganisation, activity: IatiActivity, language: str) -> etree._Element:
    if not (activity.identifier or activity.code.strip()):
        raise IatiError(f"The project {activity.title!r} has no activity code, which IATI needs for its identifier.")
    if not activity.title.strip():
        raise IatiError(f"The project {activity.code!r} has no title.")
    dates = (
        activity.dates
        if activity.dates is not None
        else activity_dates(activity.status, activity.start_date, activity.end_date)
    )
    if not dates:
        raise IatiError(f"The project {activity.code!r} has no start or end date; IATI needs at least one.")

    element = etree.Element("iati-activity")
    element.set(XML_LANG, language)
    if activity.last_updated is not None:
        element.set("last-updated-datetime", _datetime_text(activity.last_updated))
    if activity.default_currency:
        element.set("default-currency", activity.default_currency.upper())
    if activity.humanitarian is not None:
        element.set("humanitarian", "1" if activity.humanitarian else "0")

    etree.SubElement(element, "iati-identifier").text = activity.identifier or iati_identifier(
        reporting_org.ref, activity.code
    )
    reporting = _narrative(element, "reporting-org", reporting_org.name, ref=reporting_org.ref)
    if reporting_org.type_code:
        reporting.set("type", reporting_org.type_code)
    _narrative(element, "title", activity.title.strip())
    _narrative(element, "description", (activity.description or activity.title).strip(), type="1")

    participants = activity.participants or (
        IatiParticipant(
            name=reporting_org.name, role=ROLE_IMPLEMENTING, ref=reporting_org.ref, type_code=reporting_org.type_code
        ),
    )
    for participant in participants:
        if participant.role not in (ROLE_FUNDING, ROLE_ACCOUNTABLE, ROLE_EXTENDING, ROLE_IMPLEMENTING):
            raise IatiError(f"{participant.role!r} is not an IATI organisation role (1–4).")
        attributes = {"role": str(participant.role)}
        if participant.ref:
            attributes["ref"] = participant.ref
        if participant.type_code:
            attributes["type"] = participant.type_code
        _narrative(element, "participating-org", participant.name, **attributes)

    etree.SubElement(element, "activity-status", code=str(activity_status_code(activity.status)))
    for activity_date in sorted(dates, key=lambda item: item.type_code):
        etree.SubElement(
            element,
            "activity-date",
            type=str(activity_date.type_code),
            **{"iso-date": activity_date.iso_date.isoformat()},
        )

    if activity.recipient_country:
        etree.SubElement(element, "recipient-country", code=activity.recipient_country.upper(), percentage="100")
    for location in activity.locations:
        element.append(_location_element(location, activity.recipient_country))
    if activity.dac_code:
        code = activity.dac_code.strip()
        if not code.isdigit() or len(code) not in (3, 5):
            raise IatiError(f"{code!r} is not an OECD DAC purpose code (5 digits, or 3 for the category).")
        sector = etree.SubElement(
            element, "sector", vocabulary="1" if len(code) == 5 else "2", code=code, percentage="100"
        )
        if activity.sector_name:
            etree.SubElement(sector, "narrative").text = activity.sector_name
    for budget in activity.budgets:
        if budget.period_end < budget.period_start:
            raise IatiError(f"A budget of {activity.code!r} ends before it starts.")
        line = etree.SubElement(element, "budget", type=str(budget.type), status=str(budget.status))
        etree.SubElement(line, "period-start", **{"iso-date": budget.period_start.isoformat()})
        etree.SubElement(line, "period-end", **{"iso-date": budget.period_end.isoformat()})
        value = etree.SubElement(
            line,
            "value",
            currency=budget.currency.upper(),
            **{"value-date": (budget.value_date or budget.period_start).isoformat()},
        )
        value.text = _decimal_text(budget.value)
    for result in activity.results:
        element.append(_result_element(result))
    return element


def _figure_text(value: float) -> str:
    return format(Decimal(str(value)).normalize(), "f") if value != int(value) else str(int(value))


def _result_element(result: IatiResult) -> etree._Element:
    """A result with its indicators: baseline, then one period per reporting period with target and actual."""
    element = etree.Element("result", type=str(result.type), **{"aggregation-status": "1"})
    _narrative(element, "title", result.title)
    for indicator in result.indicators:
        if indicator.measure not in (1, 2):
            raise IatiError(f"{indicator.measure!r} is not a numeric IATI indicator measure (1 or 2).")
        node = etree.SubElement(
            element, "indicator", measure=str(indicator.measure), ascending="1" if indicator.ascending else "0"
        )
        _narrative(node, "title", indicator.title)
        if indicator.baseline is not None and indicator.baseline_year:
            etree.SubElement(
                node, "baseline", year=str(indicator.baseline_year), value=_figure_text(indicator.baseline)
            )
        for period in indicator.periods:
            if period.end < period.start:
                raise IatiError(f"A result period of {indicator.title!r} ends before it starts.")
            line = etree.SubElement(node, "period")
            etree.SubElement(line, "period-start", **{"iso-date": period.start.isoformat()})
            etree.SubElement(line, "period-end", **{"iso-date": period.end.isoformat()})
            if period.target is not None:
                etree.SubElement(line, "target", value=_figure_text(period.target))
            if period.actual is not None:
                etree.SubElement(line, "actual", value=_figure_text(period.actual))
    return element


def _location_element(location: IatiLocation, country: str | None) -> etree._Element:
    element = etree.Element("location", ref=location.pcode)
    etree.SubElement(element, "location-reach", code="1")  # where the activity happens
    for vocabulary, code in location.gazetteer_ids:
        etree.SubElement(element, "location-id", vocabulary=vocabulary, code=code)
    _narrative(element, "name", location.name)
    _narrative(element, "description", f"Admin {location.level} area, P-code {location.pcode}")
    if country:
        # A4 = ISO 3166-1 alpha-2: the country the area belongs to.
        etree.SubElement(element, "administrative", vocabulary="A4", level="0", code=country.upper())
    if location.latitude is not None and location.longitude is not None:
        point = etree.SubElement(element, "point", srsName="http://www.opengis.net/def/crs/EPSG/0/4326")
        etree.SubElement(point, "pos").text = f"{location.latitude:.6f} {location.longitude:.6f}"
    etree.SubElement(element, "exactness", code="2")  # an area, not an exact site
    etree.SubElement(element, "location-class", code="1")  # administrative region
    if 1 <= location.level <= 4:
        etree.SubElement(element, "feature-designation", code=f"ADM{location.level}")
    return element


# ---------------------------------------------------------------------------------------------
# Validation


class _LocalSchemaResolver(etree.Resolver):
    """Serve schema imports from SCHEMA_DIR only: validation never touches the network."""

    def resolve(self, system_url, _public_id, context):
        name = (system_url or "").rsplit("/", 1)[-1]
        local = SCHEMA_DIR / name
        if local.is_file():
            return self.resolve_filename(str(local), context)
        return None


@lru_cache(maxsize=1)
def activity_schema() -> etree.XMLSchema:
    """The IATI 2.03 activity schema, loaded once from the shipped files."""
    parser = etree.XMLParser(no_network=True, resolve_entities=False, load_dtd=False)
    parser.resolvers.add(_LocalSchemaResolver())
    document = etree.parse(str(SCHEMA_DIR / "iati-activities-schema.xsd"), parser)
    return etree.XMLSchema(document)


def validate_iati_activities(document: bytes | str | etree._Element | etree._ElementTree) -> list[str]:
    """Schema errors of an IATI activity document as 'line N: message' strings; [] when valid."""
    if isinstance(document, (bytes, str)):
        parser = etree.XMLParser(no_network=True, resolve_entities=False, load_dtd=False)
        try:
            tree = etree.fromstring(document.encode("utf-8") if isinstance(document, str) else document, parser)
        except etree.XMLSyntaxError as error:
            return [f"not well-formed XML: {error}"]
    else:
        tree = document
    schema = activity_schema()
    if schema.validate(tree):
        return []
    return [f"line {error.line}: {error.message}" for error in schema.error_log]


def iati_activities_for(reporting_org: IatiOrganisation, activities: Sequence[IatiActivity]) -> tuple[bytes, list[str]]:
    """Build, serialise and validate in one call: (xml bytes, schema errors)."""
    data = write_iati_activities(reporting_org, activities)
    return data, validate_iati_activities(data)
