"""Structured (JSON-lines) logging that never writes card data, tokens or full contact details."""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime

_EMAIL = re.compile(r"\b([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9.-]+\.[A-Za-z]{2,})\b")
_CARD = re.compile(r"\b(?:\d[ -]?){12,18}\d\b")
_PHONE = re.compile(r"\+?\d[\d ()-]{7,}\d")
_SECRET = re.compile(
    r"\b(sk|rk|pk|whsec|pi|seti|pm)_(live|test)?_?[A-Za-z0-9]{6,}|"
    r"\b[A-Za-z0-9_-]{20,}\.[A-Za-z0-9_-]{6,}\.[A-Za-z0-9_-]{10,}\b"
)
_SENSITIVE_KEYS = {"token", "password", "secret", "authorization", "card", "cvc", "auth", "p256dh"}


# Paths that carry a live credential: debtor links, unsubscribe links, open-tracking pixels.
_TOKEN_PATH = re.compile(r"(/(?:l|u|m)/)[^/?#\s\"]+")
_TOKEN_QUERY = re.compile(r"([?&](?:token|sig|signature|key|code|secret|password)=)[^&#\s\"]+",
                          re.IGNORECASE)


def redact_url(text: str) -> str:
    """A path or request line with its tokens masked: `/l/<token>` → `/l/[token]`."""
    text = _TOKEN_PATH.sub(r"\1[token]", text)
    return redact(_TOKEN_QUERY.sub(r"\1[redacted]", text))


def redact(text: str) -> str:
    """Mask what must never reach a log: card numbers, secrets/tokens, emails and phones."""
    text = _CARD.sub("[card]", text)
    text = _SECRET.sub("[secret]", text)
    text = _EMAIL.sub(lambda m: f"{m.group(1)}***@{m.group(2)}", text)
    return _PHONE.sub(lambda m: "***" + re.sub(r"\D", "", m.group(0))[-2:], text)


def _clean(key: str, value):
    if any(word in key.lower() for word in _SENSITIVE_KEYS):
        return "[redacted]"
    if isinstance(value, str):
        return redact(value)
    return value


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message and any `extra=` fields."""

    _STANDARD = set(vars(logging.makeLogRecord({})).keys()) | {"message", "asctime"}

    def format(self, record: logging.LogRecord) -> str:
        payload = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        for key, value in vars(record).items():
            if key not in self._STANDARD and not key.startswith("_"):
                payload[key] = _clean(key, value)
        if record.exc_info:
            payload["exception"] = redact(self.formatException(record.exc_info))
        return json.dumps(payload, default=str, ensure_ascii=False)


def configure_logging(level: str = "INFO") -> None:
    root = logging.getLogger()
    if any(getattr(h, "_saldo", False) for h in root.handlers):
        root.setLevel(level)
        return
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    handler._saldo = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)
