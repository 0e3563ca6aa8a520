"""Playwright (sync API) against pytest-django's live server, in Debian's Chromium.

Fixtures:
- `browser`: one headless Chromium (Debian's, never a downloaded build) shared by the browser
  tests that run one after another; see _Chromium.
- `page`: a fresh context per test, sized like a phone, in Chinese and Shanghai time, with
  `base_url` set to the live server so tests write `page.goto("/inbox/")`.
- `desktop_page`: the same at 1280x800.

Every page records its console errors and uncaught exceptions (see helpers.console_errors).
When a test fails, a full-page screenshot and the HTML of each of its pages are saved to
test-artifacts/browser/<test-name>.png/.html, which CI keeps.

Every test in this folder gets the `browser` marker, so tests/conftest.py skips it with a
reason when Chromium is missing.
"""

import os
import re
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.browser.helpers import watch_console
from tests.conftest import CHROMIUM

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}

_reports = pytest.StashKey[dict]()
_BROWSER_DIR = Path(__file__).parent
_ASYNC_UNSAFE = "DJANGO_ALLOW_ASYNC_UNSAFE"
_AXE_SCRIPT = re.compile(r"<script[^>]*>\s*/\*! axe v.*?</script>", re.S)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    # tryfirst: the marker must be on the items before tests/conftest.py looks for it to skip them.
    # This hook sees the whole session's items, so only those in this folder are marked.
    for item in items:
        if _BROWSER_DIR in item.path.parents:
            item.add_marker(pytest.mark.browser)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    item.stash.setdefault(_reports, {})[report.when] = report
    return report


def _failed(item):
    return any(report.failed for report in item.stash.get(_reports, {}).values())


class _Chromium:
    """One Chromium for each unbroken run of browser tests; normally that is the whole session.

    While Playwright's sync API is started, its asyncio loop counts as running on this thread,
    so Django refuses ORM calls here ("You cannot call this from an async context") unless
    DJANGO_ALLOW_ASYNC_UNSAFE is set. The tests and the live server are plain synchronous code,
    so the guard only gets in the way while the browser is up; but the variable must not outlive
    it, or every subprocess a later test starts inherits it (manage.py check --deploy refuses it).
    Hence the browser is stopped as soon as the next test is not a browser test, and started again
    if one comes later (pytest-django reorders tests by how they use the database, so the browser
    tests that need no live server run apart from the others).
    """

    def __init__(self):
        self._playwright = self._browser = None
        self._previous_env = None

    def get(self):
        if self._browser is None:
            from playwright.sync_api import sync_playwright

            self._previous_env = os.environ.get(_ASYNC_UNSAFE)
            os.environ[_ASYNC_UNSAFE] = "true"
            self._playwright = sync_playwright().start()
            self._browser = self._playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        return self._browser

    def stop(self):
        if self._playwright is None:
            return
        try:
            self._browser.close()
            self._playwright.stop()
        finally:
            self._playwright = self._browser = None
            if self._previous_env is None:
                os.environ.pop(_ASYNC_UNSAFE, None)
            else:
                os.environ[_ASYNC_UNSAFE] = self._previous_env


_chromium = _Chromium()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    try:
        return (yield)
    finally:
        if nextitem is None or nextitem.get_closest_marker("browser") is None:
            _chromium.stop()


def pytest_sessionfinish(session):
    _chromium.stop()


@pytest.fixture
def browser():
    """Debian's headless Chromium, shared by the tests (each gets its own context through `page`)."""
    return _chromium.get()


@contextmanager
def _page_in_new_context(browser, request, base_url, **context_args):
    context = browser.new_context(
        base_url=base_url,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        **context_args,
    )
    context.set_default_timeout(10_000)
    context.on("page", watch_console)
    page = context.new_page()
    try:
        yield page
    finally:
        if _failed(request.node):
            _save_artefacts(request, context.pages)
        context.close()


def _save_artefacts(request, pages):
    folder = request.config.rootpath / "test-artifacts" / "browser"
    folder.mkdir(parents=True, exist_ok=True)
    name = re.sub(r"[^\w.-]+", "_", request.node.name)
    for index, page in enumerate(pages):
        stem = folder / (name if index == 0 else f"{name}-{index}")
        try:
            page.screenshot(path=f"{stem}.png", full_page=True)
            html = _AXE_SCRIPT.sub("<script>/* axe-core, injected by the test */</script>", page.content())
            Path(f"{stem}.html").write_text(f"<!-- {page.url} -->\n{html}", encoding="utf-8")
        except Exception as exc:  # a crashed page must not hide the test's own failure
            Path(f"{stem}.txt").write_text(f"Could not save {page.url}: {exc!r}\n", encoding="utf-8")


@pytest.fixture
def page(browser, live_server, request):
    with _page_in_new_context(browser, request, live_server.url, viewport=PHONE, is_mobile=True, has_touch=True) as page:
        yield page


@pytest.fixture
def desktop_page(browser, live_server, request):
    with _page_in_new_context(browser, request, live_server.url, viewport=DESKTOP) as page:
        yield page
