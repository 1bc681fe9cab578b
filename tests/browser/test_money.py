"""A sale is paid and the member sees her next instalment's coverage rise, on her phone."""

import os
import re
import tempfile
from datetime import timedelta
from pathlib import Path

from playwright.sync_api import Page, expect

from market.core import clock
from tests.browser.conftest import choose_language
from tests.browser.phone import log_in
from tests.browser.test_ordering import add
from tests.factories import gen_product
from vendors import finance

SHOTS = Path(os.environ.get("HAAT_SCREENSHOTS") or tempfile.gettempdir())


def test_a_paid_sale_raises_the_cover_of_her_next_instalment(page: Page, live_server, world, session):
    kurti = gen_product(session, world.shop_a, title="Indigo kurti", price_paise=45_000, stock=5)
    loan = finance.add_loan(session, world.member_a, world.member_a.user, "shg", "", 12_000_00, 1200, "declining",
                            12, clock.today() - timedelta(days=3))
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
    lines = page.evaluate("""() => [...document.querySelectorAll('.loan-figures dd')].map(dd => {
        const range = document.createRange(); range.selectNodeContents(dd);
        return new Set([...range.getClientRects()].map(r => Math.round(r.top))).size; })""")
    assert lines and set(lines) == {1}, lines  # each amount of her loan on one line on a phone, never broken up


def test_her_plan_names_each_loan_shows_a_worked_example_and_keeps_her_order(page: Page, live_server, world,
                                                                             session):
    start = clock.today() - timedelta(days=3)
    shg = finance.add_loan(session, world.member_a, world.member_a.user, "shg", "", 12_000_00, 1200, "declining",
                           12, start)
    bank = finance.add_loan(session, world.member_a, world.member_a.user, "bank", "SBI Pune", 50_000_00, 1100,
                            "declining", 24, start)
    finance.set_shares(session, world.member_a, [finance.Share("loan", percent_bps=3000, loan_id=shg.id),
                                                 finance.Share("loan", percent_bps=2000, loan_id=bank.id),
                                                 finance.Share("savings", fixed_paise=100_00)])
    session.commit()
    page.set_viewport_size({"width": 360, "height": 900})
    log_in(page, live_server, world.member_a.user.phone)
    page.goto(live_server + "/seller/money")
    plan = page.locator(".plan li")
    expect(plan).to_have_text([re.compile(r"SHG internal loan\s*30% of each sale"),
                               re.compile(r"Bank linkage loan, SBI Pune\s*20% of each sale"),
                               re.compile(r"Group savings\s*₹100.00 from each sale")])
    expect(page.locator(".plan-example li")).to_have_text([
        re.compile(r"to SHG internal loan\s*₹150.00"), re.compile(r"to Bank linkage loan, SBI Pune\s*₹100.00"),
        re.compile(r"to Group savings\s*₹100.00"), re.compile(r"yours to take home\s*₹150.00")])
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.locator(".plan").screenshot(path=str(SHOTS / "plan-360.png"))

    page.get_by_role("link", name="Choose the shares").click()
    bank_box = page.get_by_label("Share for Bank linkage loan, SBI Pune")
    expect(bank_box).to_have_value("20")
    kind = page.get_by_label("Per cent or rupees for Bank linkage loan, SBI Pune")
    box, beside = bank_box.bounding_box(), kind.bounding_box()  # the amount and its % / ₹ side by side
    assert abs((box["y"] + box["height"] / 2) - (beside["y"] + beside["height"] / 2)) < 4
    assert box["x"] + box["width"] <= beside["x"]
    page.screenshot(path=str(SHOTS / "shares-360.png"), full_page=True)
    page.locator(f"select[name=order-loan-{bank.id}]").select_option("1")
    page.locator(f"select[name=order-loan-{shg.id}]").select_option("2")
    page.get_by_role("button", name="Save the shares").click()
    expect(page.locator(".plan li").first).to_contain_text("Bank linkage loan, SBI Pune")
    expect(page.locator(".plan-example li").first).to_contain_text("₹100.00")

    choose_language(page, live_server, "hi")
    page.goto(live_server + "/seller/money")
    assert page.evaluate("document.documentElement.lang") == "hi"
    expect(page.locator(".plan li").first).to_contain_text("SBI Pune")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.screenshot(path=str(SHOTS / "money-hi-360.png"), full_page=True)
