"""Sign-in and administration forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, EmailField, PasswordField, SelectField, SelectMultipleField, StringField, SubmitField
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional

ORGANISATION_TYPES = [
    ("un_mission", _l("UN mission")),
    ("un_agency", _l("UN agency")),
    ("international_ngo", _l("International NGO")),
    ("national_ngo", _l("National NGO")),
    ("local_authority", _l("Local authority")),
    ("government_ministry", _l("Government ministry")),
    ("donor", _l("Donor")),
    ("red_cross", _l("Red Cross / Red Crescent")),
    ("private_sector", _l("Private sector")),
]
ROLES = [
    ("admin", _l("Administrator")),
    ("coordinator", _l("Coordinator")),
    ("focal_point", _l("Focal point")),
    ("viewer", _l("Viewer")),
]


class LoginForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired()])
    remember = BooleanField(_l("Keep me signed in"))
    submit = SubmitField(_l("Sign in"))


class UserForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Email(check_deliverability=False), Length(max=254)])
    organisation_id = SelectField(_l("Organisation"), coerce=int, validators=[DataRequired()])
    role = SelectField(_l("Role"), choices=ROLES)
    operation_ids = SelectMultipleField(_l("Operations"), coerce=int, validators=[Optional()])
    password = PasswordField(
        _l("Password"),
        validators=[Optional(), Length(max=200)],
        description=_l(
            "At least 12 characters, hard to guess, without the user's name or "
            "e-mail. Leave empty to keep the current one. A new password signs "
            "the user out everywhere."
        ),
    )
    active = BooleanField(_l("Active"), default=True)
    submit = SubmitField(_l("Save"))


class OrganisationForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=300)])
    acronym = StringField(_l("Acronym"), validators=[Optional(), Length(max=50)])
    type = SelectField(_l("Type"), choices=ORGANISATION_TYPES)
    is_local = BooleanField(_l("National or local actor (counts towards localisation)"))
    iati_identifier = StringField(_l("IATI organisation identifier"), validators=[Optional(), Length(max=100)])
    archived = BooleanField(_l("Archived"))
    submit = SubmitField(_l("Save"))


class OperationForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    country_code = StringField(_l("Country code (ISO)"), validators=[DataRequired(), Length(min=2, max=3)])
    currency = StringField(_l("Currency"), default="USD", validators=[DataRequired(), Length(min=3, max=3)])
    description = StringField(_l("Description"), validators=[Optional(), Length(max=2000)])
    submit = SubmitField(_l("Save"))


class AdminAreaUploadForm(FlaskForm):
    file = FileField(_l("COD admin-area CSV"), validators=[FileRequired()])
    language = SelectField(
        _l("Names in"),
        choices=[("fr", "Français"), ("en", "English"), ("es", "Español"), ("pt", "Português"), ("ar", "العربية")],
    )
    submit = SubmitField(_l("Load admin areas"))


TOKEN_LIFETIMES = [
    (7, _l("7 days")),
    (30, _l("30 days")),
    (90, _l("90 days")),
    (180, _l("180 days")),
    (365, _l("1 year")),
]


class TokenForm(FlaskForm):
    name = StringField(_l("What is this token for?"), validators=[DataRequired(), Length(max=100)])
    days = SelectField(_l("Valid for"), choices=TOKEN_LIFETIMES, coerce=int, default=90)
    submit = SubmitField(_l("Create token"))


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired(), Length(max=200)])
    new_password = PasswordField(
        _l("New password"),
        validators=[DataRequired(), Length(max=200)],
        description=_l(
            "At least 12 characters, hard to guess, without your name or e-mail: a few unrelated words work well."
        ),
    )
    confirm = PasswordField(
        _l("New password again"),
        validators=[DataRequired(), EqualTo("new_password", message=_l("The two new passwords differ."))],
    )
    submit = SubmitField(_l("Change my password"))
