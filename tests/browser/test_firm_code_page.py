"""The firm's posted code in a real browser: the page's QR code decodes on a desktop screen, on a phone and
in print (one A4 page with the firm's name, the code, the short code and the instructions); the SVG
download decodes; the inspector's scan page has a camera scanner whose fallback decoder reads the code."""
import base64
import datetime as dt
import io
import re

import pytest
import segno
from PIL import Image
from sqlalchemy import select

from inspection.models import Department, Firm, Officer, User
from inspection.operations.accounts import create_user
from inspection.operations.entries import firm_token
from inspection.pure.short_codes import format_short_code
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS

pytestmark = pytest.mark.browser
zxingcpp = pytest.importorskip("zxingcpp")

SIZES = {"desktop": {"viewport": {"width": 1280, "height": 900}},
         "phone": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True,
                   "device_scale_factor": 2},
         "print": {"viewport": {"width": 794, "height": 1123}}}   # A4 at 96 dpi


def decode(path_or_bytes) -> list[str]:
    source = io.BytesIO(path_or_bytes) if isinstance(path_or_bytes, bytes) else path_or_bytes
    return [r.text for r in zxingcpp.read_barcodes(Image.open(source).convert("L"))]


@pytest.fixture
def posted(live_app, live_server):
    """The demo firm account's firm, its scan address and short code."""
    with live_app.extensions["db_factory"]() as session:
        firm = session.scalar(select(User).where(User.username == "firm")).firm
        token = firm_token(session, firm)
        session.commit()
        return {"uscc": firm.uscc, "name": firm.name, "url": f"{live_server}/scan/{token.token}",
                "short_code": format_short_code(token.short_code)}


@pytest.mark.parametrize("size", SIZES)
def test_the_posted_code_decodes_on_screen_on_a_phone_and_in_print(size, browser, live_server, sign_in, shot,
                                                                   posted):
    context = browser.new_context(locale="zh-CN", **SIZES[size])
    page = context.new_page()
    try:
        sign_in(page, "firm")
        page.goto(f"{live_server}/firms/{posted['uscc']}/code")
        if size == "print":
            page.emulate_media(media="print")
        poster = page.locator(".firm-poster")
        assert posted["name"] in poster.inner_text() and posted["short_code"] in poster.inner_text()
        qr = poster.locator("svg.qr-code").bounding_box()
        assert qr["width"] == pytest.approx(qr["height"], abs=1) and qr["width"] >= 250
        assert qr["x"] >= 0 and qr["x"] + qr["width"] <= SIZES[size]["viewport"]["width"]
        assert decode(shot(page, f"firm-code-{size}")) == [posted["url"]]
        if size == "print":
            assert not page.locator("header.top").is_visible() and not page.locator(".no-print").first.is_visible()
            pdf = page.pdf(format="A4", print_background=True)
            assert len(re.findall(rb"/Type\s*/Page[^s]", pdf)) == 1
    finally:
        context.close()


def test_the_downloads_decode(page, live_server, sign_in, posted):
    sign_in(page, "firm")
    png = page.request.get(f"{live_server}/firms/{posted['uscc']}/code.png")
    assert png.ok and decode(png.body()) == [posted["url"]]
    svg = page.request.get(f"{live_server}/firms/{posted['uscc']}/code.svg")
    assert svg.ok and svg.headers["content-type"].startswith("image/svg+xml")
    page.set_content(f'<body style="margin:0;background:#fff"><img style="width:400px" '
                     f'src="data:image/svg+xml;base64,{base64.b64encode(svg.body()).decode()}"></body>')
    assert decode(page.locator("img").screenshot()) == [posted["url"]]


@pytest.fixture
def inspector(live_app):
    """An enforcement officer of the market department with a certificate valid for years."""
    with live_app.extensions["db_factory"]() as session:
        user = session.scalar(select(User).where(User.username == "camera-officer"))
        if user is None:
            market = session.scalar(select(Department).where(Department.code == "market"))
            officer = Officer(certificate_no="CAM0000001", name="扫码测试员", department=market,
                              valid_from=dt.date(2020, 1, 1), valid_to=dt.date(2099, 12, 31), active=True,
                              qualifications=[])
            session.add(officer)
            officer.districts = list(market.districts)
            user = create_user(session, None, username="camera-officer", password="demo1234", role="inspector",
                               display_name=officer.name, officer=officer)
        firm = session.scalars(select(Firm).where(Firm.district_id.in_([d.id for d in user.officer.districts]))
                               .order_by(Firm.id)).first()
        token = firm_token(session, firm).token
        session.commit()
        return {"username": user.username, "firm": firm.name, "token": token}


def test_the_scan_page_scanner_reads_a_firm_code(phone, live_server, sign_in, shot, inspector):
    problems = []
    phone.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    sign_in(phone, inspector["username"])
    phone.goto(f"{live_server}/scan")
    start = phone.get_by_role("button", name="用相机扫描企业码")
    assert start.is_visible()
    start.click()
    status = phone.locator("[data-scanner-status]")
    # Headless chromium has no camera: the page says so in plain Chinese.
    status.filter(has_text=re.compile("未找到可用的相机|未获得相机权限|无法打开相机|不能在此页面使用相机")).wait_for()
    shot(phone, "scan-page-scanner-phone")
    # The fallback decoder (jsQR, served by the platform) reads the firm's code drawn on a canvas.
    url = f"{live_server}/scan/{inspector['token']}"
    image = io.BytesIO()
    segno.make(url, error="m").save(image, kind="png", scale=6, border=4)
    data_url = "data:image/png;base64," + base64.b64encode(image.getvalue()).decode()
    text = phone.evaluate("""async (src) => {
        const img = new Image();
        img.src = src;
        await img.decode();
        return window.inspectionScanner.readWithJsQR(img, img.naturalWidth, img.naturalHeight);
    }""", data_url)
    assert text == url and phone.evaluate("typeof window.jsQR") == "function"
    foreign = "https://elsewhere.example/scan/x"
    assert phone.evaluate("(t) => window.inspectionScanner.tokenFromText(t)", foreign) is None
    # Reading it fills the field and scans in: the refusal names the firm, so the scanned code was understood.
    with phone.expect_navigation():
        phone.evaluate("(t) => window.inspectionScanner.accept(t)", text)
    assert inspector["firm"] in phone.locator(".alert.error").inner_text()
    assert not [p for p in problems if "Content Security Policy" in p]


def y4m_of(png: bytes, path, size: int = 480, frames: int = 5) -> None:
    """A still video (YUV4MPEG2, 4:2:0) of a PNG on white, for chromium's fake camera."""
    picture = Image.new("RGB", (size, size), "white")
    code = Image.open(io.BytesIO(png)).convert("RGB")
    code.thumbnail((size - 40, size - 40))
    picture.paste(code, ((size - code.width) // 2, (size - code.height) // 2))
    y, u, v = picture.convert("YCbCr").split()
    half = (size // 2, size // 2)
    frame = b"FRAME\n" + y.tobytes() + u.resize(half).tobytes() + v.resize(half).tobytes()
    path.write_bytes(f"YUV4MPEG2 W{size} H{size} F10:1 Ip A1:1 C420jpeg\n".encode() + frame * frames)


def test_the_camera_reads_the_posted_code_and_scans_in(browser, live_server, sign_in, shot, inspector, tmp_path):
    """Chromium's fake camera shows the firm's code: the scanner reads it and scans in (refused here, naming
    the firm, as the officer has no visit there today)."""
    image = io.BytesIO()
    segno.make(f"{live_server}/scan/{inspector['token']}", error="m").save(image, kind="png", scale=8, border=4)
    video = tmp_path / "firm-code.y4m"
    y4m_of(image.getvalue(), video)
    camera = browser.browser_type.launch(
        executable_path=str(CHROMIUM), headless=True,
        args=[*CHROMIUM_ARGS, "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
              f"--use-file-for-fake-video-capture={video}"])
    try:
        context = camera.new_context(locale="zh-CN", viewport={"width": 390, "height": 844}, is_mobile=True,
                                     has_touch=True, device_scale_factor=2)
        context.grant_permissions(["camera"], origin=live_server)
        phone = context.new_page()
        sign_in(phone, inspector["username"])
        phone.goto(f"{live_server}/scan")
        with phone.expect_navigation(timeout=20_000):
            phone.get_by_role("button", name="用相机扫描企业码").click()
        assert inspector["firm"] in phone.locator(".alert.error").inner_text()
        shot(phone, "scan-page-camera-read-phone")
    finally:
        camera.close()
