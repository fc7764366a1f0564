"""Each event reaches exactly the right people (rights, operation membership, sensitivity), in-app and by e-mail
through a real SMTP server."""

from __future__ import annotations

import sqlalchemy as sa

from coordhub.auth.models import Role
from coordhub.extensions import db
from coordhub.jobs.runner import job_handlers, register_job_handler, start_job
from coordhub.notifications.models import Event, Frequency
from coordhub.notifications.present import Subjects, show
from coordhub.overlap import operations as overlap_ops
from tests import factories
from tests.notifications.conftest import notices, recipients, subscribe, text_part
from tests.overlap.helpers import alerts, save_project


def _pair(world, sensitive=False):
    first = save_project(world.users["focal"], world.operation, title="Classrooms Bozoum A")
    second = save_project(
        world.users["other_focal"], world.operation, title="Secret classrooms Bozoum", sensitive=sensitive
    )
    (alert,) = alerts()
    return first, second, alert


def test_a_new_alert_tells_both_organisations_and_no_one_else(world):
    elsewhere = factories.make_user(world.other_ngo, Role.focal_point, [world.other_operation])
    _pair(world)
    # detection raised it (no acting user): every member of the operation in the two organisations, also the
    # one whose save raised it; not the coordinator, the prefecture, nor NGOB's people of another operation
    told = recipients(Event.alert_raised)
    assert told == {world.users["focal"].id, world.users["other_focal"].id, world.users["viewer"].id}
    assert elsewhere.id not in told


def test_a_sensitive_side_is_redacted_in_the_notice_and_the_email(world, smtp):
    subscribe(world.users["focal"], Event.alert_raised, Frequency.immediate)
    subscribe(world.users["other_focal"], Event.alert_raised, Frequency.immediate)
    _pair(world, sensitive=True)
    (notice,) = notices(world.users["focal"], Event.alert_raised)
    sentence = show(world.users["focal"], notice, Subjects([notice])).sentence
    assert "sensitive entry" in sentence and "NGOB" not in sentence and "Secret" not in sentence
    (mail,) = smtp.to(world.users["focal"].email)
    assert "NGOB" not in mail.as_string() and "Secret" not in mail.as_string()
    assert "sensitive entry" in text_part(mail)
    # the owner of the sensitive entry sees both sides in full
    (own,) = smtp.to(world.users["other_focal"].email)
    assert "NGOA" in text_part(own)
    assert smtp.recipients == sorted([world.users["focal"].email, world.users["other_focal"].email])


def test_a_state_change_tells_the_others_not_the_actor_and_hides_a_sensitive_author(world):
    first, second, alert = _pair(world, sensitive=True)
    overlap_ops.change_state(world.users["other_focal"], alert, "acknowledged", None, "We are talking to them.")
    told = recipients(Event.alert_changed)
    assert told == {world.users["focal"].id, world.users["viewer"].id}
    (notice,) = notices(world.users["focal"], Event.alert_changed)
    shown = show(world.users["focal"], notice, Subjects([notice]))
    assert "someone of the organisation behind the sensitive entry" in shown.sentence
    assert world.users["other_focal"].name not in shown.sentence
    assert shown.detail == "We are talking to them."
    (viewer_notice,) = notices(world.users["viewer"], Event.alert_changed)  # same organisation: named
    assert (
        world.users["other_focal"].name
        in show(world.users["viewer"], viewer_notice, Subjects([viewer_notice])).sentence
    )


def test_an_archived_project_closes_the_alert_and_tells_both_sides(world):
    from coordhub.registry import operations as registry_ops

    first, second, alert = _pair(world)
    registry_ops.set_archived(world.users["focal"], first, True)
    assert recipients(Event.alert_changed) == {
        world.users["other_focal"].id,
        world.users["viewer"].id,
        world.users["focal"].id,
    }


def test_many_alerts_at_once_become_one_notice_per_user(world):
    from coordhub.notifications import events

    first = save_project(world.users["focal"], world.operation)
    for index in range(events.BULK_ALERTS + 1):
        save_project(world.users["other_focal"], world.operation, title=f"Other {index}")
    # each save raised one alert: notices one by one; now a full detection reopens nothing (no flood either)
    assert len(notices(world.users["focal"], Event.alert_raised)) == events.BULK_ALERTS + 1
    db.session.execute(sa.text("DELETE FROM notifications"))
    ids = [a.id for a in alerts()]
    events.alerts_changed(ids, Event.alert_raised)
    db.session.commit()
    (summary,) = notices(world.users["focal"], Event.alert_raised)
    about_ngoa = [a for a in alerts() if world.ngo.id in (a.organisation_a_id, a.organisation_b_id)]
    assert summary.subject_type == "alerts" and summary.params == {"count": len(about_ngoa)} and len(ids) > 21
    assert "new or reopened overlap alerts" in show(world.users["focal"], summary, Subjects([summary])).sentence
    assert first.id


def _published(world, client, login):
    from tests.allocation.test_partners import published_run

    return published_run(world, login, client)


def test_a_published_run_tells_the_organisations_with_assignments(world, client, login):
    s, run = _published(world, client, login)
    told = recipients(Event.allocation_published)
    # NGOA and NGOB have assignments; the prefecture (needs only) and the coordinator who published do not
    assert told == {world.users["focal"].id, world.users["other_focal"].id, world.users["viewer"].id}
    (notice,) = notices(world.users["focal"], Event.allocation_published)
    assert notice.params["assignments"] == 3 and notice.url == "/allocations/mine"


def test_a_declined_assignment_tells_the_coordinators(world, client, login, smtp):
    from tests.allocation.helpers import assignment

    s, run = _published(world, client, login)
    login(world.users["focal"])
    declined = assignment(run, s.low, s.ngo_classrooms)
    client.post(f"/allocations/mine/{declined.id}/respond", data={"decision": "declined", "reason": "no access"})
    # the operation's coordinator and the administrator who is a member of it; no partner
    assert recipients(Event.assignment_declined) == {world.users["coordinator"].id, world.users["admin"].id}
    (mail,) = smtp.to(world.users["coordinator"].email)
    assert "NGOA declined an assignment" in text_part(mail) and "no access" in text_part(mail)


def _failing(job, progress):
    raise RuntimeError("the file has no header row")


def test_a_finished_or_failed_job_tells_who_started_it(world, app):
    register_job_handler(app, "test-notify-fails", _failing)
    try:
        _a_failed_job_tells_who_started_it(world)
    finally:
        job_handlers().pop("test-notify-fails")


def _a_failed_job_tells_who_started_it(world):
    start_job("test-notify-fails", {}, user=world.users["coordinator"], operation=world.operation)
    (notice,) = notices(event=Event.job_done)
    assert notice.user_id == world.users["coordinator"].id and notice.params["status"] == "failed"
    shown = show(world.users["coordinator"], notice, Subjects([notice]))
    assert "failed" in shown.sentence and "no header row" in shown.detail
    assert notice.url.startswith("/jobs/")


def test_account_and_token_changes_tell_the_account_owner(world, client, login, smtp):
    from coordhub.auth import operations as account_operations

    focal = world.users["focal"]
    login(focal)
    client.post("/account/tokens", data={"name": "laptop"})
    (mail,) = smtp.to(focal.email)
    assert "laptop" in mail["Subject"]
    account_operations.save_user(world.users["admin"], {"name": "Renamed"}, focal)
    changed = notices(focal, Event.account_changed)
    assert len(changed) == 2 and changed[1].params["fields"] == ["name"]
    assert len(smtp.to(focal.email)) == 2
    assert recipients(Event.account_changed) == {focal.id}
