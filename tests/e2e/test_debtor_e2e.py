"""The debtor's walk on a phone (360×740) in real Chromium: link → identity check → balance
in es-CO format → promise to pay → dispute another invoice → preferences → unsubscribe."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.links import issue_token
from portal.models import Debtor, Dispute, Message, PromiseToPay
from tests.e2e.conftest import layout_problems, shot
from tests.factories import deliver, make_invoice
from tests.portal.conftest import FACT, identified_debtor, today_bogota

pytestmark = pytest.mark.e2e
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _seed():
    today = today_bogota()
    debtor = identified_debtor(name="Camila Restrepo")
    first = make_invoice(debtor, issued_on=today - timedelta(days=40),
                         due_on=today - timedelta(days=10), amount_minor=2_000_000_00,
                         description="Servicio octubre")
    second = make_invoice(debtor, issued_on=today - timedelta(days=5),
                          due_on=today + timedelta(days=3), amount_minor=500_000_00,
                          description="Servicio noviembre")
    message = Message(debtor_id=debtor.id, invoice_id=second.id, channel="email",
                      template="reminder", rule="lead", reason="due_soon", dedupe_key="e2e-1",
                      status="sent", send_at=datetime.now(UTC), sent_at=datetime.now(UTC))
    db.session.add(message)
    db.session.flush()
    account = issue_token(debtor, "account", message.id)
    unsubscribe = issue_token(debtor, "unsubscribe", message.id)
    ids = (debtor.id, first.id, second.id, message.id)
    db.session.commit()
    db.session.remove()
    return ids, account, unsubscribe


def _check_layout(page, name):
    shot(page, name)
    assert layout_problems(page) == [], name


def test_debtor_walk_on_a_phone(app, live_server, phone_page, tmp_path):
    (debtor_id, first_id, second_id, message_id), account, unsubscribe = _seed()
    app.config["VAPID_PUBLIC_KEY"] = (
        "BEl62iUYgUivxIkv69yViEuiBIa-Ib9-SkvMeAtA3LFgDzkrxZJjSgSnfckjBJuBkr3qBUYIHBQFLXYp5Nksh8U")
    page = phone_page
    console_errors = []
    page.on("console", lambda msg: msg.type == "error" and console_errors.append(msg.text))

    page.goto(f"{live_server}/l/{account}")
    assert page.locator("h1").inner_text() == "Confirma que eres tú"
    _check_layout(page, "01-identity")
    page.get_by_label("Últimos 4 dígitos de tu número de documento").fill("0000")
    page.get_by_role("button", name="Continuar").click()
    assert "no coincide" in page.inner_text("main")
    page.get_by_label("Últimos 4 dígitos de tu número de documento").fill(FACT)
    page.get_by_role("button", name="Continuar").click()

    page.wait_for_url("**/account")
    total = page.get_by_test_id("total-due").inner_text()
    assert "$\u00a02.500.000" in total
    _check_layout(page, "02-account")

    page.get_by_role("link", name="Servicio octubre").click()
    page.get_by_role("link", name="Promesa de pago").click()
    promised_on = today_bogota() + timedelta(days=5)
    page.get_by_label("Pagaré el").fill(promised_on.isoformat())
    _check_layout(page, "03-promise-form")
    page.get_by_role("button", name="Confirmar mi promesa").click()
    assert "$\u00a02.000.000" in page.get_by_test_id("promise-summary").inner_text()
    _check_layout(page, "04-promise-done")

    page.get_by_role("link", name="Volver a tu cuenta").click()
    assert "Prometida" in page.inner_text("main")
    page.get_by_role("link", name="Servicio noviembre").click()
    page.get_by_role("link", name="Reclamar esta factura").click()
    page.get_by_label("Motivo").select_option("already_paid")
    page.get_by_label("Cuéntanos qué pasó").fill("Pagué por transferencia el lunes.")
    receipt = tmp_path / "comprobante.pdf"
    receipt.write_bytes(PDF)
    page.get_by_label("Archivo adjunto (PDF, JPEG o PNG, hasta 5 MB)").set_input_files(
        str(receipt))
    _check_layout(page, "05-dispute-form")
    seen = len(console_errors)
    page.get_by_role("button", name="Enviar reclamo").click()  # not confirmed yet: refused
    assert "Marca la casilla" in page.inner_text("main")
    assert all("400" in e for e in console_errors[seen:])  # the refusal is a 400 page
    del console_errors[seen:]
    page.get_by_label("Motivo").select_option("already_paid")
    page.get_by_label("Cuéntanos qué pasó").fill("Pagué por transferencia el lunes.")
    page.get_by_label("Archivo adjunto (PDF, JPEG o PNG, hasta 5 MB)").set_input_files(
        str(receipt))
    page.get_by_label("Sí, quiero reclamar esta factura", exact=False).check()
    page.get_by_role("button", name="Enviar reclamo").click()
    assert page.locator("h1").inner_text() == "Recibimos tu reclamo"
    _check_layout(page, "06-dispute-done")

    page.get_by_role("link", name="Preferencias").click()
    page.get_by_label("SMS", exact=True).uncheck()
    page.get_by_label("Canal preferido").select_option("email")
    page.get_by_label("No me contacten antes de").fill("09:00")
    page.get_by_label("No me contacten después de").fill("19:00")
    _check_layout(page, "07-preferences")
    page.get_by_role("button", name="Guardar preferencias").click()
    assert "Guardamos tus preferencias." in page.inner_text("main")
    # notify.js ran (no CSP violation), registered the service worker and offers the button.
    page.get_by_role("button", name="Avisarme").wait_for(state="visible")
    assert console_errors == []

    page.goto(f"{live_server}/u/{unsubscribe}")
    _check_layout(page, "08-unsubscribe")
    page.get_by_role("button", name="Cancelar suscripción").click()
    assert page.locator("h1").inner_text() == "Cancelaste tu suscripción"
    _check_layout(page, "09-unsubscribed")

    db.session.remove()
    debtor = db.session.get(Debtor, debtor_id)
    promise = db.session.scalar(select(PromiseToPay))
    dispute = db.session.scalar(select(Dispute))
    message = db.session.get(Message, message_id)
    assert (promise.invoice_id, promise.promised_on, promise.amount_minor) == (
        first_id, promised_on, 2_000_000_00)
    assert (dispute.invoice_id, dispute.reason, dispute.attachment_mime) == (
        second_id, "already_paid", "application/pdf")
    assert debtor.allow_sms is False and debtor.preferred_channel == "email"
    assert debtor.opted_out_at is not None and message.clicked_at is not None


def test_expired_link_and_get_my_link_on_a_phone(app, live_server, phone_page, smtp_server):
    debtor = identified_debtor(name="Ana Souza", locale="pt_BR", country="BR",
                               timezone="America/Sao_Paulo")
    app.config["LINK_MAX_AGE_DAYS"] = -1
    stale = issue_token(debtor)
    email = debtor.email
    db.session.commit()
    db.session.remove()
    page = phone_page

    page.goto(f"{live_server}/l/{stale}")
    assert page.locator("h1").inner_text() == "Este enlace venció"
    _check_layout(page, "10-expired-link")
    page.get_by_role("button", name="Português").click()
    assert page.locator("h1").inner_text() == "Este link expirou"
    page.get_by_role("button", name="Enviar-me um novo link").click()
    assert page.locator("h1").inner_text() == "Confira suas mensagens"
    _check_layout(page, "11-link-sent")
    app.config["LINK_MAX_AGE_DAYS"] = 7

    page.goto(f"{live_server}/link")
    _check_layout(page, "12-get-my-link")
    page.get_by_label("E-mail ou número de celular").fill("nobody@example.com")
    page.get_by_role("button", name="Enviar meu link").click()
    neutral = page.inner_text("main")
    page.goto(f"{live_server}/link")
    page.get_by_label("E-mail ou número de celular").fill(email)
    page.get_by_role("button", name="Enviar meu link").click()
    assert page.inner_text("main") == neutral
    deliver()  # the scheduler's urgent loop, within seconds of each request
    assert [m["To"] for m in smtp_server.messages] == [email, email]

    body = smtp_server.messages[-1].get_body(("plain",)).get_content()
    fresh = next(w for w in body.split() if w.startswith(live_server))
    page.goto(fresh)
    page.get_by_label("Últimos 4 dígitos do seu número de documento").fill(FACT)
    page.get_by_role("button", name="Continuar").click()
    page.wait_for_url("**/account")
    assert "Você está em dia" in page.inner_text("main")
    _check_layout(page, "13-account-pt")
