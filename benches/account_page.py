"""Benchmark: a debtor's /account page under load, against a bare Flask "hello".

    python benches/account_page.py [--duration 15] [--connections 64] [--workers 2]
                                   [--debtors 200] [--months 24]

Needs PostgreSQL on 127.0.0.1:5432 (user postgres; `SALDO_BENCH_PG` overrides the URL),
gunicorn (installed with Saldo) and wrk (`apt-get install wrk`). It creates a throwaway
database (dropped at the end, also on failure), migrates it, seeds the demo portfolio with
--months of history, signs one debtor with 24 months of invoices in (a real session cookie),
serves the app with gunicorn (--workers sync workers) and loads /account with wrk
(--connections connections, 2 threads) after a short warm-up. Then the same for a bare Flask
app that answers "hello" (benches/hello_app.py) under the same gunicorn. Prints both
requests/s and p99 latencies and their ratio. Target: /account at >= 15 % of the bare
requests/s, with p99 <= 100 ms.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import requests

ROOT = Path(os.environ.get("SALDO_BENCH_APP_ROOT") or Path(__file__).resolve().parents[1])
sys.path.insert(0, str(ROOT))  # SALDO_BENCH_APP_ROOT: measure another checkout (a "before")
PG = os.environ.get("SALDO_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


def require_tools() -> tuple[str, str]:
    wrk = shutil.which("wrk")
    if wrk is None:
        raise SystemExit("wrk is not installed: `apt-get install wrk` (Debian/Ubuntu) or "
                         "`brew install wrk`, then run this again.")
    gunicorn = Path(sys.executable).with_name("gunicorn")
    if not gunicorn.exists():
        raise SystemExit("gunicorn is not installed in this environment: `make install`.")
    return wrk, str(gunicorn)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def throwaway_database():
    import psycopg

    name = f"saldo_bench_account_{os.getpid()}"
    try:
        admin = psycopg.connect(PG, autocommit=True)
    except psycopg.OperationalError as exc:
        raise SystemExit(f"PostgreSQL is not reachable at {PG}: {exc}") from exc
    with admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield PG.rsplit("/", 1)[0] + f"/{name}"
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def prepare(url: str, secret: str, folder: str, debtors: int, months: int) -> tuple[str, str]:
    """Migrate and seed; return (the signed-in debtor's session cookie, a description)."""
    from flask_migrate import upgrade
    from sqlalchemy import event, func, select
    from sqlalchemy.orm import aliased

    from portal import create_app
    from portal.extensions import db
    from portal.models import Debtor, Invoice

    os.environ["SALDO_INSTANCE_PATH"] = folder
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": secret,
                      "LOG_LEVEL": "WARNING"})
    with app.app_context():
        upgrade()
        from portal.demo import seed_demo

        seed_demo(debtors=debtors, months=months)
        invoices = func.count(Invoice.id)
        unpaid = aliased(Invoice)
        debtor, count = db.session.execute(
            select(Debtor, invoices).join(Invoice, Invoice.debtor_id == Debtor.id)
            .where(Debtor.locale == "es_CO",
                   select(unpaid.id).where(unpaid.debtor_id == Debtor.id,
                                           unpaid.status == "open").exists())
            .group_by(Debtor.id).order_by(invoices.desc(), Debtor.id).limit(1)).one()
        first = db.session.scalar(select(func.min(Invoice.issued_on))
                                  .where(Invoice.debtor_id == debtor.id))
        try:  # a server-side session row names the signed-in user (issue 12)
            from portal.sessions import SID_KEY, open_session
        except ImportError:  # an older checkout measured as "before"
            SID_KEY, open_session = None, None
        token = open_session(debtor) if open_session else None
        db.session.commit()
        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"] = debtor.get_id()
            session["_fresh"] = True
            if SID_KEY:
                session[SID_KEY] = token
        page = client.get("/account")
        assert page.status_code == 200, page.status_code
        cookie = client.get_cookie("session").value
        described = (f"debtor {debtor.external_id} ({debtor.locale}): {count} invoices since "
                     f"{first}, page {len(page.data) // 1024} KB")
        engine = db.engine
        db.session.remove()
    # Measured outside that app context, as a server runs them: each request has its own
    # app context and database session (no identity map carried over from the last one).
    statements = []
    event.listen(engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    client.get("/account")
    del statements[:]
    client.get("/account")
    queries = len(statements)
    cpu = []
    for _ in range(5):  # CPU time in this process only: steady on a busy machine
        start = time.process_time()
        for _ in range(20):
            client.get("/account")
        cpu.append((time.process_time() - start) / 20 * 1000)
    described += (f"\n/account CPU time per request, in process: {min(cpu):.1f} ms "
                  f"(best of 5 x 20 requests), {queries} SQL statements per request")
    engine.dispose()
    return cookie, described


@contextmanager
def served(gunicorn: str, target: str, workers: int, env: dict):
    port = free_port()
    folder = env["SALDO_INSTANCE_PATH"] if target.startswith("hello_app") else str(ROOT)
    process = subprocess.Popen(
        [gunicorn, "--workers", str(workers), "--bind", f"127.0.0.1:{port}",
         "--log-level", "warning", "--chdir", folder, target],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise SystemExit(f"gunicorn {target} exited: {process.stderr.read().decode()}")
            try:
                requests.get(base + "/", timeout=10)
                break
            except requests.RequestException:
                if time.monotonic() > deadline:
                    raise SystemExit(f"gunicorn {target} did not start") from None
                time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=20)


LATENCY = re.compile(r"^\s*99%\s+([\d.]+)(us|ms|s)\s*$", re.M)
RATE = re.compile(r"^Requests/sec:\s+([\d.]+)", re.M)
NON_2XX = re.compile(r"Non-2xx or 3xx responses:\s+(\d+)")


def load(wrk: str, url: str, seconds: int, connections: int, cookie: str | None) -> dict:
    argv = [wrk, "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "10s"]
    if cookie:
        argv += ["-H", f"Cookie: session={cookie}"]
    out = subprocess.run(argv + [url], capture_output=True, text=True, check=True).stdout
    value, unit = LATENCY.search(out).groups()
    p99_ms = float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]
    errors = int(NON_2XX.search(out).group(1)) if NON_2XX.search(out) else 0
    return {"rps": float(RATE.search(out).group(1)), "p99_ms": p99_ms, "non_2xx": errors}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=15)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--debtors", type=int, default=200)
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--cpu-only", action="store_true",
                        help="only the in-process CPU time per request (no gunicorn, no wrk)")
    args = parser.parse_args()
    wrk, gunicorn = require_tools()
    secret = "bench-secret-" + os.urandom(8).hex()
    folder = tempfile.mkdtemp(prefix="saldo-bench-account-")
    with throwaway_database() as url:
        cookie, described = prepare(url, secret, folder, args.debtors, args.months)
        print(f"PostgreSQL, {args.debtors} demo debtors, {described}")
        if args.cpu_only:
            return
        env = dict(os.environ, DATABASE_URL=url, SECRET_KEY=secret, LOG_LEVEL="WARNING",
                   SALDO_INSTANCE_PATH=folder, PYTHONPATH=str(ROOT))
        shutil.copy(Path(__file__).with_name("hello_app.py"), Path(folder) / "hello_app.py")
        results = {}
        for name, target, path, with_cookie in (
                ("bare Flask hello", "hello_app:app", "/", False),
                ("/account", "portal:create_app()", "/account", True)):
            with served(gunicorn, target, args.workers, env) as base:
                check = requests.get(base + path, allow_redirects=False, timeout=10,
                                     cookies={"session": cookie} if with_cookie else None)
                assert check.status_code == 200, f"{path} answered {check.status_code}"
                single = []
                for _ in range(20):
                    start = time.perf_counter()
                    requests.get(base + path, timeout=30,
                                 cookies={"session": cookie} if with_cookie else None)
                    single.append((time.perf_counter() - start) * 1000)
                print(f"{name}: one request at a time: {min(single):.1f} ms (best of 20)")
                load(wrk, base + path, 3, args.connections, cookie if with_cookie else None)
                results[name] = load(wrk, base + path, args.duration, args.connections,
                                     cookie if with_cookie else None)
    print(f"gunicorn {args.workers} sync workers, wrk 2 threads, {args.connections} "
          f"connections, {args.duration} s each")
    print(f"{'':18} {'requests/s':>11} {'p99 ms':>8} {'non-2xx':>8}")
    for name, r in results.items():
        print(f"{name:18} {r['rps']:11.0f} {r['p99_ms']:8.1f} {r['non_2xx']:8d}")
    account, bare = results["/account"], results["bare Flask hello"]
    ratio = account["rps"] / bare["rps"]
    print(f"/account / bare = {ratio:.1%} of the bare requests/s (target >= 15 %); "
          f"p99 {account['p99_ms']:.0f} ms (target <= 100 ms)")


if __name__ == "__main__":
    main()
