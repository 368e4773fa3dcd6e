"""Catalogue files shaped like real published lists: sub-items, several legal bases, ratio bounds,
caps per period, combined check modes; plans that break an item's bounds are refused; round trip."""
import pytest
import yaml

from checklists.loader import parse_catalogue, parse_ratio
from inspection.demo.city import catalogue_path
from tests.approvals import approve
from tests.catalogue_files import valid, write

DEPARTMENTS = {"market", "emergency", "ecology", "fire", "health", "transport", "housing", "hr"}


@pytest.mark.parametrize("text, bounds", [
    ("不低于3%", (0.03, None)), ("不少于 5 %", (0.05, None)), ("不超过2%", (None, 0.02)), ("不高于10％", (None, 0.1)),
    ("100%", (1.0, 1.0)), ("全覆盖", (1.0, 1.0)), ("3%-5%", (0.03, 0.05)), ("由计划确定", (None, None)),
    ({"min": 0.1, "max": 0.2}, (0.1, 0.2)), (None, (None, None)),
])
def test_ratio_texts(text, bounds):
    assert parse_ratio(text) == bounds


@pytest.mark.parametrize("text", ["大约3%", "不低于300%", "5%-3%", {"min": 2}])
def test_ratio_texts_not_understood(text):
    assert isinstance(parse_ratio(text), str)


def test_sub_items_inherit_and_frequency_text(tmp_path):
    text = valid().replace("""    frequency_cap: 1
    qualification: null
    checklist:
      - text: 是否取得食品生产许可证""", """    frequency: 每季度不超过1次
    ratio: 不低于3%
    modes: [on_site, records]
    qualification: null
    sub_items:
      - code: SC-901-01
        name: 食品添加剂使用检查
        checklist:
          - text: 是否超范围使用食品添加剂
            legal_basis: 《中华人民共和国食品安全法》第四十条
            verify: 查阅使用记录
      - code: SC-901-02
        name: 食品标签检查
        ratio: 由计划确定
        legal_basis:
          - law: 《中华人民共和国食品安全法》
            articles: 第六十七条
          - law: 《预包装食品标签通则》
            articles: 第四条
        checklist:
          - text: 标签是否标明生产日期和保质期
            legal_basis: 《中华人民共和国食品安全法》第六十七条
            verify: 抽查产品标签
    checklist:
      - text: 是否取得食品生产许可证""")
    parsed = parse_catalogue(write(tmp_path, text), DEPARTMENTS)
    items = {i.code: i for i in parsed.items}
    parent, first, second = items["SC-901"], items["SC-901-01"], items["SC-901-02"]
    assert (parent.frequency_cap, parent.frequency_period) == (1, "quarter")
    assert (parent.ratio_min, parent.ratio_max) == (0.03, None) and parent.modes == ["on_site", "records"]
    assert first.parent_code == "SC-901" and first.department == "market"
    assert (first.frequency_period, first.ratio_min, first.legal_basis) == ("quarter", 0.03, parent.legal_basis)
    assert (second.ratio_min, second.ratio_max) == (None, None) and len(second.legal_basis) == 2


def test_bad_sub_item_codes_and_frequencies_are_reported(tmp_path, runner, counts):
    text = valid().replace("    frequency_cap: 1\n", "    frequency: 偶尔\n    sub_items:\n      - code: XF-777\n"
                                                       "        name: 错误编码的子项\n", 1)
    before = counts()
    result = runner.invoke(args=["load-catalogue", str(write(tmp_path, text))])
    assert result.exit_code == 1
    assert "字段 frequency：无法识别的检查频次" in result.output
    assert "子项编码应以上级事项编码 SC-901- 开头" in result.output or "XF-777" in result.output
    assert counts() == before


def test_plans_outside_an_items_ratio_bounds_are_refused(client, login, counts):
    login("market")
    before = counts()
    response = client.post("/api/v1/plans", json={"title": "食品生产抽查", "period_start": "2026-04-01",
                                                  "period_end": "2026-04-30", "items": ["SC-001"],
                                                  "ratios": {"A": 0.02, "B": 0.05, "C": 0.1, "D": 0.2}})
    assert response.status_code == 422
    body = response.get_json()
    assert "SC-001" in body["fields"]["ratios"]
    assert "要求抽查比例不低于 3%，A 类为 2%" in body["message"]
    assert counts() == before
    client.delete("/api/v1/session")
    login("fire")
    response = client.post("/api/v1/plans", json={"title": "重点单位检查", "period_start": "2026-04-01",
                                                  "period_end": "2026-04-30", "items": ["XF-001"], "lead": "年度部署",
                                                  "ratios": {"A": 1, "B": 1, "C": 1, "D": 0.5}})
    assert response.status_code == 422 and "要求抽查比例100%，D 类为 50%" in response.get_json()["message"]


def test_quarterly_cap_counts_within_the_quarter(client, login):
    login("hr")
    common = {"items": ["RS-002"], "lead": "专项部署", "ratios": {c: 0.5 for c in "ABCD"},
              "target_industries": ["建筑施工", "纺织服装"]}

    def draw(start, end):
        plan = client.post("/api/v1/plans", json={**common, "title": f"欠薪专项 {start}", "period_start": start,
                                                  "period_end": end}).get_json()
        client.post(f"/api/v1/plans/{plan['id']}/file")
        approve(client, plan["id"])
        client.post(f"/api/v1/plans/{plan['id']}/draw")
        return client.get(f"/api/v1/public/plans/{plan['id']}/draw").get_json()

    first = draw("2026-04-01", "2026-04-30")
    same_quarter = draw("2026-05-01", "2026-05-31")
    next_quarter = draw("2026-07-01", "2026-07-31")
    assert set(first["selected"]) <= {e["uscc"] for e in same_quarter["excluded"] if e["reason"] == "yearly_cap"}
    assert not [e for e in next_quarter["excluded"] if e["reason"] == "yearly_cap"
                and e["uscc"] in set(first["selected"]) - set(same_quarter["selected"])]


def test_export_round_trip_without_loss(runner, tmp_path):
    out = tmp_path / "exported.yaml"
    result = runner.invoke(args=["export-catalogue", "--out", str(out)])
    assert result.exit_code == 0, result.output
    original = parse_catalogue(catalogue_path(), DEPARTMENTS)
    again = parse_catalogue(out, DEPARTMENTS)
    assert again.version == original.version and again.title == original.title
    assert sorted((vars(i) for i in again.items), key=lambda d: d["code"]) == \
        sorted((vars(i) for i in original.items), key=lambda d: d["code"])
    document = yaml.safe_load(out.read_text(encoding="utf-8"))
    parent = next(i for i in document["items"] if i["code"] == "SC-004")
    assert [s["code"] for s in parent["sub_items"]] == ["SC-004-01", "SC-004-02"]


def test_item_page_shows_bounds_and_sub_items(client):
    page = client.get("/catalogue/SC-004").get_data(as_text=True)
    assert "SC-004-01 电梯使用管理检查" in page and "每年不超过 2 次" in page
    page = client.get("/catalogue/SC-004-02").get_data(as_text=True)
    assert "上级事项" in page and "现场检查、书面检查" in page
    assert "不低于 3%" in client.get("/catalogue/SC-001").get_data(as_text=True)


def test_offsite_evidence_and_rules(tmp_path, runner, counts):
    text = valid().replace("""    checklist:
      - text: 是否取得食品生产许可证
        legal_basis: 《中华人民共和国食品安全法》第三十五条
        verify: 查验许可证""", """    offsite: {deadline: 8, extension: 3, escalate_after: null}
    checklist:
      - text: 是否取得食品生产许可证
        legal_basis: 《中华人民共和国食品安全法》第三十五条
        verify: 查验许可证
        offsite: {data: "licence:食品生产许可证", evidence: [document], ask: 上传许可证}
      - text: 是否建立进货查验记录
        legal_basis: 《中华人民共和国食品安全法》第五十条
        verify: 查阅记录
        offsite: {evidence: record}""", 1)
    item = next(i for i in parse_catalogue(write(tmp_path, text), DEPARTMENTS).items if i.code == "SC-901")
    assert item.offsite_rule == {"deadline": 8, "extension": 3, "escalate_after": None}
    assert [(p.offsite_evidence, p.offsite_data, p.offsite_ask) for p in item.points] == [
        (["document"], "licence:食品生产许可证", "上传许可证"), (["record"], None, "查阅记录")]
    bad = text.replace("evidence: record}", "evidence: [fax]}").replace("offsite: {deadline: 8,", "offsite: {deadline: 0,") \
        .replace('data: "licence:食品生产许可证"', "data: credit_score")
    before = counts()
    result = runner.invoke(args=["load-catalogue", str(write(tmp_path, bad))])
    assert result.exit_code == 1
    assert "证明材料类型应为 document/photo/record/answer" in result.output
    assert "平台数据核验应为 licence、annual_report、rectification_closed 之一" in result.output
    assert "非现场核查规则 deadline 应为工作日天数" in result.output
    assert counts() == before


def test_points_of_an_on_site_item_stay_on_site_unless_all_can_be_checked_off_site(client):
    page = client.get("/catalogue/SC-011").get_data(as_text=True)
    assert "可非现场核查" in page and "平台数据核验" in page and "逾期 5 个工作日仍未提交的，转为现场检查" in page
    assert "可非现场核查" not in client.get("/catalogue/SC-003").get_data(as_text=True)
