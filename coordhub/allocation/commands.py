"""`coordhub run-allocation --operation NAME`: allocate an operation's stored needs and capacities and store the run."""

from __future__ import annotations

import json
import sys

import click
from flask.cli import with_appcontext

from coordhub.registry.cli import operation_by_name


@click.command("run-allocation")
@click.option("--operation", "operation_name", required=True, help="Name of the operation.")
@click.option(
    "--time-limit",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    help="Seconds for the solver (default: the policy's, 30).",
)
@click.option("--like-run", type=int, default=None, help="Use the policy settings of this stored run.")
@click.option("--note", default="", help="What this run tries (shown in the runs list).")
@with_appcontext
def run_allocation_command(operation_name: str, time_limit: float | None, like_run: int | None, note: str) -> None:
    """Run an allocation on the operation's open needs, capacities, pins and forbidden pairs, and store it.

    The last line is JSON: run_id, status, objective, weighted_units, cost, bound, gap, units_needed, units_met,
    weighted_share_met, share_fully_met, seconds.
    Data that cannot be allocated exits with code 2 and stores nothing."""
    from coordhub.allocation.inputs import default_settings
    from coordhub.allocation.models import AllocationRun
    from coordhub.allocation.operations import run_allocation
    from coordhub.errors import DomainError
    from coordhub.extensions import db

    operation = operation_by_name(operation_name)
    settings = default_settings()
    if like_run is not None:
        model = db.session.get(AllocationRun, like_run)
        if model is None or model.operation_id != operation.id:
            raise click.ClickException(f"No allocation run {like_run} in '{operation.name}'.")
        settings = dict(model.policy)
    if time_limit is not None:
        settings["time_limit_seconds"] = time_limit
    try:
        run = run_allocation(None, operation, settings, note)
    except DomainError as error:
        click.echo(f"error: {error.message}", err=True)
        sys.exit(2)
    click.echo(
        f"Run {run.id} of '{operation.name}': {run.status.value} ({run.engine}), {run.need_count} needs, "
        f"{run.capacity_count} capacities, {len(run.assignments)} assignments; "
        f"{run.priority_share_met:.1%} of needs met weighted by priority, {run.share_fully_met:.1%} fully met, "
        f"cost {run.cost:,.2f}."
    )
    if run.gap:
        click.echo(f"Gap to the proven bound: {run.gap:.2%}.")
    for line in run.notes:
        click.echo(f"Note: {line}")
    click.echo(
        json.dumps(
            {
                "run_id": run.id,
                "status": run.status.value,
                "objective": run.objective,
                "weighted_units": run.weighted_units,
                "cost": run.cost,
                "bound": run.bound,
                "gap": run.gap,
                "units_needed": run.units_needed,
                "units_met": run.units_met,
                "weighted_share_met": round(run.priority_share_met, 6),
                "share_fully_met": round(run.share_fully_met, 6),
                "seconds": round(run.seconds, 4),
            }
        )
    )
