"""Fixtures for the production tests: a migrated-looking test database, a brand-new empty database."""
from __future__ import annotations

import uuid

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


@pytest.fixture
def empty_database_url(app, tmp_path):
    """A new empty database of the suite's kind (a SQLite file, or a PostgreSQL database dropped after)."""
    url = db.engine.url
    if url.get_backend_name() != "postgresql":
        yield f"sqlite:///{tmp_path / 'restored.db'}"
        return
    name = f"coordhub_restore_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    yield url.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()
