"""One date format everywhere: every date field of every form is an ISO (YYYY-MM-DD) `<input type="date">` (the
browser's date picker), reads ISO and says what is wrong with any other format; the list filters' dates too."""

from __future__ import annotations

import importlib
import pkgutil
import re

import pytest
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import DateField, DateTimeField, DateTimeLocalField
from wtforms.fields.core import UnboundField

import coordhub
from coordhub.registry.forms import IsoDateField


def form_classes() -> list[type[FlaskForm]]:
    for module in pkgutil.walk_packages(coordhub.__path__, "coordhub."):
        if module.name.endswith(".forms"):
            importlib.import_module(module.name)
    found, todo = [], list(FlaskForm.__subclasses__())
    while todo:
        form = todo.pop()
        todo += form.__subclasses__()
        if form.__module__.startswith("coordhub."):
            found.append(form)
    return sorted(found, key=lambda f: f"{f.__module__}.{f.__qualname__}")


def date_fields(form: type[FlaskForm]) -> list[str]:
    return [
        name
        for name in dir(form)
        if isinstance(getattr(form, name), UnboundField)
        and issubclass(getattr(form, name).field_class, (DateField, DateTimeField, DateTimeLocalField))
    ]


def test_the_forms_have_date_fields_to_check():
    names = {f"{form.__name__}.{name}" for form in form_classes() for name in date_fields(form)}
    assert {"ProjectForm.start_date", "ProjectForm.end_date", "NeedForm.start_date", "PeriodsForm.first"} <= names


@pytest.mark.parametrize(
    "form_class", [f for f in form_classes() if date_fields(f)], ids=lambda f: f"{f.__module__}.{f.__name__}"
)
def test_every_date_field_is_an_iso_date_picker(app, form_class):
    with app.test_request_context("/", method="POST"):
        for name in date_fields(form_class):
            assert getattr(form_class, name).field_class is IsoDateField, f"{name}: not the interface's date field"
            form = form_class(formdata=MultiDict({name: "2026-03-01"}), meta={"csrf": False})
            field = form[name]
            assert field.data is not None and field.data.isoformat() == "2026-03-01", name
            html = str(field())
            assert re.search(r'type="date"', html) and 'value="2026-03-01"' in html, html
            for wrong in ("01/03/2026", "2026-13-01", "1 March 2026"):
                form = form_class(formdata=MultiDict({name: wrong}), meta={"csrf": False})
                form[name].validate(form)
                assert form[name].errors and form[name].data is None, (name, wrong)
                assert form[name].errors == ["Not a valid date: write it as YYYY-MM-DD (2026-03-01)."], form[
                    name
                ].errors


@pytest.mark.parametrize("slug", ["projects", "needs", "capacities"])
def test_the_list_date_filters_are_labelled_iso_date_pickers(world, login, client, slug):
    login(world.users["viewer"])
    page = client.get(f"/{slug}/?date_from=2026-01-31").get_data(as_text=True)
    for name, label in (("date_from", "Active between"), ("date_to", "and")):
        field = re.search(rf'<input [^>]*name="{name}"[^>]*>', page).group(0)
        assert 'type="date"' in field
        identifier = re.search(r'id="([^"]+)"', field).group(1)
        assert f'<label class="small text-nowrap" for="{identifier}">{label}</label>' in page
    assert 'name="date_from" value="2026-01-31"' in page
