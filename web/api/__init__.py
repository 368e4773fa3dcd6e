"""The JSON API under /api/v1 with an OpenAPI document at /api/v1/openapi.json."""
from __future__ import annotations

from flask import Flask
from flask_smorest import Api

from ..auth import csrf
from . import (
    admin,
    catalogue,
    documents,
    door,
    firms,
    leniency,
    log,
    offsite,
    oversight,
    plans,
    public,
    risk,
    rules,
    schedules,
    session,
    visits,
)
from .schemas import ErrorSchema


class PlatformApi(Api):
    """flask-smorest without its app-wide error handler: ``web.errors`` answers for pages and API alike."""

    ERROR_SCHEMA = ErrorSchema

    def _register_error_handlers(self):
        return None


api = PlatformApi()
DESCRIPTION = ("涉企行政检查统筹监管平台的接口。错误统一返回 {error, message, fields}。写操作须以 JSON 提交；"
               "已登录会话的写操作须在 X-CSRFToken 请求头中带回登录（或 /me）应答头 X-CSRFToken 给出的安全令牌，"
               "否则 403 csrf_failed。")


def init_app(app: Flask) -> None:
    api.init_app(app, spec_kwargs={"info": {"description": DESCRIPTION}})
    for module in (session, catalogue, firms, plans, schedules, rules, visits, door, offsite, oversight, public, log,
                   admin, risk, leniency, documents):
        csrf.exempt(module.blp)
        api.register_blueprint(module.blp, url_prefix=f"/api/v1{module.PREFIX}")
