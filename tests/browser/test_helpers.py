"""The page checks themselves must be able to fail."""

import pytest

from tests.browser.helpers import assert_no_console_errors, console_errors, visit


def test_console_errors_and_uncaught_exceptions_are_caught(page):
    visit(page, "/")

    with page.expect_console_message(lambda message: message.type == "error"):
        page.evaluate("console.error('deliberate console error')")
    with page.expect_event("pageerror"):
        page.evaluate("setTimeout(() => { throw new TypeError('deliberate uncaught error') })")

    assert any("deliberate console error" in e for e in console_errors(page))
    assert any("deliberate uncaught error" in e for e in console_errors(page))
    with pytest.raises(AssertionError, match="deliberate"):
        assert_no_console_errors(page)


def test_visit_refuses_an_error_status_unless_it_was_expected(page):
    with pytest.raises(AssertionError, match="404"):
        visit(page, "/no-such-page/")

    visit(page, "/no-such-page/", status=404)  # expected: neither the status nor Chromium's log of it fails
