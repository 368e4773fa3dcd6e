"""Where uploaded files live (photos, evidence, import uploads): outside the database, under FILES_FOLDER."""
from __future__ import annotations

from pathlib import Path

from flask import current_app


def folder(kind: str) -> Path:
    return Path(current_app.config["FILES_FOLDER"]) / kind
