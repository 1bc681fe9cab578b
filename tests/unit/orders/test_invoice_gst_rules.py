"""GST invoice rules (CGST rules 46 and 49): equal CGST and SGST with a round-off, the rate as it is split, how
the order was paid. Read from the PDF's text, as a buyer or a tax officer reads it."""

from __future__ import annotations

from orders.invoices.issue import issue_invoice
from orders.invoices.pdf import render_pdf
from payments.models import Payment
from tests.unit.orders.test_invoices import make_order, pdf_text, product, registered, shop  # noqa: F401


def test_cgst_and_sgst_are_equal_on_every_line_and_the_odd_paisa_is_a_round_off(session, registered):  # noqa: F811
    silk = product(session, registered, price=300_000, title="Silk kurta set")
    kurti = product(session, registered, title="Block-print kurti")
    order = make_order(session, registered, [(silk, 1, 300_000), (kurti, 2, 45_000)])
    invoice = issue_invoice(session, order)
    for line in invoice.lines:
        assert line.cgst_paise == line.sgst_paise, line.description
    # Rs 3,000 at 18%: tax 45763 is odd: CGST = SGST = 22881, and 0.01 rounds off; Rs 900 at 5%: 2143 + 2143.
    assert (invoice.cgst_paise, invoice.sgst_paise, invoice.round_off_paise) == (25_024, 25_024, 1)
    assert invoice.taxable_paise + invoice.cgst_paise + invoice.sgst_paise + invoice.round_off_paise \
        == invoice.total_paise == 390_000
    text = pdf_text(render_pdf(invoice))
    assert "Round off" in text and "0.01" in text
    assert "200.21" not in text


def test_the_rate_column_shows_how_the_rate_is_split_within_the_state(session, registered):  # noqa: F811
    kurti = product(session, registered, title="Block-print kurti")
    invoice = issue_invoice(session, make_order(session, registered, [(kurti, 1, 45_000)]))
    text = pdf_text(render_pdf(invoice))
    assert "2.5% + 2.5%" in text
    assert " 5%" not in text.replace("2.5%", "")


def test_the_invoice_says_how_the_order_was_paid(session, registered):  # noqa: F811
    kurti = product(session, registered, title="Block-print kurti")
    paid = {}
    for gateway, words in (("razorpay", "UPI"), ("stripe", "Card"), ("cash", "Cash")):
        order = make_order(session, registered, [(kurti, 1, 45_000)])
        session.add(Payment(checkout_id=order.checkout_id, order_id=order.id if gateway == "cash" else None,
                            gateway=gateway, amount_paise=order.total_paise, status="captured"))
        session.flush()
        paid[words] = pdf_text(render_pdf(issue_invoice(session, order, paid_with=gateway)))
    for words, text in paid.items():
        assert f"Paid by {words}" in text, words
