"""Page weight, security headers, error pages and the `saldo link` command."""

from __future__ import annotations

import re
import secrets

from sqlalchemy import select

from portal.models import AccessLink
from tests.factories import make_invoice
from tests.portal.conftest import days, link_for, post_form, today_bogota

ASSET = re.compile(r'(?:href|src)="(/static/[^"]+\.(?:css|js))"')
LIMIT = 100 * 1024


def _weight(client, url: str) -> int:
    """Bytes of the page plus the CSS and JS it references (images excluded)."""
    response = client.get(url)
    assert response.status_code == 200, url
    total = len(response.data)
    for asset in set(ASSET.findall(response.get_data(as_text=True))):
        with client.get(asset) as static:
            total += len(static.data)
    return total


def test_pages_stay_under_100_kb(app, signed_client, db, debtor):
    app.config["VAPID_PUBLIC_KEY"] = "BKey"
    today = today_bogota()
    invoices = [make_invoice(debtor, issued_on=today - days(n), due_on=today + days(30 - n),
                             description=f"Mes {n}") for n in range(40)]
    db.session.commit()
    first = invoices[0].id
    pages = ["/account", f"/invoices/{first}", f"/invoices/{first}/print",
             f"/invoices/{first}/promise", f"/invoices/{first}/dispute", "/preferences"]
    for url in pages:
        weight = _weight(signed_client, url)
        assert weight < LIMIT, (url, weight)
    post_form(signed_client, "/signout", form_url="/account")
    for url in ["/link", link_for(debtor)]:
        assert _weight(signed_client, url) < LIMIT, url


def test_security_headers(client, debtor):
    response = client.get(link_for(debtor))
    csp = response.headers["Content-Security-Policy"]
    script = next(p for p in csp.split(";") if p.strip().startswith("script-src"))
    assert "unsafe-inline" not in script and "frame-ancestors 'none'" in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Cache-Control"] == "private, no-store"
    assert "<script>" not in response.get_data(as_text=True)  # no inline scripts at all


def test_hsts_and_secure_cookies_in_production(tmp_path, monkeypatch):
    from portal import ProductionConfig, create_app

    monkeypatch.setenv("SECRET_KEY", secrets.token_urlsafe(48))
    monkeypatch.setenv("SALDO_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setattr(ProductionConfig, "SECRET_KEY", secrets.token_urlsafe(48))
    app = create_app(ProductionConfig)
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["REMEMBER_COOKIE_SECURE"]
    assert app.config["SESSION_COOKIE_HTTPONLY"]
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    response = app.test_client().get("/link")
    assert "max-age" in response.headers["Strict-Transport-Security"]


def test_friendly_404_in_the_visitors_language(client):
    response = client.get("/nothing-here", headers={"Accept-Language": "pt-BR"})
    assert response.status_code == 404
    assert "Não encontramos essa página" in response.get_data(as_text=True)
    api = client.get("/nothing-here", headers={"Accept": "application/json"})
    assert api.status_code == 404 and api.json["error"]


def test_link_command_prints_a_working_link(app, runner, client, db, debtor):
    result = runner.invoke(args=["link", debtor.external_id])
    assert result.exit_code == 0, result.output
    url = result.output.strip().splitlines()[0]
    assert url.startswith("http://localhost/l/")
    assert db.session.scalar(select(AccessLink)).debtor_id == debtor.id
    assert client.get(url.removeprefix("http://localhost")).status_code == 200
    missing = runner.invoke(args=["link", "NOPE"])
    assert missing.exit_code != 0 and "no customer" in missing.output


def test_demo_debtors_get_an_identity_fact_that_link_prints(app, runner, client, db):
    from portal.debtor.identity import check_identity
    from portal.demo import demo_identity_fact, seed_demo
    from portal.models import Debtor

    seed_demo(debtors=3, months=2)
    person = db.session.scalar(select(Debtor).where(Debtor.external_id == "DEMO-0002"))
    fact = demo_identity_fact(person)
    assert check_identity(person, fact) and not check_identity(person, "9999" if fact != "9999"
                                                              else "0000")
    result = runner.invoke(args=["link", "DEMO-0002"])
    assert fact in result.output and person.locale in result.output


def test_demo_links_open_three_locales(app, client, db):
    from portal.debtor.cli import demo_links
    from portal.demo import seed_demo

    seed_demo(debtors=30, months=2)
    lines = demo_links(base_url="http://127.0.0.1:5000")
    assert len(lines) == 3
    assert len({line.split()[0] for line in lines}) == 3
    for line in lines:
        path = line.split("http://127.0.0.1:5000", 1)[1].split()[0]
        fact = line.rsplit(": ", 1)[1].rstrip("]")
        response = post_form(client, path, {"answer": fact})
        assert response.status_code == 302 and response.headers["Location"].endswith("/account")
        assert client.get("/account").status_code == 200
        post_form(client, "/signout", form_url="/account")


def test_oversized_upload_gets_a_friendly_413(app, signed_client, db, debtor):
    invoice = make_invoice(debtor)
    db.session.commit()
    url = f"/invoices/{invoice.id}/dispute"
    app.config["MAX_CONTENT_LENGTH"] = 2048
    response = signed_client.post(url, data={"reason": "other", "message": "x" * 4096})
    assert response.status_code == 413
    assert "demasiado grande" in response.get_data(as_text=True)


def test_json_errors_carry_a_translated_sentence(signed_client, debtor):
    """pay.js shows `error` as it is: it must be a sentence in the debtor's language, not
    Werkzeug's English name ("Bad Request", "Too Many Requests")."""
    missing = signed_client.get("/nothing-here", headers={"Accept": "application/json"})
    assert missing.status_code == 404
    assert missing.json["error"] == "La página no existe o no es parte de tu cuenta."
    stale = signed_client.post("/pay/start", data={"choice": "balance"},
                               headers={"Accept": "application/json",
                                        "X-CSRFToken": "expired"})
    assert stale.status_code == 400 and stale.json["code"] == 400
    assert "Inténtalo de nuevo" in stale.json["error"]
    assert "Bad Request" not in stale.json["error"]
