"""Browser tests: Playwright drives Debian's chromium against a live server on 127.0.0.1.

Without /usr/bin/chromium (or the playwright package) these tests skip with a
one-line reason; with INSPECTION_REQUIRE_ALL=1 (as in .ci/run) they fail instead.
"""
from __future__ import annotations

import collections
import datetime as dt
import os
import threading
import time
from pathlib import Path

import pytest
import time_machine
from flask import g, request
from waitress.server import create_server

from core import clock
from inspection.db import upgrade
from inspection.demo.city import build_demo_city
from tests.clocks import to_door_open
from web import create_app

CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
ARTIFACTS = Path(__file__).resolve().parents[2] / ".test-artifacts"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-default-apps", "--disable-extensions"]


# What the live server was asked lately, and what it has not answered yet: printed with a failure.
_answered: collections.deque[str] = collections.deque(maxlen=40)
_open: dict[int, str] = {}


def _log_requests(app) -> None:
    @app.before_request
    def _started():
        g.browser_started = time.monotonic()
        _open[id(g._get_current_object())] = f"{clock.local_now():%H:%M:%S} {request.method} {request.full_path.rstrip('?')}"

    @app.after_request
    def _status(response):
        g.browser_status = response.status_code
        return response

    @app.teardown_request
    def _ended(_exc):
        line = _open.pop(id(g._get_current_object()), None)
        if line is not None:
            _answered.append(f"{line} {g.get('browser_status', 'error')} "
                             f"({(time.monotonic() - g.browser_started) * 1000:.0f} ms)")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A failed browser test reports each open page (address and text) and the live server's last requests."""
    outcome = yield
    report = outcome.get_result()
    browser = item.funcargs.get("browser") if report.when == "call" and report.failed else None
    if browser is None:
        return
    pages = []
    for context in browser.contexts:
        for page in context.pages:
            try:
                text = page.locator("body").inner_text(timeout=2000)
            except Exception as exc:  # noqa: BLE001 - the report says what could not be read
                text = f"({type(exc).__name__})"
            pages.append(f"{page.url}\n{' '.join(text.split())[:800]}")
    report.sections.append(("open pages", "\n\n".join(pages)))
    report.sections.append(("the live server's last requests",
                            "\n".join([*_answered, *(f"{line} (not answered yet)" for line in _open.values())])))


def _missing() -> str | None:
    if not CHROMIUM.exists():
        return f"browser tests need Debian chromium at {CHROMIUM} (apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401, PLC0415 - optional test dependency
    except ImportError:
        return "browser tests need the playwright package (pip install -e '.[test]')"
    return None


def pytest_collection_modifyitems(config, items):
    reason = _missing()
    if reason is None:
        return
    if os.environ.get("INSPECTION_REQUIRE_ALL") == "1":
        raise pytest.UsageError(reason)
    for item in items:
        if "browser" in str(item.fspath):
            item.add_marker(pytest.mark.skip(reason=reason))


_door: time_machine.travel | None = None


@pytest.fixture(scope="session")
def door_clock():
    """The browser tests walk working days at the door: their clock goes to a working morning (and
    back once they are done, see ``pytest_runtest_teardown``)."""
    global _door
    _door = to_door_open()
    _door.start()
    yield
    _back_from_the_door()


def _back_from_the_door() -> None:
    global _door
    if _door is not None:
        _door.stop()
        _door = None


def pytest_runtest_teardown(item, nextitem):
    if nextitem is None or nextitem.path.parent != item.path.parent:
        _back_from_the_door()


def _context(browser, **options):
    """A browser profile whose clock reads the platform's (the phone signs offline records with it)."""
    context = browser.new_context(locale="zh-CN", **options)
    context.clock.install(time=clock.now().replace(tzinfo=dt.UTC))
    # Steps that cannot be undone ask first (data-confirm); the person at the browser says yes.
    context.on("page", lambda page: page.on("dialog", lambda dialog: dialog.accept()))
    return context


@pytest.fixture(scope="session")
def live_app(tmp_path_factory, door_clock):
    """The platform's app on a small demo city in a SQLite file; tests may add rows through its sessions."""
    folder = tmp_path_factory.mktemp("live")
    app = create_app({"DATABASE_URL": f"sqlite:///{folder / 'live.db'}", "SECRET_KEY": "browser-tests",
                      "FILES_FOLDER": str(folder / "files")})
    upgrade(app.extensions["db_engine"])
    with app.extensions["db_factory"]() as session:
        build_demo_city(session, seed=5, firms=300, schedule_seconds=3, evidence_folder=folder / "files" / "evidence")
        session.commit()
    _log_requests(app)
    yield app
    app.extensions["db_engine"].dispose()


@pytest.fixture(scope="session")
def live_server(live_app):
    """``live_app`` served by waitress on a free loopback port."""
    app = live_app
    server = create_server(app, host="127.0.0.1", port=0, threads=4)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.effective_port}"
    server.close()
    thread.join(timeout=5)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright  # noqa: PLC0415 - only when chromium is there
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = _context(browser, viewport={"width": 1280, "height": 860})
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def phones(browser):
    """Phone-sized pages, each its own browser profile (one per person)."""
    contexts = []

    def make():
        context = _context(browser, viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
                           device_scale_factor=2)
        contexts.append(context)
        return context.new_page()
    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def phone(phones):
    return phones()


@pytest.fixture
def shot():
    """Save a full-page screenshot under .test-artifacts/ for people to look at."""
    ARTIFACTS.mkdir(exist_ok=True)

    def take(page, name: str) -> Path:
        path = ARTIFACTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path
    return take


@pytest.fixture
def sign_in(live_server):
    """Sign ``page`` in through the login form; the page's CSRF token then rides on the context's requests
    (``page.request`` calls the API as the pages' scripts do)."""
    def do(page, username: str) -> None:
        page.goto(f"{live_server}/login")
        page.fill("#username", username)
        page.fill("#password", "demo1234")
        page.click("main button[type=submit]")
        page.wait_for_url(f"{live_server}/home")
        token = page.locator('meta[name="csrf-token"]').get_attribute("content")
        page.context.set_extra_http_headers({"X-CSRFToken": token})
    return do
