"""Domain errors and HTTP errors turned into responses, in one place.

The API answers ``{"error": code, "message": Chinese text, "fields": {...}}``;
people get a readable page.
"""
from __future__ import annotations

from flask import Flask, jsonify, make_response, render_template, request
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError
from werkzeug.exceptions import HTTPException

from inspection.errors import DomainError
from inspection.operations.events import append_event

from .session import db, discard

HTTP_MESSAGES = {
    400: "请求格式不正确",
    401: "请先登录",
    403: "无权执行此操作",
    404: "未找到请求的内容",
    405: "不支持此请求方法",
    409: "与当前状态冲突",
    413: "上传内容过大",
    415: "请求内容类型不受支持",
    422: "输入有误，请按提示修改",
    429: "请求过于频繁，请稍后再试",
    500: "服务器内部错误",
    503: "服务暂不可用，请稍后重试",
}
HTTP_CODES = {400: "bad_request", 401: "unauthorized", 403: "not_permitted", 404: "not_found",
              405: "method_not_allowed", 409: "conflict", 413: "too_large", 415: "unsupported_media_type",
              422: "validation_failed", 429: "too_many_requests", 500: "server_error", 503: "unavailable"}


def wants_json() -> bool:
    return request.path.startswith("/api/")


def error_response(status: int, code: str, message: str, fields: dict | None = None):
    if wants_json():
        response = jsonify({"error": code, "message": message, "fields": fields or {}})
        response.status_code = status
        return response
    return render_template("error.html", status=status, message=message, fields=fields or {}), status


def conflict_response():
    return error_response(409, "conflict", "数据已被他人同时修改或重复提交，请刷新后重试")


def _webargs_fields(error: HTTPException) -> dict:
    """Flatten webargs' ``{"json": {...}, "query": {...}}`` messages into one field map."""
    messages = (getattr(error, "data", None) or {}).get("messages") or {}
    fields: dict = {}
    for location_messages in messages.values():
        if isinstance(location_messages, dict):
            fields.update(location_messages)
    return fields


def handle_domain_error(error: DomainError):
    if error.audited:
        try:
            record_refusal(error)
        except (OperationalError, InterfaceError) as lost:
            # The refusal could not be kept: say that the database is away rather than fail in the handler.
            return handle_database_unavailable(lost)
    return error_response(error.status, error.code, error.message, error.fields)


def record_refusal(error: DomainError) -> None:
    """Refused attempts that oversight must see are logged, though the attempt itself wrote nothing."""
    session = db()
    session.rollback()
    session.add_all(error.records)
    actor = current_user if current_user and current_user.is_authenticated else None
    append_event(session, actor, "refused", f"request:{request.method} {request.path}"[:96],
                 {"error": error.code, "message": error.message, "fields": error.fields})
    session.commit()


def handle_http_exception(error: HTTPException):
    status = error.code or 500
    fields = _webargs_fields(error) if status == 422 else {}
    message = HTTP_MESSAGES.get(status, error.name)
    if status == 422 and fields:
        message = "输入有误：" + "；".join(f"{k} {_first(v)}" for k, v in fields.items())
    response = error_response(status, HTTP_CODES.get(status, "http_error"), message, fields)
    if status == 405 and wants_json():
        response.headers["Allow"] = ", ".join(error.valid_methods or [])
    return response


def _first(value) -> str:
    while isinstance(value, (list, tuple)) and value:
        value = value[0]
    if isinstance(value, dict):
        return "；".join(f"{k} {_first(v)}" for k, v in value.items())
    return str(value)


def handle_csrf_error(error: CSRFError):
    return error_response(400, "csrf_failed", "页面已过期或缺少安全令牌，请刷新页面后重新提交")


def handle_database_unavailable(error: OperationalError | InterfaceError):
    """The database is down or went away mid-request: its transaction never committed, so nothing
    of this request was written; the pool reconnects on a later request by itself."""
    discard()
    response = make_response(error_response(503, "unavailable", "数据库暂不可用，本次操作未保存任何内容，请稍后重试"))
    response.headers["Retry-After"] = "5"
    return response


def handle_integrity_error(error: IntegrityError):
    """Two requests raced to create what may exist once (an evaluation, an entry): the second one's
    transaction is rolled back whole and it is told so."""
    discard()
    return conflict_response()


def init_app(app: Flask) -> None:
    app.register_error_handler(DomainError, handle_domain_error)
    app.register_error_handler(CSRFError, handle_csrf_error)
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(OperationalError, handle_database_unavailable)
    app.register_error_handler(InterfaceError, handle_database_unavailable)
    app.register_error_handler(IntegrityError, handle_integrity_error)
