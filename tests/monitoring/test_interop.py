"""Results through the importer (5W files with #indicator, #reached, #targeted and breakdowns, preview, all or
nothing), the export round trip, and IATI 2.03 result elements that stay schema-valid."""

from __future__ import annotations

import csv
import io

import sqlalchemy as sa
from lxml import etree

from coordhub.extensions import db
from coordhub.interop.iati import validate_iati_activities
from coordhub.interop.importer import ImportSettings, run_import
from coordhub.monitoring import operations as mops
from coordhub.monitoring.models import Report, ReportState, ReportValue, Target
from tests.monitoring.helpers import entry, period, setup

HEADER = [
    "Organisation",
    "Project code",
    "Indicator",
    "P-code",
    "Period",
    "Reached",
    "Targeted",
    "Female",
    "Male",
    "Comment",
]
TAGS = [
    "#org+name",
    "#activity+code",
    "#indicator+code",
    "#loc+code",
    "#date+start",
    "#reached",
    "#targeted",
    "#reached+f",
    "#reached+m",
    "#description",
]


def csv_file(rows) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    for row in [HEADER, TAGS, *rows]:
        writer.writerow(row)
    return out.getvalue().encode()


def coded_project(world):
    project, periods, area, classrooms, enrolled = setup(world)
    project.code = "EDU-BZM-1"
    db.session.commit()
    return project, periods, area, classrooms, enrolled


def test_a_results_file_is_previewed_then_imported_all_or_nothing(world):
    _project, _periods, _area, classrooms, enrolled = coded_project(world)
    focal = world.users["focal"]
    good = ["NGOA organisation", "EDU-BZM-1", "EDU-3", "CF632", "2026-03-15", "120", "450", "70", "50", "ok"]
    bad = ["NGOA organisation", "EDU-BZM-1", "EDU-1", "CF632", "2026-03-15", "4", "", "", "", ""]
    mismatched = ["NGOA organisation", "EDU-BZM-1", "EDU-3", "CF632", "2026-04-03", "100", "", "30", "30", ""]
    unknown = ["NGOA organisation", "EDU-BZM-1", "EDU-99", "CF632", "2026-04-03", "1", "", "", "", ""]
    report = run_import(
        focal,
        world.operation,
        csv_file([good, bad, mismatched, unknown]),
        "results.csv",
        ImportSettings(kind="reports"),
        commit=True,
    )
    assert report.blocked and not report.committed
    messages = {(p.row, p.column): p.message for p in report.problems}
    assert "add up to 60" in messages[(5, "Reached")] and "No indicator" in messages[(6, "Indicator")]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ReportValue)) == 0  # nothing written
    report = run_import(
        focal, world.operation, csv_file([good, bad]), "results.csv", ImportSettings(kind="reports"), commit=True
    )
    assert report.committed, [str(p) for p in report.problems]
    saved = db.session.scalar(sa.select(Report))
    assert saved.state is ReportState.draft and saved.comment == "ok"
    values = {(v.indicator_id, v.disaggregation): v.value for v in db.session.scalars(sa.select(ReportValue))}
    assert values == {
        (enrolled.id, ""): 120,
        (enrolled.id, "sex:female"): 70,
        (enrolled.id, "sex:male"): 50,
        (classrooms.id, ""): 4,
    }
    assert (
        db.session.scalar(
            sa.select(Target.value).where(Target.indicator_id == enrolled.id, Target.disaggregation == "")
        )
        == 450
    )


def test_other_organisations_cannot_import_results_for_a_project(world):
    coded_project(world)
    row = ["NGOA organisation", "EDU-BZM-1", "EDU-1", "CF632", "2026-03-15", "4", "", "", "", ""]
    report = run_import(
        world.users["other_focal"],
        world.operation,
        csv_file([row]),
        "r.csv",
        ImportSettings(kind="reports"),
        commit=True,
    )
    assert report.blocked and "Only NGOA reports" in report.problems[0].message


def test_export_round_trip_changes_nothing(world, login):
    project, periods, area, classrooms, enrolled = coded_project(world)
    focal = world.users["focal"]
    report, _w = mops.save_report(
        focal,
        project,
        period(periods, 3),
        [
            entry(enrolled, area, 100),
            entry(enrolled, area, 60, "sex:female"),
            entry(enrolled, area, 40, "sex:male"),
            entry(classrooms, area, 3),
        ],
        submit=True,
    )
    mops.review_report(world.users["coordinator"], report, approve=True)
    client = login(focal)
    exported = client.get("/monitoring/reports.csv").get_data()
    rows = list(csv.reader(io.StringIO(exported.decode("utf-8-sig"))))
    assert "#reached+f" in rows[1] and len(rows) == 4
    again = run_import(focal, world.operation, exported, "results.csv", ImportSettings(kind="reports"), commit=True)
    assert again.committed and again.counts["unchanged"] == 2, [str(p) for p in again.problems]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ReportValue)) == 4


def test_iati_export_carries_results_and_stays_schema_valid(world, login):
    project, periods, area, classrooms, _enrolled = coded_project(world)
    world.ngo.iati_identifier = "XM-DAC-47066"
    db.session.commit()
    for month, value in ((3, 4), (4, 5)):
        report, _w = mops.save_report(
            world.users["focal"], project, period(periods, month), [entry(classrooms, area, value)], submit=True
        )
        mops.review_report(world.users["coordinator"], report, approve=True)
    xml = login(world.users["focal"]).get(f"/organisations/{world.ngo.id}/iati.xml").get_data()
    assert validate_iati_activities(xml) == []
    tree = etree.fromstring(xml)
    indicators = tree.findall(".//result/indicator")
    titles = [i.findtext("title/narrative") for i in indicators]
    assert titles == ["Classrooms rehabilitated (classrooms)", "Children enrolled in supported schools (children)"]
    classroom = indicators[0]
    assert classroom.find("baseline").get("value") == "0"
    periods_xml = [
        (
            p.find("period-start").get("iso-date"),
            p.find("target").get("value") if p.find("target") is not None else None,
            p.find("actual").get("value"),
        )
        for p in classroom.findall("period")
    ]
    assert periods_xml == [("2026-03-01", "20", "9"), ("2026-03-01", None, "4"), ("2026-04-01", None, "5")]
