"""A payment's start (online or cash), its gateway side (a Razorpay order, a Stripe session), and its expiry."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext
from sqlalchemy.orm import Session

from market.core import events
from orders.models import Checkout
from payments import gateways
from payments.models import Payment
from payments.services.common import P, PaymentError, move
from payments.status import WAITING

MIN_ONLINE_PAISE = 100  # Rs 1: the least Razorpay (and Stripe, in rupees) takes


def start(session: Session, checkout: Checkout, how: str) -> list[Payment]:
    """How the buyer pays for a checkout just placed: "upi" or "card" online, or "cash" to each seller (who are
    to be told now: market.flows.checkout)."""
    if how == "cash":
        made = [Payment(checkout_id=checkout.id, order_id=o.id, gateway="cash", amount_paise=o.total_paise)
                for o in checkout.orders]
        session.add_all(made)
        session.flush()
        return made
    if how == "card" and gateways.card() is None:
        raise PaymentError(_l("Card payments are not available now. Pay by UPI."))
    if how not in ("upi", "card"):
        raise PaymentError(_l("Choose how to pay."))
    if checkout.total_paise < MIN_ONLINE_PAISE:
        raise PaymentError(_l("Online payments start at ₹1. Pay this order in cash."))
    payment = Payment(checkout_id=checkout.id, gateway="stripe" if how == "card" else gateways.upi().name,
                      amount_paise=checkout.total_paise)
    session.add(payment)
    session.flush()
    return [payment]


def open_at_gateway(session: Session, payment: Payment, **urls: str) -> dict:
    """Make the gateway's side of the payment once (a Razorpay order, a Stripe Checkout Session).

    Done after the checkout is committed, so a gateway that is down costs the buyer a retry, not her order.
    Returns what the payment page needs. Raises GatewayUnavailable.
    """
    # The buyer sees it on the gateway's page: the orders' numbers as her order pages and messages name them.
    named = [payment.order] if payment.order_id else list(payment.checkout.orders)
    description = str(lazy_ngettext("Haat order %(n)s", "Haat orders %(n)s", len(named),
                                    n=", ".join(o.number for o in named)))
    if payment.gateway == "stripe":
        card = gateways.card()
        assert card is not None  # a card payment is started only while Stripe is on (start)
        if payment.gateway_order_id:
            known = card.retrieve_session(payment.gateway_order_id)
            if known.get("status") == "open":
                return {"url": known["url"]}
        made = card.create_session(payment.amount_paise, description, str(payment.checkout_id), urls["success_url"],
                                   urls["cancel_url"], payment.checkout.buyer.email)
        _set_gateway_order(session, payment, made["id"], replace=True)  # an expired session gives way
        return {"url": made["url"]}
    gateway = gateways.upi()
    if payment.part != "whole":  # a part of a wholesale order: named as the buyer knows it
        description = str(_l("Haat order %(n)s", n=payment.order.number))
    if payment.gateway_order_id is None:
        receipt = f"checkout-{payment.checkout_id}" if payment.part == "whole" else \
            f"{payment.part}-{payment.order_id}"
        order_id = gateway.create_order(payment.amount_paise, receipt, {"checkout_id": str(payment.checkout_id)})
        _set_gateway_order(session, payment, order_id)
    assert payment.gateway_order_id is not None  # set just now, or by the tab that opened it first
    return gateway.checkout_options(payment.gateway_order_id, payment.amount_paise,
                                    description, urls["callback_url"])


def _set_gateway_order(session: Session, payment: Payment, gateway_order_id: str, replace: bool = False) -> None:
    """Remember the gateway's side; two tabs opening it at once keep the first (the buyer pays that one)."""
    current = Payment.status.in_(list(WAITING)) if replace else Payment.gateway_order_id.is_(None)
    session.execute(sa.update(Payment).where(Payment.id == payment.id, current)
                    .values(gateway_order_id=gateway_order_id).execution_options(synchronize_session=False))
    session.expire(payment)
    session.flush()


def expire(session: Session, payment: Payment, source: str, note: str = "") -> bool:
    """Never paid: give up on it (market.flows.order_moves then cancels its orders that nobody has acted on)."""
    if payment.status not in WAITING or not move(session, payment, P.EXPIRED, source, note):
        return False
    orders = [payment.order] if payment.order_id else list(payment.checkout.orders)
    events.payment_expired.send(session, payment=payment, orders=orders)
    return True
