"""Forms of the import wizard (shape only; the importer checks meaning)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, HiddenField, SelectField, StringField, SubmitField
from wtforms.validators import AnyOf, DataRequired, Length, Optional

from coordhub.registry.forms import IsoDateField

KIND_CHOICES = [
    ("projects", _l("Projects and activities (3W/4W)")),
    ("needs", _l("Needs")),
    ("capacities", _l("Capacities")),
    ("organisations", _l("Organisations")),
    ("admin_areas", _l("Admin areas (P-codes)")),
    ("reports", _l("Results (monthly reports)")),
]


class UploadForm(FlaskForm):
    kind = SelectField(_l("What the file holds"), choices=KIND_CHOICES, validators=[DataRequired()])
    file = FileField(_l("CSV or Excel (.xlsx) file"), validators=[FileRequired()])
    template = SelectField(
        _l("Column mapping"),
        choices=[],
        validate_choice=False,
        description=_l("A saved template, or let coordhub recognise the columns."),
    )
    submit = SubmitField(_l("Upload and read the columns"))


class SheetForm(FlaskForm):
    sheet = SelectField(_l("Sheet"), choices=[], validators=[DataRequired()])
    submit = SubmitField(_l("Use this sheet"))


class MappingForm(FlaskForm):
    """The per-field column choices arrive as `map-<field>` (built from the kind's fields in the template)."""

    default_start = IsoDateField(_l("Start date for rows without dates"), validators=[Optional()])
    default_end = IsoDateField(_l("End date for rows without dates"), validators=[Optional()])
    month_first = BooleanField(_l("Dates are written month first (03/01/2026 is 1 March)"))
    skip_invalid = BooleanField(_l("Import the valid rows and skip the rejected ones (default: all rows or none)"))
    template_name = StringField(_l("Save this mapping as a template named"), validators=[Optional(), Length(max=100)])
    template_scope = SelectField(
        _l("Template for"),
        choices=[("organisation", _l("my organisation")), ("operation", _l("the whole operation"))],
        default="organisation",
        validate_choice=False,
    )
    submit = SubmitField(_l("Preview the import"))


class CommitForm(FlaskForm):
    skip_invalid = BooleanField(_l("Skip the rejected rows"))
    submit = SubmitField(_l("Import"))


class TriageForm(FlaskForm):
    """One action on a group of problems of the preview: register the missing organisations, skip (or
    stop skipping) a whole cause, or read one file value as a chosen sector for the whole file."""

    action = HiddenField(validators=[DataRequired(), AnyOf(("create_organisations", "skip", "unskip", "map_value"))])
    key = HiddenField(validators=[Optional(), Length(max=1000)])
    value = HiddenField(validators=[Optional(), Length(max=300)])
    code = SelectField(_l("Read it as"), choices=[], validate_choice=False, validators=[Optional()])
    submit = SubmitField(_l("Apply"))
