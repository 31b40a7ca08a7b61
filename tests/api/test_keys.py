"""API keys: created by CLI and console, shown once, stored hashed, checked on every call."""

from __future__ import annotations

import hashlib
import json

from sqlalchemy import select

from portal.api.keys import revoke_key
from portal.extensions import db
from portal.models import ApiKey, AuditEvent
from tests.api.conftest import ApiClient, new_key


def test_cli_creates_a_key_shown_once_and_stored_hashed(app, runner, client):
    result = runner.invoke(args=["api-key", "create", "--name", "ERP", "--scopes", "read",
                                 "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    key = out["key"]
    row = db.session.get(ApiKey, out["id"])
    assert row.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert key.startswith(row.prefix + "_") and row.prefix == out["prefix"]
    assert out["scopes"] == ["read"]
    stored = json.dumps([c for c in (row.name, row.prefix, row.key_hash, row.scopes)])
    assert key not in stored
    listed = runner.invoke(args=["api-key", "list"])
    assert row.prefix in listed.output and key not in listed.output
    assert ApiClient(client, key).get("/api/v1/debtors").status_code == 200
    audit = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "api_key.created"))
    assert [a.after["prefix"] for a in audit] == [row.prefix]


def test_cli_refuses_unknown_scopes(app, runner):
    result = runner.invoke(args=["api-key", "create", "--name", "ERP", "--scopes", "admin"])
    assert result.exit_code != 0
    assert "scopes" in result.output
    assert db.session.scalar(select(ApiKey)) is None


def test_missing_or_wrong_key_is_401_problem(app, client):
    for headers in ({}, {"Authorization": "Bearer sk_nope_nope"}, {"Authorization": "Basic x"}):
        response = client.get("/api/v1/invoices", headers=headers)
        assert response.status_code == 401
        assert response.content_type == "application/problem+json"
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        body = response.get_json()
        assert body["status"] == 401 and body["title"] == "Unauthorized" and body["detail"]


def test_revoked_key_is_refused(app, client):
    key = new_key()
    api = ApiClient(client, key)
    assert api.get("/api/v1/debtors").status_code == 200
    row = db.session.scalar(select(ApiKey))
    assert revoke_key(row, actor_type="system") is True
    assert revoke_key(row, actor_type="system") is False
    db.session.commit()
    assert api.get("/api/v1/debtors").status_code == 401


def test_missing_scope_is_403(app, read_only_api):
    assert read_only_api.get("/api/v1/invoices").status_code == 200
    response = read_only_api.post("/api/v1/debtors", json={"external_id": "C-1"})
    assert response.status_code == 403
    assert response.get_json()["detail"] == "This API key lacks the `write` scope."


def test_last_used_is_recorded(app, api):
    row = db.session.scalar(select(ApiKey))
    assert row.last_used_at is None
    api.get("/api/v1/debtors")
    db.session.expire_all()
    assert db.session.scalar(select(ApiKey)).last_used_at is not None


def test_rate_limit_is_per_key(app, client):
    app.config["API_RATE_LIMIT"] = "3 per minute"
    first, second = ApiClient(client, new_key()), ApiClient(client, new_key())
    codes = [first.get("/api/v1/debtors").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    limited = first.get("/api/v1/debtors")
    assert limited.content_type == "application/problem+json"
    assert second.get("/api/v1/debtors").status_code == 200
