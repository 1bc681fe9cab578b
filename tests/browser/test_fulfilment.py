"""Fulfilment by delivery method on a 360 px phone: for each way (collect, local delivery, courier) a cash
order goes from the buyer's order to its last state; the seller sees only her method's next button, the buyer's
list and history read right at each step, and the cash is asked for at the handover, not before."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from catalog.images import process_upload
from catalog.services import add_photo
from tests.browser.phone import fits, log_in, shot
from tests.factories import gen_product, photo_bytes

METHOD_LABEL = {"pickup": "Collect from the collective office (free)", "local": "Local delivery", "courier": "Courier"}
# (the seller's button, what the buyer then reads)
STEPS = {
    "pickup": [("Accept", "accepted"), ("Packed", "packed"), ("Ready for pickup", "ready for pickup"),
               ("Buyer collected it", "collected")],
    "local": [("Accept", "accepted"), ("Packed", "packed"), ("Out for delivery", "out for delivery"),
              ("Delivered", "delivered")],
    "courier": [("Accept", "accepted"), ("Packed", "packed"), ("Sent by courier", "sent by courier"),
                ("Delivered", "delivered")],
}
OTHER_STEPS = {"Ready for pickup", "Buyer collected it", "Out for delivery", "Sent by courier", "Delivered"}


def place_cash_order(page: Page, base: str, world, product_id: int, method: str) -> str:
    log_in(page, base, world.buyer.email)
    page.goto(f"{base}/p/{product_id}")
    page.get_by_role("button", name="Add to cart").click()
    thumb = page.locator(".cart-line img")
    expect(thumb).to_have_count(1)  # the cart shows the product's photo
    page.wait_for_function("(img) => img.complete && img.naturalWidth > 0", arg=thumb.element_handle())  # it loads
    shot(page, f"cart-{method}")
    page.get_by_role("link", name="Continue to order").click()
    page.get_by_role("group", name=re.compile("Rangoli Stitches")).get_by_label(METHOD_LABEL[method]).check()
    if method != "pickup":
        page.get_by_label("Name for delivery").fill("Asha")
        page.get_by_label("Delivery address").fill("12 Temple Road, Pune")
        page.get_by_label("Pincode").fill("411001")
    page.get_by_label("Cash when you collect or receive it").check()
    page.get_by_role("button", name="Place order").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Your order is placed")
    return page.locator(".rows strong").first.inner_text().split(" ")[0]


def buyer_reads(page: Page, base: str, number: str, words: str, method: str, step: int) -> None:
    page.goto(base + "/orders")
    row = page.locator(".rows li", has_text=number)
    expect(row.locator(".badge").first).to_have_text(words)
    expect(row).to_contain_text("Cash at pickup" if method == "pickup" else "Cash on delivery") if step < 3 else None
    row.click()
    expect(page.locator("ol.history li").last).to_contain_text(words)
    fits(page)
    shot(page, f"buyer-{method}-{step}")


@pytest.mark.parametrize("method", ["pickup", "local", "courier"])
def test_a_cash_order_goes_from_order_to_its_last_state(phones, live_server, world, session, method, tmp_path):
    buyer, seller = phones
    kurti = gen_product(session, world.shop_a, title="Indigo kurti", price_paise=45_000, stock=5)
    add_photo(session, kurti, process_upload(photo_bytes(), tmp_path / "media"))  # the live server's photos
    session.commit()
    number = place_cash_order(buyer, live_server, world, kurti.id, method)
    fee = {"pickup": "₹450.00", "local": "₹490.00", "courier": "₹530.00"}[method]

    log_in(seller, live_server, world.member_a.user.phone)
    seller.goto(live_server + "/seller/orders")
    card = seller.locator(".order-card", has_text=number)
    expect(card.locator(".method-" + method)).to_be_visible()  # collect / deliver / courier, on her card
    for step, (button, words) in enumerate(STEPS[method]):
        card = seller.locator(".order-card", has_text=number)
        offered = set(card.locator("button[name=to], summary.button").all_inner_texts())
        assert button in offered, (method, button, offered)
        assert not (offered & OTHER_STEPS) - {button}, offered  # only her order's method's next step
        expect(card.get_by_role("button", name=re.compile("in cash"))).to_have_count(0)  # not before handover
        shot(seller, f"seller-{method}-{step}")
        if button == "Sent by courier":
            card.locator("summary", has_text="Sent by courier").click()
            card.get_by_label("Courier company").fill("India Post")
            card.get_by_label("Tracking number").fill("EE123456789IN")
            card.get_by_label("Tracking link (if the courier gave one)").fill("https://www.indiapost.gov.in/track")
            shot(seller, f"seller-{method}-courier-form")
            card.get_by_role("button", name="Save: sent by courier").click()
        else:
            card.get_by_role("button", name=button, exact=True).click()
        expect(seller.get_by_role("status")).to_contain_text(words)
        assert seller.url.endswith("/seller/orders")  # she stays on her list
        fits(seller)
        buyer_reads(buyer, live_server, number, words, method, step)
        if button == "Sent by courier":
            link = buyer.get_by_role("link", name="Follow the parcel on the courier's page")
            expect(link).to_have_attribute("href", "https://www.indiapost.gov.in/track")
            expect(buyer.get_by_text("Courier: India Post, tracking number EE123456789IN")).to_be_visible()

    # Handed over: now, and only now, the cash.
    due = seller.locator(".order-card", has_text=number)
    cash = due.get_by_role("button", name=f"I got {fee} in cash")
    expect(cash).to_be_visible()
    shot(seller, f"seller-{method}-cash")
    cash.click()
    expect(seller.get_by_role("status")).to_contain_text(f"Cash recorded for order {number}")
    assert seller.url.endswith("/seller/orders")  # she stays on her list, as after every other button
    expect(seller.get_by_role("button", name=re.compile("in cash"))).to_have_count(0)
    buyer.goto(live_server + "/orders")
    expect(buyer.locator(".rows li", has_text=number)).to_contain_text("Cash received")
    shot(buyer, f"buyer-{method}-paid")
