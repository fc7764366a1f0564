"""What an allocation run is given: the operation's needs, capacities and admin-area tree read from the database
as the core's plain types, and the policy settings (as stored with a run) turned into the core's Policy."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from coordhub.allocation import core
from coordhub.allocation.models import AreaAccess
from coordhub.errors import ValidationError
from coordhub.extensions import db
from coordhub.monitoring.queries import delivered_by_need, delivered_summary
from coordhub.registry.models import (
    AdminArea,
    Capacity,
    Need,
    NeedStatus,
    Operation,
    Organisation,
    Project,
    ProjectStatus,
    ResourceType,
    Sector,
    capacity_areas,
    project_areas,
    project_partners,
)

# Needs that still ask for something (met and closed needs are left out of allocations).
OPEN_NEED_STATUSES = (NeedStatus.open, NeedStatus.partially_met)
DEFAULT_WEIGHTS = {str(priority): weight for priority, weight in core.DEFAULT_PRIORITY_WEIGHTS.items()}
MAX_TIME_LIMIT = 600.0
MAX_WEIGHT = 1_000_000
MAX_AMOUNT = 1e12  # currency (budget caps)
MAX_DISTANCE_COST = 1e6  # currency per unit and km
MAX_QUANTITY = 1e9  # units (minimum lot size)


def need_key(need_id: int) -> str:
    """The core's id of a stored need."""
    return f"N{need_id}"


def capacity_key(capacity_id: int) -> str:
    return f"C{capacity_id}"


def record_id(key: str) -> int:
    """The database id behind a core id ('N12' -> 12)."""
    return int(key[1:])


@dataclass
class NeedFacts:
    """What coverage figures group a need by, as it was when the run read it."""

    quantity: float
    priority: int
    sector: str  # sector code
    resource_type: str  # resource type code
    pcode: str
    admin1: str


@dataclass
class RunInput:
    """The core input of one operation, with what is needed to store the result against database rows."""

    needs: list[core.Need]
    capacities: list[core.Capacity]
    areas: list[core.AdminArea]
    need_facts: dict[int, NeedFacts] = field(default_factory=dict)
    capacity_organisation: dict[int, int] = field(default_factory=dict)
    organisation_keys: dict[int, str] = field(default_factory=dict)  # organisation id -> core `org`
    delivered: float = 0.0  # units approved results already delivered against the needs (not asked again)
    delivered_needs: int = 0  # needs with delivered units
    access: list[core.AccessRule] = field(default_factory=list)

    @property
    def pair_count(self) -> int:
        return len(self.needs) * len(self.capacities)


def pair_count(operation: Operation) -> int:
    """Needs x capacities an allocation of the operation would consider (to choose inline or background)."""
    needs = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Need)
        .where(Need.operation_id == operation.id, Need.archived_at.is_(None), Need.status.in_(OPEN_NEED_STATUSES))
    )
    capacities = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Capacity)
        .where(Capacity.operation_id == operation.id, Capacity.archived_at.is_(None))
    )
    return int(needs) * int(capacities)


def organisation_keys(rows) -> dict[int, str]:
    """Organisation id -> the name the core (and its explanations) use: the acronym, or the name when two
    organisations share a label."""
    labels = {oid: acronym or name for oid, name, acronym in rows}
    seen: dict[str, int] = {}
    for label in labels.values():
        seen[label] = seen.get(label, 0) + 1
    names = {oid: name for oid, name, _acronym in rows}
    return {oid: label if seen[label] == 1 else names[oid] for oid, label in labels.items()}


def read_input(operation: Operation) -> RunInput:
    """The operation's open, non-archived needs and non-archived capacities with their service areas, and its
    admin-area tree (with centroids), read in a few queries."""
    area_rows = db.session.execute(
        sa.select(
            AdminArea.id,
            AdminArea.pcode,
            AdminArea.parent_id,
            AdminArea.name,
            AdminArea.level,
            AdminArea.latitude,
            AdminArea.longitude,
        ).where(AdminArea.operation_id == operation.id)
    ).all()
    pcode_of = {row.id: row.pcode for row in area_rows}
    areas = [
        core.AdminArea(
            pcode=row.pcode,
            parent_pcode=pcode_of.get(row.parent_id),
            name=row.name,
            level=row.level,
            lat=row.latitude,
            lon=row.longitude,
        )
        for row in area_rows
    ]
    admin1 = admin1_of(area_rows)

    need_rows = db.session.execute(
        sa.select(
            Need.id,
            Need.admin_area_id,
            ResourceType.code,
            Sector.code.label("sector"),
            Need.quantity,
            Need.priority,
            Need.start_date,
            Need.end_date,
            Need.lead_time,
        )
        .join(ResourceType, ResourceType.id == Need.resource_type_id)
        .join(Sector, Sector.id == Need.sector_id)
        .where(Need.operation_id == operation.id, Need.archived_at.is_(None), Need.status.in_(OPEN_NEED_STATUSES))
        .order_by(Need.id)
    ).all()
    needs, facts = [], {}
    # Needs met by results: what approved reports delivered is no longer open (coordhub.monitoring).
    delivered = delivered_by_need(operation.id)
    for row in need_rows:
        pcode = pcode_of[row.admin_area_id]
        done = min(delivered.get(row.id, 0.0), float(row.quantity))
        if float(row.quantity) - done <= 1e-9:
            continue
        needs.append(
            core.Need(
                id=need_key(row.id),
                pcode=pcode,
                resource_type=row.code,
                quantity=float(row.quantity) - done,
                priority=int(row.priority),
                start=row.start_date,
                end=row.end_date,
                lead_time=int(row.lead_time or 0),
            )
        )
        facts[row.id] = NeedFacts(
            float(row.quantity) - done,
            int(row.priority),
            row.sector,
            row.code,
            pcode,
            admin1.get(row.admin_area_id, pcode),
        )

    capacity_rows = db.session.execute(
        sa.select(
            Capacity.id,
            Capacity.organisation_id,
            ResourceType.code,
            Capacity.quantity,
            Capacity.unit_cost,
            Capacity.start_date,
            Capacity.end_date,
            Organisation.type,
            Organisation.is_local,
            Capacity.throughput,
            Capacity.clearances,
        )
        .join(ResourceType, ResourceType.id == Capacity.resource_type_id)
        .join(Organisation, Organisation.id == Capacity.organisation_id)
        .where(Capacity.operation_id == operation.id, Capacity.archived_at.is_(None))
        .order_by(Capacity.id)
    ).all()
    served: dict[int, list[str]] = {}
    for capacity_id, area_id in db.session.execute(
        sa.select(capacity_areas.c.capacity_id, capacity_areas.c.admin_area_id)
        .join(Capacity, Capacity.id == capacity_areas.c.capacity_id)
        .where(Capacity.operation_id == operation.id, Capacity.archived_at.is_(None))
    ):
        served.setdefault(capacity_id, []).append(pcode_of[area_id])
    org_ids = sorted({row.organisation_id for row in capacity_rows})
    presence = organisation_presence(operation, org_ids, pcode_of)
    keys = organisation_keys(
        db.session.execute(
            sa.select(Organisation.id, Organisation.name, Organisation.acronym).where(Organisation.id.in_(org_ids))
        ).all()
        if org_ids
        else []
    )
    capacities = [
        core.Capacity(
            id=capacity_key(row.id),
            org=keys[row.organisation_id],
            resource_type=row.code,
            quantity=float(row.quantity),
            start=row.start_date,
            end=row.end_date,
            unit_cost=float(row.unit_cost or 0),
            service_pcodes=tuple(sorted(served.get(row.id, ()))),
            org_type=row.type.value,
            is_local=bool(row.is_local),
            throughput=row.throughput,
            clearances=tuple(c for c in (row.clearances or "").split(";") if c),
            present_pcodes=presence.get(row.organisation_id, ()),
        )
        for row in capacity_rows
    ]
    access = [
        core.AccessRule(
            pcode=pcode_of[rule.admin_area_id],
            level=core.AccessLevel(rule.level.value),
            start=rule.start_date,
            end=rule.end_date,
            clearances=tuple(rule.clearance_list),
        )
        for rule in db.session.scalars(
            sa.select(AreaAccess).where(AreaAccess.operation_id == operation.id).order_by(AreaAccess.id)
        )
    ]
    return RunInput(
        needs=needs,
        capacities=capacities,
        areas=areas,
        need_facts=facts,
        capacity_organisation={row.id: row.organisation_id for row in capacity_rows},
        organisation_keys=keys,
        access=access,
        **dict(zip(("delivered", "delivered_needs"), delivered_summary(operation.id))),
    )


def organisation_presence(
    operation: Operation, organisation_ids: list[int], pcode_of: dict[int, str]
) -> dict[int, tuple[str, ...]]:
    """Where each organisation already works: the areas of its ongoing projects in the operation (as the
    reporting organisation or an implementing partner). A need's lead time applies to its capacities elsewhere."""
    if not organisation_ids:
        return {}
    live = sa.and_(
        Project.operation_id == operation.id, Project.archived_at.is_(None), Project.status == ProjectStatus.ongoing
    )
    rows = db.session.execute(
        sa.union(
            sa.select(Project.organisation_id.label("organisation_id"), project_areas.c.admin_area_id)
            .join(project_areas, project_areas.c.project_id == Project.id)
            .where(live, Project.organisation_id.in_(organisation_ids)),
            sa.select(project_partners.c.organisation_id, project_areas.c.admin_area_id)
            .join(Project, Project.id == project_partners.c.project_id)
            .join(project_areas, project_areas.c.project_id == Project.id)
            .where(live, project_partners.c.organisation_id.in_(organisation_ids)),
        )
    ).all()
    found: dict[int, set[str]] = {}
    for organisation_id, area_id in rows:
        if area_id in pcode_of:
            found.setdefault(organisation_id, set()).add(pcode_of[area_id])
    return {organisation_id: tuple(sorted(codes)) for organisation_id, codes in found.items()}


def admin1_of(area_rows) -> dict[int, str]:
    """Area id -> P-code of its admin-1 area (itself at level 1 or above)."""
    by_id = {row.id: row for row in area_rows}
    found: dict[int, str] = {}
    for row in area_rows:
        node = row
        while node.level > 1 and node.parent_id in by_id:
            node = by_id[node.parent_id]
        found[row.id] = node.pcode
    return found


# --- policy settings ------------------------------------------------------------------------------


def default_settings() -> dict[str, Any]:
    """The policy settings of a run nobody changed (as stored in AllocationRun.policy)."""
    return {
        "lexicographic": False,
        "priority_weights": dict(DEFAULT_WEIGHTS),
        "distance_cost_per_km": 0.0,
        "budget_caps": {},
        "budget_per_period": False,
        "min_admin1_coverage": 0.0,
        "min_local_share": 0.0,
        "single_provider": False,
        "min_lot_size": 0.0,
        "time_limit_seconds": 30.0,
        "periods": "",
        "horizon": "",
    }


def _number(value: Any, field: str, low: float, high: float, *, low_open: bool = False, whole: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValidationError(str(_l("Enter a number.")), field)
    if whole and float(value) != int(value):
        raise ValidationError(str(_l("Enter a whole number.")), field)
    if value < low or value > high or (low_open and value == low):
        if low_open:
            message = _l("Enter a number greater than %(low)s and at most %(high)s.", low=low, high=high)
        else:
            message = _l("Enter a number between %(low)s and %(high)s.", low=low, high=high)
        raise ValidationError(str(message), field)
    return int(value) if whole else float(value)


def clean_settings(data: Mapping[str, Any], operation: Operation) -> dict[str, Any]:
    """Check policy settings given by a form or a JSON body (every key optional, defaults for the rest) and
    return them as stored with a run. Budget caps are {organisation id (text): amount} and must name
    organisations. Raises ValidationError naming the field."""
    settings = default_settings()
    unknown = sorted(set(data) - set(settings))
    if unknown:
        raise ValidationError(str(_l("Unknown setting %(name)s.", name=unknown[0])), unknown[0])
    if "periods" in data:
        if data["periods"] not in ("", None, "week", "month"):
            raise ValidationError(str(_l("Choose no periods, weeks or months.")), "periods")
        settings["periods"] = data["periods"] or ""
    if data.get("horizon"):
        try:
            settings["horizon"] = date.fromisoformat(str(data["horizon"])).isoformat()
        except ValueError:
            raise ValidationError(str(_l("Enter a date (YYYY-MM-DD).")), "horizon") from None
        if not settings["periods"]:
            raise ValidationError(str(_l("A horizon needs periods (weeks or months).")), "horizon")
    for flag in ("lexicographic", "single_provider", "budget_per_period"):
        if flag in data:
            if not isinstance(data[flag], bool):
                raise ValidationError(str(_l("Use true or false.")), flag)
            settings[flag] = data[flag]
    if "priority_weights" in data:
        weights = data["priority_weights"]
        if not isinstance(weights, Mapping) or set(map(str, weights)) - set(DEFAULT_WEIGHTS):
            raise ValidationError(str(_l("Give weights for priorities 1 to 5.")), "priority_weights")
        for priority, weight in weights.items():
            settings["priority_weights"][str(priority)] = _number(weight, "priority_weights", 1, MAX_WEIGHT, whole=True)
    limits = {
        "distance_cost_per_km": (0, MAX_DISTANCE_COST, False),
        "min_admin1_coverage": (0, 1, False),
        "min_local_share": (0, 1, False),
        "min_lot_size": (0, MAX_QUANTITY, False),
        "time_limit_seconds": (0, MAX_TIME_LIMIT, True),
    }
    for name, (low, high, low_open) in limits.items():
        if name in data:
            settings[name] = _number(data[name], name, low, high, low_open=low_open)
    if "budget_caps" in data:
        caps = data["budget_caps"]
        if not isinstance(caps, Mapping):
            raise ValidationError(str(_l("Give budget caps per organisation.")), "budget_caps")
        wanted = {}
        for key, amount in caps.items():
            try:
                organisation_id = int(key)
            except (TypeError, ValueError):
                raise ValidationError(str(_l("Unknown organisation %(key)s.", key=key)), "budget_caps") from None
            wanted[organisation_id] = _number(amount, "budget_caps", 0, MAX_AMOUNT)
        known = set(
            db.session.scalars(
                sa.select(Organisation.id).where(Organisation.id.in_([oid for oid in wanted if 0 < oid < 2**31]))
            )
        )
        missing = sorted(set(wanted) - known)
        if missing:
            raise ValidationError(str(_l("Unknown organisation %(key)s.", key=missing[0])), "budget_caps")
        settings["budget_caps"] = {str(oid): amount for oid, amount in sorted(wanted.items())}
    if settings["budget_per_period"] and not settings["periods"]:
        raise ValidationError(str(_l("Budgets per period need a plan over periods.")), "budget_per_period")
    return settings


def core_policy(settings: Mapping[str, Any], run_input: RunInput) -> core.Policy:
    """The core Policy of stored settings; budget caps of organisations without capacity are left out."""
    caps = {
        run_input.organisation_keys[int(oid)]: float(amount)
        for oid, amount in settings.get("budget_caps", {}).items()
        if int(oid) in run_input.organisation_keys
    }
    return core.Policy(
        priority_weights={int(p): int(w) for p, w in settings["priority_weights"].items()},
        lexicographic=bool(settings["lexicographic"]),
        distance_cost_per_km=float(settings["distance_cost_per_km"]),
        time_limit_seconds=float(settings["time_limit_seconds"]),
        budget_caps=caps,
        min_admin1_coverage=float(settings["min_admin1_coverage"]),
        min_local_share=float(settings["min_local_share"]),
        single_provider=bool(settings["single_provider"]),
        budget_per_period=bool(settings.get("budget_per_period", False)),
        min_lot_size=float(settings["min_lot_size"]),
    )


def core_plan(settings: Mapping[str, Any]) -> core.PlanSpec | None:
    """The core PlanSpec of stored settings (None for a run without periods)."""
    if not settings.get("periods"):
        return None
    horizon = settings.get("horizon")
    return core.PlanSpec(
        kind=core.PeriodKind(settings["periods"]), horizon=date.fromisoformat(horizon) if horizon else None
    )
