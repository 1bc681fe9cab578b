"""A wholesaler's GSTIN (format, state code and check character, at sign-up and on his order) and the invoices of
a wholesale order: a proforma before payment, the tax invoice when it is sent, with his GSTIN and the tax split by
his state (IGST from another state, CGST + SGST from the seller's)."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from orders.invoices.gst import GSTIN_ALPHABET, validate_gstin
from orders.invoices.issue import issue_invoice, may_invoice, proforma_invoice
from orders.invoices.models import GstinError, Invoice, InvoiceCounter, InvoiceError
from orders.invoices.pdf import render_pdf
from orders.models import QuoteRequest, WholesalerProfile
from orders.services import OrderError, check_wholesale_details, set_wholesaler_gstin
from tests.factories import gen_wholesaler
from tests.unit.orders.test_invoices import MH_GSTIN, make_order, pdf_text, product, registered, shop  # noqa: F401

# Published GSTINs (companies' own invoices and the GST portal's examples), and two worked out in test_invoices.
KNOWN = ["27AAPFU0939F1ZV", "29AAGCB7383J1Z4", "24AAACC1206D1ZM", "27AAAAR1234C1Z3", "33AAATS5678K1Z1"]
TN_TRADER, MH_TRADER = "33AAATS5678K1Z1", "27AAPFU0939F1ZV"


@pytest.mark.parametrize("gstin", KNOWN)
def test_every_one_character_change_of_a_valid_gstin_is_caught(gstin):
    assert validate_gstin(gstin) == gstin
    caught = 0
    for position in range(15):
        for char in GSTIN_ALPHABET:
            if char == gstin[position]:
                continue
            changed = gstin[:position] + char + gstin[position + 1:]
            with pytest.raises(GstinError):
                validate_gstin(changed)
            caught += 1
    assert caught == 15 * 35


def test_two_neighbours_swapped_are_caught_too_when_they_differ():
    gstin = "27AAPFU0939F1ZV"
    for i in range(14):
        if gstin[i] != gstin[i + 1]:
            swapped = gstin[:i] + gstin[i + 1] + gstin[i] + gstin[i + 2:]
            with pytest.raises(GstinError):
                validate_gstin(swapped)


def test_the_wholesalers_details_take_a_valid_gstin_and_refuse_a_typing_slip():
    assert check_wholesale_details(" Ravi Traders ", " 27aapfu0939f1zv ") == ("Ravi Traders", MH_TRADER)
    assert check_wholesale_details("Ravi Traders", "") == ("Ravi Traders", None)
    with pytest.raises(GstinError, match="typing mistake"):
        check_wholesale_details("Ravi Traders", "27AAPFU0939F1ZW")
    with pytest.raises(OrderError):
        check_wholesale_details("  ", MH_TRADER)


def test_he_corrects_his_gstin_and_a_wrong_one_changes_nothing(session):
    trader = gen_wholesaler(session)
    set_wholesaler_gstin(session, trader, TN_TRADER)
    with pytest.raises(GstinError):
        set_wholesaler_gstin(session, trader, "33AAATS5678K1Z2")
    session.expire_all()
    assert session.get(WholesalerProfile, trader.id).gstin == TN_TRADER


def quote_order(session, business, gstin: str | None, *, delivery="courier", pincode="600004", status="placed"):
    """A wholesale order made from a quote (as orders.quotes does), for a trader with this GSTIN."""
    trader = gen_wholesaler(session)
    session.get(WholesalerProfile, trader.id).gstin = gstin
    kurta = product(session, business, price=68_000, title="Chikankari kurta")
    order = make_order(session, business, [(kurta, 50, 68_000)], delivery=delivery, pincode=pincode, fee=80_00,
                       status=status, wholesale=True, buyer=trader)
    session.add(QuoteRequest(buyer_id=trader.id, business_id=business.id, variant_id=kurta.variants[0].id,
                             quantity=50, target_price_paise=68_000, needed_by=date(2027, 1, 1), status="ordered",
                             order_id=order.id))
    session.flush()
    return order


@pytest.mark.parametrize(("gstin", "delivery", "pincode", "place", "split"), [
    (TN_TRADER, "courier", "600004", "TN", "igst"),   # a Tamil Nadu trader: IGST
    (TN_TRADER, "pickup", "", "TN", "igst"),          # collected, but goes to his place of business in TN
    (MH_TRADER, "courier", "600004", "MH", "cgst"),   # registered in the seller's state: CGST + SGST
    (None, "courier", "600004", "TN", "igst"),        # no GSTIN: the delivery's state, as for any buyer
    (None, "pickup", "", "MH", "cgst"),
])
def test_the_place_of_supply_is_his_gstins_state(session, registered, gstin, delivery, pincode, place, split):  # noqa: F811
    order = quote_order(session, registered, gstin, delivery=delivery, pincode=pincode, status="shipped")
    invoice = issue_invoice(session, order, paid_with="razorpay+bank")
    assert (invoice.buyer_gstin, invoice.place_of_supply, invoice.total_paise) == (gstin, place, 34_080_00)
    if split == "igst":
        assert invoice.igst_paise > 0 and invoice.cgst_paise == invoice.sgst_paise == 0
    else:
        assert invoice.cgst_paise == invoice.sgst_paise > 0 and invoice.igst_paise == 0
    assert invoice.payment_method == "UPI + Bank transfer"


def test_a_quote_order_has_a_proforma_before_payment_and_its_tax_invoice_when_it_is_sent(session, registered):  # noqa: F811
    order = quote_order(session, registered, TN_TRADER, status="placed")
    draft = proforma_invoice(session, order)
    text = pdf_text(render_pdf(draft))
    assert "PROFORMA INVOICE" in text and TN_TRADER in text and "IGST" in text and "not a tax invoice" in text
    assert "34,080.00" in text
    session.flush()
    assert session.scalar(sa.select(sa.func.count()).select_from(Invoice)) == 0  # never stored, never numbered
    assert session.scalar(sa.select(sa.func.count()).select_from(InvoiceCounter)) == 0

    for status in ("confirmed", "packed"):  # accepted and being made: not yet
        order.status = status
        session.flush()
        assert not may_invoice(session, order)
        with pytest.raises(InvoiceError):
            issue_invoice(session, order)
    order.status = "shipped"
    session.flush()
    invoice = issue_invoice(session, order, paid_with="razorpay+bank")
    text = pdf_text(render_pdf(invoice))
    assert "TAX INVOICE" in text and TN_TRADER in text and "Tamil Nadu" in text and "IGST" in text
    assert "CGST" not in text


def test_a_quote_order_cancelled_before_it_was_sent_has_no_tax_invoice(session, registered):  # noqa: F811
    order = quote_order(session, registered, TN_TRADER, status="cancelled")  # accepted, then cancelled
    assert not may_invoice(session, order)
