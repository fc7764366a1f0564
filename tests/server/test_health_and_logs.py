"""The health check (/healthz) and the request log lines (request id, user id, duration; JSON in production)."""

from __future__ import annotations

import json
import logging

from coordhub import create_app
from coordhub.server import health
from coordhub.server.logs import JsonFormatter, RequestIdFilter


def test_healthz_is_200_when_database_current_and_redis_not_configured(client, stamped):
    response = client.get("/healthz")
    assert response.status_code == 200, response.json
    assert response.json["status"] == "ok"
    checks = response.json["checks"]
    assert checks["database"]["ok"] and checks["migrations"]["ok"]
    assert checks["migrations"]["current"] == checks["migrations"]["head"] == list(health.migration_heads())
    assert checks["redis"] == {"ok": True, "configured": False, "ms": checks["redis"]["ms"]}
    assert response.headers["Cache-Control"] == "no-store"


def test_healthz_is_503_when_migrations_are_behind(client):
    response = client.get("/healthz")  # create_all: no alembic_version, so not at the head
    assert response.status_code == 503
    assert response.json["status"] == "unavailable"
    assert response.json["checks"]["migrations"]["ok"] is False
    assert response.json["checks"]["database"]["ok"] is True


def test_healthz_is_503_when_redis_does_not_answer(app, client, stamped, monkeypatch):
    monkeypatch.setitem(app.config, "REDIS_URL", "redis://127.0.0.1:1/0")  # port 1: nothing listens
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json["checks"]["redis"]["ok"] is False
    assert response.json["checks"]["redis"]["error"] == "ConnectionError"
    assert "127.0.0.1" not in response.get_data(as_text=True)  # no addresses given away


def test_healthz_is_503_when_database_is_unreachable():
    broken = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://nobody@127.0.0.1:1/none",
            "TESTING": True,
            "SQLALCHEMY_ENGINE_OPTIONS": {},
            "LOG_LEVEL": "CRITICAL",
        }
    )
    response = broken.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json["checks"]["database"] == {
        "ok": False,
        "error": "OperationalError",
        "ms": response.json["checks"]["database"]["ms"],
    }


def test_healthz_is_200_with_a_redis_that_answers(app, client, stamped, monkeypatch, redis_url):
    monkeypatch.setitem(app.config, "REDIS_URL", redis_url)
    assert client.get("/healthz").json["checks"]["redis"]["configured"] is True


def test_one_line_per_request_with_request_id_user_and_duration(client, login, world, caplog):
    login(world.users["focal"])
    with caplog.at_level(logging.INFO, logger="coordhub.request"):
        logging.getLogger("coordhub").addHandler(caplog.handler)
        try:
            response = client.get("/projects/", headers={"X-Request-ID": "abc12345-proxy-given"})
        finally:
            logging.getLogger("coordhub").removeHandler(caplog.handler)
    assert response.headers["X-Request-ID"] == "abc12345-proxy-given"
    lines = [record for record in caplog.records if record.name == "coordhub.request"]
    assert len(lines) == 1
    record = lines[0]
    assert (record.method, record.path, record.status) == ("GET", "/projects/", 200)
    assert record.user_id == world.users["focal"].id
    assert record.duration_ms >= 0
    assert record.request_id == "abc12345-proxy-given"


def test_a_request_id_is_made_when_the_header_is_missing_or_unsafe(client):
    made = client.get("/login").headers["X-Request-ID"]
    assert len(made) == 32 and made != client.get("/login").headers["X-Request-ID"]
    unsafe = 'x" ; {"injected": 1}'
    assert len(client.get("/login", headers={"X-Request-ID": unsafe}).headers["X-Request-ID"]) == 32


def test_json_lines_carry_the_request_fields():
    record = logging.LogRecord("coordhub.request", logging.INFO, __file__, 1, "GET %s %s", ("/x", 200), None)
    record.status, record.user_id, record.duration_ms = 200, 7, 12.5
    RequestIdFilter().filter(record)
    line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "GET /x 200"
    assert (line["status"], line["user_id"], line["duration_ms"], line["request_id"]) == (200, 7, 12.5, "-")
    assert line["level"] == "INFO" and line["logger"] == "coordhub.request" and line["time"].endswith("+00:00")


def test_production_logs_are_json_and_tests_are_quiet(app):
    production = create_app(
        {"LOG_FORMAT": "json", "LOG_LEVEL": "INFO", "SQLALCHEMY_DATABASE_URI": "sqlite://", "TESTING": True}
    )
    handler = [h for h in logging.getLogger("coordhub").handlers if getattr(h, "_coordhub", False)]
    assert len(handler) == 1 and isinstance(handler[0].formatter, JsonFormatter)
    assert production.config["LOG_FORMAT"] == "json"
    create_app("testing")  # the factory again: still one handler, and quiet
    handlers = [h for h in logging.getLogger("coordhub").handlers if getattr(h, "_coordhub", False)]
    assert len(handlers) == 1
    assert logging.getLogger("coordhub").level == logging.WARNING


def test_production_config_reads_json_logs_and_one_proxy():
    from config import ProductionConfig

    assert ProductionConfig.LOG_FORMAT == "json" and ProductionConfig.PROXY_COUNT == 1
