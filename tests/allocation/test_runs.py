"""Running allocations from the pages (inline and as a background job), the run page, immutability, comparison,
pins and exclusions on re-runs, and the CSV export."""

from __future__ import annotations

import csv
import io
import re
import threading

import pytest
import sqlalchemy as sa

from coordhub.allocation import jobs as allocation_jobs
from coordhub.allocation.models import (
    AllocationAssignment,
    AllocationForbiddenPair,
    AllocationPin,
    AllocationRun,
    RunImmutable,
    RunStatus,
)
from coordhub.audit.models import AuditEntry
from coordhub.extensions import db
from coordhub.jobs.models import Job, JobStatus
from tests import factories
from tests.allocation.helpers import (
    DEFAULT_FORM,
    assignment,
    body_after_request,
    latest_run,
    make_scenario,
    quantities,
    run_from_form,
)


def text_of(response) -> str:
    """The page as a person reads it: tags removed, spaces collapsed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))


def test_inline_run_stores_the_optimum_with_figures_and_an_audit_entry(world, login, client):
    s = make_scenario(world)
    login(world.users["coordinator"])
    run = run_from_form(client, note="first try")
    assert run.status is RunStatus.optimal and run.engine == "min_cost_flow" and run.note == "first try"
    assert quantities(run) == {
        (s.high.id, s.other_classrooms.id): 4.0,
        (s.high.id, s.ngo_classrooms.id): 6.0,
        (s.low.id, s.ngo_classrooms.id): 6.0,
        (s.sensitive.id, s.ngo_cases.id): 2.0,
    }
    assert run.units_needed == 27 and run.units_met == 18 and run.cost == 4 * 50 + 12 * 100 + 2 * 20
    assert run.coverage["by_sector"] == {"EDU": [25.0, 16.0], "PROT": [2.0, 2.0]}
    assert run.coverage["by_admin1"] == {"CF63": [22.0, 18.0], "CF71": [5.0, 0.0]}
    assert run.created_by_id == world.users["coordinator"].id and len(run.fingerprint) == 64
    assert run.policy["priority_weights"] == {"1": 1, "2": 2, "3": 4, "4": 8, "5": 16}
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.entity_type == "AllocationRun"))
    assert entry.entity_id == run.id and entry.changes["status"] == [None, "optimal"]


def test_run_page_shows_coverage_unmet_needs_with_reasons_and_partners(world, login, client):
    make_scenario(world)
    login(world.users["coordinator"])
    run = run_from_form(client)
    page = text_of(client.get(f"/allocations/{run.id}"))
    assert "optimal" in page and "66.7%" in page and "1,440.00" in page
    assert "Education 25 16 64.0%" in page and "Haute-Kotto (CF71) 5 0 0.0%" in page
    # Unmet needs, with reasons that name the needs that took the capacity.
    assert (
        "Classrooms Bocaranga Bocaranga (CF633) · Classroom rehabilitation · P1 4 classrooms The capacity "
        "that could serve it (“NGOA classroom teams” (NGOA)) went to higher-priority needs: “Classrooms Bozoum”"
    ) in page
    assert "No Classroom rehabilitation capacity serves Bria (CF711) or an area above it." in page
    # Unused capacity, and assignments per partner.
    assert "NGOA case workers NGOA 1 cases" in page
    assert "NGOA organisation 3 14 1,240.00 USD" in page and "NGOB organisation 1 4 200.00 USD" in page
    only_ngob = text_of(client.get(f"/allocations/{run.id}?partner={world.other_ngo.id}"))
    assert "NGOB classroom team" in only_ngob.split("Assignments (all partners)")[1]
    assert "NGOA case workers" not in only_ngob.split("Assignments (all partners)")[1]


def test_background_run_for_large_operations_reports_progress(world, login, client, app, config):
    make_scenario(world)
    login(world.users["coordinator"])
    config(ALLOCATION_BACKGROUND_THRESHOLD=5)  # 4 needs x 3 capacities = 12 pairs
    response = client.post("/allocations/new", data=DEFAULT_FORM)
    job = db.session.scalar(sa.select(Job))
    assert response.headers["Location"] == f"/jobs/{job.id}"
    assert job.kind == "allocation" and job.status is JobStatus.finished, job.error
    run = latest_run()
    assert run.job_id == job.id and job.result == {
        "run_id": run.id,
        "status": "optimal",
        "result_url": f"/allocations/{run.id}",
    }
    opened = client.get(f"/jobs/{job.id}")  # the finished job opens the run
    assert opened.status_code == 302 and opened.headers["Location"] == f"/allocations/{run.id}"
    assert client.get(job.result_url).status_code == 200


def test_background_run_in_a_thread(world, login, client, app, config):
    make_scenario(world)
    login(world.users["coordinator"])
    config(ALLOCATION_BACKGROUND_THRESHOLD=5, JOBS_MODE="thread")
    response = client.post("/allocations/new", data={**DEFAULT_FORM, "note": "in a thread"})
    job_id = response.headers["Location"].rsplit("/", 1)[1]
    for thread in threading.enumerate():
        if thread.name == f"job-{job_id}":
            thread.join(timeout=60)
    db.session.expire_all()
    status = client.get(f"/jobs/{job_id}.json").get_json()
    assert status["status"] == "finished" and status["progress"] == 1, status
    run = latest_run()
    assert run.note == "in a thread" and status["result_url"] == f"/allocations/{run.id}"


def test_the_job_passes_the_cores_progress_through(world):
    make_scenario(world)
    job = Job(
        kind="allocation",
        user_id=world.users["coordinator"].id,
        operation_id=world.operation.id,
        params={
            "operation_id": world.operation.id,
            "settings": {"single_provider": True},
            "note": "",
            "runs_url": "/allocations/",
        },
    )
    db.session.add(job)
    db.session.commit()
    seen: list[tuple[float, str]] = []
    result = allocation_jobs.allocation_job(job, lambda fraction, message: seen.append((fraction, message)))
    fractions = [fraction for fraction, _ in seen]
    assert fractions == sorted(fractions) and fractions[0] == 0.0 and fractions[-1] == 1.0
    assert any("Solving" in message for _, message in seen) and seen[-1][1] == "Done"
    assert db.session.get(AllocationRun, result["run_id"]).engine == "mixed_integer"


def test_stored_runs_cannot_change(world, login, client):
    s = make_scenario(world)
    login(world.users["coordinator"])
    run = run_from_form(client)
    row = assignment(run, s.low, s.ngo_classrooms)
    for change in (
        lambda: setattr(run, "cost", 1.0),
        lambda: setattr(row, "quantity", 10.0),
        lambda: db.session.delete(row),
        lambda: db.session.delete(run),
    ):
        change()
        with pytest.raises(RunImmutable):
            db.session.commit()
        db.session.rollback()
    assert db.session.get(AllocationRun, run.id).cost == 1440 and assignment(run, s.low, s.ngo_classrooms).quantity == 6
    # Changing the registry afterwards leaves the stored run as it was.
    s.high.quantity = 1.0
    db.session.commit()
    assert client.get(f"/allocations/{run.id}").status_code == 200
    assert db.session.get(AllocationRun, run.id).units_needed == 27
    assert quantities(run)[(s.high.id, s.ngo_classrooms.id)] == 6.0


def test_compare_shows_what_changed_and_coverage_gained_or_lost(world, login, client):
    s = make_scenario(world)
    login(world.users["coordinator"])
    first = run_from_form(client)
    factories.make_capacity(
        world.operation, world.other_ngo, ("CF71",), title="NGOB Bria team", quantity=5.0, unit_cost=80.0
    )
    s.ngo_cases.archived_at = s.ngo_cases.created_at
    db.session.commit()
    second = run_from_form(client)
    page = text_of(client.get(f"/allocations/compare?a={first.id}&b={second.id}"))
    assert "The input differs" in page
    assert "Haute-Kotto (CF71) 5 0.0% 100.0% +5" in page
    assert "Protection and victim support 2 100.0% 0.0% −2" in page
    assert "NGOB Bria team NGOB 0 5 new in B" in page
    assert "NGOA case workers NGOA 2 0 gone in B" in page
    assert "4 changed" not in page and "2 changed, 3 the same" in page
    same = text_of(client.get(f"/allocations/compare?a={second.id}&b={second.id}"))
    assert "exactly the same input" in same and "The two runs assign exactly the same." in same
    assert client.get(f"/allocations/compare?a={first.id}&b=999999").status_code == 404


def test_pins_are_kept_and_forbidden_pairs_avoided_in_the_next_run(world, login, client):
    s = make_scenario(world)
    login(world.users["coordinator"])
    run = run_from_form(client)
    # Fix 8 of NGOA's classrooms for the low-priority need; forbid NGOB for the high-priority one.
    pin_row = assignment(run, s.low, s.ngo_classrooms)
    assert client.post(f"/allocations/{run.id}/assignments/{pin_row.id}/pin", data={"quantity": "8"}).status_code == 302
    forbid_row = assignment(run, s.high, s.other_classrooms)
    client.post(f"/allocations/{run.id}/assignments/{forbid_row.id}/forbid", data={"reason": "road cut"})
    pin = db.session.scalar(sa.select(AllocationPin))
    pair = db.session.scalar(sa.select(AllocationForbiddenPair))
    assert (pin.need_id, pin.capacity_id, pin.quantity) == (s.low.id, s.ngo_classrooms.id, 8.0)
    assert (pair.need_id, pair.capacity_id, pair.reason) == (s.high.id, s.other_classrooms.id, "road cut")
    listing = text_of(client.get("/allocations/constraints"))
    assert "Classrooms Bocaranga" in listing and "road cut" in listing

    again = run_from_form(client)
    got = quantities(again)
    assert got[(s.low.id, s.ngo_classrooms.id)] == 8.0 and (s.high.id, s.other_classrooms.id) not in got
    assert got[(s.high.id, s.ngo_classrooms.id)] == 4.0
    assert assignment(again, s.low, s.ngo_classrooms).pinned and again.pins == [[s.low.id, s.ngo_classrooms.id, 8.0]]
    assert again.forbidden == [[s.high.id, s.other_classrooms.id]]
    page = text_of(client.get(f"/allocations/{again.id}"))
    assert "road cut" in page  # NGOB's capacity is left unused: excluded from the only need it could serve

    # Forbidding a pinned pair lifts the pin; removing the exclusion allows it again.
    client.post(f"/allocations/{again.id}/assignments/{assignment(again, s.low, s.ngo_classrooms).id}/forbid")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AllocationPin)) == 0
    for pair in db.session.scalars(sa.select(AllocationForbiddenPair)).all():
        client.post(f"/allocations/exclusions/{pair.id}/remove")
    assert quantities(run_from_form(client)) == quantities(run)


def test_a_pin_that_no_longer_fits_is_left_out_with_a_note(world, login, client):
    s = make_scenario(world)
    login(world.users["coordinator"])
    run = run_from_form(client)
    client.post(f"/allocations/{run.id}/assignments/{assignment(run, s.low, s.ngo_classrooms).id}/pin")
    s.low.quantity = 3.0  # the need shrank below the pinned 6
    db.session.commit()
    again = run_from_form(client)
    assert again.pins == [] and "was left out" in again.notes[0]
    assert quantities(again)[(s.low.id, s.ngo_classrooms.id)] == 3.0


def test_pins_are_checked_when_made(world, login, client):
    s = make_scenario(world)
    login(world.users["coordinator"])
    run = run_from_form(client)
    row = assignment(run, s.high, s.other_classrooms)
    response = client.post(
        f"/allocations/{run.id}/assignments/{row.id}/pin", data={"quantity": "5"}, follow_redirects=True
    )
    assert "more than the 4 this capacity offers" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(AllocationPin)) is None


def test_csv_export_has_a_hxl_row_and_every_assignment(world, login, client):
    s = make_scenario(world)
    login(world.users["coordinator"])
    run = run_from_form(client)
    response = client.get(f"/allocations/{run.id}/assignments.csv")
    assert response.mimetype == "text/csv" and "attachment" in response.headers["Content-Disposition"]
    # Read as a server sends it, after the request and its database session have ended.
    rows = list(csv.reader(io.StringIO(body_after_request(response))))
    assert rows[0][:4] == ["need_id", "capacity_id", "quantity", "unit_cost"]
    assert rows[1][:4] == ["#need+id", "#capacity+id", "#quantity", "#value+cost"]
    records = [dict(zip(rows[0], row)) for row in rows[2:]]
    assert len(records) == 4
    sensitive = next(r for r in records if r["need_id"] == str(s.sensitive.id))
    assert sensitive["need"] == "Survivors of the March attack"  # coordinators see every detail
    assert {(r["need_id"], r["capacity_id"], r["quantity"]) for r in records} == {
        (str(n), str(c), f"{q:g}") for (n, c), q in quantities(run).items()
    }


def test_side_constraints_from_the_form(world, login, client):
    s = make_scenario(world)
    login(world.users["coordinator"])
    run = run_from_form(client, budget_caps="ngoa = 700", single_provider="y", time_limit_seconds="10")
    assert run.policy["budget_caps"] == {str(world.ngo.id): 700.0} and run.policy["single_provider"]
    spent = db.session.scalar(
        sa.select(sa.func.sum(AllocationAssignment.cost)).where(
            AllocationAssignment.run_id == run.id, AllocationAssignment.organisation_id == world.ngo.id
        )
    )
    assert spent <= 700 + 1e-6 and run.engine == "mixed_integer"
    assert all(len({c for (n, c) in quantities(run) if n == need}) <= 1 for need in (s.high.id, s.low.id))
    response = client.post("/allocations/new", data={**DEFAULT_FORM, "budget_caps": "Nobody = 5"})
    assert response.status_code == 200 and "Unknown organisation: Nobody." in response.get_data(as_text=True)
    response = client.post("/allocations/new", data={**DEFAULT_FORM, "min_local_share": "150"})
    assert response.status_code == 200 and "Please correct the fields" in response.get_data(as_text=True)
    form = client.get(f"/allocations/new?from={run.id}").get_data(as_text=True)
    assert "NGOA = 700" in form
