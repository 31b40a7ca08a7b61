"""Agents see and edit consent dates per channel; every change is in the audit log."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from portal.extensions import db
from portal.models import AuditEvent, Debtor
from tests.factories import make_debtor
from tests.staff.conftest import post_form


def test_agent_sees_and_edits_consent_dates_audited(staff_client):
    client, _ = staff_client("agent")
    debtor = make_debtor(consent_sms_at=date(2025, 1, 2))
    db.session.commit()
    page = client.get(f"/staff/debtors/{debtor.id}").get_data(as_text=True)
    assert "2025-01-02" in page and "not recorded" in page
    url = f"/staff/debtors/{debtor.id}/consent"
    response = post_form(client, url, {"consent_email": "2026-02-03", "consent_sms": "",
                                       "consent_whatsapp": ""},
                         token_from=f"/staff/debtors/{debtor.id}")
    assert response.status_code == 302
    db.session.expire_all()
    saved = db.session.get(Debtor, debtor.id)
    assert (saved.consent_email_at, saved.consent_sms_at) == (date(2026, 2, 3), None)
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "consent.updated"))
    assert event.before["sms"] == "2025-01-02" and event.after == {
        "email": "2026-02-03", "sms": None, "whatsapp": None}
    assert event.actor_type == "staff"


def test_future_or_malformed_consent_dates_change_nothing(staff_client):
    client, _ = staff_client("agent")
    debtor = make_debtor()
    db.session.commit()
    url = f"/staff/debtors/{debtor.id}/consent"
    future = (date.today() + timedelta(days=5)).isoformat()
    for value in (future, "03/02/2026"):
        post_form(client, url, {"consent_email": value}, token_from=f"/staff/debtors/{debtor.id}")
        db.session.expire_all()
        assert db.session.get(Debtor, debtor.id).consent_email_at is None
    assert db.session.scalar(select(AuditEvent).where(
        AuditEvent.action == "consent.updated")) is None
