"""`saldo demo`: migrate, seed and run the whole product locally on embedded defaults.

Prepares a SQLite database with the demo portfolio, trains and runs the risk model, plans the
first reminders and creates a demo staff login; then starts, as child processes that stop
with it: a local Stripe (localstripe, port 8420), the local mail sink (port 8025, messages
readable in the staff area), the scheduler and the web app on http://127.0.0.1:5000.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_migrate import upgrade

from portal import module_exists
from portal.demo import seed_demo

HOST, PORT = "127.0.0.1", 5000
STRIPE_PORT, SMTP_PORT = 8420, 8025
DEMO_ADMIN_EMAIL = "admin@saldo.local"
DEMO_ADMIN_PASSWORD = "saldo-demo-admin"  # noqa: S105 - the local demo's published login


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.3)
        return sock.connect_ex((HOST, port)) == 0


def _start(name: str, argv: list[str], env: dict) -> subprocess.Popen:
    click.echo(f"  starting {name}")
    return subprocess.Popen(argv, env=env)


def _wait_for(port: int, seconds: float = 20) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if _listening(port):
            return True
        time.sleep(0.2)
    return False


def _prepare(step: str, action) -> None:
    click.echo(f"  {step} ...")
    try:
        action()
    except Exception as exc:  # noqa: BLE001 - the demo goes on and says what failed
        click.echo(f"    ({step} failed: {exc})", err=True)


def _train_and_score() -> None:
    from risk.service import ensure_model_and_scores

    model, run = ensure_model_and_scores()
    if model is None:
        click.echo("    not enough settled history to train a model yet")
        return
    click.echo(f"    model version {model.id}: {run.n_scored} open invoices scored "
               f"{run.band_counts}")


def _train_replies() -> None:
    """A registered reply model, so the first reply is answered without fitting one."""
    from replies.registry import champion, train_reply_model

    version = champion() or train_reply_model()
    metrics = version.metrics["heldout"]["all"]
    click.echo(f"    reply model version {version.id}: held-out macro-F1 "
               f"{metrics['macro_f1']:.3f}")


def _plan_reminders() -> None:
    from alerts.planner import plan

    result = plan(dry_run=False)
    click.echo(f"    today: {len(result['planned'])} reminders planned, "
               f"skipped {result['skipped']}")


DEMO_LANGUAGES = ("es", "pt", "en")


def _emailed_languages() -> set[str]:
    """The languages (es, pt, en) of debtors who have a reminder email in the sink."""
    from sqlalchemy import select

    from portal.extensions import db
    from portal.models import Debtor, Message

    locales = db.session.scalars(select(Debtor.locale).join(
        Message, Message.debtor_id == Debtor.id).where(
        Message.kind == "reminder", Message.channel == "email", Message.status == "sent",
        Debtor.external_id.like("DEMO-%")).distinct())
    return {(locale or "").split("_")[0] for locale in locales}


def _send_next_reminders() -> None:
    """Show a newcomer real reminders now: plan the next sending days and send them, until a
    Spanish, a Portuguese and an English debtor each have one in the mail sink (the debtors
    whose links the demo prints), or a week has been sent.

    Reminders respect quiet hours, Sundays and holidays, so a demo started at night may have
    nothing due for hours; this sends each day's reminders at their planned time (the
    dispatcher's clock set to it), into the local mail sink.
    """
    from alerts.outbox import dispatch
    from alerts.planner import plan

    today = datetime.now(UTC).date()
    sent_any = False
    for ahead in range(0, 8):
        day = today + timedelta(days=ahead)
        result = plan(day)
        if not result["planned"]:
            continue
        last = max(datetime.fromisoformat(p["send_at"].replace("Z", "+00:00"))
                   for p in result["planned"])
        counts = dispatch(now=max(last, datetime.now(UTC)))
        sent_any = True
        click.echo(f"    sent {counts['sent']} reminders planned for {day} "
                   f"(skipped that day: {result['skipped']})")
        if set(DEMO_LANGUAGES) <= _emailed_languages():
            return
    if not sent_any:
        click.echo("    no reminders due in the next week")


def _demo_admin() -> None:
    from portal.staff.accounts import ensure_staff_user

    ensure_staff_user(DEMO_ADMIN_EMAIL, DEMO_ADMIN_PASSWORD, "admin")


def prepare_demo() -> None:
    """Everything before the processes start; safe to run again on an existing demo."""
    upgrade()
    summary = seed_demo()
    if summary["skipped"]:
        click.echo("  demo data already present (delete instance/saldo.db to start over)")
    click.echo(f"  {summary['debtors']} debtors, {summary['invoices']} invoices "
               f"({summary['open']} open)")
    if module_exists("risk.service"):
        _prepare("training and scoring the risk model", _train_and_score)
    if module_exists("replies.registry"):
        _prepare("training the reply model", _train_replies)
    if module_exists("alerts.planner"):
        _prepare("planning reminders", _plan_reminders)
    if module_exists("portal.staff.accounts"):
        _prepare("creating the demo staff login", _demo_admin)


def _register_stripe_webhook(port: int) -> None:
    config = current_app.config
    data = urllib.parse.urlencode({
        "url": f"http://{HOST}:{port}/webhooks/stripe",
        "secret": config["STRIPE_WEBHOOK_SECRET"],
    }).encode()
    url = f"http://{HOST}:{STRIPE_PORT}/_config/webhooks/saldo"
    with urllib.request.urlopen(urllib.request.Request(url, data=data), timeout=5):  # noqa: S310
        pass


def demo_environment(instance: Path, port: int) -> dict:
    """The children's environment: one instance, the demo's URLs, and the shared secret
    the mail sink uses to hand replies to the web app (made once per instance)."""
    secret_file = instance / "inbound-secret"
    if not secret_file.exists():
        import secrets

        instance.mkdir(parents=True, exist_ok=True)
        secret_file.write_text(secrets.token_urlsafe(24))
    return dict(os.environ, SALDO_INSTANCE_PATH=str(instance),
                SALDO_BASE_URL=f"http://{HOST}:{port}",
                SALDO_MAILSINK_FOLDER=str(instance / "mailsink"),
                SALDO_INBOUND_EMAIL_SECRET=secret_file.read_text().strip())


def sink_command(smtp_port: int, folder: Path, web_port: int, env: dict) -> list[str]:
    """The mail sink's command line: replies go to the web app's POST /inbound/email."""
    return [sys.executable, "-m", "portal.mailsink", "--port", str(smtp_port),
            "--folder", str(folder), "--inbound-url", f"http://{HOST}:{web_port}/inbound/email",
            "--inbound-domain", env.get("SALDO_INBOUND_DOMAIN", "reply.saldo.local")]


DEMO_RECEIVER = "Demo receiver"


def demo_webhook_endpoint(url: str):
    """The demo's webhook endpoint (every event), pointed at `url`; kept across demo runs."""
    from sqlalchemy import select

    from portal.extensions import db
    from portal.models import WebhookEndpoint
    from portal.webhooks import EVENTS
    from portal.webhooks.endpoints import create_endpoint

    endpoint = db.session.scalar(select(WebhookEndpoint).where(
        WebhookEndpoint.description == DEMO_RECEIVER))
    if endpoint is None:
        endpoint = create_endpoint(url, list(EVENTS), description=DEMO_RECEIVER,
                                   actor_type="system")
    endpoint.url, endpoint.is_active, endpoint.events = url, True, list(EVENTS)
    db.session.commit()
    return endpoint


def start_webhook_receiver(endpoint, port: int, env: dict) -> subprocess.Popen:
    """The local receiver (portal.webhooks.receiver) that checks the demo endpoint's
    signatures and prints each event it gets."""
    return _start(f"webhook receiver on :{port}", [
        sys.executable, "-m", "portal.webhooks.receiver", "--port", str(port),
        "--secret", endpoint.secret], env)


def report_sample_transfer() -> dict:
    """A bank transfer reported by the billing system (as the API would), so the console's
    webhook log has deliveries to show: payment.succeeded and invoice.paid."""
    from sqlalchemy import select

    from payments.external import find_by_reference, record_external_payment
    from portal.extensions import db
    from portal.models import Invoice
    from portal.webhooks.delivery import deliver_due

    if find_by_reference("DEMO-TRANSFER-1") is None:
        invoice = db.session.scalars(select(Invoice).where(
            Invoice.status == "open", Invoice.disputed.is_(False),
            Invoice.plan_id.is_(None)).order_by(Invoice.due_on, Invoice.id)).first()
        if invoice is not None:
            record_external_payment(
                invoice.debtor, amount_minor=invoice.balance_minor, currency=invoice.currency,
                method="transfer", reference="DEMO-TRANSFER-1",
                received_on=datetime.now(UTC).date(), invoice=invoice)
            db.session.commit()
    counts = deliver_due()
    click.echo(f"    webhook deliveries: {counts}")
    return counts


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def _print_links(port: int) -> None:
    if not module_exists("portal.debtor.cli"):
        return
    from portal.debtor.cli import demo_links

    click.echo("\nDebtor links (open on a phone-sized window):")
    for line in demo_links(base_url=f"http://{HOST}:{port}"):
        click.echo(f"  {line}")


@click.command("demo")
@click.option("--port", default=PORT, show_default=True)
@click.option("--no-serve", is_flag=True, help="Prepare the demo database and exit.")
@with_appcontext
def demo_command(port: int, no_serve: bool) -> None:
    """Run Saldo locally with demo data (what `make demo` does)."""
    click.echo("Saldo demo: preparing the database ...")
    prepare_demo()
    if no_serve:
        return
    instance = Path(current_app.instance_path)
    mail_folder = instance / "mailsink"
    env = demo_environment(instance, port)
    children: list[subprocess.Popen] = []
    bin_dir = Path(sys.executable).parent
    if not _listening(STRIPE_PORT) and (bin_dir / "localstripe").exists():
        children.append(_start(f"local Stripe on :{STRIPE_PORT}", [  # localstripe + 3 gaps
            sys.executable, "-m", "payments.devstripe", "--port", str(STRIPE_PORT),
            "--from-scratch"], env))
    if not _listening(SMTP_PORT):
        children.append(_start(f"mail sink on :{SMTP_PORT}", [
            *sink_command(SMTP_PORT, mail_folder, port, env)], env))
    if module_exists("alerts.scheduler"):
        children.append(_start("scheduler", [sys.executable, "-m", "portal.cli", "scheduler"],
                               env))
    hook_port = _free_port()
    endpoint = demo_webhook_endpoint(f"http://{HOST}:{hook_port}/saldo/webhooks")
    children.append(start_webhook_receiver(endpoint, hook_port, env))
    children.append(_start("web app", [
        sys.executable, "-m", "flask", "--app", "portal:create_app", "run",
        "--host", HOST, "--port", str(port)], env))
    if module_exists("alerts.planner") and _wait_for(SMTP_PORT, 15):
        _prepare("sending the next reminders to the mail sink", _send_next_reminders)
    if _wait_for(STRIPE_PORT, 15):
        _prepare("registering the Stripe webhook", lambda: _register_stripe_webhook(port))
    if _wait_for(hook_port, 10):
        _prepare("reporting a sample transfer to the webhook receiver", report_sample_transfer)
    _wait_for(port, 20)
    _print_links(port)
    click.echo(f"\nOpen http://{HOST}:{port}/ (health: http://{HOST}:{port}/healthz)")
    if module_exists("portal.staff"):
        click.echo(f"Staff console: http://{HOST}:{port}/staff/  "
                   f"({DEMO_ADMIN_EMAIL} / {DEMO_ADMIN_PASSWORD}); sent mail: "
                   f"http://{HOST}:{port}/staff/mail; webhook deliveries: "
                   f"http://{HOST}:{port}/staff/webhooks/deliveries; API reference: "
                   f"http://{HOST}:{port}/api/v1/reference")
        click.echo(f"Replies: answer a reminder by mailing its Reply-To address through the "
                   f"sink (SMTP {HOST}:{SMTP_PORT}), or run `saldo replies ingest --channel "
                   f"email --sender <debtor email> --text '…'`; they show in the staff inbox "
                   f"(http://{HOST}:{port}/staff/inbox).")
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
