"""One-click unsubscribe without signing in (and unforgeable), and daily/weekly digests that group, deduplicate
and are sent once however often the command runs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from coordhub.extensions import db
from coordhub.notifications.digests import send_digests
from coordhub.notifications.mail import deliver_due, unsubscribe_token
from coordhub.notifications.models import Event, Frequency, Notification, Subscription
from coordhub.overlap import operations as overlap_ops
from tests.notifications.conftest import html_part, notices, subscribe, text_part
from tests.overlap.helpers import alerts, save_project


def _frequency(user, event):
    db.session.expire_all()
    row = db.session.get(Subscription, (user.id, event))
    return row.frequency if row else None


def test_the_link_in_the_email_unsubscribes_without_signing_in(world, smtp, client):
    focal = world.users["focal"]
    subscribe(focal, Event.alert_raised, Frequency.immediate)
    save_project(focal, world.operation, title="Classrooms Bozoum")
    save_project(world.users["other_focal"], world.operation, title="Bozoum schools")
    link = smtp.messages[0]["List-Unsubscribe"].strip().strip("<>").removeprefix("https://coordhub.example")
    page = client.get(link)
    assert page.status_code == 200 and "New or reopened overlap alerts" in page.get_data(as_text=True)
    assert _frequency(focal, Event.alert_raised) is Frequency.immediate  # a GET (link preview) changes nothing
    # RFC 8058: the mail client posts "List-Unsubscribe=One-Click", no cookie, no CSRF token
    done = client.post(link, data={"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200 and 'id="unsubscribed"' in done.get_data(as_text=True)
    assert _frequency(focal, Event.alert_raised) is Frequency.off
    assert _frequency(world.users["other_focal"], Event.alert_raised) is None  # nobody else
    overlap_ops.change_state(world.users["other_focal"], alerts()[0], "acknowledged", None, "seen")
    save_project(world.users["other_focal"], world.operation, title="More Bozoum schools")
    assert len(smtp.to(focal.email)) == 1  # the new alert was not e-mailed again
    assert notices(focal, Event.alert_raised)[-1].email is Frequency.off  # but it is on the page


def test_an_unsubscribe_link_cannot_be_forged_or_turned_to_another_user(world, client, app):
    focal, other = world.users["focal"], world.users["other_focal"]
    token = unsubscribe_token(focal.id, Event.alert_raised)
    _payload, _dot, signature = token.rpartition(".")
    # the same payload for another user, with the old signature, and a token signed with another key
    import base64
    import json

    forged = base64.urlsafe_b64encode(json.dumps([other.id, "alert_raised"]).encode()).decode().rstrip("=")
    from itsdangerous import URLSafeSerializer

    wrong_key = URLSafeSerializer("not-the-secret", salt="coordhub-unsubscribe").dumps([other.id, "all"])
    for bad in (f"{forged}.{signature}", token[:-2] + "xx", wrong_key, "nonsense"):
        assert client.post(f"/notifications/unsubscribe/{bad}").status_code == 404
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Subscription)) == 0
    assert client.post(f"/notifications/unsubscribe/{token}").status_code == 200
    assert _frequency(focal, Event.alert_raised) is Frequency.off and _frequency(other, Event.alert_raised) is None


def _day_of_alerts(world):
    """Three alerts about NGOA in a day, one of them changed twice."""
    first = save_project(world.users["focal"], world.operation, title="Classrooms Bozoum")
    save_project(world.users["other_focal"], world.operation, title="Bozoum schools")
    save_project(world.users["local_focal"], world.operation, title="Prefecture classrooms", pcodes=("CF63",))
    save_project(world.users["other_focal"], world.operation, pcodes=("CF711",), title="Bria schools")
    save_project(world.users["focal"], world.operation, pcodes=("CF711",), title="Bria classrooms")
    alert = next(
        a for a in alerts() if {a.organisation_a_id, a.organisation_b_id} == {world.ngo.id, world.other_ngo.id}
    )
    overlap_ops.change_state(world.users["other_focal"], alert, "acknowledged", None, "Talking to them")
    overlap_ops.change_state(world.users["other_focal"], alert, "resolved", "coordinated", "Agreed: we take Bozoum")
    return first


def test_a_daily_digest_groups_and_deduplicates_and_is_sent_once(world, smtp, app):
    focal = world.users["focal"]
    _day_of_alerts(world)
    raised = notices(focal, Event.alert_raised)
    changed = notices(focal, Event.alert_changed)
    assert len(raised) >= 3 and len(changed) == 2 and not smtp.messages  # the default for alerts: daily digest
    runner = app.test_cli_runner()
    first = runner.invoke(args=["send-digests", "--period", "daily"])
    assert first.exit_code == 0, first.output
    second = runner.invoke(args=["send-digests", "--period", "daily"])
    assert '"users": 0' in second.output
    mine = smtp.to(focal.email)
    assert len(mine) == 1
    text = text_part(mine[0])
    assert text.count("== ") == 2  # two groups: raised, changed
    assert "(2 updates)" in text and text.count("Agreed: we take Bozoum") == 1 and "Talking to them" not in text
    assert html_part(mine[0]).count("<li>") == len(raised) + 1
    assert mine[0]["Subject"] == f"Your daily coordhub digest: {len(raised) + 2} notices"
    assert all(n.digested_at is not None for n in notices(focal))
    # the weekly digest has nothing (nobody chose it), and tomorrow's daily digest nothing new either
    assert send_digests("weekly")["users"] == 0
    assert send_digests("daily", now=datetime.now(UTC).replace(tzinfo=None) + timedelta(days=1))["users"] == 0


def test_new_notices_after_todays_digest_wait_for_tomorrows(world, smtp):
    _day_of_alerts(world)
    send_digests("daily")
    deliver_due()
    before = len(smtp.messages)
    save_project(world.users["other_focal"], world.operation, title="Yet another Bozoum school")
    assert send_digests("daily")["users"] == 0  # already sent today
    tomorrow = send_digests("daily", now=datetime.now(UTC).replace(tzinfo=None) + timedelta(days=1))
    assert tomorrow["users"] >= 1
    deliver_due()
    assert len(smtp.messages) == before + tomorrow["users"]


def test_weekly_subscribers_get_only_the_weekly_digest_and_sector_filters_apply(world, smtp, client, login):
    from tests import factories

    focal = world.users["focal"]
    login(focal)
    health = factories.sector("HEALTH")
    response = client.post(
        "/notifications/settings", data={**{f"event_{e.value}": "weekly" for e in Event}, "sector_ids": [health.id]}
    )
    assert response.status_code == 302
    _day_of_alerts(world)  # education alerts: outside the chosen sector
    assert all(n.email is Frequency.off for n in notices(focal))
    assert send_digests("daily")["users"] >= 1 and not smtp.to(focal.email)
    db.session.execute(sa.update(Notification).values(digested_at=None))
    db.session.commit()
    client.post("/notifications/settings", data={f"event_{e.value}": "weekly" for e in Event})
    assert {n.email for n in notices(focal)} == {Frequency.off}  # digested or outside the sectors back then
    save_project(world.users["other_focal"], world.operation, title="Yet another Bozoum school")
    assert notices(focal)[-1].email is Frequency.weekly
    send_digests("weekly")
    deliver_due()
    (mail,) = smtp.to(focal.email)
    assert "weekly" in mail["Subject"]


def test_changing_the_settings_moves_waiting_notices_to_the_new_digest(world, client, login):
    focal = world.users["focal"]
    _day_of_alerts(world)
    waiting = [n for n in notices(focal) if n.email is Frequency.daily]
    assert waiting
    login(focal)
    client.post(
        "/notifications/settings",
        data={
            **{f"event_{e.value}": "daily" for e in Event},
            "event_alert_raised": "weekly",
            "event_alert_changed": "off",
        },
    )
    db.session.expire_all()
    after = {n.id: n for n in notices(focal)}
    assert all(
        after[n.id].email is (Frequency.weekly if n.event is Event.alert_raised else Frequency.off) for n in waiting
    )
    assert send_digests("daily")["users"] >= 1 and focal.id not in {
        n.user_id for n in db.session.scalars(sa.select(Notification).where(Notification.digested_at.is_not(None)))
    }
