"""A local SMTP mail sink (aiosmtpd): the demo's "mail server", and the tests' real one.

Every message received is kept in memory and, when a folder is given, written there as an
`.eml` file, so the demo can show what went out (see the staff area's mail page).

Mail addressed to a reply address (`reply+…@<inbound domain>`, someone answering a
reminder) is not kept as sent mail: when a `handoff` is given it is handed to Saldo —
in the demo, posted raw to `POST /inbound/email` with the shared secret, the same path a
mail provider's inbound webhook takes. A failed handoff answers 451 so the sender retries.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import logging
import time
import urllib.request
from collections.abc import Callable
from email.message import EmailMessage
from pathlib import Path

from aiosmtpd.controller import Controller

log = logging.getLogger("saldo.mailsink")


def post_to_saldo(url: str, secret: str, timeout: float = 10.0) -> Callable[[bytes], None]:
    """A handoff that posts raw RFC 822 bytes to Saldo's `POST /inbound/email`."""

    def handoff(raw: bytes) -> None:
        if not url.startswith(("http://", "https://")):
            raise ValueError(f"the inbound URL must be http(s): {url!r}")
        request = urllib.request.Request(url, data=raw, method="POST", headers={  # noqa: S310
            "Content-Type": "message/rfc822", "X-Saldo-Inbound-Secret": secret})
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            if response.status >= 300:
                raise OSError(f"inbound handoff answered {response.status}")

    return handoff


class SinkHandler:
    def __init__(self, folder: str | Path | None = None,
                 handoff: Callable[[bytes], None] | None = None,
                 inbound_domain: str = "reply.saldo.local"):
        self.folder = Path(folder) if folder else None
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.handoff = handoff
        self.inbound_domain = inbound_domain.lower()
        self.handed_off: list[EmailMessage] = []
        if self.folder:
            self.folder.mkdir(parents=True, exist_ok=True)

    def is_reply(self, recipients: list[str]) -> bool:
        return any(r.lower().startswith("reply+") and
                   r.lower().endswith("@" + self.inbound_domain) for r in recipients)

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        raw = envelope.original_content or envelope.content
        message = email.message_from_bytes(raw, policy=email.policy.default)
        if self.handoff is not None and self.is_reply(list(envelope.rcpt_tos)):
            try:
                await asyncio.get_running_loop().run_in_executor(None, self.handoff, raw)
            except Exception as exc:  # noqa: BLE001 - the sender is told to retry
                log.warning("reply handoff failed: %s", exc)
                return "451 Saldo is not reachable; try again later"
            self.handed_off.append(message)
            return "250 Reply handed to Saldo"
        self.messages.append(message)
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        if self.folder:
            name = f"{time.time_ns()}.eml"
            (self.folder / name).write_bytes(raw)
        return "250 Message accepted"


def start_sink(host: str = "127.0.0.1", port: int = 8025, folder: str | Path | None = None,
               handoff: Callable[[bytes], None] | None = None,
               inbound_domain: str = "reply.saldo.local") -> tuple[Controller, SinkHandler]:
    """Start a sink in a background thread; stop it with `controller.stop()`."""
    handler = SinkHandler(folder, handoff, inbound_domain)
    controller = Controller(handler, hostname=host, port=port)
    controller.start()
    return controller, handler


def read_folder(folder: str | Path, limit: int = 200) -> list[EmailMessage]:
    """The newest messages a sink wrote to `folder`, newest first."""
    paths = sorted(Path(folder).glob("*.eml"), reverse=True)[:limit]
    return [email.message_from_bytes(p.read_bytes(), policy=email.policy.default) for p in paths]


def main() -> None:  # pragma: no cover - run by `saldo demo`
    import argparse
    import signal

    parser = argparse.ArgumentParser(description="Saldo's local mail sink")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8025)
    parser.add_argument("--folder", required=True)
    parser.add_argument("--inbound-url", help="Hand replies to this POST /inbound/email URL.")
    parser.add_argument("--inbound-domain", default="reply.saldo.local")
    args = parser.parse_args()
    import os

    secret = os.environ.get("SALDO_INBOUND_EMAIL_SECRET", "")
    handoff = post_to_saldo(args.inbound_url, secret) if args.inbound_url and secret else None
    signals = {signal.SIGINT, signal.SIGTERM}
    signal.pthread_sigmask(signal.SIG_BLOCK, signals)  # delivered to sigwait, not as a kill
    controller, _ = start_sink(args.host, args.port, args.folder, handoff, args.inbound_domain)
    print(f"mail sink listening on {args.host}:{args.port}, writing to {args.folder}", flush=True)
    signal.sigwait(signals)
    controller.stop()


if __name__ == "__main__":  # pragma: no cover
    main()
