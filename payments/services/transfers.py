"""Transfers to the business's own account and her SHG's (Razorpay Route) once an order is completed."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from market.core import ledger as books
from market.core.db import rows_matched
from market.core.ledger import EntryKind, LedgerAccount, LedgerEntry, LedgerPosting
from orders.models import Order
from payments.models import Payment, Transfer
from payments.services.calls import to_send
from payments.services.common import payment_for
from payments.services.fees import delivery_given_back, fee_given_back, goods_earned
from payments.services.refunds import refunded_for
from payments.status import MONEY_TAKEN


def transfer_earnings(session: Session, order: Order) -> list[Transfer]:
    """Send what a completed order earned: her plan's shares to her SHG's linked account, the rest to the
    business's. Once per order and account; an account not yet linked leaves that money payable here."""
    payment = payment_for(session, order)
    if (payment is None or payment.gateway not in ("razorpay", "demo") or payment.status not in MONEY_TAKEN
            or session.scalar(sa.select(Transfer.id).where(Transfer.order_id == order.id))):
        return []
    group = order.business.group
    to_plan = _plan_shares(session, order)
    refunded = refunded_for(session, order)  # pending refunds too: their money must stay to be sent back
    # What Haat owes the shop for it: its earnings, less the refunds, plus Haat's fee the refunds gave back; and
    # the delivery charge not given back (she delivered it).
    delivery_back = delivery_given_back(order, refunded)
    goods = goods_earned(order) - (refunded - delivery_back) + fee_given_back(order, refunded) - to_plan
    delivery = order.delivery_fee_paise - delivery_back
    made = []
    for account, debits in ((order.business.payout_account, [(books.payable(order.business_id), goods),
                                                              (books.delivery(order.business_id), delivery)]),
                            (group.payout_account, [(books.group_transferred(group.id), to_plan)])):
        if account and sum(debits_paise for _code, debits_paise in debits) > 0:
            made.append(_transfer(session, payment, order, account, debits))
    return made


def _plan_shares(session: Session, order: Order) -> int:
    """What the order's sale put toward her plan (net of refunds), still held by Haat."""
    return -int(session.execute(
        sa.select(sa.func.coalesce(sa.func.sum(LedgerPosting.amount_paise), 0)).join(LedgerPosting.account)
        .join(LedgerPosting.entry).where(LedgerEntry.order_id == order.id, LedgerEntry.kind == EntryKind.ALLOCATION,
                                         LedgerAccount.code.like("member:%"))).scalar_one())


def _transfer(session: Session, payment: Payment, order: Order, account: str,
              debits: list[tuple[str, int]]) -> Transfer:
    amount = sum(paise for _code, paise in debits)
    made = Transfer(payment_id=payment.id, order_id=order.id, recipient=account, amount_paise=amount)
    session.add(made)
    session.flush()  # the unique (order, account) stops a second transfer before the gateway is asked
    to_send(session, "transfer", made.id)  # pending until the gateway made it (payments.outbox)
    return made


def transfer_debits(session: Session, made: Transfer) -> list[tuple[str, int]]:
    """The ledger lines of a transfer (what it takes from the shop's or her plan's accounts), as `transfer_earnings`
    decided them: the shop's earnings and delivery, or her plan's shares."""
    order = session.get_one(Order, made.order_id)
    if made.recipient != order.business.payout_account:
        return [(books.group_transferred(order.business.group.id), made.amount_paise)]
    delivery = order.delivery_fee_paise - delivery_given_back(order, refunded_for(session, order))
    delivery = min(made.amount_paise, max(0, delivery))  # what she delivered; the rest is the goods' earnings
    return [(books.payable(order.business_id), made.amount_paise - delivery),
            (books.delivery(order.business_id), delivery)]


def transfer_made(session: Session, made: Transfer, gateway_transfer_id: str) -> bool:
    """The gateway made the transfer: record its id and post it, once."""
    if rows_matched(session.execute(sa.update(Transfer)
                                    .where(Transfer.id == made.id, Transfer.gateway_transfer_id.is_(None))
                                    .values(gateway_transfer_id=gateway_transfer_id)
                                    .execution_options(synchronize_session=False))) != 1:
        return False
    session.expire(made)
    payment, order = session.get_one(Payment, made.payment_id), session.get_one(Order, made.order_id)
    books.post(session, EntryKind.TRANSFER, [*transfer_debits(session, made),
                                             (books.gateway_account(payment.gateway), -made.amount_paise)],
               f"to {made.recipient} for {order.number}", payment_id=payment.id, order_id=order.id,
               transfer_id=made.id)
    return True
