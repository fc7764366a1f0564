"""Stored enumeration values are shown as words in the reader's language, never raw."""

from __future__ import annotations

import enum

import pytest
from flask_babel import force_locale

from coordhub.audit.models import AuditAction
from coordhub.auth.models import Role
from coordhub.interop.models import ImportStatus
from coordhub.labels import LABELS, label
from coordhub.registry.models import NeedStatus, OrganisationType, ProjectStatus

ENUMS = [OrganisationType, Role, ProjectStatus, NeedStatus, ImportStatus, AuditAction]


@pytest.mark.parametrize("enumeration", ENUMS)
def test_every_member_has_a_label_in_english_and_french(app, enumeration: type[enum.Enum]):
    assert set(LABELS[enumeration.__name__]) == {member.value for member in enumeration}
    with app.test_request_context():
        for member in enumeration:
            english = label(member)
            with force_locale("fr"):
                french = label(member)
            assert english and "_" not in english and french and "_" not in french


def test_labels_are_translated(app):
    with app.test_request_context(), force_locale("fr"):
        assert "agence" in label(OrganisationType.un_agency).lower()
        assert label(ProjectStatus.ongoing).lower() == "en cours"
        assert label("partially_met", "NeedStatus").lower().startswith("partiellement")
    assert label(None) == "" and label("something_else", "NeedStatus") == "something else"


def test_organisations_page_shows_type_labels(world, login, client):
    login(world.users["admin"])
    page = client.get("/organisations/").get_data(as_text=True)
    assert "International NGO" in page and "international_ngo" not in page.replace('value="international_ngo"', "")
