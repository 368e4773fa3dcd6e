"""GB 32100-2015 unified social credit codes."""
import pytest
from sqlalchemy import select

from inspection.models import Firm
from inspection.pure.uscc import is_valid_uscc, make_uscc, uscc_problem

CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def independent_check(body: str) -> str:
    """The check character, written out from the standard's text."""
    weights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
    remainder = sum(CHARS.index(c) * w for c, w in zip(body, weights)) % 31
    return CHARS[(31 - remainder) % 31]


@pytest.mark.parametrize("code", ["91110000600037341L", "91370502MA0228WQ8D"])
def test_valid_codes(code):
    assert uscc_problem(code) is None
    assert independent_check(code[:17]) == code[17]


@pytest.mark.parametrize("code, fragment", [
    ("91110000600037341M", "校验位错误：应为 L"),
    ("9111000060003734", "18 位"),
    ("91110000600037341LX", "18 位"),
    ("9111000060003734IL", "不允许的字符 I"),
    ("91110000600037341l", "不允许的字符 l"),
    ("911A0000600037341L", "行政区划代码"),
])
def test_invalid_codes_say_why(code, fragment):
    problem = uscc_problem(code)
    assert problem is not None and fragment in problem


def test_every_single_character_change_is_caught():
    code = "91110000600037341L"
    for i in range(18):
        for c in CHARS:
            if c != code[i] and (i >= 8 or not (2 <= i < 8) or c.isdigit()):
                assert not is_valid_uscc(code[:i] + c + code[i + 1:]), (i, c)


def test_made_codes_are_valid():
    code = make_uscc("9", "1", "370502", "MA3C8K2Q")
    assert is_valid_uscc(code) and independent_check(code[:17]) == code[17]


def test_demo_firms_all_have_valid_codes(db_session):
    codes = db_session.scalars(select(Firm.uscc)).all()
    assert len(codes) >= 300
    assert all(independent_check(c[:17]) == c[17] for c in codes)
    assert len(set(codes)) == len(codes)
