"""Admins upload the firm registry and officer list on the web; the command line does the same."""
import io

import openpyxl
from sqlalchemy import select

from inspection.models import Firm, ImportRun
from inspection.pure.uscc import make_uscc

HEADER = "uscc,name,district,industry,credit_class,tags,address\n"


def firm_rows(count: int, start: int = 0) -> list[str]:
    return [f"{make_uscc('9', '1', '370502', f'WQ{n:06d}')},导入测试企业{n}有限公司,东营区,食品制造,B,食品生产,东营区测试路{n}号"
            for n in range(start, start + count)]


def upload(client, kind: str, name: str, data: bytes):
    return client.post("/admin/imports", data={"kind": kind, "file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


def test_a_broken_file_is_refused_with_every_bad_line_then_the_fixed_one_imports(client, login, db_session, counts):
    login("admin")
    rows = firm_rows(5)
    rows[1] = rows[1].replace(",B,", ",E,")
    rows[3] = "91370502MA0000000X" + rows[3][18:]
    before = counts()
    response = upload(client, "firms", "企业名录.csv", (HEADER + "\n".join(rows) + "\n").encode("utf-8"))
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "未写入任何数据" in page and "credit_class" in page and "校验位错误" in page
    run = db_session.scalars(select(ImportRun).order_by(ImportRun.id.desc())).first()
    assert run.status == "failed" and {p["line"] for p in run.problems} == {3, 5}
    after = counts()
    assert {k: v for k, v in after.items() if k != "Event"} == {k: v for k, v in before.items() if k != "Event"}

    fixed = firm_rows(5)
    response = upload(client, "firms", "企业名录.csv", (HEADER + "\n".join(fixed) + "\n").encode("utf-8"))
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "导入完成：共 5 行，新增 5" in page
    assert db_session.scalar(select(Firm).where(Firm.name == "导入测试企业4有限公司")) is not None


def test_xlsx_upload_and_download_round_trip(client, login):
    login("admin")
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(HEADER.strip().split(","))
    for row in firm_rows(3, start=100):
        sheet.append(row.split(","))
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = upload(client, "firms", "firms.xlsx", buffer.getvalue())
    assert "新增 3" in client.get(response.headers["Location"]).get_data(as_text=True)
    exported = client.get("/admin/exports/firms.xlsx")
    assert exported.status_code == 200 and exported.headers["Content-Disposition"].startswith("attachment")
    again = upload(client, "firms", "again.xlsx", exported.data)
    page = client.get(again.headers["Location"]).get_data(as_text=True)
    assert "新增 0，更新 0" in page


def test_only_admins_import(client, login):
    login("market")
    assert upload(client, "firms", "x.csv", b"uscc\n").status_code == 403
    assert client.get("/admin/imports").status_code == 403


def test_wrong_file_types_are_refused_before_anything_runs(client, login, db_session):
    login("admin")
    response = upload(client, "firms", "firms.xls", b"\xd0\xcf\x11\xe0")
    assert response.status_code == 302
    assert "只支持 CSV 或 XLSX 文件" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert db_session.scalar(select(ImportRun).where(ImportRun.filename == "firms.xls")) is None


def test_import_and_export_commands(runner, tmp_path):
    path = tmp_path / "firms.csv"
    path.write_text(HEADER + "\n".join(firm_rows(4, start=200)) + "\n", encoding="utf-8")
    result = runner.invoke(args=["import-firms", str(path)])
    assert result.exit_code == 0 and "新增 4" in result.output, result.output
    assert "未变 4" in runner.invoke(args=["import-firms", str(path)]).output
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + "91370502MA0000000X,坏企业,火星区,食品制造,Z,,\n", encoding="utf-8")
    result = runner.invoke(args=["import-firms", str(bad)])
    assert result.exit_code == 1 and "bad.csv:2 字段 district" in result.output and "未作任何更改" in result.output
    out = tmp_path / "officers.xlsx"
    assert runner.invoke(args=["export-officers", "--out", str(out)]).exit_code == 0
    result = runner.invoke(args=["import-officers", str(out)])
    assert result.exit_code == 0 and "新增 0，更新 0" in result.output, result.output


def test_a_file_with_many_problems_keeps_the_first_thousand_and_says_how_many(client, login, db_session):
    login("admin")
    rows = [row.replace(",B,", ",E,") for row in firm_rows(1200)]
    response = upload(client, "firms", "企业名录.csv", (HEADER + "\n".join(rows) + "\n").encode("utf-8"))
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "共 1200 处问题，仅列出前 1000 处" in page
    run = db_session.scalars(select(ImportRun).order_by(ImportRun.id.desc())).first()
    answer = client.get(f"/api/v1/import-runs/{run.id}").get_json()
    assert answer["problem_count"] == 1200 and len(answer["problems"]) == 1000
    assert answer["problems_note"] == "共 1200 处问题，仅列出前 1000 处"
