"""Shared fixtures: the app on SQLite (default) or PostgreSQL (DATABASE_URL), a clean database per test,
users per role and a small operation."""

from __future__ import annotations

import contextvars
import os
import uuid
from pathlib import Path


def _database_per_xdist_worker() -> None:
    """`pytest -n N` on PostgreSQL: each worker process gets its own database (<database>_gw0, _gw1 ...), made
    here on first use, so that workers never empty each other's tables. Runs before config.py reads
    DATABASE_URL; tests/services.py drops these databases with the run's own."""
    url, worker = os.environ.get("DATABASE_URL", ""), os.environ.get("PYTEST_XDIST_WORKER")
    if not worker or not url.startswith("postgres"):
        return
    import psycopg
    from sqlalchemy.engine import make_url

    server = make_url(url).set(drivername="postgresql")
    name = f"{server.database}_{worker}"
    with psycopg.connect(server.render_as_string(hide_password=False), autocommit=True) as connection:
        if not connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            connection.execute(f'CREATE DATABASE "{name}"')
    os.environ["DATABASE_URL"] = server.set(database=name).render_as_string(hide_password=False)


_database_per_xdist_worker()

import pytest  # noqa: E402  (imports after choosing the worker database)
import sqlalchemy as sa  # noqa: E402
from flask.testing import FlaskClient  # noqa: E402

from coordhub import create_app  # noqa: E402
from coordhub.api.models import ApiToken  # noqa: E402
from coordhub.extensions import db  # noqa: E402
from coordhub.registry.models import ProjectStatus  # noqa: E402
from tests import factories  # noqa: E402

# The real files the tests read (copies of shared/data, with their provenance): a clone alone passes.
REAL_FILES = Path(__file__).resolve().parent / "fixtures" / "real"


class IsolatedClient(FlaskClient):
    """Runs each request in a fresh context, with its own app context, `g` and database session, as a
    real server would; otherwise the test's long-lived app context would share `g` (and the signed-in
    user) between requests."""

    def open(self, *args, **kwargs):
        return contextvars.Context().run(super().open, *args, **kwargs)


@pytest.fixture(scope="session")
def app():
    app = create_app("testing")
    app.test_client_class = IsolatedClient
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            # Start from an empty schema: a previous run may have left tables of another shape.
            with db.engine.begin() as connection:
                connection.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        else:
            db.drop_all()
        db.create_all()
        yield app
        db.session.remove()


@pytest.fixture(autouse=True)
def clean_database(request):
    """Every test starts with empty tables and the reference lists (cheap: a few hundred rows)."""
    if "app" not in request.fixturenames:
        yield
        return
    from coordhub.extensions import limiter
    from coordhub.registry.reference import ensure_reference_data

    limiter.reset()  # the sign-in throttle's counters (memory) start empty too
    ensure_reference_data()
    db.session.commit()
    yield
    db.session.rollback()
    with db.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
            connection.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in reversed(db.metadata.sorted_tables):
                connection.execute(table.delete())
    db.session.expire_all()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def world(app):
    """A small operation (two provinces, four districts), organisations of each kind, a user per role."""
    return factories.make_world()


@pytest.fixture
def login(client):
    def sign_in(user, password=factories.PASSWORD):
        client.post("/logout")
        response = client.post("/login", data={"email": user.email, "password": password})
        assert response.status_code == 302, response.get_data(as_text=True)
        return client

    return sign_in


_UNSET = object()


@pytest.fixture
def config(app):
    """`config(NAME=value, ...)`: change app settings for this test only; each is put back (or removed, if it
    was not set) when the test ends, whatever happens in it."""
    saved: dict[str, object] = {}

    def change(**values: object) -> None:
        for name, value in values.items():
            saved.setdefault(name, app.config.get(name, _UNSET))
            app.config[name] = value

    yield change
    for name, value in saved.items():
        if value is _UNSET:
            app.config.pop(name, None)
        else:
            app.config[name] = value


@pytest.fixture
def token_for(world):
    """`token_for(user)`: the Authorization header of a new personal API token of that user."""

    def issue(user) -> dict[str, str]:
        _, plain = ApiToken.issue(user, "tests")
        db.session.commit()
        return {"Authorization": f"Bearer {plain}"}

    return issue


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


@pytest.fixture
def empty_database_url(app, tmp_path):
    """A brand-new empty database of the suite's kind (a SQLite file, or a PostgreSQL database dropped after)."""
    url = db.engine.url
    if url.get_backend_name() != "postgresql":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    name = f"coordhub_empty_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    yield url.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def redis_url() -> str:
    """The Redis database of this test run (.ci/test gives each run its own; see tests/services.py)."""
    return os.environ.get("COORDHUB_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def database_is_postgresql() -> bool:
    return os.environ.get("DATABASE_URL", "").startswith("postgres")
