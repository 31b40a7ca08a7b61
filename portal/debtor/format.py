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
from markupsafe import Markup

from payments.money import format_money
from portal.auth import current_debtor
from portal.i18n import babel_context, pgettext
from portal.i18n import gettext as _

LANGUAGES = (("es", "Español"), ("pt_BR", "Português"), ("en", "English"))


def display_locale() -> str:
    """The signed-in debtor's full locale (es_CO) when it fits the page language, else it.
    Worked out once per request and page language (a page formats dozens of amounts): the
    answer is kept with the Babel Locale of the page it was worked out for."""
    page_locale = getattr(babel_context(), "babel_locale", None)
    cached = g.get("saldo_display_locale") if page_locale is not None else None
    if cached is not None and cached[0] is page_locale:
        return cached[2]
    page = str(get_locale() or current_app.config["DEFAULT_LOCALE"])
    debtor = current_debtor()
    saved = debtor.locale if debtor is not None else None
    chosen = saved if saved and saved.split("_")[0] == page.split("_")[0] else page
    if has_request_context():
        g.saldo_display_locale = (get_locale(), page, chosen)
    return chosen


@lru_cache(maxsize=64)
def babel_locale(name: str) -> Locale:
    """Babel's Locale for a name, parsed once per process (parsing is most of a format)."""
    return Locale.parse(name)


def _locale() -> Locale:
    return babel_locale(display_locale())


# Formatting is a pure function of the value and the locale, and Babel's pattern work is
# most of a page's cost: the strings are kept (a few thousand, per process).
@lru_cache(maxsize=8192)
def _money_text(amount_minor: int, currency: str, locale: str) -> str:
    return format_money(amount_minor, currency, locale)


@lru_cache(maxsize=8192)
def _date_text(value: date, form: str, locale: str) -> str:
    return format_date(value, format=form, locale=babel_locale(locale))


# `locale`: a page formatting many values passes display_locale() once (templates do not).
def money(amount_minor: int, currency: str, locale: str | None = None) -> str:
    return _money_text(int(amount_minor), currency, locale or display_locale())


def long_date(value: date | None, locale: str | None = None) -> str:
    if value is None:
        return ""
    return _date_text(value, "long", locale or display_locale())


def short_date(value: date | None, locale: str | None = None) -> str:
    if value is None:
        return ""
    return _date_text(value, "medium", locale or display_locale())


def date_range(first: date, last: date) -> str:
    """Two dates as one short range in the locale's way ("26/11/2026 al 26/01/2027")."""
    return format_interval(first, last, "yMd", locale=_locale())


PERIOD = re.compile(r"^\s*(\d{4})-(0[1-9]|1[0-2])\s*$")


def invoice_period(invoice) -> date | None:
    """The month an invoice bills: its description when that is a period ("2026-11")."""
    return _period(invoice.description or "")


@lru_cache(maxsize=4096)
def _period(description: str) -> date | None:
    match = PERIOD.match(description)
    return date(int(match.group(1)), int(match.group(2)), 1) if match else None


def invoice_title(invoice, locale: str | None = None) -> str:
    """What a debtor calls an invoice: "Invoice for November 2026" for a billing period
    (or when there is no description: the month it was issued), else its description."""
    return title_of(invoice.description, invoice.issued_on, locale)


def title_of(description: str | None, issued_on: date, locale: str | None = None) -> str:
    """`invoice_title` from the two facts it reads."""
    period = _period(description or "")
    if period is None and description:
        return description
    day = period or issued_on
    month = month_name(day.year, day.month, locale or display_locale())
    return _("Invoice for %(month)s", month=month)


@lru_cache(maxsize=1024)
def month_name(year: int, month: int, locale: str) -> str:
    """"noviembre de 2026", "novembro de 2026", "November 2026"."""
    return format_skeleton("yMMMM", date(year, month, 1), locale=babel_locale(locale))


# "Pagada", "Cancelada": statuses of an invoice (factura, fatura), hence the context.
STATUS_WORDS = {
    "due_soon": lambda: _("Due soon"),
    "due": lambda: _("Open"),
    "overdue": lambda: _("Overdue"),
    "disputed": lambda: _("Under review"),
    "promised": lambda: _("Promised"),
    "in_plan": lambda: _("In a payment plan"),
    "paid": lambda: pgettext("invoice status", "Paid"),
    "cancelled": lambda: pgettext("invoice status", "Cancelled"),
}


def status_label(code: str) -> str:
    """The words on an invoice's status tag (an unknown code is shown as it is)."""
    words = STATUS_WORDS.get(code)
    return words() if words is not None else code


def status_tag(code: str) -> Markup:
    """An invoice's status tag (`debtor/_macros.html` `status` renders this)."""
    return Markup('<span class="tag tag-{}">{}</span>').format(code, status_label(code))


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
    env.globals.setdefault("status_tag", status_tag)
