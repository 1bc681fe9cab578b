"""The bytes a phone downloads for the main pages: <= 170 KB compressed on a first visit (product photos
aside), <= 30 KB on a repeat visit. Counted by Chromium itself (DevTools: encodedDataLength, headers included)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from tests.browser.conftest import choose_language
from tests.browser.phone import log_in
from tests.factories import gen_product

FIRST_VISIT, REPEAT_VISIT = 170 * 1024, 30 * 1024


class Meter:
    """Bytes received over the network by one tab, photos (/media/) counted apart."""

    def __init__(self, page: Page):
        self.urls: dict[str, str] = {}
        self.pages = self.photos = 0
        cdp = page.context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.on("Network.requestWillBeSent", lambda e: self.urls.__setitem__(e["requestId"], e["request"]["url"]))
        cdp.on("Network.loadingFinished", self._finished)

    def _finished(self, event) -> None:
        if "/media/" in self.urls.get(event["requestId"], ""):
            self.photos += event["encodedDataLength"]
        else:
            self.pages += event["encodedDataLength"]

    def visit(self, page: Page, url: str) -> int:
        before = self.pages
        page.goto(url)
        page.wait_for_load_state("load")
        page.evaluate("document.fonts.ready.then(() => document.fonts.size)")  # fonts the page asked for, loaded
        return self.pages - before


@pytest.fixture
def shop(world, session):
    products = [gen_product(session, world.shop_a, title=f"Kurti {n}") for n in range(12)]
    session.commit()
    return products


@pytest.mark.parametrize("language", ["en_IN", "hi", "ta"])
def test_the_buyers_pages_fit_the_budget(page: Page, live_server, shop, language):
    meter = Meter(page)
    choose_language(page, live_server, language)
    for path in ("/", "/shop", f"/p/{shop[0].id}", "/shops", "/cart"):
        fresh = page.context.browser.new_context(**page.context.browser.phone)
        first_tab = fresh.new_page()
        first = Meter(first_tab)
        fresh.add_cookies([{"name": "lang", "value": language, "url": live_server}])
        size = first.visit(first_tab, live_server + path)
        fresh.close()
        assert size <= FIRST_VISIT, f"{path} in {language}: {size} bytes on a first visit"
        meter.visit(page, live_server + path)  # warms this tab's cache
        again = meter.visit(page, live_server + path)
        assert again <= REPEAT_VISIT, f"{path} in {language}: {again} bytes on a repeat visit"


def test_the_sellers_pages_fit_the_budget(page: Page, live_server, world, shop):
    meter = Meter(page)
    log_in(page, live_server, world.member_a.user.phone)
    for path in ("/seller/", "/seller/products/", "/seller/products/new", "/seller/orders", "/seller/money"):
        first = meter.visit(page, live_server + path)
        assert first <= FIRST_VISIT, f"{path}: {first} bytes"
        again = meter.visit(page, live_server + path)
        assert again <= REPEAT_VISIT, f"{path}: {again} bytes on a repeat visit"
