"""Forms of the monitoring pages (shape only; coordhub.monitoring.operations checks meaning). Report and target
grids are read field by field (see grid_entries), their CSRF token comes from GridForm."""

from __future__ import annotations

import math

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from coordhub.monitoring.core import DIMENSIONS
from coordhub.monitoring.messages import DIMENSION_LABELS
from coordhub.monitoring.models import AGGREGATION_LABELS, TYPE_LABELS, Aggregation, IndicatorType
from coordhub.registry.forms import IsoDateField, optional_int


class IndicatorForm(FlaskForm):
    code = StringField(
        _l("Code"),
        validators=[DataRequired(), Length(max=60)],
        description=_l("Short and stable, e.g. EDU-1: imports and exports use it."),
    )
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=300)])
    sector_id = SelectField(_l("Sector"), coerce=optional_int, validators=[DataRequired()])
    unit = StringField(_l("Unit"), validators=[DataRequired(), Length(max=50)])
    type = SelectField(_l("Type"), choices=[(t.value, TYPE_LABELS[t]) for t in IndicatorType])
    aggregation = SelectField(
        _l("How values add up"),
        choices=[(a.value, AGGREGATION_LABELS[a]) for a in Aggregation],
        description=_l(
            "Sum: each period reports what was done in it. Latest value: each "
            "period reports the running total (or the current %)."
        ),
    )
    disaggregation = SelectMultipleField(
        _l("Broken down by"),
        choices=[(d, DIMENSION_LABELS[d]) for d in DIMENSIONS],
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )
    resource_type_id = SelectField(
        _l("Resource type it delivers"),
        coerce=optional_int,
        validators=[Optional()],
        description=_l(
            "When the indicator counts the units of a resource type, approved "
            "results reduce the open needs of that type."
        ),
    )
    archived = BooleanField(_l("Archived (no longer offered for targets)"))
    submit = SubmitField(_l("Save"))


class SectorLeadForm(FlaskForm):
    sector_id = SelectField(_l("Sector"), coerce=int)
    organisation_id = SelectField(_l("Lead organisation"), coerce=optional_int, validators=[Optional()])
    submit = SubmitField(_l("Save the sector lead"))


class PeriodsForm(FlaskForm):
    first = IsoDateField(_l("First month"), validators=[InputRequired()])
    count = IntegerField(_l("Number of months"), default=3, validators=[InputRequired(), NumberRange(min=1, max=60)])
    due_days = IntegerField(
        _l("Reports due (days after the month ends)"),
        default=10,
        validators=[InputRequired(), NumberRange(min=0, max=90)],
    )
    submit = SubmitField(_l("Open the periods"))


class PeriodStateForm(FlaskForm):
    reason = StringField(_l("Why reopen it"), validators=[Optional(), Length(max=250)])
    submit = SubmitField(_l("Save"))


class GridForm(FlaskForm):
    """The CSRF token of a grid of values (targets), read by grid_entries."""

    submit = SubmitField(_l("Save the targets"))


class ReportForm(FlaskForm):
    comment = TextAreaField(
        _l("Comment"), validators=[Optional(), Length(max=5000)], description=_l("What was done, what got in the way.")
    )
    need_id = SelectField(_l("Need it served (optional)"), coerce=optional_int, validators=[Optional()])
    confirm = BooleanField(_l("I checked the values marked as warnings: they are right"))
    save = SubmitField(_l("Save the draft"))
    send = SubmitField(_l("Save and submit for review"))


class ReviewForm(FlaskForm):
    review_comment = TextAreaField(
        _l("Review comment"),
        validators=[Optional(), Length(max=5000)],
        description=_l("Required when you return the report."),
    )
    approve = SubmitField(_l("Approve"))
    give_back = SubmitField(_l("Return for correction"))


def parse_number(raw: str) -> float | None:
    """A typed number ('1 200', '1,200.5', '12') or None when empty; raises ValueError otherwise."""
    text = (raw or "").strip().replace("\u00a0", "").replace(" ", "")
    if not text:
        return None
    if "," in text and "." not in text and text.count(",") == 1 and len(text.split(",")[1]) != 3:
        text = text.replace(",", ".")  # a decimal comma
    value = float(text.replace(",", ""))
    if not math.isfinite(value):
        raise ValueError(raw)
    return value


def grid_entries(form_data, prefix: str) -> tuple[dict[tuple[int, int, str], float], dict[str, str]]:
    """The grid fields '<prefix>-<indicator>-<area>-<disaggregation>' that hold a number, and the names of those
    holding something else (with the message)."""
    values, errors = {}, {}
    for name, raw in form_data.items():
        if not name.startswith(prefix + "-"):
            continue
        parts = name.split("-", 3)
        if len(parts) != 4 or not parts[1].isdigit() or not parts[2].isdigit():
            continue
        try:
            value = parse_number(raw)
        except ValueError:
            errors[name] = str(_l("Enter a number."))
            continue
        if value is not None:
            values[(int(parts[1]), int(parts[2]), parts[3])] = value
    return values, errors
