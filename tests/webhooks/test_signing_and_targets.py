"""Signatures verify like Stripe's; private, loopback and link-local targets are refused."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from portal.webhooks.signing import sign, verify
from portal.webhooks.targets import TargetError, check_url, resolve, validate

README = Path(__file__).resolve().parents[2] / "README.md"


def test_signature_round_trip_and_tampering():
    body = b'{"id":"evt_1","type":"payment.succeeded"}'
    header = sign("whsec_abc", body)
    assert re.fullmatch(r"t=\d+,v1=[0-9a-f]{64}", header)
    assert verify("whsec_abc", header, body)
    assert not verify("whsec_abc", header, body + b" ")
    assert not verify("whsec_other", header, body)
    old = sign("whsec_abc", body, timestamp=int(time.time()) - 3600)
    assert not verify("whsec_abc", old, body)
    assert not verify("whsec_abc", "garbage", body)


def readme_snippet() -> str:
    match = re.search(r"<!-- webhook-verify -->\s*```python\n(.*?)```", README.read_text(), re.S)
    assert match, "README has no webhook verification snippet"
    return match.group(1)


def test_readme_verification_snippet_accepts_ours_and_refuses_forgeries():
    namespace: dict = {}
    exec(compile(readme_snippet(), "README.md", "exec"), namespace)  # noqa: S102
    check = namespace["verify_saldo_signature"]
    body = b'{"id":"evt_9"}'
    assert check(body, sign("whsec_k", body), "whsec_k") is True
    assert check(body, sign("whsec_k", body), "whsec_wrong") is False
    stale = sign("whsec_k", body, timestamp=int(time.time()) - 600)
    assert check(body, stale, "whsec_k") is False
    assert check(b'{"id":"evt_8"}', sign("whsec_k", body), "whsec_k") is False


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:9/x", "http://localhost/x", "http://10.1.2.3/", "http://192.168.0.10/",
    "http://172.16.5.4/", "http://169.254.169.254/latest/meta-data", "http://[::1]/",
    "http://[fe80::1]/", "http://0.0.0.0/", "http://[::ffff:127.0.0.1]/", "http://224.0.0.1/",
])
def test_private_targets_are_refused_outside_development(app, url):
    app.config["WEBHOOKS_ALLOW_PRIVATE"] = False
    with pytest.raises(TargetError):
        validate(url)


def test_development_mode_allows_loopback(app):
    app.config["WEBHOOKS_ALLOW_PRIVATE"] = True
    assert resolve("127.0.0.1", 80) == "127.0.0.1"


@pytest.mark.parametrize("url", ["ftp://example.com/", "https://user:pw@example.com/",
                                 "not a url", "https://example.com:99999/"])
def test_bad_urls_are_refused(url):
    with pytest.raises(TargetError):
        check_url(url)


def test_public_addresses_are_allowed(app):
    from portal.webhooks.targets import _allowed

    app.config["WEBHOOKS_ALLOW_PRIVATE"] = False
    assert _allowed("8.8.8.8") and _allowed("2606:4700::1111")
    assert not _allowed("100.64.0.1")  # carrier-grade NAT is not public either


def test_production_refuses_private_targets_even_when_asked(monkeypatch):
    import importlib

    import portal.config as config

    monkeypatch.delenv("SALDO_WEBHOOKS_ALLOW_PRIVATE", raising=False)
    fresh = importlib.reload(config)
    try:
        assert fresh.ProductionConfig.WEBHOOKS_ALLOW_PRIVATE is False
        assert fresh.Config.WEBHOOKS_ALLOW_PRIVATE is True  # development: the demo's receiver
        monkeypatch.setenv("SALDO_WEBHOOKS_ALLOW_PRIVATE", "1")
        fresh = importlib.reload(config)
        assert fresh.ProductionConfig.WEBHOOKS_ALLOW_PRIVATE is False  # development only
        monkeypatch.setenv("SALDO_WEBHOOKS_ALLOW_PRIVATE", "0")
        assert importlib.reload(config).Config.WEBHOOKS_ALLOW_PRIVATE is False
    finally:
        monkeypatch.delenv("SALDO_WEBHOOKS_ALLOW_PRIVATE", raising=False)
        importlib.reload(config)
