"""The scheduler: one job list, safe job runs, and a database lock so only one runs."""

import logging

import pytest

import alerts.scheduler as scheduler_module
from alerts.locks import SchedulerLease
from alerts.scheduler import JOBS, Job, build_scheduler, run_job

CALLS = []


def boom():
    raise RuntimeError("job exploded")


def remember(today=None):
    CALLS.append(today)


def test_one_job_list_with_coalescing_and_misfire_grace(app):
    lease = SchedulerLease("test")
    scheduler = build_scheduler(app, lease)
    jobs = {job.id: job for job in scheduler.get_jobs()}
    assert set(jobs) == {j.id for j in JOBS} | {"heartbeat", "alerts_plan_dispatch_at_start",
                                              "outbox_urgent_at_start"}
    assert {"risk_scoring", "risk_training", "alerts_plan_dispatch", "promises_broken",
            "installments_charge", "payments_reconcile"} <= set(jobs)
    for job in jobs.values():
        if job.id.endswith("_at_start"):
            continue
        assert job.coalesce is True and job.max_instances == 1
        assert job.misfire_grace_time >= 30
    assert str(jobs["risk_scoring"].trigger.fields[5]) == "2"  # hour field: 02:00 UTC
    assert "day_of_week='sun'" in str(jobs["risk_training"].trigger)
    assert all(":" in j.target for j in JOBS)


def test_a_failing_job_is_logged_and_does_not_raise(app, caplog):
    with caplog.at_level(logging.ERROR, logger="saldo.scheduler"):
        assert run_job(app, Job("boom", "tests.alerts.test_scheduler:boom", "cron", {})) is False
    assert "job boom failed" in caplog.text and "job exploded" in caplog.text
    CALLS.clear()
    assert run_job(app, Job("ok", "tests.alerts.test_scheduler:remember", "cron", {},
                            pass_today=True))
    assert len(CALLS) == 1 and CALLS[0] is not None


def test_a_missing_job_module_is_a_logged_failure(app):
    assert run_job(app, Job("gone", "no_such_module.jobs:run", "cron", {})) is False


def test_the_lock_admits_one_scheduler(app):
    first, second = SchedulerLease("first"), SchedulerLease("second")
    try:
        assert first.acquire()
        assert not second.acquire()
        first.beat()
        first.release()
        assert second.acquire()
    finally:
        second.release()
        first.release()


def test_a_second_scheduler_waits_for_the_lock(app, runner, monkeypatch):
    holder = SchedulerLease("holder")
    assert holder.acquire()
    waits, started = [], []

    def fake_sleep(seconds):
        waits.append(seconds)
        holder.release()

    class FakeScheduler:
        def start(self):
            started.append(True)

        running = False

        def shutdown(self, wait=False):
            return None

    monkeypatch.setattr(scheduler_module.clock, "sleep", fake_sleep)
    monkeypatch.setattr(scheduler_module, "build_scheduler", lambda app, lease: FakeScheduler())
    monkeypatch.setattr(scheduler_module.signal, "signal", lambda *args: None)
    result = runner.invoke(args=["scheduler", "--wait-seconds", "7"])
    assert result.exit_code == 0, result.output
    assert waits == [7.0] and started == [True]


def test_run_one_job_from_the_command_line(app, runner, smtp_server):
    result = runner.invoke(args=["scheduler", "--run-job", "alerts_plan_dispatch"])
    assert result.exit_code == 0, result.output
    bad = runner.invoke(args=["scheduler", "--run-job", "nope"])
    assert bad.exit_code != 0 and "alerts_plan_dispatch" in bad.output


@pytest.mark.parametrize("job", JOBS, ids=lambda j: j.id)
def test_every_job_names_a_module_and_function(job):
    module, function = job.target.split(":")
    assert module and function.isidentifier()


def test_a_scheduler_that_lost_its_lock_stops(app, caplog):
    """Its heartbeat went stale and a second scheduler took the lock over: the first one
    must stop rather than run every job twice."""
    first = SchedulerLease("first")
    try:
        assert first.acquire()

        class Running:
            running, stopped = True, False

            def shutdown(self, wait=True):
                self.stopped = True

        alive = Running()
        assert scheduler_module.heartbeat(app, first, alive) is True and not alive.stopped
        first.release()  # as if a second scheduler took the lock over
        second = SchedulerLease("second")
        assert second.acquire()
        with caplog.at_level(logging.ERROR, logger="saldo.scheduler"):
            assert scheduler_module.heartbeat(app, first, alive) is False
        assert alive.stopped and "lock lost" in caplog.text
        second.release()
    finally:
        first.release()
