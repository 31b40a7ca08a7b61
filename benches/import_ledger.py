"""Benchmark: `saldo import ledger` on generated ledgers, on SQLite and PostgreSQL.

Usage: python benches/import_ledger.py [--rows 1000000] [--also 100000] [--no-postgres]
                                       [--no-sqlite] [--timings]

Generates a ledger CSV of N rows (N/10 customers, mixed open/settled), imports it with the
real command in a child process against a fresh database, and prints wall time, rows per
second and the child's peak RSS. Running a smaller size too shows whether memory is flat.
On PostgreSQL the same file is also loaded with a raw `COPY` into a plain table of text
columns, in the same run, and the import's time is printed as a multiple of it. The import
process's own CPU seconds are printed too: on a shared machine they show the work done
when the wall time mostly shows the wait for a core. `--timings` also prints the seconds of
each phase of every import (`saldo import ledger --timings`).

Targets: 1,000,000 rows in <= 60 s on PostgreSQL and <= 10x the raw COPY; SQLite at
>= 20,000 rows/s; peak RSS flat in the row count.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SALDO = [sys.executable, "-c", "from portal.cli import main; main()"]
PG_ADMIN = os.environ.get("SALDO_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def generate(path: Path, rows: int, seed: int = 1) -> None:
    rng = random.Random(seed)
    start = date(2025, 1, 1)
    with path.open("w", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(["customer_id", "invoice_id", "issue_date", "due_date", "amount",
                      "currency", "paid_date", "paid_amount", "customer_name", "email"])
        for n in range(rows):
            customer = f"C{rng.randrange(rows // 10 or 1):07d}"
            issued = start + timedelta(days=rng.randrange(600))
            due = issued + timedelta(days=rng.choice((15, 30, 45)))
            amount = f"{rng.randrange(1000, 500000) / 100:.2f}"
            paid = due + timedelta(days=rng.randint(-10, 40))
            settled = paid <= date(2026, 9, 1)
            out.writerow([customer, f"INV{n:09d}", issued, due, amount, "USD",
                          paid if settled else "", amount if settled else "",
                          f"Customer {customer}", f"{customer.lower()}@example.com"])


def run(args: list[str], env: dict) -> tuple[float, int, str, str]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t0 = time.perf_counter()
    proc = subprocess.run(SALDO + args, env=env, capture_output=True, text=True, cwd=ROOT)
    elapsed = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"command failed: {args}\n{proc.stdout}\n{proc.stderr}")
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return elapsed, max(peak, before), proc.stdout, proc.stderr


def bench(backend: str, rows: int, workdir: Path) -> dict:
    ledger = workdir / f"ledger_{rows}.csv"
    if not ledger.exists():
        generate(ledger, rows)
    instance = workdir / f"instance_{backend}_{rows}"
    env = dict(os.environ, SALDO_INSTANCE_PATH=str(instance), SECRET_KEY="bench")  # noqa: S106
    dropper = None
    if backend == "sqlite":
        env["DATABASE_URL"] = f"sqlite:///{instance}/bench.db"
    else:
        from sqlalchemy import create_engine, text
        from sqlalchemy.engine import make_url

        name = f"saldo_bench_{uuid.uuid4().hex[:8]}"
        admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        env["DATABASE_URL"] = make_url(PG_ADMIN).set(database=name).render_as_string(False)

        def dropper():
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    try:
        run(["db", "upgrade"], env)
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu_before = usage.ru_utime + usage.ru_stime
        elapsed, _, out, err = run(["import", "ledger", str(ledger), "--json", "--timings"], env)
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = usage.ru_utime + usage.ru_stime - cpu_before  # the import process, not the server
        # ru_maxrss of children is the max over all children so far: run each size in order.
        peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        copy_seconds = raw_copy(env["DATABASE_URL"], ledger) if backend == "postgresql" else None
    finally:
        if dropper:
            dropper()
    return {"backend": backend, "rows": rows, "seconds": elapsed,
            "rows_per_s": rows / elapsed, "peak_rss_mb": peak_kb / 1024, "report": out[:120],
            "copy_seconds": copy_seconds, "cpu_seconds": cpu,
            "timings": [line for line in err.splitlines() if line.startswith("timing ")]}


def raw_copy(url: str, ledger: Path) -> float:
    """Seconds to COPY the same CSV into a plain table of text columns (no index, no check)."""
    import psycopg
    from sqlalchemy.engine import make_url

    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with ledger.open() as fh:
        header = next(csv.reader(fh))
    cols = ", ".join(f'"{name}" text' for name in header)
    with psycopg.connect(dsn) as conn:
        conn.execute(f"CREATE TABLE raw_ledger ({cols})")
        conn.commit()
        t0 = time.perf_counter()
        with conn.cursor() as cur, ledger.open("rb") as fh, cur.copy(
            "COPY raw_ledger FROM STDIN WITH (FORMAT csv, HEADER true)"
        ) as copy:
            while block := fh.read(1 << 20):
                copy.write(block)
        conn.commit()
        return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--also", type=int, default=100_000, help="a smaller size, for memory")
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--timings", action="store_true", help="print each import's phases")
    args = parser.parse_args()
    backends = ([] if args.no_sqlite else ["sqlite"]) + ([] if args.no_postgres else ["postgresql"])
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        print(f"{'backend':<11} {'rows':>8} {'seconds':>8} {'rows/s':>8} {'peak RSS MB':>12} "
              f"{'raw COPY s':>10} {'x COPY':>7} {'client CPU s':>12}")
        for backend in backends:
            for rows in sorted({args.also, args.rows}):
                # A fresh interpreter per measurement so ru_maxrss is this run's own.
                here = str(Path(__file__).parent)
                code = (
                    f"import sys, json; sys.path.insert(0, {here!r}); import import_ledger as b; "
                    f"from pathlib import Path; "
                    f"print(json.dumps(b.bench({backend!r}, {rows}, Path({str(workdir)!r}))))"
                )
                out = subprocess.run([sys.executable, "-c", code], capture_output=True,
                                     text=True, cwd=ROOT, check=True).stdout
                import json

                r = json.loads(out.strip().splitlines()[-1])
                copy_s = r["copy_seconds"]
                versus = (f"{copy_s:>10.2f} {r['seconds'] / copy_s:>6.1f}x" if copy_s
                          else f"{'-':>10} {'-':>7}")
                print(f"{r['backend']:<11} {r['rows']:>8} {r['seconds']:>8.1f} "
                      f"{r['rows_per_s']:>8.0f} {r['peak_rss_mb']:>12.0f} {versus} "
                      f"{r['cpu_seconds']:>12.1f}", flush=True)
                if args.timings:
                    print("    " + "; ".join(t.removeprefix("timing ") for t in r["timings"]),
                          flush=True)


if __name__ == "__main__":
    main()
