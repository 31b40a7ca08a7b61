"""The `saldo` command: Flask's CLI over `create_app`, plus Saldo's own commands."""

from __future__ import annotations

import importlib
import json
import os
import sys

import click
from flask import current_app
from flask.cli import AppGroup, FlaskGroup, with_appcontext

from portal import create_app, module_exists

import_cli = AppGroup("import", help="Import data from the billing system.")


def _progress_bar(length: int, label: str):
    """A progress bar on stderr when it is a terminal; otherwise nothing is drawn."""
    if not sys.stderr.isatty():
        return None
    return click.progressbar(length=length, label=label, file=sys.stderr, show_eta=True)


@import_cli.command("ledger")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, allow_dash=True))
@click.option("--dry-run", is_flag=True, help="Validate and count, but write nothing.")
@click.option("--skip-invalid", is_flag=True, help="Write the valid rows, report the rest.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option("--timings", is_flag=True, help="Print the seconds each phase took (on stderr).")
def import_ledger_command(path: str, dry_run: bool, skip_invalid: bool, as_json: bool,
                          timings: bool) -> None:
    """Import a ledger CSV (customer_id, invoice_id, issue_date, due_date, amount, ...).

    PATH may be gzip-compressed, or - for standard input.
    """
    from portal.ledger.importer import import_ledger

    bar = None if path == "-" else _progress_bar(os.path.getsize(path), "Importing")
    if bar is not None:
        bar.__enter__()
    try:
        report = import_ledger(
            path,
            dry_run=dry_run,
            skip_invalid=skip_invalid,
            default_currency=current_app.config["DEFAULT_CURRENCY"],
            on_progress=bar.update if bar is not None else None,
        )
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)
    if timings:
        for phase, seconds in report.timings.items():
            click.echo(f"timing {phase}: {seconds:.2f} s", err=True)
    if as_json:
        click.echo(json.dumps(report.as_dict()))
    else:
        _print_import_report(report, dry_run)
    if report.error_count and not skip_invalid:
        sys.exit(1)


def _print_import_report(report, dry_run: bool) -> None:
    for error in report.errors:
        click.echo(f"line {error['line']}: {error['error']}", err=True)
    if report.error_count > len(report.errors):
        click.echo(f"... and {report.error_count - len(report.errors)} more errors", err=True)
    if report.written:
        verdict = "imported"
    elif dry_run and not report.error_count:
        verdict = "dry run: valid, nothing written"
    else:
        verdict = "nothing written"
    click.echo(
        f"{verdict}: {report.rows} rows, {report.customers} customers, "
        f"{report.invoices_created} invoices created, {report.invoices_updated} updated, "
        f"{report.error_count} errors"
    )


@click.command("seed-demo")
@with_appcontext
@click.option("--debtors", default=120, show_default=True, help="How many debtors.")
@click.option("--months", default=12, show_default=True, help="Months of history.")
@click.option("--seed", default=7, show_default=True, help="Random seed (same seed, same data).")
def seed_demo_command(debtors: int, months: int, seed: int) -> None:
    """Fill the database with a deterministic, realistic demo portfolio."""
    from portal.demo import seed_demo

    summary = seed_demo(debtors=debtors, months=months, seed=seed)
    click.echo(
        f"demo portfolio: {summary['debtors']} debtors, {summary['invoices']} invoices "
        f"({summary['open']} open), {summary['payments']} payments, "
        f"{summary['promises']} promises, {summary['disputes']} disputes"
    )


# Command modules of the other packages: (module, attribute holding a click command or group).
COMMAND_MODULES = (
    ("portal.devstack", "demo_command"),
    ("portal.debtor.cli", "link_command"),
    ("portal.staff.cli", "staff_cli"),
    ("risk.cli", "risk_cli"),
    ("payments.cli", "payments_cli"),
    ("alerts.cli", "alerts_cli"),
    ("alerts.scheduler", "scheduler_command"),
    ("replies.cli", "replies_cli"),
    ("portal.api.cli", "api_key_cli"),
)


def register_commands(app) -> None:
    """Attach Saldo's commands to the app's CLI (used by `saldo` and by tests' CLI runner)."""
    app.cli.add_command(import_cli)
    app.cli.add_command(seed_demo_command)
    for module_name, attribute in COMMAND_MODULES:
        if not module_exists(module_name):
            continue
        app.cli.add_command(getattr(importlib.import_module(module_name), attribute))


@click.group(cls=FlaskGroup, create_app=create_app, help="Saldo: debtor portal and alerts.")
def main() -> None:
    """The `saldo` console script."""


if __name__ == "__main__":  # `python -m portal.cli …`, used by `saldo demo` for children
    main()
