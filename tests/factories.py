"""Factories for test records: small helpers instead of long literal setups."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa

from coordhub.auth.models import Role, User
from coordhub.extensions import db
from coordhub.registry.admin_areas import AreaRecord
from coordhub.registry.models import (
    AdminArea,
    Capacity,
    Need,
    Operation,
    Organisation,
    OrganisationType,
    Project,
    ResourceType,
    Sector,
)
from coordhub.registry.operations import load_admin_areas

PASSWORD = "correct horse battery"
_sequence = itertools.count(1)


def make_operation(name: str | None = None, areas: list[AreaRecord] | None = None) -> Operation:
    operation = Operation(name=name or f"Operation {next(_sequence)}", country_code="CF", currency="USD")
    db.session.add(operation)
    db.session.flush()
    load_admin_areas(
        operation,
        areas
        if areas is not None
        else [
            AreaRecord("CF", "Centrafrique", 0, None),
            AreaRecord("CF63", "Ouham-Pendé", 1, "CF"),
            AreaRecord("CF632", "Bozoum", 2, "CF63"),
            AreaRecord("CF633", "Bocaranga", 2, "CF63"),
            AreaRecord("CF71", "Haute-Kotto", 1, "CF"),
            AreaRecord("CF711", "Bria", 2, "CF71"),
        ],
    )
    return operation


def make_organisation(
    acronym: str, org_type: OrganisationType = OrganisationType.international_ngo, is_local: bool = False
) -> Organisation:
    organisation = Organisation(name=f"{acronym} organisation", acronym=acronym, type=org_type, is_local=is_local)
    db.session.add(organisation)
    db.session.commit()
    return organisation


def make_user(organisation: Organisation, role: Role, operations: list[Operation], email: str | None = None) -> User:
    user = User(
        email=email or f"{role.value}.{organisation.acronym.lower()}.{next(_sequence)}@example.org",
        name=f"{role.value} of {organisation.acronym}",
        organisation=organisation,
        role=role,
    )
    user.set_password(PASSWORD)
    user.operations = list(operations)
    user.current_operation = operations[0] if operations else None
    db.session.add(user)
    db.session.commit()
    return user


def area(operation: Operation, pcode: str) -> AdminArea:
    return db.session.scalar(
        sa.select(AdminArea).where(AdminArea.operation_id == operation.id, AdminArea.pcode == pcode)
    )


def resource_type(code: str) -> ResourceType:
    return db.session.scalar(sa.select(ResourceType).where(ResourceType.code == code))


def sector(code: str) -> Sector:
    return db.session.scalar(sa.select(Sector).where(Sector.code == code))


def make_project(
    operation: Operation, organisation: Organisation, pcodes=("CF632",), type_code="EDU-CLASSROOM", **overrides
) -> Project:
    rtype = resource_type(type_code)
    values = dict(
        operation=operation,
        organisation=organisation,
        sector=rtype.sector,
        resource_type=rtype,
        title=f"Project {next(_sequence)}",
        start_date=date(2026, 3, 1),
        end_date=date(2026, 6, 30),
        areas=[area(operation, p) for p in pcodes],
    )
    values.update(overrides)
    project = Project(**values)
    db.session.add(project)
    db.session.commit()
    return project


def make_need(
    operation: Operation, organisation: Organisation, pcode="CF632", type_code="EDU-CLASSROOM", **overrides
) -> Need:
    rtype = resource_type(type_code)
    values = dict(
        operation=operation,
        organisation=organisation,
        area=area(operation, pcode),
        sector=rtype.sector,
        resource_type=rtype,
        title=f"Need {next(_sequence)}",
        quantity=10.0,
        priority=3,
        start_date=date(2026, 3, 1),
        end_date=date(2026, 9, 30),
    )
    values.update(overrides)
    need = Need(**values)
    db.session.add(need)
    db.session.commit()
    return need


def make_capacity(
    operation: Operation, organisation: Organisation, pcodes=("CF63",), type_code="EDU-CLASSROOM", **overrides
) -> Capacity:
    rtype = resource_type(type_code)
    values = dict(
        operation=operation,
        organisation=organisation,
        resource_type=rtype,
        title=f"Capacity {next(_sequence)}",
        quantity=20.0,
        unit_cost=100.0,
        start_date=date(2026, 1, 1),
        end_date=date(2026, 12, 31),
        areas=[area(operation, p) for p in pcodes],
    )
    values.update(overrides)
    capacity = Capacity(**values)
    db.session.add(capacity)
    db.session.commit()
    return capacity


@dataclass
class World:
    operation: Operation
    other_operation: Operation
    ngo: Organisation  # international NGO
    other_ngo: Organisation
    local_authority: Organisation
    coordination: Organisation
    users: dict[str, User] = field(default_factory=dict)


def make_world() -> World:
    operation = make_operation("CAR recovery 2026")
    other = make_operation("Elsewhere 2026", [AreaRecord("XX1", "Elsewhere", 1, None)])
    ngo = make_organisation("NGOA")
    other_ngo = make_organisation("NGOB")
    local = make_organisation("PREF", OrganisationType.local_authority, is_local=True)
    coordination = make_organisation("OCHA", OrganisationType.un_agency)
    world = World(operation, other, ngo, other_ngo, local, coordination)
    world.users = {
        "admin": make_user(coordination, Role.admin, [operation, other]),
        "coordinator": make_user(coordination, Role.coordinator, [operation]),
        "focal": make_user(ngo, Role.focal_point, [operation]),
        "other_focal": make_user(other_ngo, Role.focal_point, [operation]),
        "local_focal": make_user(local, Role.focal_point, [operation]),
        "viewer": make_user(other_ngo, Role.viewer, [operation]),
        "outsider": make_user(other_ngo, Role.focal_point, [other]),
    }
    return world
