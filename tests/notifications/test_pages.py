"""The notifications page (unread state, opened → read → the thing), the navigation badge, settings, and the API."""

from __future__ import annotations

from coordhub.extensions import db
from coordhub.notifications.models import Event, Frequency, Subscription
from tests.notifications.conftest import notices
from tests.overlap.helpers import alerts, save_project


def _raise(world):
    save_project(world.users["focal"], world.operation, title="Classrooms Bozoum")
    save_project(world.users["other_focal"], world.operation, title="Bozoum schools", sensitive=True)


def test_the_page_lists_unread_notices_and_opening_one_marks_it_read(world, client, login):
    _raise(world)
    login(world.users["focal"])
    page = client.get("/notifications/").get_data(as_text=True)
    assert "New overlap alert: NGOA and a sensitive entry" in page and "unread" in page
    assert "Bozoum schools" not in page and "NGOB" not in page
    assert 'notifications_unread' not in page
    home = client.get("/").get_data(as_text=True)
    assert "Notifications" in home
    (notice,) = notices(world.users["focal"])
    opened = client.get(f"/notifications/{notice.id}")
    assert opened.status_code == 302 and opened.headers["Location"] == f"/overlaps/{alerts()[0].id}"
    db.session.expire_all()
    assert notices(world.users["focal"])[0].read_at is not None
    assert "fw-semibold" not in client.get("/notifications/?unread=1").get_data(as_text=True)


def test_someone_elses_notice_is_not_found(world, client, login):
    _raise(world)
    (theirs,) = notices(world.users["other_focal"])
    login(world.users["focal"])
    assert client.get(f"/notifications/{theirs.id}").status_code == 404
    db.session.expire_all()
    assert notices(world.users["other_focal"])[0].read_at is None


def test_mark_all_read(world, client, login):
    _raise(world)
    login(world.users["focal"])
    client.post("/notifications/read-all")
    db.session.expire_all()
    assert all(n.read_at for n in notices(world.users["focal"]))
    assert notices(world.users["other_focal"])[0].read_at is None


def test_settings_are_saved_and_bad_choices_refused(world, client, login):
    login(world.users["focal"])
    page = client.get("/notifications/settings").get_data(as_text=True)
    assert "daily digest" in page and "Only these admin areas" in page
    data = {f"event_{e.value}": "immediate" for e in Event}
    data["event_alert_changed"] = "off"
    assert client.post("/notifications/settings", data=data).status_code == 302
    db.session.expire_all()
    assert db.session.get(Subscription, (world.users["focal"].id, Event.alert_changed)).frequency is Frequency.off
    data["event_alert_changed"] = "hourly"
    refused = client.post("/notifications/settings", data=data)
    assert refused.status_code == 422 and "Not a valid choice" in refused.get_data(as_text=True)
    data["event_alert_changed"] = "off"
    data["area_ids"] = ["999999"]
    assert "not a valid choice" in client.post("/notifications/settings", data=data).get_data(as_text=True)


def test_area_subscriptions_include_everything_below(world, client, login):
    from tests import factories

    login(world.users["focal"])
    data = {f"event_{e.value}": "immediate" for e in Event}
    province = factories.area(world.operation, "CF63")
    client.post("/notifications/settings", data={**data, "area_ids": [province.id]})
    _raise(world)  # in Bozoum (CF632), below CF63
    assert notices(world.users["focal"])[0].email is Frequency.immediate
    client.post("/notifications/settings", data={**data, "area_ids": [factories.area(world.operation, "CF71").id]})
    save_project(world.users["other_focal"], world.operation, title="More Bozoum schools")
    assert notices(world.users["focal"])[-1].email is Frequency.off


def test_the_api_lists_and_marks_read(world, client, token_for):
    _raise(world)
    headers = token_for(world.users["focal"])
    body = client.get("/api/v1/notifications?unread=1", headers=headers).get_json()
    assert body["total"] == 1 and body["items"][0]["event"] == "alert_raised"
    assert "sensitive entry" in body["items"][0]["text"] and "NGOB" not in body["items"][0]["text"]
    notice_id = body["items"][0]["id"]
    assert client.post(f"/api/v1/notifications/{notice_id}/read", headers=headers).get_json()["read"] is True
    assert client.get("/api/v1/notifications?unread=1", headers=headers).get_json()["total"] == 0
    other = token_for(world.users["other_focal"])
    assert client.post(f"/api/v1/notifications/{notice_id}/read", headers=other).status_code == 404
