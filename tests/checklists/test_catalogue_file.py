"""Catalogue files: validation that names file, line and field; atomic publishing; versions."""
from sqlalchemy import select

from checklists.models import CatalogueItem
from tests.catalogue_files import valid, write


def load(runner, path, *extra):
    return runner.invoke(args=["load-catalogue", str(path), *extra])


def test_valid_file_publishes_and_revokes_the_previous_version(runner, tmp_path, db_session, counts):
    before = counts()
    result = load(runner, write(tmp_path, valid()))
    assert result.exit_code == 0, result.output
    assert "已发布" in result.output and "事项 2 项" in result.output
    statuses = dict(db_session.execute(select(CatalogueItem.code, CatalogueItem.status)
                                       .where(CatalogueItem.version == "T-1")).all())
    assert statuses == {"SC-901": "published", "XF-901": "published"}
    # The demo catalogue's items were the published list; the new file replaces it.
    assert db_session.scalar(select(CatalogueItem).where(CatalogueItem.code == "SC-001")).status == "revoked"
    assert counts()["Event"] == before["Event"] + 1


def test_reloading_the_same_file_changes_nothing(runner, tmp_path, counts):
    path = write(tmp_path, valid())
    assert load(runner, path).exit_code == 0
    before = counts()
    result = load(runner, path)
    assert result.exit_code == 0 and "内容未变" in result.output
    assert counts() == before


def test_same_version_with_other_content_is_refused(runner, tmp_path, counts):
    assert load(runner, write(tmp_path, valid())).exit_code == 0
    before = counts()
    result = load(runner, write(tmp_path, valid().replace("测试消防检查", "另一个名称")))
    assert result.exit_code == 1
    assert "已于" in result.output and "提高 version" in result.output
    assert counts() == before


def test_every_problem_is_reported_with_file_line_and_field_and_nothing_is_written(runner, tmp_path, counts):
    text = valid()
    text = text.replace("code: XF-901", "code: SC-901")                      # duplicate code
    text = text.replace("department: fire", "department: police")          # unknown department
    text = text.replace("""      - law: 《中华人民共和国食品安全法》
        articles: 第一百一十条
""", "")                                                                     # legal basis emptied
    text = text.replace("""      - text: 疏散通道是否畅通
        legal_basis: 《中华人民共和国消防法》第二十八条
        verify: 现场查看
""", "")                                                                     # empty checklist
    text = text.replace("legal_basis:\n    scope:", "legal_basis: []\n    scope:")
    text = text.replace("    checklist:\n", "    checklist: []\n", 2).replace("checklist: []\n      - text", "checklist:\n      - text", 1)
    path = write(tmp_path, text, "bad.yaml")
    before = counts()
    result = load(runner, path)
    assert result.exit_code == 1
    out = result.output
    assert "bad.yaml" in out
    lines = text.splitlines()

    def line_of(fragment, nth=1):
        found = [i + 1 for i, line in enumerate(lines) if fragment in line]
        return found[nth - 1]

    assert f"bad.yaml:{line_of('legal_basis: []')} 事项 SC-901 字段 legal_basis：缺少检查依据" in out
    assert f"bad.yaml:{line_of('department: police')} 事项 SC-901 字段 department：未知部门 police" in out
    assert "字段 checklist：检查要点清单为空" in out
    assert counts() == before


def test_duplicate_codes_name_both_lines(runner, tmp_path, counts):
    text = valid().replace("code: XF-901", "code: SC-901").replace("department: fire", "department: market")
    result = load(runner, write(tmp_path, text))
    assert result.exit_code == 1
    lines = text.splitlines()
    first, second = [i + 1 for i, line in enumerate(lines) if "code: SC-901" in line]
    assert f"catalogue.yaml:{second} 事项 SC-901 字段 code：事项编码重复，与第 {first} 行相同" in result.output


def test_shape_errors(runner, tmp_path, counts):
    before = counts()
    cases = {
        "frequency_cap: 1": ("frequency_cap: 0", "年度检查频次上限应为正整数"),
        "method: random\n    target_type: 食品": ("method: sometimes\n    target_type: 食品", "检查方式应为"),
        "effective_from: 2026-01-01": ("effective_from: 2026-02-30", "日期格式应为 YYYY-MM-DD"),
        "        verify: 查验许可证": ("        verify: ''", "检查要点缺少检查方法"),
        "    qualification: null": ("    qualification: null\n    colour: red", "colour：未知字段"),
    }
    for old, (new, message) in cases.items():
        result = load(runner, write(tmp_path, valid().replace(old, new, 1)))
        assert result.exit_code == 1, old
        assert message in result.output, (old, result.output)
    for text, message in [("items: [", "YAML 语法错误"), ("- a\n- b\n", "文件顶层应为"),
                          ("version: x\ntitle: y\neffective_from: 2026-01-01\nitems: []\n", "清单没有任何检查事项")]:
        result = load(runner, write(tmp_path, text))
        assert result.exit_code == 1 and message in result.output
    result = load(runner, tmp_path / "missing.yaml")
    assert result.exit_code == 1 and "无法读取文件" in result.output
    (tmp_path / "latin1.yaml").write_bytes("title: caf\xe9".encode("latin-1"))
    result = load(runner, tmp_path / "latin1.yaml")
    assert result.exit_code == 1 and "UTF-8" in result.output
    assert counts() == before


def test_draft_then_publish(runner, tmp_path, db_session):
    path = write(tmp_path, valid("T-2"))
    assert load(runner, path, "--draft").exit_code == 0
    assert db_session.scalar(select(CatalogueItem.status).where(CatalogueItem.code == "SC-901")) == "draft"
    result = load(runner, path)
    assert result.exit_code == 0 and "已发布" in result.output
    db_session.expire_all()
    assert db_session.scalar(select(CatalogueItem.status).where(CatalogueItem.code == "SC-901")) == "published"
