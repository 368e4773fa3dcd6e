"""Catalogue files shaped like real published lists: sub-items, several legal bases, ratio bounds,
caps per period, combined check modes; plans that break an item's bounds are refused; round trip."""
import pytest
import yaml

from checklists.loader import parse_catalogue, parse_ratio
from checklists.phrases import parse_frequency, parse_legal_basis, parse_modes, parse_ratio_phrase
from inspection.demo.city import catalogue_path
from inspection.pure.calendar import CITY_FILE
from tests.approvals import approve
from tests.catalogue_files import valid, write
from tests.leads import recorded_lead

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


# Phrasings read in published lists (随机抽查事项清单 and yearly 抽查计划), with what they mean here:
# 咸阳市随机抽查事项清单 (2017): "20%" with "5次/年", "100%" with "1次/年", citations with the order number;
# 长治市2024年度部门联合双随机抽查工作计划: "3%;2次/年", "…抽查比例之和≥20%";
# 上高县2023年"双随机、一公开"抽查工作计划: frequency columns "=1" and ">=1";
# 武汉经开区双随机抽查事项清单 (2022): "10-20%", "不低于0.5%", and counts of firms ("60-70家");
# 镇平县教育体育局抽查工作细则 (2022): "原则上不低于本级监管市场主体或项目的5%", "抽查频次原则上每年1次";
# 司法行政法律服务抽查: "抽查比例不低于辖区内机构数的5%", "抽查频率原则上每年不少于2次";
# 烟草零售户抽查: "全年合计抽取比例不低于10%，不高于30%"; 北京市随机抽查事项清单样表 (2016): "15%" "每月", "每周".
FREQUENCIES = [
    # Rounds, exact or a floor, are the department's obligation: they set no cap per firm (that is the
    # item's own cap phrase or the city's).
    ("5次/年", ("year", None, 5, 5)), ("1次/年", ("year", None, 1, 1)), ("每年一次", ("year", None, 1, 1)),
    ("每年2次", ("year", None, 2, 2)), ("一年两次", ("year", None, 2, 2)), ("=1", ("year", None, 1, 1)),
    (">=1", ("year", None, 1, None)), ("每年不少于1次", ("year", None, 1, None)),
    ("抽查频率原则上每年不少于2次", ("year", None, 2, None)), ("抽查频次原则上每年1次", ("year", None, 1, 1)),
    ("每半年至少一次", ("half_year", None, 1, None)), ("1次/季度", ("quarter", None, 1, 1)), ("每月", None),
    ("每年不少于2次；对同一单位同一年度内不超过1次", ("year", 1, 2, None)),
    ("每年至少开展2次，同一企业每年不超过1次", ("year", 1, 2, None)),
    ("每季度不少于1次，每年不超过2次", None), ("每年不少于1次；每年不少于2次", None),
    ("每年不超过2次", ("year", 2, None, None)), ("每季度不超过1次", ("quarter", 1, None, None)),
    ("对同一单位同一年度内不超过2次", ("year", 2, None, None)), ("同一企业每年不超过1次", ("year", 1, None, None)),
    ("根据实际情况确定", ("year", None, None, None)), ("不定期", ("year", None, None, None)),
]


@pytest.mark.parametrize("text, meaning", FREQUENCIES)
def test_published_frequencies(text, meaning):
    parsed = parse_frequency(text)
    if meaning is None:
        assert isinstance(parsed, str)
        return
    assert (parsed.period, parsed.cap, parsed.runs_min, parsed.runs_max) == meaning


RATIOS = [
    ("20%", (0.2, None, "item")), ("100%", (1.0, 1.0, "item")), ("=50%", (0.5, None, "item")),
    ("不低于3%", (0.03, None, "item")), ("≥20%", (0.2, None, "item")), ("不低于0.5%", (0.005, None, "item")),
    ("市级医疗保障部门每年对市级及以下经办机构抽查比例之和≥20%", (0.2, None, "item")),
    ("原则上不低于本级监管市场主体或项目的5%", (0.05, None, "item")),
    ("抽查比例不低于辖区内机构数的5%", (0.05, None, "item")), ("抽查比例不少于5‰", (0.005, None, "item")),
    ("不超过总数的5%", (None, 0.05, "item")), ("一般不超过10%/年", (None, 0.1, "item")),
    ("10-20%", (0.1, 0.2, "item")), ("全年合计抽取比例不低于10%，不高于30%", (0.1, 0.3, "item")),
    ("不低于5%或按专项计划确定", (0.05, None, "item")), ("根据实际情况确定", (None, None, "plan")),
    ("由计划确定", (None, None, "plan")), ("按上级部署确定", (None, None, "higher")),
    ("由省局统一确定", (None, None, "higher")),
]


@pytest.mark.parametrize("text, meaning", RATIOS)
def test_published_ratios(text, meaning):
    parsed = parse_ratio_phrase(text)
    assert (parsed.min, parsed.max, parsed.source) == meaning


def test_ratios_with_frequencies_and_alternatives():
    both = parse_ratio_phrase("3%;2次/年")
    assert (both.min, both.runs, both.period, both.runs_max, both.cap) == (0.03, 2, "year", 2, None)
    floor = parse_ratio_phrase("3%;不少于2次/年")     # a floor beside the share: rounds only, no cap per firm
    assert (floor.runs, floor.runs_max, floor.cap) == (2, None, None)
    either = parse_ratio_phrase("5%的企业每年检查1次或2%的企业每年检查2次")
    assert either.options == [{"ratio": 0.05, "runs": 1}, {"ratio": 0.02, "runs": 2}] and either.min == 0.02


@pytest.mark.parametrize("text", ["60-70家", "大约3%", "适当比例"])
def test_ratios_that_are_refused(text):
    assert isinstance(parse_ratio_phrase(text), str)


LAWS = [
    ("《成品油市场管理办法》（国务院令第412号）第三十条", [("《成品油市场管理办法》(国务院令第412号)", "第三十条")]),
    ("《典当管理办法》（商务部、公安部令2005年第8号）第四条", [("《典当管理办法》(商务部、公安部令2005年第8号)", "第四条")]),
    ("《食品安全法》", [("《食品安全法》", "")]), ("《食品安全法》等相关规定", [("《食品安全法》", "")]),
    ("总局令第89号", [("总局令第89号", "")]),
    ("《中华人民共和国食品安全法》第一百一十条、《中华人民共和国食品安全法实施条例》第六十三条",
     [("《中华人民共和国食品安全法》", "第一百一十条"), ("《中华人民共和国食品安全法实施条例》", "第六十三条")]),
]


@pytest.mark.parametrize("text, meaning", LAWS)
def test_published_citations(text, meaning):
    assert [(b["law"], b["articles"]) for b in parse_legal_basis(text)] == meaning


def test_citations_that_name_no_law_are_refused():
    assert "未写明法律、法规或规章的名称" in parse_legal_basis("相关规定")
    assert "未写明" in parse_legal_basis("法律法规有关规定")


@pytest.mark.parametrize("text, modes", [("现场检查、书面检查", ["on_site", "records"]), ("监督抽查", ["sampling"]),
                                         ("抽样检验", ["sampling"]), ("网络监测", ["online"]),
                                         (["sampling", "on_site"], ["sampling", "on_site"])])
def test_published_check_modes(text, modes):
    assert parse_modes(text) == modes


REAL_LIST = """\
version: "2017-SD"
title: 省级随机抽查事项清单（2017年版，按原文转换）
effective_from: 2017-01-01
items:
  - code: SC-801
    department: market
    name: 食品生产经营监督检查
    sub_items:
      - code: SC-801-01
        name: 食品生产者监督检查
        method: 随机抽查
        target_type: 食品生产者
        legal_basis: 《中华人民共和国食品安全法》第一百一十条；《食品生产经营日常监督检查管理办法》（总局令第23号）
        scope: {industries: [食品制造], tags: []}
        frequency: 每年不少于1次
        ratio: 不低于5%或按专项计划确定
        modes: 现场检查、书面检查
        checklist:
          - 生产者资质
          - 生产环境条件
      - code: SC-801-02
        name: 食品安全监督抽检
        method: 双随机抽查
        target_type: 食品生产经营者
        legal_basis: 《食品安全抽样检验管理办法》（国家市场监督管理总局令第15号）
        scope: {industries: [食品制造, 食品销售], tags: []}
        frequency: 对同一单位同一年度内不超过2次
        ratio: 按上级部署确定
        modes: 监督抽查
        checklist:
          - text: 抽检样品是否合格
            verify: 现场抽样，送承检机构检验
  - code: XF-801
    department: fire
    name: 消防安全检查
    method: random
    target_type: 人员密集场所
    legal_basis: 《中华人民共和国消防法》等相关规定
    scope: {tags: [人员密集场所]}
    frequency: 1次/年
    ratio: 3%;2次/年
    checklist: [疏散通道是否畅通]
"""


def test_a_real_list_loads_with_its_published_words(tmp_path, runner, client):
    parsed = parse_catalogue(write(tmp_path, REAL_LIST), DEPARTMENTS)
    items = {i.code: i for i in parsed.items}
    assert items["SC-801"].is_group and not items["SC-801"].points
    food = items["SC-801-01"]
    assert (food.frequency_words, food.runs_min, food.frequency_cap) == ("每年不少于1次", 1, 1)
    assert (food.ratio_words, food.ratio_min, food.ratio_source) == ("不低于5%或按专项计划确定", 0.05, "item")
    assert food.modes == ["on_site", "records"] and food.points[0].legal_basis.startswith("《中华人民共和国食品安全法》")
    sampling = items["SC-801-02"]
    assert sampling.modes == ["sampling"] and sampling.ratio_source == "higher" and sampling.frequency_cap == 2
    fire = items["XF-801"]
    assert (fire.ratio_min, fire.runs_min, fire.frequency_cap) == (0.03, 1, 1)
    assert fire.legal_basis == [{"law": "《中华人民共和国消防法》", "articles": "", "text": "《中华人民共和国消防法》等相关规定"}]
    result = runner.invoke(args=["load-catalogue", str(write(tmp_path, REAL_LIST))])
    assert result.exit_code == 0, result.output
    page = client.get("/catalogue/SC-801").get_data(as_text=True)
    assert "分类标题" in page and "SC-801-02 食品安全监督抽检" in page
    page = client.get("/catalogue/SC-801-02").get_data(as_text=True)
    assert "监督抽查（抽样送检）" in page and "按上级部署确定" in page and "由上级部门确定" in page


def test_alternatives_said_under_frequency(tmp_path, runner):
    text = REAL_LIST.replace("    frequency: 1次/年\n    ratio: 3%;2次/年\n",
                             "    frequency: 5%的企业每年检查1次或2%的企业每年检查2次\n")
    fire = next(i for i in parse_catalogue(write(tmp_path, text), DEPARTMENTS).items if i.code == "XF-801")
    assert fire.ratio_options == [{"ratio": 0.05, "runs": 1}, {"ratio": 0.02, "runs": 2}]
    assert (fire.ratio_min, fire.runs_min, fire.frequency_cap) == (0.02, 1, 2)
    assert runner.invoke(args=["load-catalogue", str(write(tmp_path, text))]).exit_code == 0
    out = tmp_path / "out.yaml"
    assert runner.invoke(args=["export-catalogue", "--out", str(out)]).exit_code == 0
    again = next(i for i in parse_catalogue(out, DEPARTMENTS).items if i.code == "XF-801")
    assert vars(again) == vars(fire)


def test_a_heading_cannot_be_planned(tmp_path, runner, client, login):
    assert runner.invoke(args=["load-catalogue", str(write(tmp_path, REAL_LIST.replace("2017-01-01", "2026-01-01")))]).exit_code == 0
    login("market")
    response = client.post("/api/v1/plans", json={"title": "食品检查", "period_start": "2026-04-01",
                                                  "period_end": "2026-04-30", "items": ["SC-801"]})
    assert response.status_code == 422 and "分类标题，请选择其子项" in response.get_json()["message"]


def test_ambiguous_phrases_are_refused_naming_row_and_phrase(tmp_path, runner, counts):
    text = REAL_LIST.replace("ratio: 按上级部署确定", "ratio: 60-70家").replace("frequency: 1次/年", "frequency: 每周一次") \
        .replace("legal_basis: 《中华人民共和国消防法》等相关规定", "legal_basis: 相关规定")
    before = counts()
    result = runner.invoke(args=["load-catalogue", str(write(tmp_path, text))])
    assert result.exit_code == 1
    lines = text.splitlines()
    row = next(i + 1 for i, line in enumerate(lines) if "60-70家" in line)
    assert f"catalogue.yaml:{row} 事项 SC-801-02 字段 ratio：抽查比例 '60-70家' 按家数规定" in result.output
    assert "事项 XF-801 字段 frequency：检查频次 '每周一次' 的周期为周或日" in result.output
    assert "事项 XF-801 字段 legal_basis：检查依据 '相关规定' 未写明法律、法规或规章的名称" in result.output
    assert counts() == before


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


def test_an_items_ratio_bound_is_on_the_whole_pool_not_on_each_class(client, login, counts, db_session):
    """信用风险分类监管: classes vary freely as long as the plan's share of its whole pool keeps the bound."""
    login("market")

    def plan(ratios):
        return client.post("/api/v1/plans", json={"title": "食品生产抽查", "period_start": "2026-04-01",
                                                   "period_end": "2026-04-30", "items": ["SC-001"], "ratios": ratios})

    graded = plan({"A": 0.01, "B": 0.02, "C": 0.1, "D": 0.3})
    assert graded.status_code == 201, graded.get_json()
    share = graded.get_json()["share"]
    pool = share["pool"]
    expected = (0.01 * pool["A"] + 0.02 * pool["B"] + 0.1 * pool["C"] + 0.3 * pool["D"]) / share["pool_size"]
    assert share["share"] == pytest.approx(expected, abs=1e-6) and share["share"] >= 0.03
    assert share["bounds"] == [{"item": "SC-001", "name": "食品生产企业监督检查", "min": 0.03, "max": None,
                                "text": "不低于 3%", "ok": True}]
    only_d = plan({"D": 1.0})
    assert only_d.status_code == 201, only_d.get_json()
    assert only_d.get_json()["share"]["share"] == pytest.approx(pool["D"] / share["pool_size"], abs=1e-6)
    before = counts()
    response = plan({"A": 0.01, "B": 0.01, "C": 0.01, "D": 0.01})
    assert response.status_code == 422
    body = response.get_json()
    assert "SC-001" in body["fields"]["ratios"]
    assert "要求抽查比例不低于 3%（针对全部检查对象），本计划各类比例合计为抽取池" in body["message"]
    assert "的 1.00%" in body["message"]
    assert counts() == before
    client.delete("/api/v1/session")
    login("fire")
    response = client.post("/api/v1/plans", json={"title": "重点单位检查", "period_start": "2026-04-01",
                                                  "period_end": "2026-04-30", "items": ["XF-001"], "lead": recorded_lead(db_session, "fire"),
                                                  "ratios": {"A": 1, "B": 1, "C": 1, "D": 0.5}})
    assert response.status_code == 422 and "要求抽查比例100%（针对全部检查对象）" in response.get_json()["message"]


def test_plans_take_class_ratios_from_the_credit_policy(client, login, db_session):
    login("market")
    body = client.post("/api/v1/plans", json={"title": "信用分类抽查", "period_start": "2026-04-01",
                                               "period_end": "2026-04-30", "items": ["SC-001"],
                                               "credit_ratios": True}).get_json()
    policy = yaml.safe_load(CITY_FILE.read_text(encoding="utf-8"))["credit_ratios"]
    assert body["ratio_source"] == "credit_policy" and body["ratios"] == policy
    page = client.get(f"/plans/{body['id']}").get_data(as_text=True)
    assert "按本市信用风险分类政策" in page and "占全部检查对象的" in page and "事项 SC-001 要求 不低于 3%：符合" in page
    assert client.post(f"/api/v1/plans/{body['id']}/file").status_code == 200
    approve(client, body["id"])
    assert client.post(f"/api/v1/plans/{body['id']}/draw").status_code == 200
    record = client.get(f"/api/v1/public/plans/{body['id']}/draw").get_json()
    assert record["ratios"] == policy
    both = client.post("/api/v1/plans", json={"title": "信用分类抽查", "period_start": "2026-04-01",
                                               "period_end": "2026-04-30", "items": ["SC-001"],
                                               "credit_ratios": True, "ratios": {"A": 0.5}})
    assert both.status_code == 422 and "二选一" in str(both.get_json()["fields"])


def test_quarterly_cap_counts_within_the_quarter(client, login, db_session):
    login("hr")
    common = {"items": ["RS-002"], "lead": recorded_lead(db_session, "hr"), "ratios": {c: 0.5 for c in "ABCD"},
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


def test_the_api_gives_the_published_words_beside_their_meaning(client):
    item = client.get("/api/v1/catalogue/items/SC-013-01").get_json()
    assert (item["frequency_words"], item["runs_min"], item["runs_max"], item["frequency_cap"]) == ("1次/年", 1, 1, 1)
    assert (item["ratio_words"], item["ratio_min"], item["ratio_source"]) == ("抽查比例不少于5‰", 0.005, "item")
    assert item["modes"] == ["on_site", "records"] and item["legal_basis"][0]["law"] == "《中华人民共和国计量法》"
    heading = client.get("/api/v1/catalogue/items/SC-013").get_json()
    assert heading["is_group"] is True and heading["points"] == []
    sampling = client.get("/api/v1/catalogue/items/SC-012").get_json()
    assert sampling["modes"] == ["sampling"] and sampling["runs_min"] == 1 and sampling["ratio_min"] == 0.05


def test_a_floor_is_the_departments_obligation_and_the_cap_is_the_items_or_the_citys(tmp_path, runner, client):
    """每年不少于2次 obliges the department to run the check twice a year; how often one firm may be
    inspected is the item's own cap, else the city's default (item_yearly_cap in the city file)."""
    city_cap = yaml.safe_load(CITY_FILE.read_text(encoding="utf-8"))["item_yearly_cap"]
    text = valid("T-floors").replace("    frequency_cap: 1\n", "    frequency: 每年不少于2次\n", 1) \
        .replace("    frequency_cap: 2\n", "    frequency: 每年不少于2次；对同一单位同一年度内不超过1次\n", 1)
    result = runner.invoke(args=["load-catalogue", str(write(tmp_path, text))])
    assert result.exit_code == 0, result.output
    floor_only = client.get("/api/v1/catalogue/items/SC-901").get_json()
    assert (floor_only["frequency_words"], floor_only["runs_min"], floor_only["runs_max"]) == ("每年不少于2次", 2, None)
    assert floor_only["frequency_cap"] == city_cap == 1      # not 2: the floor is no cap per firm
    page = client.get("/catalogue/SC-901").get_data(as_text=True)
    assert f"每年不超过 {city_cap} 次；部门每年开展不少于 2 次" in page
    both = client.get("/api/v1/catalogue/items/XF-901").get_json()
    assert (both["frequency_cap"], both["runs_min"], both["frequency_period"]) == (1, 2, "year")
    # An explicit cap beside a floor stands; the loader takes the city's default from its caller.
    explicit = text.replace("    frequency: 每年不少于2次\n", "    frequency: 每年不少于2次\n    frequency_cap: 3\n", 1)
    items = {i.code: i for i in parse_catalogue(write(tmp_path, explicit, "explicit.yaml"), DEPARTMENTS,
                                                default_cap=4).items}
    assert (items["SC-901"].frequency_cap, items["SC-901"].runs_min) == (3, 2)
    assert items["XF-901"].frequency_cap == 1
    defaulted = parse_catalogue(write(tmp_path, text, "defaulted.yaml"), DEPARTMENTS, default_cap=4).items
    assert next(i for i in defaulted if i.code == "SC-901").frequency_cap == 4


@pytest.mark.parametrize("text, per", [
    ("一般不超过10%/年", "year"), ("全年合计抽取比例不低于10%，不高于30%", "year"), ("年度抽查比例不低于5%", "year"),
    ("市级医疗保障部门每年对市级及以下经办机构抽查比例之和≥20%", "year"), ("不低于3%", None),
    ("不超过总数的5%", None), ("3%;2次/年", None), ("5%的企业每年检查1次或2%的企业每年检查2次", None),
])
def test_a_ratio_said_per_year_keeps_its_scope(text, per):
    assert parse_ratio_phrase(text).per == per


def test_a_ratio_bound_said_per_year_is_on_the_years_plans_together(runner, tmp_path, client, login, counts):
    out = tmp_path / "current.yaml"
    assert runner.invoke(args=["export-catalogue", "--out", str(out)]).exit_code == 0
    document = yaml.safe_load(out.read_text(encoding="utf-8"))
    document["version"] = "2026.7"
    item = next(i for i in document["items"] if i["code"] == "SC-001")
    item["ratio"] = "全年合计抽取比例不低于5%，不高于30%"
    result = runner.invoke(args=["load-catalogue", str(write(tmp_path, yaml.safe_dump(document, allow_unicode=True),
                                                               "per-year.yaml"))])
    assert result.exit_code == 0, result.output
    published = client.get("/api/v1/catalogue/items/SC-001").get_json()
    assert (published["ratio_min"], published["ratio_max"], published["ratio_period"]) == (0.05, 0.3, "year")
    login("market")

    def plan(ratio, start="2026-04-01", end="2026-04-30"):
        return client.post("/api/v1/plans", json={"title": f"食品生产抽查 {ratio:.0%}", "period_start": start,
                                                  "period_end": end, "items": ["SC-001"],
                                                  "ratios": {c: ratio for c in "ABCD"}})

    # Under the year's floor alone: not refused, the year's total shown against the floor.
    small = plan(0.02)
    assert small.status_code == 201, small.get_json()
    assert client.post(f"/api/v1/plans/{small.get_json()['id']}/file").status_code == 200
    bound = client.get(f"/api/v1/plans/{small.get_json()['id']}").get_json()["share"]["bounds"][0]
    assert (bound["per"], bound["year"], bound["year_total"], bound["floor_met"], bound["ok"]) == (
        "year", 2026, 0.02, False, True)
    page = client.get(f"/plans/{small.get_json()['id']}").get_data(as_text=True)
    assert "2026 年本部门该事项各计划合计 2.00%" in page and "尚未达到下限 5%" in page
    # Drafts do not count; filed plans do.
    large, more = plan(0.2, "2026-06-01", "2026-06-30"), plan(0.1, "2026-09-01", "2026-09-30")
    assert large.status_code == 201 and more.status_code == 201
    assert client.post(f"/api/v1/plans/{large.get_json()['id']}/file").status_code == 200
    large_bound = client.get(f"/api/v1/plans/{large.get_json()['id']}").get_json()["share"]["bounds"][0]
    assert (large_bound["year_total"], large_bound["floor_met"], large_bound["other_plans"]) == (
        0.22, True, [small.get_json()["id"]])
    before = counts()
    refused = client.post(f"/api/v1/plans/{more.get_json()['id']}/file")
    assert refused.status_code == 422, refused.get_json()
    message = refused.get_json()["message"]
    assert "事项 SC-001" in message and "按全年各计划合计" in message
    assert "2026 年合计为 32.00%，超过上限 30%" in message and "其他 2 个计划（合计 22.00%）" in message
    assert counts() == before
    # Another year's plans are another total; a cancelled plan no longer counts.
    assert plan(0.1, "2027-03-01", "2027-03-31").status_code == 201
    cancelled = client.post(f"/api/v1/plans/{large.get_json()['id']}/cancel", json={"reason": "改为专项检查"})
    assert cancelled.status_code == 200, cancelled.get_json()
    assert client.post(f"/api/v1/plans/{more.get_json()['id']}/file").status_code == 200
