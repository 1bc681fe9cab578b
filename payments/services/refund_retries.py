"""Refunds the gateway refused: listed for an admin, who tries one again."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from market.core.models import User
from market.core.money import format_inr
from orders.models import Order
from payments.models import Refund
from payments.services.calls import to_send
from payments.services.common import PaymentError, locked
from payments.services.refunds import refund_processed, refunded_for


def refused_refunds(session: Session) -> list[Refund]:
    """Refunds the gateway refused (or reported failed) for one of our orders, not tried again yet: the buyer's
    money is still owed; an admin looks and tries again (`retry_refund`). Newest first."""
    retried = sa.select(Refund.retry_of_id).where(Refund.retry_of_id.is_not(None))
    return list(session.scalars(sa.select(Refund).where(Refund.status == "failed", Refund.order_id.is_not(None),
                                                        Refund.id.not_in(retried)).order_by(Refund.id.desc())))


def retry_refund(session: Session, failed: Refund, user: User) -> Refund:
    """Try a refused refund again: a new refund of the same money for the same order, sent through the gateway
    once this transaction commits (payments.outbox), as any refund. Once per refusal (refunds.retry_of_id is
    unique); never more than what is left to give back of the order. Raises PaymentError."""
    order = session.get(Order, failed.order_id) if failed.order_id else None
    if order is None or failed.status != "failed":
        raise PaymentError(_l("Only a refund the gateway refused can be tried again."))
    payment = locked(session, failed.payment_id)  # as refund(): two at once cannot both spend what is left
    if session.scalar(sa.select(Refund.id).where(Refund.retry_of_id == failed.id)) is not None:
        raise PaymentError(_l("This refund was tried again already."))
    left = order.total_paise - refunded_for(session, order)
    if not 0 < failed.amount_paise <= left:
        raise PaymentError(_l("You can refund up to %(n)s for this order.", n=format_inr(max(left, 0))))
    made = Refund(payment_id=payment.id, order_id=order.id, amount_paise=failed.amount_paise, reason=failed.reason,
                  requested_by_id=user.id, retry_of_id=failed.id)
    session.add(made)
    session.flush()
    if payment.gateway in ("cash", "bank"):
        refund_processed(session, made, None, "seller")
    else:
        to_send(session, "refund", made.id)
    return made
