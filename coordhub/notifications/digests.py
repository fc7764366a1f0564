"""Daily and weekly digests: each user's pending notices grouped by kind, one line per thing, one e-mail per
period (running the command twice sends it once)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import gettext as _

from coordhub.auth.models import User
from coordhub.database import utcnow
from coordhub.extensions import db
from coordhub.notifications.mail import _locale, _outbox_row, external_url, links, open_url, unsubscribe_token
from coordhub.notifications.models import EVENT_LABELS, Event, Frequency, Notification, OutboxMessage
from coordhub.notifications.present import Shown, Subjects, show

# Lines listed per kind of event in one digest; the rest are counted ("and 40 more") and on the page.
MAX_LINES = 30
USERS_PER_BATCH = 200


class PendingNotice:
    """A notice shown in a digest, as present.show() reads it (light: no ORM identity map)."""

    __slots__ = ("id", "user_id", "event", "subject_type", "subject_id", "params", "actor_id", "created_at", "actor")  # noqa: RUF023 (positional order)

    def __init__(self, *values) -> None:
        for name, value in zip(self.__slots__, values):
            setattr(self, name, value)


def _completed(plans: dict[int, list]) -> dict[int, list]:
    """The plans with their shown notices completed (params, actor): two queries for the whole batch."""
    ids = [n.id for planned in plans.values() for _event, lines, _more in planned for n, _count in lines]
    table = Notification.__table__
    full: dict[int, tuple] = {}
    for start in range(0, len(ids), 5000):
        for row in db.session.execute(
            sa.select(*[table.c[name] for name in PendingNotice.__slots__[:-1]]).where(
                table.c.id.in_(ids[start : start + 5000])
            )
        ):
            full[row.id] = tuple(row)
    actor_ids = {values[6] for values in full.values() if values[6] is not None}
    actors = {u.id: u for u in db.session.scalars(sa.select(User).where(User.id.in_(actor_ids)))} if actor_ids else {}
    return {
        uid: [
            (event, [(PendingNotice(*full[n.id], actors.get(full[n.id][6])), count) for n, count in lines], more)
            for event, lines, more in planned
        ]
        for uid, planned in plans.items()
    }


@dataclass
class DigestLine:
    shown: Shown
    updates: int  # notices about the same thing folded into this line
    url: str


@dataclass
class DigestGroup:
    label: str
    lines: list[DigestLine]
    more: int


def period_key(period: Frequency, now: datetime) -> str:
    if period is Frequency.daily:
        return now.date().isoformat()
    year, week, _day = now.isocalendar()
    return f"{year}-W{week:02d}"


def plan(notifications: list) -> list[tuple[Event, list[tuple[object, int]], int]]:
    """Notices (oldest first) grouped by event (in the order of Event), one line per thing (the latest notice
    about it, with how many were folded into it), newest first, at most MAX_LINES lines a group:
    [(event, [(notice, count)], more)]."""
    by_event: dict[Event, dict[tuple, list]] = {}
    for n in notifications:
        key = (n.subject_type, n.subject_id) if n.subject_id is not None else ("notice", n.id)
        things = by_event.setdefault(n.event, {})
        folded = things.pop(key, None) or [None, 0]
        folded[0], folded[1] = n, folded[1] + 1
        things[key] = folded  # (re-inserted: the dict ends ordered by latest notice)
    planned = []
    for event in Event:
        things = by_event.get(event)
        if things:
            latest = list(reversed(things.values()))
            planned.append((event, [(n, count) for n, count in latest[:MAX_LINES]], max(len(latest) - MAX_LINES, 0)))
    return planned


def groups(user: User, planned: list, subjects: Subjects) -> list[DigestGroup]:
    """The planned lines as `user` may read them, in the current locale."""
    return [
        DigestGroup(
            str(EVENT_LABELS[event]),
            [DigestLine(show(user, n, subjects), count, open_url(n.id)) for n, count in lines],
            more,
        )
        for event, lines, more in planned
    ]


def send_digests(period: Frequency | str, now: datetime | None = None) -> dict:
    """Put one digest e-mail per user with pending notices for `period` (daily or weekly) in the outbox and
    mark those notices digested. Idempotent: a user who already has this period's digest (its dedupe key) gets
    nothing more until the next period. Commits per batch of users. Returns {"users": n, "notices": n}."""
    period = Frequency(period)
    if period not in (Frequency.daily, Frequency.weekly):
        raise ValueError("period must be daily or weekly")
    now = now or utcnow()
    key = period_key(period, now)
    pending = sa.and_(Notification.email == period, Notification.digested_at.is_(None))
    user_ids = db.session.scalars(
        sa.select(Notification.user_id).where(pending).distinct().order_by(Notification.user_id)
    ).all()
    counts = {"users": 0, "notices": 0, "skipped": 0}
    subjects = Subjects()  # shared by the batches: an alert in many users' digests is loaded once
    session = db.session()
    expire, session.expire_on_commit = session.expire_on_commit, False  # (nor reloaded after each batch)
    try:
        with links():
            for start in range(0, len(user_ids), USERS_PER_BATCH):
                _batch(user_ids[start : start + USERS_PER_BATCH], period, key, now, counts, subjects)
    finally:
        session.expire_on_commit = expire
    return counts


def _batch(batch: list[int], period: Frequency, key: str, now: datetime, counts: dict, subjects: Subjects) -> None:
    """The digests of some users, in one transaction."""
    pending = sa.and_(Notification.email == period, Notification.digested_at.is_(None))
    keys = {uid: f"{period.value}:{uid}:{key}" for uid in batch}
    done = set(
        db.session.scalars(sa.select(OutboxMessage.dedupe_key).where(OutboxMessage.dedupe_key.in_(list(keys.values()))))
    )
    users = {u.id: u for u in db.session.scalars(sa.select(User).where(User.id.in_(batch)))}
    # Plain rows, not ORM objects: a batch may hold a hundred thousand notices; the shown ones are completed below.
    table = Notification.__table__
    rows = db.session.execute(
        sa.select(
            table.c.id, table.c.user_id, table.c.event, table.c.subject_type, table.c.subject_id, table.c.created_at
        )
        .where(pending, Notification.user_id.in_(batch), Notification.created_at <= now)
        .order_by(table.c.user_id, table.c.created_at, table.c.id)
    ).all()
    mine: dict[int, list] = {}
    for row in rows:
        mine.setdefault(row.user_id, []).append(row)
    plans = {uid: plan(notices) for uid, notices in mine.items() if keys[uid] not in done}
    plans = _completed(plans)
    subjects.add(n for planned in plans.values() for _event, lines, _more in planned for n, _count in lines)
    mails, digested = [], []
    for uid in batch:
        if keys[uid] in done or uid not in mine:
            counts["skipped"] += 1
            continue
        user = users[uid]
        digested.extend(n.id for n in mine[uid])
        if not user.active:
            continue
        with force_locale(_locale(user)):
            shown = groups(user, plans[uid], subjects)
            subject = (
                _("Your daily coordhub digest: %(n)d notices", n=len(mine[uid]))
                if period is Frequency.daily
                else _("Your weekly coordhub digest: %(n)d notices", n=len(mine[uid]))
            )
            mails.append(
                _outbox_row(
                    user,
                    subject,
                    "digest",
                    {"groups": shown, "period": period, "inbox_url": external_url("notifications.inbox")},
                    external_url("notifications.unsubscribe", token=unsubscribe_token(uid, None)),
                    keys[uid],
                )
            )
        counts["users"] += 1
        counts["notices"] += len(mine[uid])
    if mails:
        db.session.execute(sa.insert(OutboxMessage.__table__), mails)
    for chunk_start in range(0, len(digested), 5000):
        db.session.execute(
            sa.update(Notification)
            .where(Notification.id.in_(digested[chunk_start : chunk_start + 5000]))
            .values(digested_at=now)
            .execution_options(synchronize_session=False)
        )
    db.session.commit()
