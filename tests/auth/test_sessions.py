"""Server-side sessions: signing out, a password change or reset, a disabled account and "sign out everywhere"
refuse every copy of the session and remember-me cookies; API tokens expire and die with the account."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from coordhub.api.models import ApiToken
from coordhub.auth.models import UserSession
from coordhub.database import utcnow
from coordhub.extensions import db
from tests import factories

NEW_PASSWORD = "granite-lemon-ferry-41"


def sign_in(app, user, remember=False, password=factories.PASSWORD):
    browser = app.test_client()
    data = {"email": user.email, "password": password}
    if remember:
        data["remember"] = "y"
    response = browser.post("/login", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)
    return browser


def signed_in(browser) -> bool:
    response = browser.get("/")
    return response.status_code == 200 and "/login" not in response.headers.get("Location", "")


def copy_of(app, browser, *names):
    """Another browser holding copies of `browser`'s cookies (what a thief of the cookie would send)."""
    thief = app.test_client()
    for name in names:
        cookie = browser.get_cookie(name)
        assert cookie is not None, name
        thief.set_cookie(name, cookie.value)
    return thief


def test_sign_out_refuses_a_copied_session_cookie(app, world):
    browser = sign_in(app, world.users["focal"])
    thief = copy_of(app, browser, "session")
    assert signed_in(thief)
    browser.post("/logout")
    assert not signed_in(browser)
    assert not signed_in(thief)
    assert db.session.scalar(sa.select(UserSession.revoked_at)) is not None


def test_the_cookies_hold_a_session_token_not_the_user_id(app, world):
    user = world.users["viewer"]
    browser = sign_in(app, user, remember=True)
    from flask_login.utils import encode_cookie

    # A correctly signed remember cookie holding the user's id (what cookies held before) is refused.
    forged = app.test_client()
    with app.test_request_context():
        forged.set_cookie("remember_token", encode_cookie(str(user.id)))
    assert not signed_in(forged)
    assert signed_in(copy_of(app, browser, "remember_token"))


def test_remember_cookie_has_samesite_and_a_fortnight(app, world):
    browser = app.test_client()
    response = browser.post(
        "/login", data={"email": world.users["viewer"].email, "password": factories.PASSWORD, "remember": "y"}
    )
    remember = [h for h in response.headers.getlist("Set-Cookie") if h.startswith("remember_token=")]
    assert remember and "SameSite=Lax" in remember[0] and "HttpOnly" in remember[0]
    cookie = browser.get_cookie("remember_token")
    lifetime = cookie.expires - utcnow().replace(tzinfo=cookie.expires.tzinfo)
    assert timedelta(days=13) < lifetime <= timedelta(days=14, minutes=1)
    row = db.session.scalar(sa.select(UserSession))
    assert row.remember and timedelta(days=13) < row.expires_at - row.created_at <= timedelta(days=14)


def test_sign_out_everywhere_ends_every_session_and_remember_cookie(app, world):
    user = world.users["coordinator"]
    laptop = sign_in(app, user, remember=True)
    phone = sign_in(app, user)
    stolen = copy_of(app, laptop, "remember_token")
    assert signed_in(stolen)
    page = phone.get("/account/").get_data(as_text=True)
    assert "this browser" in page and page.count("<tr>") >= 3  # header + two sessions
    response = phone.post("/account/sign-out-everywhere")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    for browser in (laptop, phone, stolen):
        assert not signed_in(browser)
    assert (
        db.session.scalar(sa.select(sa.func.count()).select_from(UserSession).where(UserSession.revoked_at.is_(None)))
        == 0
    )


def test_password_change_ends_other_sessions_and_keeps_this_one(app, world):
    user = world.users["focal"]
    here = sign_in(app, user)
    old_copy = copy_of(app, here, "session")
    elsewhere = sign_in(app, user, remember=True)
    remembered = copy_of(app, elsewhere, "remember_token")

    refused = here.post(
        "/account/password", data={"current_password": "not it", "new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    )
    assert "This is not your current password." in refused.get_data(as_text=True)
    weak = here.post(
        "/account/password",
        data={"current_password": factories.PASSWORD, "new_password": "password1234", "confirm": "password1234"},
    )
    assert "too easy to guess" in weak.get_data(as_text=True)
    assert signed_in(elsewhere)

    response = here.post(
        "/account/password",
        data={"current_password": factories.PASSWORD, "new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )
    assert response.status_code == 302
    assert signed_in(here)
    for browser in (old_copy, elsewhere, remembered):
        assert not signed_in(browser)
    db.session.expire_all()
    assert db.session.get(type(user), user.id).check_password(NEW_PASSWORD)


def test_admin_password_reset_and_disabling_end_the_users_sessions(app, world, token_for_user):
    admin, user = world.users["admin"], world.users["viewer"]
    victim = sign_in(app, user, remember=True)
    remembered = copy_of(app, victim, "remember_token")
    headers = token_for_user(user)
    admin_browser = sign_in(app, admin)
    form = {
        "name": user.name,
        "email": user.email,
        "organisation_id": user.organisation_id,
        "role": "viewer",
        "operation_ids": [o.id for o in user.operations],
        "active": "y",
    }
    response = admin_browser.post(f"/admin/users/{user.id}", data=dict(form, password=NEW_PASSWORD))
    assert response.status_code == 302, response.get_data(as_text=True)
    assert not signed_in(victim) and not signed_in(remembered)
    assert app.test_client().get("/api/v1/projects", headers=headers).status_code == 200  # a reset keeps tokens

    again = sign_in(app, user, password=NEW_PASSWORD)
    response = admin_browser.post(f"/admin/users/{user.id}", data={k: v for k, v in form.items() if k != "active"})
    assert response.status_code == 302
    assert not signed_in(again)
    assert app.test_client().get("/api/v1/projects", headers=headers).status_code == 401
    assert db.session.scalar(sa.select(ApiToken.revoked_at)) is not None


def test_idle_sessions_end_on_the_server(app, world):
    browser = sign_in(app, world.users["viewer"])
    db.session.execute(sa.update(UserSession).values(expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    assert not signed_in(browser)


def test_activity_slides_the_idle_end(app, world):
    browser = sign_in(app, world.users["viewer"])
    earlier = utcnow() - timedelta(minutes=5)
    db.session.execute(sa.update(UserSession).values(last_seen_at=earlier, expires_at=earlier + timedelta(hours=1)))
    db.session.commit()
    assert signed_in(browser)
    db.session.expire_all()
    row = db.session.scalar(sa.select(UserSession))
    assert row.last_seen_at > earlier and row.expires_at > utcnow() + timedelta(hours=7)


@pytest.fixture
def token_for_user(app):
    def issue(user, days=90):
        _, plain = ApiToken.issue(user, "tests", days=days)
        db.session.commit()
        return {"Authorization": f"Bearer {plain}"}

    return issue


def test_api_tokens_expire_and_show_their_dates(app, world, token_for_user):
    user = world.users["focal"]
    headers = token_for_user(user, days=7)
    assert app.test_client().get("/api/v1/projects", headers=headers).status_code == 200
    db.session.execute(sa.update(ApiToken).values(expires_at=utcnow() - timedelta(minutes=1)))
    db.session.commit()
    response = app.test_client().get("/api/v1/projects", headers=headers)
    assert response.status_code == 401 and "expired" in response.get_json()["error"]["message"]

    browser = sign_in(app, user)
    response = browser.post("/account/tokens", data={"name": "nightly export"})
    page = response.get_data(as_text=True)
    created = db.session.scalar(sa.select(ApiToken).where(ApiToken.name == "nightly export"))
    assert created.expires_at.date() == (utcnow() + timedelta(days=90)).date()  # the default
    assert created.expires_at.strftime("%Y-%m-%d") in page and "expired" in page
    browser.post("/account/tokens", data={"name": "one week", "days": "7"})
    week = db.session.scalar(sa.select(ApiToken).where(ApiToken.name == "one week"))
    assert week.expires_at.date() == (utcnow() + timedelta(days=7)).date()
    app.test_client().get("/api/v1/projects", headers=token_for_user(user))
    page = browser.get("/account/tokens").get_data(as_text=True)
    assert utcnow().strftime("%Y-%m-%d %H:") in page  # last used, shown


@pytest.mark.parametrize("locale, sentence", [("en", "Send it as"), ("fr", "Transmettez-le")])
def test_token_help_text_shows_the_token_placeholder(app, world, locale, sentence):
    browser = sign_in(app, world.users["viewer"])
    browser.post(f"/language/{locale}")
    page = browser.get("/account/tokens").get_data(as_text=True)
    assert sentence in page and "Bearer &lt;token&gt;" in page and "<token>" not in page


def test_account_forms_need_the_csrf_token(app, world):
    browser = sign_in(app, world.users["viewer"])
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        assert browser.post("/account/sign-out-everywhere").status_code == 400
        assert (
            browser.post(
                "/account/password",
                data={
                    "current_password": factories.PASSWORD,
                    "new_password": NEW_PASSWORD,
                    "confirm": NEW_PASSWORD,
                },
            ).status_code
            == 400
        )
        assert browser.post("/logout").status_code == 400
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert signed_in(browser)
    db.session.expire_all()
    assert db.session.get(type(world.users["viewer"]), world.users["viewer"].id).check_password(factories.PASSWORD)
