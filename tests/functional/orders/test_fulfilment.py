"""Fulfilment by delivery method over HTTP: each method's own buttons and words, the courier's tracking, the
lists that say what each side needs (paid / cash / due; collect / deliver / courier; a message to read)."""

import re
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from babel.dates import format_date

from catalog.models import Photo
from orders.models import Order
from tests.conftest import login, reload
from tests.factories import gen_product

ADDRESS = {"ship_name": "Asha", "ship_address": "12 Temple Road, Pune", "ship_pincode": "411001"}
BUTTONS = re.compile(r'name="to" value="([a-z_]+)"')


@pytest.fixture
def kurti(world, session):
    product = gen_product(session, world.shop_a, title="Indigo kurti", price_paise=45_000, stock=5)
    session.commit()
    return product


def order_by(client, session, world, kurti, method: str, pay_with: str = "cash") -> Order:
    login(client, world.buyer.email)
    client.post("/cart/add", data={"variant": kurti.variants[0].id, "quantity": 1})
    extra = {f"delivery-{world.shop_a.id}": method, **(ADDRESS if method != "pickup" else {})}
    page = client.post("/checkout", data={"recheck": "1", **extra}).text
    data = {"key": re.search(r'name="key" type="hidden" value="([^"]+)"', page).group(1),
            "expected_total": re.search(r'name="expected_total" type="hidden" value="(\d+)"', page).group(1),
            "place": "1", "pay_with": pay_with, **extra}
    assert client.post("/checkout", data=data).status_code == 302
    client.post("/auth/logout")
    reload(session)
    return session.scalar(sa.select(Order).order_by(Order.id.desc()))


TRACKING = {"courier": "India Post", "tracking_number": "EE123456789IN",
            "tracking_url": "https://www.indiapost.gov.in/track?id=EE123456789IN"}
PATHS = {
    "pickup": [("confirmed", "accepted"), ("packed", "packed"), ("ready_for_pickup", "ready for pickup"),
               ("collected", "collected")],
    "local": [("confirmed", "accepted"), ("packed", "packed"), ("out_for_delivery", "out for delivery"),
              ("delivered", "delivered")],
    "courier": [("confirmed", "accepted"), ("packed", "packed"), ("shipped", "sent by courier"),
                ("delivered", "delivered")],
}


@pytest.mark.parametrize("method", ["pickup", "local", "courier"])
def test_each_method_shows_the_seller_only_its_own_moves_and_the_buyer_reads_each_step(client, world, kurti,
                                                                                       session, method):
    order = order_by(client, session, world, kurti, method)
    for target, words in PATHS[method]:
        login(client, world.member_a.user.phone)
        offered = set(BUTTONS.findall(client.get("/seller/orders").text))
        assert target in offered, (method, target, offered)
        assert not offered & ({"ready_for_pickup", "out_for_delivery", "shipped", "collected", "delivered"}
                              - {target}), offered  # never another method's step, nor a later one
        data = {"to": target, "back": "seller", **(TRACKING if target == "shipped" else {})}
        assert client.post(f"/orders/{order.id}/status", data=data).location.endswith("/seller/orders")
        client.post("/auth/logout")
        login(client, world.buyer.email)
        assert f'badge-{target}">{words}<' in client.get("/orders").text  # her list says where it is
        page = client.get(f"/orders/{order.id}").text
        assert f"{words}\n" in page[page.index("History</h2>"):]
        client.post("/auth/logout")
    reload(session)
    assert session.get(Order, order.id).status == PATHS[method][-1][0]
    login(client, world.buyer.email)
    page = client.get(f"/orders/{order.id}").text
    assert "Cash to pay" in page and "Cash to collect" not in page  # handed over: the buyer's words, not hers


def test_an_order_refuses_another_method_s_step(client, world, kurti, session):
    order = order_by(client, session, world, kurti, "pickup")
    login(client, world.member_a.user.phone)
    for step in ("confirmed", "packed"):
        client.post(f"/orders/{order.id}/status", data={"to": step})
    for other in ("out_for_delivery", "shipped"):
        page = client.post(f"/orders/{order.id}/status", data={"to": other, **TRACKING}, follow_redirects=True).text
        assert "That cannot be done to this order now." in page
    reload(session)
    assert session.get(Order, order.id).status == "packed"


def test_sending_by_courier_needs_its_tracking_and_shows_the_buyer_a_link(client, world, kurti, session):
    order = order_by(client, session, world, kurti, "courier")
    login(client, world.member_a.user.phone)
    for step in ("confirmed", "packed"):
        client.post(f"/orders/{order.id}/status", data={"to": step})
    answer = client.post(f"/orders/{order.id}/status", data={"to": "shipped", "courier": "DTDC"})
    assert answer.status_code == 422 and "tracking number" in answer.text
    assert 'value="DTDC"' in answer.text  # what she typed stays
    for bad in ("javascript:alert(1)", "ftp://track.example/1", "https://", "www.dtdc.in/track"):
        answer = client.post(f"/orders/{order.id}/status", data={**TRACKING, "to": "shipped", "tracking_url": bad})
        assert answer.status_code == 422 and "https://" in answer.text
    reload(session)
    assert session.get(Order, order.id).status == "packed"
    client.post(f"/orders/{order.id}/status", data={"to": "shipped", **TRACKING})
    reload(session)
    shipped = session.get(Order, order.id)
    assert (shipped.status, shipped.courier_name, shipped.tracking_number, shipped.tracking_url) == (
        "shipped", "India Post", "EE123456789IN", TRACKING["tracking_url"])
    client.post("/auth/logout")
    login(client, world.buyer.email)
    page = client.get(f"/orders/{order.id}").text
    assert "Courier: India Post, tracking number EE123456789IN" in page
    assert f'<a href="{TRACKING["tracking_url"]}"'.replace("&", "&amp;") in page


def test_a_phone_number_typed_as_the_courier_never_reaches_the_buyer(client, world, kurti, session):
    order = order_by(client, session, world, kurti, "courier")
    login(client, world.member_a.user.phone)
    for step in ("confirmed", "packed"):
        client.post(f"/orders/{order.id}/status", data={"to": step})
    client.post(f"/orders/{order.id}/status", data={"to": "shipped", "courier": "Call 98123 45678",
                                                    "tracking_number": "AB1234"})
    reload(session)
    assert "45678" not in session.get(Order, order.id).courier_name


def test_her_cards_say_how_each_order_goes_and_mark_a_message_to_read(client, world, kurti, session):
    pickup = order_by(client, session, world, kurti, "pickup")
    courier = order_by(client, session, world, kurti, "courier")
    login(client, world.buyer.email)
    client.post(f"/orders/{courier.id}/messages", data={"body": "Please pack it well"})
    client.post("/auth/logout")
    login(client, world.member_a.user.phone)
    screen = client.get("/seller/orders").text
    cards = {n: screen[screen.index(n):][:1500] for n in (pickup.number, courier.number)}
    assert "Buyer collects" in cards[pickup.number] and "New message from the buyer" not in cards[pickup.number]
    assert "Courier" in cards[courier.number] and "New message from the buyer" in cards[courier.number]
    client.post(f"/orders/{courier.id}/messages", data={"body": "Yes, in a box"})
    assert "New message from the buyer" not in client.get("/seller/orders").text  # answered


def test_the_cart_shows_each_product_s_photo(client, world, kurti, session):
    session.add(Photo(product=kurti, key="kurti-photo-key", position=0, width=1080, height=1080,
                      widths="160,320,640,1080"))
    plain = gen_product(session, world.shop_a, title="Plain dupatta", price_paise=20_000, stock=5)
    session.commit()
    for product in (kurti, plain):
        client.post("/cart/add", data={"variant": product.variants[0].id, "quantity": 1})
    cart = client.get("/cart").text
    assert "kurti-photo-key" in cart
    assert cart.count('class="no-photo small"') == 1  # the dupatta has none: its category's picture


def test_dates_are_written_one_way_on_her_list_and_her_order(client, world, kurti, session):
    order = order_by(client, session, world, kurti, "pickup")
    login(client, world.buyer.email)
    day = format_date(order.placed_at.astimezone(ZoneInfo("Asia/Kolkata")), "d MMM y", locale="en_IN")
    assert f"{day} · " in client.get("/orders").text
    page = client.get(f"/orders/{order.id}").text
    assert re.search(rf"placed {day}, \d{{1,2}}:\d\d [AP]M", page) and not re.search(r"\d\d/\d\d/\d\d", page)
