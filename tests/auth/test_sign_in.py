"""Sign-in: throttled per account and per address (429 with Retry-After, in the audit log), no timing
difference between unknown and known e-mails, and one password rule everywhere a password is set."""

from __future__ import annotations

import socket

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher

from config import TestingConfig
from coordhub import create_app
from coordhub.audit.models import AuditAction, AuditEntry
from coordhub.auth.passwords import password_problem, personal_words
from coordhub.demo.loader import DEMO_PASSWORD, USERS
from coordhub.extensions import db, limiter
from tests import factories

ACCOUNT_LIMIT = 5  # config SIGN_IN_LIMIT_ACCOUNT "5 per 15 minutes"
ADDRESS_LIMIT = 20  # config SIGN_IN_LIMIT_ADDRESS "20 per 15 minutes"


def attempt(client, email, password="wrong password!", address="203.0.113.7"):
    return client.post("/login", data={"email": email, "password": password}, environ_base={"REMOTE_ADDR": address})


SIGN_IN_ACTIONS = [AuditAction.sign_in, AuditAction.sign_in_failed, AuditAction.sign_in_throttled]


def actions() -> list[AuditAction]:
    return list(
        db.session.scalars(
            sa.select(AuditEntry.action).where(AuditEntry.action.in_(SIGN_IN_ACTIONS)).order_by(AuditEntry.id)
        )
    )


def test_failures_for_one_account_are_throttled_from_any_address(client, world):
    user = world.users["focal"]
    for n in range(ACCOUNT_LIMIT):
        response = attempt(client, user.email.upper(), address=f"198.51.100.{n}")
        assert response.status_code == 200 and "Wrong e-mail or password" in response.get_data(as_text=True)
    response = attempt(client, user.email, password=factories.PASSWORD, address="198.51.100.99")
    assert response.status_code == 429
    assert 0 < int(response.headers["Retry-After"]) <= 15 * 60 + 1
    assert "Too many failed sign-ins" in response.get_data(as_text=True)
    assert actions() == [AuditAction.sign_in_failed] * ACCOUNT_LIMIT + [AuditAction.sign_in_throttled]
    throttled = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == AuditAction.sign_in_throttled))
    assert throttled.entity_id == user.id and "198.51.100.99" in throttled.summary
    # Another account from the same addresses is not affected.
    assert attempt(client, world.users["viewer"].email, factories.PASSWORD, "198.51.100.1").status_code == 302


def test_failures_from_one_address_are_throttled_across_accounts(client, world):
    for n in range(ADDRESS_LIMIT):
        assert attempt(client, f"nobody{n}@example.org", address="192.0.2.10").status_code == 200
    response = attempt(client, world.users["viewer"].email, factories.PASSWORD, address="192.0.2.10")
    assert response.status_code == 429 and int(response.headers["Retry-After"]) > 0
    assert attempt(client, world.users["viewer"].email, factories.PASSWORD, address="192.0.2.11").status_code == 302
    assert actions().count(AuditAction.sign_in_failed) == ADDRESS_LIMIT
    assert actions().count(AuditAction.sign_in_throttled) == 1


def test_successful_sign_ins_are_not_counted(client, world):
    user = world.users["viewer"]
    for _ in range(ACCOUNT_LIMIT + 3):
        assert attempt(client, user.email, factories.PASSWORD).status_code == 302
        client.post("/logout")
    assert AuditAction.sign_in_throttled not in actions() and AuditAction.sign_in in actions()


def test_failed_sign_in_of_a_disabled_account_is_recorded(client, world):
    user = world.users["viewer"]
    user.active = False
    db.session.commit()
    assert attempt(client, user.email, factories.PASSWORD).status_code == 200
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action.in_(SIGN_IN_ACTIONS)))
    assert entry.action is AuditAction.sign_in_failed and entry.entity_id == user.id and entry.user_id is None


def test_unknown_email_costs_one_password_hash_like_a_known_one(client, world, monkeypatch):
    """The time of a failure must not tell whether the account exists: both verify one argon2 hash."""
    calls = []
    original = PasswordHasher.verify

    def counting(self, hash, password):
        calls.append(hash)
        return original(self, hash, password)

    monkeypatch.setattr(PasswordHasher, "verify", counting)
    attempt(client, "no-such-person@example.org")
    attempt(client, "another-unknown@example.org")
    unknown = list(calls)
    calls.clear()
    attempt(client, world.users["viewer"].email)
    assert len(unknown) == 2 and len(calls) == 1
    assert unknown[0].split("$")[:4] == calls[0].split("$")[:4]  # same algorithm and cost parameters


def redis_available(url="redis://127.0.0.1:6379/1") -> bool:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=0.5).close()
    except OSError:
        return False
    return True


@pytest.mark.skipif(not redis_available(), reason="no Redis server on 127.0.0.1:6379")
def test_with_redis_the_counters_are_shared_by_every_web_process(app, world):
    """Two app instances (two web processes) with the same REDIS_URL see each other's failures."""
    import redis

    url = "redis://127.0.0.1:6379/1"
    redis.Redis.from_url(url).flushdb()
    saved = limiter._storage, limiter._limiter
    try:
        config = type("RedisTesting", (TestingConfig,), {"REDIS_URL": url})
        first, second = create_app(config), create_app(config)
        for process in (first, second):
            with process.app_context():
                db.create_all()  # an in-memory SQLite database per app; PostgreSQL: already there
        assert type(limiter._storage).__name__ == "RedisStorage"
        with first.app_context():
            for _ in range(ACCOUNT_LIMIT):
                assert attempt(first.test_client(), "target@example.org").status_code == 200
        with second.app_context():
            assert attempt(second.test_client(), "target@example.org").status_code == 429
        assert any(b"sign-in-account" in key for key in redis.Redis.from_url(url).keys("*"))
    finally:
        redis.Redis.from_url(url).flushdb()
        limiter._storage, limiter._limiter = saved


# --- the password rule ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "password, problem",
    [
        ("short-one", "too_short"),
        ("aaaaaaaaaaaa", "guessable"),
        ("123456789012", "guessable"),
        ("password1234", "guessable"),
        ("qwertyuiop12", "guessable"),
        ("amina.haroun@example.org", "personal"),
        ("AminaHaroun2026!", "personal"),
        ("x" * 201, "too_long"),
        ("granite-lemon-ferry-41", None),
        ("correct horse battery", None),
    ],
)
def test_password_rule(password, problem):
    assert password_problem(password, personal_words("amina.haroun@example.org", "Amina Haroun")) == problem


def test_the_demo_password_passes_the_rule_for_every_demo_account():
    for email, name, _acronym, _role in USERS:
        assert password_problem(DEMO_PASSWORD, personal_words(email, name)) is None


@pytest.mark.parametrize(
    "password, message",
    [
        ("aaaaaaaaaaaa", "too easy to guess"),
        ("123456789012", "too easy to guess"),
        ("password1234", "too easy to guess"),
        ("new.person@example.org", "e-mail address or name"),
        ("Newperson-Mbaikoua", "e-mail address or name"),
        ("eleven char", "at least 12 characters"),
    ],
)
def test_admin_user_form_applies_the_rule(world, login, client, password, message):
    login(world.users["admin"])
    response = client.post(
        "/admin/users/new",
        data={
            "name": "Newperson Mbaikoua",
            "email": "new.person@example.org",
            "organisation_id": world.ngo.id,
            "role": "viewer",
            "password": password,
        },
    )
    assert response.status_code == 200 and message in response.get_data(as_text=True)
    assert (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.entity_type == "User", AuditEntry.action == AuditAction.create)
        )
        == 0
    )


@pytest.mark.parametrize("password", ["aaaaaaaaaaaa", "123456789012", "password1234", "someone@example.org"])
def test_create_user_command_applies_the_rule(world, app, password):
    result = app.test_cli_runner().invoke(
        args=["create-user", "--email", "someone@example.org", "--name", "Some One", "--organisation", "NGOA"],
        input=f"{password}\n{password}\n",
    )
    assert result.exit_code != 0 and "password" in result.output


def test_demo_command_refuses_a_weak_password(app):
    result = app.test_cli_runner().invoke(args=["demo", "--password", "password1234"])
    assert result.exit_code != 0 and "too easy to guess" in result.output


def test_failed_and_throttled_sign_ins_are_in_the_audit_log_page(client, world, login):
    for _ in range(ACCOUNT_LIMIT + 1):
        attempt(client, "intruder-target@example.org")
    login(world.users["admin"])
    page = client.get("/admin/audit/").get_data(as_text=True)
    assert "sign-in failed" in page and "sign-in throttled" in page and "intruder-target@example.org" in page
