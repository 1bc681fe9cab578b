"""A sale is paid and the member sees her next instalment's coverage rise, on her phone."""

from datetime import timedelta

from playwright.sync_api import Page, expect

from tests.browser.test_ordering import add, log_in
from tests.factories import gen_product
from vendors import finance


def test_a_paid_sale_raises_the_cover_of_her_next_instalment(page: Page, live_server, world, session):
    kurti = gen_product(session, world.shop_a, title="Indigo kurti", price_paise=45_000, stock=5)
    loan = finance.add_loan(session, world.member_a, world.member_a.user, "shg", "", 12_000_00, 1200, "declining",
                            12, finance.today() - timedelta(days=3))
    finance.set_shares(session, world.member_a, [finance.Share("loan", percent_bps=5000, loan_id=loan.id)])
    session.commit()

    log_in(page, live_server, world.member_a.user.phone)
    page.get_by_role("link", name="My money: loans and savings").click()
    bar = page.locator("progress").first
    expect(bar).to_have_attribute("value", "0")
    expect(page.get_by_text("₹0.00 of ₹1,066.19 paid", exact=False)).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]
    page.get_by_role("link", name="Account", exact=True).click()
    page.get_by_role("button", name="Log out", exact=True).click()

    log_in(page, live_server, world.buyer.email)
    add(page, live_server, kurti.id, "1")
    page.goto(live_server + "/checkout")
    page.get_by_role("button", name="Place order").click()
    page.get_by_role("button", name="Pay ₹450.00 by UPI").click()
    page.get_by_role("button", name="Pay (demo)").click()
    expect(page.get_by_role("status")).to_contain_text("Paid. Thank you!")
    page.get_by_role("link", name="Account", exact=True).click()
    page.get_by_role("button", name="Log out", exact=True).click()

    log_in(page, live_server, world.member_a.user.phone)
    page.goto(live_server + "/seller/money")
    expect(page.locator("progress").first).to_have_attribute("value", "22500")  # half of the Rs 450 sale
    expect(page.get_by_text("₹225.00 of ₹1,066.19 paid", exact=False)).to_be_visible()
    expect(page.get_by_text("Sales this month")).to_be_visible()
    expect(page.locator(".big-number")).to_have_text("₹450.00")
