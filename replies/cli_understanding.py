"""``saldo replies classify|train|evaluate``: the understanding's commands on ``replies_cli``.

``classify`` is a contract checked on replies we have not seen: one message per input line,
one JSON object per output line (``replies.understand.Understanding.as_json``). Imported by
``replies.cli`` (which defines the group) so the commands attach to it.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import click

from replies.cli import replies_cli


@replies_cli.command("classify")
@click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]),
              help="The day relative dates are read from (default: today in --tz).")
@click.option("--tz", "zone", default="America/Bogota", show_default=True,
              help="The debtor's time zone, which decides what 'today' is.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
def classify_command(today, zone, as_json):
    """Understand each line of standard input (one message per line)."""
    from replies.registry import active_model
    from replies.understand import understand_many

    try:
        tz = ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise click.BadParameter(f"unknown time zone {zone!r}", param_hint="--tz") from exc
    day = today.date() if today else datetime.now(UTC).astimezone(tz).date()
    lines = sys.stdin.read().splitlines()
    if not lines:
        return
    for line, found in zip(lines, understand_many(lines, day, active_model()), strict=True):
        if as_json:
            click.echo(json.dumps(found.as_json(), ensure_ascii=False))
        else:
            data = found.as_json()
            click.echo(f"{data['intent']:<12} {data['confidence']:.2f} {data['language']} "
                       f"{data['promised_on'] or '-':<10} {data['amount'] or '-':>10}  {line}")


@replies_cli.command("train")
@click.option("--force", is_flag=True, help="Activate the new model even if it is not better.")
@click.option("--seed", default=0, show_default=True, help="Random state of the model.")
def train_command(force, seed):
    """Retrain on the corpus and staff labels; promote only if better on the held-out split."""
    from replies.registry import train_reply_model

    version = train_reply_model(force=force, random_state=seed,
                                progress=lambda m: click.echo(m, err=True))
    ours = version.metrics["heldout"]
    click.echo(f"Reply model version {version.id}: {version.metrics['decision']} "
               f"({version.n_train} training replies, {version.n_corrections} from staff)")
    _print_metrics("challenger", ours)
    champion = version.metrics.get("champion")
    if champion and champion.get("heldout"):
        _print_metrics(f"champion {champion['id']}", champion["heldout"])
    elif champion:
        click.echo(f"  champion {champion['id']}: {champion.get('error')}")
    click.echo(f"  active: {'yes' if version.is_active else 'no'}")


@replies_cli.command("evaluate")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def evaluate_command(as_json):
    """Measure the active model on the held-out split."""
    from replies.evaluate import evaluate
    from replies.registry import active_model

    report = evaluate(active_model())
    if as_json:
        click.echo(json.dumps(report, sort_keys=True))
    else:
        _print_metrics("active model", report)


def _print_metrics(label: str, report: dict) -> None:
    click.echo(f"  {label}, held-out:")
    for language, m in report.items():
        dates = m["promise_date_accuracy"]
        click.echo(f"    {language:<4} n={m['n']:<4} macro-F1 {m['macro_f1']:.3f}  "
                   f"promise dates {'n/a' if dates is None else f'{dates:.3f}'}  "
                   f"language {m['language_accuracy']:.3f}")
