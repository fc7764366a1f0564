import socket
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from lxml import etree

from coordhub.interop import iati
from coordhub.interop.iati import (
    IatiActivity,
    IatiBudget,
    IatiError,
    IatiLocation,
    IatiOrganisation,
    IatiParticipant,
    activity_dates,
    activity_status_code,
    annual_budgets,
    build_iati_activities,
    iati_identifier,
    organisation_type_code,
    validate_iati_activities,
    write_iati_activities,
)

REPORTING = IatiOrganisation("XM-DAC-47066", "Norwegian Refugee Council", organisation_type_code("international_ngo"))


def full_activity(**changes) -> IatiActivity:
    values = dict(
        code="AF-2026-001",
        title="Rehabilitation of Bagrami clinic",
        description="Roof, water and solar power for the district clinic.",
        status="ongoing",
        start_date=date(2026, 3, 1),
        end_date=date(2027, 6, 30),
        recipient_country="AF",
        dac_code="12220",
        sector_name="Basic health care",
        locations=(
            IatiLocation("AF0104", "Bagrami", 2, latitude=34.49, longitude=69.27),
            IatiLocation("AF01", "Kabul", 1, gazetteer_ids=(("G1", "1138957"),)),
        ),
        participants=(
            IatiParticipant(
                "European Civil Protection and Humanitarian Aid Operations", iati.ROLE_FUNDING, "XI-IATI-EC_ECHO", "40"
            ),
            IatiParticipant("Norwegian Refugee Council", iati.ROLE_ACCOUNTABLE, "XM-DAC-47066", "21"),
            IatiParticipant("Afghans 4 Tomorrow", iati.ROLE_IMPLEMENTING, None, organisation_type_code("national_ngo")),
        ),
        budgets=annual_budgets(Decimal("250000.50"), "USD", date(2026, 3, 1), date(2027, 6, 30)),
        last_updated=datetime(2026, 3, 2, 9, 30),
        humanitarian=True,
        default_currency="usd",
    )
    values.update(changes)
    return IatiActivity(**values)


@pytest.fixture
def no_network(monkeypatch):
    """Python-level socket use fails loudly (libxml2 itself runs with no_network=True)."""

    def refuse(*args, **kwargs):
        raise AssertionError("network access attempted")

    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)


def test_full_document_validates_against_the_official_schema(no_network):
    iati.activity_schema.cache_clear()
    data = write_iati_activities(
        REPORTING,
        [full_activity(), full_activity(code="AF-2026-002", status="completed")],
        generated=datetime(2026, 3, 5, 12, 0, tzinfo=UTC),
    )
    assert validate_iati_activities(data) == []
    root = etree.fromstring(data)
    assert root.get("version") == "2.03"
    assert root.get("generated-datetime") == "2026-03-05T12:00:00Z"
    activity = root[0]
    assert activity.findtext("iati-identifier") == "XM-DAC-47066-AF-2026-001"
    assert activity.find("reporting-org").attrib == {"ref": "XM-DAC-47066", "type": "21"}
    assert [org.get("role") for org in activity.findall("participating-org")] == ["1", "2", "4"]
    assert activity.find("activity-status").get("code") == "2"
    assert [(d.get("type"), d.get("iso-date")) for d in activity.findall("activity-date")] == [
        ("2", "2026-03-01"),
        ("3", "2027-06-30"),
    ]
    assert activity.find("recipient-country").get("code") == "AF"
    location = activity.find("location")
    assert location.get("ref") == "AF0104"
    assert location.findtext("name/narrative") == "Bagrami"
    assert location.find("feature-designation").get("code") == "ADM2"
    assert location.findtext("point/pos") == "34.490000 69.270000"
    assert activity.find("sector").attrib == {"vocabulary": "1", "code": "12220", "percentage": "100"}
    budgets = activity.findall("budget")
    assert [b.find("period-start").get("iso-date") for b in budgets] == ["2026-03-01", "2027-03-01"]
    assert sum(Decimal(b.findtext("value")) for b in budgets) == Decimal("250000.50")
    assert budgets[0].find("value").get("value-date") == "2026-03-01"
    assert root[1].find("activity-status").get("code") == "3"
    assert [d.get("type") for d in root[1].findall("activity-date")] == ["2", "4"]


def test_minimal_activity_validates_and_lists_the_reporter_as_implementer():
    root = build_iati_activities(
        REPORTING, [IatiActivity(code="X1", title="Tents", status="planned", start_date=date(2026, 5, 1))]
    )
    assert validate_iati_activities(root) == []
    [participant] = root[0].findall("participating-org")
    assert participant.get("role") == "4" and participant.get("ref") == REPORTING.ref
    assert root[0].findtext("description/narrative") == "Tents"


@pytest.mark.parametrize(
    "breakage, expected",
    [
        (lambda root: root[0].remove(root[0].find("activity-status")), "activity-date"),
        (lambda root: root.attrib.pop("version"), "version"),
        (lambda root: root[0].find("budget/value").set("value-date", "March 2026"), "value-date"),
        (lambda root: root[0].insert(0, etree.Element("unknown-element")), "unknown-element"),
        (lambda root: root[0].find("title").remove(root[0].find("title/narrative")), "narrative"),
    ],
)
def test_broken_documents_do_not_validate(breakage, expected):
    root = build_iati_activities(REPORTING, [full_activity()])
    breakage(root)
    errors = validate_iati_activities(root)
    assert errors and expected in " ".join(errors)
    assert errors[0].startswith("line ")


def test_not_xml_is_reported():
    assert validate_iati_activities(b"<iati-activities")[0].startswith("not well-formed XML")


def test_codes():
    assert [
        organisation_type_code(t)
        for t in ("government_ministry", "international_ngo", "national_ngo", "un_agency", "academic")
    ] == ["10", "21", "22", "40", "80"]
    assert organisation_type_code("something new") == "90"
    assert organisation_type_code("red_cross", {"red_cross": "40"}) == "40"
    assert [
        activity_status_code(s) for s in ("planned", "ongoing", "completed", "closed", "cancelled", "suspended")
    ] == [1, 2, 3, 4, 5, 6]
    with pytest.raises(IatiError):
        activity_status_code("sleeping")
    assert [d.type_code for d in activity_dates("planned", date(2026, 1, 1), date(2026, 2, 1))] == [1, 3]
    assert [d.type_code for d in activity_dates("suspended", date(2026, 1, 1), None)] == [2]
    assert iati_identifier("XM-DAC-47066", "AF-1") == "XM-DAC-47066-AF-1"
    assert iati_identifier("XM-DAC-47066", "XM-DAC-47066-AF-1") == "XM-DAC-47066-AF-1"


def test_annual_budgets_cover_the_period_and_add_up():
    lines = annual_budgets(1000, "USD", date(2024, 2, 29), date(2026, 12, 31))
    assert [(line.period_start, line.period_end) for line in lines] == [
        (date(2024, 2, 29), date(2025, 2, 27)),
        (date(2025, 2, 28), date(2026, 2, 27)),
        (date(2026, 2, 28), date(2026, 12, 31)),
    ]
    assert sum(Decimal(str(line.value)) for line in lines) == Decimal("1000")
    assert annual_budgets(10, "USD", date(2026, 1, 1), date(2026, 1, 1))[0].value == Decimal("10")


def test_what_iati_cannot_express_is_refused_with_the_project_named():
    with pytest.raises(IatiError, match="no activity code"):
        build_iati_activities(REPORTING, [full_activity(code=" ")])
    with pytest.raises(IatiError, match="no start or end date"):
        build_iati_activities(REPORTING, [full_activity(start_date=None, end_date=None)])
    with pytest.raises(IatiError, match="DAC purpose code"):
        build_iati_activities(REPORTING, [full_activity(dac_code="HEALTH")])
    with pytest.raises(IatiError, match="organisation role"):
        build_iati_activities(REPORTING, [full_activity(participants=(IatiParticipant("X", 7),))])
    with pytest.raises(IatiError, match="ends before"):
        build_iati_activities(
            REPORTING, [full_activity(budgets=(IatiBudget(1, "USD", date(2026, 2, 1), date(2026, 1, 1)),))]
        )
