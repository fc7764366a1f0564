"""The production stack for real: `coordhub serve` (gunicorn) answers /healthz and logs JSON lines;
`coordhub collect-static` lays the static files out by URL for the proxy; the compose file is complete."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import yaml

from tests.services import free_port

ROOT = Path(__file__).resolve().parents[2]


def test_serve_runs_gunicorn_workers_that_answer_healthz_and_log_json(tmp_path):
    database = f"sqlite:///{tmp_path / 'served.db'}"
    environment = dict(
        os.environ,
        DATABASE_URL=database,
        COORDHUB_CONFIG="production",
        SECRET_KEY="s" * 40,
        COORDHUB_LOG_FORMAT="json",
        PYTHONPATH=str(ROOT),
    )
    environment.pop("REDIS_URL", None)
    coordhub = [sys.executable, "-c", "from coordhub.cli import main; main()"]
    subprocess.run([*coordhub, "db", "upgrade"], env=environment, check=True, capture_output=True, cwd=tmp_path)
    port = free_port()
    log = tmp_path / "serve.log"
    with open(log, "wb") as output:
        server = subprocess.Popen(
            [*coordhub, "serve", "--bind", f"127.0.0.1:{port}", "--workers", "2"],
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
            cwd=tmp_path,
        )
        try:
            deadline, answer = time.monotonic() + 180, None  # a busy 2-core machine boots slowly
            while answer is None and time.monotonic() < deadline:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:
                        answer = (response.status, json.loads(response.read()), response.headers["X-Request-ID"])
                except OSError:  # not listening yet, or still booting its workers
                    time.sleep(0.5)
        finally:
            server.terminate()
            try:
                server.wait(60)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
    assert answer is not None, log.read_text()
    status, body, request_id = answer
    assert status == 200 and body["status"] == "ok" and body["checks"]["migrations"]["ok"]
    text = log.read_text()
    assert "Booting worker" in text and "gunicorn" in text.lower()
    lines = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
    request_lines = [line for line in lines if line["logger"] == "coordhub.request"]
    assert any(
        line["path"] == "/healthz"
        and line["status"] == 200
        and line["request_id"] == request_id
        and "duration_ms" in line
        and "user_id" in line
        for line in request_lines
    ), text


def test_collect_static_copies_every_static_folder_by_url(app, tmp_path):
    result = app.test_cli_runner().invoke(args=["collect-static", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "bootstrap" / "static" / "css" / "bootstrap.min.css").is_file()
    served = app.test_client().get("/bootstrap/static/css/bootstrap.min.css")  # the very files the app serves
    assert served.data == (tmp_path / "bootstrap" / "static" / "css" / "bootstrap.min.css").read_bytes()
    served.close()


def test_compose_file_has_the_whole_stack_and_no_secret():
    compose = yaml.safe_load((ROOT / "deploy" / "compose.yaml").read_text())
    assert {"web", "worker", "postgres", "redis", "proxy", "migrate"} <= set(compose["services"])
    assert compose["services"]["worker"]["command"] == ["coordhub", "worker"]
    assert compose["services"]["worker"]["deploy"]["replicas"] >= 2
    assert "/healthz" in " ".join(compose["services"]["web"]["healthcheck"]["test"])
    example = (ROOT / "deploy" / "coordhub.env.example").read_text()
    settings = dict(line.split("=", 1) for line in example.splitlines() if line and not line.startswith("#"))
    assert settings["SECRET_KEY"] == "" and settings["POSTGRES_PASSWORD"] == ""
    assert settings["COORDHUB_CONFIG"] == "production" and settings["COORDHUB_LOG_FORMAT"] == "json"
