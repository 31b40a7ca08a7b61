"""Read a ledger CSV into the canonical invoice frame the risk code works on.

The canonical frame has one row per invoice and exactly these columns, in this order:

============  ==================  ========================================================
column        dtype               meaning
============  ==================  ========================================================
customer_id   str                 the creditor's id of the debtor
invoice_id    str                 the creditor's id of the invoice, unique
issued_on     datetime64[ns]      day the invoice was issued
due_on        datetime64[ns]      day it is due
settled_on    datetime64[ns]      day it was fully settled; NaT while open
amount_minor  int64               invoice amount in minor units of ``currency``
paid_minor    int64               amount paid so far in minor units (0 if nothing known)
currency      str                 ISO 4217 code, upper case
disputed      bool                the debtor disputed the invoice
paperless     bool                the debtor receives electronic bills
============  ==================  ========================================================

Amounts are parsed exactly (``payments.money.to_minor``: Decimal, never float; 0 decimals for
CLP, JPY, KRW, PYG, VND and Stripe's other zero-decimal currencies, 3 for KWD and the like;
more decimals than the currency has is an error, not a rounding).

The database side builds the same frame from SQL (dates as midnight timestamps, money as
integer minor units), so features, backtests and nightly scoring share one code path.
``CANONICAL_COLUMNS`` lists the names.
"""

from __future__ import annotations

from os import PathLike

import pandas as pd

from payments.money import to_minor  # exact Decimal parsing; Stripe's zero-decimal currencies

REQUIRED_COLUMNS = ("customer_id", "invoice_id", "issue_date", "due_date", "amount")
OPTIONAL_COLUMNS = (
    "currency", "paid_date", "paid_amount", "disputed", "customer_name", "email", "phone",
    "locale", "timezone", "country", "paperless",
)
CANONICAL_COLUMNS = (
    "customer_id", "invoice_id", "issued_on", "due_on", "settled_on", "amount_minor",
    "paid_minor", "currency", "disputed", "paperless",
)

_TRUE = frozenset({"true", "t", "yes", "y", "1"})
_FALSE = frozenset({"false", "f", "no", "n", "0", ""})


def read_ledger_csv(path: str | PathLike, *, default_currency: str = "USD") -> pd.DataFrame:
    """Read a ledger CSV (see docs: the ledger CSV format) into the canonical frame.

    ``default_currency`` applies when the file has no ``currency`` column or a row leaves it
    empty. Errors name the CSV line (the header is line 1) and raise ValueError.
    """
    raw = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True)
    raw.columns = [str(c).strip().lower() for c in raw.columns]
    missing = [c for c in REQUIRED_COLUMNS if c not in raw.columns]
    if missing:
        raise ValueError(f"ledger CSV is missing required column(s): {', '.join(missing)}")
    return canonical_frame(raw, default_currency=default_currency)


def canonical_frame(raw: pd.DataFrame, *, default_currency: str = "USD") -> pd.DataFrame:
    """Validate string columns named as in the ledger CSV and build the canonical frame."""
    raw = raw.reset_index(drop=True)
    lines = raw.index.to_numpy() + 2

    def column(name: str) -> pd.Series:
        if name in raw.columns:
            return raw[name].astype(str).str.strip()
        return pd.Series("", index=raw.index, dtype=str)

    for name in REQUIRED_COLUMNS:
        _fail_where(column(name) == "", lines, f"empty {name}")
    invoice_id = column("invoice_id")
    _fail_where(invoice_id.duplicated(keep="first"), lines, "duplicate invoice_id")

    currency = column("currency").str.upper().replace("", default_currency.upper())
    _fail_where(~currency.str.fullmatch(r"[A-Z]{3}"), lines, "currency is not an ISO 4217 code")
    issued_on = _dates(column("issue_date"), lines, "issue_date", required=True)
    due_on = _dates(column("due_date"), lines, "due_date", required=True)
    settled_on = _dates(column("paid_date"), lines, "paid_date", required=False)
    _fail_where(due_on < issued_on, lines, "due_date before issue_date")

    amount_minor = _money(column("amount"), currency, lines, "amount")
    paid_text = column("paid_amount")
    paid_minor = _money(paid_text.replace("", "0"), currency, lines, "paid_amount")
    # A settled invoice without a paid amount was paid in full.
    paid_minor = paid_minor.where(~(settled_on.notna() & (paid_text == "")), amount_minor)

    frame = pd.DataFrame({
        "customer_id": column("customer_id"),
        "invoice_id": invoice_id,
        "issued_on": issued_on,
        "due_on": due_on,
        "settled_on": settled_on,
        "amount_minor": amount_minor.astype("int64"),
        "paid_minor": paid_minor.astype("int64"),
        "currency": currency,
        "disputed": _flags(column("disputed"), lines, "disputed"),
        "paperless": _flags(column("paperless"), lines, "paperless"),
    })
    return frame[list(CANONICAL_COLUMNS)]


def _fail_where(bad: pd.Series, lines, message: str) -> None:
    if bad.any():
        where = lines[bad.to_numpy()]
        shown = ", ".join(str(n) for n in where[:10]) + (" …" if len(where) > 10 else "")
        raise ValueError(f"{message} on line(s) {shown}")


def _dates(text: pd.Series, lines, name: str, *, required: bool) -> pd.Series:
    parsed = pd.to_datetime(text, format="%Y-%m-%d", errors="coerce").astype("datetime64[ns]")
    bad = parsed.isna() & (text != "") if not required else parsed.isna()
    _fail_where(bad, lines, f"{name} is not an ISO date (YYYY-MM-DD)")
    return parsed


def _money(text: pd.Series, currency: pd.Series, lines, name: str) -> pd.Series:
    """Decimal-exact conversion, done once per distinct (amount, currency) pair."""
    pairs = pd.DataFrame({"text": text, "currency": currency})
    distinct = pairs.drop_duplicates()
    values, errors = [], []
    for amount, code in zip(distinct["text"], distinct["currency"], strict=True):
        try:
            values.append(to_minor(amount, code))
        except ValueError as exc:
            values.append(0)
            errors.append((amount, code, str(exc)))
    if errors:
        bad_pairs = {(a, c) for a, c, _ in errors}
        bad = pd.Series(
            [(a, c) in bad_pairs for a, c in zip(text, currency, strict=True)], index=text.index
        )
        _fail_where(bad, lines, f"bad {name} ({errors[0][2]})")
    lookup = distinct.assign(minor=values)
    merged = pairs.merge(lookup, on=["text", "currency"], how="left")
    return pd.Series(merged["minor"].to_numpy(dtype="int64"), index=text.index)


def _flags(text: pd.Series, lines, name: str) -> pd.Series:
    lowered = text.str.lower()
    _fail_where(~lowered.isin(_TRUE | _FALSE), lines, f"{name} is not true/false")
    return lowered.isin(_TRUE).astype(bool)
