"""End-to-end fixtures, shared by every e2e test file (debtor, payments, staff).

`live_server`: a real threaded werkzeug server on a free port, serving the test `app` (its
database is migrated SQLite or PostgreSQL and emptied after the test); yields the base URL.
The app's BASE_URL points at it, so links built by the app open in the browser.

`phone_page`: a Playwright page in headless Chromium (/usr/bin/chromium) at 360×740, touch,
Spanish (Colombia). `shot(page, name)` saves a full-page screenshot under artifacts/.
`layout_problems(page)` lists horizontal scroll and tap targets smaller than 44×44 px.

Commit (or remove the session) before the browser acts, and call `db.session.remove()`
before reading what the browser changed, so SQLite is never locked by the test thread.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from tests.conftest import free_port

CHROMIUM = os.environ.get("SALDO_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
PHONE = {"width": 360, "height": 740}


@pytest.fixture
def live_server(app):
    from werkzeug.serving import make_server

    from portal.extensions import db

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    app.config.update(BASE_URL=base, SERVER_NAME=None)
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield base
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
        db.session.remove()


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        if os.environ.get("SALDO_SKIP_E2E") == "1":  # the developer asked for no browser tests
            pytest.skip("SALDO_SKIP_E2E=1: end-to-end browser tests not run")
        pytest.fail(f"Chromium not found at {CHROMIUM}: install Debian's `chromium` "
                    "(`apt-get install chromium`, as .ci/run does), point SALDO_CHROMIUM at "
                    "another build, or set SALDO_SKIP_E2E=1 to leave the browser tests out")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=["--no-sandbox", "--disable-dev-shm-usage"])
        yield chromium
        chromium.close()


@pytest.fixture
def phone_page(browser):
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True,
                                  device_scale_factor=2, locale="es-CO",
                                  timezone_id="America/Bogota")
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def shot(page, name: str) -> Path:
    """Save a full-page screenshot as artifacts/<name>.png and return its path."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


LAYOUT_JS = """
() => {
  const problems = [];
  const doc = document.documentElement;
  if (doc.scrollWidth > window.innerWidth) {
    problems.push(`horizontal scroll: ${doc.scrollWidth}px > ${window.innerWidth}px`);
  }
  const inSentence = (el) => el.tagName === 'A' && el.parentElement &&
    ['P', 'LI', 'DD', 'SPAN'].includes(el.parentElement.tagName) &&
    el.parentElement.textContent.trim() !== el.textContent.trim();
  for (const el of document.querySelectorAll('a[href], button, input, select, textarea')) {
    if (el.type === 'hidden' || el.closest('[hidden]') || inSentence(el)) continue;
    let target = el;
    if (el.type === 'checkbox' || el.type === 'radio') target = el.closest('label') || el;
    const r = target.getBoundingClientRect();
    const style = getComputedStyle(target);
    if (style.display === 'none' || style.visibility === 'hidden' || r.width === 0) continue;
    if (r.right < 0 || r.left > window.innerWidth) continue;  // off-screen skip link
    if (r.width < 44 || r.height < 44) {
      problems.push(`small tap target ${Math.round(r.width)}x${Math.round(r.height)}: ` +
        (target.outerHTML || '').slice(0, 80));
    }
  }
  return problems;
}
"""


def layout_problems(page) -> list[str]:
    """Horizontal scroll and tap targets under 44×44 px on the current page."""
    return page.evaluate(LAYOUT_JS)
