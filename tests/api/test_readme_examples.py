"""The README's curl and Python examples run against a live server and do what they say."""

from __future__ import annotations

import re
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from portal.extensions import db
from portal.models import Invoice
from tests.api.conftest import new_key
from tests.conftest import free_port

README = Path(__file__).resolve().parents[2] / "README.md"


def example(name: str) -> str:
    text = README.read_text()
    match = re.search(rf"<!-- api-example:{name} -->\s*```\w+\n(.*?)```", text, re.S)
    assert match, f"README has no {name} example"
    return match.group(1)


@pytest.fixture
def live_server(app):
    server = make_server("127.0.0.1", free_port(), app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


def test_readme_examples_run(app, live_server):
    env = {"SALDO_URL": live_server, "SALDO_API_KEY": new_key(), "PATH": "/usr/bin:/bin"}
    shell = subprocess.run(["bash", "-euo", "pipefail", "-c", example("curl")], env=env,
                           capture_output=True, text=True, timeout=60)
    assert shell.returncode == 0, shell.stderr
    compact = re.sub(r"\s", "", shell.stdout)
    assert '"invoice_id":"F-2001"' in compact and '"status":"open"' in compact
    python = subprocess.run([sys.executable, "-c", example("python")], env=env,
                            capture_output=True, text=True, timeout=60)
    assert python.returncode == 0, python.stderr
    assert python.stdout.strip() == "100000 USD"
    db.session.expire_all()
    invoice = db.session.scalar(select(Invoice).where(Invoice.external_id == "F-2001"))
    assert invoice.paid_minor == 50000
