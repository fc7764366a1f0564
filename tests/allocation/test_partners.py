"""Publishing a run, each partner's assignments with accept / decline, declines becoming forbidden pairs, and who
may do what (partners see only their own organisation's assignments; other operations see nothing)."""

from __future__ import annotations

import csv
import io

import sqlalchemy as sa

from coordhub.allocation.models import AllocationForbiddenPair, AllocationResponse, Decision
from coordhub.allocation.queries import pending_count
from coordhub.auth.models import Role
from coordhub.extensions import db
from tests import factories
from tests.allocation.helpers import (
    DEFAULT_FORM,
    assignment,
    body_after_request,
    make_scenario,
    quantities,
    run_from_form,
)
from tests.allocation.test_runs import text_of


def published_run(world, login, client):
    s = make_scenario(world)
    login(world.users["coordinator"])
    run = run_from_form(client)
    assert client.post(f"/allocations/{run.id}/publish").status_code == 302
    db.session.refresh(run)
    assert run.published and run.published_by_id == world.users["coordinator"].id
    return s, run


def test_partners_see_only_their_own_assignments_with_sensitive_needs_redacted(world, login, client):
    published_run(world, login, client)
    login(world.users["focal"])  # NGOA
    page = text_of(client.get("/allocations/mine"))
    assert "Assignments of NGOA" in page
    assert "NGOA classroom teams" in page and "NGOB classroom team" not in page
    assert "Classrooms Bozoum" in page and "Classrooms Bocaranga" in page
    # The prefecture's sensitive need: NGOA delivers to it but may not see its details.
    assert "Survivors of the March attack" not in page and "Sensitive entry (details restricted)" in page
    assert "Bocaranga (CF633) · Victim assistance case management · P4" in page
    assert pending_count(world.users["focal"], world.operation) == 3
    rows = list(csv.DictReader(io.StringIO(body_after_request(client.get("/allocations/mine.csv")))))[1:]
    assert len(rows) == 3 and {r["organisation_acronym"] for r in rows} == {"NGOA"}
    assert "Survivors of the March attack" not in {r["need"] for r in rows}
    login(world.users["other_focal"])  # NGOB
    page = text_of(client.get("/allocations/mine"))
    assert "NGOB classroom team" in page and "NGOA classroom teams" not in page
    # The navigation badge counts what is waiting for an answer.
    assert 'data-badge>1</span>' in client.get("/").get_data(as_text=True)


def test_accept_then_decline_with_a_reason_becomes_a_forbidden_pair(world, login, client):
    s, run = published_run(world, login, client)
    login(world.users["focal"])
    accepted = assignment(run, s.high, s.ngo_classrooms)
    declined = assignment(run, s.low, s.ngo_classrooms)
    client.post(f"/allocations/mine/{accepted.id}/respond", data={"decision": "accepted"})
    response = client.post(
        f"/allocations/mine/{declined.id}/respond", data={"decision": "declined"}, follow_redirects=True
    )
    assert "Say why you decline." in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AllocationForbiddenPair)) == 0
    client.post(
        f"/allocations/mine/{declined.id}/respond",
        data={"decision": "declined", "reason": "no access to Bocaranga in the rainy season"},
    )
    answers = {r.assignment_id: r for r in db.session.scalars(sa.select(AllocationResponse))}
    assert answers[accepted.id].decision is Decision.accepted
    assert answers[declined.id].decision is Decision.declined
    pair = db.session.scalar(sa.select(AllocationForbiddenPair))
    assert (pair.need_id, pair.capacity_id) == (s.low.id, s.ngo_classrooms.id) and pair.from_decline
    assert pair.reason == "declined by NGOA: no access to Bocaranga in the rainy season"
    assert pending_count(world.users["focal"], world.operation) == 1
    page = text_of(client.get("/allocations/mine"))
    assert "accepted" in page and "declined no access to Bocaranga" in page

    login(world.users["coordinator"])
    page = text_of(client.get(f"/allocations/{run.id}"))
    assert "1 accepted, 1 declined, 1 waiting" in page
    assert "partner declined" in text_of(client.get("/allocations/constraints"))
    nxt = run_from_form(client)
    assert (s.low.id, s.ngo_classrooms.id) not in quantities(nxt)
    assert "declined by NGOA: no access to Bocaranga" in text_of(client.get(f"/allocations/{nxt.id}"))
    # A declined pair cannot be pinned against the partner's answer.
    row = assignment(run, s.low, s.ngo_classrooms)
    response = client.post(f"/allocations/{run.id}/assignments/{row.id}/pin", follow_redirects=True)
    assert "NGOA declined this assignment" in response.get_data(as_text=True)

    # Accepting after all lifts the exclusion that came from the decline.
    login(world.users["focal"])
    client.post(f"/allocations/mine/{declined.id}/respond", data={"decision": "accepted"})
    assert db.session.scalar(sa.select(AllocationForbiddenPair)) is None


def test_only_the_latest_published_run_takes_answers(world, login, client):
    s, run = published_run(world, login, client)
    newer = run_from_form(client)
    client.post(f"/allocations/{newer.id}/publish")
    login(world.users["focal"])
    old_row = assignment(run, s.high, s.ngo_classrooms)
    response = client.post(
        f"/allocations/mine/{old_row.id}/respond", data={"decision": "accepted"}, follow_redirects=True
    )
    assert "no longer the published allocation" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(AllocationResponse)) is None


def test_non_coordinators_cannot_run_publish_pin_or_forbid(world, login, client):
    s, run = published_run(world, login, client)
    row = assignment(run, s.high, s.ngo_classrooms)
    for role in ("focal", "local_focal", "viewer"):
        login(world.users[role])
        assert client.get("/allocations/").headers["Location"] == "/allocations/mine"
        for url in (
            "/allocations/new",
            f"/allocations/{run.id}",
            f"/allocations/{run.id}/assignments.csv",
            "/allocations/constraints",
            f"/allocations/compare?a={run.id}&b={run.id}",
        ):
            assert client.get(url).status_code == 403, (role, url)
        for url in (
            "/allocations/new",
            f"/allocations/{run.id}/publish",
            f"/allocations/{run.id}/assignments/{row.id}/pin",
            f"/allocations/{run.id}/assignments/{row.id}/forbid",
        ):
            assert client.post(url, data=DEFAULT_FORM).status_code == 403, (role, url)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AllocationForbiddenPair)) == 0


def test_partners_cannot_answer_for_another_organisation_and_viewers_not_at_all(world, login, client):
    s, run = published_run(world, login, client)
    ngoa_row = assignment(run, s.high, s.ngo_classrooms)
    login(world.users["other_focal"])  # NGOB
    assert client.post(f"/allocations/mine/{ngoa_row.id}/respond", data={"decision": "accepted"}).status_code == 404
    viewer = factories.make_user(world.ngo, Role.viewer, [world.operation])
    login(viewer)  # NGOA's viewer sees NGOA's assignments but does not answer
    page = client.get("/allocations/mine").get_data(as_text=True)
    assert "NGOA classroom teams" in page and "Decline" not in page
    assert client.post(f"/allocations/mine/{ngoa_row.id}/respond", data={"decision": "accepted"}).status_code == 403
    assert db.session.scalar(sa.select(AllocationResponse)) is None


def test_other_operations_see_nothing(world, login, client):
    s, run = published_run(world, login, client)
    login(world.users["outsider"])  # NGOB focal point of the other operation only
    page = text_of(client.get("/allocations/mine"))
    assert "No allocation has been published in Elsewhere 2026 yet." in page
    assert (
        client.post(
            f"/allocations/mine/{assignment(run, s.high, s.other_classrooms).id}/respond", data={"decision": "accepted"}
        ).status_code
        == 404
    )
    admin = world.users["admin"]
    admin.current_operation = world.other_operation
    db.session.commit()
    login(admin)  # an administrator working in the other operation does not reach this operation's runs
    assert client.get(f"/allocations/{run.id}").status_code == 404
    assert client.get(f"/allocations/compare?a={run.id}&b={run.id}").status_code == 404
    assert "No allocation has been run yet." in text_of(client.get("/allocations/"))


def test_infeasible_runs_cannot_be_published(world, login, client):
    make_scenario(world)
    login(world.users["coordinator"])
    # Every admin-1 area must get 100% of what can reach it, but a budget cap of 0 forbids any NGOA delivery.
    run = run_from_form(client, min_admin1_coverage="100", budget_caps="NGOA = 0", time_limit_seconds="10")
    assert run.status.value == "infeasible", run.notes
    response = client.post(f"/allocations/{run.id}/publish", follow_redirects=True)
    assert "An infeasible run cannot be published" in response.get_data(as_text=True)
    db.session.refresh(run)
    assert not run.published
