"""Commands to run coordhub in production: `serve` (gunicorn), `worker` (RQ), `backup` and `restore`."""

from __future__ import annotations

import os
import sys

import click
from flask import current_app
from flask.cli import with_appcontext

from coordhub.extensions import db


@click.command("serve", context_settings={"ignore_unknown_options": True})
@click.option("--bind", help="Address:port to listen on [COORDHUB_BIND, default 127.0.0.1:8000].")
@click.option("--workers", type=int, help="Web processes [WEB_CONCURRENCY, default 2 x cores + 1].")
@click.argument("gunicorn_options", nargs=-1, type=click.UNPROCESSED)
def serve_command(bind: str | None, workers: int | None, gunicorn_options: tuple[str, ...]) -> None:
    """Serve coordhub with gunicorn (production); extra options go to gunicorn."""
    if bind:
        os.environ["COORDHUB_BIND"] = bind
    if workers:
        os.environ["WEB_CONCURRENCY"] = str(workers)
    arguments = [
        sys.executable,
        "-m",
        "gunicorn",
        "-c",
        "python:coordhub.server.gunicorn_conf",
        *gunicorn_options,
        "coordhub.server.wsgi:app",
    ]
    os.execv(sys.executable, arguments)


@click.command("worker")
@click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
@click.option("--name", help="Worker name (unique per machine; default: RQ's).")
@with_appcontext
def worker_command(burst: bool, name: str | None) -> None:
    """Run one RQ worker on coordhub's queue (start several for more background jobs at once)."""
    from coordhub.jobs.runner import QUEUE_NAME

    url = current_app.config.get("REDIS_URL")
    if not url:
        raise click.ClickException("REDIS_URL is not set: without it, jobs run in the web process.")
    arguments = [sys.executable, "-m", "rq.cli", "worker", "--url", url]
    if burst:
        arguments.append("--burst")
    if name:
        arguments += ["--name", name]
    os.execv(sys.executable, [*arguments, QUEUE_NAME])


@click.command("backup")
@click.argument("path", required=False, type=click.Path(dir_okay=False))
@click.option("--directory", default="backups", show_default=True, help="Where to write when PATH is not given.")
@with_appcontext
def backup_command(path: str | None, directory: str) -> None:
    """Back up the whole database to PATH (pg_dump custom format, or a SQLite copy)."""
    from coordhub.server.backup import BackupError, backup, default_backup_path

    target = path or default_backup_path(db.engine, directory)
    try:
        result = backup(db.engine, target)
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Backed up the {result.kind} database to {result.path} ({result.size:,} bytes).")


@click.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--replace", is_flag=True, help="Drop everything in the configured database first.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation of --replace.")
@with_appcontext
def restore_command(path: str, replace: bool, yes: bool) -> None:
    """Restore a backup made by `coordhub backup` into the configured (empty) database."""
    from coordhub.server.backup import BackupError, restore, table_names
    from coordhub.server.health import check_database

    if replace and table_names(db.engine) and not yes:
        click.confirm(f"Drop every table of {db.engine.url.render_as_string()} and restore {path}?", abort=True)
    db.session.remove()
    try:
        restore(db.engine, path, replace=replace)
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    migrations = check_database()["migrations"]
    note = (
        ""
        if migrations["ok"]
        else (
            f" Its migrations ({', '.join(migrations['current']) or 'none'}) are not this "
            "code's head: run `coordhub db upgrade`."
        )
    )
    click.echo(f"Restored {path} ({len(table_names(db.engine))} tables).{note}")


@click.command("collect-static")
@click.argument("directory", type=click.Path(file_okay=False))
@with_appcontext
def collect_static_command(directory: str) -> None:
    """Copy every static file (coordhub's and the packages' such as Bootstrap) into DIRECTORY, laid out by URL,
    for the reverse proxy to serve (`try_files $uri @coordhub`)."""
    from coordhub.server.static import collect_static

    count = collect_static(current_app, directory)
    click.echo(f"Copied {count} static files into {directory}.")
