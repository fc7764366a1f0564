"""A run's assignments as CSV with an HXL hashtag row (through interop's export helper), sensitive needs
redacted for those who may not see their details."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from flask import Response

from coordhub.allocation.models import AllocationAssignment, AllocationResponse, AllocationRun
from coordhub.interop.export import REDACTED_TITLE, export_response, stream_results
from coordhub.interop.writers import ExportColumn
from coordhub.registry.models import AdminArea, Capacity, Need, Organisation, ResourceType, Sector
from coordhub.registry.queries import details_visible_clause

# The first columns and their names are those of `coordhub allocate --out` (need_id, capacity_id, quantity,
# unit_cost, and period for a plan), so scripts read both the same way.
COLUMNS = [
    ExportColumn(header, hashtag, header)
    for header, hashtag in (
        ("need_id", "#need+id"),
        ("capacity_id", "#capacity+id"),
        ("quantity", "#quantity"),
        ("unit_cost", "#value+cost"),
        ("period", "#date+period"),
        ("cost", "#value+cost+total"),
        ("need_code", "#need+code"),
        ("need", "#need+name"),
        ("pcode", "#adm+code"),
        ("area", "#adm+name"),
        ("sector", "#sector"),
        ("resource_type", "#item+code"),
        ("unit", "#item+unit"),
        ("priority", "#priority"),
        ("capacity", "#capacity+name"),
        ("organisation", "#org+name"),
        ("organisation_acronym", "#org+acronym"),
        ("pinned", "#indicator+pinned"),
        ("response", "#status+response"),
        ("response_reason", "#description+response"),
    )
]


def assignment_rows(run_id: int, user, organisation_id: int | None) -> Iterator[dict[str, Any]]:
    """Rows of the run's assignments (one organisation's, or all), read in one streamed query, in a session of
    their own, when iterated (after the request has ended)."""
    visible = sa.case((details_visible_clause(Need, user), True), else_=False).label("visible")
    query = (
        sa.select(
            AllocationAssignment.need_id,
            AllocationAssignment.capacity_id,
            AllocationAssignment.quantity,
            AllocationAssignment.unit_cost,
            AllocationAssignment.period,
            AllocationAssignment.cost,
            AllocationAssignment.pinned,
            Need.code.label("need_code"),
            Need.title.label("need"),
            Need.priority,
            visible,
            AdminArea.pcode,
            AdminArea.name.label("area"),
            Sector.name.label("sector"),
            ResourceType.code.label("resource_type"),
            ResourceType.unit,
            Capacity.title.label("capacity"),
            Organisation.name.label("organisation"),
            Organisation.acronym.label("organisation_acronym"),
            AllocationResponse.decision,
            AllocationResponse.reason,
        )
        .join(Need, Need.id == AllocationAssignment.need_id)
        .join(AdminArea, AdminArea.id == Need.admin_area_id)
        .join(ResourceType, ResourceType.id == Need.resource_type_id)
        .join(Sector, Sector.id == Need.sector_id)
        .join(Capacity, Capacity.id == AllocationAssignment.capacity_id)
        .join(Organisation, Organisation.id == AllocationAssignment.organisation_id)
        .outerjoin(AllocationResponse, AllocationResponse.assignment_id == AllocationAssignment.id)
        .where(AllocationAssignment.run_id == run_id)
        .order_by(
            AllocationAssignment.organisation_id,
            AllocationAssignment.need_id,
            AllocationAssignment.capacity_id,
            AllocationAssignment.period,
        )
    )
    if organisation_id is not None:
        query = query.where(AllocationAssignment.organisation_id == organisation_id)
    return _export_rows(stream_results(query, batch=2000))


def _export_rows(rows: Iterator[Any]) -> Iterator[dict[str, Any]]:
    for row in rows:
        item = dict(row)
        item["period"] = item["period"].isoformat() if item["period"] else None
        if not item.pop("visible"):
            item["need"], item["need_code"] = REDACTED_TITLE, None
        decision = item.pop("decision")
        item["response"] = decision.value if decision is not None else None
        item["response_reason"] = item.pop("reason")
        yield item


def assignments_response(run: AllocationRun, user, organisation_id: int | None, filename: str) -> Response:
    return export_response(
        assignment_rows(run.id, user, organisation_id), COLUMNS, "csv", filename, sheet_title="assignments"
    )
