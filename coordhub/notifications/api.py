"""/api/v1/notifications: a user's notices (as the pages show them) and marking them read."""

from __future__ import annotations

from typing import Any

from flask import jsonify, request

from coordhub.api.core import api_route, paginate
from coordhub.api.openapi import EXTRA_PATHS, EXTRA_SCHEMAS, ID, PAGING, _error_responses, _json, _page, _ref
from coordhub.errors import NotFound
from coordhub.extensions import db
from coordhub.notifications import operations as ops
from coordhub.notifications.models import Notification
from coordhub.notifications.present import Subjects, show
from coordhub.notifications.queries import notifications_of


def serialise_notification(n: Notification, user, subjects: Subjects | None = None) -> dict[str, Any]:
    shown = show(user, n, subjects or Subjects([n]))
    return {
        "id": n.id,
        "event": n.event.value,
        "text": shown.sentence,
        "detail": shown.detail,
        "url": n.url,
        "operation_id": n.operation_id,
        "created_at": n.created_at.isoformat() + "Z",
        "read": n.read_at is not None,
    }


@api_route("/notifications")
def list_notifications(user):
    query = notifications_of(user, unread_only=request.args.get("unread") in ("1", "true"))
    return paginate(query, lambda n: serialise_notification(n, user))


@api_route("/notifications/<id:notification_id>/read", methods=["POST"])
def read_notification(notification_id: int, user):
    notification = db.session.get(Notification, notification_id)
    if notification is None or notification.user_id != user.id:
        raise NotFound("No such notification.")
    ops.mark_read(user, notification)
    return jsonify(serialise_notification(notification, user))


EXTRA_SCHEMAS["Notification"] = {
    "type": "object",
    "required": ["id", "event", "text", "detail", "url", "created_at", "read"],
    "properties": {
        "id": {"type": "integer"},
        "event": {"type": "string"},
        "text": {"type": "string"},
        "detail": {"type": "string"},
        "url": {"type": "string"},
        "operation_id": {"type": ["integer", "null"]},
        "created_at": {"type": "string"},
        "read": {"type": "boolean"},
    },
}
EXTRA_PATHS.update(
    {
        "/notifications": {
            "get": {
                "summary": "Your notifications, newest first (sensitive entries described as the pages describe them)",
                "tags": ["notifications"],
                "parameters": PAGING[:2]
                + [{"name": "unread", "in": "query", "schema": {"type": "string", "enum": ["0", "1"]}}],
                "responses": {"200": _json(_page(_ref("Notification"))), **_error_responses(401)},
            }
        },
        "/notifications/{notification_id}/read": {
            "post": {
                "summary": "Mark one of your notifications as read",
                "tags": ["notifications"],
                "parameters": [{"name": "notification_id", "in": "path", "required": True, "schema": ID}],
                "responses": {"200": _json(_ref("Notification")), **_error_responses(401, 404)},
            }
        },
    }
)
