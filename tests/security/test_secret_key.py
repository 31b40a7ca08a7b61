"""Production refuses a SECRET_KEY that is short or published in the code or the docs."""

from __future__ import annotations

import secrets

import pytest

from portal import create_app
from portal.config import ProductionConfig, TestConfig


def production_app(monkeypatch, tmp_path, key: str):
    monkeypatch.setenv("SALDO_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setattr(ProductionConfig, "SECRET_KEY", key)
    monkeypatch.setattr(ProductionConfig, "SQLALCHEMY_DATABASE_URI", f"sqlite:///{tmp_path}/p.db")
    return create_app(ProductionConfig)


@pytest.mark.parametrize("key", ["abc", "x" * 31, "ñ" * 15])
def test_production_refuses_a_short_secret_and_says_how_to_make_one(monkeypatch, tmp_path, key):
    with pytest.raises(RuntimeError) as refused:
        production_app(monkeypatch, tmp_path, key)
    message = str(refused.value)
    assert "SECRET_KEY" in message and "too short" in message
    assert "python -c 'import secrets; print(secrets.token_urlsafe(48))'" in message


def test_production_refuses_the_key_written_in_the_code(monkeypatch, tmp_path):
    published = TestConfig.SECRET_KEY  # long enough, but anyone can read it in portal/config.py
    assert len(published.encode()) >= 32
    with pytest.raises(RuntimeError, match=r"appears in portal/config\.py") as refused:
        production_app(monkeypatch, tmp_path, published)
    assert "token_urlsafe(48)" in str(refused.value)


def test_production_refuses_a_key_from_the_docs(monkeypatch, tmp_path):
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    example = "change-me-to-a-long-random-value-of-48-characters"
    assert example in readme  # the README's example value
    with pytest.raises(RuntimeError, match="appears in README.md"):
        production_app(monkeypatch, tmp_path, example)


def test_production_starts_with_a_generated_key(monkeypatch, tmp_path):
    key = secrets.token_urlsafe(48)
    assert production_app(monkeypatch, tmp_path, key).config["SECRET_KEY"] == key
