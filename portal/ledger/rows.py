"""Parse and validate one ledger CSV row into a `LedgerRow`, or say exactly what is wrong.

Plain Python, no database: the importer and the risk backtests share it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale, UnknownLocaleError

from payments.money import MoneyError, exponent, is_known_currency, to_minor

REQUIRED_COLUMNS = ("customer_id", "invoice_id", "issue_date", "due_date", "amount")
OPTIONAL_COLUMNS = (
    "currency", "paid_date", "paid_amount", "disputed", "customer_name", "email", "phone",
    "locale", "timezone", "country", "paperless",
    # The fact a debtor confirms before seeing amounts (portal.debtor.identity); stored hashed.
    "document_last4", "postal_code", "birth_date",
    # The day the debtor consented to each channel (a date or empty: nothing recorded).
    "consent_email", "consent_sms", "consent_whatsapp",
)
CONSENT_COLUMNS = ("consent_email", "consent_sms", "consent_whatsapp")
MAX_LENGTH = {
    "customer_id": 64, "invoice_id": 64, "customer_name": 200, "email": 254, "phone": 32,
    "locale": 10, "timezone": 64, "country": 8, "currency": 3,
}
MAX_AMOUNT_MINOR = 10**15  # a quadrillion minor units: far beyond any real invoice
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^\+?[0-9 ()./-]{6,32}$")
_AMOUNT = re.compile(r"^\d+(\.\d+)?$")
_CONTROL = re.compile(r"[\x00-\x1f]")
_TRUE = {"true", "1", "yes", "y", "t"}
_FALSE = {"false", "0", "no", "n", "f", ""}


class RowError(ValueError):
    """A row that cannot be imported; the message says why, for a person to fix."""


@dataclass(slots=True)  # not frozen: a frozen __init__ costs 2 µs a row in bulk imports
class LedgerRow:
    customer_id: str
    invoice_id: str
    issued_on: date
    due_on: date
    amount_minor: int
    currency: str
    settled_on: date | None = None
    paid_minor: int | None = None
    disputed: bool = False
    paperless: bool | None = None
    customer_name: str | None = None
    email: str | None = None
    phone: str | None = None
    locale: str | None = None
    timezone: str | None = None
    country: str | None = None
    identity: tuple[tuple[str, str], ...] = ()  # (kind, normalised value) per fact given
    consent_email: date | None = None
    consent_sms: date | None = None
    consent_whatsapp: date | None = None


def _consents(raw: dict, today: date) -> dict[str, date | None]:
    consents = {name: _date(raw, name, required=False) for name in CONSENT_COLUMNS}
    for name, day in consents.items():
        if day is not None and day > today:
            raise RowError(f"{name} {day} is in the future")
    return consents


def missing_columns(header: list[str] | None) -> list[str]:
    present = {h.strip() for h in header or []}
    return [c for c in REQUIRED_COLUMNS if c not in present]


def _text(raw: dict, name: str) -> str | None:
    value = raw.get(name)
    if not value:
        return None
    value = value.strip()
    if not value:
        return None
    limit = MAX_LENGTH.get(name)
    if limit and len(value) > limit:
        raise RowError(f"{name} is longer than {limit} characters")
    # isprintable() is the quick answer for nearly every value; the regex decides the rest.
    if not value.isprintable() and _CONTROL.search(value):
        raise RowError(f"{name} contains control characters")
    return value


def _date(raw: dict, name: str, required: bool) -> date | None:
    value = _text(raw, name)
    if value is None:
        if required:
            raise RowError(f"{name} is required")
        return None
    if not _ISO_DATE.match(value):
        raise RowError(f"{name} must be an ISO date (YYYY-MM-DD), got {value!r}")
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise RowError(f"{name} is not a real date: {value!r}") from exc


def _amount(raw: dict, name: str, currency: str, required: bool) -> int | None:
    value = _text(raw, name)
    if value is None:
        if required:
            raise RowError(f"{name} is required")
        return None
    if not _AMOUNT.match(value):
        raise RowError(
            f"{name} must be a decimal number with a decimal point and no sign or "
            f"thousands separator, got {value!r}"
        )
    minor = _fast_minor(value, currency)
    if minor is None:  # not exact in this currency: let payments.money say why
        try:
            minor = to_minor(value, currency)
        except MoneyError as exc:
            raise RowError(f"{name}: {exc}") from exc
    if minor >= MAX_AMOUNT_MINOR:
        raise RowError(f"{name} is implausibly large: {value!r}")
    return minor


@cache
def _places(currency: str) -> int:
    return exponent(currency)


def _fast_minor(value: str, currency: str) -> int | None:
    """`to_minor` for text already matching _AMOUNT, with integers only; None when inexact."""
    whole, _, fraction = value.partition(".")
    fraction = fraction.rstrip("0")
    places = _places(currency)
    if len(fraction) > places:
        return None
    return int(whole) * 10**places + int(fraction.ljust(places, "0") or 0)


def _bool(raw: dict, name: str) -> bool | None:
    value = raw.get(name)
    if value is None:
        return None
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False if lowered else None
    raise RowError(f"{name} must be true or false, got {value.strip()!r}")


def _contact(raw: dict) -> tuple[str | None, str | None]:
    email = _text(raw, "email")
    if email is not None and not _EMAIL.match(email):
        raise RowError(f"email is not a valid address: {email!r}")
    phone = _text(raw, "phone")
    if phone is not None:
        if not _PHONE.match(phone):
            raise RowError("phone must contain digits, spaces or + ( ) - . only")
        phone = ("+" if phone.startswith("+") else "") + re.sub(r"\D", "", phone)
    return (email.lower() if email else None), phone


def _locale_tz_country(raw: dict) -> tuple[str | None, str | None, str | None]:
    locale = _text(raw, "locale")
    if locale is not None:
        try:
            locale = str(Locale.parse(locale.replace("-", "_")))
        except (UnknownLocaleError, ValueError) as exc:
            raise RowError(f"locale is not a known locale: {locale!r}") from exc
    tz = _text(raw, "timezone")
    if tz is not None:
        try:
            ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise RowError(f"timezone is not a known IANA time zone: {tz!r}") from exc
    country = _text(raw, "country")
    if country is not None:
        if re.fullmatch(r"[A-Za-z]{2}", country):
            country = country.upper()
        elif not re.fullmatch(r"\d{1,3}", country):
            raise RowError(f"country must be an ISO 3166 code, got {country!r}")
    return locale, tz, country


def parse_row(raw: dict, default_currency: str, today: date) -> LedgerRow:
    """Validate one CSV record (a dict of column → text). Raises RowError with the reason."""
    if None in raw:
        raise RowError("the row has more fields than the header")
    customer_id = _text(raw, "customer_id")
    invoice_id = _text(raw, "invoice_id")
    if customer_id is None:
        raise RowError("customer_id is required")
    if invoice_id is None:
        raise RowError("invoice_id is required")
    issued_on = _date(raw, "issue_date", required=True)
    due_on = _date(raw, "due_date", required=True)
    if due_on < issued_on:
        raise RowError(f"due_date {due_on} is before issue_date {issued_on}")

    currency = (_text(raw, "currency") or default_currency).upper()
    if not is_known_currency(currency):
        raise RowError(f"currency is not a known ISO 4217 code: {currency!r}")
    amount_minor = _amount(raw, "amount", currency, required=True)
    if amount_minor <= 0:
        raise RowError("amount must be greater than zero")

    settled_on = _date(raw, "paid_date", required=False)
    paid_minor = _amount(raw, "paid_amount", currency, required=False)
    if paid_minor is not None and paid_minor > amount_minor:
        raise RowError(
            f"paid_amount is above the amount ({paid_minor} > {amount_minor} minor units "
            f"of {currency}, {exponent(currency)} decimals)"
        )
    if settled_on is not None:
        if settled_on < issued_on:
            raise RowError(f"paid_date {settled_on} is before issue_date {issued_on}")
        if settled_on > today:
            raise RowError(f"paid_date {settled_on} is in the future")
        if paid_minor is None:
            paid_minor = amount_minor
    elif paid_minor is not None and paid_minor == amount_minor:
        raise RowError("paid_date is required when paid_amount settles the whole amount")

    email, phone = _contact(raw)
    locale, tz, country = _locale_tz_country(raw)
    identity = _identity(raw)
    return LedgerRow(
        customer_id=customer_id,
        invoice_id=invoice_id,
        issued_on=issued_on,
        due_on=due_on,
        amount_minor=amount_minor,
        currency=currency,
        settled_on=settled_on,
        paid_minor=paid_minor or None,
        disputed=bool(_bool(raw, "disputed")),
        paperless=_bool(raw, "paperless"),
        customer_name=_text(raw, "customer_name"),
        email=email,
        phone=phone,
        locale=locale,
        timezone=tz,
        country=country,
        identity=identity,
        **_consents(raw, today),
    )


_IDENTITY_KINDS = ("document_last4", "postal_code", "birth_date")  # portal.debtor.identity.KINDS


def _identity(raw: dict) -> tuple[tuple[str, str], ...]:
    if not (raw.get("document_last4") or raw.get("postal_code") or raw.get("birth_date")):
        return ()
    from portal.debtor.identity import KINDS, normalise

    facts = []
    for kind in KINDS:
        value = raw.get(kind)
        if value is None or not value.strip():
            continue
        if len(value) > 64:
            raise RowError(f"{kind} is longer than 64 characters")
        canonical = normalise(kind, value)
        if canonical is None:
            expected = {"document_last4": "at least 4 digits", "postal_code": "a postal code",
                        "birth_date": "a date such as 1990-01-31"}[kind]
            raise RowError(f"{kind} must be {expected}")
        facts.append((kind, canonical))
    return tuple(facts)
