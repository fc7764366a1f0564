"""``coordhub allocate``: run the allocation core on CSV files alone (no database)."""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

import click

from .core import InvalidInput, PeriodKind, PlanSpec, Policy
from .core import allocate as run_allocation
from .core.files import FileError, read_access, read_areas, read_capacities, read_needs, write_assignments
from .core.messages import number

MALFORMED_EXIT_CODE = 2


def _pairs(values: tuple[str, ...], option: str, convert=float) -> dict[str, float]:
    out = {}
    for value in values:
        key, sep, amount = value.rpartition("=")
        try:
            if not sep or not key:
                raise ValueError
            out[key] = convert(amount)
        except ValueError:
            raise click.BadParameter(f"'{value}' is not KEY=NUMBER", param_hint=option) from None
    return out


@click.command("allocate")
@click.argument("needs_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("capacities_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--areas",
    "areas_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Admin-area tree (pcode, parent_pcode, name, level, lat, lon).  Without it only exact "
    "P-code matches count: a capacity serving a province does not serve its districts.",
)
@click.option(
    "--out",
    "out_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the assignments (need_id, capacity_id, quantity, unit_cost) to this CSV file.",
)
@click.option(
    "--time-limit",
    type=click.FloatRange(min=0, min_open=True),
    default=60.0,
    show_default=True,
    help="Seconds for the solver.",
)
@click.option("--lexicographic", is_flag=True, help="Rank priorities strictly instead of by weight.")
@click.option(
    "--weight",
    "weights",
    multiple=True,
    metavar="PRIORITY=WEIGHT",
    help="Weight of a priority (whole number), e.g. --weight 5=100.  Defaults 1,2,4,8,16.",
)
@click.option(
    "--value-per-weighted-unit",
    type=click.FloatRange(min=0, min_open=True),
    help="Trade value against cost: skip deliveries that cost more than this per weighted unit.",
)
@click.option(
    "--distance-cost",
    type=click.FloatRange(min=0),
    default=0.0,
    help="Cost per unit per km between area centroids (needs --areas with lat, lon).",
)
@click.option(
    "--budget-cap",
    "budget_caps",
    multiple=True,
    metavar="ORG=AMOUNT",
    help="Maximum total cost for an organisation (repeatable).",
)
@click.option(
    "--budget-per-period",
    is_flag=True,
    help="With --periods: each --budget-cap applies to every period (default: to the whole plan).",
)
@click.option(
    "--admin1-coverage",
    type=click.FloatRange(0, 1),
    default=0.0,
    help="Minimum share of each admin-1 area's need (per resource type) to cover, of what can reach it.",
)
@click.option(
    "--local-share",
    type=click.FloatRange(0, 1),
    default=0.0,
    help="Minimum share of delivered units (per resource type) from local/national organisations.",
)
@click.option("--single-provider", is_flag=True, help="At most one capacity per need.")
@click.option("--min-lot", type=click.FloatRange(min=0), default=0.0, help="Minimum units per assignment.")
@click.option(
    "--periods",
    type=click.Choice([k.value for k in PeriodKind]),
    help="Plan over weeks or months: who delivers what, where and when (adds a period column).",
)
@click.option(
    "--start",
    "plan_start",
    type=click.DateTime(["%Y-%m-%d"]),
    help="First day of the plan (default: the earliest need start).  Needs --periods.",
)
@click.option(
    "--horizon",
    type=click.DateTime(["%Y-%m-%d"]),
    help="Last day of the plan (default: the latest need end or deadline).  Needs --periods.",
)
@click.option(
    "--lateness-weight",
    type=click.FloatRange(min=0),
    help="Currency per weighted unit per period of delay (default: lateness ranks strictly before cost).",
)
@click.option(
    "--access",
    "access_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Access rules per area and time: pcode, level (open|restricted|no_go), start, end, clearance.",
)
@click.option("--explain", "show_explanations", is_flag=True, help="Print every explanation, not only the counts.")
def allocate_command(
    needs_file,
    capacities_file,
    areas_file,
    out_file,
    time_limit,
    lexicographic,
    weights,
    value_per_weighted_unit,
    distance_cost,
    budget_caps,
    budget_per_period,
    admin1_coverage,
    local_share,
    single_provider,
    min_lot,
    periods,
    plan_start,
    horizon,
    lateness_weight,
    access_file,
    show_explanations,
):
    """Allocate CAPACITIES_FILE to NEEDS_FILE and print a summary ending with one line of JSON.

    Needs columns: need_id, pcode, resource_type, quantity, priority, start, end.
    Capacities columns: capacity_id, org, org_type, resource_type, quantity, unit_cost,
    service_pcodes (separated by ;), start, end.  A second header row of HXL hashtags
    is accepted and preferred.  Malformed files exit with code 2 and write nothing.
    Optional: earliest_start, deadline (needs); throughput, clearance (capacities);
    --periods month|week [--horizon DATE] [--access ACCESS.csv] for a plan over time.
    """
    if (plan_start or horizon or lateness_weight is not None or budget_per_period) and not periods:
        raise click.UsageError("--start, --horizon, --lateness-weight and --budget-per-period need --periods")
    if periods and value_per_weighted_unit is not None:
        raise click.UsageError("--value-per-weighted-unit cannot be combined with --periods (a plan ranks lateness)")
    weight_map = {1: 1, 2: 2, 3: 4, 4: 8, 5: 16}
    for key, value in _pairs(weights, "--weight").items():
        if key not in {"1", "2", "3", "4", "5"} or not float(value).is_integer() or value <= 0:
            raise click.BadParameter(
                f"'{key}={value}' needs a priority 1..5 and a positive whole weight", param_hint="--weight"
            )
        weight_map[int(key)] = int(value)
    try:
        needs = read_needs(needs_file)
        capacities = read_capacities(capacities_file)
        areas = read_areas(areas_file) if areas_file else None
        policy = Policy(
            priority_weights=weight_map,
            lexicographic=lexicographic,
            value_per_weighted_unit=value_per_weighted_unit,
            distance_cost_per_km=distance_cost,
            time_limit_seconds=time_limit,
            budget_caps=_pairs(budget_caps, "--budget-cap"),
            min_admin1_coverage=admin1_coverage,
            min_local_share=local_share,
            single_provider=single_provider,
            min_lot_size=min_lot,
            lateness_weight=lateness_weight,
            budget_per_period=budget_per_period,
        )
        access = read_access(access_file) if access_file else ()
        plan = None
        if periods:
            plan = PlanSpec(
                kind=PeriodKind(periods),
                start=plan_start.date() if plan_start else None,
                horizon=horizon.date() if horizon else None,
            )
        result = run_allocation(needs, capacities, areas=areas, policy=policy, access=access, plan=plan)
    except (FileError, InvalidInput) as error:
        for line in str(error).splitlines() or [str(error)]:
            click.echo(f"error: {line}", err=True)
        sys.exit(MALFORMED_EXIT_CODE)

    if out_file:
        write_assignments(result.assignments, out_file, periods=plan is not None)
    cov = result.coverage
    click.echo(
        f"{len(needs)} needs, {len(capacities)} capacities, {len(result.assignments)} assignments "
        f"({result.engine}, {result.status})."
    )
    click.echo(
        f"Coverage: {cov.priority_share.share:.1%} of needs met weighted by priority, "
        f"{cov.fully_met.share:.1%} of needs fully met; cost {number(round(result.cost, 2))}."
    )
    if result.gap:
        click.echo(f"Gap to the proven bound: {result.gap:.2%} (bound {number(round(result.bound, 6))}).")
    for kind, figure in sorted(cov.by_resource_type.items()):
        click.echo(f"  {kind}: {number(figure.met)} of {number(figure.needed)} ({figure.share:.1%})")
    if result.periods:
        click.echo(
            "Weighted coverage by the end of each period: "
            + ", ".join(f"{day} {figure.share:.0%}" for day, figure in cov.by_period.items())
        )
    for subject in ("need", "capacity"):
        counts = Counter(e.reason for e in result.explanations if e.subject == subject)
        if counts:
            label = "Needs not fully met" if subject == "need" else "Capacities not fully used"
            click.echo(f"{label}: " + ", ".join(f"{reason} {count}" for reason, count in counts.most_common()))
    if show_explanations:
        for e in result.explanations:
            click.echo(f"  {e.subject} {e.subject_id} [{e.reason}]: {e.text}")
    for note in result.notes:
        click.echo(f"Note: {note}")
    if out_file:
        click.echo(f"Assignments written to {out_file}.")
    click.echo(json.dumps(result.summary()))


allocate = allocate_command
