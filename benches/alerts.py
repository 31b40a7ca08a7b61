"""Benchmark: alert planning on a large portfolio, and email dispatch to a local SMTP sink.

    python benches/alerts.py [--debtors 200000] [--invoices 1000000] [--messages 2000]
                             [--database-url URL]

Builds a fresh database (SQLite in a temporary folder unless --database-url names an empty
PostgreSQL database) with N debtors in Colombia, Brazil and Mexico and M open invoices due
over the 90 days around today, each with a risk score; then times `load_snapshot` + the
policy (a dry-run plan), a real `plan` that writes the outbox, and the staff's 14-day
what-if preview. Then it queues K email
messages and times `dispatch` against an aiosmtpd sink (counting only) in another process.
Targets: planning 200,000 debtors / 1,000,000 invoices in ≤ 60 s; dispatch ≥ 500 emails/s.
"""

from __future__ import annotations

import argparse
import random
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import insert  # noqa: E402

from portal import create_app  # noqa: E402
from portal.extensions import db  # noqa: E402
from portal.models import Debtor, Invoice, Message, ModelVersion, RiskScore  # noqa: E402

COUNTRIES = (("CO", "America/Bogota", "es_CO", "COP"), ("BR", "America/Sao_Paulo", "pt_BR",
             "BRL"), ("MX", "America/Mexico_City", "es_MX", "MXN"))
BATCH = 20_000


def _rows(make, count: int):
    for start in range(0, count, BATCH):
        yield [make(i) for i in range(start, min(start + BATCH, count))]


def build_portfolio(n_debtors: int, n_invoices: int, today: date, seed: int = 7) -> None:
    rng = random.Random(seed)
    now = datetime.now(UTC)

    def debtor(i):
        country, tz, locale, _ = COUNTRIES[i % 3]
        return {"id": i + 1, "external_id": f"C{i:07d}", "name": f"Cliente {i}",
                "email": f"c{i}@example.com", "phone": f"+57300{i:07d}", "locale": locale,
                "timezone": tz, "country": country, "paperless": False, "allow_email": True,
                "allow_sms": i % 2 == 0, "allow_whatsapp": i % 5 == 0, "allow_push": False,
                "created_at": now, "updated_at": now}

    for rows in _rows(debtor, n_debtors):
        db.session.execute(insert(Debtor), rows)
    model = ModelVersion(algorithm="bench", artifact_path="-", sha256="0" * 64,
                         feature_names=[], library_versions={})
    db.session.add(model)
    db.session.flush()

    def invoice(i):
        debtor_id = i % n_debtors + 1
        due = today + timedelta(days=rng.randint(-30, 60))
        return {"id": i + 1, "external_id": f"F{i:08d}", "debtor_id": debtor_id,
                "issued_on": due - timedelta(days=30), "due_on": due,
                "amount_minor": rng.randint(10_000, 5_000_000) * 100,
                "currency": COUNTRIES[(debtor_id - 1) % 3][3], "status": "open", "paid_minor": 0,
                "disputed": False, "paperless": False, "created_at": now, "updated_at": now}

    for rows in _rows(invoice, n_invoices):
        db.session.execute(insert(Invoice), rows)
        db.session.execute(insert(RiskScore), [
            {"invoice_id": r["id"], "model_version_id": model.id, "probability": rng.random() ** 2,
             "band": "low", "reasons": [], "scored_at": now} for r in rows])
    db.session.commit()


def bench_planning(today: date) -> dict:
    from alerts.planner import plan, preview
    from alerts.settings import merged

    settings = merged(None)
    started = time.perf_counter()
    dry = plan(today, settings, dry_run=True)
    dry_seconds = time.perf_counter() - started
    started = time.perf_counter()
    real = plan(today, settings)
    write_seconds = time.perf_counter() - started
    started = time.perf_counter()
    what_if = preview(settings, today, 14)
    return {"dry_run_s": dry_seconds, "write_s": write_seconds,
            "preview_s": time.perf_counter() - started, "preview_messages": what_if["messages"],
            "planned": len(dry["planned"]), "skipped": sum(dry["skipped"].values()),
            "written": real["written"]}


def queue_emails(n_messages: int) -> None:
    db.session.execute(Message.__table__.delete())
    now = datetime.now(UTC)
    db.session.execute(insert(Message), [
        {"debtor_id": i + 1, "invoice_id": i + 1, "channel": "email", "template": "pre_due",
         "tone": "gentle", "rule": "pre_3", "reason": "bench", "locale": "es",
         "dedupe_key": f"bench:{i}", "status": "pending", "send_at": now, "attempts": 0,
         "created_at": now} for i in range(n_messages)])
    db.session.commit()


def bench_dispatch(app, url: str, n_messages: int, processes: int) -> dict:
    """Time `processes` dispatcher processes (built and waiting) emptying the outbox."""
    from tests.conftest import free_port

    port = free_port()
    sink = subprocess.Popen([sys.executable, __file__, "--serve-sink", str(port)],
                            stdout=subprocess.PIPE, text=True)
    sink.stdout.readline()
    queue_emails(n_messages)
    workers = [subprocess.Popen([sys.executable, __file__, "--dispatch-worker", url, str(port),
                                 str(app.config["ALERTS_SEND_WORKERS"])],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
               for _ in range(processes)]
    for worker in workers:
        worker.stdout.readline()  # "ready": the app is built
    started = time.perf_counter()
    for worker in workers:
        worker.stdin.write("go\n")
        worker.stdin.flush()
    sent = sum(int(worker.stdout.readline()) for worker in workers)
    seconds = time.perf_counter() - started
    for worker in workers:
        worker.wait()
    sink.terminate()
    received = int(sink.stdout.readline() or 0)
    sink.wait()
    return {"sent": sent, "seconds": seconds, "per_second": sent / seconds,
            "received": received}


def dispatch_worker(url: str, port: int, workers: int) -> None:
    from alerts.outbox import dispatch

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench",
                      "LOG_LEVEL": "WARNING", "BASE_URL": "https://saldo.example",
                      "SMTP_HOST": "127.0.0.1", "SMTP_PORT": port})
    with app.app_context():
        print("ready", flush=True)
        sys.stdin.readline()
        print(dispatch(batch=100, workers=workers)["sent"], flush=True)


def serve_sink(port: int) -> None:
    """A counting SMTP sink (aiosmtpd, no parsing): prints the count when terminated."""
    import signal

    from aiosmtpd.controller import Controller

    class Counter:
        received = 0

        async def handle_DATA(self, server, session, envelope):  # noqa: N802
            self.received += 1
            return "250 OK"

    handler = Counter()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM, signal.SIGINT})
    print("ready", flush=True)
    signal.sigwait({signal.SIGTERM, signal.SIGINT})
    controller.stop()
    print(handler.received, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--debtors", type=int, default=200_000)
    parser.add_argument("--invoices", type=int, default=1_000_000)
    parser.add_argument("--messages", type=int, default=2_000)
    parser.add_argument("--workers", type=int, default=16, help="sender threads per process")
    parser.add_argument("--processes", type=int, default=2, help="dispatcher processes")
    parser.add_argument("--serve-sink", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--dispatch-worker", nargs=3, help=argparse.SUPPRESS)
    parser.add_argument("--database-url", help="an empty database to fill (default: SQLite)")
    parser.add_argument("--postgres", action="store_true",
                        help="use a throwaway database on the local PostgreSQL (dropped after)")
    args = parser.parse_args()
    if args.serve_sink:
        return serve_sink(args.serve_sink)
    if args.dispatch_worker:
        url, port, workers = args.dispatch_worker
        return dispatch_worker(url, int(port), int(workers))
    folder = Path(tempfile.mkdtemp(prefix="saldo-bench-"))
    url = args.database_url or f"sqlite:///{folder / 'bench.db'}"
    if args.postgres:
        with throwaway_postgres() as pg_url:
            run(args, pg_url)
    else:
        run(args, url)


@contextmanager
def throwaway_postgres():
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from tests.conftest import PG_ADMIN_URL

    name = f"saldo_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def run(args, url: str) -> None:
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "LOG_LEVEL":
                      "WARNING", "BASE_URL": "https://saldo.example",
                      "ALERTS_SEND_WORKERS": args.workers})
    today = date(2026, 11, 24)
    with app.app_context():
        db.create_all()
        started = time.perf_counter()
        build_portfolio(args.debtors, args.invoices, today)
        print(f"portfolio: {args.debtors:,} debtors, {args.invoices:,} open invoices "
              f"built in {time.perf_counter() - started:.1f}s ({db.engine.dialect.name})")
        p = bench_planning(today)
        print(f"plan --dry-run: {p['dry_run_s']:.1f}s  ({p['planned']:,} planned, "
              f"{p['skipped']:,} skipped)")
        print(f"plan (writes the outbox): {p['write_s']:.1f}s  ({p['written']:,} rows)")
        print(f"what-if preview, 14 days: {p['preview_s']:.1f}s  "
              f"({p['preview_messages']:,} messages)")
        d = bench_dispatch(app, url, args.messages, args.processes)
        print(f"dispatch ({args.processes} processes × {args.workers} sender threads): "
              f"{d['sent']:,} emails in {d['seconds']:.2f}s = "
              f"{d['per_second']:.0f}/s ({d['received']:,} received by the sink)")
        print(f"peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
        db.session.remove()
        db.engine.dispose()


if __name__ == "__main__":
    main()
