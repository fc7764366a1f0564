"""Words for people for the stored enumeration values (statuses, organisation types, roles), in one place:
pages show `value|label` in the reader's language, never the raw value ('un_agency', 'partially_met')."""

from __future__ import annotations

import enum

from flask_babel import lazy_gettext as _l

from coordhub.auth.forms import ROLES
from coordhub.registry.forms import ORGANISATION_TYPES

PROJECT_STATUSES = [
    ("planned", _l("Planned")),
    ("ongoing", _l("Ongoing")),
    ("completed", _l("Completed")),
    ("suspended", _l("Suspended")),
]
NEED_STATUSES = [
    ("open", _l("Open")),
    ("partially_met", _l("Partially met")),
    ("met", _l("Met")),
    ("closed", _l("Closed")),
]

IMPORT_STATUSES = [
    ("uploaded", _l("uploaded")),
    ("previewed", _l("previewed")),
    ("committed", _l("imported")),
    ("failed", _l("failed")),
]
AUDIT_ACTIONS = [
    ("create", _l("created")),
    ("update", _l("changed")),
    ("archive", _l("archived")),
    ("restore", _l("restored")),
    ("delete", _l("deleted")),
    ("sign_in", _l("signed in")),
    ("sign_in_failed", _l("sign-in failed")),
    ("sign_in_throttled", _l("sign-in throttled")),
]

LABELS: dict[str, dict[str, object]] = {
    "OrganisationType": dict(ORGANISATION_TYPES),
    "Role": dict(ROLES),
    "ProjectStatus": dict(PROJECT_STATUSES),
    "NeedStatus": dict(NEED_STATUSES),
    "ImportStatus": dict(IMPORT_STATUSES),
    "AuditAction": dict(AUDIT_ACTIONS),
}


def label(value: enum.Enum | str | None, kind: str | None = None) -> str:
    """The label of an enumeration member (or of a raw value of the enumeration named `kind`) in the current
    language; an unknown value is shown as it is, with spaces for underscores."""
    if value is None:
        return ""
    if isinstance(value, enum.Enum):
        kind, value = type(value).__name__, value.value
    known = LABELS.get(kind or "", {}).get(str(value))
    return str(known) if known is not None else str(value).replace("_", " ")
