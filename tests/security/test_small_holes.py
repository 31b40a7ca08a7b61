"""The smaller holes: staff sign-in reveals nothing about which emails exist, staff search
survives odd numbers, and a link tapped again and again writes one visit."""

from __future__ import annotations

import html

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import PortalVisit
from portal.staff import accounts
from tests.security.conftest import link_for, login


def _answer(client, email):
    response = login(client, email, "not the password")
    page = html.unescape(response.get_data(as_text=True))
    return response.status_code, page.split('role="alert">')[-1].split("</p>")[0]


def test_sign_in_answers_the_same_for_unknown_wrong_and_locked(app, make_staff, monkeypatch):
    staff = make_staff("agent")
    hashes = []
    original = accounts.check_password_hash
    monkeypatch.setattr(accounts, "check_password_hash",
                        lambda stored, password: hashes.append(stored) or original(stored,
                                                                                  password))
    client = app.test_client()
    unknown = _answer(client, "nobody@saldo.test")
    wrong = _answer(client, staff.email)
    for _ in range(accounts.MAX_FAILURES):
        _answer(client, staff.email)
    assert accounts.is_locked(db.session.get(type(staff), staff.id))
    locked = _answer(client, staff.email)
    still_unknown = _answer(client, "nobody@saldo.test")
    assert unknown == wrong == locked == still_unknown
    assert unknown[0] == 401 and "Wrong email or password" in unknown[1]
    # Every answer cost one password hash, so the time taken tells nothing either.
    assert len(hashes) == 4 + accounts.MAX_FAILURES


@pytest.mark.parametrize("q", ["99999999999999999999", "²", "٣٤٥٦", "2147483648", "12"])
def test_staff_search_answers_odd_numbers(staff_client, q):
    client, _ = staff_client("agent")
    response = client.get("/staff/debtors", query_string={"q": q})
    assert response.status_code == 200


def test_staff_search_still_finds_a_debtor_by_id(staff_client):
    from tests.factories import make_debtor

    client, _ = staff_client("agent")
    debtor = make_debtor(name="Zoë Quiroga")
    db.session.commit()
    page = client.get("/staff/debtors", query_string={"q": str(debtor.id)})
    assert "Zoë Quiroga" in page.get_data(as_text=True)


def test_a_link_tapped_again_and_again_writes_one_visit(app, client, debtor):
    url = link_for(debtor)
    for _ in range(50):
        assert client.get(url).status_code == 200
    assert db.session.scalar(select(func.count()).select_from(PortalVisit)) == 1
