"""`coordhub detect-overlaps --operation NAME`: full overlap detection on an operation's stored projects."""

from __future__ import annotations

import json

import click
from flask.cli import with_appcontext

from coordhub.registry.cli import operation_by_name


@click.command("detect-overlaps")
@click.option("--operation", "operation_name", required=True, help="Name of the operation.")
@with_appcontext
def detect_overlaps_command(operation_name: str) -> None:
    """Compare every live project of an operation and bring its overlap alerts and clusters up to date.

    New pairs raise alerts; pairs that no longer overlap are closed; dismissed pairs stay dismissed unless a
    project changed its sector, areas or dates. The last line is JSON with the counts."""
    from coordhub.overlap.detection import detect_operation

    operation = operation_by_name(operation_name)
    counts = detect_operation(operation)
    click.echo(
        f"{counts.projects} projects in '{operation.name}': {counts.pairs} overlapping pairs "
        f"({counts.raised} new alerts, {counts.raised_again} raised again, {counts.closed} closed, "
        f"{counts.kept_dismissed} still dismissed), {counts.clusters} clusters, {counts.seconds} s."
    )
    click.echo(json.dumps(counts.as_dict()))
