"""A wholesaler asks for a quote from the product page; the seller offers from her phone, they counter, it becomes
an order. Every form shown again after a refusal keeps what was typed."""

from datetime import date, timedelta

import sqlalchemy as sa

from catalog.models import Variant
from catalog.services import VariantData
from market.core import clock
from orders.models import Order, QuoteRequest
from tests.conftest import login, reload
from tests.factories import gen_product, gen_wholesaler

WEEK = (clock.today() + timedelta(days=7)).isoformat()
SOON = (clock.today() + timedelta(days=30)).isoformat()


def test_request_counter_accept_order(client, world, session):
    product = gen_product(session, world.shop_a, title="Festival kurti", price_paise=45_000, stock=300)
    trader = gen_wholesaler(session, login="trader@example.com")
    session.commit()
    login(client, "trader@example.com")
    assert "Ask for a quote" in client.get(f"/p/{product.id}").text
    needed = (date.today() + timedelta(days=30)).isoformat()
    bad = client.post(f"/quotes/new/{product.id}", data={"variant": product.variants[0].id, "quantity": "200",
                                                          "target_price": "abc", "needed_by": needed},
                      follow_redirects=True)
    assert "in numbers" in bad.text
    response = client.post(f"/quotes/new/{product.id}", data={"variant": product.variants[0].id, "quantity": "200",
                                                               "target_price": "380", "needed_by": needed})
    quote_url = response.headers["Location"]
    client.post("/auth/logout")

    login(client, world.member_a.user.phone)
    assert "Requests for a quote from wholesale buyers (1)" in client.get("/seller/orders").text
    listed = client.get("/quotes/").text
    assert "<h1>Requests for a quote from wholesale buyers</h1>" in listed
    assert "waiting for your answer" in listed and "waiting for the seller" not in listed  # said to her, of her
    page = client.get(quote_url).text
    assert "waiting for your answer" in page
    assert "Total at the price asked" in page and trader.email not in page and "in stock; 200 asked" not in page
    quote_id = int(quote_url.rsplit("/", 1)[1])
    client.post(f"/quotes/{quote_id}/answer", data={"decision": "offer", "price": "410", "supply": "stock",
                                                    "advance_percent": "0", "valid_until": WEEK})
    client.post("/auth/logout")

    login(client, "trader@example.com")
    page = client.get(quote_url).text
    assert "Accept ₹410.00 each" in page and "Total at the offered price" in page and "seller sent a price" in page
    assert "Total at the agreed price" not in page
    client.post(f"/quotes/{quote_id}/answer", data={"decision": "accepted"})
    assert "Total at the agreed price" in client.get(quote_url).text
    response = client.post(f"/quotes/{quote_id}/order", data={"delivery": "pickup"})
    assert "/orders/" in response.headers["Location"]
    client.post(f"/quotes/{quote_id}/order", data={"delivery": "pickup"})  # a second press: no second order
    reload(session)
    order = session.scalar(sa.select(Order))
    assert (order.total_paise, order.lines[0].quantity) == (200 * 41_000, 200)
    assert session.scalar(sa.select(sa.func.count()).select_from(Order)) == 1
    assert session.scalar(sa.select(QuoteRequest.status)) == "ordered"


def test_other_sellers_and_buyers_cannot_see_a_quote(client, world, session):
    product = gen_product(session, world.shop_a)
    trader = gen_wholesaler(session)
    session.add(QuoteRequest(buyer_id=trader.id, business_id=world.shop_a.id, variant_id=product.variants[0].id,
                             quantity=20, target_price_paise=40_000, needed_by=date.today() + timedelta(days=3)))
    session.commit()
    quote_id = session.scalar(sa.select(QuoteRequest.id))
    for who in (world.member_b.user.phone, world.wholesaler.email):
        login(client, who)
        assert client.get(f"/quotes/{quote_id}").status_code == 404
        client.post(f"/quotes/{quote_id}/answer", data={"decision": "accepted"})
        client.post("/auth/logout")
    reload(session)
    assert session.scalar(sa.select(QuoteRequest.status)) == "requested"


def test_a_wholesaler_waiting_for_approval_is_told_before_she_fills_the_form(client, world, session):
    product = gen_product(session, world.shop_a)
    gen_wholesaler(session, approved=False, login="waiting@example.com")
    session.commit()
    login(client, "waiting@example.com")
    page = client.get(f"/quotes/new/{product.id}").text
    assert "once staff have approved" in page and "Send request" not in page


def _kurta_quote(client, world, session, stock: int = 0) -> tuple[str, int]:
    """The issue's case: a wholesaler asks for 50 of size L; the seller has `stock` of L."""
    product = gen_product(session, world.shop_a, title="Chikankari straight kurta", variants=[
        VariantData(price_paise=75_000, stock=stock, size="L"), VariantData(price_paise=75_000, stock=5, size="M")])
    gen_wholesaler(session, login="trader@example.com")
    session.commit()
    size_l = next(v for v in product.variants if v.size == "L")
    login(client, "trader@example.com")
    url = client.post(f"/quotes/new/{product.id}", data={"variant": size_l.id, "quantity": "50",
                                                          "target_price": "600", "needed_by": SOON}
                      ).headers["Location"]
    client.post("/auth/logout")
    return url, int(url.rsplit("/", 1)[1])


def test_the_request_form_keeps_what_was_typed(client, world, session):
    product = gen_product(session, world.shop_a, variants=[VariantData(price_paise=75_000, stock=0, size="L"),
                                                           VariantData(price_paise=75_000, stock=5, size="M")])
    gen_wholesaler(session, login="trader@example.com")
    session.commit()
    size_m = next(v for v in product.variants if v.size == "M")
    login(client, "trader@example.com")
    refused = client.post(f"/quotes/new/{product.id}", data={
        "variant": size_m.id, "quantity": "50", "target_price": "six hundred", "needed_by": SOON,
        "note": "white thread only"})
    assert "in numbers" in refused.text
    for kept in (f'value="{size_m.id}" selected', 'value="50"', 'value="six hundred"', f'value="{SOON}"',
                 ">white thread only</textarea>"):
        assert kept in refused.text
    assert session.scalar(sa.select(sa.func.count()).select_from(QuoteRequest)) == 0


def test_the_seller_is_warned_of_her_stock_and_her_offer_form_keeps_what_she_typed(client, world, session):
    url, quote_id = _kurta_quote(client, world, session)
    login(client, world.member_a.user.phone)
    page = client.get(url).text
    warning = "You have 0 of size L in stock; 50 asked. Offer it made to order, or add stock first."
    assert warning in page
    assert 'value="made" checked' in page  # what she can do is chosen for her
    refused = client.post(f"/quotes/{quote_id}/answer", data={
        "decision": "offer", "price": "680", "supply": "stock", "ready_by": SOON, "advance_percent": "30",
        "valid_until": WEEK, "note": "best cotton"})
    assert refused.text.count(warning) == 2  # the refusal, and the note above
    for kept in ('value="680"', 'value="stock" checked', 'value="30"', f'value="{WEEK}"', 'value="best cotton"'):
        assert kept in refused.text
    no_date = client.post(f"/quotes/{quote_id}/answer", data={
        "decision": "offer", "price": "680", "supply": "made", "ready_by": "", "advance_percent": "30",
        "valid_until": WEEK}).text
    assert "Choose the date it will be ready by." in no_date and 'value="made" checked' in no_date
    reload(session)
    assert session.scalar(sa.select(QuoteRequest.status)) == "requested"


def test_the_counter_form_keeps_what_the_buyer_typed(client, world, session):
    url, quote_id = _kurta_quote(client, world, session)
    login(client, world.member_a.user.phone)
    client.post(f"/quotes/{quote_id}/answer", data={"decision": "offer", "price": "680", "supply": "made",
                                                    "ready_by": SOON, "advance_percent": "30", "valid_until": WEEK})
    client.post("/auth/logout")
    login(client, "trader@example.com")
    page = client.get(url).text
    assert "Accept ₹680.00 each" in page and "Made to order, ready by" in page and "30% advance" in page
    refused = client.post(f"/quotes/{quote_id}/answer", data={"decision": "offer", "price": "6OO",
                                                              "valid_until": WEEK, "note": "50 more in March"})
    assert "in numbers" in refused.text
    assert 'value="6OO"' in refused.text and 'value="50 more in March"' in refused.text
    reload(session)
    assert session.scalar(sa.select(QuoteRequest.status)) == "offered"


def test_order_now_refused_keeps_his_courier_name_address_and_pincode(client, world, session):
    """The issue's bug: "Only 0 left" lost the courier choice, name, address and pincode."""
    url, quote_id = _kurta_quote(client, world, session, stock=50)
    login(client, world.member_a.user.phone)
    client.post(f"/quotes/{quote_id}/answer", data={"decision": "offer", "price": "680", "supply": "stock",
                                                    "advance_percent": "0", "valid_until": WEEK})
    client.post("/auth/logout")
    login(client, "trader@example.com")
    client.post(f"/quotes/{quote_id}/answer", data={"decision": "accepted"})
    variant = session.get(Variant, session.scalar(sa.select(QuoteRequest.variant_id)))
    variant.stock = 0  # sold at her stall meanwhile
    session.commit()
    typed = {"delivery": "courier", "ship_name": "Imran Traders", "ship_address": "4 Aminabad Road, Lucknow",
             "ship_pincode": "226018"}
    refused = client.post(f"/quotes/{quote_id}/order", data=typed)
    assert "Only 0 left" in refused.text
    for kept in ('value="courier" checked', 'value="Imran Traders"', ">4 Aminabad Road, Lucknow</textarea>",
                 'value="226018"'):
        assert kept in refused.text
    assert 'value="pickup" checked' not in refused.text
    bad_pin = client.post(f"/quotes/{quote_id}/order", data={**typed, "ship_pincode": "12"})
    assert "6 digits" in bad_pin.text and 'value="Imran Traders"' in bad_pin.text
    reload(session)
    assert session.scalar(sa.select(QuoteRequest.status)) == "accepted"
    assert session.scalar(sa.select(sa.func.count()).select_from(Order)) == 0


def test_the_order_from_a_made_to_order_quote_says_when_it_will_be_ready(client, world, session):
    """Her promise of the quote stays in sight on the order page of both sides: made to order, ready by a date."""
    url, quote_id = _kurta_quote(client, world, session)
    ready = clock.today() + timedelta(days=30)
    login(client, world.member_a.user.phone)
    client.post(f"/quotes/{quote_id}/answer", data={"decision": "offer", "price": "680", "supply": "made",
                                                    "ready_by": ready.isoformat(), "advance_percent": "30",
                                                    "valid_until": WEEK})
    client.post("/auth/logout")
    login(client, "trader@example.com")
    client.post(f"/quotes/{quote_id}/answer", data={"decision": "accepted"})
    order_url = client.post(f"/quotes/{quote_id}/order", data={
        "delivery": "courier", "ship_name": "Imran Traders", "ship_address": "4 Aminabad Road, Lucknow",
        "ship_pincode": "226018"}).headers["Location"]
    words = f"Made to order, ready by {ready.day} {ready:%b %Y}"
    assert words in client.get(order_url).text
    client.post("/auth/logout")
    login(client, world.member_a.user.phone)
    page = client.get(order_url).text
    assert words in page and f'href="{url}"' in page  # and the way back to the quote's history
