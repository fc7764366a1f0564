"""The Alembic chain: `upgrade` on an empty database gives exactly the models' schema (no drift)."""
from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from coordhub import create_app
from coordhub.extensions import db


@pytest.fixture
def empty_database_url(app, tmp_path):
    """A brand-new empty database of the same kind as the suite's (SQLite file or PostgreSQL database)."""
    url = db.engine.url
    if url.get_backend_name() == "postgresql":
        name = f"coordhub_migration_{uuid.uuid4().hex[:8]}"
        admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
        yield url.set(database=name).render_as_string(hide_password=False)
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()
    else:
        yield f"sqlite:///{tmp_path / 'migrated.db'}"


def test_upgrade_gives_the_models_schema_and_downgrade_empties(empty_database_url):
    migrated = create_app({"SQLALCHEMY_DATABASE_URI": empty_database_url, "TESTING": True,
                           "SQLALCHEMY_ENGINE_OPTIONS": {}})
    with migrated.app_context():
        upgrade()
        with db.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = compare_metadata(context, db.metadata)
            assert differences == [], differences
            tables = set(sa.inspect(connection).get_table_names())
        assert {"projects", "needs", "capacities", "admin_areas", "users", "audit_entries"} <= tables
        downgrade(revision="base")
        with db.engine.connect() as connection:
            assert set(sa.inspect(connection).get_table_names()) <= {"alembic_version"}
        db.engine.dispose()
