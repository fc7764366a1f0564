"""Words for map data, rendered in the reader's language at display time: row problems, organisation types."""

from __future__ import annotations

from flask_babel import gettext as _

from coordhub.maps.core.boundaries import RowProblem
from coordhub.registry.forms import ORGANISATION_TYPES


def project_status_label(value: str) -> str:
    from coordhub.registry.forms import ProjectForm

    return str(dict(ProjectForm.status.kwargs["choices"]).get(value, value))


def organisation_type_label(value: str) -> str:
    return str(dict(ORGANISATION_TYPES).get(value, value))


def problem_message(problem: RowProblem) -> str:
    """One sentence for a boundary row problem (the core returns a code and parameters)."""
    params = problem.params
    messages = {
        "no_pcode": lambda: _("No P-code in property %(property)s.", property=params.get("property", "")),
        "duplicate": lambda: _("This P-code was already given on feature %(row)s.", row=params.get("first_row")),
        "bad_geometry": lambda: _("The geometry cannot be read (%(detail)s).", detail=params.get("detail", "")),
        "not_polygon": lambda: _("A polygon was expected, not a %(type)s.", type=params.get("type", "")),
        "unknown_pcode": lambda: _("No admin area of this operation has this P-code."),
        "wrong_level": lambda: _(
            "This P-code is an area of level %(level)s, not of the level loaded.", level=params.get("level")
        ),
    }
    return messages.get(problem.code, lambda: problem.code)()
