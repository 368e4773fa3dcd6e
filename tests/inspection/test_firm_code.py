"""The firm's code: the short code typed by hand (check character, forgiving reading, rotation), scan-in
with it on the API and the page, and the downloads and page QR code that a real decoder reads."""
import datetime as dt
import io
import re

import pytest
from PIL import Image
from sqlalchemy import column, create_engine, insert, select, table

from inspection.db import upgrade
from inspection.errors import InvalidInput
from inspection.models import (
    CatalogueItem,
    Department,
    EntryToken,
    InspectionPlan,
    InspectionTask,
    User,
    Visit,
    VisitOfficer,
)
from inspection.operations.entries import firm_of_token, firm_token, rotate_token, scan_in
from inspection.pure.short_codes import (
    ALPHABET,
    format_short_code,
    is_valid,
    looks_like_short_code,
    make_short_code,
    normalise,
)

zxingcpp = pytest.importorskip("zxingcpp")

DAY = dt.date(2026, 5, 11)                        # a Monday; scans below carry their own time
AT = dt.datetime.combine(DAY, dt.time(1, 30))     # 09:30 in China


def decode(data: bytes) -> list[str]:
    return [r.text for r in zxingcpp.read_barcodes(Image.open(io.BytesIO(data)).convert("L"))]


def mistype(code: str) -> str:
    """``code`` with one character changed (its check character no longer matches)."""
    wrong = ALPHABET[(ALPHABET.index(code[3]) + 5) % len(ALPHABET)]
    return code[:3] + wrong + code[4:]


# -- The short code -------------------------------------------------------------------------------

def test_short_codes_have_a_check_character_and_forgive_how_they_are_typed():
    codes = {make_short_code() for _ in range(200)}
    assert len(codes) == 200
    for code in codes:
        assert len(code) == 9 and set(code) <= set(ALPHABET) and is_valid(code)
        assert not set(code) & set("ILOU")
        shown = format_short_code(code)
        assert re.fullmatch(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]", shown)
        assert normalise(f" {shown.lower()} ") == code and normalise(shown.replace("-", " ")) == code
        assert not is_valid(mistype(code))
        swapped = code[:2] + code[3] + code[2] + code[4:]
        if code[2] != code[3]:
            assert not is_valid(swapped) or {code[2], code[3]} == {"0", "Z"}   # Luhn's one blind pair
    assert normalise("oIl0－ab—cd") == "0110ABCD"
    assert looks_like_short_code("7kq4-m2xd-9") and not looks_like_short_code("7KQ4-M2XD") \
        and not looks_like_short_code("7KQ4-M2XD-U")


def test_tokens_get_unique_short_codes_and_rotation_retires_the_old_one(db_session, make_firm, make_user):
    firm = make_firm()
    token = firm_token(db_session, firm)
    assert is_valid(token.short_code)
    typed = format_short_code(token.short_code).lower().replace("0", "o").replace("1", "l")
    assert firm_of_token(db_session, typed) is firm and firm_of_token(db_session, token.token) is firm
    owner = make_user("enterprise", firm=firm)
    new = rotate_token(db_session, owner, firm)
    assert new.short_code != token.short_code and is_valid(new.short_code)
    assert firm_of_token(db_session, token.short_code) is None and firm_of_token(db_session, new.short_code) is firm
    assert firm_of_token(db_session, mistype(new.short_code)) is None


# -- Scan-in with the short code ----------------------------------------------------------------

def _team_of(db_session, firm, users, title: str) -> Visit:
    """A confirmed market visit on DAY to ``firm`` from a plan of its own, with ``users`` as the team."""
    market = db_session.scalar(select(Department).where(Department.code == "market"))
    item = db_session.scalar(select(CatalogueItem).where(CatalogueItem.code == "SC-003",
                                                         CatalogueItem.status == "published"))
    admin = db_session.scalar(select(User).where(User.username == "admin"))
    plan = InspectionPlan(department=market, title=title, period_start=DAY, period_end=DAY, status="scheduled",
                          created_by=admin, created_at=dt.datetime(2026, 1, 1), items=[item], ratios={"A": 0.1})
    visit = Visit(firm=firm, day=DAY, status="confirmed", locked=False, created_at=dt.datetime(2026, 1, 1))
    db_session.add_all([plan, visit])
    db_session.flush()
    db_session.add(InspectionTask(plan=plan, firm=firm, status="pending", on_site=True, window_start=DAY,
                                  window_end=DAY, visit_id=visit.id))
    for user in users:
        db_session.add(VisitOfficer(visit_id=visit.id, officer_id=user.officer_id, department_id=market.id))
    db_session.flush()
    return visit


@pytest.fixture
def team_visit(db_session, make_firm, make_user):
    """A confirmed market visit on DAY to a new firm with two inspectors and their accounts."""
    users = [make_user("inspector", department="market") for _ in range(2)]
    return _team_of(db_session, make_firm(), users, "短码入企"), users


def test_two_officers_enter_with_the_short_code_as_typed(db_session, team_visit):
    visit, (first, second) = team_visit
    code = firm_token(db_session, visit.firm).short_code
    typed = " " + format_short_code(code).lower() + " "
    assert scan_in(db_session, first, typed, now=AT, secret="s").state == "waiting_partner"
    result = scan_in(db_session, second, code[:4] + " " + code[4:], now=AT + dt.timedelta(minutes=2), secret="s")
    assert result.state == "entered" and result.visit is visit and result.code


def test_a_mistyped_short_code_is_called_a_typo(db_session, team_visit):
    visit, (first, _) = team_visit
    code = firm_token(db_session, visit.firm).short_code
    with pytest.raises(InvalidInput, match="校验不符"):
        scan_in(db_session, first, format_short_code(mistype(code)), now=AT, secret="s")


def test_scan_api_and_page_take_the_short_code(client, login, db_session, make_firm, make_user):
    firm = make_firm()
    code = firm_token(db_session, firm).short_code
    user = make_user("inspector", department="market")
    db_session.commit()
    login(user.username)
    # Known firm, no visit today: the refusal names the firm, so the code was understood.
    response = client.post("/api/v1/scans", json={"token": format_short_code(code).lower()})
    assert response.status_code == 422 and "今天没有您参与的已确认检查" in response.get_json()["message"]
    assert firm.name in response.get_json()["message"]
    typo = client.post("/api/v1/scans", json={"token": format_short_code(mistype(code))}).get_json()
    assert typo["error"] == "invalid_input" and "输错" in typo["message"] and "无效或已更换" not in typo["message"]
    unknown_code = "00000000" + "0"
    assert client.post("/api/v1/scans", json={"token": unknown_code}).get_json()["message"].startswith("企业码无效")
    page = client.post("/scan", data={"token": format_short_code(mistype(code))})
    assert page.status_code == 422 and "校验不符" in page.get_data(as_text=True)
    page = client.post("/scan", data={"token": format_short_code(code)})
    assert page.status_code == 422 and "今天没有您参与的已确认检查" in page.get_data(as_text=True)


# -- The page and the downloads ------------------------------------------------------------------

def test_firm_code_page_shows_the_grouped_short_code_and_a_scalable_qr(client, login, db_session, make_firm):
    firm = make_firm()
    token = firm_token(db_session, firm)
    db_session.commit()
    login("admin")
    page = client.get(f"/firms/{firm.uscc}/code").get_data(as_text=True)
    assert format_short_code(token.short_code) in page and token.token not in page.split("<svg")[0]
    svg = page[page.index("<svg"):page.index("</svg>")]
    assert re.search(r'viewBox="0 0 (\d+) \1"', svg) and "width=" not in svg.split(">")[0]
    scan_url = f"http://localhost/scan/{token.token}"
    for fmt in ("png", "svg"):
        response = client.get(f"/firms/{firm.uscc}/code.{fmt}")
        assert response.status_code == 200
        if fmt == "png":
            assert decode(response.data) == [scan_url]
    rotated = client.post(f"/api/v1/firms/{firm.uscc}/code/rotate").get_json()
    new = db_session.scalar(select(EntryToken).where(EntryToken.firm_id == firm.id, EntryToken.active.is_(True)))
    assert rotated["short_code"] == format_short_code(new.short_code)



def test_the_migration_gives_existing_tokens_short_codes(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'old.db'}")
    upgrade(engine, "0013")
    tokens = table("entry_tokens", column("id"), column("firm_id"), column("token"), column("active"),
                   column("created_at"), column("short_code"))
    districts = table("districts", column("id"), column("code"), column("name"))
    firms = table("firms", column("id"), column("uscc"), column("name"), column("district_id"), column("industry"),
                  column("credit_class"), column("address"))
    with engine.begin() as connection:
        connection.execute(insert(districts), {"id": 1, "code": "370502", "name": "东营区"})
        connection.execute(insert(firms), [{"id": n, "uscc": f"91370502TQ{n:07d}X", "name": f"旧企业{n}",
                                            "district_id": 1, "industry": "食品制造", "credit_class": "B",
                                            "address": "测试地址"} for n in range(1, 6)])
        connection.execute(insert(tokens), [{"firm_id": n, "token": f"old-token-{n}", "active": n % 2 == 0,
                                             "created_at": dt.datetime(2026, 1, n)} for n in range(1, 6)])
    upgrade(engine, "head")
    with engine.connect() as connection:
        codes = connection.scalars(select(tokens.c.short_code)).all()
    engine.dispose()
    assert len(codes) == len(set(codes)) == 5 and all(is_valid(code) for code in codes)


def test_an_officer_on_two_visits_to_one_firm_joins_the_partner_who_waits(db_session, make_firm, make_user):
    """Two plans put one officer on two visits to the same firm on the same day, each with another partner:
    his scan goes to the visit where his partner has scanned and waits for him, not to the one made first."""
    firm = make_firm()
    first_partner, shared, second_partner = (make_user("inspector", department="market") for _ in range(3))
    earlier = _team_of(db_session, firm, [first_partner, shared], "计划甲")
    later = _team_of(db_session, firm, [shared, second_partner], "计划乙")
    token = firm_token(db_session, firm).token
    assert scan_in(db_session, second_partner, token, now=AT, secret="s").state == "waiting_partner"
    result = scan_in(db_session, shared, token, now=AT + dt.timedelta(minutes=2), secret="s")
    assert result.state == "entered" and result.visit is later
    assert earlier.status == "confirmed"
    # The other partner scans later: his only visit waits for a partner who is now inside the other one.
    assert scan_in(db_session, first_partner, token, now=AT + dt.timedelta(minutes=5), secret="s").visit is earlier
