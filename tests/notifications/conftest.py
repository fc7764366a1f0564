"""A real SMTP server on loopback (aiosmtpd on a free port) for the notification tests, and helpers."""

from __future__ import annotations

import email
import socket
import threading
from email.policy import default as default_policy

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller

from coordhub.extensions import db
from coordhub.notifications.models import Event, Frequency, Notification, Subscription


class Mailbox:
    """What the SMTP server received; `refuse` makes it answer 451 (try again later) to every message."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self.refuse = False
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        if self.refuse:
            return "451 4.3.0 Mail server temporarily unavailable"
        with self.lock:
            self.messages.append(email.message_from_bytes(envelope.content, policy=default_policy))
        return "250 OK"

    def to(self, address: str) -> list:
        return [m for m in self.messages if m["To"] == address]

    @property
    def recipients(self) -> list[str]:
        return sorted(m["To"] for m in self.messages)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp(app, config):
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    config(MAIL_SERVER="127.0.0.1", MAIL_PORT=controller.port, MAIL_BASE_URL="https://coordhub.example")
    try:
        yield mailbox
    finally:
        controller.stop()


def text_part(message) -> str:
    return message.get_body(("plain",)).get_content()


def html_part(message) -> str:
    return message.get_body(("html",)).get_content()


def notices(user=None, event: Event | None = None) -> list[Notification]:
    query = sa.select(Notification).order_by(Notification.id)
    if user is not None:
        query = query.where(Notification.user_id == user.id)
    if event is not None:
        query = query.where(Notification.event == event)
    return list(db.session.scalars(query))


def recipients(event: Event) -> set[int]:
    return {n.user_id for n in notices(event=event)}


def subscribe(user, event: Event, frequency: Frequency) -> None:
    db.session.merge(Subscription(user_id=user.id, event=event, frequency=frequency))
    db.session.commit()
