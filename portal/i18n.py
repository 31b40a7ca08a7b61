"""Languages: the debtor's saved locale → a cookie → the browser's Accept-Language → default.

Each package keeps its own catalogue (`<package>/translations/<locale>/LC_MESSAGES/
messages.po`): `portal` for the debtor pages, `payments`, `alerts` and `risk` for theirs.
Flask-Babel merges them. `.po` files are the source; `.mo` files are compiled from them on
start when missing or older (they are not committed).
"""

from __future__ import annotations

import os
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask, current_app, g, request
from flask_babel import Babel, get_translations

LOCALE_COOKIE = "saldo_locale"
ROOT = Path(__file__).resolve().parents[1]
CATALOGUE_PACKAGES = ("portal", "payments", "alerts", "risk", "replies")


def translation_directories() -> list[Path]:
    """Every package's translations folder that exists, in a stable order."""
    return [ROOT / name / "translations" for name in CATALOGUE_PACKAGES
            if (ROOT / name / "translations").is_dir()]


def po_files() -> list[Path]:
    return sorted(p for d in translation_directories() for p in d.glob("*/LC_MESSAGES/*.po"))


def compile_catalogues() -> int:
    """Compile each `.po` whose `.mo` is missing or older; return how many were written."""
    written = 0
    for po in po_files():
        mo = po.with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        with po.open("rb") as fh:
            catalog = read_po(fh, locale=po.parent.parent.name)
        tmp = mo.with_suffix(f".mo.{os.getpid()}")
        with tmp.open("wb") as fh:
            write_mo(fh, catalog, use_fuzzy=False)
        os.replace(tmp, mo)
        written += 1
    return written


def ui_language(locale: str | None) -> str | None:
    """Map a full locale (es_CO, pt-BR, en_US) to the catalogue we ship (es, pt_BR, en)."""
    if not locale:
        return None
    try:
        parsed = Locale.parse(locale.replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        return None
    supported = current_app.config["SUPPORTED_LOCALES"]
    full = str(parsed)
    if full in supported:
        return full
    if parsed.language == "pt":
        return "pt_BR" if "pt_BR" in supported else None
    return parsed.language if parsed.language in supported else None


def select_locale() -> str:
    from flask_login import current_user

    saved = getattr(current_user, "locale", None) if current_user else None
    for candidate in (saved, request.cookies.get(LOCALE_COOKIE)):
        language = ui_language(candidate)
        if language:
            return language
    supported = current_app.config["SUPPORTED_LOCALES"]
    browser = request.accept_languages.best_match(
        list(supported) + ["pt-BR", "pt", "es-419"]
    )
    return ui_language(browser) or current_app.config["DEFAULT_LOCALE"]


def babel_context():
    """Flask-Babel's per-context namespace (`g._flask_babel`), or None."""
    try:
        return g._flask_babel
    except (AttributeError, RuntimeError):  # not made yet, or no app context
        return None


def translations():
    """`flask_babel.get_translations()`, remembered for the locale and domain in use.

    Flask-Babel walks several context lookups on every call and a page translates a hundred
    strings. The copy is kept next to Flask-Babel's own state and used only while that state
    still holds the same Locale and Domain objects, so `refresh()`, `force_locale()` and a
    new request (a new `g`) each get the right catalogue."""
    ctx = babel_context()
    if ctx is not None:
        locale = getattr(ctx, "babel_locale", None)
        kept = getattr(ctx, "saldo_translations", None)
        if locale is not None and kept is not None and kept[0] is locale \
                and kept[1] is getattr(ctx, "babel_domain", None):
            return kept[2]
    found = get_translations()
    ctx = babel_context()
    if ctx is not None and getattr(ctx, "babel_locale", None) is not None:
        ctx.saldo_translations = (ctx.babel_locale, getattr(ctx, "babel_domain", None), found)
    return found


def gettext(string: str, **variables) -> str:
    """Like `flask_babel.gettext` (placeholders filled after translation), but cheaper."""
    text = translations().ugettext(string)
    return text % variables if variables else text


def pgettext(context: str, string: str, **variables) -> str:
    """Like `flask_babel.pgettext`, through `translations()`."""
    text = translations().upgettext(context, string)
    return text % variables if variables else text


def init_i18n(app: Flask, babel: Babel) -> None:
    compile_catalogues()
    app.config.setdefault(
        "BABEL_TRANSLATION_DIRECTORIES", ";".join(str(d) for d in translation_directories())
    )
    babel.init_app(app, locale_selector=select_locale)
    # Templates translate through `translations()` (Flask-Babel installs the same callables
    # around its slower lookup).
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: translations().ugettext(s),
        ngettext=lambda s, p, n: translations().ungettext(s, p, n),
        pgettext=lambda c, s: translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: translations().unpgettext(c, s, p, n),
        newstyle=True,
    )
