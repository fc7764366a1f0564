"""Publishing asks for confirmation (who gets how many assignments), a coordinator withdraws a publication
(audited; answers kept and shown as given before the withdrawal; partners no longer answer), the same through
the API, and the partners' page after answering (the answer replaces the buttons, with a way to change it)."""

from __future__ import annotations

import sqlalchemy as sa

from coordhub.allocation.models import AllocationResponse, Decision
from coordhub.allocation.queries import latest_published_run, pending_count
from coordhub.audit.models import AuditEntry
from coordhub.extensions import db
from tests.allocation.helpers import assignment, make_scenario, run_from_form
from tests.allocation.test_partners import published_run
from tests.allocation.test_runs import text_of


def test_publish_asks_for_confirmation_naming_partners_and_counts(world, login, client):
    make_scenario(world)
    login(world.users["coordinator"])
    run = run_from_form(client)
    page = client.get(f"/allocations/{run.id}").get_data(as_text=True)
    assert f'href="/allocations/{run.id}/publish"' in page  # a link to the confirmation, not a one-click form
    confirm = text_of(client.get(f"/allocations/{run.id}/publish"))
    assert "2 partners will see their assignments (4 in all)" in confirm
    assert "NGOA 3" in confirm and "NGOB 1" in confirm and "Publish now" in confirm and "Cancel" in confirm
    db.session.refresh(run)
    assert not run.published  # looking at the confirmation publishes nothing
    assert client.post(f"/allocations/{run.id}/publish").status_code == 302
    db.session.refresh(run)
    assert run.published and latest_published_run(world.operation) is run
    # A second run's confirmation says the first stops being current.
    second = run_from_form(client)
    assert f"Run #{run.id}, published" in text_of(client.get(f"/allocations/{second.id}/publish"))


def test_withdraw_keeps_answers_and_stops_partners_answering(world, login, client):
    s, run = published_run(world, login, client)
    login(world.users["focal"])
    accepted = assignment(run, s.high, s.ngo_classrooms)
    client.post(f"/allocations/mine/{accepted.id}/respond", data={"decision": "accepted"})
    assert pending_count(world.users["focal"], world.operation) == 2
    # Partners cannot withdraw, neither by the page nor by posting.
    assert client.get(f"/allocations/{run.id}/withdraw").status_code == 403
    assert client.post(f"/allocations/{run.id}/withdraw", data={"reason": "x"}).status_code == 403

    login(world.users["coordinator"])
    assert f'href="/allocations/{run.id}/withdraw"' in client.get(f"/allocations/{run.id}").get_data(as_text=True)
    confirm = text_of(client.get(f"/allocations/{run.id}/withdraw"))
    assert "2 partners will no longer see their assignments (4 in all)" in confirm
    assert "NGOA 3 1" in confirm and "Withdraw now" in confirm
    too_long = text_of(client.post(f"/allocations/{run.id}/withdraw", data={"reason": "x" * 501}))
    assert "Field cannot be longer than 500 characters." in too_long
    response = client.post(f"/allocations/{run.id}/withdraw", data={"reason": "wrong capacities file"})
    assert response.status_code == 302
    db.session.refresh(run)
    assert run.withdrawn and run.withdrawn_by_id == world.users["coordinator"].id
    assert run.withdrawal_reason == "wrong capacities file" and latest_published_run(world.operation) is None
    entry = db.session.scalar(
        sa.select(AuditEntry).where(AuditEntry.entity_type == "AllocationRun").order_by(AuditEntry.id.desc()).limit(1)
    )
    assert entry.changes["withdrawn"] == [False, True] and entry.user_id == world.users["coordinator"].id
    page = text_of(client.get(f"/allocations/{run.id}"))
    assert "publication withdrawn" in page and "Reason: wrong capacities file" in page
    assert "accepted answered before withdrawal" in page
    assert "publication withdrawn" in text_of(client.get("/allocations/"))
    # A withdrawn run is not published again; its confirmation says why.
    assert "cannot be published again" in text_of(client.get(f"/allocations/{run.id}/publish"))
    client.post(f"/allocations/{run.id}/publish")
    db.session.refresh(run)
    assert run.withdrawn

    login(world.users["focal"])
    mine = text_of(client.get("/allocations/mine"))
    assert "was withdrawn on" in mine and "Reason: wrong capacities file" in mine
    assert "accepted answered before withdrawal" in mine and "not answered before withdrawal" in mine
    assert 'value="declined"' not in client.get("/allocations/mine").get_data(as_text=True)
    assert pending_count(world.users["focal"], world.operation) == 0
    late = assignment(run, s.low, s.ngo_classrooms)
    client.post(f"/allocations/mine/{late.id}/respond", data={"decision": "accepted"})
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AllocationResponse)) == 1
    # Publishing another run makes it current again.
    login(world.users["coordinator"])
    second = run_from_form(client)
    client.post(f"/allocations/{second.id}/publish")
    assert latest_published_run(world.operation).id == second.id


def test_withdraw_through_the_api(world, client, token_for):
    make_scenario(world)
    coordinator, partner = token_for(world.users["coordinator"]), token_for(world.users["focal"])
    run_id = client.post("/api/v1/allocation-runs", headers=coordinator, json={}).get_json()["id"]
    assert client.post(f"/api/v1/allocation-runs/{run_id}/withdraw", headers=coordinator).status_code == 422
    client.post(f"/api/v1/allocation-runs/{run_id}/publish", headers=coordinator)
    assert client.post(f"/api/v1/allocation-runs/{run_id}/withdraw", headers=partner, json={}).status_code == 403
    bad = client.post(f"/api/v1/allocation-runs/{run_id}/withdraw", headers=coordinator, json={"why": "x"})
    assert bad.status_code == 422 and "why" in bad.get_data(as_text=True)
    body = client.post(
        f"/api/v1/allocation-runs/{run_id}/withdraw", headers=coordinator, json={"reason": "redo"}
    ).get_json()
    assert body["withdrawn"] and body["withdrawn_at"] and body["withdrawal_reason"] == "redo"
    listed = client.get("/api/v1/allocation-runs", headers=partner).get_json()["items"][0]
    assert listed["id"] == run_id and listed["withdrawn"]
    spec = client.get("/api/v1/openapi.json").get_json()
    assert "/allocation-runs/{run_id}/withdraw" in spec["paths"]


def test_answer_replaces_the_buttons_and_can_be_changed(world, login, client):
    s, run = published_run(world, login, client)
    login(world.users["focal"])
    one = assignment(run, s.high, s.ngo_classrooms)
    client.post(f"/allocations/mine/{one.id}/respond", data={"decision": "accepted"})
    html = client.get("/allocations/mine").get_data(as_text=True)
    row = html.split(f'/allocations/mine/{one.id}/respond')[0].rsplit("<tr>", 1)[1]
    assert "accepted" in row and "Change the answer" in row
    after = html.split(f'/allocations/mine/{one.id}/respond')[1].split("</tr>")[0]
    assert 'value="declined"' in after and 'value="accepted"' not in after
    assert "USD" in text_of(client.get("/allocations/mine"))
    client.post(f"/allocations/mine/{one.id}/respond", data={"decision": "declined", "reason": "road cut"})
    assert db.session.scalar(sa.select(AllocationResponse)).decision is Decision.declined


def test_allocations_link_only_for_those_who_run_them(world, login, client):
    login(world.users["focal"])
    html = client.get("/").get_data(as_text=True)
    assert 'href="/allocations/mine"' in html and 'href="/allocations/"' not in html
    login(world.users["coordinator"])
    html = client.get("/").get_data(as_text=True)
    assert 'href="/allocations/"' in html and 'href="/allocations/mine"' in html


def test_compare_says_what_differs_in_the_inputs(world, login, client):
    s = make_scenario(world)
    login(world.users["coordinator"])
    first = run_from_form(client)
    same = text_of(client.get(f"/allocations/compare?a={first.id}&b={run_from_form(client).id}"))
    assert "exactly the same input" in same and "differs" not in same.split("What the runs were given")[1]
    client.post(
        f"/allocations/{first.id}/assignments/{assignment(first, s.high, s.ngo_classrooms).id}/pin",
        data={"quantity": "5"},
    )
    second = run_from_form(client, min_admin1_coverage="20", weight_5="20")
    page = text_of(client.get(f"/allocations/compare?a={first.id}&b={second.id}"))
    assert "The input differs: the policy, pins changed between the runs" in page
    assert "Minimum coverage in every admin-1 area (%) differs 0 20" in page
    assert "Weights of priorities 5 to 1 differs 16 / 8 / 4 / 2 / 1 20 / 8 / 4 / 2 / 1" in page
    assert "Distance cost per unit and km 0 0" in page  # the same: not marked
    assert "Pins 0 1 1 added, 0 removed, 0 changed" in page and "Exclusions 0 0 the same" in page
    assert "Needs allocated 4 4 the same" in page
    assert "Classroom rehabilitation (classrooms) 25 25 0" in page
    assert "cannot be listed here" in page
    assert "1,440.00 USD" in page  # costs carry the currency
    # A need added between runs shows in the counts and totals.
    from tests import factories

    factories.make_need(
        world.operation, world.local_authority, "CF632", title="More classrooms", quantity=3.0, priority=2
    )
    third = run_from_form(client, min_admin1_coverage="20", weight_5="20")
    page = text_of(client.get(f"/allocations/compare?a={second.id}&b={third.id}"))
    assert "The input differs: the needs or capacities changed" in page
    assert "Needs allocated 4 5 +1" in page and "Classroom rehabilitation (classrooms) 25 28 +3" in page


def test_publication_and_comparison_pages_in_french(world, login, client):
    make_scenario(world)
    login(world.users["coordinator"])
    client.post("/language/fr", data={"next": "/"})
    run = run_from_form(client)
    confirm = text_of(client.get(f"/allocations/{run.id}/publish"))
    assert "2 partenaires verront leurs attributions (4 en tout)" in confirm and "Publier maintenant" in confirm
    client.post(f"/allocations/{run.id}/publish")
    assert "Retirer maintenant" in text_of(client.get(f"/allocations/{run.id}/withdraw"))
    page = text_of(client.get(f"/allocations/compare?a={run.id}&b={run_from_form(client, weight_5='20').id}"))
    assert "Poids des priorités 5 à 1 diffère" in page and "Ce que les calculs ont reçu" in page
