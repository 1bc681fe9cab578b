"""A buyer pays for a two-shop order by UPI through the demo gateway on a phone; both sellers see it paid."""

from playwright.sync_api import Page, expect

from tests.browser.phone import log_in
from tests.browser.test_ordering import add
from tests.factories import gen_product


def test_a_two_shop_order_is_paid_through_the_demo_gateway_and_both_sellers_see_it(page: Page, live_server, world,
                                                                                   session):
    kurti = gen_product(session, world.shop_a, title="Indigo kurti", price_paise=45_000, stock=5)
    podi = gen_product(session, world.shop_b, title="Idli podi", category_slug="spices", price_paise=11_000)
    session.commit()

    log_in(page, live_server, world.buyer.email)
    add(page, live_server, kurti.id, "2")
    add(page, live_server, podi.id, "1")
    page.goto(live_server + "/checkout")
    expect(page.get_by_label("UPI now (any UPI app)")).to_be_checked()
    page.get_by_role("button", name="Place order").click()
    expect(page.get_by_role("heading", name="Pay for your order")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]
    page.get_by_role("button", name="Pay ₹1,010.00 by UPI").click()
    expect(page.get_by_text("No money moves")).to_be_visible()  # the demo gateway's own page
    page.get_by_role("button", name="Pay (demo)").click()
    expect(page.get_by_role("status")).to_contain_text("Paid. Thank you!")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Your order is placed")
    page.get_by_role("link", name="Account", exact=True).click()
    page.get_by_role("button", name="Log out", exact=True).click()

    for seller, mine in ((world.member_a.user.phone, "Indigo kurti"), (world.member_b.user.phone, "Idli podi")):
        log_in(page, live_server, seller)
        page.get_by_role("link", name="Orders", exact=True).click()
        card = page.locator(".order-card.new")
        expect(card).to_have_count(1)
        expect(card).to_contain_text(mine)
        expect(card.locator(".badge-pay-paid")).to_contain_text("Paid")
        card.get_by_role("button", name="Accept").click()
        expect(page.get_by_role("status")).to_contain_text("accepted")
        page.get_by_role("link", name="Account", exact=True).click()
        page.get_by_role("button", name="Log out", exact=True).click()
