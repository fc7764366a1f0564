"""Notifications: in-app notices and e-mail (at once or in digests) about events other modules report.

Other modules tell users about something with `notify(event, users, ...)` (see operations.notify), or with
the helpers of `events` (alerts, allocations, jobs, accounts) that also work out who must be told."""

from __future__ import annotations


def notify(event, users, **kwargs) -> int:
    """See coordhub.notifications.operations.notify (imported late: models of every module must exist first)."""
    from coordhub.notifications.operations import notify as _notify

    return _notify(event, users, **kwargs)
