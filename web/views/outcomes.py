"""One way for a page to take a refusal, as the API's error handler does for JSON.

A refused operation is undone; when the refusal is one oversight must see (``err.audited``), it is put
on the record exactly as the API records it; then the person is told why, in Chinese.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import flash, redirect
from werkzeug.wrappers import Response

from inspection.errors import DomainError

from ..errors import record_refusal
from ..session import db

T = TypeVar("T")


def undo(err: DomainError) -> None:
    """Roll the refused operation back, keeping the refusal on the record when it is audited."""
    if err.audited:
        record_refusal(err)
    else:
        db().rollback()


def refused(err: DomainError, message: str | None = None) -> None:
    """Undo the refused operation and flash why (``message``, by default the error's own)."""
    undo(err)
    flash(message or err.message, "error")


def attempt(action: Callable[[], T], success: str | Callable[[T], str], back: str) -> Response:
    """Run one operation and come back to ``back`` either way: with ``success`` (a message, or one made
    from what the operation returned) when it went through, with the refusal when it did not."""
    try:
        result = action()
    except DomainError as err:
        refused(err)
        return redirect(back)
    flash(success(result) if callable(success) else success, "success")
    return redirect(back)
