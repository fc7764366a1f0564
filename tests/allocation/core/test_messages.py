"""Explanation sentences from reason codes and facts: the English of the core, JSON round trips, and every
template in the French catalogue with the same placeholders."""

from __future__ import annotations

import json
import string
from datetime import date
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from babel.support import Translations

from coordhub.allocation.core import allocate
from coordhub.allocation.core import messages as m

from .builders import AREAS, DAY, cap, need

CATALOGUE = Path(__file__).resolve().parents[3] / "coordhub" / "translations"
TEMPLATES = [
    *m.NEED_REASONS.values(),
    *m.CAPACITY_REASONS.values(),
    m.BETWEEN,
    m.BETWEEN_OPEN,
    m.WEEK_OF,
    m.MONTH_YEAR,
    m.PERCENT,
    m.AND_MORE,
    m.TAKER,
    m.OPEN_END,
    m.NOT_GIVEN,
    m.OR,
    m.NONE,
    *m.MONTHS,
    *m.CONSTRAINT_NAMES.values(),
]


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


@pytest.fixture(scope="module")
def french():
    with (CATALOGUE / "fr" / "LC_MESSAGES" / "messages.mo").open("rb") as handle:
        return Translations(handle).gettext


def test_every_template_is_translated_with_the_same_placeholders():
    with (CATALOGUE / "fr" / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalogue = read_po(handle)
    for template in TEMPLATES:
        entry = catalogue.get(template)
        assert entry is not None and entry.string and not entry.fuzzy, template
        assert placeholders(entry.string) == placeholders(template), template


def test_the_facts_survive_json_and_give_the_same_english_sentence():
    result = allocate(
        [
            need("A", 8, priority=5),
            need("B", 8, priority=1),
            need("FAR", 2, pcode="XX21"),
            need("LATE", 3, start=date(2026, 7, 1), end=date(2026, 7, 31)),
        ],
        [cap("C", 8, service=("XX1",), end=DAY), cap("IDLE", 4, resource_type="water")],
        areas=AREAS,
    )
    assert {e.reason for e in result.explanations} >= {
        "used_by_higher_priority",
        "no_need_of_type",
        "no_capacity_in_area",
        "no_capacity_in_time_window",
    }
    for e in result.explanations:
        facts = json.loads(json.dumps(e.params))
        assert m.render(e.subject, e.reason, facts) == e.text


def test_french_sentences_with_names_numbers_and_months(french):
    takers = {
        "capacities": ["C1"],
        "capacities_total": 1,
        "takers": [["N1", 5, 1250.5]],
        "takers_total": 4,
        "shortfall": 3.0,
    }
    labels = {"C1": "“Tentes NGOA”", "N1": "“Bozoum”"}
    text = m.render(
        "need",
        m.USED_BY_HIGHER_PRIORITY,
        takers,
        french,
        label=lambda kind, key: labels[key],
        number=lambda value: f"{value:,.1f}".replace(",", " ").replace(".", ","),
    )
    assert text == (
        "La capacité qui pourrait le couvrir (“Tentes NGOA”) est allée à des besoins plus prioritaires : "
        "“Bozoum” (priorité 5, 1 250,5) et 3 autres."
    )
    no_go = {
        "area": "Bria",
        "pcode": "CF711",
        "period_kind": "month",
        "period_start": "2027-03-01",
        "period_end": None,
        "clearances": [],
        "level": "no_go",
        "shortfall": 2.0,
    }
    assert m.render("need", m.NO_GO, no_go, french) == (
        "Bria (CF711) est une zone interdite pour mars 2027 : personne ne peut la desservir."
    )
    assert m.render("need", m.NO_GO, no_go) == "Bria (CF711) is a no-go area in March 2027: nobody may serve it."
    restricted = no_go | {"period_kind": "window", "period_end": None, "clearances": ["UN", "WFP"]}
    assert m.render("need", m.NO_ACCESS, restricted, french) == (
        "Aucune capacité autorisée pour l’accès restreint (UN ou WFP) ne pouvait desservir Bria (CF711) pendant "
        "la période à partir du 2027-03-01."
    )
    assert m.render("need", m.NO_ACCESS, restricted) == (
        "No capacity cleared for restricted access (UN or WFP) could serve Bria (CF711) in the time from "
        "2027-03-01 to ongoing."
    )
