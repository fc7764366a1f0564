"""Map fixtures: a world with projects, needs and a sensitive entry spread over its areas."""

from __future__ import annotations

import pytest

from coordhub.extensions import db
from coordhub.registry.models import AdminArea, ProjectStatus
from tests import factories
from tests.api.conftest import token_for  # noqa: F401  (the fixture: a personal API token per user)


@pytest.fixture
def mapped(world):
    """NGOA in Bozoum (2 projects, one also in Bria), NGOB in Bocaranga, a sensitive PREF project in Bria,
    a completed NGOB project in Bozoum, and needs: education in Bozoum and Bria, water in Bocaranga."""
    w = world
    for pcode, (lat, lon) in {
        "CF63": (7.0, 16.0),
        "CF632": (6.3, 16.4),
        "CF633": (7.1, 15.7),
        "CF71": (6.5, 22.5),
        "CF711": (6.5, 22.0),
        "CF": (6.6, 20.9),
    }.items():
        area = factories.area(w.operation, pcode)
        area.latitude, area.longitude = lat, lon
    db.session.commit()
    projects = {
        "ngo_bozoum": factories.make_project(w.operation, w.ngo, ("CF632",), status=ProjectStatus.ongoing),
        "ngo_both": factories.make_project(w.operation, w.ngo, ("CF632", "CF711"), status=ProjectStatus.planned),
        "other_bocaranga": factories.make_project(
            w.operation, w.other_ngo, ("CF633",), type_code="WASH-BOREHOLE", status=ProjectStatus.ongoing
        ),
        "sensitive_bria": factories.make_project(
            w.operation, w.local_authority, ("CF711",), sensitive=True, status=ProjectStatus.ongoing
        ),
        "completed": factories.make_project(w.operation, w.other_ngo, ("CF632",), status=ProjectStatus.completed),
        "province": factories.make_project(w.operation, w.other_ngo, ("CF71",), status=ProjectStatus.ongoing),
    }
    needs = {
        "edu_bozoum": factories.make_need(w.operation, w.local_authority, "CF632", quantity=12),
        "edu_bria": factories.make_need(w.operation, w.local_authority, "CF711", quantity=5),
        "water_bocaranga": factories.make_need(
            w.operation, w.local_authority, "CF633", type_code="WASH-TRUCKING", quantity=300
        ),
        "water_bria": factories.make_need(
            w.operation, w.local_authority, "CF711", type_code="WASH-TRUCKING", quantity=40, sensitive=True
        ),
    }
    w.projects, w.needs = projects, needs
    return w


def by_pcode(collection: dict) -> dict[str, dict]:
    return {f["properties"]["pcode"]: f["properties"] for f in collection["features"] if "pcode" in f["properties"]}


def area_id(operation, pcode: str) -> int:
    return db.session.scalar(
        db.select(AdminArea.id).where(AdminArea.operation_id == operation.id, AdminArea.pcode == pcode)
    )
