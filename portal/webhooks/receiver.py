"""A tiny webhook receiver for the demo and the tests: verifies `Saldo-Signature`, keeps the
events it accepted, answers 200 (or a status you choose, to see retries), 400 on a bad
signature. `python -m portal.webhooks.receiver --port P --secret S` runs it on 127.0.0.1."""

from __future__ import annotations

import argparse
import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from portal.webhooks.signing import HEADER, verify


class Receiver(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, port: int, secret: str, status: int = 200, echo: bool = False):
        super().__init__(("127.0.0.1", port), _Handler)
        self.secret, self.status, self.echo = secret, status, echo
        self.events: list[dict] = []
        self.requests: list[dict] = []
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_port}/saldo/webhooks"


class _Handler(BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        valid = verify(self.server.secret, self.headers.get(HEADER, ""), body)
        with self.server.lock:
            self.server.requests.append({"path": self.path, "headers": dict(self.headers),
                                         "body": body, "valid": valid})
            status = self.server.status if valid else 400
            if valid and 200 <= status < 300:
                self.server.events.append(json.loads(body))
        if self.server.echo:
            event = json.loads(body) if valid else {}
            print(f"webhook {event.get('type', 'INVALID SIGNATURE')} {event.get('id', '')} "
                  f"-> {status}", flush=True)
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format, *args) -> None:  # noqa: A002 - quiet by default
        return None


def start(port: int, secret: str, status: int = 200) -> Receiver:
    """A receiver serving in a background thread (tests); `.shutdown()` stops it."""
    server = Receiver(port, secret, status)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--secret", required=True)
    args = parser.parse_args(argv)
    server = Receiver(args.port, args.secret, echo=True)
    print(f"webhook receiver on {server.url}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
