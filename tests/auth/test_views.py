"""Sign-in, sign-out, anonymous access, CSRF, and the administrators' user and organisation pages."""

from __future__ import annotations

import sqlalchemy as sa

from coordhub.auth.models import Role, User
from coordhub.extensions import db
from coordhub.registry.models import Organisation
from tests import factories


def test_anonymous_sees_only_the_sign_in_page(world, client):
    for url in (
        "/",
        "/projects/",
        "/needs/",
        "/capacities/",
        "/areas/",
        "/organisations/",
        "/admin/users/",
        "/admin/audit/",
        "/projects/1",
    ):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"], url
    assert client.get("/login").status_code == 200


def test_sign_in_is_case_insensitive_on_email_and_records_last_login(world, client):
    user = world.users["focal"]
    response = client.post("/login", data={"email": user.email.upper(), "password": factories.PASSWORD})
    assert response.status_code == 302
    db.session.refresh(user)
    assert user.last_login_at is not None
    page = client.get("/").get_data(as_text=True)
    assert "CAR recovery 2026" in page and user.name in page


def test_wrong_password_and_disabled_account_are_refused(world, client):
    user = world.users["focal"]
    response = client.post("/login", data={"email": user.email, "password": "nope"}, follow_redirects=True)
    assert "Wrong e-mail or password" in response.get_data(as_text=True)
    user.active = False
    db.session.commit()
    response = client.post("/login", data={"email": user.email, "password": factories.PASSWORD})
    assert response.status_code == 200  # stays on the form
    assert client.get("/").status_code == 302


def test_sign_out(world, login):
    client = login(world.users["viewer"])
    assert client.get("/").status_code == 200
    assert client.post("/logout").status_code == 302
    assert client.get("/").status_code == 302


def test_open_redirect_is_refused(world, client):
    user = world.users["viewer"]
    response = client.post(
        "/login?next=https://evil.example/", data={"email": user.email, "password": factories.PASSWORD}
    )
    assert response.headers["Location"] == "/"


def test_passwords_are_hashed_with_argon2(world):
    user = world.users["viewer"]
    assert user.password_hash.startswith("$argon2")
    assert factories.PASSWORD not in user.password_hash
    assert user.check_password(factories.PASSWORD) and not user.check_password("other")


def test_csrf_token_is_required(world, app, config):
    config(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    user = world.users["focal"]
    response = client.post("/login", data={"email": user.email, "password": factories.PASSWORD})
    assert response.status_code == 400
    page = client.get("/login").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    response = client.post("/login", data={"email": user.email, "password": factories.PASSWORD, "csrf_token": token})
    assert response.status_code == 302


def test_admin_creates_organisation_and_user_who_can_sign_in(world, login, client):
    login(world.users["admin"])
    response = client.post(
        "/admin/organisations/new",
        data={"name": "Association des Femmes Juristes", "acronym": "AFJ", "type": "national_ngo", "is_local": "y"},
    )
    assert response.status_code == 302
    organisation = db.session.scalar(sa.select(Organisation).where(Organisation.acronym == "AFJ"))
    assert organisation.is_local
    response = client.post(
        "/admin/users/new",
        data={
            "name": "Delphine K",
            "email": "Delphine@Example.org",
            "organisation_id": organisation.id,
            "role": "focal_point",
            "operation_ids": [world.operation.id],
            "password": "a long password",
            "active": "y",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    user = db.session.scalar(sa.select(User).where(User.email == "delphine@example.org"))
    assert user.role is Role.focal_point and user.operations == [world.operation]
    client.post("/logout")
    assert (
        client.post("/login", data={"email": "delphine@example.org", "password": "a long password"}).status_code == 302
    )


def test_user_form_reports_errors_next_to_the_field(world, login, client):
    login(world.users["admin"])
    existing = world.users["viewer"]
    response = client.post(
        "/admin/users/new",
        data={
            "name": "Dup",
            "email": existing.email,
            "organisation_id": world.ngo.id,
            "role": "viewer",
            "password": "a long password",
        },
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "A user with this e-mail address already exists." in page
    assert 'invalid-feedback' in page
    response = client.post(
        "/admin/users/new",
        data={
            "name": "Short",
            "email": "short@example.org",
            "organisation_id": world.ngo.id,
            "role": "viewer",
            "password": "short",
        },
    )
    assert "Use at least 12 characters." in response.get_data(as_text=True)


def test_non_admins_cannot_reach_administration(world, login, client):
    for key in ("coordinator", "focal", "viewer"):
        login(world.users[key])
        for url in (
            "/admin/users/",
            "/admin/users/new",
            "/admin/organisations/new",
            "/admin/operations/",
            "/admin/audit/",
        ):
            assert client.get(url).status_code == 403, (key, url)
        assert client.post("/admin/organisations/new", data={"name": "X", "type": "donor"}).status_code == 403


def test_language_switch_to_french(world, login, client):
    login(world.users["viewer"])
    client.post("/language/fr", data={"next": "/"})
    page = client.get("/").get_data(as_text=True)
    assert "Besoins" in page and "Se déconnecter" in page
