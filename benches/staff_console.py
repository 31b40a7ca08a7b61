"""Benchmark: the staff console's heavy pages on the demo portfolio.

    python benches/staff_console.py [--debtors 120] [--months 12] [--repeat 3]

Builds a fresh SQLite database in a temporary folder, seeds the deterministic demo portfolio,
trains and scores the risk model, plans today's reminders, then times (best of --repeat) the
dashboard (nine KPIs, SVG charts), each chart alone, a debtor search, a debtor timeline, the
audit log, the what-if at 7/14/30 days and the threshold explorer. Target: the dashboard
renders in under 1 s for the demo portfolio (about 1,500 invoices).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def best(action, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--debtors", type=int, default=120)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="saldo-bench-staff-")
    os.environ["SALDO_INSTANCE_PATH"] = folder

    from flask_migrate import upgrade

    from portal import create_app
    from portal.config import TestConfig

    config = {k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()}
    config.update(SQLALCHEMY_DATABASE_URI=f"sqlite:///{folder}/bench.db",
                  WTF_CSRF_ENABLED=False, RATELIMIT_ENABLED=False)
    app = create_app(config)
    with app.app_context():
        upgrade()
        from portal.demo import seed_demo

        summary = seed_demo(debtors=args.debtors, months=args.months)
        print(f"portfolio: {summary['debtors']} debtors, {summary['invoices']} invoices")
        from risk.service import ensure_model_and_scores

        ensure_model_and_scores()
        from alerts.planner import plan

        plan(datetime.now(UTC).date())
        from portal.staff.accounts import ensure_staff_user

        ensure_staff_user("bench@saldo.local", "bench-password-123", "admin")
        client = app.test_client()
        client.post("/staff/login", data={"email": "bench@saldo.local",
                                           "password": "bench-password-123"})
        for url in ("/staff/dashboard", "/staff/debtors?q=a", "/staff/debtors/1",
                    "/staff/audit", "/staff/audit.csv", "/staff/policy"):
            seconds = best(lambda url=url: client.get(url), args.repeat)
            print(f"GET {url:<24} {seconds * 1000:8.1f} ms")
        from portal.staff.dashboard import CHART_KEYS, build

        today = datetime.now(UTC).date()
        for key in CHART_KEYS:
            seconds = best(lambda key=key: build(key, today, "COP"), args.repeat)
            print(f"chart {key:<22} {seconds * 1000:8.1f} ms")
        from alerts.settings import current_policy
        from portal.staff import whatif

        for days in (7, 14, 30):
            seconds = best(lambda days=days: whatif.run_compare(
                current_policy(), current_policy(), today, days), 1)
            print(f"what-if, {days:2d} days (both columns) {seconds * 1000:8.1f} ms")
        from risk.explorer import explore_database

        started = time.perf_counter()
        explored = explore_database()
        at_half = explored["points"][50]
        print(f"threshold explorer          {(time.perf_counter() - started) * 1000:8.1f} ms "
              f"({explored['n']} settled invoices from {explored['cutoff']}, late rate "
              f"{explored['late_rate']:.1%}; at 0.50: contact {at_half['contact_share']:.1%}, "
              f"reach {at_half['reach']:.1%})")


if __name__ == "__main__":
    main()
