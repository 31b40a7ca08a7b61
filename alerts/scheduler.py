"""`saldo scheduler`: the one process that runs Saldo's periodic jobs (APScheduler 3.11).

One list of jobs (`JOBS`), reconciled on start (added with replace_existing, nothing else
kept). Every job runs in an app context, imports its function lazily and logs failures
without stopping the scheduler. Jobs coalesce missed runs and tolerate being late by
`misfire_grace_time`. A database lock (PostgreSQL advisory lock; a lock row with a
heartbeat on SQLite) makes a second scheduler wait instead of running every job twice.
"""

from __future__ import annotations

import importlib
import logging
import os
import signal
import socket
import time as clock
from dataclasses import dataclass
from datetime import UTC, datetime

import click
from flask import current_app
from flask.cli import with_appcontext

from alerts.locks import SchedulerLease

log = logging.getLogger("saldo.scheduler")


@dataclass(frozen=True)
class Job:
    id: str
    target: str  # "module:function"
    trigger: str  # cron | interval
    schedule: dict
    grace: int = 3600
    pass_today: bool = False
    at_start: bool = False  # also run once when the scheduler starts (catch up)


JOBS = (
    Job("risk_scoring", "risk.service:score_open_invoices", "cron", {"hour": 2, "minute": 0}),
    Job("risk_training", "risk.service:train_and_register", "cron",
        {"day_of_week": "sun", "hour": 3, "minute": 30}, grace=6 * 3600),
    Job("alerts_plan_dispatch", "alerts.jobs:plan_and_dispatch", "cron", {"minute": 5},
        at_start=True),
    Job("alerts_dispatch", "alerts.jobs:dispatch_due", "interval", {"minutes": 10}, grace=300),
    # Sign-in links, receipts, notices, replies, webhooks: watched continuously (see
    # alerts.urgent).
    Job("outbox_urgent", "alerts.urgent:urgent_loop", "interval", {"seconds": 60}, grace=30,
        at_start=True),
    Job("replies_imap", "replies.imap:poll_mailbox", "interval", {"minutes": 1}, grace=60),
    Job("promises_broken", "portal.operations.promises:mark_broken_promises", "cron",
        {"hour": 1, "minute": 15}, pass_today=True),
    Job("installments_charge", "payments.jobs:charge_due_installments", "cron",
        {"hour": 9, "minute": 0}),
    Job("payments_reconcile", "payments.jobs:reconcile", "cron", {"minute": 35}),
    Job("ledger_folder_import", "portal.ledger.folder:import_dropped_files", "interval",
        {"minutes": 5}, grace=300),
)


def run_job(app, job: Job) -> bool:
    """Run one job now in an app context; log and swallow failures. True on success."""
    started = clock.monotonic()
    with app.app_context():
        from portal.extensions import db

        try:
            module_name, name = job.target.split(":")
            function = getattr(importlib.import_module(module_name), name)
            function(datetime.now(UTC).date()) if job.pass_today else function()
        except Exception:
            db.session.rollback()
            log.exception("job %s failed", job.id)
            return False
        finally:
            db.session.remove()
    log.info("job %s done in %.1fs", job.id, clock.monotonic() - started)
    return True


def build_scheduler(app, lease: SchedulerLease):
    """A BlockingScheduler with JOBS and the heartbeat, in UTC."""
    from apscheduler.schedulers.blocking import BlockingScheduler

    scheduler = BlockingScheduler(timezone=UTC, job_defaults={
        "coalesce": True, "max_instances": 1, "misfire_grace_time": 3600})
    for job in JOBS:
        scheduler.add_job(run_job, job.trigger, args=(app, job), id=job.id, name=job.target,
                          replace_existing=True, misfire_grace_time=job.grace, coalesce=True,
                          max_instances=1, **job.schedule)
        if job.at_start:
            scheduler.add_job(run_job, "date", args=(app, job), id=f"{job.id}_at_start",
                              name=job.target, replace_existing=True,
                              run_date=datetime.now(UTC), misfire_grace_time=600)
    scheduler.add_job(heartbeat, "interval", seconds=30, args=(app, lease, scheduler),
                      id="heartbeat",
                      replace_existing=True, misfire_grace_time=30, coalesce=True,
                      max_instances=1)
    return scheduler


def heartbeat(app, lease: SchedulerLease, scheduler=None) -> bool:
    """Refresh the lock's heartbeat. A scheduler that lost the lock (another one took it
    over after a long pause) stops instead of running every job a second time."""
    with app.app_context():
        held = lease.beat()
    if not held:
        log.error("scheduler lock lost (holder=%s); stopping", lease.holder)
        if scheduler is not None and scheduler.running:
            scheduler.shutdown(wait=False)
        return False
    log.info("scheduler heartbeat: holder=%s", lease.holder)
    return True


@click.command("scheduler")
@click.option("--run-job", "job_id", help="Run one job now and exit (e.g. alerts_plan_dispatch).")
@click.option("--wait-seconds", default=15.0, show_default=True,
              help="How often a waiting scheduler retries the lock.")
@with_appcontext
def scheduler_command(job_id: str | None, wait_seconds: float) -> None:
    """Run the periodic jobs (exactly one scheduler per deployment)."""
    app = current_app._get_current_object()
    if job_id:
        job = next((j for j in JOBS if j.id == job_id), None)
        if job is None:
            raise click.BadParameter(f"unknown job; choose from {', '.join(j.id for j in JOBS)}")
        raise SystemExit(0 if run_job(app, job) else 1)
    lease = SchedulerLease(f"{socket.gethostname()}:{os.getpid()}")
    while not lease.acquire():
        log.info("another scheduler holds the lock; waiting")
        clock.sleep(wait_seconds)
    scheduler = build_scheduler(app, lease)
    def stop(*_):
        if scheduler.running:
            scheduler.shutdown(wait=False)

    signal.signal(signal.SIGTERM, stop)
    log.info("scheduler started with jobs: %s", ", ".join(j.id for j in JOBS))
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        lease.release()
