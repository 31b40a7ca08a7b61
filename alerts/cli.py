"""`saldo alerts plan` and `saldo alerts dispatch`."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import click
from flask.cli import AppGroup

alerts_cli = AppGroup("alerts", help="Preventive reminders: plan and send.")


def _parse_date(value: str | None) -> date:
    if not value:
        return datetime.now(UTC).date()
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise click.BadParameter(f"expected YYYY-MM-DD, got {value!r}") from exc


@alerts_cli.command("plan")
@click.option("--date", "day", help="Plan for this date (YYYY-MM-DD; default: today, UTC).")
@click.option("--dry-run", is_flag=True, help="Show the decisions, write nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def plan_command(day: str | None, dry_run: bool, as_json: bool) -> None:
    """Decide today's reminders: what would be sent and what is skipped, with reasons."""
    from alerts.planner import plan

    today = _parse_date(day)
    # Planning for another day means planning as of that day, at this time of day.
    now = datetime.combine(today, datetime.now(UTC).time(), UTC) if today else None
    result = plan(today, dry_run=dry_run, now=now)
    if as_json:
        click.echo(json.dumps({"planned": result["planned"], "skipped": result["skipped"]}))
        return
    for item in result["planned"]:
        click.echo(f"{item['send_at']}  {item['customer_id']:<12} {item['invoice_id'] or '-':<14}"
                   f" {item['channel']:<9} {item['tone']:<8} {item['reason']}")
    skipped = ", ".join(f"{k}={v}" for k, v in result["skipped"].items()) or "none"
    verb = "would plan" if dry_run else "planned"
    click.echo(f"{result['date']}: {verb} {len(result['planned'])} messages "
               f"({result['written']} new rows); skipped: {skipped}")


@alerts_cli.command("dispatch")
@click.option("--batch", default=50, show_default=True, help="Rows claimed at a time.")
@click.option("--limit", type=int, help="Stop after sending this many.")
def dispatch_command(batch: int, limit: int | None) -> None:
    """Send every message that is due (safe to run in several processes at once).

    A message that fails is recorded on its own row (failed, with the reason) and counted in
    the output; the command exits 0 whenever the run completed."""
    from alerts.outbox import dispatch

    counts = dispatch(batch=batch, limit=limit)
    click.echo(" ".join(f"{k}={v}" for k, v in counts.items()))


@alerts_cli.command("whatif")
@click.option("--settings", "settings_file", type=click.Path(exists=True, dir_okay=False),
              help="A draft settings document (JSON, over the defaults); default: the active "
                   "policy, so every row is unchanged.")
@click.option("--days", default=14, show_default=True, type=click.IntRange(1, 60),
              help="Horizon in days.")
@click.option("--date", "day", help="First day (YYYY-MM-DD; default: today, UTC).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def whatif_command(settings_file: str | None, days: int, day: str | None,
                   as_json: bool) -> None:
    """Compare a draft policy with the active one on the same frozen inputs."""
    from alerts.policy_model import PolicyError, as_policy
    from alerts.preview import compare
    from alerts.settings import current_policy

    active = current_policy()
    draft = active
    if settings_file:
        try:
            with open(settings_file, encoding="utf-8") as fh:
                draft = as_policy(json.load(fh))
        except (ValueError, PolicyError) as exc:
            raise click.BadParameter(str(exc), param_hint="--settings") from exc
    result = compare(active, draft, _parse_date(day), days)
    if as_json:
        click.echo(json.dumps({"rows": result["rows"], "moves": result["moves"],
                               "days": days, "sample_share": result["sample_share"]}))
        return
    for row in result["rows"]:
        mark = "*" if row["active"] != row["draft"] else " "
        click.echo(f"{mark} {row['key']:<40} {row['active']:>10} {row['draft']:>10}")
    for move in result["moves"]:
        deltas = ", ".join(f"{d:+d} {c}" for c, d in move["messages"].items()) or "±0"
        click.echo(f"{move['debtors']} debtors {move['kind']} {move['from']} → {move['to']}: "
                   f"{deltas} (e.g. {', '.join(move['samples'])})")


@alerts_cli.command("explore")
@click.option("--ledger", "ledger_path", type=click.Path(exists=True, dir_okay=False),
              help="Explore a ledger CSV instead of the database.")
@click.option("--cutoff", type=click.DateTime(formats=["%Y-%m-%d"]),
              help="Train before this day, explore the invoices issued from it (default: "
                   "the day leaving 60 % of the invoices before it).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def explore_command(ledger_path: str | None, cutoff, as_json: bool) -> None:
    """For every risk cut-off: contact share, precision and reach on past invoices."""
    import time as clock

    from risk.explorer import active_model_params, explore, explore_database

    started = clock.monotonic()

    def progress(text: str) -> None:
        click.echo(f"[{clock.monotonic() - started:6.1f}s] {text}", err=True)

    try:
        if ledger_path:
            from risk.ledger import read_ledger_csv

            progress(f"reading {ledger_path}")
            result = explore(read_ledger_csv(ledger_path), cutoff,
                             model_params=active_model_params(), progress=progress)
        else:
            progress("reading the ledger from the database")
            result = explore_database(cutoff, progress=progress)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    progress("done")
    if as_json:
        points = [{k: pt[k] for k in ("threshold", "contact_share", "precision", "reach",
                                      "per_month", "skipped_on_time")}
                  for pt in result["points"]]
        click.echo(json.dumps({"late_rate": result["late_rate"], "cutoff": result["cutoff"],
                               "n": result["n"], "points": points}))
        return
    click.echo(f"{result['n']:,} settled invoices from {result['cutoff']}, "
               f"late rate {result['late_rate']:.1%}")
    click.echo("cut-off  contact  precision  reach  per month  on-time skipped")
    for pt in result["points"][::5]:
        precision = f"{pt['precision']:.1%}" if pt["precision"] is not None else "—"
        click.echo(f"{pt['threshold']:7.2f}  {pt['contact_share']:7.1%}  {precision:>9}  "
                   f"{pt['reach']:5.1%}  {pt['per_month']:9.1f}  {pt['skipped_on_time']:15,}")
