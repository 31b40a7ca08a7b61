"""Sign-in, lockout, two-factor, timeout, sign-out and what each role may reach."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyotp
import pytest
from sqlalchemy import select

from portal.models import AuditEvent, StaffUser
from portal.staff import accounts
from portal.staff.access import IDLE_KEY, START_KEY
from tests.staff.conftest import PASSWORD, csrf_token, login, post_form

# Every console page (GET) and the roles that may open it; admins reach them all.
PAGES = {
    "/staff/dashboard": {"admin", "analyst"},
    "/staff/policy": {"admin", "analyst"},
    "/staff/templates": {"admin", "analyst"},
    "/staff/audit": {"admin", "analyst"},
    "/staff/audit.csv": {"admin", "analyst"},
    "/staff/imports": {"admin", "analyst"},
    "/staff/debtors": {"admin", "agent"},
    "/staff/disputes": {"admin", "agent"},
    "/staff/promises": {"admin", "agent"},
    "/staff/mail": {"admin", "analyst", "agent"},
    "/staff/users": {"admin"},
}


@pytest.mark.parametrize("role", ["admin", "analyst", "agent"])
def test_each_role_reaches_exactly_its_pages(staff_client, role):
    client, _ = staff_client(role)
    for url, allowed in PAGES.items():
        status = client.get(url).status_code
        assert status == (200 if role in allowed else 403), (role, url, status)


# Every console action (POST) and the roles that may take it.
ACTIONS = {
    "/staff/users": {"admin"},
    "/staff/users/1": {"admin"},
    "/staff/policy": {"admin", "analyst"},
    "/staff/policy/rollback/1": {"admin", "analyst"},
    "/staff/templates/gentle/email/es": {"admin", "analyst"},
    "/staff/disputes/1": {"admin", "agent"},
    "/staff/debtors/1/promises": {"admin", "agent"},
    "/staff/promises/1/cancel": {"admin", "agent"},
}


@pytest.mark.parametrize("role", ["admin", "analyst", "agent"])
def test_each_role_may_take_exactly_its_actions(staff_client, role):
    client, _ = staff_client(role)
    token = csrf_token(client, "/staff/mail")
    for url, allowed in ACTIONS.items():
        status = client.post(url, data={"csrf_token": token}).status_code
        assert (status == 403) == (role not in allowed), (role, url, status)


def test_strangers_are_sent_to_sign_in(client):
    for url in PAGES:
        response = client.get(url)
        assert response.status_code == 302
        assert "/staff/login" in response.headers["Location"]


def test_a_debtor_session_does_not_open_the_console(app, client):
    from tests.factories import make_debtor, sign_in

    debtor = make_debtor()
    from portal.extensions import db

    db.session.commit()
    sign_in(client, debtor)
    assert client.get("/staff/debtors").status_code == 302


def test_agent_cannot_save_policy_and_analyst_cannot_create_users(staff_client):
    agent, _ = staff_client("agent")
    token = csrf_token(agent, "/staff/debtors")
    response = agent.post("/staff/policy", data={"csrf_token": token, "action": "save"})
    assert response.status_code == 403
    analyst, _ = staff_client("analyst")
    token = csrf_token(analyst, "/staff/dashboard")
    response = analyst.post("/staff/users", data={
        "csrf_token": token, "email": "x@saldo.test", "role": "admin", "password": PASSWORD})
    assert response.status_code == 403
    from portal.extensions import db

    assert db.session.scalar(select(StaffUser).where(StaffUser.email == "x@saldo.test")) is None


def test_sign_in_lands_on_the_role_home_and_is_audited(app, make_staff):
    agent = make_staff("agent")
    client = app.test_client()
    response = login(client, agent.email)
    assert response.headers["Location"].endswith("/staff/debtors")
    from portal.extensions import db

    actions = db.session.scalars(select(AuditEvent.action)).all()
    assert "staff.login" in actions
    assert db.session.get(StaffUser, agent.id).last_login_at is not None


def test_wrong_password_is_refused_with_a_clear_message(app, make_staff):
    staff = make_staff("analyst")
    client = app.test_client()
    response = login(client, staff.email, "wrong password!!")
    assert response.status_code == 401
    assert "Wrong email or password" in response.get_data(as_text=True)
    assert client.get("/staff/dashboard").status_code == 302


def test_lockout_after_five_failures_refuses_even_the_right_password(app, make_staff):
    staff = make_staff("admin")
    client = app.test_client()
    for _ in range(accounts.MAX_FAILURES):
        login(client, staff.email, "not the password")
    response = login(client, staff.email)
    assert response.status_code == 401
    assert "locked" in response.get_data(as_text=True)
    from portal.extensions import db

    db.session.expire_all()
    locked = db.session.get(StaffUser, staff.id)
    assert locked.locked_until > datetime.now(UTC) + timedelta(minutes=10)


def test_lock_expires(app, make_staff):
    from portal.extensions import db

    staff = make_staff("admin")
    staff.locked_until = datetime.now(UTC) - timedelta(seconds=1)
    db.session.commit()
    assert login(app.test_client(), staff.email).status_code == 302


def test_sign_in_is_rate_limited(app, make_staff):
    staff = make_staff("admin")
    client = app.test_client()
    token = csrf_token(client)
    statuses = [client.post("/staff/login", data={"csrf_token": token, "email": staff.email,
                                                  "password": "nope"}).status_code
                for _ in range(12)]
    assert 429 in statuses


def test_totp_enrolment_then_sign_in_needs_the_code(app, staff_client):
    client, staff = staff_client("analyst")
    page = client.get("/staff/account/two-factor").get_data(as_text=True)
    assert "otpauth://totp/" in page
    secret = page.split('<code class="secret">')[1].split("<")[0]
    bad = post_form(client, "/staff/account/two-factor", {"code": "000000"})
    assert bad.status_code == 400
    good = post_form(client, "/staff/account/two-factor", {"code": pyotp.TOTP(secret).now()})
    assert good.status_code == 302
    from portal.extensions import db

    db.session.expire_all()
    assert db.session.get(StaffUser, staff.id).totp_secret == secret

    fresh = app.test_client()
    step = login(fresh, staff.email)
    assert step.headers["Location"].startswith("/staff/login/totp")
    assert fresh.get("/staff/dashboard").status_code == 302  # not signed in yet
    assert post_form(fresh, "/staff/login/totp", {"code": "123456"}).status_code == 401
    # The enrolment code cannot be used again: the next one (accepted 30 s early) signs in.
    code = pyotp.TOTP(secret).at(datetime.now(UTC) + timedelta(seconds=30))
    done = post_form(fresh, "/staff/login/totp", {"code": code})
    assert done.status_code == 302
    assert fresh.get("/staff/dashboard").status_code == 200

    replay = app.test_client()  # someone who saw the password and that code
    login(replay, staff.email)
    assert post_form(replay, "/staff/login/totp", {"code": code}).status_code == 401


def test_idle_session_times_out(staff_client):
    client, _ = staff_client("admin")
    assert client.get("/staff/users").status_code == 200
    with client.session_transaction() as session:
        session[IDLE_KEY] = datetime.now(UTC).timestamp() - 31 * 60
    response = client.get("/staff/users")
    assert response.status_code == 302 and "/staff/login" in response.headers["Location"]
    assert client.get("/staff/users").status_code == 302


def test_sessions_end_after_twelve_hours_even_when_busy(staff_client):
    client, _ = staff_client("analyst")
    assert client.get("/staff/dashboard").status_code == 200
    with client.session_transaction() as session:
        session[START_KEY] = datetime.now(UTC).timestamp() - 13 * 3600
    assert client.get("/staff/dashboard").status_code == 302


def test_sign_out(staff_client):
    client, _ = staff_client("agent")
    response = post_form(client, "/staff/logout", token_from="/staff/debtors")
    assert response.status_code == 302
    assert client.get("/staff/debtors").status_code == 302


def test_next_only_goes_inside_the_console(app, make_staff):
    staff = make_staff("admin")
    client = app.test_client()
    token = csrf_token(client)
    response = client.post("/staff/login?next=//evil.example/x", data={
        "csrf_token": token, "email": staff.email, "password": PASSWORD})
    assert response.headers["Location"] == "/staff/dashboard"


def test_console_is_english_whatever_the_browser_asks(staff_client):
    client, _ = staff_client("agent")
    page = client.get("/staff/debtors", headers={"Accept-Language": "es"})
    assert "Search by name" in page.get_data(as_text=True)


def test_wrong_two_factor_codes_lock_the_account(app, make_staff):
    # Each wrong code counts like a wrong password: after five the account is locked, so the
    # six digits cannot be guessed by keeping the password step open; even the right code is
    # refused during the lock.
    from portal.extensions import db

    staff = make_staff("analyst")
    secret = pyotp.random_base32()
    staff.totp_secret = secret
    db.session.commit()
    client = app.test_client()
    assert login(client, staff.email).headers["Location"].startswith("/staff/login/totp")
    for _ in range(accounts.MAX_FAILURES - 1):
        assert post_form(client, "/staff/login/totp", {"code": "000000"},
                         token_from="/staff/login/totp").status_code == 401
    locked = post_form(client, "/staff/login/totp", {"code": "000000"},
                       token_from="/staff/login/totp")
    assert locked.status_code == 401 and "locked" in locked.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(StaffUser, staff.id).locked_until is not None
    again = app.test_client()
    assert "locked" in login(again, staff.email).get_data(as_text=True)
    with app.test_request_context():
        assert not accounts.use_totp_code(db.session.get(StaffUser, staff.id),
                                          pyotp.TOTP(secret).now())


def test_turning_two_factor_off_or_replacing_it_needs_a_current_code(app, make_staff):
    # Someone holding only a signed-in session (a borrowed laptop, a stolen cookie) must not
    # be able to remove or swap the second factor.
    from portal.extensions import db

    staff = make_staff("agent")
    secret = pyotp.random_base32()
    client = app.test_client()
    assert login(client, staff.email).status_code == 302  # signed in before enrolling
    staff = db.session.get(StaffUser, staff.id)
    staff.totp_secret = secret
    db.session.commit()
    url = "/staff/account/two-factor"
    assert post_form(client, url, {"action": "disable"}).status_code == 400
    assert post_form(client, url, {"action": "disable", "code": "000000"}).status_code == 400
    other = pyotp.random_base32()
    with client.session_transaction() as session:
        session["staff_totp_secret"] = other
    assert post_form(client, url, {"code": pyotp.TOTP(other).now()}).status_code == 400
    db.session.expire_all()
    assert db.session.get(StaffUser, staff.id).totp_secret == secret
    done = post_form(client, url, {"action": "disable", "code": pyotp.TOTP(secret).now()})
    assert done.status_code == 302
    db.session.expire_all()
    assert db.session.get(StaffUser, staff.id).totp_secret is None
