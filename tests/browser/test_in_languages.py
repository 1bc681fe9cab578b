"""The seller's listing and the buyer's order at phone size in Hindi and Tamil: every label, button and message
the test uses is looked up in that language's catalogue, so an English word left on the way fails."""

from __future__ import annotations

import pytest
from babel.messages.pofile import read_po
from playwright.sync_api import Page, expect

from market import ROOT
from tests.browser.conftest import choose_language
from tests.browser.phone import log_in, log_out
from tests.factories import PASSWORD, gen_product, photo_bytes

LANGUAGES = ["hi", "ta"]


def catalogue(code: str):
    with (ROOT / "translations" / code / "LC_MESSAGES" / "messages.po").open("rb") as f:
        messages = read_po(f, locale=code)

    def tr(english: str) -> str:
        text = messages[english].string
        assert text and text != english, english
        return text

    return tr


@pytest.mark.parametrize("code", LANGUAGES)
def test_a_seller_lists_a_product_in_her_language(page: Page, live_server, world, tmp_path, code):
    tr = catalogue(code)
    photo = tmp_path / "IMG_20261125.jpg"
    photo.write_bytes(photo_bytes(1200, 900))
    choose_language(page, live_server, code)
    log_in(page, live_server, world.member_a.user.phone, tr=tr)
    page.get_by_role("link", name=tr("Add a product")).first.click()
    page.locator("input[name=photos][capture]").set_input_files(str(photo))
    page.get_by_label(tr("Name"), exact=True).fill("Indigo block-print kurti")
    page.get_by_label(tr("Category")).select_option(label=tr("Kurtis and tops"))
    page.get_by_label(tr("Price (₹)")).first.fill("550")
    page.get_by_label(tr("How many you have")).first.fill("4")
    page.get_by_role("button", name=tr("Save and show to buyers")).click()
    expect(page.get_by_role("status")).to_contain_text(tr("Saved. Buyers can see it now."))
    expect(page.locator(".photo-strip img")).to_have_count(1)
    assert page.evaluate("document.documentElement.lang") == code
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]


@pytest.mark.parametrize("code", LANGUAGES)
def test_a_buyer_orders_from_two_shops_in_her_language(page: Page, live_server, world, session, code):
    tr = catalogue(code)
    kurti = gen_product(session, world.shop_a, title="Indigo kurti", price_paise=45_000, stock=5)
    podi = gen_product(session, world.shop_b, title="Idli podi", category_slug="spices", price_paise=11_000)
    session.commit()
    choose_language(page, live_server, code)
    for product, quantity in ((kurti, "2"), (podi, "1")):
        page.goto(f"{live_server}/p/{product.id}")
        page.get_by_label(tr("How many"), exact=True).fill(quantity)
        page.get_by_role("button", name=tr("Add to cart")).click()
        expect(page.get_by_role("status")).to_contain_text(tr("Added to your cart."))
    expect(page.get_by_text("₹1,010.00")).to_be_visible()
    page.get_by_role("link", name=tr("Continue to order")).click()
    page.get_by_label(tr("Phone number or e-mail")).fill(world.buyer.email)
    page.get_by_label(tr("Password")).fill(PASSWORD)
    page.get_by_role("button", name=tr("Log in"), exact=True).click()
    expect(page.get_by_role("heading", name=tr("Place your order"))).to_be_visible()
    expect(page.locator(".total")).to_contain_text(tr("Total to pay:"))
    page.get_by_label(tr("Cash when you collect or receive it")).check()
    page.get_by_role("button", name=tr("Place order")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(tr("Thank you! Your order is placed."))
    assert page.locator(".rows strong").count() == 2
    log_out(page, live_server, tr)

    log_in(page, live_server, world.member_a.user.phone, tr=tr)
    page.get_by_role("link", name=tr("Orders"), exact=True).click()
    card = page.locator(".order-card.new")
    expect(card).to_contain_text("Indigo kurti")
    card.get_by_role("button", name=tr("Accept"), exact=True).click()
    expect(page.locator(".order-card.new")).to_have_count(0)
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]


BROKEN_WORDS = """() => {
  const broken = [];
  for (const link of document.querySelectorAll('.trades a')) {
    const text = [...link.childNodes].find(n => n.nodeType === Node.TEXT_NODE && n.textContent.trim());
    let at = 0;
    for (const word of text.textContent.split(/\\s+/).filter(Boolean)) {
      at = text.textContent.indexOf(word, at);
      const range = document.createRange();
      range.setStart(text, at);
      range.setEnd(text, at + word.length);
      if (new Set([...range.getClientRects()].map(r => Math.round(r.top))).size > 1) broken.push(word);
      at += word.length;
    }
  }
  return broken;
}"""


@pytest.mark.parametrize("code", ["en_IN", "hi", "ta", "te", "kn", "bn", "mr"])
def test_the_home_pages_trade_tiles_never_break_a_word(page: Page, live_server, code):
    choose_language(page, live_server, code)
    assert page.locator(".trades a").count() == 4
    assert page.evaluate(BROKEN_WORDS) == []
