"""The commands now live in ``web.commands``, one module per topic; these names stay importable from here."""
from __future__ import annotations

from .commands import init_app
from .commands._common import require_schema, transactional

__all__ = ["init_app", "require_schema", "transactional"]
