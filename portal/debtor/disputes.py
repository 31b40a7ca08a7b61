"""Disputes: a debtor contests an invoice, optionally with a PDF/JPEG/PNG attachment.

Attachments are checked by content (magic bytes, not the browser's content type), limited
to 5 MB and stored under the instance folder (outside the web root) with a random name.
Opening a dispute marks the invoice disputed, which stops reminders for it.
"""

from __future__ import annotations

import os
import secrets
from typing import BinaryIO

from flask import current_app

from portal import audit
from portal.extensions import db
from portal.models import Dispute, Invoice
from portal.webhooks.events import emit

REASONS = ("wrong_amount", "already_paid", "not_received", "other")
MAX_ATTACHMENT_BYTES = 5 * 1024 * 1024
MAX_MESSAGE_CHARS = 2000
SIGNATURES = (
    (b"%PDF-", "application/pdf", "pdf"),
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
)


class DisputeError(ValueError):
    def __init__(self, code: str):
        super().__init__(code)
        self.code = code  # reason | closed | already | too_large | file_type | message


def sniff(head: bytes) -> tuple[str, str] | None:
    """(mime type, extension) judged from the first bytes, or None for anything else."""
    for magic, mime, ext in SIGNATURES:
        if head.startswith(magic):
            return mime, ext
    return None


def read_attachment(stream: BinaryIO) -> tuple[bytes, str, str]:
    """Read an upload; refuse it when too large or not a PDF/JPEG/PNG by content."""
    data = stream.read(MAX_ATTACHMENT_BYTES + 1)
    if len(data) > MAX_ATTACHMENT_BYTES:
        raise DisputeError("too_large")
    kind = sniff(data[:16])
    if kind is None:
        raise DisputeError("file_type")
    return data, kind[0], kind[1]


def upload_root() -> str:
    return os.path.join(current_app.config["UPLOAD_FOLDER"], "disputes")


def store_attachment(data: bytes, ext: str) -> str:
    """Write the bytes under the upload folder; return the path relative to it."""
    root = upload_root()
    os.makedirs(root, exist_ok=True)
    name = f"{secrets.token_hex(16)}.{ext}"
    fd = os.open(os.path.join(root, name), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    return f"disputes/{name}"


def attachment_file(dispute: Dispute) -> str | None:
    """Absolute path of a dispute's attachment, refusing anything outside the upload root."""
    if not dispute.attachment_path:
        return None
    base = os.path.realpath(current_app.config["UPLOAD_FOLDER"])
    path = os.path.realpath(os.path.join(base, dispute.attachment_path))
    if not path.startswith(base + os.sep) or not os.path.isfile(path):
        return None
    return path


def open_dispute(invoice: Invoice, reason: str, message: str,
                 attachment: BinaryIO | None = None) -> Dispute:
    """Open a dispute on `invoice`, mark it disputed, audit it (the caller commits)."""
    if reason not in REASONS:
        raise DisputeError("reason")
    if invoice.status != "open":
        raise DisputeError("closed")
    if invoice.disputed:
        raise DisputeError("already")
    message = (message or "").strip()
    if len(message) > MAX_MESSAGE_CHARS:
        raise DisputeError("message")
    stored = mime = None
    if attachment is not None:
        data, mime, ext = read_attachment(attachment)
        stored = store_attachment(data, ext)
    dispute = Dispute(debtor_id=invoice.debtor_id, invoice_id=invoice.id, reason=reason,
                      message=message, attachment_path=stored, attachment_mime=mime,
                      status="open")
    invoice.disputed = True
    db.session.add(dispute)
    db.session.flush()
    audit.record("debtor", invoice.debtor_id, "dispute.opened", dispute,
                 after={"invoice": invoice.external_id, "reason": reason,
                        "attachment": mime})
    emit("dispute.opened", dispute)
    return dispute
