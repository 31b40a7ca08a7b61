"""Contact preferences, unsubscribe (page and RFC 8058 one-click), web push endpoints."""

from __future__ import annotations

from datetime import UTC, datetime, time

from sqlalchemy import select

from portal.links import issue_token
from portal.models import AuditEvent, Message, PushSubscription
from tests.portal.conftest import csrf_from, post_form


def test_save_preferences(signed_client, db, debtor):
    response = post_form(signed_client, "/preferences", {
        "allow_email": "y", "allow_whatsapp": "y", "preferred_channel": "whatsapp",
        "quiet_start": "09:00", "quiet_end": "18:30", "language": "pt_BR"})
    assert response.status_code == 302
    db.session.refresh(debtor)
    assert (debtor.allow_email, debtor.allow_sms, debtor.allow_whatsapp) == (True, False, True)
    assert debtor.preferred_channel == "whatsapp"
    assert (debtor.quiet_start, debtor.quiet_end) == (time(9), time(18, 30))
    assert debtor.locale == "pt_BR"
    event = db.session.scalar(select(AuditEvent).where(
        AuditEvent.action == "preferences.updated"))
    assert event.before["allow_sms"] is True and event.after["allow_sms"] is False
    assert "Suas preferências foram salvas" in signed_client.get("/preferences").get_data(
        as_text=True)


def test_preferred_channel_must_be_allowed_and_quiet_hours_paired(signed_client, db, debtor):
    bad = post_form(signed_client, "/preferences", {
        "allow_email": "y", "preferred_channel": "sms", "quiet_start": "09:00",
        "quiet_end": "18:00", "language": "es"})
    assert bad.status_code == 400 and "canales que permites" in bad.get_data(as_text=True)
    half = post_form(signed_client, "/preferences", {
        "allow_email": "y", "quiet_start": "09:00", "language": "es"})
    assert half.status_code == 400 and "o ninguna" in half.get_data(as_text=True)
    db.session.refresh(debtor)
    assert debtor.preferred_channel is None and debtor.allow_sms is True


def _unsubscribe_url(db, debtor, message_id=None):
    token = issue_token(debtor, "unsubscribe", message_id)
    db.session.commit()
    return f"/u/{token}"


def test_unsubscribe_confirm_then_post(client, db, debtor):
    pending = Message(debtor_id=debtor.id, channel="email", template="r", rule="lead",
                      reason="due", dedupe_key="u-1", status="pending",
                      send_at=datetime.now(UTC))
    db.session.add(pending)
    db.session.commit()
    url = _unsubscribe_url(db, debtor, pending.id)
    page = client.get(url)
    assert page.status_code == 200 and "Cancelar suscripción" in page.get_data(as_text=True)
    db.session.refresh(debtor)
    assert debtor.opted_out_at is None  # GET alone changes nothing (link scanners)
    done = client.post(url, data={"csrf_token": csrf_from(client, url)})
    assert done.status_code == 200
    db.session.refresh(debtor)
    db.session.refresh(pending)
    assert debtor.opted_out_at is not None and not debtor.allows("email")
    assert pending.status == "cancelled"


def test_rfc8058_one_click_post(client, db, debtor):
    url = _unsubscribe_url(db, debtor)
    response = client.post(url, data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    db.session.refresh(debtor)
    assert debtor.opted_out_at is not None
    event = db.session.scalar(select(AuditEvent).where(
        AuditEvent.action == "debtor.unsubscribed"))
    assert event.after["one_click"] is True


def test_unsubscribe_token_cannot_open_account(client, db, debtor):
    token = _unsubscribe_url(db, debtor).removeprefix("/u/")
    assert client.get(f"/l/{token}").status_code == 404
    assert client.get("/u/not-a-token").status_code == 404


def test_resume_after_unsubscribe(signed_client, db, debtor):
    debtor.opted_out_at = datetime.now(UTC)
    db.session.commit()
    post_form(signed_client, "/preferences", {"allow_email": "y", "language": "es",
                                              "resume": "y"})
    db.session.refresh(debtor)
    assert debtor.opted_out_at is None


SUB = {"endpoint": "https://fcm.googleapis.com/fcm/send/abc",
       "keys": {"p256dh": "BOr8" + "x" * 80, "auth": "a1b2c3d4"}}


def test_push_subscribe_and_unsubscribe(app, signed_client, db, debtor):
    app.config["VAPID_PUBLIC_KEY"] = "BPublicKeyForTests"
    page = signed_client.get("/preferences").get_data(as_text=True)
    assert 'data-vapid-key="BPublicKeyForTests"' in page and "js/notify.js" in page
    token = csrf_from(signed_client, "/preferences")
    assert signed_client.post("/push/subscribe", json=SUB).status_code == 400  # no CSRF
    headers = {"X-CSRFToken": token}
    assert signed_client.post("/push/subscribe", json=SUB, headers=headers).status_code == 201
    sub = db.session.scalar(select(PushSubscription))
    assert sub.debtor_id == debtor.id and sub.auth == "a1b2c3d4"
    db.session.refresh(debtor)
    assert debtor.allow_push is True
    bad = {**SUB, "endpoint": "http://insecure"}
    assert signed_client.post("/push/subscribe", json=bad, headers=headers).status_code == 400
    gone = signed_client.post("/push/unsubscribe", json={"endpoint": SUB["endpoint"]},
                              headers=headers)
    assert gone.status_code == 200
    assert db.session.scalar(select(PushSubscription)) is None
    db.session.refresh(debtor)
    assert debtor.allow_push is False


def test_manifest_and_service_worker(client):
    manifest = client.get("/manifest.webmanifest")
    assert manifest.mimetype == "application/manifest+json"
    assert manifest.json["icons"][0]["sizes"] == "192x192"
    with client.get(manifest.json["icons"][0]["src"]) as icon:
        assert icon.status_code == 200 and icon.data.startswith(b"\x89PNG")
    with client.get("/sw.js") as worker:
        assert worker.status_code == 200 and b"showNotification" in worker.data
        assert worker.headers["Service-Worker-Allowed"] == "/"


def test_choosing_channels_in_the_portal_records_consent(signed_client, db, debtor):
    debtor.consent_email_at = datetime(2025, 2, 1, tzinfo=UTC).date()
    db.session.commit()
    post_form(signed_client, "/preferences", {
        "allow_email": "y", "allow_whatsapp": "y", "language": "es"})
    db.session.refresh(debtor)
    today = datetime.now(UTC).date()
    assert debtor.consent_email_at == datetime(2025, 2, 1).date()  # an earlier date is kept
    assert debtor.consent_whatsapp_at == today and debtor.consent_sms_at is None
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "consent.updated"))
    assert event.actor_type == "debtor" and event.after["whatsapp"] == today.isoformat()
