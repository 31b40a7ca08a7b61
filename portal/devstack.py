"""`saldo demo`: migrate, seed and run the whole product locally on embedded defaults.

Starts the web app on http://127.0.0.1:5000 and prints what to open. Later parts of the
product (local Stripe, mail sink, scheduler) are started here too, as child processes that
stop with it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_migrate import upgrade

from portal.demo import seed_demo

HOST, PORT = "127.0.0.1", 5000


def _start(name: str, argv: list[str], env: dict) -> subprocess.Popen:
    click.echo(f"  starting {name}: {' '.join(argv)}")
    return subprocess.Popen(argv, env=env)


@click.command("demo")
@click.option("--port", default=PORT, show_default=True)
@click.option("--no-serve", is_flag=True, help="Prepare the demo database and exit.")
@with_appcontext
def demo_command(port: int, no_serve: bool) -> None:
    """Run Saldo locally with demo data (what `make demo` does)."""
    click.echo("Saldo demo: preparing the database ...")
    upgrade()
    summary = seed_demo()
    if summary["skipped"]:
        click.echo("  demo data already present (delete instance/saldo.db to start over)")
    click.echo(
        f"  {summary['debtors']} debtors, {summary['invoices']} invoices "
        f"({summary['open']} open)"
    )
    if no_serve:
        return
    env = dict(os.environ, SALDO_INSTANCE_PATH=current_app.instance_path)
    children = [
        _start("web app", [sys.executable, "-m", "flask", "--app", "portal:create_app", "run",
                           "--host", HOST, "--port", str(port)], env),
    ]
    click.echo("")
    click.echo(f"Open http://{HOST}:{port}/ (health: http://{HOST}:{port}/healthz)")
    click.echo("Press Ctrl-C to stop.")
    _wait(children)


def _wait(children: list[subprocess.Popen]) -> None:
    stop = False

    def _handler(signum, frame):
        nonlocal stop
        stop = True

    signal.signal(signal.SIGINT, _handler)
    signal.signal(signal.SIGTERM, _handler)
    try:
        while not stop and all(child.poll() is None for child in children):
            time.sleep(0.5)
    finally:
        for child in children:
            if child.poll() is None:
                child.terminate()
        for child in children:
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()
