"""E-mail through a real SMTP server: both parts, the recipient's language, unsubscribe headers, and a failing
server that neither loses a message (it is retried later) nor slows a save."""

from __future__ import annotations

import socket
import threading
import time
from datetime import timedelta

import sqlalchemy as sa

from coordhub.database import utcnow
from coordhub.extensions import db
from coordhub.jobs.models import Job
from coordhub.notifications.mail import deliver_due
from coordhub.notifications.models import Event, Frequency, OutboxMessage, OutboxStatus
from tests.notifications.conftest import html_part, subscribe, text_part
from tests.overlap.helpers import save_project


def _raise_alert(world):
    save_project(world.users["focal"], world.operation, title="Classrooms Bozoum")
    save_project(world.users["other_focal"], world.operation, title="Bozoum schools")


def _outbox() -> list[OutboxMessage]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)))


def test_an_email_has_text_and_html_a_settings_link_and_one_click_unsubscribe(world, smtp):
    subscribe(world.users["focal"], Event.alert_raised, Frequency.immediate)
    _raise_alert(world)
    (mail,) = smtp.messages
    assert mail["To"] == world.users["focal"].email and mail["Subject"].startswith("New overlap alert")
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    link = mail["List-Unsubscribe"].strip().strip("<>")
    assert link.startswith("https://coordhub.example/notifications/unsubscribe/")
    text, html = text_part(mail), html_part(mail)
    assert "https://coordhub.example/notifications/settings" in text and link in text
    assert "<a href=\"https://coordhub.example/notifications/settings\">" in html
    assert "https://coordhub.example/notifications/" in text  # the notice's own link (opens and marks read)
    assert _outbox()[0].status is OutboxStatus.sent


def test_the_email_is_in_the_recipients_language(world, smtp):
    world.users["focal"].locale = "fr"
    db.session.commit()
    subscribe(world.users["focal"], Event.alert_raised, Frequency.immediate)
    subscribe(world.users["other_focal"], Event.alert_raised, Frequency.immediate)
    _raise_alert(world)
    (french,) = smtp.to(world.users["focal"].email)
    (english,) = smtp.to(world.users["other_focal"].email)
    assert french["Subject"].startswith("Nouvelle alerte de chevauchement")
    assert "Paramètres des notifications" in html_part(french)
    assert english["Subject"].startswith("New overlap alert")


def test_a_refusing_server_loses_nothing_and_the_message_is_sent_later(world, smtp):
    subscribe(world.users["focal"], Event.alert_raised, Frequency.immediate)
    smtp.refuse = True
    _raise_alert(world)
    (row,) = _outbox()
    assert row.status is OutboxStatus.pending and row.attempts == 1 and "451" in row.last_error
    assert row.next_attempt_at > utcnow()
    assert deliver_due() == {"sent": 0, "retry": 0, "failed": 0}  # not due yet
    smtp.refuse = False
    assert deliver_due(now=utcnow() + timedelta(minutes=5)) == {"sent": 1, "retry": 0, "failed": 0}
    (row,) = _outbox()
    assert row.status is OutboxStatus.sent and row.attempts == 2
    assert len(smtp.to(world.users["focal"].email)) == 1


def test_a_server_that_is_down_leaves_the_message_for_the_send_mail_command(world, smtp, app):
    subscribe(world.users["focal"], Event.alert_raised, Frequency.immediate)
    port = app.config["MAIL_PORT"]
    app.config["MAIL_PORT"] = _closed_port()
    _raise_alert(world)
    (row,) = _outbox()
    assert row.status is OutboxStatus.pending and "Connection" in row.last_error
    app.config["MAIL_PORT"] = port
    row.next_attempt_at = utcnow()
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["send-mail"])
    assert result.exit_code == 0 and '"sent": 1' in result.output
    assert len(smtp.messages) == 1


def test_a_message_is_given_up_after_the_last_attempt(world, smtp, app):
    subscribe(world.users["focal"], Event.alert_raised, Frequency.immediate)
    smtp.refuse = True
    app.config["MAIL_MAX_ATTEMPTS"] = 2
    try:
        _raise_alert(world)
        assert deliver_due(now=utcnow() + timedelta(hours=7)) == {"sent": 0, "retry": 0, "failed": 1}
    finally:
        app.config["MAIL_MAX_ATTEMPTS"] = 10
    assert _outbox()[0].status is OutboxStatus.failed


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_hanging_server_does_not_slow_a_save(world, smtp, app):
    """The SMTP server accepts the connection and then says nothing: delivery waits in a background thread
    while the save returns at once; the message stays in the outbox for later."""
    subscribe(world.users["focal"], Event.alert_raised, Frequency.immediate)
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(5)
    app.config.update(MAIL_PORT=silent.getsockname()[1], MAIL_TIMEOUT=3, JOBS_MODE="thread")
    try:
        save_project(world.users["focal"], world.operation, title="Classrooms Bozoum")
        began = time.perf_counter()
        save_project(world.users["other_focal"], world.operation, title="Bozoum schools")
        elapsed = time.perf_counter() - began
        for thread in threading.enumerate():
            if thread.name.startswith("job-"):
                thread.join(timeout=30)
    finally:
        app.config.update(MAIL_TIMEOUT=10, JOBS_MODE="eager")
        silent.close()
    assert elapsed < 2.5, elapsed  # the SMTP timeout alone is 3 s
    (row,) = _outbox()
    assert row.status is OutboxStatus.pending and row.attempts == 1 and "timed out" in row.last_error
    assert (
        db.session.scalar(sa.select(sa.func.count()).select_from(Job).where(Job.kind == "notifications-deliver")) == 1
    )


def test_with_redis_the_email_goes_through_an_rq_worker(world, smtp, app):
    from redis import Redis
    from rq import Queue, SimpleWorker

    redis = Redis.from_url("redis://127.0.0.1:6379/8")
    queue = Queue("coordhub", connection=redis)
    queue.empty()
    subscribe(world.users["focal"], Event.alert_raised, Frequency.immediate)
    app.config.update(REDIS_URL="redis://127.0.0.1:6379/8", JOBS_MODE="thread")
    try:
        _raise_alert(world)
        assert queue.count == 1 and not smtp.messages  # the save only queued the delivery
        SimpleWorker([queue], connection=redis).work(burst=True)
    finally:
        app.config.update(REDIS_URL=None, JOBS_MODE="eager")
        queue.empty()
    assert len(smtp.to(world.users["focal"].email)) == 1
    assert _outbox()[0].status is OutboxStatus.sent
