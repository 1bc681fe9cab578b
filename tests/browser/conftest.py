"""Playwright driving Debian's Chromium at a phone's size against the app served on 127.0.0.1."""

from __future__ import annotations

import os
import shutil
import threading

import pytest
from playwright.sync_api import expect
from werkzeug.serving import make_server

from tests.browser.phone import PHONE
from tests.conftest import PATIENCE_MS, unavailable

CHROMIUM = os.environ.get("HAAT_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
expect.set_options(timeout=PATIENCE_MS)  # a wait for what will come, not a speed budget (5 s by default)


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser" in str(item.fspath):
            item.add_marker(pytest.mark.browser)
            item.add_marker(pytest.mark.real_commits)  # the live server answers from threads of its own


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the whole run."""
    if not os.path.exists(CHROMIUM):
        unavailable("Chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"])
        chromium.phone = playwright.devices["Pixel 5"]
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, live_server):
    """A fresh phone-sized tab with no cookies; closed before the server stops, so no request is cut off."""
    context = browser.new_context(**browser.phone, locale="en-IN")
    context.set_default_timeout(PATIENCE_MS)
    yield context.new_page()
    context.close()


@pytest.fixture
def phone_context(browser, live_server):
    """A phone 360 px wide with its own cookies, to open pages (and other tabs) in."""
    context = browser.new_context(**{**browser.phone, **PHONE})
    context.set_default_timeout(PATIENCE_MS)
    yield context
    context.close()


@pytest.fixture
def phones(browser, live_server):
    """Two phones 360 px wide (the buyer's and the seller's, say), each with its own cookies."""
    contexts = [browser.new_context(**{**browser.phone, **PHONE}) for _ in range(2)]
    for context in contexts:
        context.set_default_timeout(PATIENCE_MS)
    yield [c.new_page() for c in contexts]
    for context in contexts:
        context.close()


@pytest.fixture
def live_server(make_app):
    """The app with CSRF on, served from a thread; yields its base URL."""
    app = make_app(WTF_CSRF_ENABLED=True)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    server.daemon_threads = False  # so server_close() waits for requests still running: none may outlive the app
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(5)
    server.server_close()


def choose_language(page, live_server: str, code: str) -> None:
    """Choose the language as a visitor does: a button of the chooser's form (no JavaScript needed)."""
    page.goto(live_server + "/")
    chooser = page.locator(f".first-language button[lang='{code.replace('_', '-')}']")
    if not chooser.count():  # chosen already: the header's list
        page.locator("details.lang summary").click()
        chooser = page.locator(f".lang-list button[lang='{code.replace('_', '-')}']")
    with page.expect_navigation():
        chooser.click()
