"""Debtor search and the debtor's timeline: everything that happened, newest first.

`search_debtors(q)` matches name, external id, email or phone. `timeline(debtor, describe)`
merges invoices, risk scores (with their reasons turned into phrases by `describe`), messages,
payments (with chargebacks), payment issues, promises, plans, disputes and portal visits into
one list of `Entry`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from flask_babel import gettext as _
from sqlalchemy import func, or_, select

from portal.extensions import db
from portal.models import (
    Chargeback,
    Debtor,
    Dispute,
    InboundMessage,
    Invoice,
    Message,
    Payment,
    PaymentIssue,
    PaymentPlan,
    PortalVisit,
    PromiseToPay,
    RiskScore,
)
from portal.staff.labels import label

SEARCH_LIMIT = 50


ATTEMPT_EXPIRES = timedelta(hours=1)  # a card payment still pending after this was abandoned


@dataclass
class Entry:
    at: datetime
    kind: str  # invoice|score|message|reply|payment|issue|promise|plan|dispute|visit
    title: str
    status: str = ""  # a translated label
    details: list[str] = field(default_factory=list)
    ref: object = None
    date_only: bool = False  # the source knows the day, not the time: shown without one
    state: str = ""  # the raw status code, for styling and tests


MAX_ID = 2**31 - 1  # the id column is a 32-bit integer on PostgreSQL


def search_debtors(q: str, limit: int = SEARCH_LIMIT) -> list[Debtor]:
    """Debtors whose name, external id, email or phone contains `q` (case-insensitive)."""
    q = (q or "").strip()
    if not q:
        return []
    like = f"%{_escape(q.lower())}%"
    conditions = [func.lower(Debtor.name).like(like, escape="\\"),
                  func.lower(Debtor.external_id).like(like, escape="\\"),
                  func.lower(Debtor.email).like(like, escape="\\")]
    digits = re.sub(r"[^0-9]", "", q)
    if len(digits) >= 4:
        conditions.append(Debtor.phone.like(f"%{digits}%"))
    # Only ASCII digits that fit the id column: "²" is a digit to str.isdigit() but not to
    # int(), and 99999999999999999999 overflows the database's integer.
    if q.isascii() and q.isdigit() and int(q) <= MAX_ID:
        conditions.append(Debtor.id == int(q))
    return list(db.session.scalars(
        select(Debtor).where(or_(*conditions)).order_by(Debtor.name).limit(limit)))


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _day(d: date) -> datetime:
    return datetime.combine(d, time(), UTC)


def timeline(debtor: Debtor, describe, money) -> list[Entry]:
    """Every event of `debtor`, newest first. `describe(reason)` phrases a risk reason and
    `money(amount_minor, currency)` formats an amount."""
    invoices = {i.id: i for i in db.session.scalars(
        select(Invoice).where(Invoice.debtor_id == debtor.id))}
    entries: list[Entry] = []
    entries += _invoice_entries(invoices.values(), money)
    entries += _score_entries(invoices, describe)
    entries += _message_entries(debtor, invoices)
    entries += _payment_entries(debtor, money)
    entries += _issue_entries(debtor)
    entries += _promise_entries(debtor, invoices, money)
    entries += _plan_entries(debtor, money)
    entries += _dispute_entries(debtor, invoices)
    entries += _reply_entries(debtor)
    entries += [Entry(v.visited_at, "visit", _("Portal visit"),
                      details=[_("from a message")] if v.message_id else [])
                for v in db.session.scalars(
                    select(PortalVisit).where(PortalVisit.debtor_id == debtor.id))]
    for entry in entries:
        entry.state = entry.state or entry.status
        entry.status = _status_label(entry.state)
    # Newest first; a day-only event sorts at the end of its day (after that day's timed
    # events), so a card payment at 14:05 never sorts below a message at 09:00 the same day.
    entries.sort(key=lambda e: (_sort_time(e), e.kind), reverse=True)
    return entries


def _sort_time(entry: Entry) -> datetime:
    if entry.date_only:
        return datetime.combine(entry.at.date(), time.max, UTC)
    return entry.at


def _status_label(state: str) -> str:
    first, _sep, rest = state.partition(" · ")
    text = label(first, "status")
    return f"{text} · {label(rest, 'status')}" if rest else text


def _invoice_entries(invoices, money):
    for inv in invoices:
        details = [_("due %(day)s", day=inv.due_on.isoformat()),
                   _("balance %(amount)s", amount=money(inv.balance_minor, inv.currency))]
        if inv.settled_on:
            details.append(_("settled %(day)s", day=inv.settled_on.isoformat()))
        yield Entry(_day(inv.issued_on), "invoice",
                    _("Invoice %(ref)s: %(amount)s", ref=inv.external_id,
                      amount=money(inv.amount_minor, inv.currency)),
                    inv.status + (" · disputed" if inv.disputed else ""), details, inv,
                    date_only=True)


def _score_entries(invoices, describe):
    if not invoices:
        return
    scores = db.session.scalars(select(RiskScore).where(RiskScore.invoice_id.in_(invoices)))
    for s in scores:
        inv = invoices[s.invoice_id]
        yield Entry(s.scored_at, "score",
                    _("Risk %(pct)d%% for %(ref)s", pct=round(s.probability * 100),
                      ref=inv.external_id), "",
                    [label(s.band, "band"), *(describe(r) for r in (s.reasons or []))], s)


def _message_entries(debtor, invoices):
    for m in db.session.scalars(select(Message).where(Message.debtor_id == debtor.id)):
        about = invoices[m.invoice_id].external_id if m.invoice_id in invoices else ""
        details = [" · ".join(x for x in (label(m.template, "template"), label(m.tone, "tone"),
                                          label(m.rule, "rule")) if x),
                   _("why: %(reason)s", reason=label(m.reason, "reason"))]
        if m.band:
            details.append(_("planned as %(band)s", band=label(m.band, "band")))
        for word, at in ((_("sent"), m.sent_at), (_("opened"), m.opened_at),
                         (_("clicked"), m.clicked_at)):
            if at:
                details.append(f"{word} {at.strftime('%Y-%m-%d %H:%M')}")
        if m.last_error:
            details.append(_("error: %(error)s", error=label(m.last_error, "reason")))
        if m.kind == "reply" and m.body:
            details.insert(0, m.body)
        channel = label(m.channel, "channel")
        title = _("%(channel)s message %(ref)s", channel=channel, ref=about) \
            if m.kind == "reminder" else _("%(channel)s %(kind)s %(ref)s", channel=channel,
                                            kind=m.kind.replace("_", " "), ref=about)
        yield Entry(m.sent_at or m.send_at, "message", title.strip(),
                    _message_status(m), details, m)


def _message_status(m: Message) -> str:
    if m.clicked_at:
        return "clicked"
    if m.opened_at:
        return "opened"
    return m.status


def payment_state(p: Payment, now: datetime) -> str:
    """The payment's status code for the timeline: a card attempt that was declined (at the
    card setup or at 3-D Secure) or left unfinished is a failed attempt, not "pending"."""
    if p.status == "failed":
        return "failed_attempt"
    if p.status == "pending" and p.method in ("card", "plan") and \
            now - p.created_at > ATTEMPT_EXPIRES:
        return "failed_attempt"
    return p.status


def _payment_entries(debtor, money):
    now = datetime.now(UTC)
    for p in db.session.scalars(select(Payment).where(Payment.debtor_id == debtor.id)):
        details = [_("method %(method)s", method=label(p.method, "method"))]
        if p.refunded_minor:
            details.append(_("refunded %(amount)s", amount=money(p.refunded_minor, p.currency)))
        state = payment_state(p, now)
        if state == "failed_attempt":
            details.append(_("why: %(reason)s", reason=label(p.failure_code or "not_completed",
                                                             "decline")))
        if p.failure_message:
            details.append(p.failure_message)
        for case in db.session.scalars(select(Chargeback).where(Chargeback.payment_id == p.id)):
            details.append(_("chargeback %(amount)s: %(outcome)s (%(status)s)",
                             amount=money(case.amount_minor, case.currency),
                             outcome=case.outcome, status=case.status))
            if case.outcome == "open":
                state = "charged_back"
        # Card and plan payments have real times (when the attempt started, or when Stripe
        # confirmed it); an imported payment only has its day.
        timed = p.method in ("card", "plan")
        if timed:
            at = p.updated_at if p.status != "pending" and p.updated_at else p.created_at
        else:
            at = _day(p.received_on) if p.received_on else p.created_at
        title = _("Failed payment attempt %(amount)s", amount=money(p.amount_minor, p.currency)) \
            if state == "failed_attempt" else \
            _("Payment %(amount)s", amount=money(p.amount_minor, p.currency))
        yield Entry(at, "payment", title, state, details, p,
                    date_only=not timed and p.received_on is not None)


def _issue_entries(debtor):
    from portal.staff.payments import ISSUE_LABELS

    for issue in db.session.scalars(select(PaymentIssue).where(
            PaymentIssue.debtor_id == debtor.id)):
        yield Entry(issue.created_at, "issue",
                    _("Payment issue: %(what)s", what=ISSUE_LABELS.get(issue.kind, issue.kind)),
                    issue.status, [issue.stripe_ref], issue)


def _promise_entries(debtor, invoices, money):
    for p in db.session.scalars(select(PromiseToPay).where(PromiseToPay.debtor_id == debtor.id)):
        about = invoices[p.invoice_id].external_id if p.invoice_id in invoices else ""
        yield Entry(p.created_at, "promise",
                    _("Promise to pay %(amount)s by %(day)s (%(ref)s)",
                      amount=money(p.amount_minor, p.currency), day=p.promised_on.isoformat(),
                      ref=about), p.status, [], p)


def _plan_entries(debtor, money):
    for plan in db.session.scalars(select(PaymentPlan).where(PaymentPlan.debtor_id == debtor.id)):
        paid = sum(1 for i in plan.installments if i.status == "paid")
        yield Entry(plan.created_at, "plan",
                    _("Payment plan %(amount)s in %(n)d %(frequency)s instalments",
                      amount=money(plan.total_minor, plan.currency), n=plan.installment_count,
                      frequency=label(plan.frequency, "frequency")), plan.status,
                    [_("%(paid)d of %(n)d instalments paid", paid=paid,
                       n=plan.installment_count)], plan)


def _dispute_entries(debtor, invoices):
    for d in db.session.scalars(select(Dispute).where(Dispute.debtor_id == debtor.id)):
        about = invoices[d.invoice_id].external_id if d.invoice_id in invoices else ""
        details = [d.message] if d.message else []
        if d.resolution_note:
            details.append(_("resolution: %(note)s", note=d.resolution_note))
        yield Entry(d.created_at, "dispute", _("Dispute on %(ref)s: %(reason)s", ref=about,
                                               reason=label(d.reason, "dispute")), d.status,
                    details, d)


def _reply_entries(debtor):
    """What the debtor wrote to us (the conversation's inbound side)."""
    for m in db.session.scalars(select(InboundMessage).where(
            InboundMessage.debtor_id == debtor.id)):
        details = [m.text]
        if m.action:
            details.append(_("handled automatically: %(action)s", action=m.action))
        yield Entry(m.received_at, "reply", _("Reply by %(channel)s", channel=m.channel),
                    "unread" if m.read_at is None else "read", details, m)
