"""gunicorn's access log without live tokens (used by the shipped `gunicorn.conf.py`).

gunicorn writes the request line, path, query and referer of every request; debtor links
(`/l/<token>`), unsubscribe links and tracking pixels carry credentials there, so this
logger masks them with the same rules as the app's own JSON log (`portal.logging`).
"""

from __future__ import annotations

from gunicorn.glogging import Logger

from portal.logging import redact_url

URL_ATOMS = ("r", "U", "q", "f")  # request line, path, query string, referer


class RedactingLogger(Logger):
    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        for key in URL_ATOMS:
            if isinstance(atoms.get(key), str):
                atoms[key] = redact_url(atoms[key])
        for key, value in list(atoms.items()):  # headers and environ atoms ({…}i, {…}e)
            if key.startswith("{") and isinstance(value, str):
                atoms[key] = redact_url(value)
        return atoms
