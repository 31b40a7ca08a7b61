"""Outbound webhooks: events Saldo reports to the billing system, signed and retried.

`emit(event, payload)` (events.py) is called once by each operation where the thing happens,
inside its transaction, so an event exists exactly when its effect was committed, and
queues one outbox message (kind `webhook`) per listening endpoint. The outbox dispatcher
sends them (delivery.py; `alerts.channels.webhook` POSTs them signed by signing.py to
targets checked against private networks by targets.py), logs every attempt and retries
with backoff for three days.
"""

EVENTS = (
    "payment.succeeded", "payment.refunded", "invoice.paid",
    "promise.created", "promise.kept", "promise.broken",
    "dispute.opened", "dispute.resolved",
    "plan.created", "plan.completed", "plan.broken",
    "debtor.opted_out", "reply.received",
)
