"""Forms of the maps module: loading boundaries (filters are plain GET forms read by parse_map_query)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField, IntegerField, SubmitField
from wtforms.validators import DataRequired, NumberRange, Optional


class BoundaryUploadForm(FlaskForm):
    file = FileField(_l("GeoJSON file or zipped shapefile"), validators=[FileRequired()])
    level = IntegerField(_l("Admin level"), validators=[DataRequired(), NumberRange(min=0, max=9)],
                         description=_l("The level of the areas in the file (1: provinces, 2: departments...)."))
    submit = SubmitField(_l("Preview"))


class BoundaryCommitForm(FlaskForm):
    upload = HiddenField(validators=[DataRequired()])
    level = HiddenField(validators=[DataRequired()])
    filename = HiddenField(validators=[Optional()])
    submit = SubmitField(_l("Load these boundaries"))
