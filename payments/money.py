"""Money as integer minor units with an ISO 4217 currency. Never floats.

The number of decimals per currency follows Stripe (its zero-decimal currencies are listed
explicitly) and ISO 4217 for the rest, via Babel's currency data.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from babel.core import UnknownLocaleError
from babel.numbers import (
    NumberFormatError,
    format_currency,
    get_currency_precision,
    list_currencies,
    parse_decimal,
)

# Stripe charges these in whole units: https://docs.stripe.com/currencies#zero-decimal
ZERO_DECIMAL = frozenset(
    "BIF CLP DJF GNF JPY KMF KRW MGA PYG RWF UGX VND VUV XAF XOF XPF".split()
)
THREE_DECIMAL = frozenset("BHD JOD KWD OMR TND".split())
_KNOWN = frozenset(list_currencies())


class MoneyError(ValueError):
    """An amount or currency that cannot be represented exactly."""


def is_known_currency(code: str) -> bool:
    return code in _KNOWN


def exponent(currency: str) -> int:
    """Number of decimals a currency's minor unit has (2 for USD, 0 for CLP, 3 for KWD)."""
    if not is_known_currency(currency):
        raise MoneyError(f"unknown currency {currency!r}")
    if currency in ZERO_DECIMAL:
        return 0
    if currency in THREE_DECIMAL:
        return 3
    return min(get_currency_precision(currency), 2)


def to_minor(amount: str | Decimal, currency: str) -> int:
    """Parse a decimal amount in major units ('1234.5') into minor units (123450).

    Refuses more decimals than the currency has, exponents, and anything that is not a
    finite number.
    """
    try:
        value = amount if isinstance(amount, Decimal) else Decimal(str(amount).strip())
    except InvalidOperation as exc:
        raise MoneyError(f"not a number: {amount!r}") from exc
    if not value.is_finite():
        raise MoneyError(f"not a finite number: {amount!r}")
    places = exponent(currency)
    scaled = value.scaleb(places)
    if scaled != scaled.to_integral_value():
        raise MoneyError(f"{currency} allows at most {places} decimals: {amount!r}")
    return int(scaled)


def to_major(amount_minor: int, currency: str) -> Decimal:
    return Decimal(amount_minor).scaleb(-exponent(currency))


# Where CLDR's pattern differs from how invoices in that country are usually printed.
# Colombia: bills and bank apps write "$ 2.500.000,00" (symbol, space, amount).
LOCALE_PATTERNS = {"es_CO": "\u00a4\u00a0#,##0.00"}


def format_money(amount_minor: int, currency: str, locale: str) -> str:
    """'$ 2.500.000,00' for es_CO/COP, 'R$ 1.234,50' for pt_BR/BRL, '$1,234.50' for en_US."""
    return format_currency(
        to_major(amount_minor, currency),
        currency,
        format=LOCALE_PATTERNS.get(str(locale)),
        locale=locale,
        currency_digits=True,
    )


def parse_typed_amount(text: str, currency: str, locale: str = "es") -> int | None:
    """Minor units of an amount a person typed, read the way they write numbers; None if it
    is not one.

    "150.000" is a hundred and fifty thousand in es-CO and pt-BR (the dot groups thousands),
    so the locale is tried first; a plain "1500.50" or "1500,50", which no locale groups that
    way, is read as a decimal amount. Digits and separators only: no signs or exponents.
    """
    cleaned = (text or "").strip().replace(" ", "").replace("\u00a0", "")
    if not re.fullmatch(r"[0-9][0-9.,]*", cleaned):
        return None
    try:
        return to_minor(parse_decimal(cleaned, locale=locale, strict=True), currency)
    except (NumberFormatError, MoneyError, UnknownLocaleError, ValueError):
        pass  # not written the locale's way: try the plain reading below
    if "," in cleaned and "." not in cleaned:
        cleaned = cleaned.replace(",", ".")
    try:
        return to_minor(cleaned, currency)
    except MoneyError:
        return None
