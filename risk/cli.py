"""``saldo risk …`` commands. The only module of ``risk`` that imports click and Flask.

Register the group on the app's FlaskGroup with ``cli.add_command(risk.cli.risk)``. The heavy
imports (pandas, scikit-learn) happen inside the commands so ``saldo --help`` stays fast.
"""

from __future__ import annotations

import json
import math
import sys
import time

import click
from flask.cli import AppGroup

risk = AppGroup("risk", help="Late-payment risk model: backtests, training and scoring.")
risk_cli = risk  # the name portal.cli registers
_STARTED = time.monotonic()


@risk.command("backtest", with_appcontext=False)
@click.option("--ledger", "ledger_path", required=True,
              type=click.Path(exists=True, dir_okay=False), help="Ledger CSV file.")
@click.option("--cutoff", type=click.DateTime(formats=["%Y-%m-%d"]),
              help="Train before this day, test from it (with --folds: the first cut-off).")
@click.option("--folds", type=click.IntRange(min=1),
              help="Rolling backtest with this many cut-offs up to the end of the data.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option("--seed", default=0, show_default=True, help="Random state of the model.")
def backtest_command(ledger_path, cutoff, folds, as_json, seed):
    """Backtest the model on a ledger CSV (no database needed)."""
    from risk.backtest import backtest, rolling_backtest
    from risk.ledger import read_ledger_csv

    if cutoff is None and folds is None:
        raise click.UsageError("give --cutoff, --folds, or both")
    try:
        ledger = read_ledger_csv(ledger_path)
        if folds is None:
            _progress(f"backtest at {cutoff.date()}…")
            result = backtest(ledger, cutoff, random_state=seed)
        else:
            result = rolling_backtest(
                ledger, folds=folds, start=cutoff, random_state=seed,
                progress=lambda k, n, at: _progress(f"fold {k}/{n} (cut-off {at})…"))
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    if as_json:
        click.echo(json.dumps(_json_safe(result), sort_keys=True))
    elif folds is None:
        _print_backtest(result)
    else:
        for fold in result["folds"]:
            _print_backtest(fold)
            click.echo()
        mean = result["mean"]
        click.echo(f"Mean over {len(result['folds'])} folds: AUC {mean['auc']:.3f} "
                   f"(baseline {mean['baseline_auc']:.3f}), Brier {mean['brier']:.3f}, "
                   f"average precision {mean['average_precision']:.3f}")


@risk.command("train")
@click.option("--force", is_flag=True, help="Activate the new model even if it is worse.")
@click.option("--seed", default=0, show_default=True, help="Random state of the model.")
def train_command(force, seed):
    """Train on the database ledger and register a model version."""
    from risk.service import train_and_register

    version = train_and_register(force=force, progress=_progress, random_state=seed)
    if version is None:
        raise click.ClickException("not enough invoices with a known outcome to train on")
    m = version.metrics or {}
    champion = m.get("champion") or {}
    click.echo(f"Model version {version.id} ({version.algorithm}), trained up to "
               f"{version.training_end}: {m.get('decision')}")
    if m.get("auc") is not None:
        click.echo(f"  backtest from {m['eval_cutoff']}: AUC {m['auc']:.3f} (baseline "
                   f"{_fmt(m.get('baseline_auc'))}), Brier {m['brier']:.3f}, "
                   f"{m['n_test']} invoices")
    else:
        click.echo(f"  no backtest: {m.get('backtest_error')}")
    if champion.get("id") is not None:
        click.echo(f"  champion version {champion['id']}: AUC {_fmt(champion.get('auc'))}, "
                   f"Brier {_fmt(champion.get('brier'))} ({champion.get('source', 'error')})")
    click.echo(f"  active: {'yes' if version.is_active else 'no'}")


@risk.command("score")
@click.option("--json", "as_json", is_flag=True, help="Print the counts per band as JSON.")
def score_command(as_json):
    """Score every open invoice with the active model."""
    from risk.artifact import ArtifactError
    from risk.service import NoActiveModel, score_open_invoices

    try:
        run = score_open_invoices(progress=_progress)
    except (NoActiveModel, ArtifactError) as exc:
        raise click.ClickException(str(exc)) from exc
    summary = {"run_id": run.id, "model_version_id": run.model_version_id,
               "as_of": str(run.as_of), "n_scored": run.n_scored, "bands": run.band_counts,
               "psi": run.psi}
    if as_json:
        click.echo(json.dumps(_json_safe(summary), sort_keys=True))
        return
    click.echo(f"Scored {run.n_scored} open invoices with model version {run.model_version_id}")
    for band, count in run.band_counts.items():
        click.echo(f"  {band:<7} {count:>9}")
    click.echo(f"  PSI against the training scores: {_fmt(run.psi)}")


def _fmt(value) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def _print_backtest(r: dict) -> None:
    window = f"{r['cutoff']} to {r['test_until']}" if r["test_until"] else f"from {r['cutoff']}"
    click.echo(f"Backtest, test invoices issued {window} (data up to {r['data_end']})")
    click.echo(f"  train     {r['n_train']} invoices, {r['late_rate_train']:.1%} late")
    click.echo(f"  test      {r['n_test']} invoices, {r['late_rate_test']:.1%} late")
    click.echo(f"  model     {r['chosen']}, calibration {r['calibration']}")
    click.echo(f"  AUC       {r['auc']:.3f}  (baseline, past late share alone: "
               f"{r['baseline_auc']:.3f})")
    click.echo(f"  avg prec  {r['average_precision']:.3f}")
    click.echo(f"  Brier     {r['brier']:.3f}")
    click.echo(f"  log-loss  {r['log_loss']:.3f}")
    click.echo("  calibration:  predicted      count  mean pred  observed")
    for row in r["calibration_table"]:
        click.echo(f"                {row['low']:.1f}–{row['high']:.1f}  {row['count']:>9}"
                   f"  {row['predicted']:>9.3f}  {row['observed']:>8.3f}")


def _progress(message: str) -> None:
    """Step messages with elapsed seconds, on a terminal only (scripts get clean output)."""
    if sys.stderr.isatty():
        click.echo(f"[{time.monotonic() - _STARTED:6.1f} s] {message}", err=True)


def _json_safe(value):
    """NaN and infinities become null: the output must be strict JSON."""
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
