"""Firm and officer imports (CSV/XLSX): validation naming line and field, all-or-nothing writes,
updates by key without duplicates, one event-log record per import, and export round trips."""
from __future__ import annotations

import csv
import datetime as dt
import hashlib

import openpyxl
import pytest
from sqlalchemy import func, select

from core.errors import Problem
from inspection.errors import ImportFileInvalid
from inspection.models import Event, Firm, Officer
from inspection.operations.imports import (
    export_firms,
    export_officers,
    firm_records,
    import_firms,
    import_officers,
    officer_records,
)
from inspection.pure.imports import (
    FIRM_COLUMNS,
    OFFICER_COLUMNS,
    cell_text,
    district_lookup,
    import_invalid,
    read_rows,
    validate_firms,
    validate_officers,
)
from inspection.pure.uscc import make_uscc

# --------------------------------------------------------------------------- files as people make them


def write_csv(path, header, rows, *, bom=False, encoding="utf-8"):
    with open(path, "w", encoding="utf-8-sig" if bom else encoding, newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def write_xlsx(path, header, rows, *, blank_rows=0):
    """A workbook as a spreadsheet program leaves it: typed cells, a second sheet, blank rows at the end."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "导入"
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    for _ in range(blank_rows):
        # Cells touched but left empty: whitespace, or a format without a value.
        sheet.cell(row=sheet.max_row + 1, column=1, value=" ")
        sheet.cell(row=sheet.max_row, column=3).number_format = "yyyy-mm-dd"
    workbook.create_sheet("说明").append(["本页不导入"])
    workbook.save(path)
    return path


def code(n: int, district: str = "370502") -> str:
    return make_uscc("9", "1", district, f"KX{n:06d}")


def firm_row(n: int, district: str = "370502", *, name=None, industry="食品制造", credit_class="B",
             tags="食品生产", address="东营区测试路1号") -> list:
    return [code(n, district if district.isdigit() else "370502"), name or f"导入测试{n}有限公司", district,
            industry, credit_class, tags, address]


def officer_row(number: str, *, name="张导入", department="market", valid_from="2024-01-01",
                valid_to="2028-12-31", districts="370502") -> list:
    return [number, name, department, valid_from, valid_to, districts]


def sha256(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def firms_with(db_session, codes) -> list[Firm]:
    db_session.expire_all()
    return list(db_session.scalars(select(Firm).where(Firm.uscc.in_(list(codes))).order_by(Firm.uscc)))


def officers_with(db_session, numbers) -> dict[str, Officer]:
    db_session.expire_all()
    return {o.certificate_no: o for o in db_session.scalars(select(Officer)
                                                            .where(Officer.certificate_no.in_(list(numbers))))}


def officer_count(db_session) -> int:
    return db_session.scalar(select(func.count(Officer.id)))


def assert_logged(db_session, before: dict, after: dict, kind: str, path, result: dict, actor: str = "system"):
    """Exactly one record was appended, naming the file, its hash and the counts."""
    assert after["Event"] == before["Event"] + 1
    event = db_session.scalars(select(Event).order_by(Event.seq.desc()).limit(1)).one()
    assert event.kind == kind and event.actor == actor
    assert event.subject == ("import:firms" if kind == "firms.imported" else "import:officers")
    assert event.payload == {"file": path.name, "sha256": sha256(path), **result}


def assert_nothing_written(db_session, before: dict, after: dict, *, officers_before: int | None = None):
    assert after == before  # no Event, no Firm, nothing else
    if officers_before is not None:
        assert officer_count(db_session) == officers_before


# --------------------------------------------------------------------------- firms


def test_valid_firms_csv_is_imported(db_session, counts, tmp_path, make_user):
    admin = make_user("admin")
    rows = [firm_row(1, "370502", tags="食品生产; 冷链食品"),
            firm_row(2, "河口区", credit_class="A", tags=""),                 # district by name
            ["  " + code(3, "370523"), "  导入测试3有限公司 ", "广饶县", "化工", "D", "危化品；重点排污", ""],
            ["", "", "", "", "", "", ""], ["", "", "", "", "", "", ""]]        # empty trailing rows
    path = write_csv(tmp_path / "firms.csv", FIRM_COLUMNS, rows, bom=True)
    before = counts()
    stages = []
    result = import_firms(db_session, admin, path, progress=lambda *a: stages.append(a))
    after = counts()
    assert result == {"rows": 3, "created": 3, "updated": 0, "unchanged": 0}
    assert after["Firm"] == before["Firm"] + 3
    assert_logged(db_session, before, after, "firms.imported", path, result, actor=f"user:{admin.username}")
    assert {s for s, _, _ in stages} >= {"校验", "写入"} and stages[-1][1] == stages[-1][2]

    first, second, third = firms_with(db_session, [code(1), code(2), code(3, "370523")])
    assert (first.district.code, first.credit_class, first.tags) == ("370502", "B", ["冷链食品", "食品生产"])
    assert (second.district.name, second.credit_class, second.tags, second.address) == ("河口区", "A", [], "东营区测试路1号")
    assert (third.name, third.district.code, third.industry, third.tags, third.address) == \
        ("导入测试3有限公司", "370523", "化工", ["危化品", "重点排污"], "")


def test_valid_firms_xlsx_is_imported(db_session, counts, tmp_path):
    rows = [firm_row(11), firm_row(12, "垦利区", credit_class="C"),
            [code(13, "370571"), "导入测试13有限公司", 370571, "建筑施工", "A", None, None]]  # district typed as a number
    path = write_xlsx(tmp_path / "firms.xlsx", FIRM_COLUMNS, rows, blank_rows=3)
    before = counts()
    result = import_firms(db_session, None, path)
    after = counts()
    assert result == {"rows": 3, "created": 3, "updated": 0, "unchanged": 0}
    assert_logged(db_session, before, after, "firms.imported", path, result)
    firms = firms_with(db_session, [code(11), code(12), code(13, "370571")])
    assert [(f.district.code, f.credit_class, f.tags, f.address) for f in firms] == [
        ("370502", "B", ["食品生产"], "东营区测试路1号"), ("370505", "C", ["食品生产"], "东营区测试路1号"),
        ("370571", "A", [], "")]


def test_reimport_updates_by_code_and_never_duplicates(db_session, counts, tmp_path, make_firm):
    existing = make_firm(name="已有企业有限公司", tags=("食品生产",))
    rows = [firm_row(21), firm_row(22), firm_row(23),
            [existing.uscc, "已有企业有限公司", "370502", "食品制造", "B", "食品生产", "测试地址"]]
    path = write_csv(tmp_path / "firms.csv", FIRM_COLUMNS, rows)
    first = import_firms(db_session, None, path)
    assert first == {"rows": 4, "created": 3, "updated": 0, "unchanged": 1}

    rows[0][1] = "改名后的导入测试21有限公司"        # a field changed
    rows[1][5] = "食品生产;冷链食品"                  # tags changed
    rows[2][2] = "利津县"                             # district changed, by name
    rows[3][4], rows[3][5] = "D", ""                  # the firm made in the session: class and tags
    rows.append(firm_row(24))                          # a new one
    path = write_csv(tmp_path / "firms.csv", FIRM_COLUMNS, rows)
    before = counts()
    second = import_firms(db_session, None, path)
    after = counts()
    assert second == {"rows": 5, "created": 1, "updated": 4, "unchanged": 0}
    assert after["Firm"] == before["Firm"] + 1
    assert_logged(db_session, before, after, "firms.imported", path, second)
    # The object already in the session sees the update.
    assert (existing.credit_class, existing.tags) == ("D", [])

    codes = [code(21), code(22), code(23), code(24), existing.uscc]
    firms = {f.uscc: f for f in firms_with(db_session, codes)}
    assert len(firms) == 5
    assert db_session.scalar(select(func.count(Firm.id)).where(Firm.uscc.in_(codes))) == 5
    assert firms[code(21)].name == "改名后的导入测试21有限公司"
    assert firms[code(22)].tags == ["冷链食品", "食品生产"]
    assert firms[code(23)].district.code == "370522"

    before = counts()
    third = import_firms(db_session, None, path)
    after = counts()
    assert third == {"rows": 5, "created": 0, "updated": 0, "unchanged": 5}
    assert_logged(db_session, before, after, "firms.imported", path, third)


def test_a_merge_touches_only_the_files_firms_and_tags(db_session, counts, tmp_path, make_firm):
    """Tags are added and removed one by one; firms outside the file keep theirs; new firms get ids in
    file order; firms held by the session see their new tags."""
    outside = make_firm(tags=("冷链食品", "食品生产"))
    held = make_firm(tags=("食品生产", "人员密集"))
    assert set(held.tags) == {"人员密集", "食品生产"}
    rows = [firm_row(95, tags="危化品"), firm_row(93, tags=""), firm_row(94, tags="食品生产;冷链食品"),
            [held.uscc, held.name, "370502", "食品制造", "B", "食品生产;冷链食品", "测试地址"]]
    path = write_csv(tmp_path / "firms.csv", FIRM_COLUMNS, rows)
    assert import_firms(db_session, None, path) == {"rows": 4, "created": 3, "updated": 1, "unchanged": 0}
    assert held.tags == ["冷链食品", "食品生产"]
    made = firms_with(db_session, [code(93), code(94), code(95)])
    assert sorted(made, key=lambda f: f.id) == [made[2], made[0], made[1]]   # 95, 93, 94: the file's order
    assert [f.tags for f in made] == [[], ["冷链食品", "食品生产"], ["危化品"]]
    assert (outside.name, outside.tags) == (firms_with(db_session, [outside.uscc])[0].name, ["冷链食品", "食品生产"])

    rows[0][5], rows[2][5] = "危化品;重点排污", "冷链食品"      # one tag more, one tag fewer
    rows[3][6] = "新地址"                                        # a field only
    path = write_csv(tmp_path / "firms.csv", FIRM_COLUMNS, rows)
    before = counts()
    result = import_firms(db_session, None, path)
    assert result == {"rows": 4, "created": 0, "updated": 3, "unchanged": 1}
    assert_logged(db_session, before, counts(), "firms.imported", path, result)
    firms = {f.uscc: f for f in firms_with(db_session, [code(93), code(94), code(95), held.uscc, outside.uscc])}
    assert [firms[c].tags for c in (code(95), code(93), code(94))] == [["危化品", "重点排污"], [], ["冷链食品"]]
    assert (firms[held.uscc].address, firms[held.uscc].tags) == ("新地址", ["冷链食品", "食品生产"])
    assert firms[outside.uscc].tags == ["冷链食品", "食品生产"]
    assert db_session.scalar(select(func.count(Firm.id)).where(Firm.uscc.in_(list(firms)))) == 5


def test_every_bad_firm_row_is_reported_with_line_and_field_and_nothing_is_written(db_session, counts, tmp_path):
    valid = firm_row(31)
    bad_check = code(32)[:-1] + ("0" if code(32)[-1] != "0" else "1")
    rows = [
        valid,                                                                         # 2: valid, yet not written
        [bad_check, "校验位错误有限公司", "370502", "食品制造", "B", "", ""],              # 3
        [code(33)[:17], "位数不对有限公司", "370502", "食品制造", "B", "", ""],            # 4
        [code(34), "", "北京区", "食品制造", "B", "", ""],                                 # 5: no name, unknown district
        [code(35), "等级错误有限公司", "370502", "", "E", "", ""],                          # 6: no industry, class E
        [valid[0], "重复企业有限公司", "370502", "食品制造", "A", "", ""],                  # 7: duplicate code
        ["", "缺代码有限公司", "370502", "食品制造", "A", "", ""],                          # 8: no code
        [*firm_row(36), "多出的一列"],                                                     # 9: a cell beyond the header
        [code(37), "名" * 201, "370502", "食品制造", "B", "标" * 33, ""],                  # 10: too long
        [code(38).lower(), "小写有限公司", "370502", "食品制造", "b", "", ""],              # 11: lower case
    ]
    path = write_csv(tmp_path / "bad-firms.csv", FIRM_COLUMNS, rows)
    before = counts()
    with pytest.raises(ImportFileInvalid) as caught:
        import_firms(db_session, None, path)
    assert_nothing_written(db_session, before, counts())
    assert firms_with(db_session, [valid[0], code(34), code(35), code(36), code(37)]) == []

    error = caught.value
    where = {(p.line, p.field) for p in error.problems}
    assert where == {(3, "uscc"), (4, "uscc"), (5, "name"), (5, "district"), (6, "industry"), (6, "credit_class"),
                     (7, "uscc"), (8, "uscc"), (9, "file"), (10, "name"), (10, "tags"), (11, "uscc"),
                     (11, "credit_class")}
    by_place = {(p.line, p.field): p.message for p in error.problems}
    assert "校验位错误" in by_place[(3, "uscc")]
    assert "18 位" in by_place[(4, "uscc")]
    assert "未知区县 北京区" in by_place[(5, "district")] and "东营区" in by_place[(5, "district")]
    assert "与第 2 行相同" in by_place[(7, "uscc")]
    assert "缺少统一社会信用代码" == by_place[(8, "uscc")]
    assert "A、B、C、D" in by_place[(6, "credit_class")]
    assert "最多 200 个" in by_place[(10, "name")]
    assert error.status == 422 and error.code == "import_invalid"
    assert "bad-firms.csv 有 13 处错误，未作任何更改" in error.message
    assert "bad-firms.csv:3 字段 uscc：统一社会信用代码校验位错误" in error.message
    assert "bad-firms.csv:5 字段 district：未知区县 北京区" in error.message
    assert {"file": "bad-firms.csv", "line": 7, "field": "uscc"}.items() <= error.fields["problems"][6].items()
    assert len(error.fields["problems"]) == 13


def test_a_bad_header_is_reported_on_line_one_with_the_rows(db_session, counts, tmp_path):
    header = ["uscc", "name", "district", "industry", "tags", "address", "phone", "name"]
    rows = [[code(41), "表头测试有限公司", "370502", "食品制造", "", "", "0546-1234567", "又一个名称"],
            ["123", "坏代码有限公司", "370502", "食品制造", "", "", "", ""]]
    path = write_csv(tmp_path / "firms.csv", header, rows)
    before = counts()
    with pytest.raises(ImportFileInvalid) as caught:
        import_firms(db_session, None, path)
    assert_nothing_written(db_session, before, counts())
    assert firms_with(db_session, [code(41)]) == []
    problems = {(p.line, p.field): p.message for p in caught.value.problems}
    assert set(problems) == {(1, "credit_class"), (1, "phone"), (1, "name"), (3, "uscc")}
    assert "缺少列 credit_class" in problems[(1, "credit_class")]
    assert "未知列 phone" in problems[(1, "phone")]
    assert "列名重复" in problems[(1, "name")]

    officers = write_csv(tmp_path / "officers.csv", OFFICER_COLUMNS[:-1], [officer_row("H001")[:-1]])
    with pytest.raises(ImportFileInvalid) as caught:
        import_officers(db_session, None, officers)
    assert [(p.line, p.field) for p in caught.value.problems] == [(1, "districts")]
    assert_nothing_written(db_session, before, counts())


def test_line_numbers_follow_the_file(db_session, counts, tmp_path):
    """Blank rows are skipped but counted; a quoted cell spanning lines counts its lines."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(list(FIRM_COLUMNS))
    sheet.append(firm_row(71))
    sheet.cell(row=5, column=1, value=code(72)[:-1] + "?")   # rows 3 and 4 left empty
    for column, value in enumerate(firm_row(72)[1:], start=2):
        sheet.cell(row=5, column=column, value=value)
    path = tmp_path / "gaps.xlsx"
    workbook.save(path)
    before = counts()
    with pytest.raises(ImportFileInvalid) as caught:
        import_firms(db_session, None, path)
    assert [(p.line, p.field) for p in caught.value.problems] == [(5, "uscc")]

    rows = [firm_row(73, address="东营区\n测试路\n1号"), ["", "", "", "", "", "", ""], firm_row(74, credit_class="X")]
    path = write_csv(tmp_path / "multiline.csv", FIRM_COLUMNS, rows)
    with pytest.raises(ImportFileInvalid) as caught:
        import_firms(db_session, None, path)
    assert [(p.line, p.field) for p in caught.value.problems] == [(6, "credit_class")]
    assert_nothing_written(db_session, before, counts())


def test_large_files_are_written_in_batches(db_session, counts, tmp_path, monkeypatch):
    """Batches of two rows, and statistics refreshed after the load (on PostgreSQL)."""
    from inspection.operations import imports as operations
    monkeypatch.setattr(operations, "BATCH", 2)
    monkeypatch.setattr(operations, "ANALYZE_AFTER", 1)
    rows = [firm_row(80 + n, tags="食品生产;冷链食品" if n % 2 else "") for n in range(7)]
    path = write_csv(tmp_path / "firms.csv", FIRM_COLUMNS, rows)
    assert import_firms(db_session, None, path) == {"rows": 7, "created": 7, "updated": 0, "unchanged": 0}
    for row in rows[:5]:
        row[4], row[5] = "C", "有限空间作业"
    path = write_csv(tmp_path / "firms.csv", FIRM_COLUMNS, rows)
    before = counts()
    result = import_firms(db_session, None, path)
    assert result == {"rows": 7, "created": 0, "updated": 5, "unchanged": 2}
    assert_logged(db_session, before, counts(), "firms.imported", path, result)
    firms = firms_with(db_session, [row[0] for row in rows])
    assert [(f.credit_class, f.tags) for f in firms] == [("C", ["有限空间作业"])] * 5 + [("B", ["冷链食品", "食品生产"]), ("B", [])]

    officers = [officer_row(f"BATCH{n}", districts="东营区;河口区" if n % 2 else "") for n in range(5)]
    path = write_csv(tmp_path / "officers.csv", OFFICER_COLUMNS, officers)
    assert import_officers(db_session, None, path)["created"] == 5
    for row in officers[:3]:
        row[5] = "370572"
    path = write_csv(tmp_path / "officers.csv", OFFICER_COLUMNS, officers)
    assert import_officers(db_session, None, path) == {"rows": 5, "created": 0, "updated": 3, "unchanged": 2}
    by_number = officers_with(db_session, [row[0] for row in officers])
    assert [[d.code for d in by_number[f"BATCH{n}"].districts] for n in range(5)] == \
        [["370572"]] * 3 + [["370502", "370503"], []]


@pytest.mark.parametrize("name, content, fragment", [
    ("firms.xls", b"\xd0\xcf\x11\xe0", "只支持 CSV 或 XLSX 文件"),
    ("firms.txt", b"uscc\n", "只支持 CSV 或 XLSX 文件"),
    ("firms.csv", ",".join(FIRM_COLUMNS).encode() + b"\n" + "东营区".encode("gbk"), "不是 UTF-8 编码"),
    ("firms.csv", b"", "文件为空"),
    ("firms.csv", ",".join(FIRM_COLUMNS).encode() + b"\n,,,,,,\n", "没有任何企业"),
    ("firms.xlsx", b"not a workbook", "无法读取 XLSX 文件"),
])
def test_unreadable_files_are_refused(db_session, counts, tmp_path, name, content, fragment):
    path = tmp_path / name
    path.write_bytes(content)
    before = counts()
    with pytest.raises(ImportFileInvalid) as caught:
        import_firms(db_session, None, path)
    assert fragment in caught.value.message
    assert_nothing_written(db_session, before, counts())


def test_duplicate_keys_in_one_file_are_refused(db_session, counts, tmp_path):
    path = write_csv(tmp_path / "firms.csv", FIRM_COLUMNS,
                     [firm_row(51), firm_row(52), firm_row(51, name="同码另一家有限公司"), firm_row(52)])
    before = counts()
    with pytest.raises(ImportFileInvalid) as caught:
        import_firms(db_session, None, path)
    assert [(p.line, p.field, p.item) for p in caught.value.problems] == [(4, "uscc", code(51)), (5, "uscc", code(52))]
    assert "与第 2 行相同" in caught.value.problems[0].message
    assert_nothing_written(db_session, before, counts())
    assert firms_with(db_session, [code(51), code(52)]) == []

    officers_before = officer_count(db_session)
    path = write_csv(tmp_path / "officers.csv", OFFICER_COLUMNS,
                     [officer_row("D0001"), officer_row("D0002"), officer_row("D0001", name="李重复")])
    with pytest.raises(ImportFileInvalid) as caught:
        import_officers(db_session, None, path)
    assert [(p.line, p.field) for p in caught.value.problems] == [(4, "certificate_no")]
    assert "执法证号 D0001 重复，与第 2 行相同" in caught.value.message
    assert_nothing_written(db_session, before, counts(), officers_before=officers_before)


# --------------------------------------------------------------------------- officers


def test_officers_are_imported_with_dates_and_districts_by_name_or_code(db_session, counts, tmp_path):
    rows = [officer_row("IM0001", districts="东营区;370503"),
            officer_row("IM0002", name="李导入", department="fire", valid_from="2025-03-01", valid_to="2025-03-01",
                        districts=" 广饶县 ； 370571 ;广饶县"),
            officer_row("IM0003", name="王导入", department="health", districts="")]
    path = write_csv(tmp_path / "officers.csv", OFFICER_COLUMNS, rows)
    before, officers_before = counts(), officer_count(db_session)
    result = import_officers(db_session, None, path)
    after = counts()
    assert result == {"rows": 3, "created": 3, "updated": 0, "unchanged": 0}
    assert officer_count(db_session) == officers_before + 3
    assert_logged(db_session, before, after, "officers.imported", path, result)

    officers = officers_with(db_session, ["IM0001", "IM0002", "IM0003"])
    first, second, third = officers["IM0001"], officers["IM0002"], officers["IM0003"]
    assert (first.name, first.department.code, first.valid_from, first.valid_to) == \
        ("张导入", "market", dt.date(2024, 1, 1), dt.date(2028, 12, 31))
    assert [d.code for d in first.districts] == ["370502", "370503"]
    assert sorted(d.code for d in second.districts) == ["370523", "370571"]
    assert second.valid_from == second.valid_to == dt.date(2025, 3, 1)
    assert third.districts == []
    assert all(o.active and o.qualifications == [] for o in officers.values())

    # Re-import: validity and districts change; active and qualifications are left alone.
    first.qualifications = ["食品安全"]
    db_session.flush()
    rows[0] = officer_row("IM0001", valid_to="2029-06-30", districts="垦利区")
    rows.append(officer_row("IM0004", name="赵导入", department="ecology", districts="东营港经济开发区"))
    path = write_csv(tmp_path / "officers.csv", OFFICER_COLUMNS, rows)
    before = counts()
    result = import_officers(db_session, None, path)
    after = counts()
    assert result == {"rows": 4, "created": 1, "updated": 1, "unchanged": 2}
    assert officer_count(db_session) == officers_before + 4
    assert_logged(db_session, before, after, "officers.imported", path, result)
    assert (first.valid_to, [d.code for d in first.districts], first.qualifications, first.active) == \
        (dt.date(2029, 6, 30), ["370505"], ["食品安全"], True)


def test_bad_officer_rows_are_reported_and_nothing_is_written(db_session, counts, tmp_path):
    rows = [officer_row("BAD001"),                                                   # 2: valid, yet not written
            officer_row("BAD002", valid_from="2026-01-01", valid_to="2025-12-31"),     # 3: ends before it starts
            officer_row("BAD003", department="police"),                              # 4: unknown department
            officer_row("BAD004", valid_from="2024/1/1"),                            # 5: not YYYY-MM-DD
            officer_row("BAD005", districts="东营区;火星区"),                          # 6: unknown district
            officer_row("BAD006", name="", valid_to=""),                             # 7: missing fields
            officer_row("BAD007", valid_to="2024-02-30"),                            # 8: no such day
            officer_row("", department="")]                                          # 9: no number, no department
    path = write_csv(tmp_path / "officers.csv", OFFICER_COLUMNS, rows)
    before, officers_before = counts(), officer_count(db_session)
    with pytest.raises(ImportFileInvalid) as caught:
        import_officers(db_session, None, path)
    assert_nothing_written(db_session, before, counts(), officers_before=officers_before)
    assert officers_with(db_session, [f"BAD00{n}" for n in range(1, 8)]) == {}
    problems = {(p.line, p.field): p.message for p in caught.value.problems}
    assert set(problems) == {(3, "valid_to"), (4, "department"), (5, "valid_from"), (6, "districts"),
                             (7, "name"), (7, "valid_to"), (8, "valid_to"), (9, "certificate_no"),
                             (9, "department")}
    assert "早于有效期起" in problems[(3, "valid_to")]
    assert "未知部门 police" in problems[(4, "department")] and "market" in problems[(4, "department")]
    assert "YYYY-MM-DD" in problems[(5, "valid_from")] and "2024/1/1" in problems[(5, "valid_from")]
    assert "火星区" in problems[(6, "districts")]
    assert problems[(7, "name")] == "缺少姓名"
    assert "officers.csv:3 字段 valid_to：有效期止 2025-12-31 早于有效期起 2026-01-01" in caught.value.message


def test_officers_xlsx_with_numeric_certificates_and_date_cells(db_session, counts, tmp_path):
    rows = [[37059900001, "孙数字", "market", dt.datetime(2024, 1, 1), dt.datetime(2028, 12, 31, 0, 0), 370502],
            [37059900002.0, "周浮点", "fire", dt.date(2023, 7, 1), "2027-06-30", "河口区;370505"],
            ["  37059900003 ", "吴文字", "health", "2025-01-01", dt.datetime(2030, 1, 1, 8, 30), "东营区"]]
    path = write_xlsx(tmp_path / "officers.xlsx", OFFICER_COLUMNS, rows, blank_rows=2)
    before = counts()
    result = import_officers(db_session, None, path)
    after = counts()
    assert result == {"rows": 3, "created": 3, "updated": 0, "unchanged": 0}
    assert_logged(db_session, before, after, "officers.imported", path, result)
    officers = officers_with(db_session, ["37059900001", "37059900002", "37059900003"])
    assert set(officers) == {"37059900001", "37059900002", "37059900003"}
    assert (officers["37059900001"].valid_from, officers["37059900001"].valid_to) == (dt.date(2024, 1, 1), dt.date(2028, 12, 31))
    assert [d.code for d in officers["37059900001"].districts] == ["370502"]
    assert officers["37059900002"].valid_from == dt.date(2023, 7, 1)
    assert [d.code for d in officers["37059900002"].districts] == ["370503", "370505"]
    assert officers["37059900003"].valid_to == dt.date(2030, 1, 1)


# --------------------------------------------------------------------------- round trips


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_exported_firms_reimport_unchanged(db_session, counts, tmp_path, make_firm, suffix):
    make_firm(tags=("冷链食品", "食品生产"))
    make_firm(district_code="370571", credit_class="D", tags=())
    data = firm_records(db_session)
    path = tmp_path / f"all-firms{suffix}"
    assert export_firms(db_session, path) == len(data) >= 300
    header, rows = read_rows(path)
    assert header == list(FIRM_COLUMNS) and len(rows) == len(data)

    before = counts()
    result = import_firms(db_session, None, path)
    after = counts()
    assert result == {"rows": len(data), "created": 0, "updated": 0, "unchanged": len(data)}
    assert_logged(db_session, before, after, "firms.imported", path, result)
    assert after["Firm"] == before["Firm"]
    assert firm_records(db_session) == data


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_exported_officers_reimport_unchanged(db_session, counts, tmp_path, make_user, suffix):
    make_user("inspector", department="fire")  # an officer without districts
    data = officer_records(db_session)
    assert len(data) >= 276 and any(not r.districts for r in data) and any(len(r.districts) > 1 for r in data)
    path = tmp_path / f"all-officers{suffix}"
    assert export_officers(db_session, path) == len(data)

    before, officers_before = counts(), officer_count(db_session)
    result = import_officers(db_session, None, path)
    after = counts()
    assert result == {"rows": len(data), "created": 0, "updated": 0, "unchanged": len(data)}
    assert_logged(db_session, before, after, "officers.imported", path, result)
    assert officer_count(db_session) == officers_before
    assert officer_records(db_session) == data


# --------------------------------------------------------------------------- the pure parts


def test_cells_are_normalised():
    assert cell_text(37059900001.0) == "37059900001"
    assert cell_text(37059900001) == "37059900001"
    assert cell_text(2.5) == "2.5"
    assert cell_text(dt.datetime(2024, 5, 6, 0, 0)) == "2024-05-06"
    assert cell_text(dt.date(2024, 5, 6)) == "2024-05-06"
    assert cell_text("\u3000 东营区 \t") == "东营区"
    assert cell_text(None) == ""


def test_validation_needs_no_database():
    known = district_lookup([("370502", "东营区"), ("370503", "河口区")])
    assert known == {"370502": "370502", "东营区": "370502", "370503": "370503", "河口区": "370503"}
    records, problems = validate_firms([(2, firm_row(61, "河口区")), (3, firm_row(62, "370599"))], known, label="x.csv")
    assert [r.district for r in records] == ["370503"] and records[0].line == 2
    assert [(p.path, p.line, p.field, p.item) for p in problems] == [("x.csv", 3, "district", code(62, "370599"))]
    records, problems = validate_officers([(2, officer_row("V1", districts="河口区;370502;河口区"))], {"market"}, known)
    assert problems == [] and records[0].districts == ("370503", "370502")


def test_the_message_lists_the_first_fifty_problems():
    problems = [Problem("big.csv", n, "uscc", f"问题{n}", None) for n in range(2, 62)]
    error = import_invalid("big.csv", problems)
    assert "big.csv 有 60 处错误" in error.message
    assert "big.csv:51 字段 uscc：问题51" in error.message and "big.csv:52 字段" not in error.message
    assert "另有 10 处错误" in error.message
    assert len(error.fields["problems"]) == 60


def test_an_xlsx_that_unpacks_too_big_is_refused_before_it_is_parsed(db_session, counts, tmp_path, monkeypatch):
    """A zip bomb: a few hundred KB that unpack to 60 MB of sheet."""
    import zipfile

    path = tmp_path / "firms.xlsx"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/worksheets/sheet1.xml", b" " * (60 * 1024 * 1024))
    assert path.stat().st_size < 1024 * 1024

    def never(*args, **kwargs):
        raise AssertionError("openpyxl opened a refused file")

    monkeypatch.setattr(openpyxl, "load_workbook", never)
    before = counts()
    with pytest.raises(ImportFileInvalid) as caught:
        import_firms(db_session, None, path)
    assert "解压后超过 50 MB" in caught.value.message
    assert_nothing_written(db_session, before, counts())


def test_a_file_over_the_row_cap_is_refused(db_session, counts, tmp_path, monkeypatch):
    import inspection.pure.imports

    monkeypatch.setattr(inspection.pure.imports, "max_rows", lambda: 3)
    rows = [[make_uscc("9", "1", "370502", f"RC{n:06d}"), f"行数测试{n}", "东营区", "餐饮服务", "B", "", ""]
            for n in range(4)]
    path = write_csv(tmp_path / "firms.csv", FIRM_COLUMNS, rows)
    before = counts()
    with pytest.raises(ImportFileInvalid) as caught:
        import_firms(db_session, None, path)
    assert "超过 3 行数据" in caught.value.message
    assert_nothing_written(db_session, before, counts())
    assert import_firms(db_session, None, write_csv(tmp_path / "ok.csv", FIRM_COLUMNS, rows[:3]))["created"] == 3


def test_the_error_keeps_the_first_thousand_problems_and_their_count():
    problems = [Problem("big.csv", n, "uscc", f"问题{n}", None) for n in range(2, 1502)]
    error = import_invalid("big.csv", problems)
    assert len(error.fields["problems"]) == 1000 and error.fields["problem_count"] == 1500
    assert error.fields["problems"][-1]["line"] == 1001
