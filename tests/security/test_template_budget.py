"""The template editor cannot exhaust the server: every attack from the issue stops at a
budget with a clear error for staff, and the dispatcher fails only that message."""

from __future__ import annotations

import html

import pytest
from flask_babel import force_locale

from alerts.templates import render_text
from portal.extensions import db
from portal.models.alerts import MessageTemplate
from tests.staff.conftest import csrf_token

URL = "/staff/templates/gentle/sms/es"

# (template body, the budget it hits)
ATTACKS = [
    ("{{ 'a'*10000*10000 }}", "value"),
    ("{{ name|center(1000000000) }}", "width"),
    ("{{ name.center(1000000000) }}", "width"),
    ("{{ name.ljust(100000000) }}{{ name.rjust(100000000) }}", "width"),
    ("{{ '{:>1000000000}'.format(name) }}", "width"),
    ("{{ '{0:>{1}}'.format(name, 1000000000) }}", "width"),
    ("{{ '%-1000000000s' % name }}", "width"),
    ("{{ '%*s' % (1000000000, name) }}", "width"),
    ("{{ '%1000000000s'|format(name) }}", "width"),
    ("{% for i in range(100000) %}{% for j in range(100000) %}{{ i }}{% endfor %}{% endfor %}",
     "iterations"),
    ("{% for a in 'x' * 5000 %}{% for b in 'y' * 5000 %}{% endfor %}{% endfor %}",
     "iterations"),
    ("{{ range(1000000000)|list }}", "iterations"),
    ("{% set ns = namespace(t='ab') %}{% for i in range(40) %}{% set ns.t = ns.t ~ ns.t %}"
     "{% endfor %}{{ ns.t }}", "value"),
    ("{% set ns = namespace(t=[1]) %}{% for i in range(40) %}{% set ns.t = ns.t + ns.t %}"
     "{% endfor %}", "value"),
    ("{% set ns = namespace(n=99) %}{% for i in range(40) %}{% set ns.n = ns.n * ns.n %}"
     "{% endfor %}", "number"),
    ("{{ 9 ** 64 ** 64 }}", "number"),
    ("{{ ('x' * 10000).join(['a'] * 10000) }}", "value"),
    ("{{ ('x' * 1000).replace('', 'y' * 1000) }}", "value"),
    ("{{ (['a'] * 10000)|join('x' * 5000) }}", "value"),
    ("{% for i in range(999) %}{{ 'a' * 19000 }}{% endfor %}", "output"),
]


@pytest.mark.parametrize("body, kind", ATTACKS, ids=[a[0][:40] for a in ATTACKS])
def test_each_attack_stops_at_its_budget(app, body, kind):
    from alerts.sandbox import RenderBudgetError

    with pytest.raises(RenderBudgetError) as stopped:
        render_text("Aviso", body, {"name": "Ana"})
    assert stopped.value.kind == kind


def test_the_editor_answers_each_attack_with_a_clear_error(app, staff_client):
    from alerts.sandbox import RenderBudgetError

    client, _ = staff_client("analyst")
    for body, kind in ATTACKS:
        response = client.post(URL, data={"subject": "", "body": body, "action": "save",
                                          "csrf_token": csrf_token(client, URL)})
        page = html.unescape(response.get_data(as_text=True))
        assert response.status_code == 400, body
        assert "The template cannot be rendered" in page, body
        assert RenderBudgetError(kind).describe() in page, body
    assert db.session.query(MessageTemplate).count() == 0
    assert client.get("/staff/templates").status_code == 200  # the console is still there


@pytest.mark.parametrize("locale, words", [("es", "bucles de la plantilla"),
                                           ("pt_BR", "laços do modelo"),
                                           ("en", "template's loops")])
def test_the_error_is_translated(app, locale, words):
    from alerts.sandbox import MAX_ITERATIONS, RenderBudgetError

    with force_locale(locale):
        text = RenderBudgetError("iterations").describe()
    assert words in text and str(MAX_ITERATIONS) in text


def test_ordinary_templates_still_render(app):
    subject, text = render_text(
        "Factura {{ invoice }}",
        "{{ name|upper }} debe {{ amount }}{% if name %}.{% endif %} {{ '%05.1f' % 3.14 }} "
        "{{ '{:>6}'.format(invoice) }} {% for w in name.split() %}[{{ w }}]{% endfor %}",
        {"name": "Ana María", "amount": "$ 10", "invoice": "F-1"})
    assert subject == "Factura F-1"
    assert text == "ANA MARÍA debe $ 10. 003.1    F-1 [Ana][María]"


def test_a_stored_attack_fails_only_its_message_in_the_dispatcher(app):
    """A template saved before the budget existed: its message fails, the next one goes."""
    from alerts.outbox import dispatch
    from portal.models import Message
    from tests.alerts.conftest import queue
    from tests.factories import make_debtor, make_invoice

    db.session.add(MessageTemplate(tone="firm", channel="email", locale="es", subject="Aviso",
                                   body=ATTACKS[9][0]))
    hostile_debtor, fine_debtor = make_debtor(), make_debtor()
    hostile = queue(hostile_debtor, make_invoice(hostile_debtor), tone="firm")
    fine = queue(fine_debtor, make_invoice(fine_debtor))
    db.session.commit()
    sent = []

    class Recorder:
        def send(self, outgoing):
            sent.append(outgoing.message_id)
            return f"ok-{outgoing.message_id}"

        def close(self):
            return None

    counts = dispatch(channels={"email": Recorder()})
    assert counts["sent"] == 1 and counts["failed"] == 1 and sent == [fine.id]
    row = db.session.get(Message, hostile.id)
    assert row.status == "failed" and "RenderBudgetError" in row.last_error
