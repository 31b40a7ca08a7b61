"""A real HTTP receiver on a free loopback port and an endpoint registered for it."""

from __future__ import annotations

import pytest

from portal.extensions import db
from portal.webhooks import EVENTS
from portal.webhooks.endpoints import create_endpoint
from portal.webhooks.receiver import start
from tests.conftest import free_port


@pytest.fixture
def receiver(app):
    """(receiver, endpoint): every event goes to a local receiver that checks signatures."""
    app.config["WEBHOOKS_ALLOW_PRIVATE"] = True
    server = start(free_port(), secret="unset")
    endpoint = create_endpoint(server.url, list(EVENTS), actor_type="system")
    server.secret = endpoint.secret
    db.session.commit()
    yield server, endpoint
    server.shutdown()
    server.server_close()
