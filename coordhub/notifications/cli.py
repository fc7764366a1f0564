"""`coordhub send-digests` and `coordhub send-mail`: commands for cron or an RQ scheduler."""

from __future__ import annotations

import json

import click
from flask.cli import with_appcontext


@click.command("send-digests")
@click.option(
    "--period",
    type=click.Choice(["daily", "weekly"]),
    required=True,
    help="Which digest: run daily ones once a day, weekly ones once a week.",
)
@click.option(
    "--send/--no-send",
    default=True,
    show_default=True,
    help="Also deliver the outbox now (else the next delivery job or `coordhub send-mail` does).",
)
@with_appcontext
def send_digests_command(period: str, send: bool) -> None:
    """Put each user's pending notices of the period in one digest e-mail. Idempotent: a second run in the same
    day (week) sends nothing more. Prints {"users", "notices", "skipped", "sent", "retry", "failed"} as JSON."""
    from coordhub.notifications.digests import send_digests
    from coordhub.notifications.mail import deliver_due

    counts = send_digests(period)
    if send:
        counts.update(deliver_due())
    click.echo(json.dumps(counts))


@click.command("send-mail")
@with_appcontext
def send_mail_command() -> None:
    """Send the outbox's due e-mails now, including those to retry (run every few minutes from cron)."""
    from coordhub.notifications.mail import deliver_due

    click.echo(json.dumps(deliver_due()))
