"""`coordhub allocate` on files: happy path, HXL hashtag row, policy flags, malformed files (exit 2, nothing written)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from coordhub.allocation.cli import allocate

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "allocation"
NEEDS = FIXTURES / "needs.csv"
CAPACITIES = FIXTURES / "capacities.csv"
AREAS = FIXTURES / "areas.csv"


def run(*args: str):
    return CliRunner().invoke(allocate, [str(a) for a in args])


def summary(output: str) -> dict:
    last = output.strip().splitlines()[-1]
    return json.loads(last)


def test_happy_path_writes_assignments_and_ends_with_json(tmp_path):
    out = tmp_path / "assignments.csv"
    result = run(NEEDS, CAPACITIES, "--areas", AREAS, "--out", out, "--time-limit", "10")
    assert result.exit_code == 0, result.output
    figures = summary(result.output)
    assert set(figures) == {
        "status",
        "objective",
        "weighted_units",
        "cost",
        "bound",
        "gap",
        "weighted_share_met",
        "share_fully_met",
        "seconds",
    }
    assert figures["gap"] == 0 and figures["bound"] == figures["objective"]
    assert figures["status"] == "optimal"
    assert figures["weighted_units"] == 8 * 16 + 2 * 1 + 3 * 4
    assert figures["cost"] == 10 * 12.5 + 3 * 2
    with out.open() as handle:
        rows = list(csv.DictReader(handle))
    assert rows == [
        {"need_id": "N1", "capacity_id": "C1", "quantity": "8", "unit_cost": "12.5"},
        {"need_id": "N2", "capacity_id": "C1", "quantity": "2", "unit_cost": "12.5"},
        {"need_id": "N3", "capacity_id": "C2", "quantity": "3", "unit_cost": "2"},
    ]
    assert "used_by_higher_priority 1" in result.output


def test_hxl_hashtag_row_is_preferred_over_header_names():
    plain = run(NEEDS, CAPACITIES, "--areas", AREAS)
    hxl = run(FIXTURES / "needs_hxl.csv", FIXTURES / "capacities_hxl.csv", "--areas", AREAS)
    assert hxl.exit_code == 0, hxl.output
    assert {k: v for k, v in summary(hxl.output).items() if k != "seconds"} == {
        k: v for k, v in summary(plain.output).items() if k != "seconds"
    }


def test_without_areas_only_exact_pcodes_match():
    result = run(NEEDS, CAPACITIES)
    assert result.exit_code == 0
    assert summary(result.output)["weighted_units"] == 3 * 4  # C1 serves XX1, XX2 but not XX11
    assert "no_capacity_in_area 2" in result.output


def test_policy_flags_reach_the_core():
    result = run(NEEDS, CAPACITIES, "--areas", AREAS, "--budget-cap", "Shelter Aid=50", "--explain")
    assert result.exit_code == 0, result.output
    assert summary(result.output)["cost"] == 50 + 6
    assert "budget_cap" in result.output
    lexi = run(NEEDS, CAPACITIES, "--areas", AREAS, "--lexicographic", "--weight", "5=100")
    assert summary(lexi.output)["weighted_units"] == 8 * 100 + 2 + 3 * 4


def test_bad_flag_is_a_usage_error():
    result = run(NEEDS, CAPACITIES, "--budget-cap", "no-amount")
    assert result.exit_code == 2
    assert "KEY=NUMBER" in result.output


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


HEADER = "need_id,pcode,resource_type,quantity,priority,start,end\n"


@pytest.mark.parametrize(
    ("body", "where"),
    [
        ("N1,XX11,tent,many,3,2025-03-01,\n", "row 2, column quantity"),
        ("N1,XX11,tent,5,3,2025-03-01,\nN2,XX11,tent,5,7,2025-03-01,\n", "row 3, column priority"),
        ("N1,XX11,tent,5,3,01/03/2025,\n", "row 2, column start"),
        ("N1,XX11,tent,5,3,2025-03-10,2025-03-01\n", "row 2, column end"),
        ("N1,XX11,tent,-5,3,2025-03-01,\n", "row 2, column quantity"),
        ("N1,XX11,tent,5,3,2025-03-01,\nN1,XX11,tent,5,3,2025-03-01,\n", "row 3, column need_id"),
    ],
)
def test_malformed_needs_exit_2_naming_row_and_column(tmp_path, body, where):
    needs = write(tmp_path / "needs.csv", HEADER + body)
    out = tmp_path / "out.csv"
    result = run(needs, CAPACITIES, "--out", out)
    assert result.exit_code == 2
    assert f"needs.csv, {where}" in result.output
    assert not out.exists()


def test_missing_column_is_named(tmp_path):
    needs = write(tmp_path / "needs.csv", "need_id,pcode,quantity,priority,start,end\nN1,XX11,5,3,2025-03-01,\n")
    result = run(needs, CAPACITIES)
    assert result.exit_code == 2
    assert "needs.csv, row 1, column resource_type: missing column" in result.output


def test_missing_hxl_column_is_named(tmp_path):
    needs = write(tmp_path / "needs.csv", "a,b\n#need+id,#adm2+code\nN1,XX11\n")
    result = run(needs, CAPACITIES)
    assert result.exit_code == 2
    assert "row 2, column resource_type: missing column (#item+type" in result.output


def test_unknown_parent_area_is_refused(tmp_path):
    areas = write(tmp_path / "areas.csv", "pcode,parent_pcode,name,level,lat,lon\nXX1,XX,North,1,,\n")
    out = tmp_path / "out.csv"
    result = run(NEEDS, CAPACITIES, "--areas", areas, "--out", out)
    assert result.exit_code == 2
    assert "areas.csv, row 2, column parent_pcode: unknown parent 'XX'" in result.output
    assert not out.exists()


def test_malformed_capacity_cells(tmp_path):
    caps = write(
        tmp_path / "caps.csv",
        (
            "capacity_id,org,org_type,resource_type,quantity,unit_cost,service_pcodes,start,end\n"
            "C1,A,INGO,tent,10,cheap,XX1,2025-01-01,\n"
            "C2,A,INGO,tent,10,1,,2025-01-01,\n"
        ),
    )
    result = run(NEEDS, caps)
    assert result.exit_code == 2
    assert "caps.csv, row 2, column unit_cost: 'cheap' is not a number" in result.output
    assert "caps.csv, row 3, column service_pcodes" in result.output


def test_single_provider_gives_each_need_one_capacity_and_reports_bound_and_gap(tmp_path):
    # A (priority 5, 6 tents) and B (priority 5, 4 tents); C6 has 6, C4 has 4.  Without the rule the solver
    # may split A over both; with it, A takes C6 and B takes C4, all met: proven optimal, gap 0.
    needs = tmp_path / "needs.csv"
    needs.write_text(
        "need_id,pcode,resource_type,quantity,priority,start,end\n"
        "A,XX11,tent,6,5,2025-03-01,\n"
        "B,XX11,tent,4,5,2025-03-01,\n"
    )
    capacities = tmp_path / "capacities.csv"
    capacities.write_text(
        "capacity_id,org,org_type,resource_type,quantity,unit_cost,service_pcodes,start,end\n"
        "C6,Shelter Aid,INGO,tent,6,1,XX1,2025-02-01,\n"
        "C4,Local Shelter,NNGO,tent,4,1,XX1,2025-02-01,\n"
    )
    out = tmp_path / "assignments.csv"
    result = run(needs, capacities, "--areas", AREAS, "--out", out, "--single-provider", "--time-limit", "10")
    assert result.exit_code == 0, result.output
    figures = summary(result.output)
    assert figures["status"] == "optimal" and figures["gap"] == 0
    assert figures["bound"] == figures["objective"] and figures["weighted_units"] == 16 * 10
    with out.open() as handle:
        rows = {(row["need_id"], row["capacity_id"]): row["quantity"] for row in csv.DictReader(handle)}
    assert rows == {("A", "C6"): "6", ("B", "C4"): "4"}
