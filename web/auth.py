"""Sign-in with Flask-Login, CSRF on forms, and role checks enforced on the server."""
from __future__ import annotations

import functools

from flask import Blueprint, Flask, abort, flash, redirect, render_template, request, url_for
from flask_login import LoginManager, current_user, login_required, login_user, logout_user
from flask_wtf.csrf import CSRFProtect
from marshmallow import ValidationError

from inspection.models import User
from inspection.operations.accounts import count_failed_sign_in
from inspection.queries import user_by_username

from .database import db
from .errors import error_response, wants_json
from .limits import login_limits
from .schemas import LoginSchema

login_manager = LoginManager()
csrf = CSRFProtect()
bp = Blueprint("auth", __name__)


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    user = db().get(User, int(user_id))
    return user if user is not None and user.active else None


@login_manager.unauthorized_handler
def unauthorized():
    if wants_json():
        return error_response(401, "unauthorized", "请先登录")
    flash("请先登录", "info")
    return redirect(url_for("auth.login", next=request.full_path if request.method == "GET" else None))


def roles_required(*roles: str):
    """Refuse (403) any signed-in user whose role is not one of ``roles``."""
    def decorator(view):
        @functools.wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)
        return wrapped
    return decorator


def authenticate(username: str, password: str) -> User | None:
    user = db().scalar(user_by_username(username))
    if user is None or not user.active or not user.check_password(password):
        return None
    return user


def _safe_next(target: str | None) -> str:
    """Only a path of this site: no scheme or host, and no backslash or control character that a browser
    (or the redirect itself, which drops a tab) would turn into ``//host``."""
    if (target and target.startswith("/") and not target.startswith("//") and target.isprintable()
            and "\\" not in target):
        return target
    return url_for("views.home")


@bp.route("/login", methods=["GET", "POST"])
@login_limits
def login():
    if request.method == "GET":
        return render_template("login.html", next=request.args.get("next", ""))
    try:
        form = LoginSchema().load(request.form.to_dict())
    except ValidationError as err:
        return render_template("login.html", errors=err.messages, next=request.form.get("next", "")), 422
    user = authenticate(form["username"], form["password"])
    if user is None:
        count_failed_sign_in(db(), form["username"])
        db().commit()
        return render_template("login.html", error="用户名或密码不正确", username=form["username"],
                               next=form.get("next", "")), 401
    login_user(user)
    return redirect(_safe_next(form.get("next")))


@bp.post("/logout")
@login_required
def logout():
    logout_user()
    flash("已退出登录", "info")
    return redirect(url_for("views.index"))


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    csrf.init_app(app)
    app.register_blueprint(bp)
