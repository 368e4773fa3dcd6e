"""Rate limits on the doors that guessing or flooding could open: signing in, the inspection-code
verifier, firm-code scans and device registration (Flask-Limiter).

Counts live in ``RATELIMIT_STORAGE_URI``: ``memory://`` (one process, the default) or a shared
store such as ``redis://127.0.0.1:6379/1`` when several workers or hosts serve the platform, so
that a limit holds across all of them. Behind a reverse proxy set ``TRUSTED_PROXIES`` to the number
of proxies in front, so that the client's address, not the proxy's, is what is counted.
"""
from __future__ import annotations

from flask import Flask, current_app, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import current_user

limiter = Limiter(key_func=get_remote_address)

# Per address and account: a password cannot be guessed faster than this from one place;
# per address: one place cannot try many accounts either.
LOGIN_PER_ACCOUNT = "10 per minute; 50 per hour"
LOGIN_PER_ADDRESS = "300 per hour"
VERIFY_PER_ADDRESS = "120 per minute"
SCANS_PER_USER = "60 per minute"
DEVICES_PER_USER = "10 per hour"


def _account() -> str:
    body = request.get_json(silent=True) if request.is_json else None
    username = (body or {}).get("username") if isinstance(body, dict) else request.form.get("username")
    return f"{get_remote_address()}|{str(username or '')[:64]}"


def _user() -> str:
    if current_user and current_user.is_authenticated:
        return f"user:{current_user.id}"
    return get_remote_address()


def _off() -> bool:
    """Limits are switched per app (``RATE_LIMITS``): the one limiter object serves every app in the
    process, so its own on/off switch would be the last app's."""
    return not current_app.config["RATE_LIMITS"]


# Shared: the sign-in page and the API's sign-in draw on one count per account and one per address.
_login_account = limiter.shared_limit(LOGIN_PER_ACCOUNT, key_func=_account, methods=["POST"], scope="login-account",
                                      exempt_when=_off)
_login_address = limiter.shared_limit(LOGIN_PER_ADDRESS, methods=["POST"], scope="login-address", exempt_when=_off)


def login_limits(view):
    """Both login limits, counted on POST only (showing the form is free), shared by page and API."""
    return _login_address(_login_account(view))


verify_limit = limiter.shared_limit(VERIFY_PER_ADDRESS, scope="verify", exempt_when=_off)  # page and API: one count
scan_limit = limiter.limit(SCANS_PER_USER, key_func=_user, methods=["POST"], scope="scans", exempt_when=_off)
device_limit = limiter.limit(DEVICES_PER_USER, key_func=_user, scope="devices", exempt_when=_off)


def init_app(app: Flask) -> None:
    app.config.setdefault("RATE_LIMITS", True)
    app.config["RATELIMIT_ENABLED"] = True
    app.config.setdefault("RATELIMIT_STORAGE_URI", "memory://")
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", True)
    limiter.init_app(app)
