"""A quick path through `rows.parse_row` for the common, clean row, for bulk imports.

`fast_row` accepts a strict subset of what `parse_row` accepts (only the core columns, each
value already trimmed and printable) and returns exactly the `LedgerRow` that `parse_row`
would. For anything else it returns None and `parse_row` decides, with its messages: the
rules live in one place, this only skips work for rows that obviously pass them.
tests/test_ledger_fastrow.py checks the two agree on valid and broken rows alike.
"""

from __future__ import annotations

from datetime import date

from payments.money import is_known_currency
from portal.ledger.rows import (
    _AMOUNT,
    _EMAIL,
    _ISO_DATE,
    MAX_AMOUNT_MINOR,
    LedgerRow,
    _fast_minor,
)

# Columns the quick path understands, with their length limits (rows.MAX_LENGTH).
_COLUMNS = {
    "customer_id": 64, "invoice_id": 64, "issue_date": 10, "due_date": 10, "amount": 40,
    "currency": 3, "paid_date": 10, "paid_amount": 40, "customer_name": 200, "email": 254,
}


def _day(value: str | None) -> date | None | bool:
    """The date, None when empty, False when the full rules must look at it."""
    if not value:
        return None
    if not _ISO_DATE.match(value):
        return False
    try:
        return date.fromisoformat(value)
    except ValueError:
        return False


def _minor(value: str | None, currency: str) -> int | None | bool:
    if not value:
        return None
    if not _AMOUNT.match(value):
        return False
    minor = _fast_minor(value, currency)
    if minor is None or minor >= MAX_AMOUNT_MINOR:
        return False
    return minor


def fast_row(raw: dict, default_currency: str, today: date) -> LedgerRow | None:
    """The row `parse_row` would return, or None when only `parse_row` can tell."""
    for name, value in raw.items():
        if value and (name not in _COLUMNS or len(value) > _COLUMNS[name]
                      or not value.isprintable() or value != value.strip()):
            return None
    get = raw.get
    customer_id, invoice_id = get("customer_id"), get("invoice_id")
    issued_on, due_on = _day(get("issue_date")), _day(get("due_date"))
    if not (customer_id and invoice_id and issued_on and due_on) or due_on < issued_on:
        return None
    currency = (get("currency") or default_currency).upper()
    if not is_known_currency(currency):
        return None
    amount_minor = _minor(get("amount"), currency)
    settled_on = _day(get("paid_date"))
    paid_minor = _minor(get("paid_amount"), currency)
    if not amount_minor or settled_on is False or paid_minor is False:
        return None
    if paid_minor is not None and paid_minor > amount_minor:
        return None
    if settled_on is not None:
        if settled_on < issued_on or settled_on > today:
            return None
        if paid_minor is None:
            paid_minor = amount_minor
    elif paid_minor is not None and paid_minor == amount_minor:
        return None
    email = get("email") or None
    if email is not None:
        if not _EMAIL.match(email):
            return None
        email = email.lower()
    return LedgerRow(
        customer_id=customer_id, invoice_id=invoice_id, issued_on=issued_on, due_on=due_on,
        amount_minor=amount_minor, currency=currency, settled_on=settled_on,
        paid_minor=paid_minor or None, customer_name=get("customer_name") or None, email=email,
    )
