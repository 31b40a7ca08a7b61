"""Rendering reminders: default copy or the staff's override, in the debtor's locale.

Templates are Jinja text run in a sandbox (staff edit them) with a fixed set of
placeholders. `render_message` returns (subject, text, html); the HTML part is built from
the text (escaped, links made clickable) plus a pay button, the unsubscribe link and, when
given, the open-tracking pixel.
"""

from __future__ import annotations

import re
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date
from functools import lru_cache

from babel.core import Locale, UnknownLocaleError
from babel.dates import format_date
from flask import current_app
from flask_babel import force_locale, gettext, ngettext
from jinja2 import StrictUndefined, TemplateSyntaxError, meta
from markupsafe import escape
from sqlalchemy import select

from alerts.copy import PLACEHOLDERS, default_copy
from alerts.sandbox import BudgetSandbox, render_bounded
from payments.money import format_money
from portal.extensions import db
from portal.models import MessageTemplate

_ENV = BudgetSandbox(undefined=StrictUndefined, autoescape=False)
_URL = re.compile(r"https?://[^\s<>\"]+")


def validate_template(subject: str, body: str) -> list[str]:
    """Problems with a template, as sentences: syntax errors and unknown placeholders."""
    problems = []
    for label, source in (("subject", subject or ""), ("body", body or "")):
        try:
            names = meta.find_undeclared_variables(_ENV.parse(source))
        except TemplateSyntaxError as exc:
            problems.append(f"The {label} has a template error on line {exc.lineno}: "
                            f"{exc.message}")
            continue
        for name in sorted(names - PLACEHOLDERS):
            problems.append(f"Unknown placeholder {{{{ {name} }}}} in the {label}; use one of "
                            f"{', '.join(sorted(PLACEHOLDERS))}.")
    if not (body or "").strip():
        problems.append("The body must not be empty.")
    return problems


def ui_locale(locale: str | None) -> str:
    """The catalogue language (es, pt_BR, en) for a debtor's locale such as es_CO."""
    from portal.i18n import ui_language

    return ui_language(locale) or current_app.config["DEFAULT_LOCALE"]


_OVERRIDES: ContextVar[dict | None] = ContextVar("saldo_template_overrides", default=None)


@contextmanager
def overrides_loaded():
    """Read every staff override once for a batch of renders (the dispatcher uses this)."""
    rows = db.session.execute(select(MessageTemplate.tone, MessageTemplate.channel,
                                     MessageTemplate.locale, MessageTemplate.subject,
                                     MessageTemplate.body)).all()
    token = _OVERRIDES.set({(r[0], r[1], r[2]): (r[3], r[4]) for r in rows})
    try:
        yield
    finally:
        _OVERRIDES.reset(token)


def template_source(tone: str, channel: str, locale: str,
                    kind: str | None = None) -> tuple[str, str]:
    """(subject, body): the staff override for this key if any, else the shipped copy.

    Overrides are per tone × channel × locale and written for invoices, so plan instalment
    reminders (`kind` "installment") always use their own shipped wording."""
    if kind == "installment":
        return default_copy(tone, channel, locale, kind)
    loaded = _OVERRIDES.get()
    if loaded is not None:
        found = loaded.get((tone, channel, locale))
    else:
        found = db.session.execute(select(MessageTemplate.subject, MessageTemplate.body).where(
            MessageTemplate.tone == tone, MessageTemplate.channel == channel,
            MessageTemplate.locale == locale)).first()
    if found is not None:
        return found[0], found[1]
    return default_copy(tone, channel, locale)


def when_phrase(kind: str, due_on: date, today: date, date_text: str) -> str:
    """'is due in 3 days, on …' in the active locale (call inside force_locale)."""
    days = (due_on - today).days
    if days > 0:
        return ngettext("is due tomorrow, %(date)s", "is due in %(num)d days, on %(date)s",
                        days, date=date_text)
    if days == 0:
        return gettext("is due today, %(date)s", date=date_text)
    return ngettext("was due yesterday, %(date)s", "was due %(num)d days ago, on %(date)s",
                    -days, date=date_text)


def _locale_for_format(locale: str | None) -> str:
    try:
        return str(Locale.parse((locale or "es").replace("-", "_")))
    except (UnknownLocaleError, ValueError):
        return "es"


def build_context(debtor, due_on: date, amount_minor: int, currency: str, reference: str,
                  today: date, kind: str, extra: dict | None = None) -> dict:
    """The placeholder values for one message, formatted for the debtor (call in force_locale)."""
    fmt = _locale_for_format(debtor.locale)
    date_text = format_date(due_on, format="long", locale=fmt)
    context = {
        "name": debtor.name.split()[0] if debtor.name else "",
        "amount": format_money(amount_minor, currency, fmt),
        "due_date": date_text, "invoice": reference,
        "when": when_phrase(kind, due_on, today, date_text),
        "link": "", "unsubscribe": "",
        "company": current_app.config.get("COMPANY_NAME", "Saldo"),
    }
    context.update(extra or {})
    return context


def render_text(subject: str, body: str, context: dict) -> tuple[str, str]:
    values = {k: context.get(k, "") for k in PLACEHOLDERS}
    subject_text = " ".join(render_bounded(_compiled(subject or ""), values).split())
    return subject_text, render_bounded(_compiled(body), values).strip()


@lru_cache(maxsize=512)
def _compiled(source: str):
    """Templates compiled once per distinct source text (edits give a new source)."""
    return _ENV.from_string(source)


def render_html(text: str, context: dict) -> str:
    """A simple, accessible HTML version of the text (call inside force_locale)."""
    paragraphs = []
    for block in text.split("\n\n"):
        escaped = str(escape(block))
        linked = _URL.sub(lambda m: f'<a href="{m.group(0)}">{m.group(0)}</a>', escaped)
        paragraphs.append(f"<p>{linked.replace(chr(10), '<br>')}</p>")
    pay = escape(gettext("View and pay"))
    button = (f'<p><a href="{escape(context.get("link", ""))}" style="display:inline-block;'
              f'padding:12px 20px;background:#0b5cad;color:#fff;border-radius:6px;'
              f'text-decoration:none">{pay}</a></p>')
    notice = escape(gettext("You receive this reminder because you have an account with us."))
    stop = escape(gettext("Stop these reminders"))
    footer = (f'<p style="color:#666;font-size:12px">{notice} '
              f'<a href="{escape(context.get("unsubscribe", ""))}">{stop}</a></p>')
    pixel = context.get("pixel")
    img = f'<img src="{escape(pixel)}" width="1" height="1" alt="">' if pixel else ""
    lang = escape(context.get("lang", "es"))
    body = "".join(paragraphs) + button + footer + img
    return (f'<!doctype html><html lang="{lang}"><body style="font-family:sans-serif;'
            f'line-height:1.5;max-width:560px">{body}</body></html>')


def render_parts(tone: str, channel: str, debtor, due_on: date, amount_minor: int,
                 currency: str, reference: str, today: date, kind: str,
                 extra: dict | None = None) -> tuple[str, str, str]:
    """(subject, text, html) for one message, rendered in the debtor's locale."""
    locale = ui_locale(debtor.locale)
    subject, body = template_source(tone, channel, locale, kind)
    with force_locale(locale):
        context = build_context(debtor, due_on, amount_minor, currency, reference, today, kind,
                                extra)
        context["lang"] = locale.replace("_", "-")
        subject_text, text = render_text(subject, body, context)
        html = render_html(text, context) if channel == "email" else ""
        text = with_unsubscribe(text, channel, context.get("unsubscribe") or "")
    return subject_text, text, html


def with_unsubscribe(text: str, channel: str, url: str) -> str:
    """Every message carries its opt-out link: the email's text part gets the footer the HTML
    part has, and a (staff-edited) short text that dropped `{{ unsubscribe }}` gets it back
    (call inside force_locale)."""
    if not url or url in text:
        return text
    stop = gettext("Stop these reminders")
    if channel == "email":
        notice = gettext("You receive this reminder because you have an account with us.")
        return f"{text}\n\n--\n{notice}\n{stop}: {url}"
    return f"{text} {stop}: {url}"


def _key(message_or_key) -> tuple[str, str, str, int | None]:
    """(tone, channel, kind, message id) from a Message, a dict, a tuple or 'tone:channel'."""
    if isinstance(message_or_key, str):
        tone, channel = message_or_key.split(":", 1)
        return tone, channel, "pre_due", None
    if isinstance(message_or_key, dict):
        return (message_or_key.get("tone", "neutral"), message_or_key["channel"],
                message_or_key.get("kind", "pre_due"), None)
    if isinstance(message_or_key, tuple):
        return (*message_or_key[:2], message_or_key[2] if len(message_or_key) > 2 else "pre_due",
                None)
    return message_or_key.tone, message_or_key.channel, message_or_key.template, \
        message_or_key.id


def render_message(message_or_key, debtor, invoice, context: dict | None = None
                   ) -> tuple[str, str, str]:
    """(subject, text, html) for a Message (or a tone/channel key) in the debtor's locale.

    `invoice` gives the due date, balance and reference; without one (plan instalments)
    `context` must hold due_on, amount_minor, currency and reference. Personal links (the
    signed account link with the message id, and the unsubscribe link) are issued here
    unless `context` already holds `link`/`unsubscribe`; the caller commits.
    """
    from alerts.calendar import zone
    from portal.links import account_url, unsubscribe_url

    tone, channel, kind, message_id = _key(message_or_key)
    extra = dict(context or {})
    if invoice is not None:
        extra.setdefault("due_on", invoice.due_on)
        extra.setdefault("amount_minor", invoice.amount_minor - invoice.paid_minor)
        extra.setdefault("currency", invoice.currency)
        extra.setdefault("reference", invoice.external_id)
    if "link" not in extra:
        extra["link"] = account_url(debtor, message_id)
    if "unsubscribe" not in extra:
        extra["unsubscribe"] = unsubscribe_url(debtor, message_id)
    if "today" not in extra:
        from portal.models import utcnow

        extra["today"] = utcnow().astimezone(zone(debtor.timezone)).date()
    fixed = {k: extra.pop(k) for k in ("due_on", "amount_minor", "currency", "reference",
                                         "today")}
    return render_parts(tone, channel, debtor, fixed["due_on"], fixed["amount_minor"],
                        fixed["currency"], fixed["reference"], fixed["today"], kind, extra)


def preview_template(tone: str, channel: str, locale: str, subject: str | None = None,
                     body: str | None = None) -> dict:
    """Render a template (the given draft, or the one in force) for a sample debtor."""
    from types import SimpleNamespace

    from portal.models import utcnow

    if subject is None or body is None:
        subject, body = template_source(tone, channel, locale)
    problems = validate_template(subject, body)
    if problems:
        return {"subject": "", "text": "", "html": "", "problems": problems}
    sample_locale = {"es": "es_CO", "pt_BR": "pt_BR", "en": "en_US"}.get(locale, locale)
    currency = {"es": "COP", "pt_BR": "BRL"}.get(locale, "USD")
    debtor = SimpleNamespace(name="María Pérez", locale=sample_locale, timezone="UTC")
    today = utcnow().date()
    base = current_app.config["BASE_URL"].rstrip("/")
    with force_locale(locale):
        context = build_context(debtor, today.fromordinal(today.toordinal() + 3), 125_000_00,
                                currency, "F-2026-0042", today, "pre_due",
                                {"link": f"{base}/l/sample", "unsubscribe": f"{base}/u/sample"})
        context["lang"] = locale.replace("_", "-")
        subject_text, text = render_text(subject, body, context)
        html = render_html(text, context) if channel == "email" else ""
        text = with_unsubscribe(text, channel, context["unsubscribe"])
    return {"subject": subject_text, "text": text, "html": html, "problems": []}
