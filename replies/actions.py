"""Acting on what a reply says, through the same operations the portal, staff and API use.

``act(debtor, found, today, ...)`` takes an Understanding and returns an Outcome: what was
done (``action``), whether it is handled (nothing left for a person) and the answer to send
(already in the debtor's language). The caller (the inbound-reply handler, or the portal's
"Ask us" box) stores the outcome and delivers the answer; the caller commits.

- promise: recorded (``make_promise``), which pauses the invoice's reminders until the date,
  and the debtor's other reminders are paused as well; the answer confirms date and amount.
  A date in the past or beyond the policy's window is not recorded: the answer offers a plan.
  No date: the answer asks for one, and a person sees it.
- already_paid: reminders paused ``CHECK_DAYS`` days, the conversation stays open for staff
  to verify (the task), the answer links to where a receipt can be uploaded.
- hardship: the answer gives the plan offers the policy computes and the link to choose one.
- dispute: a dispute opened on the invoice (its reminders stop); a person takes it from there.
- stop: opted out of the channel the reply came on.
- question: balance, next due date, how to pay or plans, answered from the account when the
  question is about exactly one of those; otherwise a person answers.
- other, or any reply understood with low confidence: a person answers; the debtor is told
  so honestly.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from flask import current_app
from flask_babel import force_locale
from sqlalchemy import select

from payments.money import MoneyError, format_money, to_minor
from portal.extensions import db
from portal.models import Debtor, Invoice, Message
from replies import answers
from replies.text import normalize
from replies.topics import single_topic
from replies.understand import Understanding

CHECK_DAYS = 3
MAX_OFFERS = 3


@dataclass
class Outcome:
    action: str  # what was done, stored on the inbound message (<= 32 characters)
    handled: bool  # True: nothing left for a person
    answer: str | None = None
    promise_id: int | None = None
    dispute_id: int | None = None


def act(debtor: Debtor, found: Understanding, today: date, *, channel: str,
        source: str, invoice: Invoice | None = None) -> Outcome:
    """Carry out what ``found`` asks for (see the module docstring); the caller commits."""
    locale = debtor.locale or current_app.config["DEFAULT_LOCALE"]
    with force_locale(locale):
        if not found.confident or found.intent == "other":
            return Outcome("needs_person", False, answers.handed_to_a_person()
                           if not found.confident else None)
        handler = _HANDLERS[found.intent]
        return handler(debtor, found, today, channel=channel, source=source,
                       invoice=invoice or target_invoice(debtor), locale=locale)


def target_invoice(debtor: Debtor, in_reply_to: Message | None = None) -> Invoice | None:
    """The invoice a reply is about: the one the answered message was about, else the
    debtor's open invoice that fell due first."""
    if in_reply_to is not None and in_reply_to.invoice_id is not None:
        invoice = db.session.get(Invoice, in_reply_to.invoice_id)
        if invoice is not None and invoice.status == "open" and invoice.balance_minor > 0:
            return invoice
    return db.session.scalars(
        select(Invoice).where(Invoice.debtor_id == debtor.id, Invoice.status == "open",
                              Invoice.amount_minor > Invoice.paid_minor)
        .order_by(Invoice.due_on, Invoice.id).limit(1)).first()


def _name(debtor: Debtor) -> str:
    return (debtor.name or "").split(" ")[0] or debtor.name


def _promise(debtor, found, today, *, channel, source, invoice, locale) -> Outcome:
    from portal.operations.pauses import pause_reminders
    from portal.operations.promises import PromiseError, make_promise, promise_bounds

    if invoice is None:
        return Outcome("needs_person", False, answers.handed_to_a_person())
    if found.promised_on is None:
        return Outcome("asked_for_date", False, answers.promise_needs_a_date(_name(debtor)))
    amount_minor = _amount_minor(found, invoice)
    first, last = promise_bounds(today)
    try:
        promise = make_promise(invoice, found.promised_on, amount_minor, today)
    except PromiseError as error:
        if error.code in ("too_early", "too_late"):
            return Outcome("promise_outside_window", True, answers.promise_outside_window(
                _name(debtor), first, last, plan_link(debtor, channel), locale))
        return Outcome("needs_person", False, answers.handed_to_a_person())
    pause_reminders(debtor, found.promised_on, "promise", source=source)
    return Outcome("promise_recorded", True, answers.promise_recorded(
        _name(debtor), found.promised_on, promise.amount_minor, promise.currency, locale),
        promise_id=promise.id)


def _amount_minor(found: Understanding, invoice: Invoice) -> int:
    """The promised amount in the invoice's currency, at most its balance (default: all)."""
    if found.amount is None:
        return invoice.balance_minor
    try:
        amount = to_minor(found.amount, invoice.currency)
    except MoneyError:
        return invoice.balance_minor
    return min(max(amount, 1), invoice.balance_minor)


def _already_paid(debtor, found, today, *, channel, source, invoice, locale) -> Outcome:
    from portal.operations.pauses import pause_reminders

    pause_reminders(debtor, today + timedelta(days=CHECK_DAYS), "payment_claim", source=source)
    return Outcome("verify_payment", False, answers.payment_being_checked(
        _name(debtor), receipt_link(debtor, invoice, channel)))


def _hardship(debtor, found, today, *, channel, source, invoice, locale) -> Outcome:
    text = plan_offers_text(debtor, today, locale)
    if text is None:
        return Outcome("needs_person", False, answers.hardship_no_offer(_name(debtor)))
    return Outcome("plan_offered", True,
                   answers.hardship_offers(_name(debtor), text, plan_link(debtor, channel)))


def plan_offers_text(debtor: Debtor, today: date, locale: str) -> str | None:
    """The first few plans the policy offers this debtor, in words; None when none."""
    from payments.plan_service import plan_offers

    offers = plan_offers(debtor, today)[:MAX_OFFERS]
    if not offers:
        return None
    return "; ".join(answers.offer_line(o.count, o.schedule[0][1], o.currency, o.frequency,
                                        locale) for o in offers)


def _dispute(debtor, found, today, *, channel, source, invoice, locale) -> Outcome:
    from portal.operations.disputes import DisputeError, open_dispute

    if invoice is None:
        return Outcome("needs_person", False, answers.handed_to_a_person())
    if channel == "portal" and _open_invoice_count(debtor) > 1:  # which one? they choose
        return Outcome("answered", True, answers.dispute_choose("/dispute"))
    try:
        dispute = open_dispute(invoice, "other", found.text)
    except DisputeError:
        return Outcome("needs_person", False, answers.handed_to_a_person())
    return Outcome("dispute_opened", True,
                   answers.dispute_opened(_name(debtor), invoice.external_id),
                   dispute_id=dispute.id)


def _open_invoice_count(debtor: Debtor) -> int:
    from sqlalchemy import func

    return db.session.scalar(select(func.count()).select_from(Invoice).where(
        Invoice.debtor_id == debtor.id, Invoice.status == "open",
        Invoice.amount_minor > Invoice.paid_minor)) or 0


def _stop(debtor, found, today, *, channel, source, invoice, locale) -> Outcome:
    if channel == "portal":  # "stop writing to me", asked in the portal: show where
        return Outcome("answered", True, answers.preferences_answer("/preferences"))
    if channel not in ("email", "sms", "whatsapp"):
        return Outcome("needs_person", False, answers.handed_to_a_person())
    from portal.debtor.preferences import opt_out_channel

    opt_out_channel(debtor, channel, source=source, actor_type="debtor")
    return Outcome("opt_out", True, None)


def _question(debtor, found, today, *, channel, source, invoice, locale) -> Outcome:
    from portal.debtor.account import account_summary

    topic = single_topic(normalize(found.text))
    if topic is None:
        return Outcome("needs_person", False, answers.handed_to_a_person())
    if topic == "plans":
        return _hardship(debtor, found, today, channel=channel, source=source,
                         invoice=invoice, locale=locale)
    summary = account_summary(debtor, today, history_limit=0)
    if topic == "how_to_pay":
        return Outcome("answered", True, answers.how_to_pay_answer(pay_link(debtor, channel)))
    if not summary.totals:
        return Outcome("answered", True, answers.nothing_owed())
    if topic == "balance":
        owed = ", ".join(format_money(t.due_minor, t.currency, locale) for t in summary.totals)
        return Outcome("answered", True,
                       answers.balance_answer(owed, pay_link(debtor, channel)))
    upcoming = [v.invoice for v in summary.open_invoices if v.invoice.due_on >= today]
    if not upcoming:
        return Outcome("needs_person", False, answers.handed_to_a_person())
    nxt = min(upcoming, key=lambda i: (i.due_on, i.id))
    return Outcome("answered", True, answers.due_answer(
        nxt.balance_minor, nxt.currency, nxt.due_on, pay_link(debtor, channel), locale))


def pay_link(debtor: Debtor, channel: str = "sms") -> str:
    """Where to pay: a signed link to the account in a message; in the portal (the debtor
    is signed in already) the page's own path."""
    from portal.links import account_url

    return "/account" if channel == "portal" else account_url(debtor)


def plan_link(debtor: Debtor, channel: str = "sms") -> str:
    return _deep_link(debtor, "/plans", channel)


def receipt_link(debtor: Debtor, invoice: Invoice | None, channel: str = "sms") -> str:
    if invoice is None:
        return pay_link(debtor, channel)
    return _deep_link(debtor, f"/invoices/{invoice.id}/dispute?reason=already_paid", channel)


def _deep_link(debtor: Debtor, path: str, channel: str) -> str:
    from urllib.parse import quote

    if channel == "portal":
        return path
    return f"{pay_link(debtor, channel)}?next={quote(path, safe='/')}"


_HANDLERS = {"promise": _promise, "already_paid": _already_paid, "hardship": _hardship,
             "dispute": _dispute, "stop": _stop, "question": _question}
