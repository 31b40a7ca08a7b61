"""Read the database ledger into the frames ``risk.features`` works on.

``load_ledger(as_of)`` returns a :class:`LedgerData`: the canonical invoice frame (see
``risk.ledger``; ``invoice_id`` and ``customer_id`` are the database ids as strings, plus an
``is_open`` column) and the optional event frames (promises, messages, portal visits).
Cancelled invoices are left out. A dispute counts when the invoice is flagged or a Dispute row
was opened before ``as_of``.

On PostgreSQL each query streams through ``COPY (…) TO STDOUT`` into ``pandas.read_csv``
(millions of rows in seconds); elsewhere (SQLite) rows are fetched through SQLAlchemy. The
queries are the same SQLAlchemy statements either way.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd
from sqlalchemy import and_, exists, or_, select
from sqlalchemy.dialects import postgresql

from portal.extensions import db
from portal.models import Dispute, Invoice, Message, PortalVisit, PromiseToPay
from risk.ledger import CANONICAL_COLUMNS


@dataclass
class LedgerData:
    """The canonical ledger and the engagement frames, as ``compute_features`` takes them."""

    ledger: pd.DataFrame
    promises: pd.DataFrame
    messages: pd.DataFrame
    visits: pd.DataFrame

    def events(self) -> dict:
        return {"promises": self.promises, "messages": self.messages, "visits": self.visits}


def load_ledger(as_of: datetime) -> LedgerData:
    """Everything the features need from the database, as known at ``as_of`` (UTC-aware)."""
    return LedgerData(
        ledger=_ledger_frame(_fetch(_invoice_query(as_of))),
        promises=_promise_frame(_fetch(_promise_query())),
        messages=_fetch(_message_query()),
        visits=_fetch(_visit_query()),
    )


def _invoice_query(as_of: datetime):
    opened = exists().where(and_(Dispute.invoice_id == Invoice.id, Dispute.created_at < as_of))
    return select(
        Invoice.debtor_id.label("customer_id"), Invoice.id.label("invoice_id"),
        Invoice.issued_on, Invoice.due_on, Invoice.settled_on, Invoice.amount_minor,
        Invoice.paid_minor, Invoice.currency,
        or_(Invoice.disputed, opened).label("disputed"), Invoice.paperless,
        (Invoice.status == "paid").label("is_paid"), (Invoice.status == "open").label("is_open"),
    ).where(Invoice.status != "cancelled").order_by(Invoice.id)


def _promise_query():
    return select(PromiseToPay.debtor_id.label("customer_id"),
                  PromiseToPay.created_at.label("created_on"), PromiseToPay.promised_on,
                  PromiseToPay.status, PromiseToPay.resolved_at)


def _message_query():
    return select(Message.debtor_id.label("customer_id"), Message.sent_at, Message.opened_at,
                  Message.clicked_at).where(Message.sent_at.is_not(None),
                                            Message.debtor_id.is_not(None))  # no webhooks


def _visit_query():
    return select(PortalVisit.debtor_id.label("customer_id"), PortalVisit.visited_at)


def _fetch(statement) -> pd.DataFrame:
    """Run ``statement``; COPY on PostgreSQL, an ordinary fetch elsewhere."""
    connection = db.session.connection()
    names = [c.name for c in statement.selected_columns]
    if connection.dialect.name == "postgresql":
        sql = statement.compile(dialect=postgresql.dialect(),
                                compile_kwargs={"literal_binds": True})
        raw = connection.connection.driver_connection
        buffer = io.BytesIO()
        with raw.cursor() as cursor, cursor.copy(
                f"COPY ({sql}) TO STDOUT WITH (FORMAT csv, HEADER false)") as copy:
            for chunk in copy:
                buffer.write(chunk)
        buffer.seek(0)
        if not buffer.getbuffer().nbytes:
            return pd.DataFrame(columns=names)
        return pd.read_csv(buffer, header=None, names=names, keep_default_na=False,
                           na_values=[""], true_values=["t"], false_values=["f"])
    rows = connection.execute(statement).all()
    return pd.DataFrame.from_records(rows, columns=names)


def _flag(series: pd.Series) -> np.ndarray:
    """Booleans from Python values or PostgreSQL's CSV ``t``/``f`` (missing is False)."""
    if series.dtype == bool:
        return series.to_numpy()
    return series.isin([True, 1, "t", "true", "1"]).to_numpy(dtype=bool)


def _ledger_frame(raw: pd.DataFrame) -> pd.DataFrame:
    issued = pd.to_datetime(raw["issued_on"]).astype("datetime64[ns]")
    due = pd.to_datetime(raw["due_on"]).astype("datetime64[ns]")
    settled = pd.to_datetime(raw["settled_on"]).astype("datetime64[ns]")
    # A paid invoice without a settlement day is taken as paid on its due date.
    settled = settled.where(~(_flag(raw["is_paid"]) & settled.isna()), due)
    frame = pd.DataFrame({
        "customer_id": raw["customer_id"].astype(str),
        "invoice_id": raw["invoice_id"].astype(str),
        "issued_on": issued, "due_on": due, "settled_on": settled,
        "amount_minor": pd.to_numeric(raw["amount_minor"]).astype("int64"),
        "paid_minor": pd.to_numeric(raw["paid_minor"]).astype("int64"),
        "currency": raw["currency"].astype(str),
        "disputed": _flag(raw["disputed"]), "paperless": _flag(raw["paperless"]),
    })
    frame = frame[list(CANONICAL_COLUMNS)]
    frame["is_open"] = _flag(raw["is_open"])
    return frame


def _promise_frame(raw: pd.DataFrame) -> pd.DataFrame:
    status = raw["status"].astype(str)
    kept = pd.Series(np.where(status == "kept", True, np.where(status == "broken", False, None)),
                     index=raw.index, dtype=object)
    resolved = pd.to_datetime(raw["resolved_at"], utc=True)
    return pd.DataFrame({
        "customer_id": raw["customer_id"].astype(str),
        "created_on": pd.to_datetime(raw["created_on"], utc=True),
        "promised_on": pd.to_datetime(raw["promised_on"]),
        "kept": kept,
        "broken_on": resolved.where(status == "broken"),
    })
