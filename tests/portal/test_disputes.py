"""Disputes: reasons, attachments checked by content and size, stored privately."""

from __future__ import annotations

import io
import os

import pytest
from sqlalchemy import select

from portal.models import AuditEvent, Dispute
from portal.operations import disputes
from portal.operations.disputes import DisputeError, read_attachment
from tests.factories import make_invoice
from tests.portal.conftest import csrf_from

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _post(client, invoice, reason="wrong_amount", message="No reconozco este cobro",
          file=None):
    url = f"/invoices/{invoice.id}/dispute"
    data = {"csrf_token": csrf_from(client, url), "reason": reason, "message": message,
            "confirm": "y"}
    if file is not None:
        data["attachment"] = file
    return client.post(url, data=data, content_type="multipart/form-data")


def test_dispute_with_pdf_marks_invoice_and_is_private(app, signed_client, db, debtor):
    invoice = make_invoice(debtor)
    db.session.commit()
    response = _post(signed_client, invoice, file=(io.BytesIO(PDF), "factura.pdf"))
    assert response.status_code == 302
    dispute = db.session.scalar(select(Dispute))
    db.session.refresh(invoice)
    assert invoice.disputed and dispute.reason == "wrong_amount"
    assert dispute.attachment_mime == "application/pdf"
    stored = os.path.join(app.config["UPLOAD_FOLDER"], dispute.attachment_path)
    assert os.path.isfile(stored) and not stored.startswith(app.static_folder)
    with open(stored, "rb") as fh:
        assert fh.read() == PDF
    page = signed_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Recibimos tu reclamo" in page
    download = signed_client.get(f"/disputes/{dispute.id}/attachment")
    assert download.status_code == 200 and download.data == PDF
    assert download.mimetype == "application/pdf"
    assert "attachment" in download.headers["Content-Disposition"]
    download.close()
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "dispute.opened"))
    again = signed_client.get(f"/invoices/{invoice.id}").get_data(as_text=True)
    assert "En revisión" in again and f"/invoices/{invoice.id}/promise" not in again


def test_type_is_judged_by_content_not_name(signed_client, db, debtor):
    invoice = make_invoice(debtor)
    db.session.commit()
    fake = (io.BytesIO(b"<script>alert(1)</script>"), "recibo.pdf")
    response = _post(signed_client, invoice, file=fake)
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert "PDF, JPEG o PNG" in body and "No reconozco este cobro" in body  # nothing lost
    assert db.session.scalar(select(Dispute)) is None
    png = _post(signed_client, invoice, reason="other", file=(io.BytesIO(PNG), "x.bin"))
    assert png.status_code == 302
    assert db.session.scalar(select(Dispute)).attachment_mime == "image/png"


def test_attachment_limit_is_5_mb():
    exact = PDF + b"0" * (5 * 1024 * 1024 - len(PDF))
    assert read_attachment(io.BytesIO(exact))[1] == "application/pdf"
    with pytest.raises(DisputeError) as info:
        read_attachment(io.BytesIO(exact + b"0"))
    assert info.value.code == "too_large"


def test_too_large_attachment_refused_by_the_form(signed_client, db, debtor, monkeypatch):
    # The werkzeug test client leaks a temp file for multi-MB bodies: shrink the limit here;
    # the 5 MB figure itself is checked above.
    monkeypatch.setattr(disputes, "MAX_ATTACHMENT_BYTES", 1024)
    invoice = make_invoice(debtor)
    db.session.commit()
    big = PDF + b"0" * 2048
    response = _post(signed_client, invoice, file=(io.BytesIO(big), "big.pdf"))
    assert response.status_code == 400 and "5 MB" in response.get_data(as_text=True)
    assert db.session.scalar(select(Dispute)) is None


def test_unknown_reason_and_double_dispute(signed_client, db, debtor):
    invoice = make_invoice(debtor)
    db.session.commit()
    assert _post(signed_client, invoice, reason="because").status_code == 400
    assert _post(signed_client, invoice, reason="not_received", message="").status_code == 302
    second = _post(signed_client, invoice, reason="other")
    assert second.status_code == 400 and "ya está en revisión" in second.get_data(as_text=True)
    assert len(db.session.scalars(select(Dispute)).all()) == 1


def test_pick_an_invoice_to_dispute_lists_only_own_open_ones(signed_client, db, debtor):
    from tests.portal.conftest import identified_debtor

    mine = make_invoice(debtor, description="Mi factura")
    make_invoice(debtor, description="Ya reclamada", disputed=True)
    make_invoice(identified_debtor(), description="Ajena")
    db.session.commit()
    body = signed_client.get("/dispute").get_data(as_text=True)
    assert f"/invoices/{mine.id}/dispute" in body and "Mi factura" in body
    assert "Ya reclamada" not in body and "Ajena" not in body
