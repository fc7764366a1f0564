"""What other modules call when something happens: each finds who must be told (rights and sensitivity) and
hands the notices to notify(). Every function writes in the caller's transaction and never commits."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

import sqlalchemy as sa

from coordhub.auth.models import Role, User
from coordhub.extensions import db
from coordhub.notifications.models import Event
from coordhub.notifications.operations import Notice, notify, notify_many
from coordhub.registry.models import AdminArea, operation_members

# More alert notices than this for one user in one transaction (an import, a full detection) become one
# notice "N new or reopened alerts" linking to their alerts, instead of flooding the page and the mailbox.
BULK_ALERTS = 20


def path_for(endpoint: str, **values) -> str:
    """A link inside coordhub (a path), also from jobs and commands where there is no request."""
    from flask import current_app, has_request_context, url_for

    if has_request_context():
        return url_for(endpoint, **values)
    with current_app.test_request_context("/"):
        return url_for(endpoint, **values)


def organisation_members(
    operation_id: int, organisation_ids: Iterable[int], roles: Iterable[Role] | None = None
) -> dict[int, set[int]]:
    """Active users of each organisation who are members of the operation: {organisation id: {user ids}}."""
    query = (
        sa.select(User.organisation_id, User.id)
        .join(operation_members, operation_members.c.user_id == User.id)
        .where(
            operation_members.c.operation_id == operation_id,
            User.active.is_(True),
            User.organisation_id.in_(list(set(organisation_ids))),
        )
    )
    if roles is not None:
        query = query.where(User.role.in_(list(roles)))
    found: dict[int, set[int]] = defaultdict(set)
    for organisation_id, user_id in db.session.execute(query):
        found[organisation_id].add(user_id)
    return found


def coordinators(operation_id: int) -> set[int]:
    """The operation's coordinators and the administrators who are members of it."""
    return set(
        db.session.scalars(
            sa.select(User.id)
            .join(operation_members, operation_members.c.user_id == User.id)
            .where(
                operation_members.c.operation_id == operation_id,
                User.active.is_(True),
                User.role.in_([Role.coordinator, Role.admin]),
            )
        )
    )


# --- overlap alerts ----------------------------------------------------------------------------------


def alerts_changed(
    alert_ids: Iterable[int], event: Event, actor: User | None = None, params: dict | None = None
) -> int:
    """Alerts raised, reopened (Event.alert_raised) or changed (Event.alert_changed, params: state, comment):
    tell the users of the two organisations concerned (those who may see the alert), not the actor."""
    from coordhub.overlap.models import OverlapAlert

    ids = sorted(set(alert_ids))
    if not ids:
        return 0
    rows = []
    for start in range(0, len(ids), 5000):
        rows.extend(
            db.session.execute(
                sa.select(
                    OverlapAlert.id,
                    OverlapAlert.operation_id,
                    OverlapAlert.organisation_a_id,
                    OverlapAlert.organisation_b_id,
                    OverlapAlert.sector_id,
                    AdminArea.path,
                )
                .join(AdminArea, AdminArea.id == OverlapAlert.shared_area_id)
                .where(OverlapAlert.id.in_(ids[start : start + 5000]))
            ).all()
        )
    notices: list[Notice] = []
    for operation_id in {row.operation_id for row in rows}:
        mine = [row for row in rows if row.operation_id == operation_id]
        members = organisation_members(
            operation_id, {o for r in mine for o in (r.organisation_a_id, r.organisation_b_id)}
        )
        per_user: dict[int, list] = defaultdict(list)
        for row in mine:
            for user_id in members.get(row.organisation_a_id, set()) | members.get(row.organisation_b_id, set()):
                per_user[user_id].append(row)
        bulk = {uid for uid, alerts in per_user.items() if len(alerts) > BULK_ALERTS}
        for row in mine:
            users = (members.get(row.organisation_a_id, set()) | members.get(row.organisation_b_id, set())) - bulk
            if users:
                notices.append(
                    Notice(
                        event,
                        users,
                        operation_id,
                        "alert",
                        row.id,
                        dict(params or {}),
                        path_for("overlap.alert", alert_id=row.id),
                        getattr(actor, "id", None),
                        row.sector_id,
                        row.path,
                    )
                )
        for uid in bulk:
            notices.append(
                Notice(
                    event,
                    {uid},
                    operation_id,
                    "alerts",
                    None,
                    {"count": len(per_user[uid])},
                    path_for("overlap.inbox"),
                    getattr(actor, "id", None),
                )
            )
    return notify_many(notices)


# --- allocations ----------------------------------------------------------------------------------------


def run_published(run, actor: User) -> int:
    """A run was published: tell the users of each organisation with assignments in it."""
    from coordhub.allocation.models import AllocationAssignment

    counts = dict(
        db.session.execute(
            sa.select(AllocationAssignment.organisation_id, sa.func.count())
            .where(AllocationAssignment.run_id == run.id)
            .group_by(AllocationAssignment.organisation_id)
        ).all()
    )
    members = organisation_members(run.operation_id, counts)
    url = path_for("allocation.mine")
    return notify_many(
        [
            Notice(
                Event.allocation_published,
                users,
                run.operation_id,
                "run",
                run.id,
                {"assignments": counts[org]},
                url,
                actor.id,
            )
            for org, users in members.items()
        ]
    )


def assignment_declined(assignment, actor: User, reason: str) -> int:
    """A partner declined an assignment: tell the operation's coordinators."""
    need = assignment.need
    return notify(
        Event.assignment_declined,
        coordinators(assignment.run.operation_id),
        operation=assignment.run.operation,
        subject_type="need",
        subject_id=need.id,
        params={"organisation": assignment.organisation.label, "run": assignment.run_id, "reason": reason},
        url=path_for("allocation.run", run_id=assignment.run_id),
        actor=actor,
        sector_id=need.sector_id,
        area=need.area,
    )


# --- background jobs and accounts ------------------------------------------------------------------------


def job_done(job) -> int:
    """A job finished or failed: tell who started it (jobs of the system itself, without a user, tell nobody)."""
    if job.user_id is None:
        return 0
    url = job.result_url if job.status.value == "finished" and job.result_url else path_for("jobs.show", job_id=job.id)
    return notify(
        Event.job_done,
        [job.user_id],
        operation=None,
        subject_type="job",
        params={"kind": job.kind, "status": job.status.value, "error": (job.error or "")[:300]},
        url=url,
    )


def account_changed(user: User, actor: User | None, what: str, **params) -> int:
    """The user's account (what="account", fields=[...]) or API tokens ("token_created", "token_revoked",
    name=...) changed: tell the user, even when they did it (a stolen session shows up this way)."""
    notice = Notice(
        Event.account_changed,
        {user.id},
        None,
        "user",
        user.id,
        {"what": what, **params},
        path_for("notifications.settings") if what == "account" else path_for("auth.tokens"),
        None,
    )
    notice.actor_id = getattr(actor, "id", None)
    if notice.actor_id == user.id:
        notice.actor_id = None  # the owner is told too; notify() never tells the actor
        notice.params["by_self"] = True
    return notify_many([notice])


def alerts_detected(raised: Iterable[int], reopened: Iterable[int], closed: Iterable[int]) -> int:
    """Overlap detection's changes (called by coordhub.overlap.detection.reconcile)."""
    return (
        alerts_changed(raised, Event.alert_raised)
        + alerts_changed(reopened, Event.alert_raised, params={"reopened": True})
        + alerts_changed(closed, Event.alert_changed, params={"state": "closed"})
    )
