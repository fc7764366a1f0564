"""Notices as one reader may see them: a sentence in the reader's language, sensitive entries redacted as pages
redact them (reusing coordhub.overlap.present and coordhub.auth.rights), and a link."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from types import SimpleNamespace

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from coordhub.auth import rights
from coordhub.auth.models import User
from coordhub.extensions import db
from coordhub.notifications.models import Event, Notification
from coordhub.overlap import present as overlap_present
from coordhub.overlap.models import STATE_LABELS, AlertState, OverlapAlert
from coordhub.registry.models import Capacity, Need, Project

RECORD_KINDS = {"project": Project, "need": Need, "capacity": Capacity}


class Subjects:
    """The things a batch of notices is about, loaded once (pages, e-mails and digests of many users); add()
    loads only what is not loaded yet, so a digest run shares one load between its batches of users."""

    def __init__(self, notifications: Iterable[Notification] = ()):
        self.alerts: dict[int, OverlapAlert] = {}
        self.records: dict[tuple[str, int], object] = {}
        self.add(notifications)

    def add(self, notifications: Iterable[Notification]) -> None:
        wanted: dict[str, set[int]] = {}
        for n in notifications:
            if n.subject_id is not None:
                wanted.setdefault(n.subject_type, set()).add(n.subject_id)
        ids = sorted(wanted.get("alert", set()) - set(self.alerts))
        for start in range(0, len(ids), 5000):
            for alert in db.session.scalars(
                sa.select(OverlapAlert)
                .where(OverlapAlert.id.in_(ids[start : start + 5000]))
                .options(
                    selectinload(OverlapAlert.project_a).selectinload(Project.organisation),
                    selectinload(OverlapAlert.project_b).selectinload(Project.organisation),
                    selectinload(OverlapAlert.sector),
                    selectinload(OverlapAlert.shared_area),
                )
            ):
                self.alerts[alert.id] = alert
        for kind, model in RECORD_KINDS.items():
            missing = sorted(i for i in wanted.get(kind, ()) if (kind, i) not in self.records)
            if missing:
                for row in db.session.scalars(sa.select(model).where(model.id.in_(missing))):
                    self.records[(kind, row.id)] = row


@dataclass
class Shown:
    notification: Notification
    sentence: str
    detail: str = ""  # a person's words (a comment, a message), when the reader may see them


def _record_title(user: User, n: Notification, subjects: Subjects) -> str:
    """The record's title, or "a sensitive entry" for readers who may not see it."""
    record = subjects.records.get((n.subject_type, n.subject_id))
    if record is None:  # a kind this module does not know (e.g. monitoring's reports): the caller's params
        record = SimpleNamespace(
            sensitive=bool(n.params.get("sensitive")), organisation_id=n.params.get("organisation_id")
        )
        title = n.params.get("title", "")
    else:
        title = record.title
    return title if rights.can_see_details(user, record) else _("a sensitive entry")


def _actor(user: User, n: Notification, alert: OverlapAlert | None) -> str:
    if n.actor is None:
        return _("Overlap detection") if n.actor_id is None else _("a deleted account")
    if alert is not None and overlap_present.author_hidden(user, alert, SimpleNamespace(user=n.actor)):
        return _("someone of the organisation behind the sensitive entry")
    return f"{n.actor.name} ({n.actor.organisation.label})"


def show(user: User, n: Notification, subjects: Subjects) -> Shown:
    """The notice `n` for `user` (its recipient): a sentence in the current locale, redacted for them."""
    p = n.params or {}
    event = n.event
    alert = subjects.alerts.get(n.subject_id) if n.subject_type == "alert" else None
    if n.subject_type == "alert" and alert is None:
        return Shown(n, _("An overlap alert that no longer exists."))
    if event is Event.alert_raised:
        if n.subject_type == "alerts":
            return Shown(n, _("%(n)d new or reopened overlap alerts about your organisation.", n=p.get("count", 0)))
        text = overlap_present.explanation(user, alert)
        if p.get("reopened"):
            return Shown(n, _("Overlap alert opened again: %(text)s", text=text))
        return Shown(n, _("New overlap alert: %(text)s", text=text))
    if event is Event.alert_changed:
        state = STATE_LABELS.get(AlertState(p["state"])) if p.get("state") in AlertState._value2member_map_ else ""
        return Shown(
            n,
            _(
                "%(who)s: alert now %(state)s. %(text)s",
                who=_actor(user, n, alert),
                state=state,
                text=overlap_present.explanation(user, alert),
            ),
            p.get("comment", ""),
        )
    if event is Event.allocation_published:
        return Shown(
            n,
            _(
                "Allocation run %(id)s was published with %(n)d assignments for your organisation.",
                id=n.subject_id,
                n=p.get("assignments", 0),
            ),
        )
    if event is Event.assignment_declined:
        return Shown(
            n,
            _(
                "%(org)s declined an assignment of run %(run)s for the need %(need)s.",
                org=p.get("organisation", ""),
                run=p.get("run", ""),
                need=_record_title(user, n, subjects),
            ),
            p.get("reason", ""),
        )
    if event in (Event.report_due, Event.report_late, Event.report_returned):
        title = _record_title(user, n, subjects)
        sentences = {
            Event.report_due: _("Report due on %(date)s: %(title)s", date=p.get("due", ""), title=title),
            Event.report_late: _("Report late since %(date)s: %(title)s", date=p.get("due", ""), title=title),
            Event.report_returned: _("Report returned for correction: %(title)s", title=title),
        }
        return Shown(n, sentences[event], p.get("comment", ""))
    if event is Event.job_done:
        if p.get("status") == "failed":
            return Shown(n, _("Your background job (%(kind)s) failed.", kind=p.get("kind", "")), p.get("error", ""))
        return Shown(n, _("Your background job (%(kind)s) finished.", kind=p.get("kind", "")))
    if event is Event.account_changed:
        what = p.get("what")
        if what == "token_created":
            return Shown(
                n, _("A new API token \u201c%(name)s\u201d was created for your account.", name=p.get("name", ""))
            )
        if what == "token_revoked":
            return Shown(n, _("Your API token \u201c%(name)s\u201d was revoked.", name=p.get("name", "")))
        who = (
            _("you")
            if p.get("by_self")
            else _actor(user, n, None)
            if n.actor_id
            else _("an administrator (command line)")
        )
        return Shown(
            n, _("Your account was changed by %(who)s: %(fields)s.", who=who, fields=", ".join(p.get("fields", [])))
        )
    if event is Event.owner_message:
        return Shown(
            n,
            _(
                "%(org)s asks about your organisation's sensitive entry in an overlap alert (%(text)s).",
                org=p.get("sender_organisation", ""),
                text=overlap_present.explanation(user, alert) if alert else "",
            ),
            p.get("body", ""),
        )
    if event is Event.owner_reply:
        return Shown(
            n,
            _("The owner of the sensitive entry answered your message: %(who)s.", who=p.get("answered_by", "")),
            p.get("answer", ""),
        )
    return Shown(n, str(event.value))


def show_many(user: User, notifications: list[Notification], subjects: Subjects | None = None) -> list[Shown]:
    subjects = subjects or Subjects(notifications)
    return [show(user, n, subjects) for n in notifications]
