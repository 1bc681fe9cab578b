"""Checkout: the buyer places her cart's orders and chooses how to pay.

1. The order(s) are placed, one per shop (orders.services.place_order): stock taken, the sellers not told yet.
2. The payment starts (payments.services.start): one online payment for the checkout, or cash to each seller.
3. Cash: the sellers are told now. Online: they are told once the money is ours (market.flows.capture).
4. The stock is taken last (orders.services.take_stock_of): a popular variant's row stays locked only from there
   to the view's commit, not while the rest is written.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from market.core.models import User
from orders import services as orders
from orders.models import Cart, Checkout
from payments import services as payments


def place(session: Session, buyer: User, cart: Cart, key: str, delivery: orders.Delivery, expected_total: int,
          quote: orders.Quote | None, how: str) -> Checkout:
    """Place the cart's orders and start their payment. Raises OrderError, PaymentError, AlreadyPlaced."""
    checkout = orders.place_order(session, buyer, cart, key, delivery, expected_total, quote, announce_now=False,
                                  stock_now=False)
    payments.start(session, checkout, how)
    if how == "cash":
        orders.announce(session, checkout.orders, paid=False)
    orders.take_stock_of(session, checkout.orders)  # last: a popular variant's row is locked until the commit
    return checkout
