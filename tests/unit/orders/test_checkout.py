"""Carts, prices, tiers, MOQs, the split into one order per business, stock and transitions."""

import pytest
import sqlalchemy as sa

from catalog.models import Product, Variant
from catalog.services import TierData, VariantData
from market.core import events
from orders.models import Checkout, Order, OrderEvent
from orders.services import (
    DELIVERY_FEES,
    AlreadyPlaced,
    Delivery,
    OrderError,
    PricesChanged,
    actor_for,
    cart_for,
    merge_guest_cart,
    move,
    place_order,
    quote,
    reorder,
    set_quantity,
    unit_price,
)
from orders.status import Actor, IllegalTransition, OrderStatus
from tests.factories import gen_business, gen_product, gen_user, gen_wholesaler

TIERS = [(10, 400), (50, 350)]


@pytest.mark.parametrize(("qty", "wholesale", "price"), [
    (1, False, 450), (10, False, 450), (9, True, 450), (10, True, 400), (49, True, 400), (50, True, 350),
])
def test_tier_prices_apply_to_wholesalers_from_their_quantity(qty, wholesale, price):
    assert unit_price(450, TIERS, qty, wholesale) == price


def pickup(*shops):
    return Delivery({shop.id: "pickup" for shop in shops})


@pytest.fixture
def two_shops(session):
    a, b = gen_business(session, public_name="Asha Prints"), gen_business(session, public_name="Bela Foods")
    kurti = gen_product(session, a, price_paise=45_000, stock=5)
    pickle = gen_product(session, b, category_slug="pickles", price_paise=22_000, stock=3)
    return a, b, kurti, pickle


def test_a_two_shop_cart_becomes_one_checkout_and_one_order_per_shop(session, two_shops):
    a, b, kurti, pickle = two_shops
    buyer = gen_user(session)
    cart = cart_for(session, buyer, None, create=True)
    set_quantity(session, cart, kurti.variants[0].id, 2)
    set_quantity(session, cart, pickle.variants[0].id, 1)
    checkout = place_order(session, buyer, cart, "key-1", pickup(a, b), 2 * 45_000 + 22_000)
    orders = sorted(checkout.orders, key=lambda o: o.business_id)
    assert [(o.business_id, o.total_paise, o.status) for o in orders] == [(a.id, 90_000, "placed"),
                                                                           (b.id, 22_000, "placed")]
    assert checkout.total_paise == 112_000
    assert orders[0].lines[0].title == kurti.title and orders[0].lines[0].quantity == 2
    assert orders[0].pickup_point == a.group.organisation.pickup_address
    session.refresh(kurti.variants[0])
    assert kurti.variants[0].stock == 3
    assert cart.items == []
    assert session.scalar(sa.select(OrderEvent.to_status)) == "placed"


def test_delivery_fees_and_address(session, two_shops):
    a, b, kurti, pickle = two_shops
    buyer = gen_user(session)
    cart = cart_for(session, buyer, None, create=True)
    set_quantity(session, cart, kurti.variants[0].id, 1)
    set_quantity(session, cart, pickle.variants[0].id, 1)
    delivery = Delivery({a.id: "courier", b.id: "pickup"}, "Meera", "12 MG Road, Pune", "411001")
    with pytest.raises(OrderError, match="6 digits"):
        place_order(session, buyer, cart, "k", Delivery(delivery.methods, "Meera", "12 MG Road", "4110"), 0)
    expected = 45_000 + 22_000 + DELIVERY_FEES["courier"]
    checkout = place_order(session, buyer, cart, "k2", delivery, expected)
    courier = next(o for o in checkout.orders if o.business_id == a.id)
    assert (courier.delivery_fee_paise, courier.ship_to_pincode) == (80_00, "411001")
    collected = next(o for o in checkout.orders if o.business_id == b.id)
    assert collected.ship_to_address == "" and collected.delivery_fee_paise == 0


def test_a_changed_price_is_caught_at_checkout(session, two_shops):
    a, _b, kurti, _pickle = two_shops
    buyer = gen_user(session)
    cart = cart_for(session, buyer, None, create=True)
    set_quantity(session, cart, kurti.variants[0].id, 1)
    seen = quote(session, cart, buyer).total_paise({a.id: "pickup"})
    kurti.variants[0].price_paise = 50_000
    session.flush()
    with pytest.raises(PricesChanged):
        place_order(session, buyer, cart, "k", pickup(a), seen)
    assert session.scalar(sa.select(sa.func.count()).select_from(Order)) == 0


def test_the_same_key_places_once(session, two_shops):
    a, _b, kurti, _pickle = two_shops
    buyer = gen_user(session)
    cart = cart_for(session, buyer, None, create=True)
    set_quantity(session, cart, kurti.variants[0].id, 1)
    first = place_order(session, buyer, cart, "double-click", pickup(a), 45_000)
    set_quantity(session, cart, kurti.variants[0].id, 1)
    with pytest.raises(AlreadyPlaced) as exc:
        place_order(session, buyer, cart, "double-click", pickup(a), 45_000)
    assert exc.value.checkout_id == first.id
    assert session.scalar(sa.select(sa.func.count()).select_from(Checkout)) == 1


def test_stock_is_never_oversold(session):
    product = gen_product(session, stock=2)
    variant = product.variants[0]
    buyers = [gen_user(session) for _ in range(2)]
    carts = [cart_for(session, b, None, create=True) for b in buyers]
    for cart in carts:
        set_quantity(session, cart, variant.id, 2)
    place_order(session, buyers[0], carts[0], "k1", pickup(product.business), 2 * 45_000)
    with pytest.raises(OrderError, match="only 0 left|sold out"):
        place_order(session, buyers[1], carts[1], "k2", pickup(product.business), 2 * 45_000)
    session.refresh(variant)
    session.refresh(product)
    assert variant.stock == 0 and not product.in_stock


def test_made_to_order_takes_no_stock(session):
    product = gen_product(session, stock=0, made_to_order=True, lead_time_days=5)
    buyer = gen_user(session)
    cart = cart_for(session, buyer, None, create=True)
    set_quantity(session, cart, product.variants[0].id, 30)
    place_order(session, buyer, cart, "k", pickup(product.business), 30 * 45_000)
    assert session.get(Variant, product.variants[0].id).stock == 0


@pytest.mark.parametrize(("quantity", "message"), [(6, "Only 5 left"), (0, None), (10_001, "At most")])
def test_cart_quantities_are_checked(session, quantity, message):
    product = gen_product(session, stock=5)
    cart = cart_for(session, gen_user(session), None, create=True)
    if message is None:
        set_quantity(session, cart, product.variants[0].id, quantity)
        assert cart.items == []
        return
    with pytest.raises(OrderError, match=message):
        set_quantity(session, cart, product.variants[0].id, quantity)


def test_unlisted_products_cannot_be_added(session):
    product = gen_product(session, publish=False)
    cart = cart_for(session, gen_user(session), None, create=True)
    with pytest.raises(OrderError, match="not on sale"):
        set_quantity(session, cart, product.variants[0].id, 1)


def test_wholesalers_get_tiers_and_must_meet_the_moq(session):
    product = gen_product(session, price_paise=45_000, stock=500,
                          tiers=[TierData(10, 40_000), TierData(50, 38_000)], wholesale_min_qty=10)
    trader, pending, retail = gen_wholesaler(session), gen_wholesaler(session, approved=False), gen_user(session)
    for buyer, qty, unit, problem in ((trader, 50, 38_000, None), (trader, 5, 45_000, "smallest wholesale order"),
                                      (pending, 50, 45_000, None), (retail, 50, 45_000, None)):
        cart = cart_for(session, buyer, None, create=True)
        set_quantity(session, cart, product.variants[0].id, qty)
        q = quote(session, cart, buyer)
        assert q.shops[0].lines[0].unit_price_paise == unit
        assert (problem in " ".join(q.problems)) if problem else not q.problems


def test_tiers_count_all_variants_of_a_product_together(session):
    product = gen_product(session, variants=[VariantData(45_000, 100, "M"), VariantData(45_000, 100, "L")],
                          tiers=[TierData(10, 40_000)])
    trader = gen_wholesaler(session)
    cart = cart_for(session, trader, None, create=True)
    set_quantity(session, cart, product.variants[0].id, 6)
    set_quantity(session, cart, product.variants[1].id, 4)
    assert {line.unit_price_paise for line in quote(session, cart, trader).shops[0].lines} == {40_000}


def test_a_guest_cart_joins_the_account_cart_on_login(session):
    product = gen_product(session, stock=10)
    guest = cart_for(session, None, None, create=True)
    set_quantity(session, guest, product.variants[0].id, 2)
    user = gen_user(session)
    mine = cart_for(session, user, None, create=True)
    set_quantity(session, mine, product.variants[0].id, 1)
    merge_guest_cart(session, user, guest.token)
    assert [(i.variant_id, i.quantity) for i in cart_for(session, user, None).items] == [(product.variants[0].id, 3)]
    assert cart_for(session, None, guest.token) is None


def placed(session, stock=5, qty=2):
    product = gen_product(session, stock=stock)
    buyer = gen_user(session)
    cart = cart_for(session, buyer, None, create=True)
    set_quantity(session, cart, product.variants[0].id, qty)
    checkout = place_order(session, buyer, cart, f"k{product.id}", pickup(product.business), qty * 45_000)
    return checkout.orders[0], product, buyer


def test_the_seller_walks_the_order_to_collected_and_history_records_it(session):
    order, product, buyer = placed(session)
    seller = product.business.owners[0].user
    assert actor_for(seller, order) == Actor.SELLER and actor_for(buyer, order) == Actor.BUYER
    for target in (OrderStatus.CONFIRMED, OrderStatus.PACKED, OrderStatus.READY_FOR_PICKUP):
        move(session, order, target, seller, Actor.SELLER)
    move(session, order, OrderStatus.COLLECTED, buyer, Actor.BUYER)
    move(session, order, OrderStatus.COMPLETED, buyer, Actor.BUYER)
    events = session.scalars(sa.select(OrderEvent).where(OrderEvent.order_id == order.id)
                             .order_by(OrderEvent.id)).all()
    assert [(e.from_status, e.to_status, e.actor_role) for e in events] == [
        (None, "placed", "buyer"), ("placed", "confirmed", "seller"), ("confirmed", "packed", "seller"),
        ("packed", "ready_for_pickup", "seller"), ("ready_for_pickup", "collected", "buyer"),
        ("collected", "completed", "buyer")]


def test_each_move_is_announced_with_where_it_came_from_and_went(session):
    order, product, buyer = placed(session)
    seller = product.business.owners[0].user
    heard = []

    def listen(sender, order, before, after, actor):
        heard.append((order.id, before, after, actor))

    with events.order_moved.connected_to(listen):
        for target in (OrderStatus.CONFIRMED, OrderStatus.PACKED, OrderStatus.READY_FOR_PICKUP):
            move(session, order, target, seller, Actor.SELLER)
        move(session, order, OrderStatus.COLLECTED, buyer, Actor.BUYER)
    assert heard == [(order.id, "placed", "confirmed", "seller"), (order.id, "confirmed", "packed", "seller"),
                     (order.id, "packed", "ready_for_pickup", "seller"),
                     (order.id, "ready_for_pickup", "collected", "buyer")]


def test_cancelling_puts_the_stock_back(session):
    order, product, buyer = placed(session, stock=5, qty=2)
    move(session, order, OrderStatus.CANCELLED, buyer, Actor.BUYER)
    assert session.get(Variant, product.variants[0].id).stock == 5
    assert session.get(Product, product.id).in_stock


def test_illegal_moves_change_nothing(session):
    order, _product, buyer = placed(session)
    with pytest.raises(IllegalTransition):
        move(session, order, OrderStatus.SHIPPED, buyer, Actor.BUYER)
    with pytest.raises(IllegalTransition):
        move(session, order, OrderStatus.CONFIRMED, buyer, Actor.BUYER)
    assert session.get(Order, order.id).status == "placed"


def test_reorder_refills_the_cart(session):
    order, product, buyer = placed(session, stock=3, qty=2)
    cart = cart_for(session, buyer, None, create=True)
    assert reorder(session, order, cart) == [f"{product.title}: Only 1 left."]
    product.variants[0].stock = 10
    session.flush()
    assert reorder(session, order, cart) == []
    assert cart.items[0].quantity == 2


def test_a_fault_halfway_through_checkout_leaves_no_half_order(session, two_shops, monkeypatch):
    """The checkout row is written first (in a savepoint); a crash at the second shop must undo it too."""
    import orders.services

    a, b, kurti, pickle = two_shops
    buyer = gen_user(session)
    cart = cart_for(session, buyer, None, create=True)
    set_quantity(session, cart, kurti.variants[0].id, 1)
    set_quantity(session, cart, pickle.variants[0].id, 1)
    session.commit()
    real, calls = orders.services._take, []

    def crash_on_second(s, variant_id, *rest):
        calls.append(variant_id)
        if len(calls) == 2:
            raise RuntimeError("injected fault")
        real(s, variant_id, *rest)

    monkeypatch.setattr(orders.services, "_take", crash_on_second)
    with pytest.raises(RuntimeError):
        place_order(session, buyer, cart, "crash", pickup(a, b), 45_000 + 22_000)
    session.rollback()
    assert session.scalar(sa.select(sa.func.count()).select_from(Checkout)) == 0
    assert session.scalar(sa.select(sa.func.count()).select_from(Order)) == 0
    assert session.get(Variant, kurti.variants[0].id).stock == 5
    assert len(cart_for(session, buyer, None).items) == 2
