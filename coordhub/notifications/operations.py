"""The only code that writes notices, subscriptions and read marks: notify() and the users' own settings."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from coordhub.audit.models import AuditAction, record
from coordhub.auth.models import User
from coordhub.database import utcnow
from coordhub.errors import NotFound, PermissionDenied, ValidationError
from coordhub.extensions import db
from coordhub.notifications.models import (
    DEFAULT_FREQUENCY,
    Event,
    Frequency,
    Notification,
    Subscription,
    subscription_areas,
    subscription_sectors,
)
from coordhub.registry.models import AdminArea, Sector, operation_members

# session.info key: a commit that wrote e-mail to the outbox starts delivery after it (see notifications.jobs).
OUTBOX_WRITTEN = "notifications_outbox_written"


@dataclass
class Notice:
    """One event for some users, as callers describe it (see notify())."""

    event: Event
    user_ids: set[int]
    operation_id: int | None = None
    subject_type: str = ""
    subject_id: int | None = None
    params: dict = field(default_factory=dict)
    url: str = ""
    actor_id: int | None = None
    sector_id: int | None = None
    area_path: str | None = None  # the admin area's path (subscriptions to an area include what is below it)


def notify(
    event: Event | str,
    users: Iterable[User | int],
    *,
    operation=None,
    subject_type: str = "",
    subject_id: int | None = None,
    params: dict | None = None,
    url: str = "",
    actor: User | None = None,
    sector_id: int | None = None,
    area: AdminArea | None = None,
) -> int:
    """Tell `users` that `event` happened (in the caller's transaction; the caller commits).

    Each user gets an in-app notice; those whose subscription asks for it also get it by e-mail, at once
    (stored in the outbox, sent by a background job after the commit) or in their daily or weekly digest.
    `subject_type`/`subject_id` name the thing ("alert", "run", "job", "project", "need", "report" …):
    records with `sensitive=True` are described to each reader as pages describe them. `params` are plain
    JSON values used to render the sentence in the reader's language (e.g. {"title": ..., "due": "2026-12-01"}).
    The acting user is never told about their own action; inactive users and users outside `operation`
    are skipped. Returns how many notices were written. Raises ValueError for an unknown event.
    """
    ids = {u if isinstance(u, int) else u.id for u in users}
    return notify_many(
        [
            Notice(
                Event(event),
                ids,
                getattr(operation, "id", None),
                subject_type,
                subject_id,
                dict(params or {}),
                url,
                getattr(actor, "id", None),
                sector_id,
                area.path if area is not None else None,
            )
        ]
    )


def _subscriptions(user_ids: set[int]) -> tuple[dict, dict, dict]:
    """Per user: {event: frequency} chosen, the sector ids and the area paths they limit themselves to."""
    frequencies: dict[int, dict[Event, Frequency]] = defaultdict(dict)
    sectors: dict[int, set[int]] = defaultdict(set)
    areas: dict[int, list[str]] = defaultdict(list)
    for chunk in _chunks(sorted(user_ids)):
        for row in db.session.execute(
            sa.select(Subscription.user_id, Subscription.event, Subscription.frequency).where(
                Subscription.user_id.in_(chunk)
            )
        ):
            frequencies[row.user_id][row.event] = row.frequency
        for user_id, sector_id in db.session.execute(
            sa.select(subscription_sectors).where(subscription_sectors.c.user_id.in_(chunk))
        ):
            sectors[user_id].add(sector_id)
        for user_id, path in db.session.execute(
            sa.select(subscription_areas.c.user_id, AdminArea.path)
            .join(AdminArea, AdminArea.id == subscription_areas.c.admin_area_id)
            .where(subscription_areas.c.user_id.in_(chunk))
        ):
            areas[user_id].append(path)
    return frequencies, sectors, areas


def _chunks(ids: list[int], size: int = 5000):
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def email_frequency(notice: Notice, user_id: int, frequencies: dict, sectors: dict, areas: dict) -> Frequency:
    """How the user gets this notice by e-mail: their choice for the event, unless the notice is outside the
    sectors or admin areas they chose (an area includes everything below it)."""
    frequency = frequencies.get(user_id, {}).get(notice.event, DEFAULT_FREQUENCY[notice.event])
    if frequency is Frequency.off:
        return frequency
    if notice.sector_id is not None and sectors.get(user_id) and notice.sector_id not in sectors[user_id]:
        return Frequency.off
    if (
        notice.area_path is not None
        and areas.get(user_id)
        and not any(notice.area_path.startswith(path) for path in areas[user_id])
    ):
        return Frequency.off
    return frequency


def _eligible(notices: list[Notice]) -> dict[int, User]:
    """The active recipients, members of the notices' operations (administrators see every operation)."""
    ids = {uid for n in notices for uid in n.user_ids}
    users: dict[int, User] = {}
    for chunk in _chunks(sorted(ids)):
        users.update(
            {u.id: u for u in db.session.scalars(sa.select(User).where(User.id.in_(chunk), User.active.is_(True)))}
        )
    members: set[tuple[int, int]] = set()
    operation_ids = {n.operation_id for n in notices if n.operation_id is not None}
    if operation_ids and users:
        for chunk in _chunks(sorted(users)):
            members.update(
                db.session.execute(
                    sa.select(operation_members.c.operation_id, operation_members.c.user_id).where(
                        operation_members.c.user_id.in_(chunk), operation_members.c.operation_id.in_(operation_ids)
                    )
                ).all()
            )
    for notice in notices:
        notice.user_ids = {
            uid
            for uid in notice.user_ids
            if uid in users
            and uid != notice.actor_id
            and (notice.operation_id is None or users[uid].is_admin or (notice.operation_id, uid) in members)
        }
    return users


def notify_many(notices: list[Notice]) -> int:
    """notify() for many events at once: one query per kind of thing however many notices (no commit)."""
    users = _eligible(notices)
    recipients = {uid for n in notices for uid in n.user_ids}
    if not recipients:
        return 0
    frequencies, sectors, areas = _subscriptions(recipients)
    now = utcnow()
    rows = []
    for notice in notices:
        for user_id in sorted(notice.user_ids):
            rows.append(
                {
                    "user_id": user_id,
                    "operation_id": notice.operation_id,
                    "event": notice.event,
                    "subject_type": notice.subject_type,
                    "subject_id": notice.subject_id,
                    "params": notice.params,
                    "url": notice.url[:300],
                    "actor_id": notice.actor_id,
                    "email": email_frequency(notice, user_id, frequencies, sectors, areas),
                    "digested_at": None,
                    "created_at": now,
                    "read_at": None,
                }
            )
    # Written in bulk (an import or a detection may tell thousands); ids back, in order, only for e-mail at once.
    table = Notification.__table__
    mailing = current_app.config.get("MAIL_SERVER") and any(row["email"] is Frequency.immediate for row in rows)
    if not mailing:
        db.session.execute(sa.insert(table), rows)
        return len(rows)
    ids = db.session.scalars(sa.insert(table).returning(table.c.id, sort_by_parameter_order=True), rows).all()
    immediate = [notification_id for notification_id, row in zip(ids, rows) if row["email"] is Frequency.immediate]
    if immediate:
        from coordhub.notifications.mail import queue_immediate

        written = db.session.scalars(
            sa.select(Notification).where(Notification.id.in_(immediate)).order_by(Notification.id)
        ).all()
        queue_immediate([(users[n.user_id], n) for n in written])
        db.session.info[OUTBOX_WRITTEN] = True
    return len(rows)


# --- the users' own settings and read marks -----------------------------------------------------------


def mark_read(user: User, notification: Notification) -> None:
    """Mark one of the user's notices as read. Commits."""
    if notification.user_id != user.id:
        raise NotFound(_("No such notification."))
    if notification.read_at is None:
        notification.read_at = utcnow()
        db.session.commit()


def mark_all_read(user: User) -> int:
    """Mark every unread notice of the user as read. Commits; returns how many."""
    result = db.session.execute(
        sa.update(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
    )
    db.session.commit()
    return result.rowcount


def save_subscriptions(
    user: User, target: User, choices: dict[str, str], sector_ids: list[int], area_ids: list[int]
) -> None:
    """Set `target`'s e-mail choice per event, and the sectors and admin areas they limit it to (empty: all).
    Only the user themselves (or an administrator) may. Commits."""
    if user.id != target.id and not user.is_admin:
        raise PermissionDenied(_("You can change only your own notifications."))
    parsed: dict[Event, Frequency] = {}
    for key, value in choices.items():
        try:
            event = Event(key)
        except ValueError:
            raise ValidationError(_("Unknown event '%(value)s'.", value=key), "event") from None
        try:
            parsed[event] = Frequency(value)
        except ValueError:
            raise ValidationError(_("Unknown choice '%(value)s'.", value=value), key) from None
    sector_ids = sorted({int(s) for s in sector_ids})
    area_ids = sorted({int(a) for a in area_ids})
    if sector_ids and len(db.session.scalars(sa.select(Sector.id).where(Sector.id.in_(sector_ids))).all()) != len(
        sector_ids
    ):
        raise ValidationError(_("Unknown sector."), "sector_ids")
    if area_ids:
        found = db.session.scalars(sa.select(AdminArea).where(AdminArea.id.in_(area_ids))).all()
        mine = {o.id for o in target.operations}
        if len(found) != len(area_ids) or not (target.is_admin or all(a.operation_id in mine for a in found)):
            raise ValidationError(_("Unknown admin area."), "area_ids")
    old = {
        s.event: s.frequency
        for s in db.session.scalars(sa.select(Subscription).where(Subscription.user_id == target.id))
    }
    for event, frequency in parsed.items():
        _set_frequency(target.id, event, frequency)
        # Notices waiting for a digest follow the new choice (at once: they stay on the page only).
        db.session.execute(
            sa.update(Notification)
            .where(
                Notification.user_id == target.id,
                Notification.event == event,
                Notification.digested_at.is_(None),
                Notification.email.in_([Frequency.daily, Frequency.weekly]),
            )
            .values(email=frequency if frequency in (Frequency.daily, Frequency.weekly) else Frequency.off)
            .execution_options(synchronize_session=False)
        )
    db.session.execute(sa.delete(subscription_sectors).where(subscription_sectors.c.user_id == target.id))
    db.session.execute(sa.delete(subscription_areas).where(subscription_areas.c.user_id == target.id))
    if sector_ids:
        db.session.execute(
            sa.insert(subscription_sectors), [{"user_id": target.id, "sector_id": s} for s in sector_ids]
        )
    if area_ids:
        db.session.execute(
            sa.insert(subscription_areas), [{"user_id": target.id, "admin_area_id": a} for a in area_ids]
        )
    changes = {
        event.value: [old.get(event, DEFAULT_FREQUENCY[event]).value, frequency.value]
        for event, frequency in parsed.items()
        if old.get(event, DEFAULT_FREQUENCY[event]) is not frequency
    }
    record(
        user,
        AuditAction.update,
        target,
        {"notifications": changes, "sectors": sector_ids, "areas": area_ids},
        summary=_("Notification settings of %(email)s", email=target.email),
    )
    db.session.commit()


def _set_frequency(user_id: int, event: Event, frequency: Frequency) -> None:
    row = db.session.get(Subscription, (user_id, event))
    if row is None:
        db.session.add(Subscription(user_id=user_id, event=event, frequency=frequency))
    else:
        row.frequency = frequency


def unsubscribe(user_id: int, event: Event | None) -> User:
    """Stop the e-mail of one event (None: of every event) for the user named by a signed unsubscribe link.
    The link is the proof (no sign-in: mail clients post it, RFC 8058). Commits."""
    target = db.session.get(User, user_id)
    if target is None:
        raise NotFound(_("This unsubscribe link is no longer valid."))
    events = [event] if event is not None else list(Event)
    for one in events:
        _set_frequency(target.id, one, Frequency.off)
    db.session.execute(
        sa.update(Notification)
        .where(
            Notification.user_id == target.id,
            Notification.event.in_(events),
            Notification.digested_at.is_(None),
            Notification.email.in_([Frequency.daily, Frequency.weekly]),
        )
        .values(email=Frequency.off)
    )
    record(
        None,
        AuditAction.update,
        target,
        {"notifications": {e.value: [None, "off"] for e in events}},
        summary=_("Unsubscribed by e-mail link: %(email)s", email=target.email),
    )
    db.session.commit()
    return target


def current_frequencies(user: User) -> dict[Event, Frequency]:
    chosen = {
        s.event: s.frequency for s in db.session.scalars(sa.select(Subscription).where(Subscription.user_id == user.id))
    }
    return {event: chosen.get(event, DEFAULT_FREQUENCY[event]) for event in Event}
