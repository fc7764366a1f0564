"""The `coordhub` command: Flask's CLI group (run, db …) plus coordhub's own commands."""

from __future__ import annotations

import sys

import click
import sqlalchemy as sa
from flask.cli import FlaskGroup, with_appcontext

from coordhub.extensions import db


def _create_app():
    from coordhub import create_app

    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app, help="coordhub: coordination of reconstruction partners.")
def main() -> None:
    """Entry point of the `coordhub` console script."""


def _operation_by_name(name: str):
    from coordhub.registry.models import Operation

    operation = db.session.scalar(sa.select(Operation).where(Operation.name == name))
    if operation is None:
        raise click.ClickException(
            f"No operation named '{name}'. Existing: " + ", ".join(db.session.scalars(sa.select(Operation.name)))
            or "none"
        )
    return operation


@click.command("demo")
@click.option(
    "--password",
    default=None,
    help="Password of every demo user (must pass the password rule). [default: sahel-wells-2026]",
)
@with_appcontext
def demo_command(password: str | None) -> None:
    """Create the tables (migrations) and load the demo operation, if not loaded yet."""
    from flask_migrate import upgrade

    from coordhub.demo.loader import DEMO_OPERATION, DEMO_PASSWORD, check_demo_password, load_demo
    from coordhub.errors import DomainError

    password = password or DEMO_PASSWORD
    try:
        check_demo_password(password)
    except DomainError as error:
        raise click.ClickException(f"--password: {error.message}") from None
    upgrade()
    users = load_demo(password)
    if users is None:
        click.echo(f"The demo operation '{DEMO_OPERATION}' is already loaded.")
    else:
        click.echo(f"Loaded the demo operation '{DEMO_OPERATION}'.")
    click.echo(f"Sign in with any of these (password: {password}):")
    from coordhub.auth.models import User

    for user in db.session.scalars(sa.select(User).order_by(User.role, User.email)):
        click.echo(f"  {user.role.value:<12} {user.email:<40} {user.organisation.label}")


@click.command("seed")
@with_appcontext
def seed_command() -> None:
    """Create the reference lists (sectors, resource types) and each operation's indicator library if missing."""
    from coordhub.monitoring.library import ensure_indicator_library
    from coordhub.registry.models import Operation
    from coordhub.registry.reference import ensure_reference_data

    sectors, types = ensure_reference_data()
    indicators = sum(ensure_indicator_library(operation) for operation in db.session.scalars(sa.select(Operation)))
    db.session.commit()
    click.echo(f"{sectors} sectors and {types} resource types added.")
    click.echo(f"{indicators} indicators added from the library.")


@click.command("create-user")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--organisation", required=True, help="Name or acronym of the user's organisation.")
@click.option(
    "--organisation-type",
    default=None,
    help="Create the organisation when it does not exist, with this type ('un_agency', 'ONG Nat', "
    "'INGO', 'Gouvernement' …).",
)
@click.option("--acronym", default=None, help="Acronym of the organisation created with --organisation-type.")
@click.option(
    "--role", type=click.Choice(["admin", "coordinator", "focal_point", "viewer"]), default="viewer", show_default=True
)
@click.option("--operation", "operations", multiple=True, help="Operation name the user works in (repeatable).")
@click.password_option()
@with_appcontext
def create_user_command(email, name, organisation, organisation_type, acronym, role, operations, password) -> None:
    """Create a user account (and its organisation, given --organisation-type)."""
    from coordhub.errors import DomainError
    from coordhub.registry import operations as ops
    from coordhub.registry.models import Organisation

    org = db.session.scalar(
        sa.select(Organisation).where(sa.or_(Organisation.name == organisation, Organisation.acronym == organisation))
    )
    operation_ids = [_operation_by_name(name).id for name in operations]
    if org is None and organisation_type is None:
        raise click.ClickException(f"No organisation named '{organisation}' (give --organisation-type to create it).")
    if org is None:
        org = _create_organisation(organisation, acronym, organisation_type)
    try:
        user = ops.save_user(
            None,
            {
                "email": email,
                "name": name,
                "organisation_id": org.id,
                "role": role,
                "password": password,
                "operation_ids": operation_ids,
            },
        )
    except DomainError as error:
        raise click.ClickException(f"{error.field or 'error'}: {error.message}") from None
    click.echo(f"Created {user.email} ({user.role.value}, {org.label}).")


def _create_organisation(name: str, acronym: str | None, type_label: str):
    """An organisation created from the command line; the type as 3W files write it ('ONG Nat', 'UN agency')."""
    from coordhub.errors import DomainError
    from coordhub.reading.values import ValueParseError, parse_organisation_type
    from coordhub.registry import operations as ops

    try:
        org_type = parse_organisation_type(type_label)
    except ValueParseError as error:
        raise click.ClickException(f"organisation-type: {error}") from None
    try:
        organisation = ops.save_organisation(
            None,
            {
                "name": name,
                "acronym": acronym,
                "type": org_type,
                "is_local": org_type in ("national_ngo", "local_authority"),
            },
        )
    except DomainError as error:
        raise click.ClickException(f"{error.field or 'organisation'}: {error.message}") from None
    click.echo(f"Created the organisation {organisation.label} ({org_type}).")
    return organisation


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
        f"Next: coordhub import-admin-areas COD.csv --operation '{operation.name}', then coordhub create-user ... "
        f"--role admin --operation '{operation.name}' (see the README, 'From an empty database to a real operation')."
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

    operation = _operation_by_name(operation_name)
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


def register_commands(app) -> None:
    """Add coordhub's commands to the app's CLI group (called by the app factory)."""
    from coordhub.allocation.cli import allocate_command
    from coordhub.allocation.commands import run_allocation_command
    from coordhub.interop.cli import import_command
    from coordhub.overlap.cli import overlaps_command
    from coordhub.overlap.commands import detect_overlaps_command

    for command in (
        demo_command,
        seed_command,
        create_operation_command,
        create_user_command,
        import_admin_areas_command,
        import_command,
        overlaps_command,
        detect_overlaps_command,
    ):
        app.cli.add_command(command)
    for command in (allocate_command, run_allocation_command):
        app.cli.add_command(command)
    from coordhub.notifications.cli import send_digests_command, send_mail_command
    from coordhub.server.cli import (
        backup_command,
        collect_static_command,
        restore_command,
        serve_command,
        worker_command,
    )

    for command in (
        serve_command,
        worker_command,
        backup_command,
        restore_command,
        collect_static_command,
        send_digests_command,
        send_mail_command,
    ):
        app.cli.add_command(command)


if __name__ == "__main__":  # `python -m coordhub.cli` runs the checkout it is started from
    main()
