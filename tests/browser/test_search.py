"""A buyer searches in her own words on a 360 px phone: Hindi and Tamil script, and Hindi words in Latin letters."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from catalog.search import sync
from market.core import db
from tests.browser.conftest import PATIENCE_MS, choose_language
from tests.factories import gen_business, gen_product

SCREENSHOTS = os.environ.get("HAAT_SCREENSHOTS")


@pytest.mark.parametrize(("code", "typed", "title"), [
    ("hi", "आम का अचार", "Raw mango pickle in mustard oil (500 g)"),
    ("ta", "முறுக்கு", "Thenkuzhal murukku (400 g)"),
    ("hi", "chudi", "Glass bangles, set of 12"),
])
def test_a_buyer_finds_english_titles_in_her_words(browser, live_server, make_app, session, code, typed, title):
    food, jewellery = gen_business(session, trade="food"), gen_business(session, trade="jewellery")
    gen_product(session, food, title="Raw mango pickle in mustard oil (500 g)", category_slug="pickles")
    gen_product(session, food, title="Thenkuzhal murukku (400 g)", category_slug="snacks")
    gen_product(session, jewellery, title="Glass bangles, set of 12", category_slug="bangles")
    gen_product(session, jewellery, title="Oxidised silver-look jhumka", category_slug="earrings")
    session.commit()
    with make_app().app_context():  # the live server's index folder: apply the queue as the worker would
        sync(db.session)
    context = browser.new_context(**{**browser.phone, "viewport": {"width": 360, "height": 740}}, locale="en-IN")
    context.set_default_timeout(PATIENCE_MS)
    page = context.new_page()
    try:
        choose_language(page, live_server, code)
        page.goto(live_server + "/search?q=x")
        page.get_by_role("searchbox").fill(typed)
        page.get_by_role("searchbox").press("Enter")
        expect(page.locator("li.product")).to_have_count(1)
        expect(page.locator("li.product .title")).to_have_text(title)
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        if SCREENSHOTS:
            Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(Path(SCREENSHOTS) / f"search-{code}-{typed.replace(' ', '_')}.png"),
                            full_page=True)
    finally:
        context.close()
