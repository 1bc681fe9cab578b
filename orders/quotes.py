"""Requests for a quote: the wholesaler asks, the seller answers from her phone, an accepted quote
becomes an order at the agreed price. A small state machine like the order's, pure and tested."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from catalog.models import Variant
from catalog.permissions import owns_business
from market.core import clock
from market.core.db import MAX_ID, rows_matched
from market.core.models import Role, User
from market.core.money import MAX_STORED_PAISE
from market.core.notifications import notify
from market.core.security import hide_contacts
from orders.models import Checkout, Order, OrderEvent, OrderLine, QuoteRequest
from orders.services import (
    DELIVERY_FEES,
    MAX_QUANTITY,
    OrderError,
    check_address,
    is_approved_wholesaler,
    take_stock,
)
from orders.status import Actor, OrderStatus

# (from, to) -> who may make the move
QUOTE_MOVES = {
    ("requested", "accepted"): Actor.SELLER,
    ("requested", "countered"): Actor.SELLER,
    ("requested", "declined"): Actor.SELLER,
    ("countered", "countered"): Actor.SELLER,  # she may change her counter-offer
    ("countered", "accepted"): Actor.BUYER,
    ("countered", "declined"): Actor.BUYER,
    ("accepted", "ordered"): Actor.BUYER,
}


def quote_actor(user: User, quote: QuoteRequest) -> Actor | None:
    """The seller (an owner of the shop) or the buyer who asked; nobody else."""
    if owns_business(user, quote.business):
        return Actor.SELLER
    if quote.buyer_id == user.id:
        return Actor.BUYER
    return None


def _move(quote: QuoteRequest, target: str, actor: Actor) -> None:
    if QUOTE_MOVES.get((quote.status, target)) != actor:
        raise OrderError(_l("That cannot be done to this quote now."))
    quote.status = target


def request_quote(session: Session, buyer: User, variant_id: int, quantity: int, target_price_paise: int,
                  needed_by: date, note: str = "", today: date | None = None) -> QuoteRequest:
    """A wholesaler's request for a quote on a listed product."""
    if buyer.role != Role.WHOLESALER:
        raise OrderError(_l("Quotes are for wholesale accounts."))
    if not is_approved_wholesaler(session, buyer):
        raise OrderError(_l("You can ask for quotes once staff have approved your wholesale account."))
    variant = session.get(Variant, variant_id) if 0 < variant_id <= MAX_ID else None  # a typed-in id may overflow
    if variant is None or not variant.product.listed:
        raise OrderError(_l("This product is not on sale any more."))
    if not 1 <= quantity <= MAX_QUANTITY:
        raise OrderError(_l("Ask for between 1 and %(n)s pieces.", n=MAX_QUANTITY))
    if target_price_paise <= 0:
        raise OrderError(_l("Offer a price above zero."))
    if quantity * target_price_paise > MAX_STORED_PAISE:
        raise OrderError(_l("That amount is too large."))
    if needed_by < (today or clock.today()):
        raise OrderError(_l("The date needed cannot be in the past."))
    quote = QuoteRequest(buyer_id=buyer.id, business_id=variant.product.business_id, variant_id=variant.id,
                         quantity=quantity, target_price_paise=target_price_paise, needed_by=needed_by,
                         note=hide_contacts(note.strip())[:500])  # the seller reads it, as a message
    session.add(quote)
    session.flush()
    notify(session, variant.product.business.owner_users,
           lambda: _l("A shop asks for a price: %(q)s × %(t)s", q=quantity, t=variant.product.title), "",
           f"/quotes/{quote.id}")
    return quote


def answer(session: Session, quote: QuoteRequest, actor: Actor, decision: str,
           counter_price_paise: int | None = None) -> None:
    """Seller: accept, counter (with a price) or decline. Buyer: accept or decline a counter-offer."""
    if decision == "countered":
        if not counter_price_paise or counter_price_paise <= 0:
            raise OrderError(_l("Give your price per piece."))
        if quote.quantity * counter_price_paise > MAX_STORED_PAISE:  # the order it may become must fit
            raise OrderError(_l("That amount is too large."))
        _move(quote, "countered", actor)
        quote.counter_price_paise = counter_price_paise
    elif decision in ("accepted", "declined"):
        _move(quote, decision, actor)
    else:
        raise OrderError(_l("That cannot be done to this quote now."))
    session.flush()
    to = [quote.buyer] if actor == Actor.SELLER else quote.business.owner_users
    notify(session, to, lambda: _l("Your quote for %(t)s was answered", t=quote.variant.product.title), "",
           f"/quotes/{quote.id}")


def order_from_quote(session: Session, quote: QuoteRequest, buyer: User, delivery: str,
                     ship_to: tuple[str, str, str] = ("", "", ""), advance_percent: int = 0) -> Order:
    """Turn an accepted quote into an order at the agreed price, taking the stock (once). It is paid in parts:
    `advance_percent` of its total before she makes it, the rest before dispatch or on delivery (payments.dues)."""
    if not 0 <= advance_percent <= 100:
        raise OrderError(_l("That cannot be done to this quote now."))
    if delivery not in DELIVERY_FEES:
        raise OrderError(_l("Choose how the order reaches you."))
    if delivery != "pickup" and not all(part.strip() for part in ship_to):
        raise OrderError(_l("Give a name, address and pincode for delivery."))
    if delivery != "pickup":
        check_address(*ship_to)
    if quote.buyer_id != buyer.id or quote.status != "accepted":
        raise OrderError(_l("That cannot be done to this quote now."))
    if quote.quantity * quote.agreed_price_paise + DELIVERY_FEES[delivery] > MAX_STORED_PAISE:
        raise OrderError(_l("That amount is too large."))
    # The status change is a conditional update: two presses of "order now" make one order.
    done = session.execute(sa.update(QuoteRequest).where(QuoteRequest.id == quote.id,
                                                         QuoteRequest.status == "accepted")
                           .values(status="ordered").execution_options(synchronize_session=False))
    if rows_matched(done) != 1:
        raise OrderError(_l("This quote is already an order."))
    session.expire(quote, ["status"])
    variant = quote.variant
    if not variant.product.made_to_order:
        if variant.stock < quote.quantity:  # agreed on more than she has: not "sold out while ordering"
            raise OrderError(_l("Only %(n)s left: ask the shop to add more, then order.", n=variant.stock))
        take_stock(session, variant, quote.quantity)
    subtotal, fee = quote.quantity * quote.agreed_price_paise, DELIVERY_FEES[delivery]
    checkout = Checkout(buyer_id=buyer.id, idempotency_key=f"quote-{quote.id}", total_paise=subtotal + fee)
    name, address, pincode = ship_to if delivery != "pickup" else ("", "", "")
    order = Order(checkout=checkout, business_id=quote.business_id, buyer_id=buyer.id, wholesale=True,
                  delivery=delivery, pickup_point=quote.business.group.organisation.pickup_address,
                  ship_to_name=name, ship_to_address=address, ship_to_pincode=pincode,
                  subtotal_paise=subtotal, delivery_fee_paise=fee, total_paise=subtotal + fee,
                  advance_percent=advance_percent)
    order.lines = [OrderLine(product_id=variant.product_id, variant_id=variant.id, title=variant.product.title,
                             option=variant.label, quantity=quote.quantity, unit_price_paise=quote.agreed_price_paise,
                             line_total_paise=subtotal, made_to_order=variant.product.made_to_order)]
    order.events = [OrderEvent(actor_id=buyer.id, actor_role=Actor.BUYER, from_status=None,
                               to_status=OrderStatus.PLACED, note=f"from quote {quote.id}")]
    session.add(order)
    session.flush()
    quote.order_id = order.id
    session.flush()
    return order
