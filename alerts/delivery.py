"""Turning claimed outbox rows into rendered messages, re-checking suppressions at send time.

Between planning and sending a debtor may have paid, disputed, promised a date or opted
out; such a reminder is cancelled with the reason instead of being sent. Other kinds
(sign-in links, receipts, notices, replies) are rendered by `alerts.transactional`;
webhooks (no debtor, none of these checks) by `portal.webhooks.delivery`. Every
email carries the debtor's signed Reply-To (`replies.tokens`), so answers come back.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import func, select

from alerts.calendar import Profile, profile_for, zone
from alerts.channels import Outgoing
from alerts.eligibility import ineligible
from alerts.facts import DebtorFact, InvoiceFact
from alerts.settings import current_policy
from alerts.snapshot import consented_channels
from alerts.templates import overrides_loaded, render_message
from alerts.transactional import LINK_PURPOSES, block_kind, render_kind
from portal.extensions import db
from portal.links import mint
from portal.models import (
    CHANNELS,
    Debtor,
    Dispute,
    Installment,
    Invoice,
    Message,
    PaymentPlan,
    PromiseToPay,
    PushSubscription,
    ReminderPause,
)
from replies.tokens import reply_address

log = logging.getLogger("saldo.alerts")
RENDER_FAILED = "render_failed"


class BatchFacts:
    """What the send-time checks need for a batch of messages, read with a few queries."""

    def __init__(self, messages: list[Message]):
        invoice_ids = {m.invoice_id for m in messages if m.invoice_id is not None}
        self.invoices = {i.id: i for i in db.session.scalars(
            select(Invoice).where(Invoice.id.in_(invoice_ids)))}
        self.disputed = set(db.session.scalars(select(Dispute.invoice_id).where(
            Dispute.invoice_id.in_(invoice_ids), Dispute.status == "open")))
        self.promised = dict(db.session.execute(
            select(PromiseToPay.invoice_id, func.max(PromiseToPay.promised_on))
            .where(PromiseToPay.invoice_id.in_(invoice_ids), PromiseToPay.status == "open")
            .group_by(PromiseToPay.invoice_id)).all())
        plan_ids = {i.plan_id for i in self.invoices.values() if i.plan_id}
        self.active_plans = set(db.session.scalars(select(PaymentPlan.id).where(
            PaymentPlan.id.in_(plan_ids), PaymentPlan.status.in_(("pending", "active")))))
        self.paused = dict(db.session.execute(
            select(ReminderPause.debtor_id, func.max(ReminderPause.until))
            .where(ReminderPause.debtor_id.in_({m.debtor_id for m in messages}))
            .group_by(ReminderPause.debtor_id)).all())
        inst_ids = {m.installment_id for m in messages if m.installment_id is not None}
        self.installments = {i.id: i for i in db.session.scalars(
            select(Installment).where(Installment.id.in_(inst_ids)))}

    def invoice_fact(self, invoice_id: int) -> InvoiceFact | None:
        """The invoice as the policy sees it (None: gone)."""
        invoice = self.invoices.get(invoice_id)
        if invoice is None:
            return None
        return InvoiceFact(invoice.id, invoice.external_id, invoice.debtor_id, invoice.due_on,
                           invoice.amount_minor - invoice.paid_minor, invoice.currency,
                           invoice.status, invoice.disputed or invoice.id in self.disputed,
                           invoice.plan_id in self.active_plans,
                           promised_until=self.promised.get(invoice.id),
                           paused_until=self.paused.get(invoice.debtor_id))


def debtor_fact(debtor: Debtor) -> DebtorFact:
    """The debtor as the policy sees it at send time: authorised channels and consents."""
    return DebtorFact(debtor.id, debtor.external_id, country=debtor.country,
                      channels=frozenset(c for c in CHANNELS if debtor.allows(c)),
                      opted_out=debtor.opted_out_at is not None,
                      consented=consented_channels(debtor))


def block_reason(message: Message, debtor: Debtor, today, facts: BatchFacts,
                 profile: Profile | None = None) -> str | None:
    """Why this message must not go out any more (None: send it): the same
    `alerts.eligibility.ineligible` the planner applied, on today's facts. Other kinds
    (sign-in links, receipts, replies …) answer something the debtor did: `block_kind`."""
    if message.kind != "reminder":
        return block_kind(message, debtor)
    if message.invoice_id is not None:
        invoice = facts.invoice_fact(message.invoice_id)
        if invoice is None:
            return "paid"
        return ineligible(today, invoice=invoice, debtor=debtor_fact(debtor),
                          channel=message.channel, profile=profile)
    inst = facts.installments.get(message.installment_id)
    return ineligible(today, installment_pending=inst is not None and inst.status == "pending",
                      debtor=debtor_fact(debtor), channel=message.channel, profile=profile)


def _recipient(message: Message, debtor: Debtor) -> str:
    if message.channel == "email":
        return debtor.email or ""
    if message.channel in ("sms", "whatsapp"):
        return debtor.phone or ""
    return "push"


def issue_links(pairs: list[tuple[Message, Debtor]]) -> dict[int, tuple[str, str]]:
    """{message id: (account link, unsubscribe link)} for a batch, minted in bulk by
    `portal.links.mint` (only the links each kind carries; others are "")."""
    requests, owners = [], []
    for message, debtor in pairs:
        for purpose in LINK_PURPOSES.get(message.kind, ()):
            requests.append((debtor.id, purpose, message.id))
            owners.append((message.id, purpose))
    links: dict[int, dict[str, str]] = {m.id: {} for m, _ in pairs}
    for (message_id, purpose), url in zip(owners, mint(requests), strict=True):
        links[message_id][purpose] = url
    return {mid: (got.get("account", ""), got.get("unsubscribe", ""))
            for mid, got in links.items()}


def render(message: Message, debtor: Debtor, today, links: tuple[str, str],
           facts: BatchFacts) -> Outgoing:
    """Render one claimed message into an Outgoing."""
    if message.kind != "reminder":
        subject, text, html = render_kind(message, debtor, links[0])
    else:
        subject, text, html = _render_reminder(message, debtor, today, links, facts)
    subscriptions = []
    if message.channel == "push":
        subscriptions = [tuple(r) for r in db.session.execute(
            select(PushSubscription.id, PushSubscription.endpoint, PushSubscription.p256dh,
                   PushSubscription.auth).where(PushSubscription.debtor_id == debtor.id))]
    headers = {}
    if message.thread_ref:
        headers = {"In-Reply-To": message.thread_ref, "References": message.thread_ref}
    return Outgoing(message.id, message.dedupe_key, message.channel,
                    _recipient(message, debtor), subject, text, html, links[1], links[0],
                    subscriptions, reply_to=reply_address(debtor.id)
                    if message.channel == "email" else "", headers=headers)


def _render_reminder(message: Message, debtor: Debtor, today, links: tuple[str, str],
                     facts: BatchFacts) -> tuple[str, str, str]:
    from alerts.views import pixel_url

    invoice, context = None, {"today": today, "link": links[0], "unsubscribe": links[1]}
    if message.invoice_id is not None:
        invoice = facts.invoices[message.invoice_id]
    else:
        inst = facts.installments[message.installment_id]
        context.update(due_on=inst.due_on, amount_minor=inst.amount_minor,
                       currency=inst.plan.currency, reference=f"#{inst.seq}")
    if message.channel == "email":
        context["pixel"] = pixel_url(message.id)
    return render_message(message, debtor, invoice, context)


def prepare(ids: list[int], now: datetime) -> list[tuple]:
    """[(message id, attempts, Outgoing or None, cancel reason or None)] for claimed rows.
    Webhooks have no debtor and none of the debtor checks: `portal.webhooks.delivery`."""
    from portal.webhooks.delivery import prepare_webhooks

    claimed = db.session.scalars(select(Message).where(Message.id.in_(ids))
                                 .order_by(Message.id)).all()
    out = prepare_webhooks([m for m in claimed if m.kind == "webhook"])
    messages = [m for m in claimed if m.kind != "webhook"]
    if not messages:
        db.session.commit()
        return out
    debtors = {d.id: d for d in db.session.scalars(
        select(Debtor).where(Debtor.id.in_({m.debtor_id for m in messages})))}
    facts = BatchFacts(messages)
    profile = profile_for(current_policy())
    sendable = []
    for message in messages:
        debtor = debtors[message.debtor_id]
        today = now.astimezone(zone(debtor.timezone)).date()
        reason = block_reason(message, debtor, today, facts, profile)
        if reason:
            out.append((message.id, message.attempts, None, reason))
        else:
            sendable.append((message, debtor, today))
    links = issue_links([(m, d) for m, d, _ in sendable])
    with overrides_loaded():
        for message, debtor, today in sendable:
            try:
                outgoing = render(message, debtor, today, links[message.id], facts)
            except Exception as exc:  # a broken staff template must not stop the outbox
                log.exception("message %s could not be rendered", message.id)
                out.append((message.id, message.attempts, None,
                            f"{RENDER_FAILED}: {type(exc).__name__}: {exc}"[:500]))
                continue
            out.append((message.id, message.attempts, outgoing, None))
    db.session.commit()  # the personal links exist before any message that names them
    return out
