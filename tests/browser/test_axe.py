"""The accessibility check must be able to fail, or every green run of it means nothing."""

import pytest

from tests.browser.axe import AXE_JS, assert_accessible, run_axe

INACCESSIBLE = """<!doctype html>
<html lang="zh-hans">
<head><meta charset="utf-8"><title>坏页面</title></head>
<body>
  <main>
    <h1>坏页面</h1>
    <img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" width="40" height="40">
    <input type="text" name="phone">
    <p style="color:#bbb;background:#fff">看不清的浅灰色文字</p>
  </main>
</body>
</html>"""

ACCESSIBLE = """<!doctype html>
<html lang="zh-hans">
<head><meta charset="utf-8"><title>好页面</title></head>
<body>
  <main>
    <h1>好页面</h1>
    <img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" width="40" height="40" alt="服务站标志">
    <label for="phone">手机号码</label> <input id="phone" type="text" name="phone">
    <p style="color:#222;background:#fff">清楚的深色文字</p>
  </main>
</body>
</html>"""


@pytest.fixture
def blank_page(browser):
    # No live server needed: the pages are set inline.
    context = browser.new_context(locale="zh-CN")
    yield context.new_page()
    context.close()


def test_the_vendored_axe_is_committed_and_is_axe():
    assert AXE_JS.read_text(encoding="utf-8").startswith("/*! axe v4.")


def test_assert_accessible_fails_on_an_inaccessible_page_and_names_the_rules(blank_page):
    blank_page.set_content(INACCESSIBLE)

    with pytest.raises(AssertionError) as failure:
        assert_accessible(blank_page)

    message = str(failure.value)
    for rule in ("image-alt", "label", "color-contrast"):
        assert rule in message
    assert "<img" in message and "<input" in message


def test_assert_accessible_passes_a_page_without_those_faults(blank_page):
    blank_page.set_content(ACCESSIBLE)

    results = assert_accessible(blank_page)

    assert not [v for v in results["violations"] if v["impact"] in ("serious", "critical")]


def test_a_context_limits_the_check_to_part_of_the_page(blank_page):
    blank_page.set_content(INACCESSIBLE.replace("<main>", "<main><section id='fine'><p>没问题</p></section>"))

    assert_accessible(blank_page, context="#fine")
    assert {v["id"] for v in run_axe(blank_page)["violations"]} >= {"image-alt", "label", "color-contrast"}
