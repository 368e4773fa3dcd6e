"""The test client of the pages' scripts: it sends the session's CSRF token with every request."""
from __future__ import annotations

import os

from flask.testing import FlaskClient
from itsdangerous import URLSafeTimedSerializer
from werkzeug.datastructures import Headers


class CsrfClient(FlaskClient):
    """Every request carries the session's CSRF token in the ``X-CSRFToken`` header, as ``offline.js``
    does, unless the test sets ``send_csrf = False`` or passes its own header."""

    send_csrf = True

    def open(self, *args, **kwargs):
        if self.send_csrf and (not args or isinstance(args[0], str)):
            headers = Headers(kwargs.get("headers") or {})
            if "X-CSRFToken" not in headers:
                headers["X-CSRFToken"] = self.csrf_token()
                kwargs["headers"] = headers
        return super().open(*args, **kwargs)

    def csrf_token(self) -> str:
        """The signed token of this client's session (Flask-WTF's), its secret made if it has none yet."""
        with self.session_transaction() as session:
            raw = session.setdefault("csrf_token", os.urandom(20).hex())
        config = self.application.config
        return URLSafeTimedSerializer(config.get("WTF_CSRF_SECRET_KEY") or config["SECRET_KEY"],
                                      salt="wtf-csrf-token").dumps(raw)
