"""The notification settings form (one choice per event, sectors and admin areas) and the unsubscribe button."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, SelectMultipleField, SubmitField
from wtforms.validators import DataRequired

from coordhub.notifications.models import EVENT_LABELS, FREQUENCY_LABELS, Event


class SettingsForm(FlaskForm):
    sector_ids = SelectMultipleField(_l("Only these sectors"), coerce=int, description=_l("None chosen: every sector."))
    area_ids = SelectMultipleField(
        _l("Only these admin areas (and everything below them)"), coerce=int, description=_l("None chosen: every area.")
    )
    submit = SubmitField(_l("Save"))

    @property
    def event_fields(self):
        return [self[f"event_{event.value}"] for event in Event]


for _event in Event:
    setattr(
        SettingsForm,
        f"event_{_event.value}",
        SelectField(
            EVENT_LABELS[_event],
            validators=[DataRequired()],
            choices=[(f.value, label) for f, label in FREQUENCY_LABELS.items()],
        ),
    )


class UnsubscribeForm(FlaskForm):
    """No CSRF token: the signed link is the proof, and mail clients post it as is (RFC 8058)."""

    class Meta:
        csrf = False

    submit = SubmitField(_l("Stop these e-mails"))
