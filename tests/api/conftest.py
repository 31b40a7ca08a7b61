"""API test helpers: a key with given scopes and a client that sends it."""

from __future__ import annotations

import pytest

from portal.api.keys import create_key
from portal.extensions import db


class ApiClient:
    """The Flask test client with `Authorization: Bearer <key>` on every request."""

    def __init__(self, client, key: str):
        self.client, self.key = client, key

    def headers(self, extra: dict | None = None) -> dict:
        return {"Authorization": f"Bearer {self.key}", **(extra or {})}

    def get(self, url: str, **kw):
        return self.client.get(url, headers=self.headers(kw.pop("headers", None)), **kw)

    def post(self, url: str, json=None, **kw):
        return self.client.post(url, json=json, headers=self.headers(kw.pop("headers", None)),
                                **kw)


def new_key(scopes: str = "read,write", name: str = "billing") -> str:
    _, key = create_key(name, scopes, actor_type="system")
    db.session.commit()
    return key


@pytest.fixture
def api(app, client):
    return ApiClient(client, new_key())


@pytest.fixture
def read_only_api(app):
    return ApiClient(app.test_client(), new_key("read", "reader"))


INVOICE = {
    "invoice_id": "F-1001", "customer_id": "C-1", "issue_date": "2026-10-01",
    "due_date": "2026-10-31", "amount_minor": 150000, "currency": "USD",
}
