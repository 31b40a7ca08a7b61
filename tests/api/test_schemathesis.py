"""Property-based tests generated from our OpenAPI document by Schemathesis, run against the
live app (WSGI, both databases): no 5xx, and every response conforms to the document
(status code, content type, headers and body schema). Examples are bounded so the run stays
well under a minute; `derandomize` makes a failure reproducible."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import select

from portal.extensions import db
from portal.models import Debtor
from replies.ingest import ingest_reply
from tests.api.conftest import INVOICE, ApiClient, new_key

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_headers_conformance, response_schema_conformance]
EXAMPLES = 25


@pytest.fixture
def live(app, client):
    """The app with a little data (so reads find rows) and a key that may do everything."""
    app.config["API_RATE_LIMIT"] = "100000 per minute"
    key = new_key()
    api = ApiClient(client, key)
    assert api.post("/api/v1/invoices", json=INVOICE).status_code == 201
    assert api.post("/api/v1/payments", json={
        "customer_id": "C-1", "reference": "T-1", "amount_minor": 100, "currency": "USD",
        "method": "cash"}).status_code == 201
    ingest_reply("portal", "C-1", "Can I pay next week?",
                 debtor_id=db.session.scalar(select(Debtor.id)))
    ingest_reply("sms", "+15550000000", "who is this?", provider_id="SM1")
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    return schema, {"Authorization": f"Bearer {key}"}


def test_the_document_is_openapi_3_1(live):
    schema, _ = live
    assert schema.raw_schema["openapi"] == "3.1.0"
    operations = [op.ok() for op in schema.get_all_operations()]
    assert len(operations) >= 15


def test_every_operation_conforms_and_never_fails(live):
    schema, headers = live
    failures = []
    for result in schema.get_all_operations():
        operation = result.ok()

        @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                  phases=[Phase.explicit, Phase.generate],
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy())
        def run(case):
            case.call_and_validate(headers=headers, checks=CHECKS)
            db.session.rollback()

        try:
            run()
        except Exception as exc:  # noqa: BLE001 - collect every operation's failure
            failures.append(f"{operation.method.upper()} {operation.path}: {exc}")
    assert failures == []
