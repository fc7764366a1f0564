"""tests/services.py: throwaway PostgreSQL and Redis from pip packages, a database per run, clean-up after."""

from __future__ import annotations

import os
import subprocess
import sys

import psycopg
import pytest
from redis import Redis

from tests import services


@pytest.fixture(scope="module")
def embedded_postgres():
    server = services.EmbeddedPostgres()
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def embedded_redis():
    server = services.EmbeddedRedis()
    server.start()
    yield server
    server.stop()


def test_embedded_postgres_answers_on_loopback_as_trust(embedded_postgres):
    with psycopg.connect(embedded_postgres.url) as connection:
        version = connection.execute("SHOW server_version_num").fetchone()[0]
        listen = connection.execute("SHOW listen_addresses").fetchone()[0]
    assert int(version) >= 160000 and listen == "127.0.0.1"


def test_a_run_database_is_created_and_dropped(embedded_postgres):
    def databases():
        with psycopg.connect(embedded_postgres.url) as connection:
            return {row[0] for row in connection.execute("SELECT datname FROM pg_database")}

    with services.run_database(embedded_postgres.url) as url:
        name = url.rsplit("/", 1)[1]
        assert name.startswith("coordhub_test_") and name in databases()
        with psycopg.connect(url) as connection:  # still open at the end: dropped WITH (FORCE) anyway
            connection.execute("CREATE TABLE t (id int)")
            with services.run_database(embedded_postgres.url) as other:
                assert other != url  # two runs at once: two databases
    assert name not in databases()


def test_two_runs_claim_two_redis_databases_and_release_them(embedded_redis):
    with services.run_redis_database(embedded_redis.url) as first:
        with services.run_redis_database(embedded_redis.url) as second:
            assert (first.rsplit("/", 1)[1], second.rsplit("/", 1)[1]) == ("15", "14")
            Redis.from_url(second).set("left-over", 1)
        assert Redis.from_url(second).dbsize() == 0  # released and emptied
        assert Redis.from_url(first).get(services.CLAIM_KEY) is not None
    assert Redis.from_url(first).get(services.CLAIM_KEY) is None


def test_embedded_redis_stops_and_its_folder_goes():
    server = services.EmbeddedRedis()
    url = server.start()
    assert services.redis_answers(url)
    server.stop()
    assert not services.redis_answers(url, timeout=0.5) and not server.folder.exists()


def test_nothing_answers_on_a_closed_port():
    port = services.free_port()
    assert not services.redis_answers(f"redis://127.0.0.1:{port}/0", timeout=0.5)
    assert not services.postgres_answers(f"postgresql://postgres@127.0.0.1:{port}/postgres", timeout=1)


def test_embedded_mode_runs_a_command_with_its_own_servers_and_cleans_up(tmp_path):
    """COORDHUB_TEST_SERVICES=embedded starts both servers even when the machine's answer."""
    probe = tmp_path / "probe.py"
    probe.write_text(
        "import os, psycopg, redis\n"
        "pg, rd = os.environ['COORDHUB_TEST_POSTGRES_URL'], os.environ['COORDHUB_TEST_REDIS_URL']\n"
        "assert ':5432/' not in pg and ':6379/' not in rd, (pg, rd)\n"
        "psycopg.connect(pg).execute('select 1')\n"
        "assert redis.Redis.from_url(rd).ping()\n"
        "print(pg, rd)\n"
        "raise SystemExit(7)\n"
    )
    environment = {
        name: value
        for name, value in os.environ.items()  # not the servers of this very run
        if name not in ("COORDHUB_TEST_POSTGRES_URL", "COORDHUB_TEST_REDIS_URL")
    }
    completed = subprocess.run(
        [sys.executable, "-m", "tests.services", "--mode", "embedded", "--", sys.executable, str(probe)],
        capture_output=True,
        text=True,
        timeout=300,
        env=environment,
    )
    assert completed.returncode == 7, completed.stderr  # the command's exit code comes back
    postgres_url, redis_url = completed.stdout.split()
    assert "started a throwaway Postgres" in completed.stderr
    assert not services.postgres_answers(postgres_url, timeout=1)  # stopped
    assert not services.redis_answers(redis_url, timeout=0.5)


def test_a_wrong_mode_is_refused_clearly(monkeypatch):
    monkeypatch.setenv("COORDHUB_TEST_SERVICES", "cloud")
    assert services.run(["true"]) == 3
