"""Unified social credit code (统一社会信用代码), GB 32100-2015.

18 characters from a 31-character alphabet (digits and capitals without I, O, Z, S, V):
1 registration authority, 1 organisation category, 6 administrative division code,
9 organisation code (GB 11714), 1 check character computed over the first 17.
"""
from __future__ import annotations

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
VALUE = {c: i for i, c in enumerate(ALPHABET)}
WEIGHTS = [pow(3, i, 31) for i in range(17)]  # 1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28
ORG_WEIGHTS = [3, 7, 9, 10, 5, 8, 4, 2]
ORG_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def check_character(body: str) -> str:
    """The check character for the first 17 characters ``body``."""
    if len(body) != 17 or any(c not in VALUE for c in body):
        raise ValueError("body must be 17 characters of the GB 32100 alphabet")
    total = sum(VALUE[c] * w for c, w in zip(body, WEIGHTS))
    return ALPHABET[(31 - total % 31) % 31]


def org_check_character(body: str) -> str:
    """The GB 11714 check character of an 8-character organisation code body."""
    total = sum(ORG_ALPHABET.index(c) * w for c, w in zip(body, ORG_WEIGHTS))
    value = 11 - total % 11
    return {10: "X", 11: "0"}.get(value, str(value))


def uscc_problem(code: str) -> str | None:
    """Why ``code`` is not a valid unified social credit code, or ``None``."""
    if not isinstance(code, str):
        return "统一社会信用代码应为文字"
    if len(code) != 18:
        return f"统一社会信用代码应为 18 位，收到 {len(code)} 位"
    bad = [c for c in code if c not in VALUE]
    if bad:
        return f"统一社会信用代码含有不允许的字符 {''.join(dict.fromkeys(bad))}（不使用 I、O、Z、S、V 及小写字母）"
    if not code[2:8].isdigit():
        return "统一社会信用代码第 3-8 位应为行政区划代码（数字）"
    expected = check_character(code[:17])
    if code[17] != expected:
        return f"统一社会信用代码校验位错误：应为 {expected}，收到 {code[17]}"
    return None


def is_valid_uscc(code: str) -> bool:
    return uscc_problem(code) is None


def make_uscc(authority: str, category: str, division: str, org_body: str) -> str:
    """Build a valid code from its parts (used by the demo generator and tests)."""
    org = org_body + org_check_character(org_body)
    body = authority + category + division + org
    return body + check_character(body)
