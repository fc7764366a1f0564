"""The Alembic chain: `upgrade` on an empty database gives exactly the models' schema (no drift)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from coordhub import create_app
from coordhub.extensions import db


def test_upgrade_gives_the_models_schema_and_downgrade_empties(empty_database_url):
    migrated = create_app(
        {"SQLALCHEMY_DATABASE_URI": empty_database_url, "TESTING": True, "SQLALCHEMY_ENGINE_OPTIONS": {}}
    )
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
