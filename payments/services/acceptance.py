"""What orders ask of payments: may a seller accept this order, is its checkout still awaiting payment."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from orders.models import Order
from payments import dues
from payments.models import Payment
from payments.services.common import P, payment_for
from payments.services.wholesale import part_paid, parts_of, pays_in_parts
from payments.status import WAITING


def may_accept(session: Session, order: Order) -> bool:
    """A seller accepts an order once it is paid online, or when it is to be paid in cash; an order paid in parts
    once its advance is in (at once when there is none)."""
    if pays_in_parts(session, order):
        if dues.ADVANCE not in dict(dues.parts_due(order.total_paise, order.advance_percent)):
            return True
        return any(p.part == dues.ADVANCE and part_paid(p) for p in parts_of(session, order))
    return accepts(payment_for(session, order))


def accepts(payment: Payment | None) -> bool:
    """may_accept, for an order whose payment is known already."""
    return payment is None or payment.gateway == "cash" or payment.status in (P.CAPTURED, P.PARTLY_REFUNDED)


def awaiting_payment() -> sa.ColumnElement[bool]:
    """SQL: the order's checkout still waits for its online payment (sellers do not see it yet)."""
    return (sa.select(Payment.id).where(Payment.checkout_id == Order.checkout_id, Payment.order_id.is_(None),
                                        Payment.status.in_(list(WAITING))).exists())
