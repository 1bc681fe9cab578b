"""A wholesaler pays an order made from a quote in two parts on a 360 px phone: 30% in advance by UPI through the
demo gateway, the seller accepts and makes it, the balance by bank transfer with a UTR the seller confirms, then
the tax invoice carries his GSTIN and IGST (he is in Tamil Nadu, the collective in Maharashtra). The ledger
balances and her plan has a share of each payment."""

from __future__ import annotations

import io
import os
import tempfile
from datetime import date, timedelta
from pathlib import Path

from playwright.sync_api import Page, expect
from pypdf import PdfReader

from market.core import ledger
from orders.invoices.gst import set_gst_registration
from orders.quotes import order_from_quote, request_quote
from tests.browser.test_ordering import log_in
from tests.conftest import reload
from tests.factories import agree_quote, gen_product, gen_wholesaler
from vendors import finance

SHOTS = Path(os.environ.get("HAAT_SCREENSHOTS") or tempfile.gettempdir())
TN_GSTIN = "33AAATS5678K1Z1"
TOTAL, ADVANCE = 34_080_00, 10_224_00


def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"wholesale-{name}.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360  # nothing wider than the phone


def pdf_text(page: Page, url: str) -> str:
    response = page.request.get(url)
    assert response.ok and response.headers["content-type"] == "application/pdf"
    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(response.body())).pages)


def log_out(page: Page) -> None:
    page.get_by_role("link", name="Account", exact=True).click()
    page.get_by_role("button", name="Log out", exact=True).click()


def test_a_wholesale_order_paid_in_advance_by_upi_and_the_balance_by_bank_transfer(page: Page, live_server, world,
                                                                                   session):
    page.set_viewport_size({"width": 360, "height": 760})
    set_gst_registration(session, world.shop_a, gstin="27AAAAR1234C1Z3", trade_name="Pune Garment Collective")
    world.group_a.monthly_saving_paise = 100_000_00
    finance.set_shares(session, world.member_a, [finance.Share("savings", percent_bps=1000)])  # 10% of each sale
    kurta = gen_product(session, world.shop_a, title="Chikankari kurta", price_paise=75_000, stock=100)
    trader = gen_wholesaler(session, login="ravi@traders.example")
    quote = request_quote(session, trader, kurta.variants[0].id, 50, 60_000, date.today() + timedelta(days=20))
    agree_quote(session, quote, 68_000, 30)
    order = order_from_quote(session, quote, trader, "courier", ("Ravi Traders", "4 Market Road, Chennai", "600001"))
    session.commit()
    order_url = f"{live_server}/orders/{order.id}"

    # He gives his GSTIN on the order page: a typing slip is caught, in plain words, and kept in the box.
    log_in(page, live_server, "ravi@traders.example")
    page.goto(order_url)
    page.get_by_label("Your GSTIN (goes on your tax invoice)").fill("33AAATS5678K1Z2")
    page.get_by_role("button", name="Save GSTIN").click()
    expect(page.locator(".flash-error")).to_contain_text("typing mistake")
    expect(page.get_by_label("Your GSTIN (goes on your tax invoice)")).to_have_value("33AAATS5678K1Z2")
    page.get_by_label("Your GSTIN (goes on your tax invoice)").fill(TN_GSTIN.lower())
    page.get_by_role("button", name="Save GSTIN").click()
    expect(page.get_by_role("status")).to_contain_text("Your GSTIN is saved")
    proforma = pdf_text(page, f"{order_url}/proforma.pdf")
    assert "PROFORMA INVOICE" in proforma and TN_GSTIN in proforma and "34,080.00" in proforma
    expect(page.locator("#pay")).to_contain_text("Still to pay: ₹34,080.00")
    shot(page, "1-advance-due")

    # The advance by UPI, through the demo gateway.
    expect(page.get_by_label("UPI", exact=True)).to_be_checked()
    page.get_by_role("button", name="Pay", exact=True).click()
    page.get_by_role("button", name="Pay ₹10,224.00 by UPI").click()
    expect(page.get_by_text("No money moves")).to_be_visible()
    expect(page.get_by_text(order.number)).to_be_visible()  # the demo gateway names the order as he knows it
    shot(page, "2-gateway")
    page.get_by_role("button", name="Pay (demo)").click()
    expect(page.get_by_role("status")).to_contain_text("Paid. Thank you!")
    expect(page.locator("[data-part=advance]")).to_contain_text("Paid by UPI")
    expect(page.locator("#pay")).to_contain_text("Still to pay: ₹23,856.00")
    shot(page, "3-advance-paid")
    log_out(page)

    # She accepts it and makes it; she cannot send it before the balance.
    log_in(page, live_server, world.member_a.user.phone)
    page.goto(order_url)
    shot(page, "4-seller-advance-in")
    page.get_by_role("button", name="Accept").click()
    expect(page.get_by_role("status")).to_contain_text("accepted")
    page.get_by_role("button", name="Packed").click()
    expect(page.get_by_role("status")).to_contain_text("packed")
    expect(page.get_by_text("Sent by courier", exact=True)).to_have_count(0)
    expect(page.locator("#pay")).to_contain_text("Send it once the balance is paid")
    log_out(page)

    # The balance by bank transfer: his UTR, as his bank's message shows it.
    log_in(page, live_server, "ravi@traders.example")
    page.goto(order_url)
    page.get_by_label("Bank transfer (NEFT, RTGS or IMPS)").check()
    page.get_by_label("UTR (bank transfer only)").fill("SBIN 4261 2345 6789")
    shot(page, "5-balance-by-transfer")
    page.get_by_role("button", name="Pay", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("Your UTR is sent")
    expect(page.locator("[data-part=balance]")).to_contain_text("SBIN426123456789")
    log_out(page)

    # She sees the money in the statement, confirms it once, and sends the order.
    log_in(page, live_server, world.member_a.user.phone)
    page.goto(order_url)
    expect(page.locator("#pay")).to_contain_text("UTR SBIN426123456789")
    shot(page, "6-seller-confirms")
    page.get_by_role("button", name="The money is in: confirm ₹23,856.00").click()
    expect(page.get_by_role("status")).to_contain_text("₹23,856.00 received")
    expect(page.locator("#pay")).to_contain_text("Still to pay: ₹0.00")
    page.locator("summary", has_text="Sent by courier").click()
    page.get_by_label("Courier company").fill("DTDC")
    page.get_by_label("Tracking number").fill("D12345678")
    page.get_by_role("button", name="Save: sent by courier").click()
    expect(page.get_by_role("status")).to_contain_text("sent by courier")
    shot(page, "7-sent")
    invoice = pdf_text(page, f"{order_url}/invoice.pdf")
    assert "TAX INVOICE" in invoice and TN_GSTIN in invoice and "IGST" in invoice and "CGST" not in invoice
    assert "Tamil Nadu" in invoice and "UPI + Bank transfer" in invoice and "34,080.00" in invoice

    # Her plan: a share of each payment (10% of its goods), the ledger balanced.
    reload(session)
    assert ledger.unbalanced_entries(session) == []
    assert ledger.balance(session, "gateway:demo") + ledger.balance(session, ledger.GATEWAY_FEES) == ADVANCE
    assert ledger.balance(session, "gateway:bank") == TOTAL - ADVANCE
    advance_goods = ADVANCE - 80_00 * ADVANCE // TOTAL
    balance_goods = 34_000_00 - advance_goods
    assert -ledger.balance(session, ledger.member_savings(world.member_a.id)) == \
        advance_goods // 10 + balance_goods // 10
    page.goto(f"{live_server}/seller/money")
    expect(page.get_by_text("Saved through Haat so far: ₹3,400.00")).to_be_visible()  # 10% of Rs 34,000 of goods
    expect(page.locator("main")).to_contain_text("₹34,000.00")  # both payments are her sales this month
    shot(page, "8-her-money")
