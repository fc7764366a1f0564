"""`coordhub run-allocation` on the database, `coordhub allocate` on files with no database at all, and the demo's
stored allocation."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import sqlalchemy as sa

from coordhub.allocation.models import AllocationRun
from coordhub.allocation.operations import run_allocation
from coordhub.extensions import db
from tests.allocation.helpers import make_scenario, quantities

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "allocation"


def invoke(app, *args):
    return app.test_cli_runner().invoke(args=[str(a) for a in args])


def test_run_allocation_command_stores_a_run(world, app):
    s = make_scenario(world)
    result = invoke(app, "run-allocation", "--operation", "CAR recovery 2026", "--time-limit", "5", "--note", "nightly")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output.strip().splitlines()[-1])
    run = db.session.get(AllocationRun, summary["run_id"])
    assert summary["status"] == "optimal" and summary["units_met"] == 18 and summary["cost"] == 1440
    assert run.created_by_id is None and run.note == "nightly" and run.policy["time_limit_seconds"] == 5
    assert quantities(run)[(s.high.id, s.other_classrooms.id)] == 4
    # Unit-free: (16 * 10/10 + 1 * 6/10 + 4 * 0/5 + 8 * 2/2) / 29 of the needs, weighted by priority; 2 of 4 in full.
    assert "84.8% of needs met weighted by priority, 50.0% fully met" in result.output
    assert summary["gap"] == 0 and summary["bound"] == summary["objective"] and summary["share_fully_met"] == 0.5

    model = run_allocation(None, world.operation, {"single_provider": True, "time_limit_seconds": 7})
    result = invoke(app, "run-allocation", "--operation", "CAR recovery 2026", "--like-run", model.id)
    assert result.exit_code == 0, result.output
    again = db.session.get(AllocationRun, json.loads(result.output.strip().splitlines()[-1])["run_id"])
    assert again.policy == model.policy and again.engine == "mixed_integer"

    result = invoke(app, "run-allocation", "--operation", "Nowhere")
    assert result.exit_code != 0 and "No operation named 'Nowhere'" in result.output
    result = invoke(app, "run-allocation", "--operation", "Elsewhere 2026", "--like-run", run.id)
    assert result.exit_code != 0 and f"No allocation run {run.id}" in result.output


def test_allocate_on_files_needs_no_database(tmp_path):
    """The file command is registered on `coordhub` and runs with an unreachable database configured."""
    out = tmp_path / "assignments.csv"
    env = {
        **os.environ,
        "DATABASE_URL": "postgresql://nobody@127.0.0.1:9/nothing",
        "COORDHUB_CONFIG": "production",
        "SECRET_KEY": "a-long-random-secret-key-for-this-test-only",
    }
    result = subprocess.run(
        [
            str(Path(sys.executable).parent / "coordhub"),
            "allocate",
            str(FIXTURES / "needs.csv"),
            str(FIXTURES / "capacities.csv"),
            "--areas",
            str(FIXTURES / "areas.csv"),
            "--out",
            str(out),
            "--time-limit",
            "10",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1])["status"] == "optimal"
    assert out.read_text().startswith("need_id,capacity_id,quantity,unit_cost")


def test_the_demo_starts_with_a_stored_allocation(app):
    from coordhub.demo.loader import DEMO_PASSWORD, load_demo

    load_demo(DEMO_PASSWORD)
    run = db.session.scalar(sa.select(AllocationRun))
    assert run is not None and run.status.value == "optimal" and run.note == "Demo: default policy"
    assert run.need_count > 50 and run.capacity_count > 15 and run.assignments and run.explanations
