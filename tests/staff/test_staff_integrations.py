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
