"""Resolving disputes: accept (adjust the amount or cancel the invoice) or reject with a note.

Each resolution clears the invoice's disputed flag, is audited with the invoice's values
before and after, and is committed by the caller; `notify_debtor` then tells the debtor by
email, in their language.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask_babel import gettext as _
from sqlalchemy import func, select, update

from portal.audit import record
from portal.extensions import db
from portal.models import Dispute, Invoice, StaffUser
from portal.webhooks.events import emit

ACTIONS = ("adjust", "cancel", "reject")
MAX_NOTE = 2000


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
    record("staff", staff.id, f"dispute.{dispute.status}", dispute,
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
