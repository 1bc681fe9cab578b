"""Many buyers at once on one product: exactly the stock is sold, never more (SQLite and PostgreSQL)."""

import threading

import pytest
import sqlalchemy as sa

from catalog.models import Variant
from market.core import db
from orders.models import OrderLine
from orders.services import Delivery, OrderError, cart_for, place_order, set_quantity
from tests.conftest import PATIENCE
from tests.factories import gen_product, gen_user

BUYERS, STOCK, EACH = 12, 20, 2  # 24 pieces wanted, 20 there


@pytest.mark.real_commits
def test_concurrent_checkouts_never_oversell(make_app, session):
    product = gen_product(session, stock=STOCK)
    variant_id, shop_id = product.variants[0].id, product.business_id
    buyers = [gen_user(session) for _ in range(BUYERS)]
    for buyer in buyers:
        set_quantity(session, cart_for(session, buyer, None, create=True), variant_id, EACH)
    session.commit()
    buyer_ids = [b.id for b in buyers]
    app = make_app()
    start = threading.Barrier(BUYERS)
    outcomes: list[str] = []

    def buy(buyer_id: int) -> None:
        with app.app_context():
            from market.core.models import User

            buyer = db.session.get(User, buyer_id)
            cart = cart_for(db.session, buyer, None)
            start.wait()
            try:
                place_order(db.session, buyer, cart, f"key-{buyer_id}", Delivery({shop_id: "pickup"}),
                            EACH * 45_000)
                db.session.commit()
                outcomes.append("sold")
            except OrderError:
                db.session.rollback()
                outcomes.append("refused")

    threads = [threading.Thread(target=buy, args=(i,)) for i in buyer_ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join(PATIENCE)
    session.rollback()
    session.expire_all()
    sold = session.scalar(sa.select(sa.func.coalesce(sa.func.sum(OrderLine.quantity), 0)))
    assert outcomes.count("sold") == STOCK // EACH and outcomes.count("refused") == BUYERS - STOCK // EACH
    assert sold == STOCK
    assert session.get(Variant, variant_id).stock == 0
