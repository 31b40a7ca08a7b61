"""Staff console fixtures: staff users of each role, signed-in clients, CSRF-aware posting."""

from __future__ import annotations

import re

import pytest
from flask import g, request_started

from portal.extensions import db
from portal.staff.accounts import create_staff

PASSWORD = "correct horse battery"
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_token(client, url: str = "/staff/login") -> str:
    # The test app context outlives requests, so Flask-WTF's per-request cache on `g` would
    # hand one client's token to another: drop it, as a new request context would.
    g.pop("csrf_token", None)
    page = client.get(url)
    match = _TOKEN.search(page.get_data(as_text=True))
    assert match, f"no CSRF token on {url} ({page.status_code})"
    return match.group(1)


def post_form(client, url: str, data: dict | None = None, token_from: str | None = None,
              **kwargs):
    """POST `data` with the CSRF token read from a page, as a browser would."""
    token = csrf_token(client, token_from or url)
    return client.post(url, data={**(data or {}), "csrf_token": token}, **kwargs)


@pytest.fixture(autouse=True)
def fresh_request_globals(app):
    """The `app` fixture keeps one app context open, so `g` outlives each request; a real
    server starts every request with an empty `g`. Clear what Flask-Login and Flask-WTF cache
    there, so several clients in one test do not see each other's user or CSRF token."""

    def clear(sender, **extra):
        for name in ("_login_user", "csrf_token"):
            g.pop(name, None)

    request_started.connect(clear, app)
    yield
    request_started.disconnect(clear, app)


@pytest.fixture
def make_staff(app):
    def make(role: str = "admin", email: str | None = None, password: str = PASSWORD):
        staff = create_staff(email or f"{role}@saldo.test", role, password)
        db.session.commit()
        return staff

    return make


def login(client, email: str, password: str = PASSWORD):
    return post_form(client, "/staff/login", {"email": email, "password": password})


@pytest.fixture
def staff_client(app, make_staff):
    """A client signed in (through the real form) as a staff user of the given role."""

    def make(role: str = "admin"):
        staff = make_staff(role)
        client = app.test_client()
        response = login(client, staff.email)
        assert response.status_code == 302, response.get_data(as_text=True)
        return client, staff

    return make
