"""What every payment service shares: the error a person can fix, an order's payment, a payment's moves.

Services flush, never commit; the caller commits once, so a payment's new state, its ledger entries, the
webhook event that caused them and the orders they change are written together or not at all. Every change
of a payment's state is a conditional UPDATE (`move`), so two deliveries of the same news cannot both act on it.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from market.core.db import rows_matched, utcnow
from market.core.errors import Refusal
from orders.models import Order
from payments.models import Payment, PaymentEvent
from payments.status import PaymentStatus, check_move

P = PaymentStatus


class PaymentError(Refusal):
    """A payment request that cannot be done; the message is for the person who asked."""


def payment_for(session: Session, order: Order) -> Payment | None:
    """The payment that pays for this order: its own cash payment, or its checkout's online one (None for a
    wholesale order paid in parts: `parts_of`)."""
    return payments_for(session, [order])[order.id]


def payments_for(session: Session, orders: list[Order]) -> dict[int, Payment | None]:
    """payment_for of each order (by its id), in one query for a whole screen of orders."""
    if not orders:
        return {}
    rows = session.scalars(sa.select(Payment).where(Payment.part == "whole", sa.or_(
        Payment.order_id.in_([o.id for o in orders]),
        sa.and_(Payment.checkout_id.in_({o.checkout_id for o in orders}), Payment.order_id.is_(None))))).all()
    own = {p.order_id: p for p in rows if p.order_id is not None}
    shared = {p.checkout_id: p for p in rows if p.order_id is None}
    return {o.id: own.get(o.id) or shared.get(o.checkout_id) for o in orders}


def move(session: Session, payment: Payment, target: PaymentStatus, source: str, note: str = "",
         actor_id: int | None = None, **values) -> bool:
    """Move the payment if it is still in the state we read; False if someone else moved it first."""
    current = payment.status
    check_move(current, target)
    done = rows_matched(session.execute(sa.update(Payment).where(Payment.id == payment.id, Payment.status == current)
                                        .values(status=target, updated_at=utcnow(), **values)
                                        .execution_options(synchronize_session=False))) == 1
    if done:
        session.add(PaymentEvent(payment_id=payment.id, from_status=current, to_status=target, source=source,
                                 note=note[:300], actor_id=actor_id))
    session.expire(payment)
    return done


def note_event(session: Session, payment: Payment, source: str, note: str) -> None:
    """Something happened to the payment that did not change its state (a failed attempt, a mismatch)."""
    session.add(PaymentEvent(payment_id=payment.id, from_status=payment.status, to_status=payment.status,
                             source=source, note=note[:300]))


def locked(session: Session, payment_id: int) -> Payment:
    """The payment as it is now, its row locked until this transaction ends (PostgreSQL; SQLite lets one writer
    in at a time anyway)."""
    return session.scalars(sa.select(Payment).where(Payment.id == payment_id).with_for_update()
                           .execution_options(populate_existing=True)).one()
