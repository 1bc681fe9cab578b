"""At a cheap phone's width (360 px), both sides of a quote: a wholesaler asks for 50 of size L of a kurta with
none of L in stock; the seller is warned, offers it made to order with a 30% advance; they counter each other;
he accepts and orders. The order is for 50 at the agreed price, with the advance, and no stock was taken."""

import os
from datetime import timedelta

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect

from catalog.models import Variant
from catalog.services import VariantData
from market.core import clock
from orders.models import Order, QuoteRequest
from tests.conftest import reload
from tests.factories import PASSWORD, gen_product, gen_wholesaler

SCREENSHOTS = os.environ.get("HAAT_SCREENSHOTS")  # a folder, to look at the pages by eye
WIDTH = 360


@pytest.fixture
def phones(browser, live_server):
    """Two phones: the wholesaler's and the seller's, each logged in on its own."""
    contexts = [browser.new_context(**{**browser.phone, "viewport": {"width": WIDTH, "height": 740}},
                                    locale="en-IN") for _ in range(2)]
    yield [c.new_page() for c in contexts]
    for context in contexts:
        context.close()


def log_in(page: Page, base: str, who: str) -> None:
    page.goto(base + "/auth/login")
    page.get_by_label("Phone number or e-mail").fill(who)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("link", name="Account", exact=True)).to_be_visible()


def look(page: Page, name: str) -> None:
    """The page fits the phone (no sideways scrolling); a screenshot to look at."""
    assert page.evaluate("document.documentElement.scrollWidth") <= WIDTH, f"{name} scrolls sideways"
    if SCREENSHOTS:
        page.screenshot(path=f"{SCREENSHOTS}/{name}.png", full_page=True)


def test_a_made_to_order_quote_countered_both_ways_becomes_an_order(phones, live_server, world, session):
    kurta = gen_product(session, world.shop_a, title="Chikankari straight kurta", variants=[
        VariantData(price_paise=75_000, stock=0, size="L"), VariantData(price_paise=75_000, stock=6, size="M")])
    gen_wholesaler(session, login="trader@example.com")
    session.commit()
    size_l = next(v.id for v in kurta.variants if v.size == "L")
    trader, seller = phones
    needed, ready, valid = (clock.today() + timedelta(days=d) for d in (40, 30, 7))

    log_in(trader, live_server, "trader@example.com")
    trader.goto(f"{live_server}/p/{kurta.id}")
    trader.get_by_role("link", name="Ask for a quote for a big order").click()
    trader.get_by_label("Option").select_option(label="L")
    trader.get_by_label("How many pieces").fill("50")
    trader.get_by_label("Your price per piece (₹)").fill("600")
    trader.get_by_label("Needed by").fill(needed.isoformat())
    look(trader, "quote-1-request")
    trader.get_by_role("button", name="Send request").click()
    expect(trader.get_by_role("status")).to_contain_text("Your request is sent")
    expect(trader.get_by_text("Total at the price asked")).to_be_visible()

    log_in(seller, live_server, world.member_a.user.phone)
    seller.get_by_role("link", name="Orders", exact=True).click()
    seller.get_by_role("link", name="Requests for a quote from wholesale buyers (1)").click()
    expect(seller.get_by_role("heading", level=1)).to_have_text("Requests for a quote from wholesale buyers")
    look(seller, "quote-2-seller-list")
    seller.get_by_role("link", name="50 × Chikankari straight kurta").click()
    expect(seller.get_by_role("alert")).to_have_text(
        "You have 0 of size L in stock; 50 asked. Offer it made to order, or add stock first.")
    expect(seller.get_by_label("Made to order", exact=True)).to_be_checked()
    seller.get_by_label("Your price per piece (₹)").fill("680")
    seller.get_by_label("Ready by (made to order)").fill(ready.isoformat())
    seller.get_by_label("Advance before making or dispatch (percent)").fill("30")
    seller.get_by_label("Offer valid until").fill(valid.isoformat())
    look(seller, "quote-3-seller-warned")
    seller.get_by_role("button", name="Send my offer").click()
    expect(seller.get_by_role("status")).to_contain_text("Answer sent")

    trader.reload()
    expect(trader.get_by_text("Total at the offered price")).to_be_visible()
    expect(trader.locator(".offers li")).to_have_count(2)
    look(trader, "quote-4-offer-to-buyer")
    trader.get_by_label("Your price per piece (₹)").fill("620")
    trader.get_by_label("Offer valid until").fill(valid.isoformat())
    trader.get_by_role("button", name="Send my offer").click()
    expect(trader.get_by_role("status")).to_contain_text("Answer sent")

    seller.reload()
    expect(seller.get_by_role("button", name="Accept ₹620.00 each")).to_be_visible()
    expect(seller.get_by_label("Made to order", exact=True)).to_be_checked()  # her terms stay as she set them
    seller.get_by_label("Your price per piece (₹)").fill("650")
    seller.get_by_role("button", name="Send my offer").click()
    expect(seller.get_by_role("status")).to_contain_text("Answer sent")

    trader.reload()
    expect(trader.locator(".offers li")).to_have_count(4)
    trader.get_by_role("button", name="Accept ₹650.00 each").click()
    expect(trader.get_by_text("Total at the agreed price")).to_be_visible()
    expect(trader.get_by_text("₹32,500.00")).to_be_visible()
    trader.get_by_label("Courier").check()
    trader.get_by_label("Name for delivery").fill("Imran Traders")
    trader.get_by_label("Delivery address").fill("4 Aminabad Road, Lucknow")
    trader.get_by_label("Pincode").fill("22601")  # a digit short: refused, and what he typed is kept
    trader.get_by_role("button", name="Order now").click()
    expect(trader.get_by_role("alert")).to_contain_text("6 digits")
    expect(trader.get_by_label("Courier")).to_be_checked()
    expect(trader.get_by_label("Delivery address")).to_have_value("4 Aminabad Road, Lucknow")
    look(trader, "quote-5-order-refused-kept")
    trader.get_by_label("Pincode").fill("226018")
    trader.get_by_role("button", name="Order now").click()
    expect(trader.get_by_role("status")).to_contain_text("Order placed from your quote")
    look(trader, "quote-6-order")

    reload(session)
    order = session.scalar(sa.select(Order))
    line = order.lines[0]
    assert (line.quantity, line.unit_price_paise, line.option, line.made_to_order) == (50, 65_000, "L", True)
    assert (order.advance_percent, order.delivery, order.ship_to_pincode) == (30, "courier", "226018")
    assert session.get(Variant, size_l).stock == 0
    assert session.scalar(sa.select(QuoteRequest.status)) == "ordered"
