"""Benchmark: `saldo risk score` end to end on a large PostgreSQL ledger.

    python benches/risk_scoring.py [--sizes 1000000,2000000] [--pg-url URL] [--seed 0]

For each size N: creates a throwaway PostgreSQL database, migrates it, loads N invoices for
N/5 debtors over the twelve months before today (behaviour as in benches/risk_features.py:
punctual, occasionally late, chronically late and deteriorating debtors; about a tenth of the
invoices still open) with COPY, registers a model trained on a 100,000-invoice sample, then
times `saldo risk score --json` in a child process (read, features, predict, reasons, write
the scores) and reports its wall time and peak RSS. The database is dropped at the end, also
on failure. Prints the ratio of the last size's time to the first's.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benches"))

from risk_features import DAYS, synthetic_ledger  # noqa: E402

PG_URL = os.environ.get("SALDO_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
SAMPLE = 100_000


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000000,2000000")
    parser.add_argument("--pg-url", default=PG_URL)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    times = []
    for n in [int(s) for s in args.sizes.split(",")]:
        times.append(bench_size(n, args.pg_url, args.seed))
    if len(times) > 1:
        print(f"time ratio {times[-1]:.1f} s / {times[0]:.1f} s = {times[-1] / times[0]:.2f}×")


def bench_size(n: int, admin_url: str, seed: int) -> float:
    name = f"saldo_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    try:
        with tempfile.TemporaryDirectory() as instance:
            env = dict(os.environ, DATABASE_URL=url, SALDO_INSTANCE_PATH=instance)
            subprocess.run([str(ROOT / ".venv/bin/saldo"), "db", "upgrade"], env=env,
                           check=True, capture_output=True)
            today = datetime.now(UTC).date()
            ledger, _end = synthetic_ledger(n, seed, start=pd.Timestamp(today - timedelta(DAYS)),
                                            end_offset=0)
            clock = time.perf_counter()
            load(url, ledger, today)
            print(f"{n:,} invoices, {ledger['customer_id'].nunique():,} debtors, "
                  f"{int(ledger['settled_on'].isna().sum()):,} open: loaded with COPY in "
                  f"{time.perf_counter() - clock:.1f} s")
            register_model(url, instance, ledger, today, seed)
            return time_score(env)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def load(url: str, ledger: pd.DataFrame, today: date) -> None:
    """COPY debtors and invoices (ids explicit, sequences moved past them)."""
    now = datetime.now(UTC).isoformat()
    codes = ledger["customer_id"].str[1:].astype(np.int64) + 1
    debtor_ids = np.unique(codes)
    paperless = ledger.groupby(codes)["paperless"].first().reindex(debtor_ids).to_numpy()
    debtors = pd.DataFrame({
        "id": debtor_ids, "external_id": [f"D{i:07d}" for i in debtor_ids],
        "name": [f"Debtor {i}" for i in debtor_ids], "locale": "es", "timezone": "UTC",
        "paperless": paperless, "allow_email": True, "allow_sms": True,
        "allow_whatsapp": False, "allow_push": False, "created_at": now, "updated_at": now,
    })
    settled = ledger["settled_on"]
    invoices = pd.DataFrame({
        "id": np.arange(1, len(ledger) + 1), "external_id": ledger["invoice_id"],
        "debtor_id": codes, "issued_on": ledger["issued_on"].dt.date,
        "due_on": ledger["due_on"].dt.date, "amount_minor": ledger["amount_minor"],
        "currency": "EUR", "status": np.where(settled.isna(), "open", "paid"),
        "paid_minor": np.minimum(ledger["paid_minor"], ledger["amount_minor"]),
        "settled_on": settled.dt.date, "disputed": ledger["disputed"],
        "paperless": ledger["paperless"], "created_at": now, "updated_at": now,
    })
    engine = create_engine(url)
    with engine.begin() as conn:
        raw = conn.connection.driver_connection
        for table, frame in (("debtor", debtors), ("invoice", invoices)):
            _copy(raw, table, frame)
            sql = (f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                   f"(SELECT max(id) FROM {table}))")  # table: one of two constants above
            conn.execute(text(sql))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("ANALYZE"))
    engine.dispose()


def _copy(raw, table: str, frame: pd.DataFrame, chunk: int = 250_000) -> None:
    columns = ", ".join(frame.columns)
    with raw.cursor() as cursor, cursor.copy(
            f"COPY {table} ({columns}) FROM STDIN WITH (FORMAT csv)") as copy:
        for start in range(0, len(frame), chunk):
            buffer = io.StringIO()
            frame.iloc[start:start + chunk].to_csv(buffer, header=False, index=False)
            copy.write(buffer.getvalue())


def register_model(url: str, instance: str, ledger: pd.DataFrame, today: date, seed: int):
    """Fit on a sample of known outcomes and register it as the active version."""
    os.environ["SALDO_INSTANCE_PATH"] = instance
    from portal import create_app
    from risk.features import FEATURE_NAMES, compute_features
    from risk.model import LatePaymentModel
    from risk.registry import register_version

    clock = time.perf_counter()
    end = pd.Timestamp(today)
    known = (ledger["settled_on"].notna() | (ledger["due_on"] < end)).to_numpy()
    late = ((ledger["settled_on"] > ledger["due_on"])
            | (ledger["settled_on"].isna() & (ledger["due_on"] < end))).to_numpy()
    rng = np.random.default_rng(seed)
    rows = np.sort(rng.choice(np.flatnonzero(known), size=min(SAMPLE, known.sum()),
                              replace=False))
    ids = ledger["invoice_id"].to_numpy()[rows]
    features = compute_features(ledger, ids)[FEATURE_NAMES]
    model = LatePaymentModel(random_state=seed).fit(
        features, late[rows], sample_time=ledger["issued_on"].to_numpy()[rows])
    open_ids = ledger["invoice_id"][ledger["settled_on"].isna()]
    book = compute_features(ledger, open_ids, as_of=end)[FEATURE_NAMES]
    scores = model.predict_proba(book)[:, 1]  # PSI reference: the open book, as in training
    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        register_version(model, scores, ledger["issued_on"].min().date(), today,
                         {"decision": "bench"}, promote=True)
    print(f"model ({model.chosen_}, {model.calibration_}) fitted on {len(rows):,} invoices "
          f"and registered in {time.perf_counter() - clock:.1f} s")


def time_score(env: dict) -> float:
    """Run `saldo risk score --json`; print wall time, peak RSS and the band counts."""
    clock = time.perf_counter()
    child = subprocess.Popen([str(ROOT / ".venv/bin/saldo"), "risk", "score", "--json"],
                             env=env, stdout=subprocess.PIPE)
    output = child.stdout.read()
    _pid, status, usage = os.wait4(child.pid, 0)
    took = time.perf_counter() - clock
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit("saldo risk score failed")
    summary = json.loads(output)
    print(f"saldo risk score: {summary['n_scored']:,} open invoices in {took:.1f} s, "
          f"peak RSS {usage.ru_maxrss / 1024:.0f} MB, bands {summary['bands']}, "
          f"PSI {summary['psi']:.3f}")
    return took


if __name__ == "__main__":
    main()
