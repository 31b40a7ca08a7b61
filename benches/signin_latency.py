"""Benchmark: sign-in link latency, from the "get my link" request to the mail sink.

    python benches/signin_latency.py [--requests 60] [--gap 0.25] [--database-url URL]

Builds a fresh database (SQLite in a temporary folder unless --database-url names an empty
PostgreSQL database) with one debtor per request, starts an aiosmtpd sink that timestamps
each arrival, and POSTs `/link` for each debtor through the web app (Flask's test client,
the same code a browser request runs), `--gap` seconds apart. Prints the request time and
the request → mail-sink delivery time (p50, p95, max).

Where the code has the outbox's urgent loop (`alerts.urgent`), the scheduler runs as its
own process (`saldo scheduler --run-job outbox_urgent`), exactly as in production: the web
request only writes an outbox row (and NOTIFYs on PostgreSQL). On older code the request
sent the mail itself (`--mode sync`) or from a thread in the web process (`--mode thread`).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# SALDO_BENCH_ROOT runs this script against another checkout (the "before" figures).
ROOT = Path(os.environ.get("SALDO_BENCH_ROOT") or Path(__file__).resolve().parents[1])
sys.path.insert(0, str(ROOT))


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


class TimedSink:
    """An aiosmtpd handler that records when each recipient's mail arrived."""

    def __init__(self):
        self.arrived: dict[str, float] = {}

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        for rcpt in envelope.rcpt_tos:
            self.arrived.setdefault(rcpt.lower(), time.monotonic())
        return "250 OK"


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=60)
    parser.add_argument("--gap", type=float, default=0.25, help="seconds between requests")
    parser.add_argument("--database-url", help="an empty database (default: SQLite)")
    parser.add_argument("--postgres", action="store_true",
                        help="use a throwaway database on the local PostgreSQL (dropped after)")
    parser.add_argument("--mode", choices=("outbox", "sync", "thread"), default=None,
                        help="older code only: send in the request or in a thread")
    args = parser.parse_args()
    if args.postgres:
        from benches.alerts import throwaway_postgres

        with throwaway_postgres() as url:
            return run(args, url)
    return run(args, args.database_url)


def run(args, url: str | None) -> None:
    from aiosmtpd.controller import Controller
    from flask_migrate import upgrade

    from portal import create_app
    from portal.extensions import db
    from portal.models import Debtor

    has_outbox = importlib.util.find_spec("alerts.urgent") is not None
    mode = args.mode or ("outbox" if has_outbox else "sync")
    folder = Path(tempfile.mkdtemp(prefix="saldo-bench-signin-"))
    url = url or f"sqlite:///{folder / 'bench.db'}"
    sink = TimedSink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    settings = {"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "TESTING": True,
                "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False,
                "SMTP_HOST": "127.0.0.1", "SMTP_PORT": port, "LOG_LEVEL": "ERROR",
                "LINK_MAIL_ASYNC": mode == "thread"}
    app = create_app(settings)
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        emails = [f"bench{i}@example.com" for i in range(args.requests)]
        db.session.add_all(Debtor(external_id=f"B{i}", name=f"Bench {i}", email=email,
                                  locale="es_CO") for i, email in enumerate(emails))
        db.session.add(Debtor(external_id="WARM", name="Warm up", email="warm@example.com",
                              locale="es_CO"))
        db.session.commit()
    scheduler = None
    if mode == "outbox":
        env = dict(os.environ, DATABASE_URL=url, SECRET_KEY="bench", SMTP_HOST="127.0.0.1",  # noqa: S106
                   SMTP_PORT=str(port), LOG_LEVEL=os.environ.get("BENCH_LOG", "WARNING"),
                   SALDO_URGENT_LOOP_SECONDS=str(int(args.requests * args.gap + 60)))
        scheduler = subprocess.Popen([sys.executable, "-m", "portal.cli", "scheduler",
                                      "--run-job", "outbox_urgent"], env=env, cwd=ROOT,
                                     stdout=subprocess.DEVNULL,
                                     stderr=(folder / "scheduler.log").open("w"))
    client = app.test_client()
    with app.app_context():  # warm up: wait until a first link went all the way through
        client.post("/link", data={"contact": "warm@example.com"})
    deadline = time.monotonic() + 120
    while "warm@example.com" not in sink.arrived and time.monotonic() < deadline:
        time.sleep(0.05)
    started, request_times = {}, []
    with app.app_context():
        for email in emails:
            started[email] = time.monotonic()
            response = client.post("/link", data={"contact": email})
            request_times.append(time.monotonic() - started[email])
            assert response.status_code == 200, response.status_code
            time.sleep(args.gap)
    deadline = time.monotonic() + 60
    while not set(emails) <= set(sink.arrived) and time.monotonic() < deadline:
        time.sleep(0.05)
    if scheduler is not None:
        scheduler.terminate()
        scheduler.wait(timeout=20)
    controller.stop()
    latencies = [sink.arrived[e] - started[e] for e in emails if e in sink.arrived]
    backend = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
    print(f"sign-in links, {backend}, mode={mode}: {len(latencies)}/{len(emails)} delivered")
    if len(latencies) < len(emails) and has_outbox:
        from sqlalchemy import func, select

        from portal.models import Message

        with app.app_context():
            print("  outbox:", dict(db.session.execute(select(
                Message.status, func.count()).group_by(Message.status)).all()),
                [e for e in emails if e not in sink.arrived])
            db.session.remove()
            db.engine.dispose()
    print(f"  request time   p50 {statistics.median(request_times) * 1000:7.1f} ms   "
          f"p95 {percentile(request_times, 0.95) * 1000:7.1f} ms")
    if latencies:
        print(f"  request→sink   p50 {statistics.median(latencies) * 1000:7.1f} ms   "
              f"p95 {percentile(latencies, 0.95) * 1000:7.1f} ms   "
              f"max {max(latencies) * 1000:7.1f} ms")


if __name__ == "__main__":
    main()
