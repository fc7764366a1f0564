"""Small helpers for the import/export product tests: files in memory, uploads through the wizard."""

from __future__ import annotations

import csv
import io

import sqlalchemy as sa

from coordhub.extensions import db
from coordhub.interop.models import ImportRun


def csv_bytes(rows: list[list[object]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode("utf-8")


def xlsx_bytes(sheets: dict[str, list[list[object]]]) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.remove(workbook.active)
    for title, rows in sheets.items():
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


PROJECT_HEADER = [
    "Organisation",
    "Sector",
    "Activity",
    "Activity code",
    "Admin 2 P-code",
    "Start date",
    "End date",
    "Status",
]
PROJECT_HXL = [
    "#org+name",
    "#sector",
    "#activity+name",
    "#activity+code",
    "#adm2+code",
    "#date+start",
    "#date+end",
    "#status",
]


def project_rows(organisation: str, count: int, *, start: int = 0) -> list[list[object]]:
    """`count` projects, each on a day of its own (so that overlap detection finds no pairs among them)."""
    from datetime import date, timedelta

    pcodes = ["CF632", "CF633", "CF711"]
    rows = []
    for n in range(start, start + count):
        day = date(2026, 1, 1) + timedelta(days=n)
        rows.append(
            [
                organisation,
                "Education",
                f"Classrooms {n}",
                f"EDU-{n:05d}",
                pcodes[n % 3],
                day.isoformat(),
                day.strftime("%d/%m/%Y"),
                "ongoing",
            ]
        )
    return rows


def upload(client, kind: str, data: bytes, filename: str, **extra):
    return client.post(
        "/imports/",
        data={"kind": kind, "file": (io.BytesIO(data), filename), **extra},
        content_type="multipart/form-data",
    )


def latest_run() -> ImportRun:
    db.session.expire_all()
    return db.session.scalar(sa.select(ImportRun).order_by(ImportRun.id.desc()))


def preview(client, run_id: int, **options):
    """Submit the mapping step as proposed (reading the proposal from the page) with `options`."""
    page = client.get(f"/imports/{run_id}/mapping").get_data(as_text=True)
    form = {}
    import re

    for name, body in re.findall(
        r'<select class="form-select form-select-sm" id="(map-[a-z0-9_]+)" name="[^"]+">(.*?)</select>', page, re.S
    ):
        chosen = re.search(r'<option value="(\d+)" selected>', body)
        form[name] = chosen.group(1) if chosen else ""
    form.update(options)
    return client.post(f"/imports/{run_id}/mapping", data=form)
