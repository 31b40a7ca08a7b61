"""Money and dates in the debtor's own locale (es_CO shows `$ 2.500.000,00`)."""

from __future__ import annotations

from datetime import date

from babel import Locale, UnknownLocaleError
from babel.dates import format_date
from flask import current_app
from flask_babel import get_locale

from payments.money import format_money
from portal.auth import current_debtor

LANGUAGES = (("es", "Español"), ("pt_BR", "Português"), ("en", "English"))


def display_locale() -> str:
    """The signed-in debtor's full locale (es_CO) when it fits the page language, else it."""
    page = str(get_locale() or current_app.config["DEFAULT_LOCALE"])
    debtor = current_debtor()
    saved = debtor.locale if debtor is not None else None
    if saved and saved.split("_")[0] == page.split("_")[0]:
        return saved
    return page


def money(amount_minor: int, currency: str) -> str:
    return format_money(int(amount_minor), currency, display_locale())


def long_date(value: date | None) -> str:
    if value is None:
        return ""
    return format_date(value, format="long", locale=display_locale())


def short_date(value: date | None) -> str:
    if value is None:
        return ""
    return format_date(value, format="medium", locale=display_locale())


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
