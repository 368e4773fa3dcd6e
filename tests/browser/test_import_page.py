"""A new city's admin imports a few thousand firms from a spreadsheet: sees the broken rows, fixes them, imports."""
import openpyxl
import pytest

from inspection.pure.uscc import make_uscc

pytestmark = pytest.mark.browser
HEADER = ["uscc", "name", "district", "industry", "credit_class", "tags", "address"]


def workbook(path, rows):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "企业名录"
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def test_import_firms_from_a_spreadsheet(page, live_server, sign_in, shot, tmp_path):
    districts = ["东营区", "河口区", "垦利区", "利津县", "广饶县"]
    rows = [[make_uscc("9", "1", "370502", f"BR{n:06d}"), f"名录导入企业{n}有限公司", districts[n % 5], "批发零售",
             "ABCD"[n % 4], "人员密集场所" if n % 7 == 0 else None, f"测试大道{n}号"] for n in range(3000)]
    broken = [list(r) for r in rows]
    broken[10][4] = "E"
    broken[2500][0] = broken[2500][0][:-1] + ("0" if broken[2500][0][-1] != "0" else "1")
    broken[2999][2] = "火星区"
    sign_in(page, "admin")
    page.click("text=数据导入")
    page.set_input_files("#firms-file", str(workbook(tmp_path / "企业名录（有误）.xlsx", broken)))
    page.click("form:has(#firms-file) button[type=submit]")
    page.locator(".alert.error").wait_for(timeout=60_000)
    table = page.locator("table tbody").inner_text()
    assert "12" in table and "credit_class" in table and "2502" in table and "district" in table
    assert page.locator("table tbody tr").count() == 3
    assert "企业名录（有误）.xlsx 有 3 处错误" in page.locator(".alert.error").inner_text()
    shot(page, "import-errors")
    page.goto(f"{live_server}/admin/imports")
    page.set_input_files("#firms-file", str(workbook(tmp_path / "企业名录.xlsx", rows)))
    page.click("form:has(#firms-file) button[type=submit]")
    page.locator(".alert.success").wait_for(timeout=60_000)
    assert "共 3000 行，新增 3000" in page.locator(".alert.success").inner_text()
    shot(page, "import-done")
