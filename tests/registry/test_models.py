"""Database-level invariants: the constraints hold even when code forgets them."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError, StatementError

from coordhub.auth.models import Role, User
from coordhub.extensions import db
from coordhub.registry.models import AdminArea
from tests import factories


def _fails(action) -> None:
    with pytest.raises((IntegrityError, StatementError)):
        action()
        db.session.flush()
    db.session.rollback()


def test_quantity_must_be_positive(world):
    _fails(lambda: factories.make_need(world.operation, world.local_authority, quantity=0))
    _fails(lambda: factories.make_capacity(world.operation, world.ngo, quantity=-1))


def test_end_date_not_before_start(world):
    _fails(
        lambda: factories.make_project(
            world.operation, world.ngo, start_date=date(2026, 5, 1), end_date=date(2026, 4, 1)
        )
    )


def test_priority_range_and_unit_cost(world):
    _fails(lambda: factories.make_need(world.operation, world.local_authority, priority=6))
    _fails(lambda: factories.make_capacity(world.operation, world.ngo, unit_cost=-3))


def test_pcode_unique_per_operation_but_not_across(world):
    db.session.add(
        AdminArea(
            operation_id=world.other_operation.id, pcode="CF63", name="Same code elsewhere", level=1, path="/CF63/"
        )
    )
    db.session.commit()
    _fails(
        lambda: db.session.add(
            AdminArea(operation_id=world.operation.id, pcode="CF63", name="Dup", level=1, path="/CF63/")
        )
    )


def test_email_unique(world):
    existing = world.users["viewer"]
    _fails(
        lambda: db.session.add(
            User(email=existing.email, name="x", password_hash="x", organisation_id=world.ngo.id, role=Role.viewer)
        )
    )


def test_enum_values_are_checked_in_the_database(world):
    with pytest.raises(IntegrityError), db.engine.begin() as connection:
        connection.execute(sa.text("UPDATE users SET role = 'superuser'"))


def test_area_covers_itself_and_descendants_only(world):
    province = factories.area(world.operation, "CF63")
    assert province.covers(factories.area(world.operation, "CF632"))
    assert province.covers(province)
    assert not province.covers(factories.area(world.operation, "CF711"))
    assert factories.area(world.operation, "CF632").parent == province
