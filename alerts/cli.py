"""`saldo alerts plan` and `saldo alerts dispatch`."""

from __future__ import annotations

import json
import sys
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
    """Send every message that is due (safe to run in several processes at once)."""
    from alerts.outbox import dispatch

    counts = dispatch(batch=batch, limit=limit)
    click.echo(" ".join(f"{k}={v}" for k, v in counts.items()))
    if counts["failed"]:
        sys.exit(2)
