"""At 360 px: the share button on a product page, and her shop's QR poster, fit a cheap phone's screen."""

import os

from playwright.sync_api import Page, expect

from tests.factories import PASSWORD, gen_product

SCREENSHOTS = os.environ.get("HAAT_SCREENSHOTS")


def test_share_buttons_and_the_poster_fit_a_small_phone(browser, live_server, session, world):
    product = gen_product(session, world.shop_a, title="Indigo kurti", stock=5)
    session.commit()
    context = browser.new_context(**{**browser.phone, "viewport": {"width": 360, "height": 740}}, locale="en-IN")
    page: Page = context.new_page()
    page.goto(f"{live_server}/p/{product.id}")
    share = page.get_by_role("link", name="Share on WhatsApp")
    expect(share).to_be_visible()
    assert share.get_attribute("href").startswith("https://wa.me/?text=")
    assert share.bounding_box()["height"] >= 44
    if SCREENSHOTS:
        page.screenshot(path=f"{SCREENSHOTS}/product.png")
    page.goto(f"{live_server}/auth/login")
    page.get_by_label("Phone number or e-mail").fill(world.member_a.user.phone)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto(f"{live_server}/seller/")
    expect(page.get_by_role("link", name="Share on WhatsApp")).to_be_visible()
    page.get_by_role("link", name="Print a QR poster for my stall").click()
    expect(page.locator("svg.qr")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    if SCREENSHOTS:
        page.screenshot(path=f"{SCREENSHOTS}/poster.png", full_page=True)
        page.emulate_media(media="print")
        page.screenshot(path=f"{SCREENSHOTS}/poster-print.png", full_page=True)
    context.close()
