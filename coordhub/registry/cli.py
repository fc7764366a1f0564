"""Registry commands: create an operation, load its admin areas; finding an operation by name for every command."""

from __future__ import annotations

import sys

import click
import sqlalchemy as sa
from flask.cli import with_appcontext

from coordhub.extensions import db
from coordhub.registry.models import Operation


def operation_by_name(name: str) -> Operation:
    """The operation named `name`, for a command's --operation option (a ClickException naming the existing ones
    otherwise)."""
    operation = db.session.scalar(sa.select(Operation).where(Operation.name == name))
    if operation is None:
        raise click.ClickException(
            f"No operation named '{name}'. Existing: " + ", ".join(db.session.scalars(sa.select(Operation.name)))
            or "none"
        )
    return operation


@click.command("create-operation")
@click.argument("name")
@click.option("--country", "country_code", required=True, help="ISO country code of the operation (TD, TCD …).")
@click.option("--currency", default="USD", show_default=True, help="Currency of budgets and costs (ISO 4217).")
@click.option("--description", default="", help="One line on what the operation is.")
@with_appcontext
def create_operation_command(name: str, country_code: str, currency: str, description: str) -> None:
    """Create an operation (and the reference lists, if missing): the first step of a real deployment."""
    from coordhub.errors import DomainError
    from coordhub.registry import operations as ops
    from coordhub.registry.reference import ensure_reference_data

    ensure_reference_data()
    db.session.commit()
    try:
        operation = ops.save_operation(
            None, {"name": name, "country_code": country_code, "currency": currency, "description": description}
        )
    except DomainError as error:
        raise click.ClickException(f"{error.field or 'operation'}: {error.message}") from None
    click.echo(f"Created the operation '{operation.name}' ({operation.country_code}, {operation.currency}).")
    click.echo(
        "Next: coordhub import-admin-areas COD.csv --operation '%s', then coordhub create-user ... "
        "--role admin --operation '%s' (see the README, 'From an empty database to a real operation')."
        % (operation.name, operation.name)
    )


@click.command("import-admin-areas")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--operation", "operation_name", required=True, help="Name of the operation.")
@click.option("--language", default="fr", show_default=True, help="Language of the names to use (COD suffix).")
@with_appcontext
def import_admin_areas_command(file: str, operation_name: str, language: str) -> None:
    """Load admin areas (P-codes, names, hierarchy) from a COD-style CSV into an operation."""
    from coordhub.errors import DomainError
    from coordhub.registry.admin_areas import AdminAreaFileError, parse_admin_areas
    from coordhub.registry.operations import load_admin_areas

    operation = operation_by_name(operation_name)
    try:
        records = parse_admin_areas(file, language=language)
        created, updated = load_admin_areas(operation, records)
    except (AdminAreaFileError, DomainError) as error:
        click.echo(f"Error in {file}: {getattr(error, 'message', error)}. Nothing was loaded.", err=True)
        sys.exit(2)
    levels: dict[int, int] = {}
    for record in records:
        levels[record.level] = levels.get(record.level, 0) + 1
    click.echo(
        f"{created} admin areas created, {updated} updated in '{operation.name}' ("
        + ", ".join(f"admin{level}: {count}" for level, count in sorted(levels.items()))
        + ")."
    )
