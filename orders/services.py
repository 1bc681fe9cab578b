"""Cart, checkout and order services. They flush, never commit; the view commits once.

Stock is taken with one conditional UPDATE per line (`stock = stock - n WHERE stock >= n`), which is
atomic on SQLite and PostgreSQL alike: two buyers can never both get the last piece.
"""

from __future__ import annotations

import secrets
from collections import defaultdict
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from catalog.models import Product, Variant
from catalog.permissions import owns_business
from market.core import events
from market.core.db import rows_matched, utcnow
from market.core.errors import Refusal
from market.core.models import Role, User
from market.core.money import MAX_STORED_PAISE, format_inr
from market.core.notifications import notify
from market.core.security import hide_contacts
from orders.hsn import pincode_state
from orders.invoices.gst import validate_gstin
from orders.models import Cart, CartItem, Checkout, Order, OrderEvent, OrderLine, OrderMessage, WholesalerProfile
from orders.status import OPEN, RELEASES_STOCK, Actor, OrderStatus, check_move
from vendors.models import Business, SelfHelpGroup

MAX_QUANTITY = 10_000
DELIVERY_FEES = {"pickup": 0, "local": 40_00, "courier": 80_00}  # paise per business order


class OrderError(Refusal):
    """A cart or order request that cannot be done; the message is for the buyer or seller."""


class PricesChanged(OrderError):
    """Something in the cart changed since the buyer last saw the total."""


class AlreadyPlaced(Exception):  # noqa: N818 - not an error: the first click already placed it
    """This checkout key was used before: the orders exist already (checkout_id is None when a concurrent
    click won the race: the caller rolls back and looks the checkout up by its key)."""

    def __init__(self, checkout_id: int | None):
        super().__init__(checkout_id)
        self.checkout_id = checkout_id


# -- pricing (pure) -------------------------------------------------------------------------------------------

def unit_price(variant_price: int, tiers: list[tuple[int, int]], product_quantity: int, wholesale: bool) -> int:
    """The price per piece: the best wholesale tier reached by the quantity of this product, for wholesalers."""
    price = variant_price
    if wholesale:
        for min_qty, tier_price in tiers:
            if product_quantity >= min_qty:
                price = min(price, tier_price)
    return price


def is_approved_wholesaler(session: Session, user: User | None) -> bool:
    """Tier prices and MOQs apply to wholesaler accounts that staff or an admin approved."""
    if user is None or not user.is_authenticated or user.role != Role.WHOLESALER:
        return False
    return session.scalar(sa.select(WholesalerProfile.status).where(WholesalerProfile.user_id == user.id)) \
        == "approved"


# -- carts ----------------------------------------------------------------------------------------------------

def cart_for(session: Session, user: User | None, token: str | None, create: bool = False,
             priced: bool = False) -> Cart | None:
    """The account's cart, else the guest's (by cookie token); made on demand. priced: read with what quote()
    needs of each item (its variant, product, shop, group and collective) in the same query."""
    if user is not None and user.is_authenticated:
        cart = _cart_with_items(session, Cart.user_id == user.id, priced=priced)
        if cart is None and create:
            cart = Cart(user_id=user.id, token=secrets.token_urlsafe(32))
            session.add(cart)
            session.flush()
        return cart
    cart = _cart_with_items(session, Cart.token == token, Cart.user_id.is_(None), priced=priced) if token else None
    if cart is None and create:
        cart = Cart(token=secrets.token_urlsafe(32))
        session.add(cart)
        session.flush()
    return cart


def _cart_with_items(session: Session, *where, priced: bool = False) -> Cart | None:
    items = joinedload(Cart.items)
    if priced:
        product = items.joinedload(CartItem.variant, innerjoin=True).joinedload(Variant.product, innerjoin=True)
        items = _with_seller(product)
    return session.execute(sa.select(Cart).where(*where).options(items)).unique().scalar_one_or_none()


def _with_seller(product):
    """A product's shop, its group and the group's collective (the pickup address): loaded with the product."""
    return (product.joinedload(Product.business, innerjoin=True).joinedload(Business.group, innerjoin=True)
            .joinedload(SelfHelpGroup.organisation, innerjoin=True))


def merge_guest_cart(session: Session, user: User, token: str | None) -> None:
    """On login, move what the guest put in her cart into the account's cart."""
    guest = cart_for(session, None, token)
    if guest is None or not guest.items:
        return
    mine = cart_for(session, user, None, create=True)
    assert mine is not None  # create=True makes one
    for item in list(guest.items):
        set_quantity(session, mine, item.variant_id, _current(mine, item.variant_id) + item.quantity)
    session.delete(guest)
    session.flush()


def _current(cart: Cart, variant_id: int) -> int:
    return next((i.quantity for i in cart.items if i.variant_id == variant_id), 0)


def set_quantity(session: Session, cart: Cart, variant_id: int, quantity: int) -> None:
    """Put `quantity` of a variant in the cart (0 removes it). Refuses what cannot be bought."""
    item = next((i for i in cart.items if i.variant_id == variant_id), None)
    if quantity <= 0:
        if item is not None:
            cart.items.remove(item)
            session.flush()
        return
    if quantity > MAX_QUANTITY:
        raise OrderError(_l("At most %(n)s pieces at a time.", n=MAX_QUANTITY))
    variant = session.get(Variant, variant_id)
    if variant is None or not variant.product.listed:
        raise OrderError(_l("This product is not on sale any more."))
    if not variant.product.made_to_order and quantity > variant.stock:
        raise OrderError(_l("Only %(n)s left.", n=variant.stock) if variant.stock else _l("This is sold out."))
    if item is None:
        cart.items.append(CartItem(variant_id=variant_id, quantity=quantity))
    else:
        item.quantity = quantity
    session.flush()


def remove_from_carts(session: Session, business_ids: list[int]) -> int:
    """Take the products of these shops out of every cart (the shops closed for good); how many lines."""
    variants = sa.select(Variant.id).join(Product).where(Product.business_id.in_(business_ids))
    result = session.execute(sa.delete(CartItem).where(CartItem.variant_id.in_(variants))
                             .execution_options(synchronize_session=False))
    session.flush()
    return rows_matched(result)


def unfinished_orders(session: Session, business_ids: list[int]) -> int:
    """How many orders of these shops still wait for their seller: open, or with a refund asked for."""
    waiting = [*OPEN, OrderStatus.REFUND_REQUESTED]
    return session.scalar(sa.select(sa.func.count()).select_from(Order)
                          .where(Order.business_id.in_(business_ids), Order.status.in_(waiting))) or 0


# -- what the cart costs now ----------------------------------------------------------------------------------

@dataclass
class QuotedLine:
    variant: Variant
    quantity: int
    unit_price_paise: int

    @property
    def total_paise(self) -> int:
        return self.quantity * self.unit_price_paise


@dataclass
class QuotedShop:
    business: Business
    lines: list[QuotedLine] = field(default_factory=list)

    @property
    def subtotal_paise(self) -> int:
        return sum(line.total_paise for line in self.lines)


@dataclass
class Quote:
    """The cart priced now, one group per business, with every problem that stops checkout."""

    shops: list[QuotedShop]
    problems: list[str]
    wholesale: bool

    @property
    def subtotal_paise(self) -> int:
        return sum(shop.subtotal_paise for shop in self.shops)

    def total_paise(self, deliveries: dict[int, str]) -> int:
        """Subtotal plus each shop's delivery fee for the chosen delivery (none chosen yet, or no such way: 0;
        placing the order refuses that with a message)."""
        return self.subtotal_paise + sum(DELIVERY_FEES.get(deliveries.get(s.business.id, "pickup"), 0)
                                         for s in self.shops)


def quote(session: Session, cart: Cart | None, buyer: User | None, photos: bool = True) -> Quote:
    """Price the cart with today's prices, tiers and stock. photos: with the products' photos (the cart's
    thumbnails). A cart read `priced` (cart_for) is priced without another query, unless photos or a
    wholesaler's tiers are wanted."""
    wholesale = is_approved_wholesaler(session, buyer)
    if cart is None or not cart.items:
        return Quote([], [], wholesale)
    if not photos and not wholesale and all("variant" not in sa.inspect(i).unloaded for i in cart.items):
        variants = {i.variant_id: i.variant for i in cart.items}
    else:
        with_product = joinedload(Variant.product, innerjoin=True)
        options = [_with_seller(with_product)]
        if photos:
            options.append(with_product.selectinload(Product.photos))
        if wholesale:
            options.append(with_product.selectinload(Product.tiers))
        stmt = sa.select(Variant).where(Variant.id.in_([i.variant_id for i in cart.items])).options(*options)
        variants = {v.id: v for v in session.scalars(stmt).unique()}
    per_product: dict[int, int] = defaultdict(int)
    for item in cart.items:
        per_product[variants[item.variant_id].product_id] += item.quantity
    shops: dict[int, QuotedShop] = {}
    problems: list[str] = []
    for item in cart.items:
        variant = variants[item.variant_id]
        product = variant.product
        if not product.listed:
            problems.append(str(_l("%(t)s is not on sale any more: remove it.", t=product.title)))
            continue
        if not product.made_to_order and item.quantity > variant.stock:
            problems.append(str(_l("%(t)s: only %(n)s left.", t=product.title, n=variant.stock)))
        if wholesale and product.wholesale_min_qty and per_product[product.id] < product.wholesale_min_qty:
            problems.append(str(_l("%(t)s: the smallest wholesale order is %(n)s pieces.",
                                   t=product.title, n=product.wholesale_min_qty)))
        tiers = [(t.min_qty, t.unit_price_paise) for t in product.tiers] if wholesale else []
        price = unit_price(variant.price_paise, tiers, per_product[product.id], wholesale)
        shop = shops.setdefault(product.business_id, QuotedShop(product.business))
        shop.lines.append(QuotedLine(variant, item.quantity, price))
    for shop in shops.values():
        if shop.business.is_paused:
            problems.append(str(_l("%(s)s is taking a break: remove its products.", s=shop.business.public_name)))
    return Quote(sorted(shops.values(), key=lambda s: s.business.public_name), problems, wholesale)


# -- placing the order ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Delivery:
    """How each shop's part reaches the buyer, and where, if not collected."""

    methods: dict[int, str]  # business id -> pickup | local | courier
    name: str = ""
    address: str = ""
    pincode: str = ""


def place_order(session: Session, buyer: User, cart: Cart, key: str, delivery: Delivery,
                expected_total_paise: int, current: Quote | None = None, announce_now: bool = True,
                stock_now: bool = True) -> Checkout:
    """One checkout and one order per business, stock taken, cart emptied; all or nothing.

    Sellers hear of the orders now, or (announce_now=False, for online payment) once the money arrives.
    stock_now=False: the caller takes the stock itself (take_stock_of), as the last thing before its commit.
    The checkout, its orders, their lines and events and the cart's emptying are written in one flush: a
    statement per table, whatever the number of shops and lines.

    Raises AlreadyPlaced if this key placed orders before (a double click), PricesChanged if the total
    is not what the buyer saw, OrderError for anything else. The caller rolls back on any error.
    """
    if buyer.suspended_reason:
        raise OrderError(_l("Your account is on hold: you cannot order now."))
    if current is None:  # the view has looked the key up and priced the cart already
        existing = session.scalar(sa.select(Checkout.id).where(Checkout.idempotency_key == key))
        if existing is not None:
            raise AlreadyPlaced(existing)
        current = quote(session, cart, buyer)
    if not current.shops:
        raise OrderError(_l("Your cart is empty."))
    if current.problems:
        raise OrderError(current.problems[0])
    _check_delivery(current, delivery)
    total = current.total_paise(delivery.methods)
    if total > MAX_STORED_PAISE:  # 10,000 pieces of a Rs 2,500 saree would overflow the order's columns
        raise OrderError(_l("That amount is too large."))
    if total != expected_total_paise:
        raise PricesChanged(_l("Prices or stock changed since you looked. Check the new total and order again."))

    checkout = Checkout(buyer_id=buyer.id, idempotency_key=key, total_paise=total)
    session.add(checkout)
    made: list[Order] = []
    for shop in current.shops:
        method = delivery.methods[shop.business.id]
        fee = DELIVERY_FEES[method]
        # Sent to her, or (Rs 50,000 or more) billed to her: the GST invoice names her address.
        billed = method != "pickup" or shop.subtotal_paise >= BILL_NAMES_BUYER_PAISE
        order = Order(checkout=checkout, business_id=shop.business.id, buyer_id=buyer.id, wholesale=current.wholesale,
                      delivery=method, pickup_point=shop.business.group.organisation.pickup_address,
                      ship_to_name=delivery.name if billed else "",
                      ship_to_address=delivery.address if billed else "",
                      ship_to_pincode=delivery.pincode if billed else "",
                      subtotal_paise=shop.subtotal_paise, delivery_fee_paise=fee, total_paise=shop.subtotal_paise + fee)
        order.lines = [OrderLine(product_id=line.variant.product_id, variant_id=line.variant.id,
                                 title=line.variant.product.title, option=line.variant.label,
                                 quantity=line.quantity, unit_price_paise=line.unit_price_paise,
                                 line_total_paise=line.total_paise, made_to_order=line.variant.product.made_to_order)
                       for line in shop.lines]
        order.events = [OrderEvent(actor_id=buyer.id, actor_role=Actor.BUYER, from_status=None,
                                   to_status=OrderStatus.PLACED)]
        session.add(order)
        made.append(order)
    cart.items.clear()
    try:
        # The checkout's row is the flush's first INSERT (its orders refer to it): a second click racing this one
        # waits there, on the unique key, for the first to finish, then fails. No savepoint: the caller rolls the
        # whole transaction back, stock included.
        session.flush()
    except IntegrityError as exc:
        if "idempotency_key" in str(exc.orig):
            raise AlreadyPlaced(None) from None
        raise
    if announce_now:
        announce(session, made, paid=False)
    if stock_now:
        take_stock_of(session, made)
    return checkout


def announce(session: Session, orders: list[Order], paid: bool) -> None:
    """Tell each seller about her new order (once it is paid, for orders paid online)."""
    def subject(o: Order):
        n, amount = o.number, format_inr(o.total_paise)
        return _l("New paid order %(n)s: %(amount)s", n=n, amount=amount) if paid \
            else _l("New order %(n)s: %(amount)s", n=n, amount=amount)

    for order in orders:
        notify(session, order.business.owner_users, lambda o=order: subject(o),
               lambda o=order: lazy_ngettext("%(num)s item. Open it to accept.",
                                             "%(num)s items. Open it to accept.",
                                             sum(line.quantity for line in o.lines)),
               f"/orders/{order.id}", kind="payment_received" if paid else "new_order",
               sms=("payment_received" if paid else "new_order",
                    lambda o=order: {"n": o.number, "amount": format_inr(o.total_paise)}))


BILL_NAMES_BUYER_PAISE = 50_000_00  # CGST rule 46(e): an invoice of Rs 50,000 or more names the buyer's address


def needs_billing_address(current: Quote, methods: dict[int, str]) -> bool:
    """Whether an order collected from the office is of Rs 50,000 or more: its GST invoice must name the buyer,
    her address and state (CGST rule 46(e), unregistered buyers), so checkout asks for them even to collect."""
    return any(methods.get(s.business.id, "pickup") == "pickup" and s.subtotal_paise >= BILL_NAMES_BUYER_PAISE
               for s in current.shops)


def across_states_unregistered(current: Quote, methods: dict[int, str], pincode: str) -> list[Business]:
    """Shops not registered for GST that would send to another state: GST law does not let an unregistered
    supplier make an inter-state supply through an e-commerce operator, so checkout refuses it (no bill of
    supply across states). A pincode whose state we do not know is let through."""
    state = pincode_state(pincode.strip()) if pincode.strip() else None
    if state is None:
        return []
    return [s.business for s in current.shops if methods.get(s.business.id, "pickup") != "pickup"
            and not s.business.gst_registered and s.business.group.organisation.state_code != state]


def across_states_message(business: Business):
    """Why this shop cannot send the order to that state (shown by the shop on the checkout page, and refused)."""
    return _l("%(s)s is not registered for GST, and the law does not let it send to another state through an "
              "online marketplace. Collect this order from the collective office, or remove its products.",
              s=business.public_name)


BILLING_ADDRESS_NEEDED = _l("An order of ₹50,000 or more needs your name and address on its GST invoice: fill "
                            "them in below, even to collect it.")


def _check_delivery(current: Quote, delivery: Delivery) -> None:
    for shop in current.shops:
        method = delivery.methods.get(shop.business.id)
        if method not in DELIVERY_FEES:
            raise OrderError(_l("Choose how %(s)s's order reaches you.", s=shop.business.public_name))
    if any(m != "pickup" for m in delivery.methods.values()):
        check_address(delivery.name, delivery.address, delivery.pincode)
    if needs_billing_address(current, delivery.methods):
        if not delivery.name.strip() or not delivery.address.strip():
            raise OrderError(BILLING_ADDRESS_NEEDED)
        check_address(delivery.name, delivery.address, delivery.pincode)
    for business in across_states_unregistered(current, delivery.methods, delivery.pincode):
        raise OrderError(across_states_message(business))


def check_address(name: str, address: str, pincode: str) -> None:
    """Where an order is delivered: a name and an address the order's columns hold, and an Indian pincode."""
    if not name.strip() or not address.strip():
        raise OrderError(_l("Give a name and address for delivery."))
    if not (pincode.isascii() and pincode.isdigit() and len(pincode) == 6 and pincode[0] != "0"):
        raise OrderError(_l("The pincode has 6 digits."))
    for text, longest in ((name, 100), (address, 300)):
        if len(text) > longest:
            raise OrderError(lazy_ngettext("Field cannot be longer than %(max)d character.",
                                           "Field cannot be longer than %(max)d characters.", longest, max=longest))


def take_stock(session: Session, variant: Variant, quantity: int) -> None:
    """Atomically take `quantity` from stock, or raise OrderError if there is not that much left."""
    _take(session, variant.id, variant.product_id, quantity, variant.product.title)


def take_stock_of(session: Session, orders: list[Order]) -> None:
    """Take the pieces of these orders' lines from stock (made to order: none), or raise OrderError. Done last
    before the commit: a popular variant's row stays locked only from here to the commit. In the order of the
    variants' ids, so two carts sharing variants lock them in the same order: one may wait for the other, never
    both for each other (a deadlock)."""
    lines = sorted((line for order in orders for line in order.lines if not line.made_to_order),
                   key=lambda line: line.variant_id)
    for line in lines:
        _take(session, line.variant_id, line.product_id, line.quantity, line.title)


def _take(session: Session, variant_id: int, product_id: int, quantity: int, title: str) -> None:
    left = session.scalar(sa.update(Variant).where(Variant.id == variant_id, Variant.stock >= quantity)
                          .values(stock=Variant.stock - quantity).returning(Variant.stock)
                          .execution_options(synchronize_session=False))
    if left is None:
        raise OrderError(_l("%(t)s sold out while you were ordering.", t=title))
    loaded = session.identity_map.get(session.identity_key(Variant, variant_id))
    if loaded is not None:  # what this session read of it is out of date
        session.expire(loaded, ["stock"])
    if left == 0:
        _refresh_in_stock(session, product_id)


def release_stock(session: Session, order: Order) -> None:
    """Put back what the order took (cancelled, or payment never came)."""
    for line in order.lines:
        if not line.made_to_order:
            session.execute(sa.update(Variant).where(Variant.id == line.variant_id)
                            .values(stock=Variant.stock + line.quantity).execution_options(synchronize_session=False))
            _refresh_in_stock(session, line.product_id)
    session.expire_all()


def _refresh_in_stock(session: Session, product_id: int) -> None:
    any_left = sa.select(Variant.id).where(Variant.product_id == product_id, Variant.stock > 0).exists()
    session.execute(sa.update(Product).where(Product.id == product_id)
                    .values(in_stock=sa.or_(Product.made_to_order, any_left))
                    .execution_options(synchronize_session=False))


# -- after the order ------------------------------------------------------------------------------------------

def actor_for(user: User, order: Order) -> Actor | None:
    """How the user stands to the order: its seller, its buyer, an admin, or nobody."""
    if user.role == Role.ADMIN:
        return Actor.ADMIN
    if owns_business(user, order.business):
        return Actor.SELLER
    if order.buyer_id == user.id:
        return Actor.BUYER
    return None


@dataclass(frozen=True)
class Tracking:
    """How a courier order can be followed: the courier, its tracking number and its tracking page."""

    courier: str
    number: str
    link: str = ""


def check_tracking(courier: str, number: str, link: str) -> Tracking:
    """The courier's name and tracking number (both needed) and its tracking page (http or https), tidied.
    A phone number or e-mail address in them is hidden or refused: the buyer reads them."""
    courier, number, link = courier.strip(), number.strip(), link.strip()
    if not courier or not number:
        raise OrderError(_l("Write the courier's name and the tracking number."))
    if len(courier) > 60 or len(number) > 60:
        raise OrderError(lazy_ngettext("Field cannot be longer than %(max)d character.",
                                       "Field cannot be longer than %(max)d characters.", 60, max=60))
    if link:
        parts = urlsplit(link)
        if parts.scheme.lower() not in ("http", "https") or not parts.netloc or len(link) > 300 \
                or any(c.isspace() for c in link) or hide_contacts(link) != link:
            raise OrderError(_l("The tracking link starts with https:// (copy it from the courier's page)."))
    return Tracking(hide_contacts(courier), hide_contacts(number), link)


def move(session: Session, order: Order, target: OrderStatus, user: User | None, actor: Actor,
         note: str = "", tracking: Tracking | None = None) -> None:
    """Move the order through its state machine (its delivery method's moves) and record who did it; cancelling
    puts stock back; sending by courier needs its tracking. The money follows in market.flows.order_moves,
    which is what views call."""
    check_move(order.status, target, actor, order.delivery)
    if target == OrderStatus.SHIPPED and tracking is None:
        raise OrderError(_l("Write the courier's name and the tracking number."))
    values: dict[str, object] = {"status": target}
    if target == OrderStatus.SHIPPED and tracking is not None:
        values |= {"courier_name": tracking.courier, "tracking_number": tracking.number,
                   "tracking_url": tracking.link}
    # A conditional update: two taps (or two people) moving the same order cannot both succeed.
    result = session.execute(sa.update(Order).where(Order.id == order.id, Order.status == order.status)
                             .values(**values).execution_options(synchronize_session=False))
    if rows_matched(result) != 1:
        raise OrderError(_l("Someone changed this order just now. Look again."))
    session.add(OrderEvent(order_id=order.id, actor_id=user.id if user else None, actor_role=actor,
                           from_status=order.status, to_status=target, note=note[:300]))
    if target in RELEASES_STOCK:
        release_stock(session, order)
    before = OrderStatus(order.status)
    session.expire(order)
    session.flush()
    events.order_moved.send(session, order=order, before=before, after=target, actor=actor)
    body = (lambda: _l("Courier: %(c)s, tracking number %(t)s", c=tracking.courier, t=tracking.number)) \
        if target == OrderStatus.SHIPPED and tracking is not None else ""
    notify(session, _other_side(order, actor), lambda: _l("Order %(n)s is now: %(s)s", n=order.number,
                                                           s=STATUS_NAMES[target]), body, f"/orders/{order.id}",
           kind="order_update")


def post_message(session: Session, order: Order, user: User, actor: Actor, body: str) -> OrderMessage:
    """A message on the order page, from its buyer or its seller, without phone numbers or e-mail addresses."""
    if actor not in (Actor.BUYER, Actor.SELLER):  # shown as one side or the other: nobody else may write
        raise ValueError(f"{actor} cannot write on the order page")
    body = body.strip()
    if not body:
        raise OrderError(_l("Write a message first."))
    if len(body) > 1000:
        raise OrderError(_l("Keep the message under 1,000 letters."))
    message = OrderMessage(order_id=order.id, sender_id=user.id, from_seller=actor == Actor.SELLER,
                           body=hide_contacts(body))
    session.add(message)
    session.flush()
    notify(session, _other_side(order, actor), lambda: _l("New message about order %(n)s", n=order.number),
           message.body[:200], f"/orders/{order.id}#messages", kind="message")
    return message


def last_word_from_buyer(session: Session, order_ids: list[int]) -> set[int]:
    """The orders whose latest message is the buyer's: her seller has a message to read and answer (no page
    view is recorded: opening a page changes nothing, and her answer clears the mark)."""
    if not order_ids:
        return set()
    latest = (sa.select(sa.func.max(OrderMessage.id)).where(OrderMessage.order_id.in_(order_ids))
              .group_by(OrderMessage.order_id))
    return set(session.scalars(sa.select(OrderMessage.order_id).where(OrderMessage.id.in_(latest),
                                                                      ~OrderMessage.from_seller)))


def _other_side(order: Order, actor: Actor) -> list[User]:
    """Who should hear about what `actor` did: the buyer hears from the seller's side, and the other way."""
    if actor == Actor.BUYER:
        return order.business.owner_users
    return [order.buyer]


STATUS_NAMES = {
    OrderStatus.PLACED: _l("placed"), OrderStatus.CONFIRMED: _l("accepted"), OrderStatus.PACKED: _l("packed"),
    OrderStatus.READY_FOR_PICKUP: _l("ready for pickup"), OrderStatus.OUT_FOR_DELIVERY: _l("out for delivery"),
    OrderStatus.SHIPPED: _l("sent by courier"), OrderStatus.COLLECTED: _l("collected"),
    OrderStatus.DELIVERED: _l("delivered"), OrderStatus.COMPLETED: _l("completed"),
    OrderStatus.CANCELLED: _l("cancelled"), OrderStatus.REFUND_REQUESTED: _l("refund asked"),
    OrderStatus.REFUNDED: _l("refunded"),
}


def reorder(session: Session, order: Order, cart: Cart) -> list[str]:
    """Put the order's items back in the cart at today's stock; returns what could not be added."""
    skipped = []
    for line in order.lines:
        try:
            set_quantity(session, cart, line.variant_id, _current(cart, line.variant_id) + line.quantity)
        except OrderError as exc:
            skipped.append(f"{line.title}: {exc}")
    return skipped


# -- wholesale accounts ---------------------------------------------------------------------------------------

def check_wholesale_details(business_name: str, gstin: str | None) -> tuple[str, str | None]:
    """A wholesaler's business name and GSTIN, tidied; OrderError says what is wrong with the name, GstinError
    with the GSTIN (its shape, state code and check character: a typing slip is caught here, not by his tax
    officer when he claims the input tax)."""
    business_name = business_name.strip()
    if not business_name:
        raise OrderError(_l("Give your shop or business name."))
    return business_name, validate_gstin(gstin) if gstin and gstin.strip() else None


def set_wholesaler_gstin(session: Session, user: User, gstin: str) -> WholesalerProfile:
    """The wholesaler's GSTIN, given or corrected before his tax invoice is made. Raises GstinError, OrderError."""
    profile = session.get(WholesalerProfile, user.id)
    if profile is None:
        raise OrderError(_l("Quotes are for wholesale accounts."))
    profile.gstin = validate_gstin(gstin) if gstin.strip() else None
    session.flush()
    return profile


def apply_for_wholesale(session: Session, user: User, business_name: str, gstin: str | None) -> WholesalerProfile:
    """A wholesaler's details, waiting for staff or an admin to approve them."""
    business_name, gstin = check_wholesale_details(business_name, gstin)
    profile = WholesalerProfile(user_id=user.id, business_name=business_name, gstin=gstin)
    session.add(profile)
    session.flush()
    return profile


def decide_wholesaler(session: Session, profile: WholesalerProfile, approve: bool, decided_by: User) -> None:
    """Approve (tier prices apply from now) or reject a wholesaler account."""
    profile.status = "approved" if approve else "rejected"
    profile.decided_by_id, profile.decided_at = decided_by.id, utcnow()
    session.flush()
