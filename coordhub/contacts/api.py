"""/api/v1/contacts: the operation's contacts directory, as the page shows it to the token's user."""

from __future__ import annotations

from typing import Any

from coordhub.api.core import api_route, operation_for, paginate
from coordhub.api.openapi import EXTRA_PATHS, EXTRA_SCHEMAS, PAGING, _error_responses, _json, _page, _ref
from coordhub.contacts import rights
from coordhub.contacts.models import Contact
from coordhub.contacts.queries import directory_query


def serialise_contact(contact: Contact, user) -> dict[str, Any]:
    return {
        "id": contact.id,
        "organisation_id": contact.organisation_id,
        "organisation": contact.organisation.label,
        "name": contact.name,
        "role": contact.role_title,
        "email": contact.email,
        "phone": contact.phone if rights.can_see_phone(user, contact) else "",
        "languages": contact.languages,
        "sector_id": contact.sector_id,
        "pcode": contact.area.pcode if contact.area else None,
    }


@api_route("/contacts")
def list_contacts(user):
    operation = operation_for(user)
    return paginate(directory_query(operation), lambda c: serialise_contact(c, user))


EXTRA_SCHEMAS["Contact"] = {
    "type": "object",
    "required": ["id", "organisation_id", "organisation", "name", "role", "email", "phone"],
    "properties": {
        "id": {"type": "integer"},
        "organisation_id": {"type": "integer"},
        "organisation": {"type": "string"},
        "name": {"type": "string"},
        "role": {"type": "string"},
        "email": {"type": "string"},
        "phone": {"type": "string", "description": "empty when kept for coordinators"},
        "languages": {"type": "string"},
        "sector_id": {"type": ["integer", "null"]},
        "pcode": {"type": ["string", "null"]},
    },
}
EXTRA_PATHS["/contacts"] = {
    "get": {
        "summary": "The operation's contacts directory (focal points listed with their consent)",
        "tags": ["contacts"],
        "parameters": PAGING,
        "responses": {"200": _json(_page(_ref("Contact"))), **_error_responses(401, 404)},
    }
}
