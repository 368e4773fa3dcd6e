"""Request bodies in JSON, read strictly in one place for every endpoint.

Python's ``json`` reads things no client of ours sends and the rest of the platform cannot hold: nesting
deep enough to exhaust the interpreter's recursion (``RecursionError``), numbers of thousands of digits
(``ValueError``), ``NaN``/``Infinity``, and strings with lone UTF-16 surrogates (``"\\ud800"``) or NUL
characters that no database (PostgreSQL refuses NUL in text) or response can hold. The app's JSON provider refuses all of them as malformed JSON, and a
hook run before every view reads each JSON body through it once, so that any of them answers 400 in the
error shape before a view, a rate-limit key or the arguments parser sees the body.
"""
from __future__ import annotations

import json

from flask import Flask, request
from flask.json.provider import DefaultJSONProvider
from werkzeug.exceptions import BadRequest

from .errors import error_response

MAX_DEPTH = 32          # arrays and objects inside each other; no endpoint needs more than a few
MAX_INT_DIGITS = 30     # far past any id or count, far short of Python's 4,300-digit limit


class UnreadableJSON(ValueError):
    """Raised as ``ValueError`` so that ``request.get_json`` treats it like any malformed body."""


def _refuse_constant(name: str):
    raise UnreadableJSON(f"{name} is not a number JSON allows")


def _int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        raise UnreadableJSON("integer too long")
    return int(text)


def unstorable(text: str) -> bool:
    """A lone surrogate (no encoding holds it) or a NUL character (PostgreSQL's text refuses it)."""
    if "\x00" in text:
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def check_value(value) -> None:
    """Walk a parsed value without recursion: depth and strings (keys too) within bounds."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (dict, list)):
            if depth > MAX_DEPTH:
                raise UnreadableJSON("nested too deep")
            children = item.items() if isinstance(item, dict) else ((None, v) for v in item)
            for key, child in children:
                if isinstance(key, str) and unstorable(key):
                    raise UnreadableJSON("unstorable character in a key")
                stack.append((child, depth + 1))
        elif isinstance(item, str) and unstorable(item):
            raise UnreadableJSON("unstorable character in a string")


def strict_loads(text: str | bytes):
    try:
        value = json.loads(text, parse_constant=_refuse_constant, parse_int=_int)
    except RecursionError:
        raise UnreadableJSON("nested too deep") from None
    except UnicodeDecodeError:
        raise UnreadableJSON("not UTF-8") from None
    check_value(value)
    return value


class StrictJSONProvider(DefaultJSONProvider):
    def loads(self, s: str | bytes, **kwargs):
        return strict_loads(s)


def refuse_unreadable_json():
    """Before every view: a JSON body the strict reader refuses answers 400 here."""
    if not request.is_json or not request.get_data(cache=True):
        return None     # an empty body is no body (the arguments parser reads it as missing)
    try:
        request.get_json()
    except BadRequest:
        return error_response(400, "bad_request", "请求内容不是有效的 JSON（嵌套过深、数字过长、含无效字符或格式错误）")
    return None


def refuse_unstorable_text():
    """Before every view: a NUL or lone surrogate in the path, the query or a form field answers 400."""
    values = [v for v in (request.view_args or {}).values() if isinstance(v, str)]
    values += [v for _, vs in request.args.lists() for v in vs]
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        values += [v for _, vs in request.form.lists() for v in vs]
    if any(unstorable(value) for value in values):
        return error_response(400, "bad_request", "请求中含有无法保存的字符（空字符或无效的 Unicode）")
    return None


def init_app(app: Flask) -> None:
    app.json = StrictJSONProvider(app)
    app.json.ensure_ascii = False
    app.before_request(refuse_unstorable_text)
    app.before_request(refuse_unreadable_json)
