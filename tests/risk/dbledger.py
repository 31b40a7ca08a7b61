"""A small database ledger with learnable behaviour, for the service tests.

``seed_ledger(today)`` creates punctual and chronically late debtors with monthly invoices
over the year before ``today`` (settled accordingly) and one open invoice each: due soon for
the punctual ones, overdue for the late ones. Returns {"open": [...], "paid": [...]} ids.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from sqlalchemy import insert, select

from portal.extensions import db
from portal.models import Debtor, Invoice


def seed_ledger(today: date, n_debtors: int = 30, months: int = 10, seed: int = 1) -> dict:
    rng = random.Random(seed)
    db.session.execute(insert(Debtor), [
        {"external_id": f"D{i:03d}", "name": f"Debtor {i}", "locale": "es",
         "paperless": i % 3 == 0} for i in range(n_debtors)])
    debtors = db.session.execute(select(Debtor.id, Debtor.external_id)).all()
    rows, n = [], 0
    for debtor_id, external in debtors:
        late_kind = int(external[1:]) % 2 == 1
        for m in range(months, 0, -1):
            issued = today - timedelta(days=30 * m + rng.randint(0, 5))
            due = issued + timedelta(days=20)
            delay = rng.randint(3, 25) if (late_kind and rng.random() < 0.85) else rng.randint(
                -10, 0 if rng.random() < 0.9 else 4)
            settled = due + timedelta(days=delay)
            n += 1
            if settled >= today:
                rows.append(_row(n, debtor_id, issued, due, "open", None))
            else:
                rows.append(_row(n, debtor_id, issued, due, "paid", settled))
        n += 1
        issued = today - timedelta(days=40 if late_kind else 5)
        rows.append(_row(n, debtor_id, issued, issued + timedelta(days=20), "open", None))
    db.session.execute(insert(Invoice), rows)
    db.session.commit()
    ids = db.session.execute(select(Invoice.id, Invoice.status)).all()
    return {"open": sorted(i for i, s in ids if s == "open"),
            "paid": sorted(i for i, s in ids if s == "paid")}


def _row(n, debtor_id, issued, due, status, settled):
    amount = 100_000 + (n * 7919) % 400_000
    return {"external_id": f"I{n:05d}", "debtor_id": debtor_id, "issued_on": issued,
            "due_on": due, "amount_minor": amount, "currency": "USD", "status": status,
            "paid_minor": amount if settled else 0, "settled_on": settled,
            "disputed": False, "paperless": False}
