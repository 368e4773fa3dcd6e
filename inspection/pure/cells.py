"""Cells of exported spreadsheets that a spreadsheet program must show as text, never run.

A text beginning with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is a formula to Excel and
LibreOffice (a firm registered as ``=HYPERLINK(...)``, an address ``=cmd|' /C calc'!A0``). In a CSV such a
text gets a leading apostrophe; in an XLSX it is written as a string cell. Numbers, negative ones included,
stay numbers.
"""
from __future__ import annotations

from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def formula_like(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_STARTS)


def csv_cell(value: Any) -> Any:
    """``value`` as a CSV cell: a formula-like text behind an apostrophe, anything else as it is."""
    return "'" + value if formula_like(value) else value


def csv_row(row: list) -> list:
    return [csv_cell(value) for value in row]


def as_text(cell) -> None:
    """Mark an openpyxl cell holding a formula-like text as a string cell (openpyxl would store a formula)."""
    if formula_like(cell.value):
        cell.data_type = "s"


def csv_value(text: str) -> str:
    """A CSV cell read back: the apostrophe :func:`csv_cell` put before a formula-like text is dropped."""
    return text[1:] if text.startswith("'") and formula_like(text[1:]) else text
