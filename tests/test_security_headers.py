"""Every route of the URL map answers with the security headers; no page carries an inline script."""

from __future__ import annotations

import itertools
import re

import pytest
from werkzeug.routing import AnyConverter

from config import ProductionConfig, TestingConfig
from coordhub import create_app

SAMPLE_VALUES = {"int": "1", "id": "1", "default": "x", "path": "x", "string": "x"}
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
INLINE_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.IGNORECASE)
JAVASCRIPT_URL = re.compile(r"""(href|src|action)\s*=\s*["']?\s*javascript:""", re.IGNORECASE)


def get_routes(app) -> list[str]:
    """Every GET route, its variables filled with sample values (often an existing record's id; every choice of
    an `any(...)` variable)."""
    from flask import url_for

    urls = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods:
            continue
        choices = {}
        for name, converter in rule._converters.items():
            if isinstance(converter, AnyConverter):
                choices[name] = sorted(converter.items)
            else:
                choices[name] = [SAMPLE_VALUES.get(type(converter).__name__.replace("Converter", "").lower(), "1")]
        if rule.endpoint.endswith("static"):
            choices["filename"] = ["js/coordhub.js" if rule.endpoint == "static" else "css/bootstrap.min.css"]
        with app.test_request_context():
            for values in itertools.product(*choices.values()):
                urls.append(url_for(rule.endpoint, **dict(zip(choices, values))))
    return sorted(set(urls))


def assert_security_headers(url: str, response) -> None:
    headers = response.headers
    policy = headers.get("Content-Security-Policy", "")
    directives = {part.split()[0]: part.split()[1:] for part in policy.split(";") if part.strip()}
    assert "'unsafe-inline'" not in directives.get("script-src", ["missing"]), url
    assert directives.get("script-src") == ["'self'"] and directives.get("object-src") == ["'none'"], url
    assert directives.get("frame-ancestors") == ["'none'"] and headers.get("X-Frame-Options") == "DENY", url
    assert headers.get("X-Content-Type-Options") == "nosniff", url
    assert headers.get("Referrer-Policy") == "same-origin", url
    if "/static/" not in url:
        assert headers.get("Cache-Control") == "no-store", url


def assert_no_inline_script(url: str, response) -> None:
    if response.mimetype != "text/html":
        return
    page = response.get_data(as_text=True)
    assert not INLINE_SCRIPT.search(page), (url, INLINE_SCRIPT.search(page).group(0))
    assert not INLINE_HANDLER.search(page), (url, INLINE_HANDLER.search(page).group(0))
    assert not JAVASCRIPT_URL.search(page), url


@pytest.mark.parametrize("role", ["admin", "focal", "viewer"])
def test_every_route_signed_in_has_the_security_headers(app, world, login, client, role):
    login(world.users[role])
    urls = get_routes(app)
    assert len(urls) > 60
    for url in urls:
        response = client.get(url)  # 4xx and deliberate 5xx answers must carry the headers too
        assert_security_headers(url, response)
        assert_no_inline_script(url, response)


def test_signed_out_pages_and_errors_have_the_headers(client, world):
    for url in ("/login", "/", "/no-such-page", "/api/v1/projects", "/static/js/coordhub.js"):
        response = client.get(url)
        assert_security_headers(url, response)
        assert_no_inline_script(url, response)
    response = client.post("/login", data={"email": "x@example.org", "password": "wrong password"})
    assert_security_headers("/login (POST)", response)


def test_exports_and_api_answers_are_not_stored(app, world, login, client):
    login(world.users["coordinator"])
    for url in [u for u in get_routes(app) if u.endswith((".csv", ".xlsx", ".json", ".xml"))]:
        response = client.get(url)
        assert response.headers["Cache-Control"] == "no-store", url


def test_a_running_jobs_page_polls_through_a_static_script(world, login, client):
    """The background-job page polls with static/js/job-progress.js (it was an inline script)."""
    from coordhub.extensions import db
    from coordhub.jobs.models import Job

    user = world.users["coordinator"]
    job = Job(kind="allocation", user_id=user.id, operation_id=world.operation.id)
    db.session.add(job)
    db.session.commit()
    login(user)
    response = client.get(f"/jobs/{job.id}")
    page = response.get_data(as_text=True)
    assert f'data-status-url="/jobs/{job.id}.json"' in page and "/static/js/job-progress.js" in page
    assert_no_inline_script("/jobs/<id>", response)
    script = client.get("/static/js/job-progress.js")
    assert script.status_code == 200 and "dataset.statusUrl" in script.get_data(as_text=True)


def test_hsts_only_in_production(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "x" * 48)
    production = type(
        "ProductionTesting",
        (ProductionConfig,),
        {
            "SECRET_KEY": "a-long-random-production-key-0123456789",
            "SQLALCHEMY_DATABASE_URI": "sqlite://",
            "SQLALCHEMY_ENGINE_OPTIONS": {},
            "TESTING": True,
        },
    )
    response = create_app(production).test_client().get("/login")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    assert "Strict-Transport-Security" not in create_app(TestingConfig).test_client().get("/login").headers


def test_a_configured_tile_server_may_serve_map_images_and_nothing_else():
    from coordhub.security import CONTENT_SECURITY_POLICY, content_security_policy

    assert content_security_policy("") == CONTENT_SECURITY_POLICY
    policy = content_security_policy("https://tiles.mission.example/{z}/{x}/{y}.png")
    assert "img-src 'self' data: https://tiles.mission.example;" in policy
    assert "script-src 'self';" in policy and "connect-src 'self';" in policy
    assert "img-src 'self' data: https://*.tile.example.org" in content_security_policy(
        "https://{s}.tile.example.org/{z}/{x}/{y}.png"
    )
