"""Staff console fixtures: staff users of each role, signed-in clients, CSRF-aware posting."""

from __future__ import annotations

import pytest

from portal.extensions import db
from portal.staff.accounts import create_staff
from tests.factories import csrf_token as shared_csrf_token

PASSWORD = "correct horse battery"
def csrf_token(client, url: str = "/staff/login") -> str:
    return shared_csrf_token(client, url)


def post_form(client, url: str, data: dict | None = None, token_from: str | None = None,
              **kwargs):
    """POST `data` with the CSRF token read from a page, as a browser would."""
    token = csrf_token(client, token_from or url)
    return client.post(url, data={**(data or {}), "csrf_token": token}, **kwargs)


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
