"""Moving an order says what stopped it, in her words: a stale page's button, a payment not in yet, an order
moved by someone else meanwhile. A domain error no view catches is a 400 with its message; a bug is not."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from orders.models import Order
from orders.services import OrderError
from orders.status import IllegalTransition
from tests.conftest import login, reload
from tests.factories import gen_product
from tests.functional.orders.test_ordering import checkout_form


@pytest.fixture
def goods(world, session):
    kurti = gen_product(session, world.shop_a, title="Indigo kurti", price_paise=45_000, stock=5)
    session.commit()
    return (kurti,)


def place(client, world, goods, pay_with: str = "cash") -> None:
    login(client, world.buyer.email)
    client.post("/cart/add", data={"variant": goods[0].variants[0].id, "quantity": 1})
    client.post("/checkout", data=checkout_form(client, pay_with=pay_with,
                                                **{f"delivery-{world.shop_a.id}": "pickup"}))
    client.post("/auth/logout")


def test_accepting_an_order_whose_payment_is_not_in_says_so(client, world, goods, session):
    place(client, world, goods, pay_with="upi")
    order = session.scalar(sa.select(Order))
    login(client, world.member_a.user.phone)
    page = client.post(f"/orders/{order.id}/status", data={"to": "confirmed"}, follow_redirects=True).text
    assert "Wait for the payment before accepting this order." in page
    reload(session)
    assert session.get(Order, order.id).status == "placed"


def test_a_stale_button_is_refused_with_a_message_and_changes_nothing(client, world, goods, session):
    place(client, world, goods)
    order = session.scalar(sa.select(Order))
    login(client, world.buyer.email)
    client.post(f"/orders/{order.id}/status", data={"to": "cancelled"})
    client.post("/auth/logout")
    login(client, world.member_a.user.phone)  # her page still showed "Accept"
    for wanted in ("confirmed", "no-such-state", ""):
        page = client.post(f"/orders/{order.id}/status", data={"to": wanted}, follow_redirects=True)
        assert page.status_code == 200 and "That cannot be done to this order now." in page.text
    reload(session)
    assert session.get(Order, order.id).status == "cancelled"


@pytest.mark.real_commits  # the buyer's cancel commits on a connection of its own, in the seller's request
def test_an_order_moved_by_someone_else_meanwhile_says_look_again(app, client, world, goods, session):
    place(client, world, goods)
    order = session.scalar(sa.select(Order))
    login(client, world.member_a.user.phone)
    moved, buyers_session = [], session._get_current_object()  # not the proxy: inside the request it is the request's

    def buyer_cancels_first(_conn, _cursor, statement, *_args):
        """The buyer's cancel lands between the seller's page reading the order and moving it."""
        if statement.startswith("UPDATE orders SET status") and not moved:
            moved.append(True)
            buyers_session.execute(sa.update(Order).where(Order.id == order.id).values(status="cancelled"))
            buyers_session.commit()

    engine = app.extensions["haat.db"].kw["bind"]
    sa.event.listen(engine, "before_cursor_execute", buyer_cancels_first)
    try:
        page = client.post(f"/orders/{order.id}/status", data={"to": "confirmed"}, follow_redirects=True).text
    finally:
        sa.event.remove(engine, "before_cursor_execute", buyer_cancels_first)
    assert moved and "Someone changed this order just now. Look again." in page
    reload(session)
    assert session.get(Order, order.id).status == "cancelled"


@pytest.fixture
def app_with_test_pages(make_app):
    """The app with two pages of this test's own: one whose domain error no view catches, one with a bug."""
    app = make_app()

    def refused():
        raise OrderError(_l("Write a message first."))

    def bug():
        raise IllegalTransition("system cannot move an order from completed to placed")

    app.add_url_rule("/test/refused", view_func=refused)
    app.add_url_rule("/test/bug", view_func=bug)
    return app


def test_a_refusal_no_view_caught_is_a_400_with_its_message_in_her_language(app_with_test_pages):
    client = app_with_test_pages.test_client()
    client.set_cookie("lang", "hi")
    page = client.get("/test/refused")
    assert page.status_code == 400 and "पहले मैसेज लिखें" in page.text


def test_a_bug_is_not_a_refusal_it_is_the_500(app_with_test_pages):
    app_with_test_pages.config["PROPAGATE_EXCEPTIONS"] = False  # as in production: the handler, not the test
    page = app_with_test_pages.test_client().get("/test/bug")
    assert page.status_code == 500 and "Something went wrong on our side" in page.text
