"""Putting a message in the outbox from anywhere (web request, webhook, job), and waking the
dispatcher for urgent kinds.

`enqueue` writes one pending `Message` (ON CONFLICT DO NOTHING on its dedupe key, so a
receipt or a notice asked for twice is one row) in the caller's transaction. Urgent kinds
(everything a person or a billing system is waiting for: sign-in links, receipts,
notices, replies, webhooks) also
`NOTIFY saldo_outbox` on PostgreSQL — delivered when the caller commits — which the
scheduler's urgent loop LISTENs for; on SQLite that loop polls every second instead.
Nothing here talks to a provider: only the dispatcher (`alerts.outbox`) sends.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

from flask import current_app
from sqlalchemy import text
from sqlalchemy.dialects import postgresql, sqlite

from portal.extensions import db
from portal.models import Debtor, Message

CHANNEL = "saldo_outbox"
# Kinds sent by the urgent loop within seconds; reminders keep their planned times.
URGENT_KINDS = ("signin_link", "receipt", "plan_notice", "dispute_outcome",
                "staff_notification", "reply", "opt_out_confirmation", "webhook")


def wake() -> None:
    """Ask the dispatcher to look now (PostgreSQL NOTIFY, sent at commit; SQLite polls)."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text(f"NOTIFY {CHANNEL}"))


def enqueue(debtor: Debtor, kind: str, channel: str, *, reason: str,
            dedupe_key: str | None = None, template: str | None = None,
            send_at: datetime | None = None, **fields) -> int | None:
    """Add a pending outbox message (the caller commits); its id, or None if the dedupe key
    already exists. `fields`: payment_id, installment_id, dispute_id, promise_id, invoice_id,
    sent_by_id, subject, body, thread_ref, data."""
    now = datetime.now(UTC)
    row = {
        "debtor_id": debtor.id, "kind": kind, "channel": channel,
        "template": template or kind, "tone": "neutral", "rule": kind, "reason": reason[:64],
        "locale": debtor.locale or current_app.config["DEFAULT_LOCALE"],
        "dedupe_key": dedupe_key or f"{kind}:{debtor.id}:{secrets.token_hex(8)}",
        "status": "pending", "send_at": send_at or now, "attempts": 0, "created_at": now,
        **fields,
    }
    return _insert(row)


def enqueue_webhook(event_id: int, endpoint_id: int, event_type: str,
                    created_at: datetime) -> int | None:
    """Queue one event for one endpoint (the caller commits): a `webhook` message with no
    debtor, sent now and retried for three days from `created_at`. Once per pair."""
    return _insert({
        "debtor_id": None, "webhook_event_id": event_id, "webhook_endpoint_id": endpoint_id,
        "kind": "webhook", "channel": "webhook", "template": "webhook", "tone": "neutral",
        "rule": "webhook", "reason": event_type[:64],
        "locale": current_app.config["DEFAULT_LOCALE"],
        "dedupe_key": f"webhook:{event_id}:{endpoint_id}", "status": "pending",
        "send_at": created_at, "attempts": 0, "created_at": created_at,
    })


def _insert(row: dict) -> int | None:
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(Message.__table__).values(**row).on_conflict_do_nothing(
        index_elements=["dedupe_key"]).returning(Message.__table__.c.id)
    message_id = db.session.execute(statement).scalar()
    if message_id is not None and row["kind"] in URGENT_KINDS:
        wake()
    return message_id
