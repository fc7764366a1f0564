"""Forms of the allocation pages: the policy of a new run, pins, exclusions and partners' answers (shape only;
coordhub.allocation.inputs and operations check meaning)."""

from __future__ import annotations

import re
from datetime import date

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    FloatField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms import (
    ValidationError as FieldError,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from coordhub.allocation.inputs import MAX_TIME_LIMIT, MAX_WEIGHT

_CAP_LINE = re.compile(r"^\s*(?P<name>.+?)\s*[=:]\s*(?P<amount>[0-9][0-9 ,]*(?:\.[0-9]+)?)\s*$")


def parse_budget_caps(text: str) -> list[tuple[str, float]]:
    """'NRC = 50000' lines (or 'NRC: 50 000') -> [(name, amount)]; raises ValueError naming the line."""
    caps = []
    for number, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        match = _CAP_LINE.match(line)
        if match is None:
            raise ValueError(str(_l("Line %(n)d: write an organisation, '=' and an amount.", n=number)))
        caps.append((match["name"], float(match["amount"].replace(" ", "").replace(",", ""))))
    return caps


class PolicyForm(FlaskForm):
    note = StringField(_l("Note (what this run tries)"), validators=[Optional(), Length(max=300)])
    mode = RadioField(
        _l("How priorities count"),
        default="weights",
        choices=[
            ("weights", _l("Weights: a priority-5 unit counts as much as the weights say")),
            ("lexicographic", _l("Strict order: one priority-5 unit outranks any number of lower ones")),
        ],
    )
    weight_5 = IntegerField(
        _l("Weight of priority 5"), default=16, validators=[InputRequired(), NumberRange(min=1, max=MAX_WEIGHT)]
    )
    weight_4 = IntegerField(
        _l("Weight of priority 4"), default=8, validators=[InputRequired(), NumberRange(min=1, max=MAX_WEIGHT)]
    )
    weight_3 = IntegerField(
        _l("Weight of priority 3"), default=4, validators=[InputRequired(), NumberRange(min=1, max=MAX_WEIGHT)]
    )
    weight_2 = IntegerField(
        _l("Weight of priority 2"), default=2, validators=[InputRequired(), NumberRange(min=1, max=MAX_WEIGHT)]
    )
    weight_1 = IntegerField(
        _l("Weight of priority 1"), default=1, validators=[InputRequired(), NumberRange(min=1, max=MAX_WEIGHT)]
    )
    distance_cost_per_km = FloatField(
        _l("Distance cost per unit and km"),
        default=0,
        validators=[Optional(), NumberRange(min=0)],
        description=_l("Added to the unit cost, from the admin areas' centroids."),
    )
    budget_caps = TextAreaField(
        _l("Budget cap per organisation"),
        validators=[Optional(), Length(max=10000)],
        description=_l("One line per organisation: acronym or name, '=' and the most it may spend, e.g. NRC = 50000."),
    )
    budget_per_period = BooleanField(
        _l("Budget caps apply to each period of a plan"),
        description=_l("Otherwise a plan's budget caps apply to the whole plan."),
    )
    min_admin1_coverage = FloatField(
        _l("Minimum coverage in every admin-1 area (%)"),
        default=0,
        validators=[Optional(), NumberRange(min=0, max=100)],
        description=_l("Of what the capacities that can reach the area could deliver."),
    )
    min_local_share = FloatField(
        _l("Minimum share delivered by national and local organisations (%)"),
        default=0,
        validators=[Optional(), NumberRange(min=0, max=100)],
    )
    min_lot_size = FloatField(
        _l("Minimum lot size (units per assignment)"), default=0, validators=[Optional(), NumberRange(min=0)]
    )
    single_provider = BooleanField(_l("One provider per need"))
    periods = SelectField(
        _l("Plan over time"),
        default="",
        choices=[
            ("", _l("No: one allocation for the whole time")),
            ("month", _l("Month by month")),
            ("week", _l("Week by week")),
        ],
        description=_l(
            "A plan says when each partner delivers, within their throughput per period, the needs' "
            "start and end dates and the access of each area in each period."
        ),
    )
    horizon = DateField(
        _l("Plan until"),
        validators=[Optional()],
        description=_l("Last day of the plan; empty: the latest end date of the needs."),
    )
    time_limit_seconds = FloatField(
        _l("Time limit (seconds)"), default=30, validators=[InputRequired(), NumberRange(min=0.1, max=MAX_TIME_LIMIT)]
    )
    submit = SubmitField(_l("Run the allocation"))

    def validate_budget_caps(self, field) -> None:
        try:
            parse_budget_caps(field.data)
        except ValueError as error:
            raise FieldError(str(error)) from None

    def settings(self, organisation_ids: dict[str, int]) -> dict:
        """The policy settings (see inputs.clean_settings). `organisation_ids` maps lower-cased acronyms and
        names to ids; raises ValueError for a budget cap of an unknown organisation."""
        caps = {}
        for name, amount in parse_budget_caps(self.budget_caps.data):
            organisation_id = organisation_ids.get(name.lower())
            if organisation_id is None:
                raise ValueError(str(_l("Unknown organisation: %(name)s.", name=name)))
            caps[str(organisation_id)] = amount
        return {
            "lexicographic": self.mode.data == "lexicographic",
            "priority_weights": {str(p): getattr(self, f"weight_{p}").data for p in range(1, 6)},
            "distance_cost_per_km": self.distance_cost_per_km.data or 0.0,
            "budget_caps": caps,
            "budget_per_period": bool(self.budget_per_period.data),
            "min_admin1_coverage": (self.min_admin1_coverage.data or 0.0) / 100,
            "min_local_share": (self.min_local_share.data or 0.0) / 100,
            "single_provider": bool(self.single_provider.data),
            "min_lot_size": self.min_lot_size.data or 0.0,
            "time_limit_seconds": self.time_limit_seconds.data,
            "periods": self.periods.data or "",
            "horizon": self.horizon.data.isoformat() if self.horizon.data else "",
        }

    def fill_from(self, settings: dict, organisation_labels: dict[int, str]) -> None:
        """Start from a stored run's settings."""
        self.mode.data = "lexicographic" if settings.get("lexicographic") else "weights"
        for priority, weight in settings.get("priority_weights", {}).items():
            getattr(self, f"weight_{priority}").data = weight
        self.distance_cost_per_km.data = settings.get("distance_cost_per_km", 0.0)
        self.budget_caps.data = "\n".join(
            f"{organisation_labels.get(int(oid), oid)} = {amount:g}"
            for oid, amount in settings.get("budget_caps", {}).items()
        )
        self.min_admin1_coverage.data = round(settings.get("min_admin1_coverage", 0.0) * 100, 4)
        self.min_local_share.data = round(settings.get("min_local_share", 0.0) * 100, 4)
        self.min_lot_size.data = settings.get("min_lot_size", 0.0)
        self.single_provider.data = settings.get("single_provider", False)
        self.budget_per_period.data = settings.get("budget_per_period", False)
        self.time_limit_seconds.data = settings.get("time_limit_seconds", 30.0)
        self.periods.data = settings.get("periods", "")
        self.horizon.data = date.fromisoformat(settings["horizon"]) if settings.get("horizon") else None


class AccessForm(FlaskForm):
    """A security assessment of an admin area for a time."""

    admin_area_id = SelectField(_l("Admin area (and every area below it)"), coerce=int, validators=[DataRequired()])
    level = SelectField(
        _l("Access"),
        choices=[
            ("open", _l("Open: anybody may serve it")),
            ("restricted", _l("Restricted: only capacities with one of the clearances below")),
            ("no_go", _l("No-go: nobody may serve it")),
        ],
        validators=[DataRequired()],
    )
    clearances = StringField(
        _l("Clearances that may serve it"),
        validators=[Optional(), Length(max=200)],
        description=_l(
            "Separated by ; e.g. escort; un_security; local (national and local organisations hold “local”)."
        ),
    )
    start_date = DateField(_l("From"), validators=[DataRequired()])
    end_date = DateField(_l("Until"), validators=[Optional()], description=_l("Empty: until further notice."))
    note = StringField(_l("Source or note"), validators=[Optional(), Length(max=300)])
    submit = SubmitField(_l("Save the assessment"))


class AccessImportForm(FlaskForm):
    file = FileField(_l("CSV file: pcode, level, start, end, clearance"), validators=[FileRequired()])
    submit = SubmitField(_l("Import"))


class PinForm(FlaskForm):
    quantity = FloatField(_l("Quantity"), validators=[Optional(), NumberRange(min=0.000001)])
    submit = SubmitField(_l("Fix this"))


class ForbidForm(FlaskForm):
    reason = StringField(_l("Reason"), validators=[Optional(), Length(max=500)])
    submit = SubmitField(_l("Forbid this"))


class ResponseForm(FlaskForm):
    decision = RadioField(
        _l("Answer"), choices=[("accepted", _l("Accept")), ("declined", _l("Decline"))], validators=[InputRequired()]
    )
    reason = TextAreaField(_l("Reason (required to decline)"), validators=[Optional(), Length(max=500)])
    submit = SubmitField(_l("Send"))

    def validate_reason(self, field) -> None:
        if self.decision.data == "declined" and not (field.data or "").strip():
            raise FieldError(str(_l("Say why you decline.")))


class WithdrawForm(FlaskForm):
    reason = TextAreaField(_l("Why (partners see it)"), validators=[Optional(), Length(max=500)])
    submit = SubmitField(_l("Withdraw now"))
