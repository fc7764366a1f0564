"""JSON shapes of registry records (sensitive ones redacted for those who may not see details)."""

from __future__ import annotations

from typing import Any

from coordhub.auth import rights
from coordhub.registry.models import AdminArea, Capacity, Need, Organisation, Project, ResourceType, Sector


def _area(area: AdminArea) -> dict[str, Any]:
    return {"id": area.id, "pcode": area.pcode, "name": area.name, "level": area.level}


def _stamps(record) -> dict[str, Any]:
    return {
        "created_at": record.created_at.isoformat() + "Z",
        "updated_at": record.updated_at.isoformat() + "Z",
        "archived": record.archived,
        "version": record.version,
    }


def _dates(record) -> dict[str, Any]:
    return {
        "start_date": record.start_date.isoformat(),
        "end_date": record.end_date.isoformat() if record.end_date else None,
    }


def organisation(o: Organisation) -> dict[str, Any]:
    return {
        "id": o.id,
        "name": o.name,
        "acronym": o.acronym,
        "type": o.type.value,
        "is_local": o.is_local,
        "iati_identifier": o.iati_identifier,
        "archived": o.archived,
    }


def sector(s: Sector) -> dict[str, Any]:
    return {"id": s.id, "code": s.code, "name": s.name, "iasc_cluster": s.iasc_cluster, "dac_code": s.dac_code}


def resource_type(t: ResourceType) -> dict[str, Any]:
    return {"id": t.id, "code": t.code, "name": t.name, "unit": t.unit, "sector_id": t.sector_id}


def admin_area(a: AdminArea) -> dict[str, Any]:
    return {
        **_area(a),
        "parent_pcode": a.parent.pcode if a.parent else None,
        "latitude": a.latitude,
        "longitude": a.longitude,
    }


def _redacted(record, areas: list[AdminArea]) -> dict[str, Any]:
    # No version: how often a hidden entry was edited is itself a hidden detail (and such readers cannot edit it).
    return {
        "id": record.id,
        "sensitive": True,
        "details_restricted": True,
        "sector_id": record.sector_id,
        "areas": [_area(a) for a in areas],
    }


def project(p: Project, user) -> dict[str, Any]:
    if not rights.can_see_details(user, p):
        return _redacted(p, p.areas)
    return {
        "id": p.id,
        "code": p.code,
        "title": p.title,
        "description": p.description,
        "organisation_id": p.organisation_id,
        "partner_ids": [o.id for o in p.partners],
        "sector_id": p.sector_id,
        "resource_type_id": p.resource_type_id,
        "areas": [_area(a) for a in p.areas],
        **_dates(p),
        "status": p.status.value,
        "budget": p.budget,
        "currency": p.currency,
        "beneficiaries_targeted": p.beneficiaries_targeted,
        "target_group": p.target_group,
        "sensitive": p.sensitive,
        "details_restricted": False,
        **_stamps(p),
    }


def need(n: Need, user) -> dict[str, Any]:
    if not rights.can_see_details(user, n):
        return _redacted(n, [n.area])
    return {
        "id": n.id,
        "code": n.code,
        "title": n.title,
        "description": n.description,
        "organisation_id": n.organisation_id,
        "area": _area(n.area),
        "sector_id": n.sector_id,
        "resource_type_id": n.resource_type_id,
        "quantity": n.quantity,
        "priority": n.priority,
        **_dates(n),
        "source": n.source,
        "status": n.status.value,
        "sensitive": n.sensitive,
        "lead_time": n.lead_time,
        "details_restricted": False,
        **_stamps(n),
    }


def capacity(c: Capacity, user) -> dict[str, Any]:
    return {
        "id": c.id,
        "code": c.code,
        "title": c.title,
        "organisation_id": c.organisation_id,
        "resource_type_id": c.resource_type_id,
        "sector_id": c.resource_type.sector_id,
        "quantity": c.quantity,
        "unit_cost": c.unit_cost,
        "currency": c.currency,
        "throughput": c.throughput,
        "clearances": c.clearances,
        "areas": [_area(a) for a in c.areas],
        **_dates(c),
        "notes": c.notes,
        **_stamps(c),
    }


RECORD_SERIALISERS = {Project: project, Need: need, Capacity: capacity}
