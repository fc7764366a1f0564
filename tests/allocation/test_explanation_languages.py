"""Allocation explanations in the reader's language: the run page and the API in French with nothing of the
English sentences left, and `coordhub allocate` printing the same English as before."""

from __future__ import annotations

import re
import string
from pathlib import Path

import sqlalchemy as sa
from click.testing import CliRunner

from coordhub.allocation.cli import allocate
from coordhub.allocation.core import messages as m
from coordhub.allocation.models import AllocationExplanation
from coordhub.extensions import db
from tests.allocation.helpers import make_scenario, run_from_form
from tests.allocation.test_runs import text_of

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "allocation"


def english_fragments() -> set[str]:
    """The fixed words of every English template (three words or more), which no French sentence may contain."""
    fragments = set()
    for template in [*m.NEED_REASONS.values(), *m.CAPACITY_REASONS.values()]:
        for literal, *_ in string.Formatter().parse(template):
            fragments.update(part.strip() for part in re.split(r"[().;:,]", literal) if len(part.split()) >= 3)
    return fragments


def assert_no_english(text: str) -> None:
    left = sorted(fragment for fragment in english_fragments() if fragment in text)
    assert not left, left


def test_run_page_in_french_shows_french_explanations(world, login, client):
    make_scenario(world)
    coordinator = world.users["coordinator"]
    login(coordinator)
    run = run_from_form(client)
    english = text_of(client.get(f"/allocations/{run.id}"))
    assert "No Classroom rehabilitation capacity serves Bria (CF711) or an area above it." in english
    coordinator.locale = "fr"
    db.session.commit()
    page = text_of(client.get(f"/allocations/{run.id}"))
    assert (
        "La capacité qui pourrait le couvrir (“NGOA classroom teams” (NGOA)) est allée à des besoins plus "
        "prioritaires : “Classrooms Bozoum” (priorité"
    ) in page
    assert (
        "Aucune capacité de Réhabilitation de salles de classe ne dessert Bria (CF711) ni une zone qui la contient."
        in page
    )
    assert_no_english(page)
    assert any(fragment in english for fragment in english_fragments())  # the check does see English


def test_api_gives_the_readers_language_and_the_facts(world, client, token_for):
    s = make_scenario(world)
    headers = token_for(world.users["coordinator"])
    run_id = client.post(
        "/api/v1/allocation-runs", headers=headers, json={"policy": {"time_limit_seconds": 10}}
    ).get_json()["id"]
    english = client.get(f"/api/v1/allocation-runs/{run_id}", headers=headers).get_json()["explanations"]
    french = client.get(
        f"/api/v1/allocation-runs/{run_id}", headers=headers | {"Accept-Language": "fr-FR,fr;q=0.9"}
    ).get_json()["explanations"]
    far = {e["need_id"]: e for e in english}[s.far.id]
    assert far["text"] == "No Classroom rehabilitation capacity serves Bria (CF711) or an area above it."
    assert far["reason"] == "no_capacity_in_area" and far["params"]["pcode"] == "CF711"
    assert {e["need_id"]: e for e in french}[s.far.id]["text"] == (
        "Aucune capacité de Réhabilitation de salles de classe ne dessert Bria (CF711) ni une zone qui la contient."
    )
    assert [e["reason"] for e in french] == [e["reason"] for e in english]
    for e in french:
        assert_no_english(e["text"])


def test_the_file_command_prints_the_same_english_as_before():
    printed = []
    for extra in (
        [],
        ["--single-provider", "--min-lot", "5", "--local-share", "0.5"],
        ["--weight", "5=1", "--value-per-weighted-unit", "0.5"],
    ):
        result = CliRunner().invoke(
            allocate,
            [
                str(FIXTURES / "needs.csv"),
                str(FIXTURES / "capacities.csv"),
                "--areas",
                str(FIXTURES / "areas.csv"),
                "--explain",
                "--time-limit",
                "10",
                *extra,
            ],
        )
        assert result.exit_code == 0, result.output
        printed.extend(result.output.splitlines()[:-1])  # the last line is the JSON summary with timings
    assert printed == (FIXTURES / "explain_output.txt").read_text(encoding="utf-8").splitlines()


def test_runs_stored_before_keep_their_english_sentences(world, login, client):
    make_scenario(world)
    coordinator = world.users["coordinator"]
    login(coordinator)
    run = run_from_form(client)
    old = run.explanations[0]
    legacy = {**old.params, "shortfall" if old.subject == "need" else "unused": "4"}  # quantities as text
    db.session.execute(
        sa.update(AllocationExplanation.__table__)
        .where(AllocationExplanation.id == old.id)
        .values(params=legacy, text="A sentence stored in English by an earlier version.")
    )
    db.session.expire_all()
    coordinator.locale = "fr"
    db.session.commit()
    page = text_of(client.get(f"/allocations/{run.id}"))
    assert "A sentence stored in English by an earlier version." in page
    assert "La capacité qui pourrait le couvrir" in page or "Aucune capacité" in page
