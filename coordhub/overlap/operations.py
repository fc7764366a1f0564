"""The only code that changes overlap alerts by hand: state changes, read marks, starting full detection."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _

from coordhub.audit.models import AuditAction, record
from coordhub.auth.models import User
from coordhub.database import utcnow
from coordhub.errors import PermissionDenied, ValidationError
from coordhub.extensions import db
from coordhub.notifications import events as notifications
from coordhub.notifications.models import Event
from coordhub.overlap.detection import pair_signature
from coordhub.overlap.models import AlertEvent, AlertRead, AlertState, OverlapAlert, Resolution
from coordhub.overlap.queries import unread_clause
from coordhub.overlap.rights import about_organisation_clause, can_change_alert, can_run_detection, can_see_alert
from coordhub.registry.models import Operation

# The lifecycle: open → acknowledged → resolved (how) or dismissed (not an overlap); any of these can be
# opened again. "closed" belongs to detection (the pair no longer overlaps): people cannot set or leave it.
TRANSITIONS: dict[AlertState, tuple[AlertState, ...]] = {
    AlertState.open: (AlertState.acknowledged, AlertState.resolved, AlertState.dismissed),
    AlertState.acknowledged: (AlertState.resolved, AlertState.dismissed, AlertState.open),
    AlertState.resolved: (AlertState.open,),
    AlertState.dismissed: (AlertState.open,),
    AlertState.closed: (),
}
MAX_COMMENT = 2000


def allowed_states(alert: OverlapAlert) -> tuple[AlertState, ...]:
    return TRANSITIONS[alert.state]


def change_state(
    user: User, alert: OverlapAlert, state: str | AlertState, resolution: str | Resolution | None, comment: str
) -> OverlapAlert:
    """Move an alert to `state` (with `resolution` when resolved), with a comment. Commits.

    Dismissing remembers both projects' sector, areas and dates: detection raises the pair again only when
    one of them changes. Raises PermissionDenied or ValidationError (naming the field).
    """
    if not can_see_alert(user, alert):
        raise PermissionDenied(_("You cannot see this alert."))
    if not can_change_alert(user, alert):
        raise PermissionDenied(
            _("Only the focal points of the two organisations and coordinators can change this alert.")
        )
    try:
        state = AlertState(state)
    except ValueError:
        raise ValidationError(_("Unknown state '%(value)s'.", value=state), "state") from None
    if state not in TRANSITIONS[alert.state]:
        raise ValidationError(
            _("An alert that is %(old)s cannot become %(new)s.", old=alert.state_label, new=state.value), "state"
        )
    if state is AlertState.resolved:
        if resolution in (None, ""):
            raise ValidationError(_("Say how it was resolved: coordinated, merged or complementary."), "resolution")
        try:
            resolution = Resolution(resolution)
        except ValueError:
            raise ValidationError(_("Unknown resolution '%(value)s'.", value=resolution), "resolution") from None
    elif resolution not in (None, ""):
        raise ValidationError(_("A resolution is given only when resolving."), "resolution")
    else:
        resolution = None
    comment = (comment or "").strip() if isinstance(comment, str) else ""
    if not comment:
        raise ValidationError(_("Say why in a comment."), "comment")
    if len(comment) > MAX_COMMENT:
        raise ValidationError(_("At most %(n)d characters.", n=MAX_COMMENT), "comment")

    now = utcnow()
    old = alert.state
    alert.events.append(
        AlertEvent(at=now, user_id=user.id, from_state=old, to_state=state, resolution=resolution, comment=comment)
    )
    alert.state, alert.resolution, alert.changed_at = state, resolution, now
    alert.dismissed_signature = pair_signature(alert) if state is AlertState.dismissed else None
    changes = {"state": [old.value, state.value]}
    if resolution is not None:
        changes["resolution"] = [None, resolution.value]
    record(user, AuditAction.update, alert, changes, summary=comment)
    notifications.alerts_changed([alert.id], Event.alert_changed, user, {"state": state.value, "comment": comment})
    _mark_read(user, alert.id, now)
    db.session.commit()
    return alert


def _mark_read(user: User, alert_id: int, when) -> None:
    mark = db.session.get(AlertRead, (user.id, alert_id))
    if mark is None:
        db.session.add(AlertRead(user_id=user.id, alert_id=alert_id, read_at=when))
    else:
        mark.read_at = when


def mark_read(user: User, alert: OverlapAlert) -> None:
    """Remember that `user` has seen the alert as it is now. Commits."""
    if can_see_alert(user, alert):
        _mark_read(user, alert.id, max(utcnow(), alert.changed_at))
        db.session.commit()


def mark_all_read(user: User, operation: Operation) -> int:
    """Mark every unread alert about the user's organisation in `operation` as read. Commits; returns how many."""
    ids = db.session.scalars(
        sa.select(OverlapAlert.id).where(
            OverlapAlert.operation_id == operation.id,
            about_organisation_clause(user.organisation_id),
            unread_clause(user),
        )
    ).all()
    now = utcnow()
    for alert_id in ids:
        _mark_read(user, alert_id, now)
    db.session.commit()
    return len(ids)


def start_detection(user: User, operation: Operation, result_url: str = ""):
    """Start full detection for `operation` as a background job (coordinators, administrators)."""
    from coordhub.jobs.runner import start_job

    if not can_run_detection(user, operation):
        raise PermissionDenied(_("Only coordinators run overlap detection for a whole operation."))
    return start_job(
        "overlap-detection", {"operation_id": operation.id}, user=user, operation=operation, result_url=result_url
    )
