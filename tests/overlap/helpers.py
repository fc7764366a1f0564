"""Helpers for the overlap product tests: projects saved through the registry operations (so detection runs)."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from coordhub.extensions import db
from coordhub.overlap.models import OverlapAlert
from coordhub.registry import operations as ops
from coordhub.registry.models import Project
from tests import factories


def save_project(user, operation, pcodes=("CF632",), type_code="EDU-CLASSROOM", project=None, **fields) -> Project:
    """Create (or, with `project`, change) a project as `user` would in the form or the API."""
    data = dict(fields)
    if project is None or pcodes is not None:
        data["area_ids"] = [factories.area(operation, p).id for p in pcodes]
    if project is None or type_code is not None:
        rtype = factories.resource_type(type_code)
        data.setdefault("sector_id", rtype.sector_id)
        data.setdefault("resource_type_id", rtype.id)
    if project is None:
        data.setdefault("title", "Classroom rehabilitation")
        data.setdefault("start_date", date(2026, 3, 1))
        data.setdefault("end_date", date(2026, 6, 30))
    return ops.save_record(user, operation, Project, data, project)


def alerts() -> list[OverlapAlert]:
    return list(db.session.scalars(sa.select(OverlapAlert).order_by(OverlapAlert.id)))


def alert_between(first: Project, second: Project) -> OverlapAlert | None:
    low, high = sorted((first.id, second.id))
    return db.session.scalar(
        sa.select(OverlapAlert).where(OverlapAlert.project_a_id == low, OverlapAlert.project_b_id == high)
    )
