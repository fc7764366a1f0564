"""Helpers of the map tests (the `mapped` world is a fixture in tests/conftest.py)."""

from __future__ import annotations

from coordhub.extensions import db
from coordhub.registry.models import AdminArea


def by_pcode(collection: dict) -> dict[str, dict]:
    return {f["properties"]["pcode"]: f["properties"] for f in collection["features"] if "pcode" in f["properties"]}


def area_id(operation, pcode: str) -> int:
    return db.session.scalar(
        db.select(AdminArea.id).where(AdminArea.operation_id == operation.id, AdminArea.pcode == pcode)
    )
