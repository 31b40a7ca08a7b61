"""The OpenAPI document and the reference page rendered from it (no CDN, no scripts)."""

from __future__ import annotations

import re


def test_openapi_document_describes_the_api(app, client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    spec = response.get_json()
    assert spec["openapi"] == "3.1.0"
    paths = spec["paths"]
    for path in ("/api/v1/debtors", "/api/v1/invoices", "/api/v1/invoices/bulk",
                 "/api/v1/invoices/{invoice_id}/cancel",
                 "/api/v1/invoices/{invoice_id}/credit-notes", "/api/v1/payments",
                 "/api/v1/promises", "/api/v1/disputes", "/api/v1/plans", "/api/v1/messages",
                 "/api/v1/risk-scores"):
        assert path in paths, path
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    for path, item in paths.items():
        if "post" in item:
            names = [p["name"] for p in item["post"].get("parameters", [])]
            assert "Idempotency-Key" in names, path
    problem = spec["components"]["responses"]["DEFAULT_ERROR"]["content"]
    assert list(problem) == ["application/problem+json"]
    invoice = spec["components"]["schemas"]["InvoiceIn"]["properties"]
    assert invoice["amount_minor"]["type"] == "integer"
    assert spec["components"]["schemas"]["DebtorOut"]["properties"]["email"]["type"] == \
        ["string", "null"]


def test_reference_page_is_rendered_locally(app, client):
    page = client.get("/api/v1/reference")
    assert page.status_code == 200 and page.content_type.startswith("text/html")
    html = page.get_data(as_text=True)
    assert "/api/v1/invoices/bulk" in html and "Create or update up to 1,000 invoices" in html
    assert 'id="schema-InvoiceIn"' in html and "amount_minor" in html
    assert "Create or update a debtor by <code>external_id</code>" in html
    assert "<script" not in html
    external = [u for u in re.findall(r'(?:src|href)="([^"]+)"', html)
                if u.startswith(("http:", "https:", "//"))]
    assert external == []
