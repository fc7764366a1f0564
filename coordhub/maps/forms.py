"""Forms of the maps module: loading boundaries (filters are plain GET forms read by parse_map_query)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField, IntegerField, SubmitField
from wtforms.validators import DataRequired, NumberRange, Optional


class BoundaryUploadForm(FlaskForm):
    file = FileField(_l("GeoJSON file or zipped shapefile"), validators=[FileRequired()])
    level = IntegerField(
        _l("Admin level"),
        validators=[DataRequired(), NumberRange(min=0, max=9)],
        description=_l("The level of the areas in the file (1: provinces, 2: departments...)."),
    )
    submit = SubmitField(_l("Preview"))


class BoundaryCommitForm(FlaskForm):
    upload = HiddenField(validators=[DataRequired()])
    level = HiddenField(validators=[DataRequired()])
    filename = HiddenField(validators=[Optional()])
    submit = SubmitField(_l("Load these boundaries"))


def enhance_record_form(form, resource_types) -> None:
    """Attributes for static/area-picker.js: the searchable area picker on the area fields, and the resource
    types filtered by the chosen sector (the server still checks both)."""
    import json

    from flask import url_for
    from flask_babel import gettext as _

    labels = json.dumps(
        {
            "search": _("Type a name or P-code"),
            "map": _("Pick on the map"),
            "in": _("in"),
            "remove": _("Remove"),
            "none": _("No area chosen yet."),
        }
    )
    for name in ("area_ids", "admin_area_id"):
        field = getattr(form, name, None)
        if field is not None:
            field.render_kw = {
                **(field.render_kw or {}),
                "data-area-picker": url_for("maps.areas_json"),
                "data-picker-labels": labels,
            }
    if hasattr(form, "sector_id") and hasattr(form, "resource_type_id"):
        form.resource_type_id.render_kw = {
            **(form.resource_type_id.render_kw or {}),
            "data-sector-of": json.dumps({str(t.id): t.sector_id for t in resource_types}),
            "data-sector-field": "sector_id",
        }
