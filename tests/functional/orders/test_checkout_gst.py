"""What GST law asks of a checkout: an unregistered shop sells within its own state only (through an online
marketplace); an invoice of Rs 50,000 or more to an unregistered buyer names her address, collected or not."""

from __future__ import annotations

import re

import sqlalchemy as sa

from orders.invoices.issue import issue_invoice
from orders.invoices.pdf import render_pdf
from orders.models import Order
from tests.conftest import login, reload
from tests.factories import gen_product
from tests.unit.orders.test_invoices import pdf_text

CHENNAI = {"ship_name": "Kavitha", "ship_address": "12 Lake Road, Mylapore", "ship_pincode": "600004"}
PUNE = {"ship_name": "Asha", "ship_address": "12 Temple Road, Pune", "ship_pincode": "411001"}


def checkout_page(client, **data) -> tuple[str, dict]:
    page = client.post("/checkout", data={"recheck": "1", **data}).text if data else client.get("/checkout").text
    form = {"key": re.search(r'name="key" type="hidden" value="([^"]+)"', page).group(1),
            "expected_total": re.search(r'name="expected_total" type="hidden" value="(\d+)"', page).group(1),
            "place": "1", "pay_with": "cash"}
    return page, form


def test_a_shop_not_registered_for_gst_cannot_send_to_another_state_and_checkout_says_so(client, world, session):
    kurti = gen_product(session, world.shop_a, title="Indigo kurti", price_paise=45_000)  # shop A: Maharashtra
    session.commit()
    login(client, world.buyer.email)
    client.post("/cart/add", data={"variant": kurti.variants[0].id, "quantity": 1})
    courier = {f"delivery-{world.shop_a.id}": "courier", **CHENNAI}
    page, form = checkout_page(client, **courier)
    name = world.shop_a.public_name
    assert "not registered for GST" in page and name in page  # on the page, by the shop, before she presses
    placed = client.post("/checkout", data={**form, **courier}, follow_redirects=True)
    assert "not registered for GST" in placed.text
    reload(session)
    assert session.scalar(sa.select(sa.func.count()).select_from(Order)) == 0  # no bill of supply across states
    page, form = checkout_page(client, **{f"delivery-{world.shop_a.id}": "courier", **PUNE})  # within the state
    assert "not registered for GST" not in page
    assert client.post("/checkout", data={**form, f"delivery-{world.shop_a.id}": "courier", **PUNE}).status_code \
        == 302


def test_the_message_is_in_the_buyer_s_language(client, world, session):
    kurti = gen_product(session, world.shop_a, title="Indigo kurti", price_paise=45_000)
    world.buyer.locale = "hi"
    session.commit()
    login(client, world.buyer.email)
    client.post("/cart/add", data={"variant": kurti.variants[0].id, "quantity": 1})
    page, _form = checkout_page(client, **{f"delivery-{world.shop_a.id}": "courier", **CHENNAI})
    assert "GST" in page and "not registered for GST" not in page and world.shop_a.public_name in page


def test_a_collected_order_of_fifty_thousand_asks_for_the_buyer_s_address_and_its_invoice_prints_it(
        client, world, session):
    saree = gen_product(session, world.shop_a, title="Paithani saree", price_paise=25_000_00, stock=5)
    session.commit()
    login(client, world.buyer.email)
    client.post("/cart/add", data={"variant": saree.variants[0].id, "quantity": 2})  # Rs 50,000
    pickup = {f"delivery-{world.shop_a.id}": "pickup"}
    page, form = checkout_page(client)
    assert "needs your name and address" in page  # she is told before she presses
    refused = client.post("/checkout", data={**form, **pickup}, follow_redirects=True).text
    assert "needs your name and address" in refused and 'role="alert"' in refused
    reload(session)
    assert session.scalar(sa.select(sa.func.count()).select_from(Order)) == 0
    page, form = checkout_page(client)
    assert client.post("/checkout", data={**form, **pickup, **PUNE}).status_code == 302
    reload(session)
    order = session.scalar(sa.select(Order))
    assert order.delivery == "pickup" and order.ship_to_address == PUNE["ship_address"]
    order.status = "confirmed"
    text = pdf_text(render_pdf(issue_invoice(session, order)))
    assert "Asha" in text and "12 Temple Road, Pune" in text and "411001" in text and "Maharashtra" in text
