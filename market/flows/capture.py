"""A payment captured: the money is ours (a webhook, the buyer's return from the gateway, reconcile, or the
seller saying she was paid in cash: `cash_received`).

1. payments records it once and posts it to the ledger; the dashboards count the sale (event sale_recorded).
2. Then, on the event payment_captured (`follow`), for each order in the order of the shops:
   - her plan's shares of the sale go to her loan, savings, goals (vendors.finance.allocate);
     not for an order cancelled meanwhile;
   - an order cancelled while the buyer was paying: its money goes back, and it reads "refunded";
   - the sellers of the others hear of their new, paid, order (orders.services.announce; cash orders were
     announced at checkout).
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from market.core import events
from market.core import ledger as books
from market.core.models import User
from market.core.money import format_inr
from market.core.notifications import notify
from market.flows.order_moves import move
from orders import services as order_services
from orders.models import Order
from orders.status import Actor, OrderStatus
from payments import services as payments
from payments.models import Payment
from vendors.finance import allocate


def cash_received(session: Session, order: Order, seller: User) -> None:
    """The seller says the buyer paid her in cash (or to her UPI QR) for this order. Raises PaymentError."""
    payments.cash_received(session, order, seller)


@events.payment_captured.connect
def _captured(session: Session, payment: Payment, orders: list[Order]) -> None:
    follow(session, payment, orders)  # looked up when called


def follow(session: Session, payment: Payment, orders: list[Order]) -> None:
    """The orders' side of a capture: her shares, cancelled orders refunded, sellers told."""
    if payment.part != "whole":
        _part_paid(session, payment, orders[0])
        return
    _shares(session, payment, orders)
    live = []
    for order in orders:
        if order.status == OrderStatus.CANCELLED:
            payments.refund(session, order, reason="paid after it was cancelled")
            move(session, order, OrderStatus.REFUNDED, None, Actor.SYSTEM, "payment came after cancelling")
        else:
            live.append(order)
    if payment.is_online:
        order_services.announce(session, live, paid=True)


def _shares(session: Session, payment: Payment, orders: list[Order]) -> None:
    """Her plan's shares of each sale. In the order of the shops, so that two payments touching the same shops
    lock their rows in the same order (no deadlock)."""
    if not payment.is_online:  # cash: her sale is the goods, from the cash she set aside
        order = orders[0]
        allocate(session, order.business, order.subtotal_paise, books.set_aside(order.business_id),
                 payment_id=payment.id, order_id=order.id)
        return
    for order in sorted(orders, key=lambda o: o.business_id):
        if order.status != OrderStatus.CANCELLED:
            allocate(session, order.business, payments.goods_earned(order), books.payable(order.business_id),
                     payment_id=payment.id, order_id=order.id)


def _part_paid(session: Session, payment: Payment, order: Order) -> None:
    """A part of a wholesale order paid (its advance or balance): her plan's shares of that part's goods, as for
    any sale, and both sides told what is paid."""
    if order.status in (OrderStatus.CANCELLED, OrderStatus.REFUNDED):  # paid after it was cancelled: it goes back
        payments.refund_parts(session, order, "paid after it was cancelled")
        return
    split = payments.part_split(session, payment)
    source = books.set_aside(order.business_id) if payment.gateway == "cash" else books.payable(order.business_id)
    allocate(session, order.business, split.goods, source, payment_id=payment.id, order_id=order.id)
    amount, n = format_inr(payment.amount_paise), order.number
    subject = (lambda: _l("Advance of %(amount)s paid for order %(n)s", amount=amount, n=n)) \
        if payment.part == "advance" else (lambda: _l("Balance of %(amount)s paid for order %(n)s", amount=amount, n=n))
    notify(session, [*order.business.owner_users, order.buyer], subject, "", f"/orders/{order.id}",
           kind="payment_received")
