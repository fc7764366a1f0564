"""Sign-in and administration forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, SelectField, SelectMultipleField, StringField, SubmitField
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional

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
