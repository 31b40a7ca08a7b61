"""Reminder copy: every tone × channel × locale renders, Babel formats, staff overrides."""

from datetime import date

import pytest

from alerts.copy import LOCALES
from alerts.settings import TONES
from alerts.templates import preview_template, render_message, validate_template
from portal.extensions import db
from portal.links import open_token
from portal.models import MessageTemplate
from tests.factories import make_debtor, make_invoice

CHANNELS = ("email", "sms", "whatsapp", "push")


@pytest.mark.parametrize("locale, amount, when", [
    ("es_CO", "$\u00a0150.000", "vence en 3 días, el 4 de diciembre de 2026"),
    ("pt_BR", "R$\u00a0150.000,00", "vence em 3 dias, em 4 de dezembro de 2026"),
    ("en_US", "$150,000.00", "is due in 3 days, on December 4, 2026"),
])
def test_rendered_in_the_debtors_locale_with_babel_formats(app, locale, amount, when):
    currency = {"pt_BR": "BRL", "en_US": "USD"}.get(locale, "COP")
    debtor = make_debtor(name="Ana Gómez", locale=locale)
    invoice = make_invoice(debtor, external_id="F-9", due_on=date(2026, 12, 4), currency=currency)
    subject, text, html = render_message(("gentle", "email", "pre_due"), debtor, invoice,
                                         {"today": date(2026, 12, 1)})
    assert "F-9" in subject
    assert amount in text and when in text and "Ana" in text
    assert "/l/" in text and "/u/" in html
    assert html.startswith("<!doctype html>") and "<a href=" in html
    # The links are real signed links to this debtor.
    token = text.split("/l/")[1].split()[0]
    assert open_token(token, "account").debtor.id == debtor.id


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("tone", TONES)
@pytest.mark.parametrize("channel", CHANNELS)
def test_every_shipped_template_renders(app, locale, tone, channel):
    result = preview_template(tone, channel, locale)
    assert result["problems"] == []
    assert "María" in result["text"] and "F-2026-0042" in result["text"]
    assert "/u/sample" in result["text"] or channel == "email"
    assert bool(result["html"]) == (channel == "email")
    if channel != "email":
        assert len(result["text"]) < 400


def test_overdue_and_due_today_phrasing(app):
    debtor = make_debtor(locale="es_CO")
    invoice = make_invoice(debtor, due_on=date(2026, 12, 4))
    _, today_text, _ = render_message(("neutral", "sms", "due_today"), debtor, invoice,
                                      {"today": date(2026, 12, 4), "link": "L",
                                       "unsubscribe": "U"})
    assert "vence hoy" in today_text
    _, late_text, _ = render_message(("firm", "sms", "overdue"), debtor, invoice,
                                     {"today": date(2026, 12, 11), "link": "L",
                                      "unsubscribe": "U"})
    assert "venció hace 7 días" in late_text


def test_staff_override_is_used_and_sandboxed(app):
    db.session.add(MessageTemplate(tone="neutral", channel="sms", locale="es",
                                   subject="", body="Hola {{ name }}: {{ amount }} {{ link }}"))
    db.session.commit()
    debtor = make_debtor(name="Luis Díaz", locale="es_CO")
    invoice = make_invoice(debtor)
    _, text, _ = render_message("neutral:sms", debtor, invoice, {"link": "https://x/l/1",
                                                                "unsubscribe": "https://x/u/1"})
    # The override dropped {{ unsubscribe }}: the opt-out link is added back, never lost.
    assert text == ("Hola Luis: $\u00a0150.000 https://x/l/1 "
                    "No recibir más recordatorios: https://x/u/1")


@pytest.mark.parametrize("locale, stop", [("es_CO", "No recibir más recordatorios"),
                                          ("pt_BR", "Não receber mais lembretes"),
                                          ("en", "Stop these reminders")])
def test_every_email_text_part_carries_the_unsubscribe_link(app, locale, stop):
    debtor = make_debtor(locale=locale)
    invoice = make_invoice(debtor)
    _, text, html = render_message("gentle:email", debtor, invoice,
                                   {"link": "https://x/l/1", "unsubscribe": "https://x/u/9"})
    assert "https://x/u/9" in html
    assert text.rstrip().endswith("https://x/u/9")
    if stop:
        assert stop in text


def test_validate_template_reports_unknown_placeholders_and_syntax_errors():
    assert validate_template("Factura {{ invoice }}", "Hola {{ name }} {{ link }}") == []
    problems = validate_template("{{ invoice", "Hola {{ nombre }} {{ config.SECRET_KEY }}")
    assert any("line 1" in p for p in problems)
    assert any("{{ nombre }}" in p for p in problems)
    assert any("{{ config }}" in p for p in problems)
    assert validate_template("x", "  ") == ["The body must not be empty."]


def test_preview_of_a_broken_draft_returns_problems_not_an_exception(app):
    result = preview_template("gentle", "email", "es", "Hola", "{% for %}")
    assert result["problems"] and result["text"] == ""


@pytest.mark.parametrize("locale, word, wrong", [("es_CO", "cuota #2", "factura"),
                                                 ("pt_BR", "parcela #2", "fatura"),
                                                 ("en", "instalment #2", "invoice")])
@pytest.mark.parametrize("channel", ["email", "sms"])
def test_plan_instalment_reminders_speak_of_the_instalment_not_an_invoice(app, locale, word,
                                                                          wrong, channel):
    debtor = make_debtor(locale=locale)
    subject, text, _ = render_message(
        ("neutral", channel, "installment"), debtor, None,
        {"due_on": date(2026, 12, 4), "amount_minor": 50_000_00, "currency": "COP",
         "reference": "#2", "today": date(2026, 12, 2), "link": "https://x/l/1",
         "unsubscribe": "https://x/u/1"})
    assert word in text and wrong not in text.lower()
    assert "#2" in subject and wrong not in subject.lower()
    assert "https://x/l/1" in text and "https://x/u/1" in text


def test_the_template_sandbox_refuses_huge_repeats_and_powers():
    from jinja2.exceptions import SecurityError

    from alerts.templates import _ENV

    assert _ENV.from_string("{{ '-' * 3 }}{{ 2 ** 3 }}{{ 3 * 4 }}").render() == "---812"
    for source in ("{{ 'a' * 10 ** 9 }}", "{{ [1] * 100000 }}", "{{ 100000 * 'a' }}",
                   "{{ 2 ** 100000 }}"):
        with pytest.raises(SecurityError):
            _ENV.from_string(source).render()
