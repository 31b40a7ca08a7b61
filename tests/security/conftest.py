"""The attack suite: every case from issue 12's attacker's afternoon, replayed against the
real app (test client), real threads, and a real gunicorn with two workers, on SQLite and
PostgreSQL. Each test here failed before its fix (see the issue's closing note)."""

from __future__ import annotations

import pytest

from portal.extensions import db
from tests.portal.conftest import FACT, identified_debtor, link_for
from tests.staff.conftest import PASSWORD, csrf_token, login, make_staff, post_form, staff_client

__all__ = ["FACT", "PASSWORD", "csrf_token", "link_for", "login", "make_staff", "post_form",
           "staff_client"]


@pytest.fixture
def debtor(app):
    person = identified_debtor()
    db.session.commit()
    return person


def cookie_value(client, name: str) -> str | None:
    cookie = client.get_cookie(name)
    return cookie.value if cookie is not None else None


def replay(app, cookies: dict):
    """A fresh browser that presents only `cookies` (what an attacker copied)."""
    other = app.test_client()
    for name, value in cookies.items():
        if value is not None:
            other.set_cookie(name, value)
    return other
