"""The `coordhub` command: Flask's CLI group (run, db …) plus coordhub's own commands."""

from __future__ import annotations

import click
import sqlalchemy as sa
from flask.cli import FlaskGroup, with_appcontext

from coordhub.extensions import db
from coordhub.registry.cli import operation_by_name


def _create_app():
    from coordhub import create_app

    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app, help="coordhub: coordination of reconstruction partners.")
def main() -> None:
    """Entry point of the `coordhub` console script."""


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
    click.echo("Sign in with any of these (password: %s):" % password)
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
    from coordhub.auth import operations as account_operations
    from coordhub.errors import DomainError
    from coordhub.registry.models import Organisation

    org = db.session.scalar(
        sa.select(Organisation).where(sa.or_(Organisation.name == organisation, Organisation.acronym == organisation))
    )
    operation_ids = [operation_by_name(name).id for name in operations]
    if org is None and organisation_type is None:
        raise click.ClickException(f"No organisation named '{organisation}' (give --organisation-type to create it).")
    if org is None:
        org = _create_organisation(organisation, acronym, organisation_type)
    try:
        user = account_operations.save_user(
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


if __name__ == "__main__":  # `python -m coordhub.cli` runs the checkout it is started from
    main()
