"""Resolving disputes: accept (adjust the amount or cancel the invoice) or reject with a note.

Each resolution clears the invoice's disputed flag, is audited with the invoice's values
before and after, and is committed by the caller; `notify_debtor` then tells the debtor by
email, in their language.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask_babel import gettext as _

from portal.audit import record
from portal.models import Dispute, StaffUser

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
    invoice = dispute.invoice
    before = _invoice_state(invoice)
    if action == "reject":
        if not note:
            raise ResolutionError(_("Write a note explaining why the dispute is rejected."))
    elif action == "cancel":
        _cancel(invoice)
    else:
        _adjust(invoice, new_amount_minor, today or datetime.now(UTC).date())
    invoice.disputed = False
    dispute.status = "rejected" if action == "reject" else "accepted"
    dispute.resolution_action = action
    dispute.resolution_note = note or None
    dispute.resolved_by_id = staff.id
    dispute.resolved_at = datetime.now(UTC)
    record("staff", staff.id, f"dispute.{dispute.status}", dispute,
           before={"status": "open", "invoice": before},
           after={"status": dispute.status, "action": action, "note": note or None,
                  "invoice": _invoice_state(invoice)})


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
