"""What a page costs does not grow with the data it shows: statements per list page, the dashboards' alert
figures counted by the database, API token and password costs (issue 9; figures in bench/results/pages.md)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher

from coordhub.api.models import ApiToken
from coordhub.auth.models import User
from coordhub.database import utcnow
from coordhub.extensions import db
from coordhub.maps.dashboard import _alert_states_and_ages, build_dashboard
from coordhub.overlap.models import AlertState, OverlapAlert
from coordhub.overlap.queries import AlertFilters, alert_query, first_alerts
from tests import factories
from tests.overlap.helpers import save_project


@contextmanager
def counted() -> Iterator[list[str]]:
    statements: list[str] = []

    def count(_connection, _cursor, statement, *_args) -> None:
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)


def _records(world, number: int) -> None:
    """`number` projects (two areas and a partner each), needs and capacities (two areas each)."""
    for _ in range(number):
        project = factories.make_project(world.operation, world.ngo, ("CF632", "CF711"))
        project.partners = [world.other_ngo]
        factories.make_need(world.operation, world.local_authority, "CF711")
        factories.make_capacity(world.operation, world.ngo, ("CF63", "CF71"))
    db.session.commit()


PAGES = ["/projects/", "/needs/", "/capacities/"]
API = ["/api/v1/projects", "/api/v1/needs", "/api/v1/capacities"]


def _statements(client, url: str, headers: dict[str, str] | None = None) -> int:
    client.get(url, headers=headers)  # once first: the session's and token's touches are not counted
    db.session.expire_all()
    with counted() as statements:
        response = client.get(url, headers=headers)
    assert response.status_code == 200
    return len(statements)


def test_a_list_page_costs_the_same_statements_for_two_rows_as_for_a_full_page(app, client, world, login):
    """Each row's organisation, sector, type, areas and partners are loaded for the whole page at once."""
    login(world.users["focal"])
    token = ApiToken.issue(world.users["focal"], "tests")[1]
    db.session.commit()
    headers = {"Authorization": f"Bearer {token}"}
    _records(world, 2)
    few = {url: _statements(client, url) for url in PAGES} | {url: _statements(client, url, headers) for url in API}
    _records(world, app.config["PAGE_SIZE"])
    many = {url: _statements(client, url) for url in PAGES} | {url: _statements(client, url, headers) for url in API}
    assert many == few
    assert client.get("/api/v1/projects", headers=headers).get_json()["items"][0]["partner_ids"] == [world.other_ngo.id]


def _alerts_with_states_and_ages(world) -> list[OverlapAlert]:
    """The alerts of three organisations' projects overlapping in one district, in various states and ages."""
    for user in ("focal", "other_focal", "coordinator"):
        for title in ("Classroom rehabilitation", "Classroom repairs"):
            save_project(world.users[user], world.operation, title=title)
    db.session.commit()
    alerts = list(db.session.scalars(sa.select(OverlapAlert).order_by(OverlapAlert.id)))
    assert len(alerts) >= 6
    now = utcnow()
    settings = [
        (AlertState.open, 2),
        (AlertState.open, 10),
        (AlertState.acknowledged, 40),
        (AlertState.acknowledged, 6),
        (AlertState.dismissed, 50),
        (AlertState.closed, 1),
    ]
    for number, alert in enumerate(alerts):
        state, days = settings[number % len(settings)]
        alert.state = state
        alert.created_at = now - timedelta(days=days, hours=1)
    db.session.commit()
    return alerts


def test_the_coordinator_dashboard_counts_alerts_by_state_and_age_in_the_database(world):
    alerts = _alerts_with_states_and_ages(world)
    coordinator = world.users["coordinator"]
    expected_states: dict[AlertState, int] = {}
    expected_ages = {"under_7": 0, "7_to_30": 0, "over_30": 0}
    now = utcnow()
    for alert in alerts:
        expected_states[alert.state] = expected_states.get(alert.state, 0) + 1
        if alert.state in (AlertState.open, AlertState.acknowledged):
            days = (now - alert.created_at).days
            expected_ages["under_7" if days < 7 else "7_to_30" if days < 30 else "over_30"] += 1
    assert all(expected_ages.values()) and len(expected_states) == 4
    with counted() as statements:
        by_state, ages = _alert_states_and_ages(world.operation, coordinator)
    assert len([s for s in statements if "FROM overlap_alerts" in s]) == 1  # one GROUP BY, not a row per alert
    assert dict(by_state) == expected_states and dict(ages) == expected_ages
    blocks = build_dashboard(world.operation, coordinator).blocks
    assert dict(blocks["alert_ages"]) == expected_ages
    assert dict(blocks["alert_states"]) == {state: expected_states.get(state, 0) for state in AlertState}


@pytest.mark.parametrize("user", ["focal", "other_focal", "coordinator"])
def test_the_first_alerts_of_the_inbox_come_in_the_inbox_order(world, user):
    _alerts_with_states_and_ages(world)
    reader = world.users[user]
    query = alert_query(world.operation, reader, AlertFilters(state="active"), inbox=True)
    expected = list(db.session.scalars(query.limit(3)))
    assert expected and first_alerts(query, 3) == expected
    assert first_alerts(query, 100) == list(db.session.scalars(query))


def test_an_api_token_records_its_last_use_at_most_once_a_minute(client, world):
    user = world.users["focal"]
    row, token = ApiToken.issue(user, "tests")
    db.session.commit()
    headers = {"Authorization": f"Bearer {token}"}
    with counted() as statements:
        assert client.get("/api/v1/projects", headers=headers).status_code == 200
    first = db.session.get(ApiToken, row.id).last_used_at
    assert first is not None and any(s.lstrip().upper().startswith("UPDATE API_TOKENS") for s in statements)
    with counted() as statements:
        assert client.get("/api/v1/projects", headers=headers).status_code == 200
    assert not any(s.lstrip().upper().startswith("UPDATE") for s in statements)  # a read writes nothing
    db.session.expire_all()
    assert db.session.get(ApiToken, row.id).last_used_at == first
    db.session.get(ApiToken, row.id).last_used_at = first - timedelta(minutes=2)
    db.session.commit()
    assert client.get("/api/v1/projects", headers=headers).status_code == 200
    db.session.expire_all()
    assert db.session.get(ApiToken, row.id).last_used_at > first - timedelta(minutes=1)


def test_passwords_are_hashed_at_the_configured_cost_and_old_hashes_redone_at_sign_in(app, client, world, monkeypatch):
    """Argon2id at config PASSWORD_HASH_* (by default 19 MiB, 2 passes, 1 lane); a hash made at other parameters
    (argon2-cffi's default: 64 MiB, 3 passes, 4 lanes) still signs in, and is redone at the configured cost."""
    monkeypatch.setitem(app.config, "PASSWORD_HASH_CHEAP", False)
    user = world.users["viewer"]
    user.set_password(factories.PASSWORD)
    db.session.commit()
    assert user.password_hash.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    user.password_hash = PasswordHasher(time_cost=3, memory_cost=65536, parallelism=4).hash(factories.PASSWORD)
    db.session.commit()
    response = client.post("/login", data={"email": user.email, "password": factories.PASSWORD})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(User, user.id).password_hash.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    monkeypatch.setitem(app.config, "PASSWORD_HASH_MEMORY_KIB", 12288)
    monkeypatch.setitem(app.config, "PASSWORD_HASH_TIME_COST", 3)
    user = db.session.get(User, user.id)
    user.set_password(factories.PASSWORD)
    assert user.password_hash.startswith("$argon2id$v=19$m=12288,t=3,p=1$")
