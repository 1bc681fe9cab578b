"""A checkout (its page, then "Place order") costs a fixed, small number of statements: her account with this
login in one query, her cart with all its pricing needs in one, a statement per table written whatever the number
of shops and lines, and one conditional stock update per line, last."""

import contextlib

import pytest
import sqlalchemy as sa

from market.core import db
from orders.models import Order
from tests.conftest import login, reload, statements_sent
from tests.factories import gen_product
from tests.functional.orders.test_ordering import checkout_form


@contextlib.contextmanager
def statements(app):
    """The statements sent meanwhile, each as its first three words."""
    with app.app_context():
        engine = db.engine()
    with statements_sent(engine) as seen:
        yield seen
    seen[:] = [statement.split(None, 3)[:3] for statement in seen]


@pytest.fixture
def goods(world, session):
    kurti = gen_product(session, world.shop_a, title="Indigo kurti", price_paise=45_000, stock=5)
    podi = gen_product(session, world.shop_b, title="Idli podi", category_slug="spices", price_paise=11_000, stock=9)
    session.commit()
    return kurti, podi


def test_a_checkout_of_two_shops_costs_two_queries_to_show_and_ten_to_place(client, app, world, goods, session):
    kurti, podi = goods
    login(client, world.buyer.email)
    client.post("/cart/add", data={"variant": kurti.variants[0].id, "quantity": 2})
    client.post("/cart/add", data={"variant": podi.variants[0].id, "quantity": 1})
    client.get("/checkout")  # the first look of this login writes when it was last seen: not counted
    with statements(app) as page:
        form = checkout_form(client, pay_with="upi", **{f"delivery-{world.shop_a.id}": "pickup",
                                                         f"delivery-{world.shop_b.id}": "pickup"})
    # Her account with this login; her cart with its variants, products, shops, groups and collectives. No count
    # of unread notifications, no photos.
    assert len(page) == 2, page
    with statements(app) as placing:
        response = client.post("/checkout", data=form)
    assert response.status_code == 302 and "/payments/pay/" in response.headers["Location"]
    writes = [s for s in placing if s[0] != "SELECT"]
    assert len(placing) - len(writes) == 2, placing  # as for the page
    # One INSERT per table for both shops and both lines (checkouts, orders, order events, order lines, payments)
    # and one DELETE for the cart's items; then each line's stock, last.
    inserts = [s[2] for s in writes if s[0] == "INSERT"]
    tables = ["checkouts", "order_events", "order_lines", "orders", "payments"]
    with app.app_context():
        dialect = db.engine().dialect.name
    if dialect == "postgresql":
        assert sorted(inserts) == tables, inserts
    else:  # SQLite gives RETURNING's rows in no sure order: SQLAlchemy inserts row by row (in-process, no round trip)
        assert sorted(set(inserts)) == tables, inserts
    assert [s[:3] for s in writes if s[0] == "DELETE"] == [["DELETE", "FROM", "cart_items"]]
    assert [s[:2] for s in writes[-2:]] == [["UPDATE", "variants"]] * 2
    assert len(writes) == len(inserts) + 3, writes
    reload(session)
    assert len(session.scalars(sa.select(Order)).all()) == 2
