"""Shared services: signed debtor links (one at a time and in bulk) and the audit log."""

import time

import pytest

from portal.audit import record
from portal.extensions import db
from portal.links import LinkError, account_url, issue_token, open_token, unsubscribe_url
from portal.models import AuditEvent
from tests.factories import make_debtor


def test_account_link_opens_its_debtor(app):
    debtor = make_debtor()
    url = account_url(debtor)
    assert url.startswith("http://localhost/l/")
    opened = open_token(url.rsplit("/", 1)[1], "account")
    assert opened.debtor.id == debtor.id and opened.purpose == "account"


def test_tampered_wrong_purpose_and_locked_links_are_refused(app):
    debtor = make_debtor()
    token = issue_token(debtor)
    with pytest.raises(LinkError) as bad:
        open_token(token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1], "account")
    assert bad.value.reason == "invalid"
    unsub = unsubscribe_url(debtor).rsplit("/", 1)[1]
    with pytest.raises(LinkError):
        open_token(unsub, "account")
    opened = open_token(token, "account")
    opened.link.locked_at = opened.link.created_at
    db.session.flush()
    with pytest.raises(LinkError) as locked:
        open_token(token, "account")
    assert locked.value.reason == "locked"


def test_expired_link_names_its_debtor(app):
    debtor = make_debtor()
    token = issue_token(debtor)
    app.config["LINK_MAX_AGE_DAYS"] = 0
    time.sleep(1.1)
    with pytest.raises(LinkError) as expired:
        open_token(token, "account")
    assert expired.value.expired and expired.value.debtor_id == debtor.id


def test_audit_event_records_target_and_values(app):
    debtor = make_debtor()
    record("staff", 7, "debtor.update", debtor, before={"a": 1}, after={"a": 2})
    db.session.commit()
    event = db.session.query(AuditEvent).one()
    assert (event.target_type, event.target_id, event.actor_id) == ("debtor", str(debtor.id), "7")
    assert event.before == {"a": 1} and event.after == {"a": 2}


def test_links_are_minted_in_bulk_with_one_row_each(app):
    from sqlalchemy import func, select

    from portal.links import mint
    from portal.models import AccessLink

    debtors = [make_debtor() for _ in range(3)]
    urls = mint([(d.id, purpose, None) for d in debtors
                 for purpose in ("account", "unsubscribe")])
    db.session.commit()
    assert len(set(urls)) == 6
    assert db.session.scalar(select(func.count()).select_from(AccessLink)) == 6
    opened = open_token(urls[2].rsplit("/", 1)[1], "account")
    assert opened.debtor.id == debtors[1].id
    assert open_token(urls[5].rsplit("/", 1)[1], "unsubscribe").debtor.id == debtors[2].id
    with pytest.raises(ValueError):
        mint([(debtors[0].id, "admin", None)])


def test_debtor_and_staff_ids_load_the_right_kind_of_user(app):
    from flask import session

    from portal.auth import load_user, user_for
    from portal.models import StaffUser
    from portal.sessions import SID_KEY, open_session

    debtor = make_debtor()
    staff = StaffUser(email="a@x.co", password_hash="x", role="agent")
    db.session.add(staff)
    db.session.flush()
    assert debtor.get_id() == f"d:{debtor.id}" and staff.get_id() == f"s:{staff.id}"
    assert user_for("d", debtor.id) is debtor and user_for("s", staff.id) is staff
    with app.test_request_context():
        assert load_user(staff.get_id()) is None  # no server-side session: nobody
        session[SID_KEY] = open_session(staff)
        db.session.flush()
        assert load_user(staff.get_id()) is staff
        session[SID_KEY] = open_session(staff)
        db.session.flush()
        assert load_user(debtor.get_id()) is None  # a session names one user only
    staff.is_active = False
    assert user_for("s", staff.id) is None
    with app.test_request_context():
        assert load_user("x:1") is None and load_user("d:abc") is None
        assert load_user("d:²") is None and load_user("d:99999999999999999999") is None
