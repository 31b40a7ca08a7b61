"""Signing out ends the session: copied cookies stop working; remember-me tokens are
random, hashed, expiring and single-use; sign out everywhere and password resets end all."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from portal.extensions import db
from portal.models import StaffUser
from tests.portal.conftest import post_form as debtor_post
from tests.security.conftest import FACT, cookie_value, link_for, login, post_form, replay

REMEMBER = "saldo_remember"


def sign_in_debtor(client, debtor):
    response = debtor_post(client, link_for(debtor), {"answer": FACT})
    assert response.status_code == 302 and response.headers["Location"].endswith("/account")
    return {"session": cookie_value(client, "session"),
            REMEMBER: cookie_value(client, REMEMBER),
            "remember_token": cookie_value(client, "remember_token")}


def test_debtor_sign_out_ends_the_copied_session_and_remember_cookies(app, client, debtor):
    stolen = sign_in_debtor(client, debtor)
    assert replay(app, stolen).get("/account").status_code == 200  # the copy works, for now
    assert debtor_post(client, "/signout", form_url="/account").status_code == 302
    assert client.get("/account").status_code == 302
    for name in stolen:  # each cookie alone, then all of them together
        if stolen[name] is not None:
            assert replay(app, {name: stolen[name]}).get("/account").status_code == 302, name
    assert replay(app, stolen).get("/account").status_code == 302


def test_remember_token_is_random_hashed_and_changes_on_every_sign_in(app, client, debtor):
    from portal.models import RememberToken

    first = sign_in_debtor(client, debtor)[REMEMBER]
    second = sign_in_debtor(app.test_client(), debtor)[REMEMBER]
    assert first and second and first != second
    assert f"d:{debtor.id}" not in first and str(debtor.id) != first.split(".")[0]
    selector, secret = first.split(".")
    row = db.session.get(RememberToken, selector)
    assert row.token_hash == hashlib.sha256(secret.encode()).hexdigest() != secret
    assert timedelta(days=29) < row.expires_at - datetime.now(UTC) <= timedelta(days=30)


def test_remember_token_works_once_and_is_rotated(app, client, debtor):
    token = sign_in_debtor(client, debtor)[REMEMBER]
    browser = replay(app, {REMEMBER: token})  # the browser restarted: no session cookie
    assert browser.get("/account").status_code == 200
    rotated = cookie_value(browser, REMEMBER)
    assert rotated and rotated != token
    assert replay(app, {REMEMBER: token}).get("/account").status_code == 302  # used up
    assert replay(app, {REMEMBER: rotated}).get("/account").status_code == 200


def test_an_expired_remember_token_is_refused(app, client, debtor):
    from portal.models import RememberToken

    token = sign_in_debtor(client, debtor)[REMEMBER]
    db.session.execute(update(RememberToken).values(
        expires_at=datetime.now(UTC) - timedelta(seconds=1)))
    db.session.commit()
    assert replay(app, {REMEMBER: token}).get("/account").status_code == 302


def test_a_forged_legacy_remember_cookie_opens_nothing(app, debtor):
    """The old `d:<id>|hmac` cookie (Flask-Login's, signed with SECRET_KEY) is not accepted."""
    from flask_login.utils import encode_cookie

    with app.test_request_context():
        forged = encode_cookie(debtor.get_id())
    assert replay(app, {"remember_token": forged}).get("/account").status_code == 302


def test_debtor_sign_out_everywhere_ends_every_device(app, client, debtor):
    phone = sign_in_debtor(client, debtor)
    laptop_client = app.test_client()
    sign_in_debtor(laptop_client, debtor)
    page = laptop_client.get("/preferences").get_data(as_text=True)
    assert "/signout/everywhere" in page  # a visible control
    response = debtor_post(laptop_client, "/signout/everywhere", form_url="/preferences")
    assert response.status_code == 302
    assert laptop_client.get("/account").status_code == 302
    assert client.get("/account").status_code == 302
    assert replay(app, phone).get("/account").status_code == 302


def staff_cookies(client) -> dict:
    return {"session": cookie_value(client, "session")}


def test_staff_logout_ends_the_copied_session(app, make_staff):
    admin = make_staff("admin")
    client = app.test_client()
    assert login(client, admin.email).status_code == 302
    stolen = staff_cookies(client)
    assert replay(app, stolen).get("/staff/users").status_code == 200
    assert post_form(client, "/staff/logout", token_from="/staff/users").status_code == 302
    attacker = replay(app, stolen)
    assert attacker.get("/staff/users").status_code == 302
    # The attack seen: the replayed cookie was used to create a new admin.
    from tests.staff.conftest import csrf_token

    response = attacker.post("/staff/users", data={
        "email": "intruder@evil.test", "role": "admin", "password": "a long intruder pass",
        "csrf_token": csrf_token(replay(app, stolen), "/staff/login")})
    assert response.status_code in (302, 400)
    assert db.session.scalar(select(StaffUser).where(StaffUser.email == "intruder@evil.test")) \
        is None


def test_staff_sign_out_everywhere_ends_other_browsers(app, make_staff):
    agent = make_staff("agent")
    office, home = app.test_client(), app.test_client()
    assert login(office, agent.email).status_code == 302
    assert login(home, agent.email).status_code == 302
    assert "/staff/logout/everywhere" in home.get("/staff/debtors").get_data(as_text=True)
    response = post_form(home, "/staff/logout/everywhere", token_from="/staff/debtors")
    assert response.status_code == 302
    assert office.get("/staff/debtors").status_code == 302
    assert home.get("/staff/debtors").status_code == 302


def test_staff_password_reset_ends_every_session_of_that_user(app, make_staff):
    admin, agent = make_staff("admin"), make_staff("agent")
    admin_client, agent_client = app.test_client(), app.test_client()
    assert login(admin_client, admin.email).status_code == 302
    assert login(agent_client, agent.email).status_code == 302
    stolen = staff_cookies(agent_client)
    response = post_form(admin_client, f"/staff/users/{agent.id}",
                         {"action": "password", "password": "a brand new passphrase"},
                         token_from="/staff/users")
    assert response.status_code == 302
    assert replay(app, stolen).get("/staff/debtors").status_code == 302
    assert admin_client.get("/staff/users").status_code == 200


def test_staff_idle_and_absolute_timeouts_still_hold(app, make_staff):
    from portal.staff.access import IDLE_KEY, START_KEY

    agent = make_staff("agent")
    client = app.test_client()
    assert login(client, agent.email).status_code == 302
    with client.session_transaction() as session:
        session[IDLE_KEY] = datetime.now(UTC).timestamp() - 31 * 60
    assert client.get("/staff/debtors").status_code == 302
    assert login(client, agent.email).status_code == 302
    with client.session_transaction() as session:
        session[START_KEY] = datetime.now(UTC).timestamp() - 13 * 3600
    assert client.get("/staff/debtors").status_code == 302
