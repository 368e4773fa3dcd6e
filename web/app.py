"""The application factory."""
from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from core import clock
from inspection.operations.documents import set_public_url
from inspection.pure.calendar import city_time_zone

from . import api, auth, commands, database, errors, health, jobs, json_bodies, limits, notices, views
from .schemas import ROW_ID_MAX

SECRET_FILE = "secret_key"
log = logging.getLogger(__name__)


class ConfigurationError(RuntimeError):
    pass


def instance_secret(folder: Path) -> str:
    """The key kept in ``folder/secret_key`` (mode 0600), made at random on the first start without
    ``SECRET_KEY`` and read on every later one: sessions survive a restart, and no two installations
    share a key. Workers starting together agree on one: the file appears whole, by a hard link, or not."""
    path = folder / SECRET_FILE
    if not path.exists():
        draft = folder / f".{SECRET_FILE}.{secrets.token_hex(8)}"
        descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_urlsafe(48))
        try:
            os.link(draft, path)
            log.warning("SECRET_KEY 未设置：已生成随机密钥并保存在 %s（仅限开发与试用）", path)
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    else:
        log.warning("SECRET_KEY 未设置：使用 %s 中保存的随机密钥（仅限开发与试用）", path)
    return path.read_text().strip()


class RowIdConverter(IntegerConverter):
    """``<int:...>`` in URLs names a row: a number past the database's integer matches no route (404)
    instead of overflowing the query."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", ROW_ID_MAX)
        super().__init__(map, *args, **kwargs)


def _start_clock(app: Flask) -> None:
    """``INSPECTION_NOW`` starts a demo or drill platform's clock at another instant; it runs on from there.
    With ``INSPECTION_NOW_FROM`` (the real instant at which the clock read ``INSPECTION_NOW``) every worker
    process shows the same time, however much later than another it started."""
    clock.set_zone(city_time_zone())
    if not app.config["NOW"]:
        return
    if app.config["PRODUCTION"]:
        raise ConfigurationError("生产模式下不能设置 INSPECTION_NOW：平台必须使用真实时间")
    try:
        since = clock.parse_instant(app.config["NOW_FROM"]) if app.config["NOW_FROM"] else None
        clock.start_at(clock.parse_instant(app.config["NOW"]), since=since)
    except clock.ClockError as exc:
        raise ConfigurationError(f"INSPECTION_NOW 或 INSPECTION_NOW_FROM 无效：{exc}") from None
    app.logger.warning("平台时钟从 %s 起走（INSPECTION_NOW），不是真实时间", clock.local_now().isoformat())


def create_app(test_config: dict | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True, instance_path=os.environ.get("INSPECTION_INSTANCE") or None)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.from_mapping(
        SECRET_KEY=os.environ.get("SECRET_KEY") or None,
        DATABASE_URL=os.environ.get("DATABASE_URL")
        or f"sqlite:///{Path(app.instance_path) / 'inspection.db'}",
        PRODUCTION=os.environ.get("INSPECTION_ENV") == "production",
        MAX_CONTENT_LENGTH=64 * 1024 * 1024,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        WTF_CSRF_TIME_LIMIT=None,
        JSON_AS_ASCII=False,
        API_TITLE="东营市涉企行政检查统筹监管平台 API",
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/api/v1",
        OPENAPI_JSON_PATH="openapi.json",
        JOBS=os.environ.get("INSPECTION_JOBS") or ("rq" if os.environ.get("REDIS_URL") else "thread"),
        SCHEDULE_TIME_LIMIT=float(os.environ.get("SCHEDULE_TIME_LIMIT", "20")),
        SCHEDULE_WORKERS=int(os.environ.get("SCHEDULE_WORKERS", "2")),
        PUBLISH_WORKING_DAYS=int(os.environ.get("PUBLISH_WORKING_DAYS", "20")),
        OFFSITE_MAX_MB=float(os.environ.get("OFFSITE_MAX_MB", "10")),
        OFFLINE_SYNC_DAYS=int(os.environ.get("OFFLINE_SYNC_DAYS", "10")),
        FILES_FOLDER=os.environ.get("INSPECTION_FILES") or app.instance_path,
        RATE_LIMITS=os.environ.get("RATE_LIMITS", "1") != "0",
        RATELIMIT_STORAGE_URI=os.environ.get("RATELIMIT_STORAGE_URI", "memory://"),
        REDIS_URL=os.environ.get("REDIS_URL", ""),
        JOBS_QUEUE=os.environ.get("INSPECTION_JOBS_QUEUE", "inspection"),
        TRUSTED_PROXIES=int(os.environ.get("TRUSTED_PROXIES", "0")),
        NOW=os.environ.get("INSPECTION_NOW", ""),
        NOW_FROM=os.environ.get("INSPECTION_NOW_FROM", ""),
        AUDIT_AFTER_WRITES=None if "INSPECTION_AUDIT_AFTER_WRITES" not in os.environ
        else os.environ["INSPECTION_AUDIT_AFTER_WRITES"] != "0",
        AUDIT_INTERVAL=float(os.environ.get("INSPECTION_AUDIT_INTERVAL", "30")),
        # Notices (通知) by e-mail and SMS; without MAIL_SERVER or SMS_GATEWAY_URL they stay on the recipients' pages.
        MAIL_SERVER=os.environ.get("MAIL_SERVER", ""),
        MAIL_PORT=int(os.environ.get("MAIL_PORT", "25")),
        MAIL_FROM=os.environ.get("MAIL_FROM", ""),
        MAIL_USERNAME=os.environ.get("MAIL_USERNAME", ""),
        MAIL_PASSWORD=os.environ.get("MAIL_PASSWORD", ""),
        MAIL_SECURITY=os.environ.get("MAIL_SECURITY", ""),
        MAIL_TIMEOUT=float(os.environ.get("MAIL_TIMEOUT", "10")),
        SMS_GATEWAY_URL=os.environ.get("SMS_GATEWAY_URL", ""),
        SMS_GATEWAY_TOKEN=os.environ.get("SMS_GATEWAY_TOKEN", ""),
        NOTICE_INTERVAL=float(os.environ.get("NOTICE_INTERVAL", "5")),
        NOTICE_SENDER=None if "INSPECTION_NOTICE_SENDER" not in os.environ
        else os.environ["INSPECTION_NOTICE_SENDER"] != "0",
        # The platform's public address: the QR code on each document opens its verification page there.
        PUBLIC_URL=os.environ.get("INSPECTION_PUBLIC_URL", "http://127.0.0.1:5000"),
    )
    if test_config:
        app.config.update(test_config)
    if app.config["MAIL_SECURITY"] not in ("", "starttls", "ssl"):
        raise ConfigurationError("MAIL_SECURITY 应为 starttls、ssl 或留空")
    if app.config["PRODUCTION"]:
        if not app.config["SECRET_KEY"]:
            raise ConfigurationError("生产模式下必须通过环境变量 SECRET_KEY 设置密钥")
        app.config["SESSION_COOKIE_SECURE"] = True
        app.config["REMEMBER_COOKIE_SECURE"] = True
    elif not app.config["SECRET_KEY"]:
        app.config["SECRET_KEY"] = instance_secret(Path(app.instance_path))
    _start_clock(app)
    set_public_url(app.config["PUBLIC_URL"])
    json_bodies.init_app(app)
    app.url_map.converters["int"] = RowIdConverter
    if app.config["TRUSTED_PROXIES"]:
        n = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)

    database.init_app(app)
    errors.init_app(app)
    limits.init_app(app)
    health.init_app(app)
    jobs.init_app(app)
    notices.init_app(app)
    auth.init_app(app)
    views.init_app(app)
    api.init_app(app)
    commands.init_app(app)

    @app.template_filter("local")
    def local_time(value, fmt: str = "%Y-%m-%d %H:%M"):
        """Naive UTC from the database, shown in the city's local time."""
        return clock.to_local(value).strftime(fmt) if value else ""

    @app.template_filter("local_instant")
    def local_instant(text: str, fmt: str = "%Y-%m-%d %H:%M:%S"):
        """An ISO 8601 UTC time of a published record (``...Z``), shown in the city's local time."""
        try:
            return clock.to_local(clock.parse_instant(text)).strftime(fmt) if text else ""
        except clock.ClockError:
            return text

    @app.after_request
    def security_headers(response):
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Content-Security-Policy",
                                    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
                                    "frame-ancestors 'none'; base-uri 'self'; form-action 'self'")
        response.headers.setdefault("Permissions-Policy", "camera=(self), geolocation=(), microphone=()")
        response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if app.config["PRODUCTION"]:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        return response

    return app
