"""E-mail: rendering notices and digests in the recipient's language, the signed unsubscribe links, the stored
outbox and its delivery over SMTP with retries (never from a request: see coordhub.notifications.jobs)."""

from __future__ import annotations

import logging
import smtplib
from contextlib import contextmanager
from datetime import datetime, timedelta
from email.header import Header
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import formatdate, make_msgid

import sqlalchemy as sa
from flask import current_app, g, has_request_context, url_for
from flask_babel import force_locale, get_locale
from itsdangerous import BadSignature, URLSafeSerializer

from coordhub.auth.models import User
from coordhub.database import utcnow
from coordhub.extensions import db
from coordhub.notifications.models import Event, Notification, OutboxMessage, OutboxStatus
from coordhub.notifications.present import Subjects, show

log = logging.getLogger(__name__)
ALL_EVENTS = "all"


# --- links -------------------------------------------------------------------------------------------


def external_url(endpoint: str, **values) -> str:
    """An absolute link for an e-mail, on MAIL_BASE_URL (the public address) when set, else on the current
    request's host. Cheap inside links(), which e-mail building uses for a whole batch."""
    if has_request_context() and (getattr(g, "_coordhub_links", False) or not current_app.config.get("MAIL_BASE_URL")):
        return url_for(endpoint, _external=True, **values)
    with links():
        return url_for(endpoint, _external=True, **values)


def open_url(notification_id: int) -> str:
    """The absolute link that opens a notice (marks it read, goes to the thing). A digest has thousands: inside
    links() the route is built once and the id appended."""
    if not getattr(g, "_coordhub_links", False):
        return external_url("notifications.open", notification_id=notification_id)
    if "_coordhub_open_base" not in g:
        g._coordhub_open_base = external_url("notifications.open", notification_id=1)[:-1]  # ".../notifications/"
    return g._coordhub_open_base + str(notification_id)


@contextmanager
def links():
    """A request context on MAIL_BASE_URL in which external_url() is a plain url_for (e-mails are built in jobs
    and commands, where there is no request, and must not carry the host of whoever triggered them)."""
    base = current_app.config.get("MAIL_BASE_URL") or "http://localhost:5000"
    with current_app.test_request_context("/", base_url=base):
        previous = getattr(g, "_coordhub_links", False)
        g._coordhub_links = True
        try:
            yield
        finally:
            g._coordhub_links = previous
            g.pop("_coordhub_open_base", None)


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="coordhub-unsubscribe")


def unsubscribe_token(user_id: int, event: Event | None) -> str:
    """A token naming the user and the event (None: all e-mail), signed with SECRET_KEY: it cannot be forged or
    changed to another user. It does not expire, as an unsubscribe link must keep working."""
    return _serializer().dumps([user_id, event.value if event is not None else ALL_EVENTS])


def read_unsubscribe_token(token: str) -> tuple[int, Event | None] | None:
    """(user id, event or None for all) from a token, or None when the token is not one we signed."""
    try:
        user_id, event = _serializer().loads(token)
        return int(user_id), None if event == ALL_EVENTS else Event(event)
    except (BadSignature, ValueError, TypeError):
        return None


def _locale(user: User) -> str:
    languages = current_app.config["LANGUAGES"]
    return user.locale if user.locale in languages else current_app.config["BABEL_DEFAULT_LOCALE"]


def _headers(unsubscribe_url: str) -> dict:
    # RFC 8058 one-click: the mail client POSTs "List-Unsubscribe=One-Click" to the link, without cookies.
    return {
        "List-Unsubscribe": f"<{unsubscribe_url}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        "Auto-Submitted": "auto-generated",
    }


def _outbox_row(
    user: User, subject: str, template: str, context: dict, unsubscribe_url: str, dedupe_key: str | None = None
) -> dict:
    context = dict(
        context,
        user=user,
        unsubscribe_url=unsubscribe_url,
        get_locale=get_locale,
        settings_url=external_url("notifications.settings"),
    )
    return {
        "user_id": user.id,
        "to_address": user.email,
        "subject": subject[:300],
        "text_body": _render(f"notifications/email/{template}.txt", context),
        "html_body": _render(f"notifications/email/{template}.html", context),
        "headers": _headers(unsubscribe_url),
        "dedupe_key": dedupe_key,
        "status": OutboxStatus.pending,
        "attempts": 0,
        "next_attempt_at": utcnow(),
        "last_error": "",
        "created_at": utcnow(),
    }


def _render(name: str, context: dict) -> str:
    # Straight from the Jinja environment: e-mails are rendered in jobs and commands too, where the page
    # context processors (the signed-in user, the navigation) have nothing to work on.
    return current_app.jinja_env.get_template(name).render(**context)


def queue_immediate(pairs: list[tuple[User, Notification]]) -> None:
    """Store one e-mail per notice in the outbox, in its recipient's language (no commit)."""
    subjects = Subjects([n for _user, n in pairs])
    rows = []
    with links():
        for user, n in pairs:
            with force_locale(_locale(user)):
                shown = show(user, n, subjects)
                rows.append(
                    _outbox_row(
                        user,
                        shown.sentence,
                        "notice",
                        {"shown": shown, "open_url": open_url(n.id)},
                        external_url("notifications.unsubscribe", token=unsubscribe_token(user.id, n.event)),
                    )
                )
    if rows:
        db.session.execute(sa.insert(OutboxMessage.__table__), rows)


# --- delivery ------------------------------------------------------------------------------------------


def _connect() -> smtplib.SMTP:
    config = current_app.config
    kind = smtplib.SMTP_SSL if config.get("MAIL_USE_SSL") else smtplib.SMTP
    server = kind(config["MAIL_SERVER"], int(config.get("MAIL_PORT") or 25), timeout=float(config["MAIL_TIMEOUT"]))
    if config.get("MAIL_USE_TLS"):
        server.starttls()
    if config.get("MAIL_USERNAME"):
        server.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
    return server


def build_message(row: OutboxMessage) -> MIMEMultipart:
    """The e-mail as sent: text and HTML alternatives in UTF-8 (the compat32 classes: several times faster to
    build than EmailMessage, which matters for a digest run of thousands)."""
    sender = current_app.config["MAIL_DEFAULT_SENDER"]
    message = MIMEMultipart("alternative")
    message["From"] = sender
    message["To"] = row.to_address
    message["Subject"] = Header(row.subject, "utf-8")
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2].strip(">") or "localhost")
    for name, value in (row.headers or {}).items():
        message[name] = value
    message.attach(MIMEText(row.text_body, "plain", "utf-8"))
    message.attach(MIMEText(row.html_body, "html", "utf-8"))
    return message


def retry_delay(attempts: int) -> timedelta:
    """Back-off after a failed attempt: 1, 2, 4 … minutes, at most six hours."""
    return timedelta(minutes=min(2 ** max(attempts - 1, 0), 360))


def _due(now: datetime, size: int) -> list[OutboxMessage]:
    query = (
        sa.select(OutboxMessage)
        .where(OutboxMessage.status == OutboxStatus.pending, OutboxMessage.next_attempt_at <= now)
        .order_by(OutboxMessage.id)
        .limit(size)
    )
    if db.engine.dialect.name == "postgresql":  # two deliverers at once never send one message twice
        query = query.with_for_update(skip_locked=True)
    return list(db.session.scalars(query))


def deliver_due(now: datetime | None = None, limit: int = 100_000, batch: int = 50) -> dict:
    """Send the outbox's due messages over one SMTP connection, `batch` messages per transaction (at least once:
    a crash between sending and committing may send up to a batch again). A failure (server down, refusing,
    timed out) keeps the message with its attempt count and error, due again after retry_delay, and stops the
    run; after MAIL_MAX_ATTEMPTS the message is marked failed. Returns {"sent": n, "retry": n, "failed": n}."""
    counts = {"sent": 0, "retry": 0, "failed": 0}
    if not current_app.config.get("MAIL_SERVER"):
        return counts
    now = now or utcnow()
    server = None
    try:
        while counts["sent"] + counts["failed"] < limit:
            rows = _due(now, batch)
            if not rows:
                break
            stop = False
            for row in rows:
                if stop:
                    break
                try:
                    if server is None:
                        server = _connect()
                    server.send_message(build_message(row))
                except (OSError, smtplib.SMTPException) as error:
                    row.attempts += 1
                    row.last_error = f"{type(error).__name__}: {error}"[:500]
                    if row.attempts >= int(current_app.config["MAIL_MAX_ATTEMPTS"]):
                        row.status = OutboxStatus.failed
                        counts["failed"] += 1
                    else:
                        row.next_attempt_at = utcnow() + retry_delay(row.attempts)
                        counts["retry"] += 1
                    log.warning("e-mail %s to %s not sent: %s", row.id, row.to_address, row.last_error)
                    _close(server)
                    server = None
                    # one address refused: go on with the others; the server unwell: the rest waits
                    stop = not isinstance(error, smtplib.SMTPRecipientsRefused)
                    continue
                row.status, row.sent_at, row.attempts = OutboxStatus.sent, utcnow(), row.attempts + 1
                counts["sent"] += 1
            db.session.commit()
            if stop:
                break
    finally:
        _close(server)
    return counts


def _close(server) -> None:
    if server is not None:
        try:
            server.quit()
        except (OSError, smtplib.SMTPException):
            pass
