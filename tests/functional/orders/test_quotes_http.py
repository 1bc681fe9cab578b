"""A wholesaler asks for a quote from the product page; the seller counters from her phone; it becomes an order."""

from datetime import date, timedelta

import sqlalchemy as sa

from orders.models import Order, QuoteRequest
from tests.conftest import login, reload
from tests.factories import gen_product, gen_wholesaler


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
    assert "Requests for a quote from shops (1)" in client.get("/seller/orders").text
    page = client.get(quote_url).text
    assert "Accept at ₹380.00 each" in page and trader.email not in page
    quote_id = int(quote_url.rsplit("/", 1)[1])
    client.post(f"/quotes/{quote_id}/answer", data={"decision": "countered", "counter_price": "410"})
    client.post("/auth/logout")

    login(client, "trader@example.com")
    assert "Accept ₹410.00 each" in client.get(quote_url).text
    client.post(f"/quotes/{quote_id}/answer", data={"decision": "accepted"})
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


def test_a_quote_for_more_than_she_has_says_how_many_are_left_and_can_be_ordered_once_she_adds_more(client, world,
                                                                                                   session):
    product = gen_product(session, world.shop_a, title="Festival kurti", price_paise=45_000, stock=2)
    gen_wholesaler(session, login="trader@example.com")
    session.commit()
    login(client, "trader@example.com")
    needed = (date.today() + timedelta(days=30)).isoformat()
    quote_url = client.post(f"/quotes/new/{product.id}", data={"variant": product.variants[0].id, "quantity": "40",
                                                                "target_price": "380", "needed_by": needed}
                            ).headers["Location"]
    quote_id = int(quote_url.rsplit("/", 1)[1])
    client.post("/auth/logout")
    login(client, world.member_a.user.phone)
    assert "2 in stock" in client.get(quote_url).text  # she sees what she has before she agrees
    client.post(f"/quotes/{quote_id}/answer", data={"decision": "accepted"})
    client.post("/auth/logout")
    login(client, "trader@example.com")
    refused = client.post(f"/quotes/{quote_id}/order", data={"delivery": "pickup"}, follow_redirects=True).text
    assert "Only 2 left" in refused and "sold out" not in refused
    reload(session)
    assert session.scalar(sa.select(QuoteRequest.status)) == "accepted"  # still hers to order
    assert session.scalar(sa.select(sa.func.count()).select_from(Order)) == 0
    session.get(type(product.variants[0]), product.variants[0].id).stock = 40  # the seller adds stock
    session.commit()
    assert "/orders/" in client.post(f"/quotes/{quote_id}/order", data={"delivery": "pickup"}).headers["Location"]
