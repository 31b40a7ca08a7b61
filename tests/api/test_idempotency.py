"""Idempotency-Key: same key + same body = same response; other body = 422; races = one effect."""

from __future__ import annotations

import threading

from sqlalchemy import func, select

from portal.extensions import db
from portal.models import Debtor, IdempotencyRecord, Payment
from tests.api.conftest import INVOICE, ApiClient

PAYMENT = {"customer_id": "C-1", "reference": "TR-1", "amount_minor": 500,
           "currency": "USD", "method": "transfer"}


def test_same_key_same_body_replays_the_response(app, api):
    headers = {"Idempotency-Key": "k-1"}
    first = api.post("/api/v1/debtors", json={"external_id": "C-1", "name": "A"},
                     headers=headers)
    assert first.status_code == 201
    # The same JSON with other key order is the same request.
    second = api.client.post("/api/v1/debtors", data='{"name": "A", "external_id": "C-1"}',
                             content_type="application/json", headers=api.headers(headers))
    assert second.status_code == 201 and second.headers["Idempotent-Replayed"] == "true"
    assert second.get_json() == first.get_json()


def test_same_key_other_body_is_422(app, api):
    headers = {"Idempotency-Key": "k-2"}
    api.post("/api/v1/debtors", json={"external_id": "C-1"}, headers=headers)
    other = api.post("/api/v1/debtors", json={"external_id": "C-2"}, headers=headers)
    assert other.status_code == 422
    assert other.content_type == "application/problem+json"
    assert db.session.scalar(select(func.count()).select_from(Debtor)) == 1


def test_failed_request_leaves_the_key_free(app, api):
    headers = {"Idempotency-Key": "k-3"}
    bad = api.post("/api/v1/debtors", json={"external_id": "C-1", "email": "x"},
                   headers=headers)
    assert bad.status_code == 422
    assert db.session.scalar(select(IdempotencyRecord)) is None
    good = api.post("/api/v1/debtors", json={"external_id": "C-1", "email": "x"},
                    headers=headers)
    assert good.status_code == 422  # the same bad body is still bad, not a replay


def test_keys_are_per_api_key(app, api, client):
    from tests.api.conftest import new_key

    other = ApiClient(client, new_key())
    headers = {"Idempotency-Key": "shared"}
    assert api.post("/api/v1/debtors", json={"external_id": "C-1"},
                    headers=headers).status_code == 201
    assert other.post("/api/v1/debtors", json={"external_id": "C-2"},
                      headers=headers).status_code == 201


def test_parallel_requests_with_one_key_have_one_effect(app, api):
    api.post("/api/v1/invoices", json=INVOICE)
    results: list = []
    start = threading.Barrier(4)

    def post(n: int) -> None:
        client = app.test_client()
        start.wait()
        response = client.post("/api/v1/payments", json=PAYMENT,
                               headers=api.headers({"Idempotency-Key": "pay-1"}))
        results.append((response.status_code, response.get_json()))

    threads = [threading.Thread(target=post, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    statuses = sorted(code for code, _ in results)
    assert set(statuses) <= {201, 409}, results
    assert 201 in statuses
    ids = {body["id"] for code, body in results if code == 201}
    assert len(ids) == 1
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Payment)) == 1
    replay = api.post("/api/v1/payments", json=PAYMENT,
                      headers={"Idempotency-Key": "pay-1"})
    assert replay.status_code == 201 and replay.get_json()["id"] in ids


def test_parallel_requests_with_different_keys_do_not_duplicate(app, api):
    """Without a shared key, the payment's own reference still keeps it to one row."""
    api.post("/api/v1/invoices", json=INVOICE)
    results: list = []
    start = threading.Barrier(3)

    def post(n: int) -> None:
        client = app.test_client()
        start.wait()
        response = client.post("/api/v1/payments", json=PAYMENT,
                               headers=api.headers({"Idempotency-Key": f"k-{n}"}))
        results.append(response.status_code)

    threads = [threading.Thread(target=post, args=(n,)) for n in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert set(results) <= {200, 201, 409}, results
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Payment)) == 1
