"""A run's assignments as CSV with an HXL hashtag row (through interop's export helper), sensitive needs
redacted for those who may not see their details."""
from __future__ import annotations

from typing import Any, Iterator

from flask import Response

from coordhub.allocation.models import AllocationRun
from coordhub.allocation.queries import assignments_query
from coordhub.auth import rights
from coordhub.extensions import db
from coordhub.interop.export import REDACTED_TITLE, export_response
from coordhub.interop.writers import ExportColumn

# The first columns and their names are those of `coordhub allocate --out` (need_id, capacity_id, quantity,
# unit_cost), so scripts read both the same way.
COLUMNS = [ExportColumn(header, hashtag, header) for header, hashtag in (
    ("need_id", "#need+id"), ("capacity_id", "#capacity+id"), ("quantity", "#quantity"),
    ("unit_cost", "#value+cost"), ("cost", "#value+cost+total"), ("need_code", "#need+code"),
    ("need", "#need+name"), ("pcode", "#adm+code"), ("area", "#adm+name"), ("sector", "#sector"),
    ("resource_type", "#item+code"), ("unit", "#item+unit"), ("priority", "#priority"),
    ("capacity", "#capacity+name"), ("organisation", "#org+name"), ("organisation_acronym", "#org+acronym"),
    ("pinned", "#indicator+pinned"), ("response", "#status+response"), ("response_reason", "#description+response"),
)]


def assignment_rows(run_id: int, user, organisation_id: int | None) -> Iterator[dict[str, Any]]:
    """Rows of the run's assignments (one organisation's, or all), read when iterated."""
    run = db.session.get(AllocationRun, run_id)
    for a in db.session.scalars(assignments_query(run, organisation_id)):
        need, capacity, response = a.need, a.capacity, a.response
        visible = rights.can_see_details(user, need)
        yield {"need_id": need.id, "capacity_id": capacity.id, "quantity": a.quantity, "unit_cost": a.unit_cost,
               "cost": a.cost, "need_code": need.code if visible else None,
               "need": need.title if visible else REDACTED_TITLE, "pcode": need.area.pcode, "area": need.area.name,
               "sector": need.resource_type.sector.name, "resource_type": need.resource_type.code,
               "unit": need.resource_type.unit, "priority": need.priority, "capacity": capacity.title,
               "organisation": a.organisation.name, "organisation_acronym": a.organisation.acronym,
               "pinned": a.pinned, "response": response.decision.value if response else None,
               "response_reason": response.reason if response else None}


def assignments_response(run: AllocationRun, user, organisation_id: int | None, filename: str) -> Response:
    return export_response(assignment_rows(run.id, user, organisation_id), COLUMNS, "csv", filename,
                           sheet_title="assignments")
