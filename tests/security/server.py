"""A real gunicorn (the shipped gunicorn.conf.py) with two workers, on a free port."""

from __future__ import annotations

import os
import re
import secrets
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import requests

from tests.conftest import free_port

ROOT = Path(__file__).resolve().parents[2]
_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


class Server:
    def __init__(self, url: str, process: subprocess.Popen, log: Path):
        self.url, self.process, self.log = url, process, log

    def workers(self) -> list[int]:
        out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(self.process.pid)],
                             capture_output=True, text=True, check=False).stdout
        return [int(pid) for pid in out.split()]

    def kill_workers(self) -> None:
        """SIGKILL every worker (gunicorn's master starts new ones) and wait for them."""
        old = set(self.workers())
        for pid in old:
            os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            now = set(self.workers())
            if len(now) >= len(old) and not (now & old):
                break
            time.sleep(0.2)
        wait_until_up(self.url)

    def session(self) -> requests.Session:
        return requests.Session()

    def csrf(self, session: requests.Session, path: str) -> str:
        page = session.get(self.url + path, timeout=120)
        match = _CSRF.search(page.text)
        assert match, f"no CSRF token on {path} ({page.status_code})"
        return match.group(1)

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


def wait_until_up(url: str, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if requests.get(url + "/healthz", timeout=5).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.3)
    raise AssertionError(f"gunicorn did not come up at {url}")


@contextmanager
def gunicorn(database_url: str, instance: Path, workers: int = 2, secret: str | None = None,
             **env):
    """Run `gunicorn -c gunicorn.conf.py` against the test database; yield a Server.
    `secret`: the test app's SECRET_KEY, so links the test issues open on the server."""
    port = free_port()
    instance.mkdir(parents=True, exist_ok=True)
    log = instance / "gunicorn.log"
    environment = {**os.environ, "DATABASE_URL": database_url,
                   "SALDO_INSTANCE_PATH": str(instance), "SALDO_ENV": "development",
                   "SECRET_KEY": secret or secrets.token_urlsafe(48),
                   "SALDO_BIND": f"127.0.0.1:{port}",
                   "WEB_CONCURRENCY": str(workers), "SMTP_PORT": "1",
                   "SALDO_LINK_MAIL_ASYNC": "0", "LOG_LEVEL": "WARNING",
                   # A loaded test machine can take long over a scrypt hash: no worker kills.
                   "SALDO_WORKER_TIMEOUT": "300", **env}
    with log.open("w") as out:
        process = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c",
                                    str(ROOT / "gunicorn.conf.py")], cwd=ROOT,
                                   env=environment, stdout=out, stderr=subprocess.STDOUT)
        server = Server(f"http://127.0.0.1:{port}", process, log)
        try:
            wait_until_up(server.url)
            # With the app preloaded, the first worker can answer before the master has
            # forked the others (it sleeps up to 0.1 s between forks).
            deadline = time.monotonic() + 30
            while len(server.workers()) < workers and time.monotonic() < deadline:
                time.sleep(0.05)
            yield server
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
