"""`coordhub allocate --periods`: a plan over months from files with throughput, clearances, deadlines and an access
file; output with a period column; malformed access files exit 2."""

from __future__ import annotations

import csv
from pathlib import Path

from .test_cli import AREAS, NEEDS, run, summary, write

PLAN_NEEDS = (
    "need_id,pcode,resource_type,quantity,priority,start,end,earliest_start,deadline\n"
    "N1,XX11,tent,8,5,2025-03-01,,,2025-04-30\n"
    "N2,XX21,tent,6,1,2025-03-01,,2025-04-01,\n"
)
PLAN_CAPACITIES = (
    "capacity_id,org,org_type,resource_type,quantity,unit_cost,service_pcodes,start,end,throughput,clearance\n"
    "C1,Shelter Aid,INGO,tent,20,10,XX,2025-03-01,,4,escort\n"
    "C2,Road Aid,INGO,tent,20,1,XX,2025-03-01,,,\n"
)
ACCESS = (
    "pcode,level,start,end,clearance\nXX1,restricted,2025-03-01,2025-04-30,escort\nXX2,no_go,2025-03-01,2025-03-31,\n"
)


def read(path: Path) -> list[dict]:
    with path.open() as handle:
        return list(csv.DictReader(handle))


def test_plan_over_months_with_access_and_throughput(tmp_path):
    needs = write(tmp_path / "needs.csv", PLAN_NEEDS)
    caps = write(tmp_path / "caps.csv", PLAN_CAPACITIES)
    access = write(tmp_path / "access.csv", ACCESS)
    out = tmp_path / "plan.csv"
    result = run(
        needs, caps, "--areas", AREAS, "--periods", "month", "--horizon", "2025-06-30", "--access", access, "--out", out
    )
    assert result.exit_code == 0, result.output
    # N1 (restricted to escorts, deadline end of April): only C1, 4 a month.  N2 (no-go in March, from April):
    # the cheap C2 in April.
    assert read(out) == [
        {"need_id": "N1", "capacity_id": "C1", "quantity": "4", "unit_cost": "10", "period": "2025-03-01"},
        {"need_id": "N1", "capacity_id": "C1", "quantity": "4", "unit_cost": "10", "period": "2025-04-01"},
        {"need_id": "N2", "capacity_id": "C2", "quantity": "6", "unit_cost": "1", "period": "2025-04-01"},
    ]
    figures = summary(result.output)
    assert figures["bound"] == figures["objective"] == 8 * 16 + 6 and figures["gap"] == 0
    # By the end of March: half of N1 (weight 16) of 16 + 1.
    assert "Weighted coverage by the end of each period: 2025-03-01 47%" in result.output


def test_without_the_new_flags_the_output_has_no_period_column(tmp_path):
    out = tmp_path / "out.csv"
    caps = write(tmp_path / "caps.csv", PLAN_CAPACITIES)
    result = run(NEEDS, caps, "--areas", AREAS, "--out", out)
    assert result.exit_code == 0, result.output
    assert list(read(out)[0]) == ["need_id", "capacity_id", "quantity", "unit_cost"]


def test_horizon_needs_periods(tmp_path):
    result = run(NEEDS, write(tmp_path / "caps.csv", PLAN_CAPACITIES), "--horizon", "2025-06-30")
    assert result.exit_code == 2
    assert "need --periods" in result.output


def test_malformed_access_file_names_row_and_column(tmp_path):
    access = write(
        tmp_path / "access.csv",
        "pcode,level,start,end,clearance\nXX1,closed,2025-03-01,,\nXX2,restricted,2025-03-01,,\n",
    )
    result = run(NEEDS, write(tmp_path / "caps.csv", PLAN_CAPACITIES), "--access", access)
    assert result.exit_code == 2
    assert "access.csv, row 2, column level: 'closed' is not open, restricted or no_go" in result.output
    assert "access.csv, row 3, column clearance" in result.output


def test_lead_time_and_presence_columns_and_a_budget_per_period(tmp_path):
    needs = write(
        tmp_path / "needs.csv",
        "need_id,pcode,resource_type,quantity,priority,start,end,lead_time\nN1,XX11,tent,12,5,2025-03-01,,45\n",
    )
    caps = write(
        tmp_path / "caps.csv",
        "capacity_id,org,org_type,resource_type,quantity,unit_cost,service_pcodes,start,end,throughput,present_pcodes\n"
        "HERE,Local Aid,NNGO,tent,20,10,XX,2025-03-01,,2,XX1\n"
        "AWAY,Far Aid,INGO,tent,20,10,XX,2025-03-01,,4,XX2\n",
    )
    out = tmp_path / "plan.csv"
    result = run(
        needs, caps, "--areas", AREAS, "--periods", "month", "--horizon", "2025-05-31", "--out", out, "--explain"
    )
    assert result.exit_code == 0, result.output
    # AWAY needs 45 days from 1 March (15 April): April and May; HERE from March.
    assert {(r["capacity_id"], r["period"]): r["quantity"] for r in read(out)} == {
        ("HERE", "2025-03-01"): "2",
        ("HERE", "2025-04-01"): "2",
        ("AWAY", "2025-04-01"): "4",
        ("AWAY", "2025-05-01"): "4",
    }
    capped = run(
        needs,
        caps,
        "--areas",
        AREAS,
        "--periods",
        "month",
        "--horizon",
        "2025-05-31",
        "--budget-cap",
        "Far Aid=20",
        "--budget-per-period",
        "--out",
        out,
    )
    assert capped.exit_code == 0, capped.output
    assert max(float(r["quantity"]) for r in read(out) if r["capacity_id"] == "AWAY") == 2
    assert "time_expanded_linear_program" in capped.output
    bad = write(
        tmp_path / "bad.csv",
        "need_id,pcode,resource_type,quantity,priority,start,lead_time\nN1,XX11,tent,1,5,2025-03-01,2.5\n",
    )
    refused = run(bad, caps, "--areas", AREAS, "--periods", "month")
    assert refused.exit_code == 2 and "lead_time" in refused.output and "whole number of days" in refused.output
    assert run(needs, caps, "--budget-per-period").exit_code == 2
    traded = run(needs, caps, "--periods", "month", "--value-per-weighted-unit", "5")
    assert traded.exit_code == 2 and "--value-per-weighted-unit cannot be combined with --periods" in traded.output
