"""Disputes: a debtor contests an invoice (optionally with a PDF/JPEG/PNG attachment), and
staff resolve it. One module for both, used by the debtor pages, the staff console, the API
and reply handling.

Attachments are checked by content (magic bytes, not the browser's content type), limited
to 5 MB and stored under the instance folder (outside the web root) with a random name.
Opening a dispute marks the invoice disputed, which stops reminders for it. A resolution
(adjust the amount, cancel the invoice, or reject with a note) clears the disputed flag, is
audited with the invoice's values before and after, and is committed by the caller;
`portal.staff.notify` then tells the debtor, in their language.
"""

from __future__ import annotations

import os
import secrets
from datetime import UTC, datetime
from typing import BinaryIO

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select, update

from portal import audit
from portal.extensions import db
from portal.models import Dispute, Invoice, StaffUser
from portal.webhooks.events import emit

REASONS = ("wrong_amount", "already_paid", "not_received", "other")
ACTIONS = ("adjust", "cancel", "reject")
MAX_NOTE = 2000
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
    """Open a dispute on `invoice`, mark it disputed, audit it (the caller commits).

    The invoice is claimed with a conditional update (`disputed = true WHERE disputed =
    false AND status = 'open'`): of parallel submissions only one opens a dispute, the others
    are told it is already disputed."""
    if reason not in REASONS:
        raise DisputeError("reason")
    if invoice.status != "open":
        raise DisputeError("closed")
    if invoice.disputed:
        raise DisputeError("already")
    message = (message or "").strip()
    if len(message) > MAX_MESSAGE_CHARS:
        raise DisputeError("message")
    upload = read_attachment(attachment) if attachment is not None else None
    claimed = db.session.execute(
        update(Invoice)
        .where(Invoice.id == invoice.id, Invoice.status == "open",
               Invoice.disputed.is_(False))
        .values(disputed=True)
        .execution_options(synchronize_session=False)).rowcount
    db.session.refresh(invoice)
    if not claimed:
        raise DisputeError("closed" if invoice.status != "open" else "already")
    stored = mime = None
    if upload is not None:
        data, mime, ext = upload
        stored = store_attachment(data, ext)
    dispute = Dispute(debtor_id=invoice.debtor_id, invoice_id=invoice.id, reason=reason,
                      message=message, attachment_path=stored, attachment_mime=mime,
                      status="open")
    db.session.add(dispute)
    db.session.flush()
    audit.record("debtor", invoice.debtor_id, "dispute.opened", dispute,
                 after={"invoice": invoice.external_id, "reason": reason,
                        "attachment": mime})
    emit("dispute.opened", dispute)
    return dispute


class ResolutionError(ValueError):
    """The resolution cannot be applied; the message says why."""


def _invoice_state(invoice) -> dict:
    return {"amount_minor": invoice.amount_minor, "paid_minor": invoice.paid_minor,
            "status": invoice.status, "disputed": invoice.disputed}


def resolve_dispute(dispute: Dispute, staff: StaffUser, action: str, note: str = "",
                    new_amount_minor: int | None = None, today=None) -> None:
    """Apply `action` (adjust|cancel|reject) to an open dispute (the caller commits)."""
    if dispute.status != "open":
        raise ResolutionError(_("This dispute was already resolved."))
    if action not in ACTIONS:
        raise ResolutionError(_("Choose how to resolve the dispute."))
    note = (note or "").strip()
    if len(note) > MAX_NOTE:
        raise ResolutionError(_("The note is too long (at most %(n)d characters).", n=MAX_NOTE))
    if action == "reject" and not note:
        raise ResolutionError(_("Write a note explaining why the dispute is rejected."))
    status, resolved_at = ("rejected" if action == "reject" else "accepted"), datetime.now(UTC)
    # Claim the dispute atomically: of two staff resolving it at once (or a stale form), only
    # one changes the invoice and emails the debtor; the other is told it is already resolved.
    claimed = db.session.execute(
        update(Dispute).where(Dispute.id == dispute.id, Dispute.status == "open")
        .values(status=status, resolution_action=action, resolution_note=note or None,
                resolved_by_id=staff.id, resolved_at=resolved_at)
        .execution_options(synchronize_session=False))
    if claimed.rowcount != 1:
        raise ResolutionError(_("This dispute was already resolved."))
    # The invoice as it is now, locked against a concurrent payment while we change it.
    invoice = db.session.scalars(
        select(Invoice).where(Invoice.id == dispute.invoice_id).with_for_update()
        .execution_options(populate_existing=True)).one()
    before = _invoice_state(invoice)
    if action == "cancel":
        _cancel(invoice)
    elif action == "adjust":
        _adjust(invoice, new_amount_minor, today or datetime.now(UTC).date())
    # Reminders stay paused while any other dispute on the invoice is still open.
    invoice.disputed = bool(db.session.scalar(select(func.count()).select_from(Dispute).where(
        Dispute.invoice_id == invoice.id, Dispute.status == "open", Dispute.id != dispute.id)))
    dispute.status, dispute.resolution_action = status, action
    dispute.resolution_note, dispute.resolved_by_id = note or None, staff.id
    dispute.resolved_at = resolved_at
    audit.record("staff", staff.id, f"dispute.{dispute.status}", dispute,
           before={"status": "open", "invoice": before},
           after={"status": dispute.status, "action": action, "note": note or None,
                  "invoice": _invoice_state(invoice)})
    emit("dispute.resolved", dispute)


def _cancel(invoice) -> None:
    if invoice.paid_minor > 0:
        raise ResolutionError(_("Part of this invoice is paid: adjust the amount instead of "
                                "cancelling it."))
    if invoice.status != "open":
        raise ResolutionError(_("Only an open invoice can be cancelled."))
    invoice.status = "cancelled"


def _adjust(invoice, new_amount_minor: int | None, today) -> None:
    if new_amount_minor is None:
        raise ResolutionError(_("Enter the corrected amount."))
    if new_amount_minor <= 0:
        raise ResolutionError(_("The corrected amount must be more than zero; cancel the "
                                "invoice to drop it entirely."))
    if new_amount_minor >= invoice.amount_minor:
        raise ResolutionError(_("The corrected amount must be lower than the current amount."))
    if new_amount_minor < invoice.paid_minor:
        raise ResolutionError(_("The corrected amount cannot be lower than what was already "
                                "paid."))
    invoice.amount_minor = new_amount_minor
    if invoice.paid_minor == new_amount_minor and invoice.status == "open":
        invoice.status = "paid"
        invoice.settled_on = today
