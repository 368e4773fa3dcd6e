"""The short code printed under a firm's QR code, for typing by hand when the code cannot be scanned.

Eight random characters and one check character from Crockford's base32 alphabet (digits and capitals
without I, L, O and U), shown in groups as ``7KQ4-M2XD-9``. Reading it back forgives case, spaces and
hyphens and the look-alikes Crockford maps (O to 0, I and L to 1). The check character is Luhn mod 32,
which catches every single mistyped character and nearly every swap of two neighbours.
"""
from __future__ import annotations

import re
import secrets

from stdnum import luhn

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
BODY_LENGTH = 8
LENGTH = BODY_LENGTH + 1
_LOOK_ALIKES = str.maketrans({"O": "0", "I": "1", "L": "1"})
_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015\uff0d]+")        # spaces, hyphens and dashes, full-width too


def make_short_code() -> str:
    """A fresh random code with its check character (not yet checked for uniqueness)."""
    body = "".join(secrets.choice(ALPHABET) for _ in range(BODY_LENGTH))
    return body + luhn.calc_check_digit(body, alphabet=ALPHABET)


def normalise(text: str) -> str:
    """The code as typed, in canonical form: capitals, no separators, look-alikes mapped."""
    return _SEPARATORS.sub("", text).upper().translate(_LOOK_ALIKES)


def looks_like_short_code(text: str) -> bool:
    """Whether ``text`` has the shape of a short code (right length and alphabet), whatever its check."""
    code = normalise(text)
    return len(code) == LENGTH and all(c in ALPHABET for c in code)


def is_valid(code: str) -> bool:
    """Whether a canonical short code's check character matches its body."""
    return luhn.is_valid(code, alphabet=ALPHABET)


def format_short_code(code: str) -> str:
    """``7KQ4M2XD9`` shown as ``7KQ4-M2XD-9``."""
    return "-".join(code[i:i + 4] for i in range(0, len(code), 4))
