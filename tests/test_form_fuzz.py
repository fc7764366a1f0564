"""Every form of every page, fuzzed: the forms are found by reading the pages (each GET page the URL map has,
with the world's ids), their fields by reading the HTML, and hypothesis fills them with odd text, numbers
(infinite, not a number, huge), dates and choices. Whatever is sent, the answer is never a server error."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests import factories
from tests.allocation.helpers import make_scenario, run_from_form
from tests.overlap.helpers import save_project
from tests.test_side_doors import id_urls, list_urls

ODD_NUMBERS = ["inf", "-inf", "nan", "1e400", "-1", "0", "99999999999999999999", "1e12", "3.5", "", "x", "1,5"]
ODD_DATES = ["2026-02-30", "0001-01-01", "9999-12-31", "yesterday", "", "2026-1-1"]
ODD_CHOICES = ["", "99999999999999999999", "-1", "nan", "x", "0"]


@dataclass
class Form:
    action: str
    fields: dict[str, tuple[str, list[str]]] = field(default_factory=dict)  # name -> (input type, options)


class FormReader(HTMLParser):
    """The POST forms of a page, with their fields' types and a select's options."""

    def __init__(self, page_url: str):
        super().__init__()
        self.page_url, self.forms, self.form, self.select = page_url, [], None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and (attrs.get("method") or "").lower() == "post":
            self.form = Form(attrs.get("action") or self.page_url)
            self.forms.append(self.form)
        elif self.form is not None and tag in ("input", "textarea", "select") and attrs.get("name"):
            kind = attrs.get("type", "text") if tag == "input" else tag
            if kind not in ("submit", "button", "file"):
                self.form.fields[attrs["name"]] = (kind, [])
            if tag == "select":
                self.select = attrs["name"]
        elif self.form is not None and tag == "option" and self.select:
            self.form.fields[self.select][1].append(attrs.get("value", ""))

    def handle_endtag(self, tag):
        if tag == "form":
            self.form = None
        elif tag == "select":
            self.select = None


def value_strategy(kind: str, options: list[str]):
    if kind == "number":
        return st.one_of(st.sampled_from(ODD_NUMBERS), st.integers().map(str), st.floats().map(str))
    if kind == "date":
        return st.one_of(st.sampled_from(ODD_DATES), st.dates().map(lambda d: d.isoformat()))
    if kind == "select":
        return st.sampled_from(options + ODD_CHOICES)
    if kind == "checkbox":
        return st.sampled_from(["y", ""])
    return st.one_of(st.text(max_size=400), st.sampled_from(ODD_NUMBERS + ODD_DATES), st.just("x" * 5000))


def forms_of_the_application(app, client, ids: list[int]) -> list[Form]:
    found: dict[tuple, Form] = {}
    for url in [url for url, _view in list_urls(app)] + id_urls(app, ids):
        response = client.get(url)
        if response.status_code != 200 or response.mimetype != "text/html":
            continue
        reader = FormReader(url)
        reader.feed(response.get_data(as_text=True))
        for form in reader.forms:
            path = urlsplit(form.action).path
            # Signing out ends the walk; passwords are the sign-in part's (their own tests).
            if path == "/logout" or any("password" in name for name in form.fields):
                continue
            key = (app.url_map.bind("localhost").match(path, method="POST")[0], tuple(sorted(form.fields)))
            found.setdefault(key, form)
    return list(found.values())


@pytest.mark.parametrize("role", ["admin", "focal"])
def test_no_form_answers_a_server_error_whatever_it_is_sent(app, world, client, login, role):
    s = make_scenario(world)
    login(world.users["coordinator"])
    run = run_from_form(client)
    project = save_project(world.users["focal"], world.operation, ("CF632",), title="Mine")
    save_project(world.users["other_focal"], world.operation, ("CF632",), title="Theirs")
    login(world.users[role])
    ids = sorted(
        {
            project.id,
            s.high.id,
            s.ngo_classrooms.id,
            run.id,
            world.ngo.id,
            world.users["viewer"].id,
            world.operation.id,
            factories.area(world.operation, "CF632").id,
        }
    )
    forms = forms_of_the_application(app, client, ids)
    assert len(forms) >= (10 if role == "admin" else 6), [f.action for f in forms]
    for form in forms:
        fuzz_one_form(client, form)


def fuzz_one_form(client, form) -> None:
    """Post hypothesis-made values to one form: never a server error."""
    strategies = {name: value_strategy(kind, options) for name, (kind, options) in form.fields.items()}

    @given(data=st.fixed_dictionaries(strategies))
    @settings(max_examples=8, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    def post(data):
        response = client.post(form.action, data=data)
        assert response.status_code < 500, (form.action, data)

    post()
