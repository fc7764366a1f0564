"""Forms of the contacts directory and of messages to the owner of a hidden entry (shape only)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional


class ContactForm(FlaskForm):
    organisation_id = SelectField(_l("Organisation"), coerce=int, validators=[DataRequired()])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    role_title = StringField(
        _l("Role"),
        validators=[Optional(), Length(max=200)],
        description=_l("e.g. WASH focal point, head of sub-office"),
    )
    email = StringField(_l("E-mail"), validators=[Optional(), Length(max=254)])
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=50)])
    phone_coordinators_only = BooleanField(
        _l("Only coordinators see my phone"), description=_l("Other organisations then see the e-mail address only.")
    )
    languages = StringField(
        _l("Languages"), validators=[Optional(), Length(max=100)], description=_l("e.g. French, Arabic")
    )
    sector_id = SelectField(_l("Sector"), coerce=int, validators=[Optional()])
    admin_area_id = SelectField(_l("Admin area"), coerce=int, validators=[Optional()])
    consent = BooleanField(
        _l("This person agreed to be listed in the directory"),
        description=_l("Required for a new entry: the date and who recorded it are kept."),
    )
    submit = SubmitField(_l("Save"))


class OwnerMessageForm(FlaskForm):
    body = TextAreaField(
        _l("Message"),
        validators=[DataRequired(), Length(max=2000)],
        description=_l(
            "It goes to the focal points of the organisation behind the entry and to "
            "the coordinators. You will not learn who they are unless they answer."
        ),
    )
    submit = SubmitField(_l("Send"))


class AnswerForm(FlaskForm):
    answer = TextAreaField(
        _l("Answer"),
        validators=[DataRequired(), Length(max=2000)],
        description=_l(
            "Your answer, with your name, organisation and e-mail, goes to the sender and into the alert's history."
        ),
    )
    submit = SubmitField(_l("Send the answer"))
