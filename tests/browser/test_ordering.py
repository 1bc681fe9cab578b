"""A buyer orders from two shops on a phone; each seller sees her own order and accepts it."""

import re

from playwright.sync_api import Page, expect

from tests.browser.phone import log_in
from tests.factories import PASSWORD, gen_product


def add(page: Page, base: str, product_id: int, quantity: str) -> None:
    page.goto(f"{base}/p/{product_id}")
    page.get_by_label("How many").fill(quantity)
    page.get_by_role("button", name="Add to cart").click()
    expect(page.get_by_role("status")).to_contain_text("Added to your cart")


def test_a_buyer_orders_from_two_shops_and_each_seller_accepts(page: Page, live_server, world, session):
    kurti = gen_product(session, world.shop_a, title="Indigo kurti", price_paise=45_000, stock=5)
    podi = gen_product(session, world.shop_b, title="Idli podi", category_slug="spices", price_paise=11_000)
    session.commit()

    add(page, live_server, kurti.id, "2")
    add(page, live_server, podi.id, "1")
    expect(page.get_by_text("₹1,010.00")).to_be_visible()
    page.get_by_role("link", name="Continue to order").click()
    page.get_by_label("Phone number or e-mail").fill(world.buyer.email)  # the cart waits through login
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Place your order")).to_be_visible()
    expect(page.get_by_text("Total to pay: ₹1,010.00")).to_be_visible()
    # Shop A (Maharashtra) delivers to Pune; Podi Box, in Tamil Nadu and not registered for GST, may not send
    # to another state, so its order is collected.
    page.get_by_role("group", name=re.compile("Rangoli Stitches")).get_by_label("Local delivery").check()
    expect(page.get_by_text("Total to pay: ₹1,050.00")).to_be_visible()
    page.get_by_label("Name for delivery").fill("Asha")
    page.get_by_label("Delivery address").fill("12 Temple Road, Pune")
    page.get_by_label("Pincode").fill("411001")
    page.get_by_label("Cash when you collect or receive it").check()
    page.get_by_role("button", name="Place order").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Your order is placed")
    numbers = page.locator(".rows strong").all_inner_texts()
    assert len(numbers) == 2
    page.get_by_role("link", name="Account", exact=True).click()
    page.get_by_role("button", name="Log out", exact=True).click()

    for seller, mine, theirs in ((world.member_a.user.phone, "Indigo kurti", "Idli podi"),
                                 (world.member_b.user.phone, "Idli podi", "Indigo kurti")):
        log_in(page, live_server, seller)
        page.get_by_role("link", name="Orders", exact=True).click()
        card = page.locator(".order-card.new")
        expect(card).to_have_count(1)
        expect(card).to_contain_text(mine)
        expect(page.get_by_text(theirs)).to_have_count(0)
        card.get_by_role("button", name="Accept").click()
        expect(page.get_by_role("status")).to_contain_text("accepted")
        expect(page.locator(".order-card.new")).to_have_count(0)
        assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]
        page.get_by_role("link", name="Account", exact=True).click()
        page.get_by_role("button", name="Log out", exact=True).click()
