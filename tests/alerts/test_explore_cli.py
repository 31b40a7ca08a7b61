"""`saldo alerts explore`: from a ledger CSV, or from the database; JSON sorted by cut-off."""

from __future__ import annotations

import json
from pathlib import Path

AR_DATASET = (Path(__file__).resolve().parents[3]
              / "shared/datasets/ar_late_payments_2012-01_2013-06.csv")


def test_explore_a_ledger_csv_prints_the_curve(runner, tmp_path):
    lines = AR_DATASET.read_text(encoding="utf-8").splitlines()[:800]
    path = tmp_path / "ledger.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = runner.invoke(args=["alerts", "explore", "--ledger", str(path), "--cutoff",
                              "2012-06-01", "--json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    assert 0 < data["late_rate"] < 1
    thresholds = [p["threshold"] for p in data["points"]]
    assert thresholds == sorted(thresholds) and thresholds[0] == 0 and thresholds[-1] == 1
    assert {"threshold", "contact_share", "precision", "reach"} <= set(data["points"][0])
    assert "training on invoices known before 2012-06-01" in out.stderr


def test_explore_explains_too_little_history(runner, tmp_path):
    path = tmp_path / "ledger.csv"
    path.write_text("customer_id,invoice_id,issue_date,due_date,amount\n"
                    "A,1,2026-01-01,2026-01-31,10.00\n", encoding="utf-8")
    out = runner.invoke(args=["alerts", "explore", "--ledger", str(path), "--json"])
    assert out.exit_code != 0 and "Error" in out.output
