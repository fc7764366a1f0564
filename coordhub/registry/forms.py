"""Forms for projects, needs and capacities (shape only; operations check meaning)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    FloatField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

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


def optional_int(value):
    if value in (None, "", "None"):
        return None
    return int(value)


class RecordForm(FlaskForm):
    """Fields every registered record shares."""

    organisation_id = SelectField(_l("Organisation"), coerce=int, validators=[DataRequired()])
    code = StringField(
        _l("Your reference code"),
        validators=[Optional(), Length(max=100)],
        description=_l("Your organisation's own identifier, used to match re-imports."),
    )
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=300)])
    start_date = DateField(_l("Start date"), validators=[DataRequired()])
    end_date = DateField(
        _l("End date"), validators=[Optional()], description=_l("Leave empty while there is no end date.")
    )
    submit = SubmitField(_l("Save"))
    # The version the person opened: a save is refused when the record has changed since (optimistic concurrency).
    version = HiddenField()

    def set_version(self, version: int) -> None:
        """Carry `version` in the form, also over what the browser posted (shown again after a conflict)."""
        self.version.data = str(version)
        self.version.raw_data = [str(version)]

    def data_for_operation(self) -> dict:
        skip = {"submit", "csrf_token"}
        return {name: field.data for name, field in self._fields.items() if name not in skip}


class ProjectForm(RecordForm):
    sector_id = SelectField(_l("Sector"), coerce=optional_int, validators=[DataRequired()])
    resource_type_id = SelectField(_l("Activity / resource type"), coerce=optional_int, validators=[Optional()])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=10000)])
    area_ids = SelectMultipleField(_l("Admin areas"), coerce=int, validators=[DataRequired()])
    partner_ids = SelectMultipleField(_l("Implementing partners"), coerce=int, validators=[Optional()])
    status = SelectField(
        _l("Status"),
        choices=[
            ("planned", _l("Planned")),
            ("ongoing", _l("Ongoing")),
            ("completed", _l("Completed")),
            ("suspended", _l("Suspended")),
        ],
    )
    budget = FloatField(_l("Budget"), validators=[Optional(), NumberRange(min=0)])
    currency = StringField(_l("Currency"), default="USD", validators=[DataRequired(), Length(min=3, max=3)])
    beneficiaries_targeted = IntegerField(_l("Targeted beneficiaries"), validators=[Optional(), NumberRange(min=0)])
    target_group = StringField(_l("Target group"), validators=[Optional(), Length(max=200)])
    sensitive = BooleanField(_l("Sensitive (protection, victims, DDR): hide details from other organisations"))


class NeedForm(RecordForm):
    admin_area_id = SelectField(_l("Admin area"), coerce=int, validators=[DataRequired()])
    sector_id = SelectField(_l("Sector"), coerce=optional_int, validators=[DataRequired()])
    resource_type_id = SelectField(_l("Resource type"), coerce=int, validators=[DataRequired()])
    quantity = FloatField(
        _l("Quantity (in the resource type's unit)"), validators=[DataRequired(), NumberRange(min=0.001)]
    )
    priority = SelectField(
        _l("Priority"),
        coerce=int,
        default=3,
        choices=[
            (5, _l("5 – life-saving / critical")),
            (4, _l("4 – high")),
            (3, _l("3 – medium")),
            (2, _l("2 – low")),
            (1, _l("1 – lowest")),
        ],
    )
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=10000)])
    source = StringField(_l("Source (assessment it comes from)"), validators=[Optional(), Length(max=300)])
    status = SelectField(
        _l("Status"),
        choices=[
            ("open", _l("Open")),
            ("partially_met", _l("Partially met")),
            ("met", _l("Met")),
            ("closed", _l("Closed")),
        ],
    )
    sensitive = BooleanField(_l("Sensitive (protection, victims, DDR): hide details from other organisations"))
    lead_time = IntegerField(
        _l("Lead time to mobilise (days, for plans over time)"),
        default=0,
        validators=[Optional(), NumberRange(min=0, max=3650)],
        description=_l("Days a partner not yet working in the area needs before it can deliver there."),
    )

    def data_for_operation(self) -> dict:
        data = super().data_for_operation()
        data["lead_time"] = data.get("lead_time") or 0
        return data


class CapacityForm(RecordForm):
    resource_type_id = SelectField(_l("Resource type"), coerce=int, validators=[DataRequired()])
    quantity = FloatField(
        _l("Quantity (in the resource type's unit)"), validators=[DataRequired(), NumberRange(min=0.001)]
    )
    area_ids = SelectMultipleField(
        _l("Service areas (an area covers every area below it)"), coerce=int, validators=[DataRequired()]
    )
    unit_cost = FloatField(_l("Unit cost"), default=0, validators=[Optional(), NumberRange(min=0)])
    currency = StringField(_l("Currency"), default="USD", validators=[DataRequired(), Length(min=3, max=3)])
    throughput = FloatField(
        _l("Throughput per period (for plans over time)"),
        validators=[Optional(), NumberRange(min=0.001)],
        description=_l("Units it can deliver per week or month; leave empty for no limit."),
    )
    clearances = StringField(
        _l("Access clearances"),
        validators=[Optional(), Length(max=200)],
        description=_l("Separated by ; e.g. escort; un_security. Local organisations hold “local” without saying it."),
    )
    notes = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=10000)])

    def data_for_operation(self) -> dict:
        data = super().data_for_operation()
        data["unit_cost"] = data.get("unit_cost") or 0.0
        data["clearances"] = data.get("clearances") or ""
        return data


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
