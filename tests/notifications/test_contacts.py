"""The contacts directory (consent, each organisation keeps its own, "only coordinators see my phone", the CSV
contact list with HXL #contact hashtags) and "Contact the owner" of a hidden entry."""

from __future__ import annotations

import csv
import io

import sqlalchemy as sa

from coordhub.audit.models import AuditEntry
from coordhub.contacts.models import Contact, OwnerMessage
from coordhub.extensions import db
from coordhub.notifications.models import Event
from tests import factories
from tests.notifications.conftest import notices, recipients, text_part
from tests.overlap.helpers import alerts, save_project


def _contact(client, **overrides):
    data = {
        "organisation_id": overrides.pop("organisation_id"),
        "name": "Awa Traoré",
        "role_title": "WASH focal point",
        "email": "awa@ngoa.example",
        "phone": "+236 70 00 00 01",
        "languages": "French, Sango",
        "sector_id": 0,
        "admin_area_id": 0,
        "consent": "y",
    }
    data.update(overrides)
    return client.post("/contacts/new", data=data)


def test_a_focal_point_lists_their_own_people_with_consent(world, client, login):
    login(world.users["focal"])
    refused = _contact(client, organisation_id=world.ngo.id, consent="")
    assert refused.status_code == 422 and "agreed to be listed" in refused.get_data(as_text=True)
    assert _contact(client, organisation_id=world.ngo.id).status_code == 302
    contact = db.session.scalar(sa.select(Contact))
    assert contact.consent_at is not None and contact.consent_recorded_by_id == world.users["focal"].id
    assert db.session.scalar(sa.select(AuditEntry).where(AuditEntry.entity_type == "Contact")) is not None
    # not for another organisation
    other = _contact(client, organisation_id=world.other_ngo.id, name="Someone else")
    assert other.status_code == 422 and db.session.scalar(sa.select(sa.func.count()).select_from(Contact)) == 1
    login(world.users["other_focal"])
    assert client.get(f"/contacts/{contact.id}").status_code == 403
    assert client.post(f"/contacts/{contact.id}/archive").status_code == 403
    login(world.users["viewer"])
    assert client.get("/contacts/new").status_code == 403


def test_the_directory_hides_a_phone_kept_for_coordinators(world, client, login):
    login(world.users["focal"])
    _contact(client, organisation_id=world.ngo.id, phone_coordinators_only="y")
    login(world.users["other_focal"])
    page = client.get("/contacts/").get_data(as_text=True)
    assert "Awa Traoré" in page and "awa@ngoa.example" in page and "+236 70" not in page
    assert "coordinators only" in page
    exported = client.get("/contacts/export.csv").get_data(as_text=True).lstrip("\ufeff")
    rows = list(csv.reader(io.StringIO(exported)))
    assert rows[1][:6] == [
        "#org+name",
        "#org+acronym",
        "#contact+name",
        "#contact+role",
        "#contact+email",
        "#contact+phone",
    ]
    assert rows[2][2] == "Awa Traoré" and rows[2][5] == ""
    login(world.users["coordinator"])
    assert "+236 70 00 00 01" in client.get("/contacts/").get_data(as_text=True)
    coordinator_rows = list(csv.reader(io.StringIO(client.get("/contacts/export.csv").get_data(as_text=True))))
    assert coordinator_rows[2][5] == "'+236 70 00 00 01"  # (a leading + is neutralised for spreadsheets)
    login(world.users["outsider"])  # another operation: not its directory
    assert "Awa" not in client.get("/contacts/").get_data(as_text=True)


def test_the_api_lists_the_directory_with_the_same_phone_rule(world, client, login, token_for):
    login(world.users["focal"])
    _contact(client, organisation_id=world.ngo.id, phone_coordinators_only="y")
    (item,) = client.get("/api/v1/contacts", headers=token_for(world.users["other_focal"])).get_json()["items"]
    assert item["name"] == "Awa Traoré" and item["phone"] == "" and item["email"] == "awa@ngoa.example"
    (item,) = client.get("/api/v1/contacts", headers=token_for(world.users["coordinator"])).get_json()["items"]
    assert item["phone"] == "+236 70 00 00 01"
    assert client.get("/api/v1/contacts", headers=token_for(world.users["outsider"])).get_json()["total"] == 0


def test_directory_filters_by_area_include_areas_above_and_below(world, client, login):
    login(world.users["focal"])
    bozoum = factories.area(world.operation, "CF632")
    bria = factories.area(world.operation, "CF711")
    _contact(client, organisation_id=world.ngo.id, name="Bozoum person", admin_area_id=bozoum.id)
    _contact(client, organisation_id=world.ngo.id, name="Bria person", admin_area_id=bria.id)
    province = factories.area(world.operation, "CF63")
    client.get("/contacts/")  # (shows the last "saved" message)
    page = client.get(f"/contacts/?area={province.id}").get_data(as_text=True)
    assert "Bozoum person" in page and "Bria person" not in page


def _hidden_alert(world):
    save_project(world.users["focal"], world.operation, title="Classrooms Bozoum")
    save_project(world.users["other_focal"], world.operation, title="Protection classrooms", sensitive=True)
    (alert,) = alerts()
    return alert


def test_contact_the_owner_reaches_its_focal_points_and_coordinators_without_naming_them(world, client, login, smtp):
    alert = _hidden_alert(world)
    login(world.users["focal"])
    page = client.get(f"/overlaps/{alert.id}").get_data(as_text=True)
    assert "Contact the owner" in page
    client.post(f"/contacts/alerts/{alert.id}/contact-owner", data={"body": "Are you also in Bozoum school 3?"})
    message = db.session.scalar(sa.select(OwnerMessage))
    assert message.owner_organisation_id == world.other_ngo.id
    # NGOB's focal point and the operation's coordinators (not NGOB's viewer, not the sender)
    assert recipients(Event.owner_message) == {
        world.users["other_focal"].id,
        world.users["coordinator"].id,
        world.users["admin"].id,
    }
    assert {m["To"] for m in smtp.messages} == {
        world.users["other_focal"].email,
        world.users["coordinator"].email,
        world.users["admin"].email,
    }
    assert "Are you also in Bozoum school 3?" in text_part(smtp.to(world.users["other_focal"].email)[0])
    page = client.get(f"/overlaps/{alert.id}").get_data(as_text=True)
    assert "Message to the owner of the sensitive entry" in page and "waiting for an answer" in page
    assert "NGOB" not in page and world.users["other_focal"].name not in page
    sender_view = client.get(f"/contacts/messages/{message.id}").get_data(as_text=True)
    assert "No answer yet" in sender_view and world.users["other_focal"].email not in sender_view
    # the owner answers: the answer lands in the alert's history and reaches the sender, who now knows whom
    login(world.users["other_focal"])
    response = client.post(f"/contacts/messages/{message.id}", data={"answer": "Yes, school 3. Call me."})
    assert response.status_code == 302
    login(world.users["focal"])
    page = client.get(f"/overlaps/{alert.id}").get_data(as_text=True)
    assert "Yes, school 3. Call me." in page and world.users["other_focal"].email in page
    (reply,) = notices(world.users["focal"], Event.owner_reply)
    assert reply.params["answer"] == "Yes, school 3. Call me."
    assert world.users["other_focal"].email in text_part(smtp.to(world.users["focal"].email)[-1])
    audited = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.entity_type == "OwnerMessage")).all()
    assert len(audited) == 2


def test_only_a_side_that_cannot_see_may_contact_and_only_the_owner_answers(world, client, login):
    alert = _hidden_alert(world)
    login(world.users["coordinator"])  # sees everything: nothing to ask through coordhub
    assert client.post(f"/contacts/alerts/{alert.id}/contact-owner", data={"body": "hi"}).status_code == 403
    login(world.users["other_focal"])  # the owner's own side sees both
    assert client.post(f"/contacts/alerts/{alert.id}/contact-owner", data={"body": "hi"}).status_code == 403
    login(world.users["local_focal"])  # not about their organisation
    assert client.post(f"/contacts/alerts/{alert.id}/contact-owner", data={"body": "hi"}).status_code == 404
    login(world.users["focal"])
    client.post(f"/contacts/alerts/{alert.id}/contact-owner", data={"body": "Hello"})
    message = db.session.scalar(sa.select(OwnerMessage))
    login(world.users["viewer"])  # NGOB's viewer neither reads nor answers
    assert client.get(f"/contacts/messages/{message.id}").status_code == 404
    login(world.users["local_focal"])
    assert client.post(f"/contacts/messages/{message.id}", data={"answer": "x"}).status_code == 404
    db.session.expire_all()
    assert db.session.get(OwnerMessage, message.id).answer is None
