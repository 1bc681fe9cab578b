"""Moving an order, with its money following.

1. Accepting an order needs its payment: paid online, or to be paid in cash (payments.services.may_accept); an
   order paid in parts needs its advance; sending it (shipped, ready for pickup) its balance, unless that is cash
   on delivery (payments.services.may_dispatch).
2. The order moves through its state machine (orders.services.move: status, its history, stock put back).
3. The money follows:
   - cancelled and paid: the money goes back (payments.services.refund), and the order reads "refunded";
   - cancelled before it was paid: once every order of the payment is cancelled, the payment is given up;
   - a refund agreed (refund requested -> refunded): what is left goes back;
   - completed: her earnings go to her accounts (payments.services.transfer_earnings).
A payment given up (never paid) cancels its orders nobody has acted on (`_payment_expired`, on the event).
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from market.core import events
from market.core.models import User
from orders import services as orders
from orders.models import Order
from orders.status import Actor, OrderStatus, check_move
from payments import services as payments
from payments.status import MONEY_TAKEN, WAITING

# The order leaves the shop: ready to collect, out for delivery, sent by courier (one per delivery method).
DISPATCH = frozenset({OrderStatus.READY_FOR_PICKUP, OrderStatus.OUT_FOR_DELIVERY, OrderStatus.SHIPPED})


def move(session: Session, order: Order, target: OrderStatus, user: User | None, actor: Actor,
         note: str = "", tracking: orders.Tracking | None = None) -> None:
    """Move the order along its delivery method's path and let its money follow (`tracking`: sent by courier).
    Raises OrderError, IllegalTransition, PaymentError."""
    if target == OrderStatus.CONFIRMED and not payments.may_accept(session, order):
        check_move(order.status, target, actor, order.delivery)  # an illegal move says so first
        raise orders.OrderError(_l("Wait for the payment before accepting this order."))
    if target in DISPATCH and not payments.may_dispatch(session, order):
        check_move(order.status, target, actor, order.delivery)
        raise orders.OrderError(_l("Wait for the balance before sending this order, or agree with the buyer to "
                                   "pay it in cash on delivery."))
    before = OrderStatus(order.status)
    orders.move(session, order, target, user, actor, note, tracking)
    _money_follows(session, order, before, target)


def _money_follows(session: Session, order: Order, before: OrderStatus, after: OrderStatus) -> None:
    payment = payments.payment_for(session, order)
    if payment is None:  # a wholesale order paid in parts: cancelled, what was paid of it goes back
        if after == OrderStatus.CANCELLED and payments.pays_in_parts(session, order) and \
                payments.refund_parts(session, order, "order cancelled"):
            move(session, order, OrderStatus.REFUNDED, None, Actor.SYSTEM, "money returned")
        return
    if after == OrderStatus.CANCELLED:
        if payment.status in MONEY_TAKEN:
            if payments.refunded_for(session, order) < order.total_paise:  # not all returned at the gateway yet
                payments.refund(session, order, reason="order cancelled")
            move(session, order, OrderStatus.REFUNDED, None, Actor.SYSTEM, "money returned")
        elif payment.status in WAITING and (payment.order_id or all(
                o.status == OrderStatus.CANCELLED for o in payment.checkout.orders)):
            payments.expire(session, payment, "system", "every order cancelled")
    elif (after == OrderStatus.REFUNDED and before == OrderStatus.REFUND_REQUESTED
          and payments.refunded_for(session, order) < order.total_paise):
        payments.refund(session, order, reason="refund agreed")
    elif after == OrderStatus.COMPLETED:
        payments.transfer_earnings(session, order)


@events.payment_expired.connect
def _payment_expired(session: Session, payment, orders: list[Order]) -> None:
    """Never paid: its orders nobody has acted on are cancelled, their stock put back."""
    for order in orders:
        if order.status == OrderStatus.PLACED:
            move(session, order, OrderStatus.CANCELLED, None, Actor.SYSTEM, "payment did not arrive")
