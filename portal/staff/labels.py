"""Translated labels for every internal code staff can see: risk bands, channels, skip and
planning reasons, reminder rules, tones, statuses, dispute reasons, payment methods.

`label(code, family)` returns the label in the current language; compound planning reasons
such as `high_risk:pre_2:escalated` are phrased part by part. Templates use the `code_label`
filter. A code nobody has labelled yet is shown as it is rather than hidden.
"""

from __future__ import annotations

import re

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from portal.staff import bp

BANDS = {"low": _l("low risk"), "medium": _l("medium risk"), "high": _l("high risk"),
         "unscored": _l("not scored"), "plan": _l("payment plan"),
         "holdout": _l("holdout group"), "contacted": _l("contacted")}
CHANNELS = {"email": _l("email"), "sms": _l("SMS"), "whatsapp": _l("WhatsApp"),
            "push": _l("web push"), "none": _l("no channel")}
SKIP_REASONS = {
    "paid": _l("already paid"), "disputed": _l("disputed"), "in_plan": _l("in a payment plan"),
    "promised": _l("promised to pay"), "low_risk": _l("low risk: no reminder needed"),
    "opted_out": _l("opted out of this channel"), "holdout": _l("holdout group (control)"),
    "no_channel": _l("no usable channel"), "no_consent": _l("no recorded consent"),
    "quiet_hours": _l("outside sending hours"), "cap": _l("contact limit reached"),
    "window_closed": _l("sending window closed"), "escalated": _l("escalated from email"),
    "render_failed": _l("the template could not be rendered"),
}
TONES = {"gentle": _l("gentle"), "neutral": _l("neutral"), "firm": _l("firm")}
TEMPLATES = {"pre_due": _l("reminder before the due date"),
             "due_today": _l("reminder on the due date"), "overdue": _l("follow-up"),
             "installment": _l("instalment reminder")}
STATUSES = {
    "open": _l("open"), "paid": _l("paid"), "cancelled": _l("cancelled"),
    "pending": _l("pending"), "sending": _l("sending"), "sent": _l("sent"),
    "failed": _l("failed"), "skipped": _l("skipped"), "opened": _l("opened"),
    "clicked": _l("clicked"), "succeeded": _l("succeeded"), "refunded": _l("refunded"),
    "partially_refunded": _l("partly refunded"), "kept": _l("kept"), "broken": _l("broken"),
    "active": _l("active"), "completed": _l("completed"), "resolved": _l("resolved"),
    "rejected": _l("rejected"), "accepted": _l("accepted"), "disputed": _l("disputed"),
    "failed_attempt": _l("failed attempt"), "confirming": _l("being confirmed"),
    "charged_back": _l("disputed by the card holder"),
}
DISPUTE_REASONS = {"wrong_amount": _l("wrong amount"), "already_paid": _l("already paid"),
                   "not_received": _l("not received"), "other": _l("other")}
METHODS = {"card": _l("card"), "imported": _l("imported from the ledger"),
           "transfer": _l("bank transfer"), "plan": _l("payment plan instalment")}
DECLINES = {
    "card_declined": _l("card declined"), "insufficient_funds": _l("insufficient funds"),
    "expired_card": _l("expired card"), "incorrect_cvc": _l("wrong security code"),
    "authentication_required": _l("3-D Secure authentication failed"),
    "payment_intent_authentication_failure": _l("3-D Secure authentication failed"),
    "abandoned": _l("not completed by the debtor"), "balance_changed": _l("balance changed"),
    "not_completed": _l("card not confirmed or 3-D Secure not finished"),
    "processing_error": _l("processing error"), "lost_card": _l("card reported lost"),
    "stolen_card": _l("card reported stolen"),
}
FREQUENCIES = {"weekly": _l("weekly"), "fortnightly": _l("fortnightly"),
               "monthly": _l("monthly")}
INTENTS = {"promise": _l("promise to pay"), "already_paid": _l("says it is paid"),
           "hardship": _l("cannot pay now"), "dispute": _l("disputes the invoice"),
           "stop": _l("stop messages"), "question": _l("question"), "other": _l("other")}
REPLY_ACTIONS = {
    "promise_recorded": _l("promise recorded, reminders paused"),
    "promise_outside_window": _l("date outside the promise window: plan offered"),
    "asked_for_date": _l("asked for the payment date"),
    "verify_payment": _l("check the payment (reminders paused)"),
    "plan_offered": _l("payment plans offered"), "dispute_opened": _l("dispute opened"),
    "opt_out": _l("opted out of this channel"), "answered": _l("answered from the account"),
    "needs_person": _l("a person answers"),
    "unverified_sender": _l("sender not verified (no reply address): a person decides"),
}
FAMILIES = {"band": BANDS, "channel": CHANNELS, "reason": SKIP_REASONS, "tone": TONES,
            "template": TEMPLATES, "status": STATUSES, "dispute": DISPUTE_REASONS,
            "method": METHODS, "frequency": FREQUENCIES, "decline": DECLINES,
            "intent": INTENTS, "reply_action": REPLY_ACTIONS}
_RULE = re.compile(r"^(pre|post|inst)_(\d+)$")


def rule_label(name: str) -> str:
    match = _RULE.match(name or "")
    if not match:
        return name
    kind, days = match.group(1), int(match.group(2))
    if kind == "pre":
        return _("on the due date") if days == 0 else _("%(n)d days before the due date",
                                                        n=days)
    if kind == "post":
        return _("%(n)d days after the due date", n=days)
    return _("%(n)d days before an instalment", n=days)


def reason_label(code: str) -> str:
    """A planning or skip reason, e.g. `high_risk:pre_2:escalated` → "high risk · 2 days
    before the due date · escalated from email"."""
    parts = []
    for part in (code or "").split(":"):
        if part in SKIP_REASONS:
            parts.append(str(SKIP_REASONS[part]))
        elif part.endswith("_risk") and part[:-5] in BANDS:
            parts.append(str(BANDS[part[:-5]]))
        elif part == "no_score":
            parts.append(str(BANDS["unscored"]))
        elif part in BANDS:
            parts.append(str(BANDS[part]))
        elif _RULE.match(part):
            parts.append(rule_label(part))
        else:
            parts.append(part)
    return " · ".join(parts)


@bp.app_template_filter("code_label")
def label(code, family: str = "reason") -> str:
    """The translated label of `code` in `family` (see FAMILIES; "rule" for reminder rules)."""
    if code is None:
        return ""
    if family == "rule":
        return rule_label(str(code))
    if family == "reason":
        return reason_label(str(code))
    return str(FAMILIES.get(family, {}).get(code, code))
