"""Money as integer minor units with an ISO 4217 currency. Never floats.

The number of decimals per currency comes from our own table (`payments.currencies`: ISO 4217
with Stripe's exceptions), never from Babel, whose locale data changes between releases.
Babel only formats amounts for display.
"""

from __future__ import annotations

import re
from copy import copy
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from babel import Locale
from babel.core import UnknownLocaleError
from babel.numbers import NumberFormatError, NumberPattern, parse_decimal, parse_pattern

from payments.currencies import HIDE_ZERO_MINOR_FOR_DISPLAY, minor_units, stripe_exponent


class MoneyError(ValueError):
    """An amount or currency that cannot be represented exactly."""


def is_known_currency(code: str) -> bool:
    return minor_units(code) is not None


def exponent(currency: str) -> int:
    """Number of decimals a currency's minor unit has (2 for USD and COP, 0 for CLP, 3 for
    KWD), from our own ISO 4217 table."""
    places = minor_units(currency)
    if places is None:
        raise MoneyError(f"unknown currency {currency!r}")
    return places


def to_stripe_amount(amount_minor: int, currency: str) -> int:
    """The integer Stripe's API wants for `amount_minor` (the same number for most
    currencies; ×100 for ISK). Refuses an amount Stripe cannot represent exactly."""
    shift = stripe_exponent(currency) - exponent(currency)
    if shift >= 0:
        return amount_minor * 10**shift
    whole, rest = divmod(amount_minor, 10**-shift)
    if rest:
        raise MoneyError(f"Stripe charges {currency} in whole units: {amount_minor} minor units")
    return whole


def from_stripe_amount(amount: int, currency: str) -> int:
    """Our minor units for an amount Stripe reports (the inverse of `to_stripe_amount`);
    Stripe writes currencies in lower case."""
    currency = currency.upper()
    shift = exponent(currency) - stripe_exponent(currency)
    if shift >= 0:
        return int(amount) * 10**shift
    whole, rest = divmod(int(amount), 10**-shift)
    if rest:
        raise MoneyError(f"Stripe reported {amount} {currency}, not a whole minor unit")
    return whole


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
# Colombia: bills and bank apps write "$ 2.500.000" (symbol, space, amount).
LOCALE_PATTERNS = {"es_CO": "\u00a4\u00a0#,##0"}


def format_money(amount_minor: int, currency: str, locale: str) -> str:
    """'$ 2.500.000' for es_CO/COP, 'R$ 1.234,50' for pt_BR/BRL, '$1,234.50' for en_US.

    The decimals come from our table, never from Babel's locale data. A currency shown
    without cents by habit (COP) still shows them when they are not zero: '$ 793.400,50'.
    Display never changes the value: every digit of the stored amount is printed.
    """
    places = exponent(currency)
    if currency in HIDE_ZERO_MINOR_FOR_DISPLAY and amount_minor % 10**places == 0:
        places = 0
    pattern = _pattern(str(locale), places)
    return pattern.apply(to_major(amount_minor, currency), _babel_locale(str(locale)),
                         currency=currency, currency_digits=False)


@lru_cache(maxsize=64)
def _babel_locale(locale: str) -> Locale:
    return Locale.parse(locale)


@lru_cache(maxsize=256)
def _pattern(locale: str, places: int) -> NumberPattern:
    """The locale's currency pattern (or ours, where we know better) with `places` decimals."""
    base = LOCALE_PATTERNS.get(locale) or Locale.parse(locale).currency_formats["standard"]
    pattern = copy(parse_pattern(base))
    pattern.frac_prec = (places, places)
    return pattern


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
