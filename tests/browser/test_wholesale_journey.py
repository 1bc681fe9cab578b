"""The whole wholesale journey on two 360 px phones, the wholesaler's and the seller's, through the pages only:
he asks a quote for 50 of size L of a kurta with none of L in stock; she offers it made to order, ready by a date,
with a 30% advance; they counter each other and he accepts; he orders it by courier, pays the advance by UPI
through the demo gateway; she accepts it and marks it packed (packed stands for made); he pays the balance by bank
transfer with a UTR and she confirms it; she sends it by courier with a tracking link he then follows; she marks it
delivered; his tax invoice carries his GSTIN and IGST (he is in Tamil Nadu, her collective in Maharashtra). The
ledger balances after each money step, her plan has a share of both payments, and no stock of L was ever taken."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from playwright.sync_api import expect

from catalog.models import Variant
from catalog.services import VariantData
from market.core import clock, ledger
from orders.invoices.gst import set_gst_registration
from orders.models import Order, QuoteRequest
from tests.browser.phone import log_in, look, pdf_text
from tests.conftest import reload
from tests.factories import gen_product, gen_wholesaler
from vendors import finance

TN_GSTIN = "33AAATS5678K1Z1"
GOODS, COURIER = 50 * 650_00, 80_00
TOTAL = GOODS + COURIER  # Rs 32,580.00
ADVANCE = TOTAL * 30 // 100  # Rs 9,774.00
ADVANCE_GOODS = ADVANCE - COURIER * ADVANCE // TOTAL  # the goods' part of the advance (delivery is not her sale)
TRACKING = "https://www.dtdc.in/track?no=D12345678"


def rupees(paise: int) -> str:
    return f"₹{paise // 100:,}.{paise % 100:02d}"


def ledger_balances(session) -> None:
    reload(session)
    assert ledger.unbalanced_entries(session) == []


def saved_by(session, member) -> int:
    """What her plan has put into her group savings so far."""
    return -ledger.balance(session, ledger.member_savings(member.id))


def test_the_whole_wholesale_journey_from_quote_to_tax_invoice(phones, live_server, world, session):
    set_gst_registration(session, world.shop_a, gstin="27AAAAR1234C1Z3", trade_name="Pune Garment Collective")
    world.group_a.monthly_saving_paise = 100_000_00
    finance.set_shares(session, world.member_a, [finance.Share("savings", percent_bps=1000)])  # 10% of each sale
    kurta = gen_product(session, world.shop_a, title="Chikankari straight kurta", variants=[
        VariantData(price_paise=75_000, stock=0, size="L"), VariantData(price_paise=75_000, stock=6, size="M")])
    gen_wholesaler(session, login="trader@example.com")
    session.commit()
    size_l = next(v.id for v in kurta.variants if v.size == "L")
    trader, seller = phones
    needed, ready, valid = (clock.today() + timedelta(days=d) for d in (40, 30, 7))

    # He asks for 50 of size L, of which there are none.
    log_in(trader, live_server, "trader@example.com")
    trader.goto(f"{live_server}/p/{kurta.id}")
    trader.get_by_role("link", name="Ask for a quote for a big order").click()
    trader.get_by_label("Option").select_option(label="L")
    trader.get_by_label("How many pieces").fill("50")
    trader.get_by_label("Your price per piece (₹)").fill("600")
    trader.get_by_label("Needed by").fill(needed.isoformat())
    look(trader, "journey-01-request")
    trader.get_by_role("button", name="Send request").click()
    expect(trader.get_by_role("status")).to_contain_text("Your request is sent")

    # She offers it made to order, ready by a date, 30% in advance.
    log_in(seller, live_server, world.member_a.user.phone)
    seller.get_by_role("link", name="Orders", exact=True).click()
    seller.get_by_role("link", name="Requests for a quote from wholesale buyers (1)").click()
    seller.get_by_role("link", name="50 × Chikankari straight kurta").click()
    expect(seller.get_by_role("alert")).to_contain_text("You have 0 of size L in stock; 50 asked.")
    expect(seller.get_by_label("Made to order", exact=True)).to_be_checked()
    seller.get_by_label("Your price per piece (₹)").fill("680")
    seller.get_by_label("Ready by (made to order)").fill(ready.isoformat())
    seller.get_by_label("Advance before making or dispatch (percent)").fill("30")
    seller.get_by_label("Offer valid until").fill(valid.isoformat())
    look(seller, "journey-02-seller-offers-made-to-order")
    seller.get_by_role("button", name="Send my offer").click()
    expect(seller.get_by_role("status")).to_contain_text("Answer sent")

    # He counters; she counters once more; he accepts her price.
    trader.reload()
    expect(trader.get_by_text("Total at the offered price")).to_be_visible()
    trader.get_by_label("Your price per piece (₹)").fill("620")
    trader.get_by_label("Offer valid until").fill(valid.isoformat())
    look(trader, "journey-03-trader-counters")
    trader.get_by_role("button", name="Send my offer").click()
    expect(trader.get_by_role("status")).to_contain_text("Answer sent")
    seller.reload()
    expect(seller.get_by_role("button", name="Accept ₹620.00 each")).to_be_visible()
    expect(seller.get_by_label("Made to order", exact=True)).to_be_checked()  # her terms stay as she set them
    seller.get_by_label("Your price per piece (₹)").fill("650")
    seller.get_by_role("button", name="Send my offer").click()
    expect(seller.get_by_role("status")).to_contain_text("Answer sent")
    trader.reload()
    expect(trader.locator(".offers li")).to_have_count(4)  # every round stays in sight
    trader.get_by_role("button", name="Accept ₹650.00 each").click()
    expect(trader.get_by_text("Total at the agreed price")).to_be_visible()
    expect(trader.get_by_text(rupees(GOODS))).to_be_visible()

    # He orders it by courier.
    trader.get_by_label("Courier").check()
    trader.get_by_label("Name for delivery").fill("Imran Traders")
    trader.get_by_label("Delivery address").fill("12 Ranganathan Street, T. Nagar, Chennai")
    trader.get_by_label("Pincode").fill("60017")  # a digit short: refused, and what he typed is kept
    trader.get_by_role("button", name="Order now").click()
    expect(trader.get_by_role("alert")).to_contain_text("6 digits")
    expect(trader.get_by_label("Courier")).to_be_checked()
    expect(trader.get_by_label("Delivery address")).to_have_value("12 Ranganathan Street, T. Nagar, Chennai")
    trader.get_by_label("Pincode").fill("600017")
    look(trader, "journey-04-trader-orders")
    trader.get_by_role("button", name="Order now").click()
    expect(trader.get_by_role("status")).to_contain_text("Order placed from your quote")
    reload(session)
    order = session.scalar(sa.select(Order))
    order_url = f"{live_server}/orders/{order.id}"
    assert session.scalar(sa.select(QuoteRequest.status)) == "ordered"
    line = order.lines[0]
    assert (line.quantity, line.unit_price_paise, line.option, line.made_to_order) == (50, 65_000, "L", True)
    assert (order.advance_percent, order.total_paise) == (30, TOTAL)

    # He gives his GSTIN for the invoice, and pays the advance by UPI through the demo gateway.
    trader.goto(order_url)
    promise = f"Made to order, ready by {ready.day} {ready:%b %Y}"  # the quote's terms stay in sight
    expect(trader.get_by_role("link", name=promise)).to_be_visible()
    trader.get_by_label("Your GSTIN (goes on your tax invoice)").fill(TN_GSTIN[:-1] + "2")  # a typing slip
    trader.get_by_role("button", name="Save GSTIN").click()
    expect(trader.locator(".flash-error")).to_contain_text("typing mistake")  # in plain words, kept in the box
    expect(trader.get_by_label("Your GSTIN (goes on your tax invoice)")).to_have_value(TN_GSTIN[:-1] + "2")
    trader.get_by_label("Your GSTIN (goes on your tax invoice)").fill(TN_GSTIN.lower())
    trader.get_by_role("button", name="Save GSTIN").click()
    expect(trader.get_by_role("status")).to_contain_text("Your GSTIN is saved")
    proforma = pdf_text(trader, f"{order_url}/proforma.pdf")
    assert "PROFORMA INVOICE" in proforma and TN_GSTIN in proforma and rupees(TOTAL)[1:] in proforma
    expect(trader.locator("#pay")).to_contain_text(f"Still to pay: {rupees(TOTAL)}")
    look(trader, "journey-05-advance-due")
    expect(trader.get_by_label("UPI", exact=True)).to_be_checked()
    trader.get_by_role("button", name="Pay", exact=True).click()
    trader.get_by_role("button", name=f"Pay {rupees(ADVANCE)} by UPI").click()
    expect(trader.get_by_text("No money moves")).to_be_visible()
    expect(trader.get_by_text(order.number)).to_be_visible()  # the demo gateway names the order as he knows it
    look(trader, "journey-06-gateway")
    trader.get_by_role("button", name="Pay (demo)").click()
    expect(trader.get_by_role("status")).to_contain_text("Paid. Thank you!")
    expect(trader.locator("[data-part=advance]")).to_contain_text("Paid by UPI")
    expect(trader.locator("#pay")).to_contain_text(f"Still to pay: {rupees(TOTAL - ADVANCE)}")
    look(trader, "journey-07-advance-paid")
    ledger_balances(session)
    assert ledger.balance(session, "gateway:demo") + ledger.balance(session, ledger.GATEWAY_FEES) == ADVANCE
    assert saved_by(session, world.member_a) == ADVANCE_GOODS // 10  # her plan's share of the advance

    # She accepts it and marks it packed (made); it cannot go before the balance.
    seller.goto(order_url)
    look(seller, "journey-08-seller-advance-in")
    expect(seller.get_by_role("link", name=promise)).to_be_visible()
    seller.get_by_role("button", name="Accept").click()
    expect(seller.get_by_role("status")).to_contain_text("accepted")
    seller.get_by_role("button", name="Packed").click()
    expect(seller.get_by_role("status")).to_contain_text("packed")
    expect(seller.get_by_text("Sent by courier", exact=True)).to_have_count(0)
    expect(seller.locator("#pay")).to_contain_text("Send it once the balance is paid")
    look(seller, "journey-09-seller-packed")

    # He pays the balance by bank transfer, with the UTR from his bank's message; she confirms it.
    trader.goto(order_url)
    trader.get_by_label("Bank transfer (NEFT, RTGS or IMPS)").check()
    trader.get_by_label("UTR (bank transfer only)").fill("SBIN 4261 2345 6789")
    look(trader, "journey-10-balance-by-transfer")
    trader.get_by_role("button", name="Pay", exact=True).click()
    expect(trader.get_by_role("status")).to_contain_text("Your UTR is sent")
    expect(trader.locator("[data-part=balance]")).to_contain_text("SBIN426123456789")
    ledger_balances(session)
    seller.goto(order_url)
    expect(seller.locator("#pay")).to_contain_text("UTR SBIN426123456789")
    look(seller, "journey-11-seller-confirms")
    seller.get_by_role("button", name=f"The money is in: confirm {rupees(TOTAL - ADVANCE)}").click()
    expect(seller.get_by_role("status")).to_contain_text(f"{rupees(TOTAL - ADVANCE)} received")
    expect(seller.locator("#pay")).to_contain_text("Still to pay: ₹0.00")
    ledger_balances(session)
    assert ledger.balance(session, "gateway:bank") == TOTAL - ADVANCE

    # She sends it by courier with the tracking link; he sees it and can follow the parcel.
    seller.locator("summary", has_text="Sent by courier").click()
    seller.get_by_label("Courier company").fill("DTDC")
    seller.get_by_label("Tracking number").fill("D12345678")
    seller.get_by_label("Tracking link (if the courier gave one)").fill(TRACKING)
    look(seller, "journey-12-seller-courier-form")
    seller.get_by_role("button", name="Save: sent by courier").click()
    expect(seller.get_by_role("status")).to_contain_text("sent by courier")
    trader.goto(order_url)
    expect(trader.get_by_text("Courier: DTDC, tracking number D12345678")).to_be_visible()
    expect(trader.get_by_role("link", name="Follow the parcel on the courier's page")).to_have_attribute(
        "href", TRACKING)
    look(trader, "journey-13-trader-tracking")

    # She marks it delivered; he reads so, and downloads his tax invoice.
    seller.goto(order_url)
    seller.get_by_role("button", name="Delivered", exact=True).click()
    expect(seller.get_by_role("status")).to_contain_text("delivered")
    trader.goto(order_url)
    expect(trader.locator("ol.history li").last).to_contain_text("delivered")
    look(trader, "journey-14-trader-delivered")
    invoice = pdf_text(trader, f"{order_url}/invoice.pdf")
    assert "TAX INVOICE" in invoice and TN_GSTIN in invoice and "Tamil Nadu" in invoice
    assert "Place of supply Tamil Nadu (33)" in invoice and "State: Maharashtra (27)" in invoice
    assert "CGST" not in invoice and "SGST" not in invoice  # another state: all of the 5% is IGST
    assert "Taxable value 31,028.57" in invoice and "IGST 1,551.43" in invoice  # Rs 32,580 = 31,028.57 x 1.05
    assert rupees(TOTAL)[1:] in invoice and "UPI + Bank transfer" in invoice

    # Her plan: a share of each payment (10% of its goods); the ledger balanced; no stock of L was taken.
    ledger_balances(session)
    saved = ADVANCE_GOODS // 10 + (GOODS - ADVANCE_GOODS) // 10
    assert saved_by(session, world.member_a) == saved
    assert session.get(Variant, size_l).stock == 0
    seller.goto(f"{live_server}/seller/money")
    expect(seller.get_by_text(f"Saved through Haat so far: {rupees(saved)}")).to_be_visible()
    expect(seller.locator("main")).to_contain_text(rupees(GOODS))  # both payments are her sales this month
    look(seller, "journey-15-her-money")
