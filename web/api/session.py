"""Signing in and out through the API (session cookie). The answers of the sign-in and of ``/me`` carry
the CSRF token in their ``X-CSRFToken`` header: every later write of the session sends it back."""
from __future__ import annotations

from flask_login import current_user, login_required
from flask_smorest import Blueprint

from inspection.errors import DomainError
from inspection.operations.accounts import count_failed_sign_in

from ..auth import api_csrf_token, authenticate, end_session, start_session
from ..database import db
from ..limits import login_limits
from ..schemas import LoginSchema
from .schemas import UserSchema

PREFIX = ""
blp = Blueprint("api_session", __name__, description="登录与当前用户")


class BadCredentials(DomainError):
    status = 401
    code = "bad_credentials"


@blp.post("/session")
@login_limits
@blp.arguments(LoginSchema)
@blp.response(200, UserSchema)
def sign_in(body):
    user = authenticate(body["username"], body["password"])
    if user is None:
        count_failed_sign_in(db(), body["username"])
        db().commit()
        raise BadCredentials("用户名或密码不正确")
    start_session(user)
    return user, 200, api_csrf_token()


@blp.delete("/session")
@login_required
@blp.response(204)
def sign_out():
    end_session()


@blp.get("/me")
@login_required
@blp.response(200, UserSchema)
def me():
    return current_user, 200, api_csrf_token()
