"""Whether a reminder may go out: one function for planning, the dispatcher's send-time
re-check and the what-if (which runs the planner's code).

Plain Python over the policy's facts. Reasons are the stable skip codes: paid, disputed,
in_plan, promised, paused (the invoice; paused: the debtor's reminders are on hold, see
`portal.operations.pauses`), opted_out (the debtor, or the channel not authorised) and
no_consent (a jurisdiction profile requiring explicit consent, and no consent date recorded
for the channel). Web push needs no separate consent date: subscribing in the browser is the
debtor's own explicit act.
"""

from __future__ import annotations

from datetime import date

from alerts.calendar import Profile
from alerts.facts import DebtorFact, InvoiceFact

CONSENT_NEEDED = ("email", "sms", "whatsapp")


def invoice_reason(invoice: InvoiceFact, today: date) -> str | None:
    if invoice.status != "open" or invoice.balance_minor <= 0:
        return "paid"
    if invoice.disputed:
        return "disputed"
    if invoice.in_plan:
        return "in_plan"
    if invoice.promised_until is not None and today <= invoice.promised_until:
        return "promised"
    if invoice.paused_until is not None and today <= invoice.paused_until:
        return "paused"
    return None


def channel_reason(debtor: DebtorFact, channel: str, profile: Profile | None) -> str | None:
    """Why `channel` may not be used for `debtor` (None: it may)."""
    if channel not in debtor.channels:
        return "opted_out"
    if profile is not None and profile.explicit_consent_only and \
            channel in CONSENT_NEEDED and channel not in debtor.consented:
        return "no_consent"
    return None


def ineligible(today: date, *, invoice: InvoiceFact | None = None,
               installment_pending: bool | None = None, debtor: DebtorFact | None = None,
               channel: str | None = None, profile: Profile | None = None) -> str | None:
    """The reason a message must not go out (None: it may).

    Checks what is given: the invoice (or whether the plan instalment is still pending),
    then the debtor's opt-out, then the channel (authorised, and consented where the
    profile requires it).
    """
    if invoice is not None:
        reason = invoice_reason(invoice, today)
        if reason:
            return reason
    elif installment_pending is False:
        return "paid"
    if debtor is not None:
        if debtor.opted_out or not debtor.channels:
            return "opted_out"
        if channel is not None:
            return channel_reason(debtor, channel, profile)
    return None
