"""Outbound webhooks as an outbox channel: POST the event, signed, to the checked address.

Each attempt signs the body afresh (`Saldo-Signature: t=<now>,v1=…`), checks the target
again (no private, loopback or link-local address unless WEBHOOKS_ALLOW_PRIVATE) and
connects to the very address it checked, so a DNS answer cannot change between check and
use. A 2xx answer is delivered; anything else (an error status, a timeout, a refused
connection, a refused target) is a transient ChannelError, retried by the dispatcher. The
attempt (response code or error, duration) is left on the Outgoing for the delivery log.
"""

from __future__ import annotations

import http.client
import socket
import ssl
import time
from datetime import UTC, datetime
from urllib.parse import urlsplit

from alerts.channels.base import ChannelError, Outgoing
from portal.webhooks.signing import HEADER, sign
from portal.webhooks.targets import TargetError, check_url, resolve

TIMEOUT_SECONDS = 10
USER_AGENT = "Saldo-Webhooks/1"


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """HTTPS to an address already checked, with the certificate checked for the host."""

    def __init__(self, host: str, address: str, port: int, timeout: float):
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def post(url: str, body: bytes, headers: dict, timeout: float,
         private_ok: bool) -> tuple[int | None, str | None]:
    """POST `body` to `url` through the address check: (status code, error); never raises."""
    try:
        scheme, host, port = check_url(url)
        address = resolve(host, port, private_ok)
        if scheme == "https":
            conn = _PinnedHTTPSConnection(host, address, port, timeout)
        else:
            conn = http.client.HTTPConnection(address, port, timeout=timeout)
        try:
            parts = urlsplit(url)
            path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
            conn.request("POST", path, body=body, headers={**headers, "Host": host if port in (
                80, 443) else f"{host}:{port}"})
            response = conn.getresponse()
            response.read(65536)
            code = response.status
        finally:
            conn.close()
        return code, None if 200 <= code < 300 else f"HTTP {code}"
    except TargetError as exc:
        return None, str(exc)[:500]
    except (OSError, http.client.HTTPException) as exc:
        return None, f"{type(exc).__name__}: {exc}"[:500]


class WebhookChannel:
    name = "webhook"

    def __init__(self, config):
        self.config = config

    def send(self, message: Outgoing) -> str:
        body = message.text.encode()
        headers = {**message.headers, "Content-Type": "application/json",
                   "User-Agent": USER_AGENT, HEADER: sign(message.secret, body)}
        timeout = float(self.config.get("WEBHOOKS_TIMEOUT_SECONDS", TIMEOUT_SECONDS))
        attempted_at, started = datetime.now(UTC), time.monotonic()
        code, error = post(message.to, body, headers, timeout,
                           bool(self.config.get("WEBHOOKS_ALLOW_PRIVATE")))
        message.attempt = {"attempted_at": attempted_at, "status_code": code, "error": error,
                           "duration_ms": int((time.monotonic() - started) * 1000)}
        if error:
            raise ChannelError(error, transient=True)
        return f"HTTP {code}"

    def close(self) -> None:
        return None
