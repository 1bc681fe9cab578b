"""Requests for a quote: the wholesaler asks, the seller answers from her phone, an accepted quote
becomes an order at the agreed price. Its moves are the table in orders.quote_status (pure); `_move` makes them.
Every offer is kept (QuoteOffer): the seller's terms (from stock, or made to order by a date; the advance), and
the buyer's counter-offers with his price on her terms."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa
from flask_babel import format_date
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from catalog.models import Variant
from catalog.permissions import owns_business
from market.core import clock, events
from market.core.db import MAX_ID, rows_matched, utcnow
from market.core.models import Role, User
from market.core.money import MAX_STORED_PAISE
from market.core.notifications import notify
from market.core.security import hide_contacts
from orders.models import Checkout, Order, OrderEvent, OrderLine, QuoteOffer, QuoteRequest
from orders.quote_status import QuoteMoveRefused, QuoteStatus, refuse_quote_move
from orders.services import (
    DELIVERY_FEES,
    MAX_QUANTITY,
    OrderError,
    check_address,
    is_approved_wholesaler,
    take_stock,
)
from orders.status import Actor, OrderStatus

MAX_VALID_DAYS = 90  # how far ahead an offer may be held
MAX_READY_DAYS = 366  # how far ahead made-to-order pieces may be promised


@dataclass(frozen=True)
class Terms:
    """One side's offer as typed: the price per piece, and (the seller's) how it is supplied and paid."""

    price_paise: int
    valid_until: date
    from_stock: bool = True
    ready_by: date | None = None
    advance_percent: int = 0
    note: str = ""


def quote_actor(user: User, quote: QuoteRequest) -> Actor | None:
    """The seller (an owner of the shop) or the buyer who asked; nobody else."""
    if owns_business(user, quote.business):
        return Actor.SELLER
    if quote.buyer_id == user.id:
        return Actor.BUYER
    return None


def stock_warning(quote: QuoteRequest):
    """What the seller is told before she answers when she has fewer pieces than asked (None: she has enough)."""
    variant = quote.variant
    if variant.stock >= quote.quantity:
        return None
    if variant.label:
        return _l("You have %(n)s of size %(o)s in stock; %(q)s asked. Offer it made to order, or add stock first.",
                  n=variant.stock, o=variant.label, q=quote.quantity)
    return _l("You have %(n)s in stock; %(q)s asked. Offer it made to order, or add stock first.",
              n=variant.stock, q=quote.quantity)


def _move(session: Session, quote: QuoteRequest, target: QuoteStatus, user: User, actor: Actor) -> None:
    """The one way a quote changes state: checked against QUOTE_MOVES, a conditional update (two taps, or both
    sides at once, make one move), the other side told, and `quote_moved` sent."""
    before = QuoteStatus(quote.status)
    refuse_quote_move(before, target, actor)
    done = session.execute(sa.update(QuoteRequest).where(QuoteRequest.id == quote.id, QuoteRequest.status == before)
                           .values(status=target, updated_at=utcnow())
                           .execution_options(synchronize_session=False))
    if rows_matched(done) != 1:
        raise QuoteMoveRefused(_l("Someone changed this quote just now. Look again."))
    session.expire(quote, ["status", "updated_at"])
    session.flush()
    to = [quote.buyer] if actor == Actor.SELLER else quote.business.owner_users
    title = quote.variant.product.title
    if target == QuoteStatus.ORDERED:
        subject = lambda: _l("An order was placed from the quote for %(t)s", t=title)  # noqa: E731
    else:
        subject = lambda: _l("Your quote for %(t)s was answered", t=title)  # noqa: E731
    notify(session, to, subject, "", f"/quotes/{quote.id}")
    events.quote_moved.send(session, quote=quote, before=before, after=target, actor=actor)


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


def offer(session: Session, quote: QuoteRequest, user: User, actor: Actor, terms: Terms,
          today: date | None = None) -> QuoteOffer:
    """The seller offers her terms (or changes them), or the buyer counters with his price (and keeps hers)."""
    today = today or clock.today()
    target = QuoteStatus.OFFERED if actor == Actor.SELLER else QuoteStatus.COUNTERED
    refuse_quote_move(quote.status, target, actor)  # a stale page says so before its values are checked
    if terms.price_paise <= 0:
        raise OrderError(_l("Give your price per piece."))
    if quote.quantity * terms.price_paise > MAX_STORED_PAISE:  # the order it may become must fit
        raise OrderError(_l("That amount is too large."))
    if not today <= terms.valid_until <= today + timedelta(days=MAX_VALID_DAYS):
        raise OrderError(_l("Choose a \"valid until\" date from today to %(n)s days ahead.", n=MAX_VALID_DAYS))
    if actor == Actor.SELLER:
        if not 0 <= terms.advance_percent <= 100:
            raise OrderError(_l("The advance is a percent from 0 to 100."))
        if terms.from_stock:
            warning = stock_warning(quote)
            if warning is not None:
                raise OrderError(warning)
        elif terms.ready_by is None or not today <= terms.ready_by <= today + timedelta(days=MAX_READY_DAYS):
            raise OrderError(_l("Choose the date it will be ready by."))
        made = QuoteOffer(side="seller", price_paise=terms.price_paise, from_stock=terms.from_stock,
                          ready_by=None if terms.from_stock else terms.ready_by,
                          advance_percent=terms.advance_percent, valid_until=terms.valid_until)
    else:
        hers = next(o for o in reversed(quote.offers) if o.side == "seller")  # countered only after her offer
        made = QuoteOffer(side="buyer", price_paise=terms.price_paise, from_stock=hers.from_stock,
                          ready_by=hers.ready_by, advance_percent=hers.advance_percent,
                          valid_until=terms.valid_until)
    made.actor_id, made.note = user.id, hide_contacts(terms.note.strip())[:300]
    _move(session, quote, target, user, actor)
    quote.offers.append(made)
    session.flush()
    return made


def accept(session: Session, quote: QuoteRequest, user: User, actor: Actor, today: date | None = None) -> None:
    """The side whose turn it is accepts the other's last offer, unless it has expired."""
    refuse_quote_move(quote.status, QuoteStatus.ACCEPTED, actor)
    offer = quote.last_offer
    if offer is not None and quote.expired(today or clock.today()):
        raise OrderError(_l("This offer was valid until %(d)s. Send a new price instead.",
                            d=format_date(offer.valid_until, "medium")))
    _move(session, quote, QuoteStatus.ACCEPTED, user, actor)


def decline(session: Session, quote: QuoteRequest, user: User, actor: Actor) -> None:
    """The side whose turn it is ends the quote."""
    _move(session, quote, QuoteStatus.DECLINED, user, actor)


def order_from_quote(session: Session, quote: QuoteRequest, buyer: User, delivery: str,
                     ship_to: tuple[str, str, str] = ("", "", "")) -> Order:
    """Turn an accepted quote into an order at the agreed price: from stock it takes the pieces (once); made to
    order it needs none. The order carries the agreed advance (the part paid before making or dispatch)."""
    if delivery not in DELIVERY_FEES:
        raise OrderError(_l("Choose how the order reaches you."))
    if delivery != "pickup" and not all(part.strip() for part in ship_to):
        raise OrderError(_l("Give a name, address and pincode for delivery."))
    if delivery != "pickup":
        check_address(*ship_to)
    if quote.status == QuoteStatus.ORDERED:
        raise OrderError(_l("This quote is already an order."))
    if quote.buyer_id != buyer.id:
        raise QuoteMoveRefused(_l("That cannot be done to this quote now."))
    refuse_quote_move(quote.status, QuoteStatus.ORDERED, Actor.BUYER)
    if quote.quantity * quote.agreed_price_paise + DELIVERY_FEES[delivery] > MAX_STORED_PAISE:
        raise OrderError(_l("That amount is too large."))
    variant, from_stock = quote.variant, quote.from_stock
    if from_stock and variant.stock < quote.quantity:  # agreed on more than she has now: not "sold out"
        raise OrderError(_l("Only %(n)s left: ask the shop to add more, then order.", n=variant.stock))
    _move(session, quote, QuoteStatus.ORDERED, buyer, Actor.BUYER)  # conditional: two presses make one order
    if from_stock:
        take_stock(session, variant, quote.quantity)
    subtotal, fee = quote.quantity * quote.agreed_price_paise, DELIVERY_FEES[delivery]
    checkout = Checkout(buyer_id=buyer.id, idempotency_key=f"quote-{quote.id}", total_paise=subtotal + fee)
    name, address, pincode = ship_to if delivery != "pickup" else ("", "", "")
    order = Order(checkout=checkout, business_id=quote.business_id, buyer_id=buyer.id, wholesale=True,
                  delivery=delivery, pickup_point=quote.business.group.organisation.pickup_address,
                  ship_to_name=name, ship_to_address=address, ship_to_pincode=pincode,
                  subtotal_paise=subtotal, delivery_fee_paise=fee, total_paise=subtotal + fee,
                  advance_percent=quote.advance_percent)
    order.lines = [OrderLine(product_id=variant.product_id, variant_id=variant.id, title=variant.product.title,
                             option=variant.label, quantity=quote.quantity, unit_price_paise=quote.agreed_price_paise,
                             line_total_paise=subtotal, made_to_order=not from_stock)]
    order.events = [OrderEvent(actor_id=buyer.id, actor_role=Actor.BUYER, from_status=None,
                               to_status=OrderStatus.PLACED, note=f"from quote {quote.id}")]
    session.add(order)
    session.flush()
    quote.order_id = order.id
    session.flush()
    return order
