"""`saldo risk backtest` straight from a CSV, through click's CliRunner (no app needed)."""

from __future__ import annotations

import json

from click.testing import CliRunner
from flask.cli import AppGroup

from risk.cli import risk, risk_cli


def run(*args):
    return CliRunner().invoke(risk, ["backtest", *map(str, args)], catch_exceptions=False)


def test_group_is_an_app_group():
    assert isinstance(risk, AppGroup) and risk.name == "risk"
    assert "backtest" in risk.commands
    assert risk_cli is risk  # the name portal.cli registers


def test_json_output(ar_dataset):
    result = run("--ledger", ar_dataset, "--cutoff", "2013-04-01", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    for key in ("auc", "average_precision", "brier", "n_train", "n_test", "late_rate_test",
                "baseline_auc", "calibration_table"):
        assert key in data
    assert data["cutoff"] == "2013-04-01"
    assert data["auc"] >= 0.92 and data["brier"] <= 0.12


def test_json_output_with_folds(ar_dataset):
    result = run("--ledger", ar_dataset, "--cutoff", "2013-01-01", "--folds", 2, "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data) == {"folds", "mean"}
    assert len(data["folds"]) == 2 and data["folds"][0]["cutoff"] == "2013-01-01"
    assert {"auc", "brier", "baseline_auc"} <= set(data["mean"])
    assert result.stderr == ""  # progress only goes to a terminal


def test_text_output(ar_dataset):
    result = run("--ledger", ar_dataset, "--cutoff", "2013-04-01")
    assert result.exit_code == 0, result.output
    assert "AUC" in result.output and "Brier" in result.output
    assert "calibration" in result.output and "0.9–1.0" in result.output


def test_text_output_with_folds_only(ar_dataset):
    result = run("--ledger", ar_dataset, "--folds", 2)
    assert result.exit_code == 0, result.output
    assert result.output.count("Backtest, test invoices issued") == 2
    assert "Mean over 2 folds" in result.output


def test_bad_input_is_reported_cleanly(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("customer_id,invoice_id,issue_date,amount\nc,i,2024-01-01,1\n")
    result = run("--ledger", bad, "--cutoff", "2024-01-01")
    assert result.exit_code == 1
    assert "missing required column(s): due_date" in result.output
    result = run("--ledger", bad)
    assert result.exit_code == 2 and "--cutoff, --folds" in result.output
    result = run("--ledger", tmp_path / "absent.csv", "--cutoff", "2024-01-01")
    assert result.exit_code == 2
