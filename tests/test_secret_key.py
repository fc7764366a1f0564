"""The secret key: production refuses to start without a real one; elsewhere one is generated per instance."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from flask import Flask

import config
from config import ProductionConfig, TestingConfig
from coordhub import create_app
from coordhub.security import KNOWN_KEYS, InsecureConfiguration, configure_secret_key

ROOT = Path(__file__).resolve().parents[1]


def production(key):
    return type(
        "ProductionTesting",
        (ProductionConfig,),
        {"SECRET_KEY": key, "SQLALCHEMY_DATABASE_URI": "sqlite://", "SQLALCHEMY_ENGINE_OPTIONS": {}},
    )


@pytest.mark.parametrize("key", [None, ""])
def test_production_refuses_to_start_without_a_key(key):
    with pytest.raises(InsecureConfiguration, match="SECRET_KEY is not set"):
        create_app(production(key))


@pytest.mark.parametrize("key", sorted(KNOWN_KEYS) + ["short-but-random-1"])
def test_production_refuses_a_published_or_short_key(key):
    with pytest.raises(InsecureConfiguration, match="published default or shorter"):
        create_app(production(key))


def test_production_starts_with_a_long_random_key():
    app = create_app(production("k3y-" + "f" * 40))
    assert app.config["SECRET_KEY"] == "k3y-" + "f" * 40
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["REMEMBER_COOKIE_SECURE"]


def test_no_key_is_written_in_the_code():
    assert config.DefaultConfig.SECRET_KEY in (None, __import__("os").environ.get("SECRET_KEY"))
    source = (ROOT / "config.py").read_text()
    assert 'SECRET_KEY = "' not in source and "SECRET_KEY = '" not in source


def test_development_generates_one_key_per_instance_and_keeps_it(tmp_path):
    def app_in(folder):
        app = Flask("coordhub-instance", instance_path=str(folder))
        app.config.update(SECRET_KEY=None, TESTING=False)
        configure_secret_key(app)
        return app.config["SECRET_KEY"]

    first = app_in(tmp_path / "a")
    assert len(first) >= 48 and first not in KNOWN_KEYS
    assert app_in(tmp_path / "a") == first  # a restart keeps the sessions valid
    assert app_in(tmp_path / "b") != first  # another instance has its own
    mode = (tmp_path / "a" / "secret_key").stat().st_mode
    assert stat.S_IMODE(mode) == 0o600


def test_testing_apps_get_a_random_key_each():
    assert create_app(TestingConfig).config["SECRET_KEY"] != create_app(TestingConfig).config["SECRET_KEY"]


def test_a_cookie_signed_with_the_old_public_default_is_refused(app, world, client):
    """The probe's attack: a session cookie for user 1 signed with 'dev-only-change-me' opens nothing."""
    from flask.sessions import SecureCookieSessionInterface

    forger = Flask("forger")
    forger.secret_key = "dev-only-change-me"
    serializer = SecureCookieSessionInterface().get_signing_serializer(forger)
    client.set_cookie("session", serializer.dumps({"_user_id": "1", "_fresh": True}))
    response = client.get("/admin/users/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
