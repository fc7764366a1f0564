"""`coordhub import KIND FILE`: the import wizard's code path from the command line, with its row report."""

from __future__ import annotations

import sys
from pathlib import Path

import click
import sqlalchemy as sa
from flask.cli import with_appcontext

from coordhub.extensions import db
from coordhub.interop.importer import IMPORT_KINDS, ImportReport, ImportSettings, run_import


def _user(email: str | None):
    from coordhub.auth.models import Role, User

    if email:
        user = db.session.scalar(sa.select(User).where(User.email == User.normalise_email(email)))
        if user is None:
            raise click.ClickException(f"No user with the e-mail address '{email}'.")
        return user
    user = db.session.scalar(sa.select(User).where(User.role == Role.admin, User.active.is_(True)).order_by(User.id))
    if user is None:
        raise click.ClickException("No administrator account exists: give --user EMAIL.")
    click.echo(f"Acting as {user.email} (the first administrator; use --user to choose).")
    return user


def _operation(name: str | None, user):
    from coordhub.registry.models import Operation
    from coordhub.web import accessible_operations

    if name:
        operation = db.session.scalar(sa.select(Operation).where(Operation.name == name))
        if operation is None:
            raise click.ClickException(f"No operation named '{name}'.")
        return operation
    options = accessible_operations(user)
    current = user.current_operation if user.current_operation in options else None
    if current is None and len(options) != 1:
        raise click.ClickException(
            "Give --operation NAME (the user works in "
            + (", ".join(f"'{o.name}'" for o in options) or "no operation")
            + ")."
        )
    return current or options[0]


def print_report(report: ImportReport, limit: int) -> None:
    """The row report as people read it: the mapping, every problem by row and column, the counts."""
    if report.columns:
        click.echo("Columns: " + "; ".join(f"{name} ← '{label}'" for name, label in report.columns.items()))
    for note in report.template_notes:
        click.echo(f"Template: {note}")
    for problem in report.mapping_problems:
        click.echo(f"Mapping: {problem}", err=True)
    shown = 0
    for problem in report.problems:
        if shown >= limit:
            click.echo(f"… and {len(report.problems) - shown} more problems (use --max-problems).", err=True)
            break
        prefix = "warning: " if problem.severity == "warning" else ""
        click.echo(f"{prefix}{problem}", err=problem.severity == "error")
        shown += 1
    click.echo(report.summary() + ".")


@click.command("import")
@click.argument("kind", type=click.Choice(IMPORT_KINDS))
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--operation", "operation_name", help="Operation name (default: the user's current one).")
@click.option("--user", "email", help="Who imports, for rights and the audit log (default: the first administrator).")
@click.option("--template", "template_name", help="Name of a saved column-mapping template.")
@click.option("--sheet", help="Sheet of an .xlsx workbook (default: the first).")
@click.option(
    "--start",
    "default_start",
    type=click.DateTime(["%Y-%m-%d"]),
    help="Start date for rows without dates (e.g. a quarter's operational presence).",
)
@click.option("--end", "default_end", type=click.DateTime(["%Y-%m-%d"]), help="End date for rows without dates.")
@click.option("--month-first", is_flag=True, help="Read 01/03/2026 as 3 January (default: 1 March).")
@click.option(
    "--skip-invalid", is_flag=True, help="Import the valid rows and skip the rejected ones (default: all or nothing)."
)
@click.option("--dry-run", is_flag=True, help="Only print the row report; write nothing.")
@click.option("--max-problems", default=200, show_default=True, help="How many problems to print.")
@with_appcontext
def import_command(
    kind,
    file,
    operation_name,
    email,
    template_name,
    sheet,
    default_start,
    default_end,
    month_first,
    skip_invalid,
    dry_run,
    max_problems,
) -> None:
    """Import KIND (projects, needs, capacities, organisations, admin_areas) from a CSV or .xlsx FILE.

    Prints every problem by row and column. Exit code 2 when rows are rejected or the file cannot be
    used: nothing is written then (unless --skip-invalid)."""
    from coordhub.errors import DomainError
    from coordhub.interop.operations import find_template

    user = _user(email)
    operation = _operation(operation_name, user)
    try:
        template = find_template(user, operation, kind, template_name).template if template_name else None
        settings = ImportSettings(
            kind=kind,
            sheet=sheet,
            template=template,
            default_start=default_start.date() if default_start else None,
            default_end=default_end.date() if default_end else None,
            skip_invalid=skip_invalid,
            day_first=not month_first,
        )
        report = run_import(user, operation, Path(file).read_bytes(), Path(file).name, settings, commit=not dry_run)
    except DomainError as error:
        raise click.ClickException(error.message) from None
    print_report(report, max_problems)
    if report.committed:
        click.echo(
            f"Imported into '{operation.name}': {report.written.get('created', 0)} created, "
            f"{report.written.get('updated', 0)} updated."
        )
    elif report.blocked:
        click.echo("Nothing was written.", err=True)
        sys.exit(2)
    else:
        click.echo("Dry run: nothing was written.")
