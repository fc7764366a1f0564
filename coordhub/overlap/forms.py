"""The alert state-change form (shape only; overlap operations check the lifecycle and rights)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from coordhub.overlap.models import RESOLUTION_LABELS, STATE_LABELS


class AlertStateForm(FlaskForm):
    state = SelectField(_l("New state"), validators=[DataRequired()])
    resolution = SelectField(
        _l("How it was resolved"),
        validators=[Optional()],
        choices=[("", _l("— only when resolving —"))] + [(r.value, label) for r, label in RESOLUTION_LABELS.items()],
    )
    comment = TextAreaField(
        _l("Comment"),
        validators=[DataRequired(), Length(max=2000)],
        description=_l("Required: what was agreed, or why this is not an overlap."),
    )
    submit = SubmitField(_l("Change state"))

    def set_states(self, states) -> None:
        self.state.choices = [(s.value, STATE_LABELS[s]) for s in states]
