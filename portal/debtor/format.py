"""Money and dates in the debtor's own locale (es_CO shows `$ 2.500.000,00`)."""

from __future__ import annotations

import re
from datetime import date
from functools import lru_cache

from babel import Locale, UnknownLocaleError
from babel.dates import (
    format_date,
    format_interval,
    format_skeleton,
    get_timezone,
    get_timezone_name,
)
from flask import current_app, g, has_request_context
from flask_babel import get_locale
from flask_babel import gettext as _

from payments.money import format_money
from portal.auth import current_debtor

LANGUAGES = (("es", "Español"), ("pt_BR", "Português"), ("en", "English"))


def display_locale() -> str:
    """The signed-in debtor's full locale (es_CO) when it fits the page language, else it.
    Worked out once per request and page language (a page formats dozens of amounts)."""
    page = str(get_locale() or current_app.config["DEFAULT_LOCALE"])
    cached = g.get("saldo_display_locale")
    if cached is not None and cached[0] == page:
        return cached[1]
    debtor = current_debtor()
    saved = debtor.locale if debtor is not None else None
    chosen = saved if saved and saved.split("_")[0] == page.split("_")[0] else page
    if has_request_context():
        g.saldo_display_locale = (page, chosen)
    return chosen


@lru_cache(maxsize=64)
def babel_locale(name: str) -> Locale:
    """Babel's Locale for a name, parsed once per process (parsing is most of a format)."""
    return Locale.parse(name)


def _locale() -> Locale:
    return babel_locale(display_locale())


def money(amount_minor: int, currency: str) -> str:
    return format_money(int(amount_minor), currency, display_locale())


def long_date(value: date | None) -> str:
    if value is None:
        return ""
    return format_date(value, format="long", locale=_locale())


def short_date(value: date | None) -> str:
    if value is None:
        return ""
    return format_date(value, format="medium", locale=_locale())


def date_range(first: date, last: date) -> str:
    """Two dates as one short range in the locale's way ("26/11/2026 al 26/01/2027")."""
    return format_interval(first, last, "yMd", locale=_locale())


PERIOD = re.compile(r"^\s*(\d{4})-(0[1-9]|1[0-2])\s*$")


def invoice_period(invoice) -> date | None:
    """The month an invoice bills: its description when that is a period ("2026-11")."""
    match = PERIOD.match(invoice.description or "")
    return date(int(match.group(1)), int(match.group(2)), 1) if match else None


def invoice_title(invoice) -> str:
    """What a debtor calls an invoice: "Invoice for November 2026" for a billing period
    (or when there is no description: the month it was issued), else its description."""
    period = invoice_period(invoice)
    if period is None and invoice.description:
        return invoice.description
    day = period or invoice.issued_on
    return _("Invoice for %(month)s", month=month_name(day.year, day.month, display_locale()))


@lru_cache(maxsize=1024)
def month_name(year: int, month: int, locale: str) -> str:
    """"noviembre de 2026", "novembro de 2026", "November 2026"."""
    return format_skeleton("yMMMM", date(year, month, 1), locale=babel_locale(locale))


def zone_name(zone: str | None) -> str:
    """A time zone as people say it, in the page's language ("hora de Colombia",
    "Horário de Brasília", "Colombia Time"); UTC and unknown names stay as they are."""
    if not zone or zone.upper() in ("UTC", "ETC/UTC", "GMT"):
        return zone or "UTC"
    try:
        return get_timezone_name(get_timezone(zone), locale=_locale())
    except LookupError:
        return zone


def locale_for(language: str, country: str | None) -> str:
    """A full locale for a chosen language and the debtor's country (es + CO -> es_CO)."""
    if language == "pt_BR":
        return "pt_BR"
    if country:
        try:
            return str(Locale.parse(f"{language}_{country.upper()}"))
        except (UnknownLocaleError, ValueError):
            pass
    return {"en": "en_US"}.get(language, language)


def register_filters(state) -> None:
    """Install the template filters on the app (called when the blueprint is registered)."""
    env = state.app.jinja_env
    env.filters.setdefault("money", money)
    env.filters.setdefault("long_date", long_date)
    env.filters.setdefault("short_date", short_date)
    env.filters.setdefault("invoice_title", invoice_title)
    env.filters.setdefault("zone_name", zone_name)
    env.filters.setdefault("date_range", date_range)
