"""The per-request shortcuts the account page uses (issue 17) give the same words and formats
as Flask-Babel would: they follow `force_locale`, `refresh` and the next request, and the
formatted strings they keep are per locale."""

from __future__ import annotations

from datetime import date

from babel.dates import format_date
from flask_babel import force_locale, refresh

from payments.money import format_money
from portal.debtor.format import money, short_date, status_label, status_tag
from portal.i18n import gettext, pgettext, translations
from tests.factories import make_debtor, make_invoice, sign_in

PAGE = '{{ _("Due soon") }}|{{ pgettext("invoice status", "Paid") }}'


def test_templates_and_code_follow_force_locale(app):
    template = app.jinja_env.from_string(PAGE)
    with app.test_request_context("/", headers={"Accept-Language": "es"}):
        app.preprocess_request()
        assert template.render() == "Vence pronto|Pagada"
        assert translations() is translations()  # kept for the request
        with force_locale("pt_BR"):
            assert template.render() == "Vence em breve|Paga"
            assert gettext("Due soon") == "Vence em breve"
            with force_locale("en"):
                assert pgettext("invoice status", "Paid") == "Paid"
            assert status_label("paid") == "Paga"
        assert template.render() == "Vence pronto|Pagada"
        assert gettext("Due %(date)s", date="x") == "Vence el x"


def test_refresh_and_a_new_request_choose_again(app):
    """(The app fixture keeps one app context, so `g` outlives a request here; the portal's
    before-request hook, run by preprocess_request, refreshes Flask-Babel's choice.)"""
    template = app.jinja_env.from_string(PAGE)
    for language, words in (("es", "Vence pronto|Pagada"), ("pt-BR", "Vence em breve|Paga"),
                            ("en", "Due soon|Paid"), ("es", "Vence pronto|Pagada")):
        with app.test_request_context("/", headers={"Accept-Language": language}):
            app.preprocess_request()
            assert template.render() == words
            assert translations().ugettext("Due soon") == words.split("|")[0]
            refresh()
            assert template.render() == words


def test_kept_money_and_dates_are_per_locale(app):
    day = date(2026, 12, 4)
    for language, locale in (("es", "es"), ("pt-BR", "pt_BR"), ("en", "en"), ("es", "es")):
        with app.test_request_context("/", headers={"Accept-Language": language}):
            app.preprocess_request()
            assert money(122800050, "COP") == format_money(122800050, "COP", locale)
            assert short_date(day) == format_date(day, format="medium", locale=locale)
    assert len({format_money(122800050, "COP", name) for name in ("es", "pt_BR", "en")}) == 3


def test_the_status_tag_escapes_and_translates(app):
    with app.test_request_context("/", headers={"Accept-Language": "es"}):
        app.preprocess_request()
        assert str(status_tag("overdue")) == '<span class="tag tag-overdue">Vencida</span>'
        assert str(status_tag("<x>")) == '<span class="tag tag-&lt;x&gt;">&lt;x&gt;</span>'


def test_the_account_page_speaks_the_debtors_language_after_another_debtors(app, client, db):
    """Two debtors in turn on one process: each page in its own language and format."""
    colombian = make_debtor(locale="es_CO", country="CO")
    brazilian = make_debtor(locale="pt_BR", country="BR", timezone="America/Sao_Paulo")
    make_invoice(colombian, amount_minor=250000000, currency="COP", description="2026-11")
    make_invoice(brazilian, amount_minor=123450, currency="BRL", description="2026-11")
    db.session.commit()
    for debtor, words in ((colombian, ("$\u00a02.500.000", "Factura de noviembre de 2026")),
                          (brazilian, ("R$\u00a01.234,50", "Fatura de novembro de 2026")),
                          (colombian, ("$\u00a02.500.000", "Factura de noviembre de 2026"))):
        sign_in(client, debtor)
        page = client.get("/account").get_data(as_text=True)
        for text in words:
            assert text in page, (debtor.locale, text)
