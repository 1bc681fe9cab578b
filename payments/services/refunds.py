"""Refunds: asked for an order or a wholesale order's parts, answered by the gateway, processed in the ledger
once; and refunds the gateway tells us about (ours, or made on its dashboard).
"""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from market.core import events
from market.core import ledger as books
from market.core.db import rows_matched, utcnow
from market.core.ledger import EntryKind
from market.core.models import User
from market.core.money import format_inr
from market.core.notifications import notify
from market.core.security import hide_contacts
from orders.models import Order, order_parts
from payments.models import Payment, Refund
from payments.services.calls import to_send
from payments.services.common import PaymentError, locked, move, payment_for
from payments.services.fees import delivery_given_back, fee_given_back
from payments.services.wholesale import parts_of
from payments.status import MONEY_TAKEN, after_refund

UNALLOCATED = "platform:unallocated_refunds"  # a refund made at the gateway for no order we know


def refunded_for(session: Session, order: Order) -> int:
    """Paise returned, or on their way back, for this order."""
    return int(session.execute(sa.select(sa.func.coalesce(sa.func.sum(Refund.amount_paise), 0))  # PostgreSQL: Decimal
                               .where(Refund.order_id == order.id, Refund.status != "failed")).scalar_one())


def _processed_before(session: Session, made: Refund) -> int:
    """Paise of its order returned by the refunds processed before this one (not pending ones, not itself:
    `refund_processed` marks it processed before posting it)."""
    return int(session.execute(sa.select(sa.func.coalesce(sa.func.sum(Refund.amount_paise), 0)).where(  # Decimal
        Refund.order_id == made.order_id, Refund.status == "processed", Refund.id != made.id)).scalar_one())


def refund(session: Session, order: Order, amount_paise: int | None = None, user: User | None = None,
           reason: str = "") -> Refund:
    """Return money for one order (all that is left of it by default, or a part). Raises PaymentError."""
    payment = payment_for(session, order)
    if payment is not None:  # two refunds asked at once: the second waits, then sees what the first left
        payment = locked(session, payment.id)
    if payment is None or payment.status not in MONEY_TAKEN:
        raise PaymentError(_l("Nothing has been paid for this order."))
    left = order.total_paise - refunded_for(session, order)
    amount = left if amount_paise is None else amount_paise
    if not 0 < amount <= left:
        raise PaymentError(_l("You can refund up to %(n)s for this order.", n=format_inr(left)))
    made = Refund(payment_id=payment.id, order_id=order.id, amount_paise=amount,  # the buyer reads its reason
                  reason=hide_contacts(reason.strip())[:200], requested_by_id=user.id if user else None)
    session.add(made)
    session.flush()
    if amount_paise is not None:  # a part, from the seller's form: the buyer hears of it (a whole order by its status)
        notify(session, [order.buyer], lambda: _l("Refund sent for order %(n)s.", n=order.number),
               f"{format_inr(amount)}{': ' + made.reason if made.reason else ''}", f"/orders/{order.id}")
    if payment.gateway == "cash":  # she hands the cash back herself
        refund_processed(session, made, None, "seller")
    else:  # asked of the gateway once this transaction has committed (payments.outbox)
        to_send(session, "refund", made.id)
    return made


def refund_parts(session: Session, order: Order, reason: str) -> list[Refund]:
    """Give back every paid part of a wholesale order (it was cancelled): a UPI part through the gateway (after
    the commit), a bank transfer or cash by hand at once (the seller or staff send it back; the ledger says so)."""
    made = []
    for part in parts_of(session, order):
        part = locked(session, part.id)
        left = part.amount_paise - part.refunded_paise - int(session.execute(
            sa.select(sa.func.coalesce(sa.func.sum(Refund.amount_paise), 0)).where(
                Refund.payment_id == part.id, Refund.status == "pending")).scalar_one())
        if part.status not in MONEY_TAKEN or left <= 0:
            continue
        refund = Refund(payment_id=part.id, order_id=order.id, amount_paise=left, reason=reason[:200])
        session.add(refund)
        session.flush()
        if part.gateway in ("cash", "bank"):
            refund_processed(session, refund, None, "seller")
        else:
            to_send(session, "refund", refund.id)
        made.append(refund)
    return made


def refund_answered(session: Session, made: Refund, answer: dict) -> None:
    """What the gateway said to our refund: processed now (Razorpay "processed", Stripe "succeeded"), or later
    (its webhook, or reconcile, will say)."""
    if made.status != "pending" or made.gateway_refund_id:
        return
    if answer.get("status") in ("processed", "succeeded"):
        refund_processed(session, made, answer["id"], "refund call")
    else:
        _set_refund_id(session, made, answer["id"])


def _set_refund_id(session: Session, made: Refund, gateway_refund_id: str) -> None:
    made.gateway_refund_id = gateway_refund_id
    session.flush()


def refund_processed(session: Session, made: Refund, gateway_refund_id: str | None, source: str) -> bool:
    """The money went back: count it on the payment and reverse the ledger for it, once."""
    values = {"status": "processed", "processed_at": utcnow()}
    if gateway_refund_id:
        values["gateway_refund_id"] = gateway_refund_id
    if rows_matched(session.execute(sa.update(Refund).where(Refund.id == made.id, Refund.status == "pending")
                                    .values(**values).execution_options(synchronize_session=False))) != 1:
        return False
    session.expire(made)
    payment = locked(session, made.payment_id)  # another refund of it, at the same moment, adds after this one
    total = payment.refunded_paise + made.amount_paise
    if not move(session, payment, after_refund(payment.amount_paise, total), source,
                f"refund {made.id}: {made.amount_paise} paise", refunded_paise=total):
        raise RuntimeError("payment changed during a refund")  # rolled back by the caller; retried later
    order = session.get(Order, made.order_id) if made.order_id else None
    before = _processed_before(session, made) if order is not None else 0
    if order is None:
        lines = [(UNALLOCATED, made.amount_paise), (books.gateway_account(payment.gateway), -made.amount_paise)]
    else:  # goods and delivery go back in proportion; of the goods, Haat's fee goes back too (online)
        delivery_back = delivery_given_back(order, made.amount_paise, before)
        fee_back = 0 if payment.gateway == "cash" else fee_given_back(order, made.amount_paise, before)
        lost = made.amount_paise - delivery_back - fee_back  # her sales income that goes back
        if payment.gateway == "cash":
            lines = [(books.cash_sales(order.business_id), lost), (books.cash(order.business_id), -made.amount_paise)]
        else:
            lines = [(books.payable(order.business_id), lost), (books.PLATFORM_FEES, fee_back),
                     (books.gateway_account(payment.gateway), -made.amount_paise)]
        lines.append((books.delivery(order.business_id), delivery_back))
    books.post(session, EntryKind.REFUND, lines, f"refund {made.id}", payment_id=payment.id,
               order_id=made.order_id, refund_id=made.id)
    if order is not None:
        events.sale_refunded.send(session, business=order.business, parts=order_parts(order, lost))
        events.refund_processed.send(session, refund=made, order=order, before=before)  # market.flows.refunds
    return True


def gateway_refund(session: Session, payment: Payment, entity: dict, source: str) -> str:
    """A refund the gateway tells us about (ours, or one made on its dashboard): record it once.

    One made on the dashboard counts for the order its notes name; for the payment's only order when it pays
    for one; split over its orders when it gives back all that is left of a payment for several. An order whose
    money all went back this way is cancelled (stock back, buyer and seller told)."""
    made = session.scalar(sa.select(Refund).where(Refund.gateway_refund_id == entity["id"]))
    parts: list[Refund] = []
    if made is None:
        notes = entity["notes"] if isinstance(entity.get("notes"), dict) else {}  # Razorpay: [] when none
        made = session.get(Refund, int(notes["haat_refund"])) if str(notes.get("haat_refund", "")).isdigit() \
            else None
        if made is None or made.payment_id != payment.id or made.gateway_refund_id:
            parts = _dashboard_refund(session, payment, notes, int(entity["amount"]), entity["id"],
                                      entity.get("status") in ("processed", "succeeded"))
            made = parts[0]
    if entity.get("status") in ("processed", "succeeded"):
        if not refund_processed(session, made, entity["id"], source):
            return "refund known"
        for part in parts[1:]:
            refund_processed(session, part, None, source)
        for order_id in sorted({r.order_id for r in parts or [made] if r.order_id}):
            events.refunded_at_gateway.send(session, order=session.get(Order, order_id))  # market.flows.refunds
        return "refund recorded"
    if entity.get("status") == "failed":
        session.execute(sa.update(Refund).where(Refund.id == made.id, Refund.status == "pending")
                        .values(status="failed").execution_options(synchronize_session=False))
        return "refund failed"
    return "refund pending"


def _dashboard_refund(session: Session, payment: Payment, notes: dict, amount: int, gateway_refund_id: str,
                      processed: bool) -> list[Refund]:
    """The Refund rows for a refund made at the gateway: one per order it is for (the first keeps its id)."""
    orders = [payment.order] if payment.order_id else list(payment.checkout.orders)
    named = session.get(Order, int(notes["order_id"])) if str(notes.get("order_id", "")).isdigit() else None
    if named is not None and named.checkout_id != payment.checkout_id:
        named = None
    shares: list[tuple[Order | None, int]] = [(named or (orders[0] if len(orders) == 1 else None), amount)]
    if named is None and len(orders) > 1 and processed:
        left = [(o, o.total_paise - refunded_for(session, o)) for o in sorted(orders, key=lambda o: o.id)]
        left = [(o, n) for o, n in left if n > 0]
        if sum(n for _, n in left) == amount:  # all that is left of the payment, every order's part known
            shares = left
    made = [Refund(payment_id=payment.id, order_id=o.id if o else None, amount_paise=n, reason="made at the gateway",
                   gateway_refund_id=gateway_refund_id if i == 0 else None) for i, (o, n) in enumerate(shares)]
    session.add_all(made)
    session.flush()
    return made
