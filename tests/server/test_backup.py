"""Backup drill: fill an operation, back up, restore into an empty database, every table's rows equal, and
the app starts and serves on the restored copy. Plus the refusals of `coordhub restore`."""

from __future__ import annotations

import sqlalchemy as sa

from coordhub import create_app
from coordhub.extensions import db
from coordhub.server.backup import table_differences


def _app_on(url: str):
    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "TESTING": True,
            "SQLALCHEMY_ENGINE_OPTIONS": {},
            "WTF_CSRF_ENABLED": False,
            "PASSWORD_HASH_CHEAP": True,
            "LOG_LEVEL": "WARNING",
        }
    )


def _count(engine, table: str) -> int:
    with engine.connect() as connection:
        return connection.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar()


def test_backup_restore_drill_zero_differences_and_the_app_starts(app, stamped, empty_database_url, tmp_path):
    from coordhub.demo.loader import load_demo

    users = load_demo("drill-password")  # projects, needs, capacities, alerts, an allocation run, audit
    assert users
    source = db.engine
    tables = list(sa.inspect(source).get_table_names())
    filled = {name: _count(source, name) for name in tables}
    assert filled["projects"] > 50 and filled["overlap_alerts"] > 0 and filled["allocation_runs"] == 1
    assert filled["alembic_version"] == 1

    backup_file = tmp_path / "drill.backup"
    result = app.test_cli_runner().invoke(args=["backup", str(backup_file)])
    assert result.exit_code == 0, result.output
    assert "Backed up" in result.output and backup_file.stat().st_size > 10_000

    restored = _app_on(empty_database_url)
    with restored.app_context():
        result = restored.test_cli_runner().invoke(args=["restore", str(backup_file)])
        assert result.exit_code == 0, result.output
        assert "Restored" in result.output and "not this code's head" not in result.output
        target = db.engine
        assert table_differences(source, target) == {}
        assert {name: _count(target, name) for name in tables} == filled
        target.dispose()

    client = restored.test_client()
    health = client.get("/healthz")
    assert health.status_code == 200, health.json
    coordinator = next(user for user in users if user.role.value == "coordinator")
    assert client.post("/login", data={"email": coordinator.email, "password": "drill-password"}).status_code == 302
    page = client.get("/projects/")
    assert page.status_code == 200
    # The restored database takes new records (its id sequences were restored too).
    with restored.app_context():
        from tests import factories

        assert factories.make_organisation("AFTER-RESTORE").id == filled["organisations"] + 1
        db.session.remove()
        db.engine.dispose()


def test_restore_refuses_a_database_with_tables_unless_replace(app, stamped, empty_database_url, tmp_path):
    from tests import factories

    factories.make_world()
    backup_file = tmp_path / "small.backup"
    assert app.test_cli_runner().invoke(args=["backup", str(backup_file)]).exit_code == 0
    target = _app_on(empty_database_url)
    with target.app_context():
        runner = target.test_cli_runner()
        assert runner.invoke(args=["restore", str(backup_file)]).exit_code == 0
        refused = runner.invoke(args=["restore", str(backup_file)])
        assert refused.exit_code != 0 and "not empty" in refused.output
        replaced = runner.invoke(args=["restore", "--replace", "--yes", str(backup_file)])
        assert replaced.exit_code == 0, replaced.output
        assert table_differences(db.engine, app.extensions["sqlalchemy"].engine) == {}
        db.engine.dispose()


def test_restore_refuses_a_file_that_is_not_a_backup(app, empty_database_url, tmp_path):
    junk = tmp_path / "notes.txt"
    junk.write_text("not a backup")
    target = _app_on(empty_database_url)
    with target.app_context():
        result = target.test_cli_runner().invoke(args=["restore", str(junk)])
        assert result.exit_code != 0 and "neither a coordhub PostgreSQL backup" in result.output
        db.engine.dispose()


def test_table_differences_reports_changed_missing_and_extra_rows(tmp_path):
    engines = []
    for name, rows in (("a", [(1, "x"), (2, "y")]), ("b", [(1, "x"), (2, "changed"), (3, "new")])):
        engine = sa.create_engine(f"sqlite:///{tmp_path / name}.db")
        with engine.begin() as connection:
            connection.execute(sa.text("CREATE TABLE things (id INTEGER PRIMARY KEY, name TEXT)"))
            connection.execute(sa.text(f"CREATE TABLE only_{name} (id INTEGER PRIMARY KEY)"))
            for row in rows:
                connection.execute(sa.text("INSERT INTO things VALUES (:id, :name)"), {"id": row[0], "name": row[1]})
        engines.append(engine)
    assert table_differences(*engines) == {
        "only_a": "only in the first database",
        "only_b": "only in the second database",
        "things": "2 vs 3 rows (1 missing, 2 extra)",
    }
    assert table_differences(engines[0], engines[0]) == {}
