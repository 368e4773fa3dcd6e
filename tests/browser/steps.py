"""Steps on the inspector's phone that several browser tests take."""


def record_item_compliant(page, item_code: str) -> None:
    """Every point of the item compliant, no problem found, saved."""
    form = page.locator(f"form#item-{item_code}")
    for choice in form.locator("input[type=radio][value=compliant]").all():
        choice.check()
    form.locator("select[name=outcome]").select_option("no_problem")
    form.locator("button[type=submit]").click()
    assert "检查结果已保存" in page.locator(".alert.success").inner_text()


def leave(page) -> tuple[str, str]:
    """Tap 扫码离开 and agree when the phone asks; returns the question and the answer shown."""
    asked = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept()))
    page.click("#leave button")
    assert asked, "the phone did not ask before the department left"
    return asked[0], page.locator(".alert.success").inner_text()
