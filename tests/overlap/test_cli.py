"""`coordhub overlaps` through click's CliRunner: output, summary line, malformed input."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from coordhub.overlap.cli import overlaps_command

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "overlap"

AREAS = """pcode,parent_pcode,name,level,lat,lon
CF,,Central African Republic,0,,
CF63,CF,Ouham-Pendé,1,7.0,16.0
CF632,CF63,Bozoum,2,6.3,16.4
"""
HEADER = "activity_id,org,sector,activity_type,pcodes,start,end,title,implementing_partners\n"
ACTIVITIES = (
    HEADER
    + """A1,UNICEF,Education,teacher training,CF63,2026-01-01,2026-06-30,Teacher training,
A2,Save the Children,Education,teacher training,CF632,2026-03-01,,Teacher training Bozoum,
A3,NRC,Education,school feeding,CF632;CF63,2026-06-30,2026-12-31,,
A4,UNICEF,Health,,CF632,2026-01-01,,,
A5,IRC,Education,teacher training,CF632,2026-06-01,2026-07-31,,
"""
)


@pytest.fixture
def run(tmp_path):
    def run(activities: str, *args: str, areas: str | None = AREAS):
        (tmp_path / "activities.csv").write_text(activities, encoding="utf-8")
        argv = [str(tmp_path / "activities.csv")]
        if areas is not None:
            (tmp_path / "areas.csv").write_text(areas, encoding="utf-8")
            argv += ["--areas", str(tmp_path / "areas.csv")]
        return CliRunner().invoke(overlaps_command, argv + list(args))

    return run


def test_pairs_go_to_the_out_file_and_the_summary_is_the_last_line(run, tmp_path):
    result = run(ACTIVITIES, "--out", str(tmp_path / "pairs.csv"))
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["activities"] == 5 and summary["pairs"] == 6 and summary["clusters"] == 1
    assert summary["seconds"] >= 0
    rows = list(csv.DictReader((tmp_path / "pairs.csv").open(encoding="utf-8")))
    assert list(rows[0]) == ["activity_a", "activity_b", "score", "kind", "shared_pcode", "days", "explanation"]
    by_pair = {(r["activity_a"], r["activity_b"]): r for r in rows}
    first = by_pair[("A1", "A2")]
    assert (first["kind"], first["shared_pcode"], first["days"]) == ("overlap", "CF632", "122")
    assert first["explanation"].startswith(
        "UNICEF and Save the Children: Education / teacher training, Ouham-Pendé (CF63) contains Bozoum (CF632)"
    )
    assert {r["kind"] for r in rows} == {"overlap", "complementary"}
    assert [float(r["score"]) for r in rows] == sorted((float(r["score"]) for r in rows), reverse=True)


def test_without_out_the_pairs_are_printed_before_the_summary(run):
    result = run(ACTIVITIES, "--min-score", "0.5")
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    rows = list(csv.reader(io.StringIO("\n".join(lines[:-1]))))
    assert rows[0][0] == "activity_a" and len(rows) == 3
    assert json.loads(lines[-1])["pairs"] == 2


def test_funding_chain_shows_as_double_count(run):
    text = HEADER + (
        "F1,UNICEF,Education,teacher training,CF632,2026-01-01,2026-03-31,,SCI\n"
        "P1,SCI,Education,teacher training,CF632,2026-02-01,2026-03-31,,\n"
    )
    result = run(text)
    assert result.exit_code == 0, result.output
    assert ",double count,CF632,59," in result.stdout


def test_hxl_hashtag_row_and_areas_not_listed(run):
    text = (
        "Activity,Organisation,Cluster,P-code,From,To\n"
        "#activity +id,#org +acronym,#sector,#loc +code,#date +start,#date +end\n"
        "X1,UNICEF ,WASH,CF632,2026-01-01,2026-01-31\n"
        "X2,IRC,WASH,ZZ9,2026-01-01,2026-01-31\n"
        "X3,NRC,WASH,CF63,2026-01-31,\n"
    )
    result = run(text)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout.strip().splitlines()[-1])["pairs"] == 1
    assert "ZZ9" in result.stderr


def test_real_3w_extract_with_format_3w(tmp_path):
    result = CliRunner().invoke(
        overlaps_command, [str(FIXTURES / "nga_3w_extract.xlsx"), "--format", "3w", "--out", str(tmp_path / "o.csv")]
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["activities"] == 115 and summary["kinds"]["double count"] == 37


@pytest.mark.parametrize(
    "text, message",
    [
        ("activity_id,org,pcodes\nA1,UNICEF,CF632\n", "missing column sector"),
        (HEADER + "A1,UNICEF,Education,,CF632,2026-02-30,,,\n", "row 2, column 'start': '2026-02-30'"),
        (
            HEADER + "A1,UNICEF,Education,,CF632,2026-03-01,2026-02-01,,\n",
            "row 2, column 'end': activity 'A1' ends (2026-02-01) before it starts",
        ),
        (
            HEADER + "A1,UNICEF,Education,,CF632,,,,\n,NRC,Education,,CF632,,,,\n",
            "row 3, column 'activity_id': the id is empty",
        ),
        (
            HEADER + "A1,UNICEF,Education,,CF632,,,,\nA1,NRC,Education,,CF632,,,,\n",
            "row 3, column 'activity_id': id 'A1' already used on row 2",
        ),
        (HEADER + "A1,,Education,,CF632,,,,\n", "row 2, column 'org'"),
    ],
)
def test_malformed_activities_exit_2_naming_row_and_column(run, tmp_path, text, message):
    result = run(text, "--out", str(tmp_path / "pairs.csv"))
    assert result.exit_code == 2
    assert message in result.stderr
    assert "activities.csv" in result.stderr
    assert not (tmp_path / "pairs.csv").exists()
    assert result.stdout == ""


def test_malformed_areas_exit_2(run, tmp_path):
    result = run(ACTIVITIES, areas=AREAS + "CF63,CF,Again,1,,\n")
    assert result.exit_code == 2
    assert "areas.csv, row 5, column 'pcode': P-code 'CF63' already used on row 3" in result.stderr
    result = run(ACTIVITIES, areas=AREAS.replace("CF63,CF,Ouham-Pendé,1", "CF63,CF,Ouham-Pendé,one"))
    assert result.exit_code == 2 and "column 'level'" in result.stderr
