"""The audit log records who changed what, and only administrators can browse it."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from coordhub.audit.models import AuditAction, AuditEntry
from coordhub.extensions import db
from coordhub.registry import operations as ops
from coordhub.registry.models import Need
from tests import factories


def test_every_change_is_logged_with_old_and_new_values(world):
    coordinator = world.users["coordinator"]
    rtype = factories.resource_type("WASH-BOREHOLE")
    need = ops.save_record(
        coordinator,
        world.operation,
        Need,
        {
            "organisation_id": world.local_authority.id,
            "admin_area_id": factories.area(world.operation, "CF711").id,
            "sector_id": rtype.sector_id,
            "resource_type_id": rtype.id,
            "title": "Boreholes",
            "quantity": 4,
            "priority": 4,
            "start_date": date(2026, 1, 1),
        },
    )
    ops.save_record(coordinator, world.operation, Need, {"quantity": 6, "priority": 5}, need)
    ops.save_record(coordinator, world.operation, Need, {"quantity": 6}, need)  # no change: no entry
    ops.set_archived(coordinator, need, True)
    entries = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.entity_type == "Need").order_by(AuditEntry.id)
    ).all()
    assert [e.action for e in entries] == [AuditAction.create, AuditAction.update, AuditAction.archive]
    assert entries[1].changes == {"quantity": [4, 6], "priority": [4, 5]}
    assert all(e.user_id == coordinator.id and e.operation_id == world.operation.id for e in entries)


def test_admin_browses_and_filters_the_log(world, login, client):
    factories.make_project(world.operation, world.ngo)
    login(world.users["focal"])
    client.post("/logout")
    login(world.users["admin"])
    page = client.get("/admin/audit/").get_data(as_text=True)
    assert "<td>signed in</td>" in page and "sign_in" not in page
    filtered = client.get("/admin/audit/?entity_type=Operation").get_data(as_text=True)
    assert "<td>signed in</td>" not in filtered and "admin_areas" in filtered
