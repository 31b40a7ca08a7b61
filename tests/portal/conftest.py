"""Helpers for the debtor portal tests: debtors with an identity fact, CSRF-aware posting."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from portal.debtor.identity import set_identity
from portal.extensions import db
from portal.links import issue_token
from tests.factories import csrf_token as csrf_from
from tests.factories import make_debtor, sign_in

FACT = "4821"


def today_bogota() -> date:
    return datetime.now(ZoneInfo("America/Bogota")).date()


def post_form(client, url: str, data: dict | None = None, form_url: str | None = None, **kw):
    """Post `data` with the CSRF token read from `form_url` (default: the same URL)."""
    payload = {"csrf_token": csrf_from(client, form_url or url), **(data or {})}
    return client.post(url, data=payload, **kw)


def identified_debtor(**fields):
    debtor = make_debtor(**fields)
    set_identity(debtor, FACT, kind="document_last4")
    db.session.flush()
    return debtor


@pytest.fixture
def debtor(app):
    person = identified_debtor()
    db.session.commit()
    return person


@pytest.fixture
def signed_client(client, debtor):
    sign_in(client, debtor)
    return client


def link_for(debtor, message_id=None) -> str:
    token = issue_token(debtor, "account", message_id)
    db.session.commit()
    return f"/l/{token}"


def days(n: int) -> timedelta:
    return timedelta(days=n)
