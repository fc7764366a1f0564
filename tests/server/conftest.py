"""Fixtures for the production tests: the test database marked as migrated."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from coordhub.extensions import db


@pytest.fixture
def stamped(app):
    """The test database marked as migrated to this code's head (the suite builds it with create_all)."""
    from flask_migrate import stamp

    stamp(revision="head")
    yield
    with db.engine.begin() as connection:
        connection.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
