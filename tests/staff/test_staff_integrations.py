"""Administrators create and revoke API keys in the console; the key is shown once."""

from __future__ import annotations

import re

from sqlalchemy import select

from portal.extensions import db
from portal.models import ApiKey, AuditEvent
from tests.staff.conftest import post_form


def test_admin_creates_a_key_that_is_shown_once_and_works(app, staff_client):
    client, admin = staff_client("admin")
    page = post_form(client, "/staff/api-keys", {"name": "ERP", "scopes": ["read"]})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    key = re.search(r'data-testid="new-api-key">([^<]+)<', html).group(1)
    row = db.session.scalar(select(ApiKey))
    assert row.scopes == "read" and row.created_by_id == admin.id
    assert key not in client.get("/staff/api-keys").get_data(as_text=True)
    api = app.test_client()
    auth = {"Authorization": f"Bearer {key}"}
    assert api.get("/api/v1/invoices", headers=auth).status_code == 200
    assert api.post("/api/v1/debtors", json={"external_id": "X"},
                    headers=auth).status_code == 403

    post_form(client, f"/staff/api-keys/{row.id}/revoke", token_from="/staff/api-keys")
    assert api.get("/api/v1/invoices", headers=auth).status_code == 401
    actions = [(e.actor_type, e.action) for e in db.session.scalars(
        select(AuditEvent).where(AuditEvent.action.like("api_key.%")).order_by(AuditEvent.id))]
    assert actions == [("staff", "api_key.created"), ("staff", "api_key.revoked")]


def test_a_key_needs_a_name_and_scopes(app, staff_client):
    client, _ = staff_client("admin")
    page = post_form(client, "/staff/api-keys", {"name": "ERP"})
    assert page.status_code == 400 and db.session.scalar(select(ApiKey)) is None


def test_only_administrators_manage_keys(app, staff_client):
    client, _ = staff_client("analyst")
    assert client.get("/staff/api-keys").status_code == 403


def test_admin_registers_an_endpoint_and_sees_the_delivery_log(app, staff_client):
    from portal.models import WebhookEndpoint
    from portal.webhooks.delivery import deliver_due
    from portal.webhooks.events import emit
    from portal.webhooks.receiver import start
    from tests.conftest import free_port

    client, admin = staff_client("admin")
    app.config["WEBHOOKS_ALLOW_PRIVATE"] = False
    refused = post_form(client, "/staff/webhooks", {"url": "http://169.254.169.254/x",
                                                    "events": ["invoice.paid"]})
    assert refused.status_code == 400 and "link-local" in refused.get_data(as_text=True)

    app.config["WEBHOOKS_ALLOW_PRIVATE"] = True
    server = start(free_port(), secret="unset", status=503)
    try:
        page = post_form(client, "/staff/webhooks", {"url": server.url,
                                                     "events": ["debtor.opted_out"]})
        assert page.status_code == 302
        endpoint = db.session.scalar(select(WebhookEndpoint))
        server.secret = endpoint.secret
        assert endpoint.events == ["debtor.opted_out"] and endpoint.created_by_id == admin.id
        assert endpoint.secret in client.get("/staff/webhooks").get_data(as_text=True)

        emit("debtor.opted_out", {"object": "debtor_opt_out", "customer_id": "C-1"})
        db.session.commit()
        deliver_due()
        log = client.get("/staff/webhooks/deliveries").get_data(as_text=True)
        assert "debtor.opted_out" in log and "503" in log and "Resend" not in log

        server.status = 200
        from portal.models import Message
        delivery = db.session.scalar(select(Message).where(Message.kind == "webhook"))
        db.session.execute(Message.__table__.update().values(status="failed"))
        db.session.commit()
        post_form(client, f"/staff/webhooks/deliveries/{delivery.id}/resend",
                  token_from="/staff/webhooks/deliveries")
        assert deliver_due()["delivered"] == 1
        log = client.get("/staff/webhooks/deliveries").get_data(as_text=True)
        assert "delivered" in log and "200" in log
        assert len(server.events) == 1
    finally:
        server.shutdown()
        server.server_close()
    actions = [e.action for e in db.session.scalars(select(AuditEvent).where(
        AuditEvent.action.like("webhook_%")).order_by(AuditEvent.id))]
    assert actions == ["webhook_endpoint.created", "webhook_delivery.resent"]
