"""Benchmark: risk features and scoring on a large synthetic ledger.

    python benches/risk_features.py [--invoices 1000000] [--fit-rows 100000] [--seed 0]

Generates a canonical ledger of N invoices for N/5 debtors over twelve months with mixed
behaviour (always on time, occasionally late, chronically late, deteriorating), then times:
features for every invoice as of its issue date (the backtest/training case), features for
the open invoices as of the end (the nightly case), fitting LatePaymentModel on a sample,
predicting every invoice and reasons for the open ones. Prints figures and peak RSS.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from risk.explain import reasons  # noqa: E402
from risk.features import FEATURE_NAMES, compute_features  # noqa: E402
from risk.model import LatePaymentModel  # noqa: E402

START = pd.Timestamp("2024-01-01")
DAYS = 365


def synthetic_ledger(n_invoices: int, seed: int = 0, *, start: pd.Timestamp = START,
                     end_offset: int = 10) -> tuple[pd.DataFrame, pd.Timestamp]:
    """A canonical ledger with four kinds of debtor; returns it and the moment it describes.

    Invoices are issued over the ``DAYS`` days from ``start``; the ledger describes the day
    ``DAYS + end_offset`` days after ``start`` (invoices not settled by then are open).
    """
    rng = np.random.default_rng(seed)
    n_debtors = max(1, n_invoices // 5)
    kind = rng.choice(4, size=n_debtors, p=[0.55, 0.25, 0.12, 0.08])
    debtor = rng.integers(0, n_debtors, size=n_invoices)
    issue_day = rng.integers(0, DAYS, size=n_invoices)
    term = rng.choice([14, 30, 30, 45, 60], size=n_invoices)
    usual = rng.lognormal(9.0, 1.0, size=n_debtors)
    amount = np.maximum(100, usual[debtor] * rng.lognormal(0.0, 0.3, size=n_invoices))
    disputed = rng.random(n_invoices) < 0.03
    paperless = (rng.random(n_debtors) < 0.5)[debtor]
    k = kind[debtor]
    progress = issue_day / DAYS
    late_days = np.select(
        [k == 0, k == 1, k == 2, k == 3],
        [rng.normal(-6, 4, n_invoices),
         np.where(rng.random(n_invoices) < 0.2, rng.exponential(12, n_invoices),
                  rng.normal(-4, 3, n_invoices)),
         rng.normal(14, 10, n_invoices),
         rng.normal(-6 + 30 * progress, 8)],
    )
    late_days += 10 * disputed - 2 * paperless
    settle_day = issue_day + np.maximum(0, np.rint(term + late_days)).astype(int)
    end_day = DAYS + end_offset
    open_ = settle_day >= end_day
    paid = np.where(rng.random(n_invoices) < 0.02, np.rint(amount * 0.5), np.rint(amount))

    def at(days):
        return pd.Series(start + pd.to_timedelta(days, unit="D"))

    ledger = pd.DataFrame({
        "customer_id": pd.Series(debtor).map("D{:07d}".format),
        "invoice_id": pd.Series(np.arange(n_invoices)).map("I{:08d}".format),
        "issued_on": at(issue_day),
        "due_on": at(issue_day + term),
        "settled_on": at(settle_day).where(~open_),
        "amount_minor": np.rint(amount).astype(np.int64),
        "paid_minor": np.where(open_, 0, paid).astype(np.int64),
        "currency": "EUR",
        "disputed": disputed,
        "paperless": paperless,
    })
    return ledger, start + pd.Timedelta(days=end_day)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invoices", type=int, default=1_000_000)
    parser.add_argument("--fit-rows", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    clock = time.perf_counter()
    ledger, end = synthetic_ledger(args.invoices, args.seed)
    print(f"ledger: {len(ledger):,} invoices, {ledger['customer_id'].nunique():,} debtors, "
          f"generated in {time.perf_counter() - clock:.1f} s, peak RSS {peak_rss_mb():.0f} MB")

    clock = time.perf_counter()
    features = compute_features(ledger)
    took = time.perf_counter() - clock
    print(f"features as of issue dates: {took:.1f} s ({len(ledger) / took:,.0f} invoices/s), "
          f"peak RSS {peak_rss_mb():.0f} MB")

    open_ids = ledger.loc[ledger["settled_on"].isna(), "invoice_id"]
    clock = time.perf_counter()
    nightly = compute_features(ledger, open_ids, as_of=end)
    print(f"features of {len(open_ids):,} open invoices as of {end.date()}: "
          f"{time.perf_counter() - clock:.1f} s")

    known = (ledger["settled_on"].notna() | (ledger["due_on"] < end)).to_numpy()
    late = ((ledger["settled_on"] > ledger["due_on"])
            | (ledger["settled_on"].isna() & (ledger["due_on"] < end))).to_numpy()
    rng = np.random.default_rng(args.seed)
    sample = np.sort(rng.choice(np.flatnonzero(known), size=min(args.fit_rows, known.sum()),
                                replace=False))
    clock = time.perf_counter()
    model = LatePaymentModel(random_state=args.seed).fit(
        features.iloc[sample], late[sample], sample_time=ledger["issued_on"].to_numpy()[sample])
    print(f"fit on {len(sample):,} rows: {time.perf_counter() - clock:.1f} s "
          f"(chosen {model.chosen_}, calibration {model.calibration_}, "
          f"cv AUC { {k: round(v['roc_auc'], 3) for k, v in model.cv_scores_.items()} })")

    clock = time.perf_counter()
    scores = model.predict_proba(features[FEATURE_NAMES])[:, 1]
    took = time.perf_counter() - clock
    print(f"predict {len(scores):,} invoices: {took:.1f} s, peak RSS {peak_rss_mb():.0f} MB")

    clock = time.perf_counter()
    nightly_scores = model.predict_proba(nightly)[:, 1]
    explained = reasons(nightly, model, scores=nightly_scores)
    print(f"score + reasons for {len(nightly):,} open invoices: "
          f"{time.perf_counter() - clock:.1f} s; peak RSS {peak_rss_mb():.0f} MB")
    with_reasons = sum(1 for r in explained if r)
    print(f"open invoices with reasons: {with_reasons:,}")


if __name__ == "__main__":
    main()
