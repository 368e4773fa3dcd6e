"""Every page a demo role reaches from its navigation, on a phone: no internals on screen, nothing wider
than the phone.

For each role the crawl starts at its home page, follows the links of the header's navigation and of the
pages it finds (same site, pages only: no API, downloads or exports) up to ``DEPTH`` clicks away, and reads
each page's visible text. A page fails on ``None``, a Python repr, raw JSON, an ISO UTC time ending in Z, a
snake_case identifier, an English sentence, or a layout wider than the 390 px viewport.
"""
from __future__ import annotations

import re
from collections import deque
from urllib.parse import urljoin, urlsplit

import pytest

pytestmark = pytest.mark.browser

PHONE_WIDTH = 390
DEPTH = 3
PAGES_PER_ROLE = 60
ROLES = ("anonymous", "admin", "oversight", "market", "housing", "inspector1", "firm", "firm3")
# Links that are not pages to read: the API (JSON), files, exports, the protocol texts (the project's docs,
# in English), the login page of another role and whatever signs out.
SKIP = re.compile(r"^/(api/|static/|protocols/|login|logout|offsite/evidence/)|\.(csv|xlsx|json|jsonl|png|svg|pdf|zip)(\?|$)|/code\.")
PROBLEMS = {
    "None": re.compile(r"(?<![A-Za-z])None(?![A-Za-z])"),
    "Python repr": re.compile(r"<built-in|<function |object at 0x|<[A-Z][A-Za-z]+ at 0x|Traceback"),
    "raw JSON": re.compile(r"[{\[]\s*\"[A-Za-z_]+\"\s*:|\{'[A-Za-z_]+':"),
    "UTC time ending in Z": re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?Z\b"),
    "identifier": re.compile(r"(?<![A-Za-z0-9_./:#@-])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![A-Za-z0-9_./-])"),
    "English sentence": re.compile(r"\b[A-Za-z][a-z'-]+(?:[ ,:]+(?:\d+[ ,:]+)*[A-Za-z][a-z'-]+){2,}\b"),
}


def _visible_text(page) -> str:
    """What a reader sees: the body's rendered text, plus tooltips and the labels of form options. Text set
    as ``code`` is left out: it is what a person must type (a file's column names, a command)."""
    return page.evaluate("""() => {
        let body = document.body.innerText;
        for (const el of document.querySelectorAll('code')) body = body.split(el.innerText).join(' ');
        const parts = [body];
        for (const el of document.querySelectorAll('[title]')) parts.push(el.getAttribute('title'));
        for (const el of document.querySelectorAll('svg title, option')) parts.push(el.textContent);
        return parts.join('\\n');
    }""")


def _problems(text: str) -> list[str]:
    found = []
    for name, pattern in PROBLEMS.items():
        match = pattern.search(text)
        if match:
            start = max(0, match.start() - 30)
            found.append(f"{name}: …{text[start:match.end() + 30]!r}…")
    return found


def _links(page, base: str) -> list[str]:
    hrefs = page.eval_on_selector_all("header nav a[href], main a[href]", "els => els.map(e => e.getAttribute('href'))")
    links = []
    for href in hrefs:
        if not href or href.startswith(("#", "javascript:", "mailto:")):
            continue
        url = urlsplit(urljoin(base + "/", href))
        if f"{url.scheme}://{url.netloc}" != base or SKIP.search(url.path + ("?" + url.query if url.query else "")):
            continue
        links.append(url.path + ("?" + url.query if url.query else ""))
    return links


def _shape(link: str) -> str:
    """The link with every path part that names a row (it holds a digit) as N, and its query's names only:
    one page of a kind (a firm, a plan, the visits of one filter) stands for all."""
    path, _, query = link.partition("?")
    path = "/".join("N" if re.search(r"\d", part) else part for part in path.split("/"))
    return path + "?" + "&".join(sorted({pair.partition("=")[0] for pair in query.split("&") if pair}))


def crawl(page, base: str) -> tuple[list[str], list[str]]:
    """Breadth first from the page's current address; returns (pages read, failures)."""
    from playwright.sync_api import Error as PlaywrightError  # noqa: PLC0415 - only where chromium runs
    start = urlsplit(page.url).path
    queue, seen, read, failures = deque([(start, 0)]), {_shape(start)}, [], []
    while queue and len(read) < PAGES_PER_ROLE:
        path, depth = queue.popleft()
        try:
            response = page.goto(base + path)
        except PlaywrightError as err:  # a link to a file the browser downloads is not a page
            if "Download is starting" in str(err):
                continue
            raise
        if response is None or "text/html" not in (response.headers.get("content-type") or ""):
            continue
        read.append(path)
        if response.status >= 500:
            failures.append(f"{path}: answered {response.status}")
            continue
        for problem in _problems(_visible_text(page)):
            failures.append(f"{path}: {problem}")
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > PHONE_WIDTH:
            failures.append(f"{path}: {width} px wide on a {PHONE_WIDTH} px phone")
        if depth < DEPTH:
            for link in _links(page, base):
                key = _shape(link.split("#")[0])  # one page of each shape is enough
                if key not in seen:
                    seen.add(key)
                    queue.append((link.split("#")[0], depth + 1))
    return read, failures


@pytest.mark.parametrize("role", ROLES)
def test_every_page_a_role_reaches_reads_clean_on_a_phone(role, phone, live_server, sign_in):
    if role == "anonymous":
        phone.goto(live_server + "/")
    else:
        sign_in(phone, role)
    read, failures = crawl(phone, live_server)
    print(role, len(read), read)  # shown with a failure: what the crawl read
    assert len(read) >= 5, read
    assert not failures, "\n".join(failures)


def test_the_text_checks_catch_what_they_look_for():
    """The crawl's patterns catch each kind of leak and pass the platform's ordinary Chinese text."""
    leaks = ["备注：None", "<built-in method x>", "<Visit object at 0x7f00>", '{"score": 1}',
             "时间 2026-12-02T02:00:00Z", "lead_kind：complaint", "prepared 21 on-site tasks, 21 firms"]
    for text in leaks:
        assert _problems(text), text
    clean = ["入企次数（比上年同期 +12%）", "统一社会信用代码 91370502MA0000000X", "导出 Excel · CSV",
             "检查事项 SC-003 餐饮服务", "2026-12-02 10:00", "链头哈希 3f2a…", "/api/v1/log/export?since=序号",
             "JSON Lines", "AUC 0.71"]
    for text in clean:
        assert not _problems(text), (text, _problems(text))


def test_each_role_home_at_phone_and_desktop_width(browser, live_server, sign_in, phones, page, shot):
    for role in ROLES:
        for name, target in (("phone", phones()), ("desktop", page)):
            if role == "anonymous":
                target.goto(live_server + "/")
            else:
                target.context.clear_cookies()
                sign_in(target, role)
            shot(target, f"home-{role}-{name}")
            if name == "phone":
                assert target.evaluate("document.documentElement.scrollWidth") <= PHONE_WIDTH, role
