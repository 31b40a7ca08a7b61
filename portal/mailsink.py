"""A local SMTP mail sink (aiosmtpd): the demo's "mail server", and the tests' real one.

Every message received is kept in memory and, when a folder is given, written there as an
`.eml` file, so the demo can show what went out (see the staff area's mail page).
"""

from __future__ import annotations

import email
import email.policy
import time
from email.message import EmailMessage
from pathlib import Path

from aiosmtpd.controller import Controller


class SinkHandler:
    def __init__(self, folder: str | Path | None = None):
        self.folder = Path(folder) if folder else None
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        if self.folder:
            self.folder.mkdir(parents=True, exist_ok=True)

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        raw = envelope.original_content or envelope.content
        message = email.message_from_bytes(raw, policy=email.policy.default)
        self.messages.append(message)
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        if self.folder:
            name = f"{time.time_ns()}.eml"
            (self.folder / name).write_bytes(raw)
        return "250 Message accepted"


def start_sink(host: str = "127.0.0.1", port: int = 8025,
               folder: str | Path | None = None) -> tuple[Controller, SinkHandler]:
    """Start a sink in a background thread; stop it with `controller.stop()`."""
    handler = SinkHandler(folder)
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
    args = parser.parse_args()
    signals = {signal.SIGINT, signal.SIGTERM}
    signal.pthread_sigmask(signal.SIG_BLOCK, signals)  # delivered to sigwait, not as a kill
    controller, _ = start_sink(args.host, args.port, args.folder)
    print(f"mail sink listening on {args.host}:{args.port}, writing to {args.folder}", flush=True)
    signal.sigwait(signals)
    controller.stop()


if __name__ == "__main__":  # pragma: no cover
    main()
