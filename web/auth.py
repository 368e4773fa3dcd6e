"""Sign-in with Flask-Login, CSRF on forms and on the API, sessions that end on sign-out, and role checks
enforced on the server.

The API's writes (POST, PUT, PATCH, DELETE) by a signed-in session carry the CSRF token in an
``X-CSRFToken`` header, whatever their content type: a form another site (or another port of this host)
submits cannot set it. The token is Flask-WTF's, the one the pages' forms carry; a page gives it to its
scripts in ``<meta name="csrf-token">``, and the API hands it out in the ``X-CSRFToken`` header of
``POST /api/v1/session`` and ``GET /api/v1/me``. The sign-in itself (no session yet) is refused when a
browser says it comes from another origin. Offline records, each signed by the phone's registered device
key, are not held to the header.
"""
from __future__ import annotations

import functools

from flask import Blueprint, Flask, abort, flash, g, redirect, render_template, request, session, url_for
from flask_login import LoginManager, current_user, login_required, login_user, logout_user
from flask_wtf.csrf import CSRFProtect, generate_csrf, validate_csrf
from marshmallow import ValidationError
from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload
from werkzeug.security import check_password_hash, generate_password_hash
from wtforms.validators import ValidationError as TokenError

from inspection.models import Firm, Officer, User
from inspection.operations.accounts import count_failed_sign_in, end_sessions
from inspection.operations.notices import unread_of_account
from inspection.queries import user_by_username

from .database import db
from .errors import error_response, wants_json
from .limits import login_limits
from .schemas import LoginFormSchema

login_manager = LoginManager()
csrf = CSRFProtect()
bp = Blueprint("auth", __name__)

SESSION_VERSION = "_sv"
CSRF_HEADERS = ("X-CSRFToken", "X-CSRF-Token")
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
SIGN_IN_ENDPOINT = "api_session.sign_in"
# Each offline record is signed by the officer's registered device key; a forged request cannot sign one.
API_CSRF_EXEMPT = frozenset({"api_door.sync"})
CSRF_MESSAGE = "缺少或无效的安全令牌（X-CSRFToken），请刷新页面后重试"
CROSS_ORIGIN_MESSAGE = "不接受来自其他网站或其他端口的登录请求"


# The account with what every request of it reads (its officer and department, or its firm): one query.
# A firm's account comes with its firm and the firm's district, so that its own record needs no statement to
# find the firm (``loading.firm_or_404``). Not its tags (a page that shows them reads them): joining that
# collection into the account's statement cost every account's every request 0.3-0.5 ms on PostgreSQL.
USER_WITH = (joinedload(User.officer).joinedload(Officer.department), joinedload(User.department),
             joinedload(User.firm).joinedload(Firm.district))


@functools.cache
def _user_query():
    """The account (bound ``user``) with ``USER_WITH`` and its unread notices: built once, as every request
    runs it (a statement built anew is keyed for the compiled cache each time, which cost more than the
    building)."""
    return select(User, unread_of_account().label("unread")).where(User.id == bindparam("user")).options(*USER_WITH)


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """The session's user, if the account is active and the session was not ended (sign-out, new password),
    read with the account's unread notices for the pages' menu (one statement)."""
    try:
        key = int(user_id)
    except (TypeError, ValueError):
        return None
    row = db().execute(_user_query(), {"user": key}).unique().first()
    if row is None:
        return None
    user = row[0]
    if not user.active or session.get(SESSION_VERSION, 0) != user.session_version:
        return None
    g.unread_notices = row.unread
    return user


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


@functools.cache
def _dummy_hash() -> str:
    """A hash made the way real ones are, checked for unknown names so that they take as long to refuse."""
    return generate_password_hash("no account has this password")


def authenticate(username: str, password: str) -> User | None:
    user = db().scalar(user_by_username(username))
    if user is None:
        check_password_hash(_dummy_hash(), password)
        return None
    if not user.check_password(password) or not user.active:
        return None
    return user


def start_session(user: User) -> None:
    """Sign ``user`` in on a fresh session: nothing of the session before it (its CSRF secret included)
    carries over, and the session holds the account's session version."""
    session.clear()
    login_user(user)
    session[SESSION_VERSION] = user.session_version


def end_session() -> None:
    """Sign out: this session and every other session of the account end on the server."""
    if current_user.is_authenticated:
        end_sessions(db(), current_user)
    logout_user()
    session.clear()


def api_csrf_token() -> dict[str, str]:
    """The header that hands an API client its CSRF token."""
    return {CSRF_HEADERS[0]: generate_csrf()}


def _token_valid() -> bool:
    token = next((request.headers[name] for name in CSRF_HEADERS if request.headers.get(name)), None)
    try:
        validate_csrf(token)
    except TokenError:
        return False
    return True


def _same_origin() -> bool:
    """What a browser says of where the request comes from: this very origin, or nothing (a program, not a
    browser). Another port of the same host is another origin. ``Sec-Fetch-Site``, which no page can set,
    is believed first; a browser without it is judged by ``Origin`` against this host."""
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None:
        return site in ("same-origin", "none")
    origin = request.headers.get("Origin")
    return origin is None or origin == request.host_url.rstrip("/")


def check_api_csrf():
    """Before every API write: a signed-in session's write needs the token header; the sign-in needs a
    same-origin browser or the token."""
    if (request.method not in UNSAFE_METHODS or not request.path.startswith("/api/")
            or request.endpoint in API_CSRF_EXEMPT):
        return None
    if request.endpoint == SIGN_IN_ENDPOINT:
        if _same_origin() or _token_valid():
            return None
        return error_response(403, "csrf_failed", CROSS_ORIGIN_MESSAGE)
    if current_user.is_authenticated and not _token_valid():
        return error_response(403, "csrf_failed", CSRF_MESSAGE)
    return None


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
        form = LoginFormSchema().load(request.form.to_dict())
    except ValidationError as err:
        return render_template("login.html", errors=err.messages, next=request.form.get("next", "")), 422
    user = authenticate(form["username"], form["password"])
    if user is None:
        count_failed_sign_in(db(), form["username"])
        db().commit()
        return render_template("login.html", error="用户名或密码不正确", username=form["username"],
                               next=form.get("next", "")), 401
    start_session(user)
    return redirect(_safe_next(form.get("next")))


@bp.post("/logout")
@login_required
def logout():
    end_session()
    flash("已退出登录", "info")
    return redirect(url_for("views.index"))


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    csrf.init_app(app)
    app.before_request(check_api_csrf)
    app.register_blueprint(bp)
