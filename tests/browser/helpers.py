"""What every browser test does on every page: load it, check it is accessible and quiet.

    response = visit(page, "/inbox/")              # status < 400, axe, no console errors
    submit(page, page.locator("form[action='/me/'] [type=submit]"))   # the same after a form post
    check_page(page)                               # the checks alone, for the page as it is now

Select elements by what does not change when the copy or the styling does: URLs (href,
form action), form field names, data attributes, roles. Page text belongs to the template
authors and is translated.
"""

import weakref

from playwright.sync_api import expect

from tests.browser.axe import assert_accessible

_console = weakref.WeakKeyDictionary()


def watch_console(page):
    """Start recording the page's console errors and uncaught exceptions (the fixtures do this)."""
    errors = _console.setdefault(page, [])

    def on_console(message):
        if message.type == "error":
            errors.append({"text": message.text, "url": message.location.get("url", "")})

    page.on("console", on_console)
    page.on("pageerror", lambda error: errors.append({"text": f"Uncaught {error.name}: {error.message}", "url": page.url}))
    return errors


def console_errors(page):
    """Console errors and uncaught exceptions seen on this page so far, as text."""
    return [error["text"] + (f" ({error['url']})" if error["url"] else "") for error in _console.get(page, [])]


def assert_no_console_errors(page):
    errors = console_errors(page)
    assert not errors, f"JavaScript console errors on {page.url}:\n" + "\n".join(errors)


def _forget_expected_failure(page, url):
    """Chromium logs an error for a document that comes back 4xx; a test that asked for one expects it."""
    errors = _console.get(page, [])
    errors[:] = [e for e in errors if not (e["url"] == url and e["text"].startswith("Failed to load resource"))]


def check_page(page, *, lang=None, accessibility=True, context=None):
    """The checks every visited page gets: language, axe (serious and critical), console errors."""
    if lang is not None:
        expect(page.locator("html")).to_have_attribute("lang", lang)
    if accessibility:
        assert_accessible(page, context=context)
    assert_no_console_errors(page)


def _check_response(page, response, status):
    assert response is not None, f"no response loading {page.url}"
    if status is None:
        assert response.status < 400, f"{response.url} answered {response.status}"
    else:
        assert response.status == status, f"{response.url} answered {response.status}, expected {status}"
        if status >= 400:
            _forget_expected_failure(page, response.url)


def visit(page, url, *, status=None, lang=None, accessibility=True):
    """Go to `url` (relative to the live server), check the answer and the page, return the response.

    `status=None` accepts anything below 400 (after redirects); pass e.g. 404 to expect an error page.
    """
    response = page.goto(url)
    _check_response(page, response, status)
    check_page(page, lang=lang, accessibility=accessibility)
    return response


def submit(page, button, *, status=None, lang=None, accessibility=True):
    """Click a button that submits a form, wait for the page it leads to, and check that page."""
    with page.expect_navigation() as navigation:
        button.click()
    response = navigation.value
    _check_response(page, response, status)
    check_page(page, lang=lang, accessibility=accessibility)
    return response


def log_in(page, email, password, **checks):
    """Log in through the login form, as a person would, and check each page on the way."""
    visit(page, "/accounts/login/", **checks)
    form = page.locator("main form[action^='/accounts/login/']")
    form.locator("[name=login]").fill(email)
    form.locator("[name=password]").fill(password)
    submit(page, form.locator("[type=submit]"), **checks)
    expect(logout_button(page)).to_be_attached()


def logout_button(page):
    """The header's log-out button: present exactly when someone is logged in."""
    return page.locator("header form[action='/accounts/logout/'] [type=submit]")


def open_menu(page):
    """On a phone the main menu is folded behind its button (static/js/nav.js): unfold it."""
    toggle = page.locator("#nav-toggle")
    if toggle.is_visible() and toggle.get_attribute("aria-expanded") != "true":
        toggle.click()
        expect(toggle).to_have_attribute("aria-expanded", "true")


def log_out(page, **checks):
    """Log out through the header's button, as a person would (unfolding the phone menu first)."""
    open_menu(page)
    submit(page, logout_button(page), **checks)
