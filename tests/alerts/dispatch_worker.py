"""A dispatcher process for the kill test: `python -m tests.alerts.dispatch_worker URL PORT`.

Prints "ready" once the app is built, then sends every due message and exits.
"""

from __future__ import annotations

import sys


def main() -> None:
    from alerts.outbox import dispatch
    from portal import create_app
    from tests.conftest import _config_dict

    url, port = sys.argv[1], int(sys.argv[2])
    app = create_app({**_config_dict(), "SQLALCHEMY_DATABASE_URI": url,
                      "SMTP_HOST": "127.0.0.1", "SMTP_PORT": port,
                      # The previous dispatcher was killed: take its rows over at once.
                      "ALERTS_LEASE_SECONDS": 0, "LOG_LEVEL": "ERROR"})
    with app.app_context():
        print("ready", flush=True)
        dispatch(batch=10, workers=4)


if __name__ == "__main__":
    main()
