"""Debtors through the API: upsert by external_id, validation as problems, lists."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from portal.debtor.identity import check_identity
from portal.extensions import db
from portal.models import AuditEvent, Debtor


def test_upsert_creates_then_updates(app, api):
    body = {"external_id": "C-9", "name": "Ana Gómez", "email": "Ana@Example.com",
            "phone": "+57 300 123 4567", "locale": "es-CO", "timezone": "America/Bogota",
            "country": "co", "channels": {"whatsapp": True, "sms": False},
            "identity": {"kind": "document_last4", "value": "1032-4821"}}
    created = api.post("/api/v1/debtors", json=body)
    assert created.status_code == 201, created.get_json()
    out = created.get_json()
    assert out["email"] == "ana@example.com" and out["phone"] == "+573001234567"
    assert out["locale"] == "es_CO" and out["country"] == "CO"
    assert out["channels"] == {"email": True, "sms": False, "whatsapp": True, "push": False}
    assert out["identity_kind"] == "document_last4" and "value" not in str(out)
    debtor = db.session.scalar(select(Debtor).where(Debtor.external_id == "C-9"))
    assert "4821" not in debtor.identity_hash and check_identity(debtor, "4821")

    updated = api.post("/api/v1/debtors", json={"external_id": "C-9", "name": "Ana G."})
    assert updated.status_code == 200
    assert updated.get_json()["name"] == "Ana G." and updated.get_json()["email"]
    assert db.session.scalar(select(db.func.count()).select_from(Debtor)) == 1
    actions = [e.action for e in db.session.scalars(select(AuditEvent).where(
        AuditEvent.actor_type == "api").order_by(AuditEvent.id))]
    assert actions == ["debtor.created", "debtor.updated"]


def test_consent_dates_per_channel(app, api):
    body = {"external_id": "C-5", "consent": {"email": "2026-01-15", "whatsapp": "2026-02-01"}}
    out = api.post("/api/v1/debtors", json=body).get_json()
    assert out["consent"] == {"email": "2026-01-15", "sms": None, "whatsapp": "2026-02-01"}
    cleared = api.post("/api/v1/debtors", json={"external_id": "C-5",
                                                "consent": {"whatsapp": None}}).get_json()
    assert cleared["consent"]["whatsapp"] is None and cleared["consent"]["email"]
    debtor = db.session.scalar(select(Debtor).where(Debtor.external_id == "C-5"))
    assert debtor.consent_email_at.isoformat() == "2026-01-15"
    future = api.post("/api/v1/debtors", json={"external_id": "C-5",
                                               "consent": {"sms": "2999-01-01"}})
    assert future.status_code == 422
    assert future.get_json()["errors"][0]["field"] == "consent.sms"
    assert db.session.scalar(select(AuditEvent).where(
        AuditEvent.action == "consent.updated", AuditEvent.actor_type == "api")) is not None


def test_invalid_fields_are_field_level_problems(app, api):
    response = api.post("/api/v1/debtors", json={"external_id": "C-1", "email": "not-mail"})
    assert response.status_code == 422
    assert response.content_type == "application/problem+json"
    body = response.get_json()
    assert body["errors"][0]["field"] == "email" and "email" in body["errors"][0]["message"]
    schema_error = api.post("/api/v1/debtors", json={"external_id": "", "colour": "red"})
    fields = {e["field"] for e in schema_error.get_json()["errors"]}
    assert fields == {"external_id", "colour"}
    bad_tz = api.post("/api/v1/debtors", json={"external_id": "C-1", "timezone": "Mars/Base"})
    assert bad_tz.get_json()["errors"][0]["field"] == "timezone"
    assert db.session.scalar(select(Debtor)) is None


def test_list_pages_with_a_cursor_and_updated_since(app, api):
    for n in range(5):
        assert api.post("/api/v1/debtors", json={"external_id": f"C-{n}"}).status_code == 201
    first = api.get("/api/v1/debtors?limit=2").get_json()
    assert [d["external_id"] for d in first["data"]] == ["C-0", "C-1"] and first["has_more"]
    second = api.get(f"/api/v1/debtors?limit=2&cursor={first['next_cursor']}").get_json()
    assert [d["external_id"] for d in second["data"]] == ["C-2", "C-3"]
    third = api.get(f"/api/v1/debtors?limit=2&cursor={second['next_cursor']}").get_json()
    assert [d["external_id"] for d in third["data"]] == ["C-4"]
    assert third["has_more"] is False and third["next_cursor"] is None

    later = datetime.now(UTC) + timedelta(seconds=1)
    debtor = db.session.scalar(select(Debtor).where(Debtor.external_id == "C-3"))
    debtor.updated_at = later + timedelta(seconds=5)
    db.session.commit()
    since = api.get("/api/v1/debtors", query_string={"updated_since": later.isoformat()})
    assert [d["external_id"] for d in since.get_json()["data"]] == ["C-3"]
    bad = api.get("/api/v1/debtors?cursor=garbage")
    assert bad.status_code == 400 and bad.get_json()["errors"][0]["field"] == "cursor"


def test_unknown_debtor_is_404_problem(app, api):
    response = api.get("/api/v1/debtors/nobody")
    assert response.status_code == 404
    assert response.content_type == "application/problem+json"
