"""The race suite: each money invariant replayed with real threads against the live app.

The app is served by a real threaded server on a free port (`live_server_url`) backed by the
run's database (SQLite, then PostgreSQL) and localstripe. Each test releases its requests
together through a barrier, then counts what happened at Stripe and in the ledger, and
prints the counts (`RACE …` lines, shown with `-s`) so a run can be compared with another.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import requests

from portal.extensions import db

ATTEMPTS = 10


def browser_cookie(client) -> str:
    """The signed-in test client's session, as a Cookie header for `requests`."""
    return f"session={client.get_cookie('session').value}"


def in_parallel(count: int, call: Callable[[int], object]) -> list:
    """Run `call(i)` in `count` threads released at the same moment; return the results
    (an exception is returned in place of a result)."""
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = call(i)
        except Exception as exc:  # noqa: BLE001 - reported by the test's assertions
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    db.session.remove()  # read what the server threads committed
    return results


def post(url: str, *, cookie: str | None = None, token: str | None = None, **kwargs):
    headers = kwargs.pop("headers", {})
    if cookie:
        headers["Cookie"] = cookie
    if token:
        headers["X-CSRFToken"] = token
    return requests.post(url, headers=headers, timeout=60, allow_redirects=False, **kwargs)


def report(name: str, database_url: str, **counts) -> None:
    kind = "postgresql" if database_url.startswith("postgresql") else "sqlite"
    figures = ", ".join(f"{key}={value}" for key, value in counts.items())
    print(f"\nRACE {name} [{kind}]: {figures}")
