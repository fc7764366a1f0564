"""The library of common indicators per reconstruction sector, loaded into every operation by `coordhub seed`
(coordinators edit them afterwards; the library only adds the ones an operation lacks)."""

from __future__ import annotations

import sqlalchemy as sa

from coordhub.extensions import db
from coordhub.monitoring.models import Aggregation, Indicator, IndicatorType
from coordhub.registry.models import Operation, ResourceType, Sector

PEOPLE = ["sex", "age", "displacement", "disability"]
# (code, name, sector code, unit, type, aggregation, disaggregation, resource type code or None)
LIBRARY: list[tuple[str, str, str, str, str, str, list[str], str | None]] = [
    ("GOV-1", "Electoral staff trained", "GOV", "trainee-days", "count", "sum", [], "GOV-ELECT-TRAIN"),
    ("GOV-2", "Local councils holding public sessions", "GOV", "councils", "count", "latest", [], None),
    ("ROL-1", "Court cases processed", "ROL", "cases", "count", "sum", [], None),
    ("ROL-2", "Courts rehabilitated", "ROL", "courts", "count", "sum", [], "ROL-COURT-REHAB"),
    ("ROL-3", "Mobile court sessions held", "ROL", "sessions", "count", "sum", [], "ROL-MOBILE-COURT"),
    ("ROL-4", "People receiving legal aid", "ROL", "people", "count", "sum", ["sex", "age"], None),
    ("TRANS-1", "Km of road rehabilitated", "TRANS", "km", "count", "sum", [], "TRANS-ROAD"),
    ("TRANS-2", "Bridges repaired", "TRANS", "bridges", "count", "sum", [], "TRANS-BRIDGE"),
    ("ENERGY-1", "Solar capacity installed", "ENERGY", "kW installed", "count", "sum", [], "ENERGY-SOLAR"),
    ("WASH-1", "Boreholes drilled and functional", "WASH", "boreholes", "count", "sum", [], "WASH-BOREHOLE"),
    ("WASH-2", "Latrines built", "WASH", "latrines", "count", "sum", [], "WASH-LATRINE"),
    ("WASH-3", "People with access to safe water", "WASH", "people", "count", "latest", PEOPLE[:3], None),
    ("HEALTH-1", "Health centres rehabilitated", "HEALTH", "health centres", "count", "sum", [], "HEALTH-CENTRE-REHAB"),
    ("HEALTH-2", "Outpatient consultations", "HEALTH", "consultations", "count", "sum", ["sex", "age"], None),
    ("HEALTH-3", "Health centres with essential medicines in stock", "HEALTH", "%", "percentage", "latest", [], None),
    ("EDU-1", "Classrooms rehabilitated", "EDU", "classrooms", "count", "sum", [], "EDU-CLASSROOM"),
    ("EDU-2", "Teachers trained", "EDU", "teachers", "count", "sum", ["sex"], None),
    (
        "EDU-3",
        "Children enrolled in supported schools",
        "EDU",
        "children",
        "count",
        "latest",
        ["sex", "displacement"],
        None,
    ),
    ("LIVE-1", "Cash-for-work days paid", "LIVE", "worker-days", "count", "sum", [], "LIVE-CFW"),
    ("LIVE-2", "People completing vocational training", "LIVE", "people", "count", "sum", PEOPLE, None),
    (
        "COHESION-1",
        "People reached by dialogue sessions",
        "COHESION",
        "people",
        "count",
        "sum",
        ["sex", "age", "displacement"],
        None,
    ),
    ("COHESION-2", "Dialogue sessions held", "COHESION", "sessions", "count", "sum", [], "COHESION-DIALOGUE"),
    ("COHESION-3", "Local peace committee functional", "COHESION", "yes/no", "yes_no", "latest", [], None),
    (
        "PROT-1",
        "Survivors receiving case management",
        "PROT",
        "cases",
        "count",
        "sum",
        ["sex", "age", "disability"],
        "PROT-VICTIM-CASE",
    ),
    ("PROT-2", "People receiving psychosocial support", "PROT", "people", "count", "sum", ["sex", "age"], None),
    ("DDR-1", "Ex-combatants reintegrated", "DDR", "people", "count", "sum", ["sex", "age", "disability"], None),
    ("DDR-2", "Reintegration kits distributed", "DDR", "kits", "count", "sum", [], "DDR-REINTEGRATION-KIT"),
    ("SSR-1", "Police officers trained", "SSR", "officers", "count", "sum", ["sex"], None),
    ("SSR-2", "Police posts rehabilitated", "SSR", "posts", "count", "sum", [], "SSR-POLICE-POST"),
    ("COORD-1", "Needs assessments completed", "COORD", "assessments", "count", "sum", [], "COORD-ASSESSMENT"),
]


def ensure_indicator_library(operation: Operation) -> int:
    """Add the library's indicators the operation does not have yet (by code). Returns how many were added;
    the caller commits."""
    have = set(db.session.scalars(sa.select(Indicator.code).where(Indicator.operation_id == operation.id)))
    sectors = dict(db.session.execute(sa.select(Sector.code, Sector.id)).all())
    types = dict(db.session.execute(sa.select(ResourceType.code, ResourceType.id)).all())
    added = 0
    for code, name, sector, unit, kind, aggregation, dimensions, resource_type in LIBRARY:
        if code in have or sector not in sectors:
            continue
        db.session.add(
            Indicator(
                operation_id=operation.id,
                code=code,
                name=name,
                sector_id=sectors[sector],
                unit=unit,
                type=IndicatorType(kind),
                aggregation=Aggregation(aggregation),
                disaggregation=list(dimensions),
                resource_type_id=types.get(resource_type),
            )
        )
        added += 1
    db.session.flush()
    return added
