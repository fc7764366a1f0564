"""Exports: any list as CSV (with its HXL row) or .xlsx in a streaming response; registry rows, 3W rows and IATI activities."""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from flask import Response
from sqlalchemy.orm import Session, selectinload

from coordhub.auth import rights
from coordhub.extensions import db
from coordhub.interop.iati import (
    ROLE_ACCOUNTABLE,
    ROLE_IMPLEMENTING,
    IatiActivity,
    IatiBudget,
    IatiLocation,
    IatiOrganisation,
    IatiParticipant,
    annual_budgets,
    organisation_type_code,
)
from coordhub.interop.writers import ExportColumn, columns_for_kind, iter_csv, three_w_columns, write_xlsx
from coordhub.monitoring.queries import iati_results
from coordhub.registry.models import AdminArea, Capacity, Need, Operation, Organisation, Project, ResourceType

FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
REDACTED_TITLE = "Sensitive entry (details restricted)"


def export_response(
    rows: Iterable[Any], columns: Sequence[ExportColumn], fmt: str, filename: str, *, sheet_title: str = "Data"
) -> Response:
    """A download of `rows` (mappings or objects) in `columns`: CSV with a header row and an HXL hashtag row,
    streamed as the rows are read, or an .xlsx workbook (built in write-only mode in a spooled temporary
    file, then streamed). `filename` is without extension. Any list can use it: give it rows and columns."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}")
    safe = re.sub(r"[^A-Za-z0-9._-]+", "-", filename).strip("-") or "export"
    headers = {"Content-Disposition": f'attachment; filename="{safe}.{fmt}"', "X-Content-Type-Options": "nosniff"}
    if fmt == "csv":
        return Response(iter_csv(rows, columns), mimetype=FORMATS["csv"], headers=headers)
    spooled = tempfile.SpooledTemporaryFile(max_size=16 * 1024 * 1024)  # noqa: SIM115  (closed by chunks())
    write_xlsx(rows, columns, spooled, sheet_title=sheet_title)
    size = spooled.tell()
    spooled.seek(0)

    def chunks() -> Iterator[bytes]:
        try:
            while chunk := spooled.read(256 * 1024):
                yield chunk
        finally:
            spooled.close()

    headers["Content-Length"] = str(size)
    return Response(chunks(), mimetype=FORMATS["xlsx"], headers=headers)


# ---------------------------------------------------------------------------------------------
# Registry rows, keyed by the import field names (so that every export re-imports)

EXPORT_FIELDS: dict[type, tuple[str, ...]] = {
    Project: (
        "code",
        "title",
        "description",
        "organisation",
        "organisation_acronym",
        "organisation_type",
        "implementing_partner",
        "sector",
        "sector_code",
        "pcodes",
        "status",
        "start_date",
        "end_date",
        "beneficiaries_targeted",
        "budget",
        "currency",
        "target_group",
    ),
    Need: (
        "code",
        "title",
        "description",
        "organisation",
        "organisation_acronym",
        "sector",
        "sector_code",
        "resource_type",
        "resource_type_code",
        "pcode",
        "quantity",
        "priority",
        "start_date",
        "end_date",
        "source",
        "status",
    ),
    Capacity: (
        "code",
        "title",
        "organisation",
        "organisation_acronym",
        "resource_type",
        "resource_type_code",
        "pcodes",
        "quantity",
        "unit_cost",
        "currency",
        "start_date",
        "end_date",
        "notes",
    ),
}
KIND_NAMES = {Project: "projects", Need: "needs", Capacity: "capacities"}


def record_columns(kind: type) -> list[ExportColumn]:
    """The list export's columns: the import fields, plus the areas' names for people."""
    columns = columns_for_kind(KIND_NAMES[kind], EXPORT_FIELDS[kind])
    columns.append(ExportColumn(header="Admin area names", hashtag="#loc+name", value="area_names"))
    return columns


def _loaded(query: sa.Select, kind: type) -> sa.Select:
    options = [selectinload(kind.organisation)]
    if kind is Project:
        options += [selectinload(Project.sector), selectinload(Project.areas), selectinload(Project.partners)]
    elif kind is Need:
        options += [selectinload(Need.sector), selectinload(Need.area), selectinload(Need.resource_type)]
    else:
        options += [
            selectinload(Capacity.resource_type).selectinload(ResourceType.sector),
            selectinload(Capacity.areas),
        ]
    return query.options(*options)


def stream_results(statement: sa.Select, *, scalars: bool = False, batch: int = 500) -> Iterator[Any]:
    """The rows (mappings, or objects with `scalars`) of `statement`, read in batches when iterated.

    They are read in a database session of their own: a streamed response goes on after the view has
    returned and its request (and the request's session) are gone. Build `statement` in the view, so that
    everything it needs from the request (the signed-in user) is read while the request lives."""
    engine = db.engine

    def generate() -> Iterator[Any]:
        with Session(engine) as session:
            result = session.execute(statement.execution_options(yield_per=batch))
            result = result.scalars() if scalars else result.mappings()
            for partition in result.partitions():
                yield from partition

    return generate()


def iter_records(query: sa.Select, kind: type, batch: int = 500) -> Iterator[Any]:
    """The records of a record_query, read in batches with their relations (no query per row), in a
    session of their own (see stream_results)."""
    return stream_results(_loaded(query, kind), scalars=True, batch=batch)


def record_row(record, user) -> dict[str, Any]:
    """One record as an export row; a sensitive record the user may not see shows only what the list shows."""
    kind = type(record)
    areas = record.areas
    row: dict[str, Any] = {
        "pcodes": [a.pcode for a in areas],
        "pcode": areas[0].pcode if areas else None,
        "area_names": [a.name for a in areas],
    }
    if kind is not Capacity:
        row.update(sector=record.sector.name, sector_code=record.sector.code, status=record.status)
    if kind is not Project:
        row.update(resource_type=record.resource_type.name, resource_type_code=record.resource_type.code)
    if kind is Need:
        row["priority"] = record.priority
    if not rights.can_see_details(user, record):
        row["title"] = REDACTED_TITLE
        return row
    organisation = record.organisation
    row.update(
        organisation=organisation.name, organisation_acronym=organisation.acronym, organisation_type=organisation.type
    )
    for name in EXPORT_FIELDS[kind]:
        if name not in row and hasattr(kind, name):
            row[name] = getattr(record, name)
    if kind is Project:
        row["implementing_partner"] = [partner.name for partner in record.partners]
    return row


# ---------------------------------------------------------------------------------------------
# 3W / 4W


@dataclass(frozen=True)
class _Area:
    pcode: str
    name: str
    level: int
    parent_id: int | None


def area_index(operation: Operation) -> dict[int, _Area]:
    return {
        row.id: _Area(row.pcode, row.name, row.level, row.parent_id)
        for row in db.session.execute(
            sa.select(AdminArea.id, AdminArea.pcode, AdminArea.name, AdminArea.level, AdminArea.parent_id).where(
                AdminArea.operation_id == operation.id
            )
        )
    }


def three_w_rows(projects: Iterable[Project], user, areas: dict[int, _Area]) -> Iterator[dict[str, Any]]:
    """One row per project and admin area, with the admin 1–3 names and P-codes above the area (OCHA's 3W)."""
    for project in projects:
        base = record_row(project, user)
        base.pop("pcodes")
        for area in project.areas:
            row = dict(base)
            current = areas.get(area.id)
            while current is not None:
                if 1 <= current.level <= 3:
                    row[f"adm{current.level}_name"], row[f"adm{current.level}_code"] = current.name, current.pcode
                current = areas.get(current.parent_id) if current.parent_id is not None else None
            yield row


def three_w_export_columns(areas: dict[int, _Area]) -> list[ExportColumn]:
    return three_w_columns(include_admin3=any(area.level >= 3 for area in areas.values()))


# ---------------------------------------------------------------------------------------------
# IATI


def can_export_iati(user, organisation: Organisation) -> bool:
    """Administrators and coordinators for any organisation; others for their own."""
    return user.is_admin or user.is_coordinator or user.organisation_id == organisation.id


def reporting_organisation(organisation: Organisation) -> IatiOrganisation:
    """The organisation as IATI's reporting-org; without an IATI identifier of its own it gets a
    coordhub one ('XX-COORDHUB-<id>': XX is IATI's code for an unknown registration agency)."""
    return IatiOrganisation(
        ref=organisation.iati_identifier or f"XX-COORDHUB-{organisation.id}",
        name=organisation.name,
        type_code=organisation_type_code(organisation.type.value),
    )


def iati_activities(
    operation: Operation, organisation: Organisation, user, *, include_sensitive: bool = False
) -> tuple[list[IatiActivity], int]:
    """The organisation's current projects in the operation as IATI activities, and how many sensitive
    projects were left out. Sensitive projects (protection, victims, DDR) are published only when asked
    and when `user` may see their details: IATI is a public standard."""
    query = (
        sa.select(Project)
        .where(
            Project.operation_id == operation.id,
            Project.organisation_id == organisation.id,
            Project.archived_at.is_(None),
        )
        .order_by(Project.start_date, Project.id)
    )
    reporting = reporting_organisation(organisation)
    country = operation.country_code.upper() if len(operation.country_code) == 2 else None
    activities, left_out = [], 0
    projects = []
    for project in iter_records(query, Project):
        if project.sensitive and not (include_sensitive and rights.can_see_details(user, project)):
            left_out += 1
            continue
        projects.append(project)
    results = iati_results(projects)  # indicators, baselines, targets and approved results (coordhub.monitoring)
    for project in projects:
        participants = [
            IatiParticipant(
                organisation.name,
                ROLE_ACCOUNTABLE if project.partners else ROLE_IMPLEMENTING,
                reporting.ref,
                reporting.type_code,
            )
        ]
        participants += [
            IatiParticipant(
                partner.name, ROLE_IMPLEMENTING, partner.iati_identifier, organisation_type_code(partner.type.value)
            )
            for partner in project.partners
        ]
        budgets: tuple[IatiBudget, ...] = ()
        if project.budget is not None:
            end = project.end_date or date(project.start_date.year, 12, 31)
            budgets = annual_budgets(project.budget, project.currency, project.start_date, max(end, project.start_date))
        activities.append(
            IatiActivity(
                code=project.code or f"COORDHUB-{project.id}",
                title=project.title,
                status=project.status.value,
                start_date=project.start_date,
                end_date=project.end_date,
                description=project.description,
                recipient_country=country,
                dac_code=project.sector.dac_code,
                sector_name=project.sector.name,
                locations=tuple(IatiLocation(a.pcode, a.name, a.level, a.latitude, a.longitude) for a in project.areas),
                participants=tuple(participants),
                budgets=budgets,
                last_updated=project.updated_at,
                default_currency=project.currency,
                results=results.get(project.id, ()),
            )
        )
    return activities, left_out
