"""Signing in and out through the API (session cookie)."""
from __future__ import annotations

from flask_login import current_user, login_required, login_user, logout_user
from flask_smorest import Blueprint

from inspection.errors import DomainError
from inspection.operations.accounts import count_failed_sign_in

from ..auth import authenticate
from ..database import db
from ..limits import login_limits
from .schemas import LoginBodySchema, UserSchema

PREFIX = ""
blp = Blueprint("api_session", __name__, description="登录与当前用户")


class BadCredentials(DomainError):
    status = 401
    code = "bad_credentials"


@blp.post("/session")
@login_limits
@blp.arguments(LoginBodySchema)
@blp.response(200, UserSchema)
def sign_in(body):
    user = authenticate(body["username"], body["password"])
    if user is None:
        count_failed_sign_in(db(), body["username"])
        db().commit()
        raise BadCredentials("用户名或密码不正确")
    login_user(user)
    return user


@blp.delete("/session")
@login_required
@blp.response(204)
def sign_out():
    logout_user()


@blp.get("/me")
@login_required
@blp.response(200, UserSchema)
def me():
    return current_user
