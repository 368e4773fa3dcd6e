"""Domain errors shared by every domain package, and the problem found at a line of a file.

Each error carries a stable machine code, an HTTP status for the web layer and a Chinese message
for people. ``fields`` names the offending inputs.
"""
from __future__ import annotations


class DomainError(Exception):
    status = 400
    code = "domain_error"
    # Refusals that oversight must see (禁止违规异地执法, unregistered entries...) are logged
    # even though the refused action itself leaves nothing behind.
    audited = False

    def __init__(self, message: str, *, fields: dict | None = None, records: list | None = None):
        super().__init__(message)
        self.message = message
        self.fields = fields or {}
        # Rows that record an audited refusal (a refused scan...), written after the rollback.
        self.records = records or []


class Problem:
    """One validation problem located in a file."""

    def __init__(self, path: str, line: int | None, field: str, message: str, item: str | None = None):
        self.path, self.line, self.field, self.message, self.item = path, line, field, message, item

    def as_dict(self) -> dict:
        return {"file": self.path, "line": self.line, "item": self.item, "field": self.field, "message": self.message}

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        item = f" 事项 {self.item}" if self.item else ""
        return f"{where}{item} 字段 {self.field}：{self.message}"
