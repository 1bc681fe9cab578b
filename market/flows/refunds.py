"""Refunds: money of an order going back to its buyer, and what follows when it has.

Asked (`ask`): by the seller or the admin for a part or the whole of an order (payments.services.refund); a
whole order's refund by cancelling it goes through market.flows.order_moves.
Processed (on the event refund_processed, sent once the money is back and in the ledger): her plan's shares of
that money are taken back (vendors.finance.reverse_allocations); the dashboards count the lost income on their
own event (sale_refunded).
Made at the gateway (on the event refunded_at_gateway): an order all of whose money went back is cancelled by the
system, as the buyer would (stock back, buyer and seller told).
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from market.core import events
from market.core.models import User
from market.core.notifications import notify
from market.flows.order_moves import move
from orders.models import Order
from orders.services import STATUS_NAMES
from orders.status import Actor, OrderStatus, can_move
from payments import services as payments
from payments.models import Refund
from vendors.finance import reverse_allocations


def ask(session: Session, order: Order, amount_paise: int | None = None, user: User | None = None,
        reason: str = "") -> Refund:
    """Return money for one order: what is left of it by default, or a part. Raises PaymentError."""
    return payments.refund(session, order, amount_paise, user, reason)


@events.refund_processed.connect
def _processed(session: Session, refund: Refund, order: Order, before: int) -> None:
    """The money went back: her plan gives back its shares of it, in proportion (of what was paid, for an order
    paid in parts: her shares followed the parts paid, not the whole order)."""
    base = order.total_paise if refund.payment.part == "whole" else payments.paid_in_parts(session, order)
    reverse_allocations(session, order.id, refund.amount_paise, base, refund.id, before)


@events.refunded_at_gateway.connect
def _refunded_at_gateway(session: Session, order: Order) -> None:
    """An order all of whose money went back at the gateway is cancelled by the system, as the buyer would."""
    if payments.refunded_for(session, order) < order.total_paise:
        return
    status = OrderStatus(order.status)
    if can_move(status, OrderStatus.CANCELLED, Actor.SYSTEM, order.delivery):
        move(session, order, OrderStatus.CANCELLED, None, Actor.SYSTEM, "refunded in full at the gateway")
        notify(session, order.business.owner_users, lambda: _l("Order %(n)s is now: %(s)s", n=order.number,
                                                               s=STATUS_NAMES[OrderStatus.CANCELLED]),
               "", f"/orders/{order.id}", kind="order_update")
    elif can_move(status, OrderStatus.REFUNDED, Actor.SYSTEM, order.delivery):
        move(session, order, OrderStatus.REFUNDED, None, Actor.SYSTEM, "refunded in full at the gateway")
