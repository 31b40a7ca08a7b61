import json
import logging
import secrets

import pytest

from portal import create_app
from portal.config import ProductionConfig, normalise_database_url
from portal.logging import JsonFormatter, redact


def test_production_refuses_to_start_without_secret_key(monkeypatch, tmp_path):
    monkeypatch.setenv("SALDO_INSTANCE_PATH", str(tmp_path))
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setattr(ProductionConfig, "SECRET_KEY", None)
    with pytest.raises(RuntimeError, match="SECRET_KEY is not set"):
        create_app(ProductionConfig)


def test_development_generates_a_secret_once(monkeypatch, tmp_path):
    monkeypatch.setenv("SALDO_INSTANCE_PATH", str(tmp_path))
    monkeypatch.delenv("SECRET_KEY", raising=False)
    first = create_app({"SECRET_KEY": None}).config["SECRET_KEY"]
    second = create_app({"SECRET_KEY": None}).config["SECRET_KEY"]
    assert first == second and len(first) >= 40
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_database_url_defaults_to_instance_sqlite_and_uses_psycopg(monkeypatch, tmp_path):
    monkeypatch.setenv("SALDO_INSTANCE_PATH", str(tmp_path))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    app = create_app({"SQLALCHEMY_DATABASE_URI": None, "SECRET_KEY": "x"})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path}/saldo.db"
    assert normalise_database_url("postgres://u@h/d") == "postgresql+psycopg://u@h/d"


def test_redaction_masks_cards_tokens_emails_and_phones():
    text = redact(
        "card 4242 4242 4242 4242 key sk_test_abcdef123456 mail ana.silva@example.com "
        "phone +57 300 123 4567"
    )
    assert "4242 4242" not in text and "[card]" in text
    assert "sk_test_abcdef" not in text
    assert "ana.silva@" not in text and "a***@example.com" in text
    assert "300 123" not in text and "***67" in text


def test_json_formatter_redacts_sensitive_extras():
    record = logging.makeLogRecord(
        {"msg": "link for %s", "args": ("bob@example.com",), "levelname": "INFO",
         "name": "saldo", "token": "abc.def.ghi", "debtor": "C-1"}
    )
    payload = json.loads(JsonFormatter().format(record))
    assert payload["message"] == "link for b***@example.com"
    assert payload["token"] == "[redacted]"
    assert payload["debtor"] == "C-1"


def _production_app(monkeypatch, tmp_path, **overrides):
    monkeypatch.setenv("SALDO_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setattr(ProductionConfig, "SECRET_KEY", secrets.token_urlsafe(48))
    monkeypatch.setattr(ProductionConfig, "SQLALCHEMY_DATABASE_URI", f"sqlite:///{tmp_path}/p.db")
    for name, value in overrides.items():
        monkeypatch.setattr(ProductionConfig, name, value)
    return create_app(ProductionConfig)


def test_production_defaults_to_real_stripe_and_switches_payment_off_without_keys(
        monkeypatch, tmp_path):
    for name in ("STRIPE_SECRET_KEY", "STRIPE_API_BASE", "STRIPE_JS_URL"):
        monkeypatch.delenv(name, raising=False)
    app = _production_app(monkeypatch, tmp_path, STRIPE_SECRET_KEY=None)
    assert not app.config["STRIPE_API_BASE"]  # no local fake in production
    assert app.config["STRIPE_JS_URL"] == "https://js.stripe.com/v3/"
    assert "payments.pay_form" not in app.view_functions
    assert not any(rule.rule == "/webhooks/stripe" for rule in app.url_map.iter_rules())
    keyed = _production_app(monkeypatch, tmp_path / "k", STRIPE_SECRET_KEY="sk_live_x")
    assert "payments.pay_form" in keyed.view_functions


def test_proxy_count_makes_the_client_address_the_forwarded_one(monkeypatch, tmp_path):
    from flask import request

    monkeypatch.setenv("SALDO_INSTANCE_PATH", str(tmp_path))
    seen = []
    for hops in (0, 1):
        app = create_app({"SECRET_KEY": "x", "PROXY_COUNT": hops,
                          "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.db"})
        app.add_url_rule("/ip", "ip", lambda: request.remote_addr or "")
        response = app.test_client().get(
            "/ip", headers={"X-Forwarded-For": "203.0.113.9"},
            environ_base={"REMOTE_ADDR": "10.0.0.2"})
        seen.append(response.get_data(as_text=True))
    assert seen == ["10.0.0.2", "203.0.113.9"]


def test_starting_the_app_does_not_load_scikit_learn(tmp_path):
    """A command (an import, a migration) starts the app: it must not pay a second and
    130 MB for the reply model's libraries, which load on the first question instead (and in
    gunicorn's master through `portal.warm_up`)."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    code = ("import sys; from portal import create_app; create_app(); "
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'sklearn'))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=Path(__file__).resolve().parents[1], check=True,
                         env={**os.environ, "SALDO_INSTANCE_PATH": str(tmp_path)})
    assert out.stdout.strip().splitlines()[-1] == "[]"
