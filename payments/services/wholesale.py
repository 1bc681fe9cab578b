"""A wholesale order paid in parts (payments.dues: the amounts; payments.parts: choosing, confirming)."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from market.core import events
from market.core import ledger as books
from market.core.ledger import EntryKind
from orders.models import Order, order_parts
from payments import dues
from payments.models import Payment
from payments.services.common import payment_for
from payments.services.fees import order_fee
from payments.status import MONEY_TAKEN


@dataclass(frozen=True)
class PartSplit:
    """What one part's payment carries of its order: goods (her sales income), Haat's fee, the delivery charge."""

    goods: int
    fee: int
    delivery: int


def parts_of(session: Session, order: Order) -> list[Payment]:
    """The payments of the parts of a wholesale order (advance, balance), advance first."""
    return list(session.scalars(sa.select(Payment).where(Payment.order_id == order.id, Payment.part != "whole")
                                .order_by(Payment.part)))


def paid_in_parts(session: Session, order: Order) -> int:
    """What the parts of a wholesale order brought in (refunded or not): the base her plan's shares were on."""
    return sum(p.amount_paise for p in parts_of(session, order) if p.status in MONEY_TAKEN)


def pays_in_parts(session: Session, order: Order) -> bool:
    """A wholesale order made from a quote: paid in parts, each by UPI, bank transfer or cash."""
    return bool(order.wholesale) and payment_for(session, order) is None


def part_split(session: Session, payment: Payment) -> PartSplit:
    """One part's share of its order's goods, fee and delivery charge, on the running total of the parts already
    paid (so the parts add up to the whole order in any order). Cash and bank transfers carry no gateway; cash
    carries no Haat fee either (as a cash order)."""
    order = payment.order
    before = int(session.execute(sa.select(sa.func.coalesce(sa.func.sum(Payment.amount_paise), 0)).where(
        Payment.order_id == order.id, Payment.part != "whole", Payment.id != payment.id,
        Payment.status.in_(list(MONEY_TAKEN)))).scalar_one())
    total, amount = order.total_paise, payment.amount_paise
    delivery = dues.share_of(order.delivery_fee_paise, total, amount, before)
    fee = 0 if payment.gateway == "cash" else dues.share_of(order_fee(order), total, amount, before)
    return PartSplit(amount - fee - delivery, fee, delivery)


def post_part(session: Session, payment: Payment) -> None:
    """A part of a wholesale order paid: its money in (the gateway, the bank account, or her cash), owed to her
    shop, Haat's fee and the delivery charge in proportion."""
    order, split = payment.order, part_split(session, payment)
    if payment.gateway == "cash":
        lines = [(books.cash(order.business_id), payment.amount_paise),
                 (books.cash_sales(order.business_id), -split.goods),
                 (books.delivery(order.business_id), -split.delivery)]
        kind = EntryKind.CASH
    else:
        lines = [(books.gateway_account(payment.gateway), payment.amount_paise),
                 (books.payable(order.business_id), -split.goods), (books.PLATFORM_FEES, -split.fee),
                 (books.delivery(order.business_id), -split.delivery)]
        kind = EntryKind.PAYMENT
    books.post(session, kind, lines, f"{payment.part} of {order.number}", payment_id=payment.id, order_id=order.id)
    if payment.fee_paise:
        books.post(session, EntryKind.GATEWAY_FEE, [(books.GATEWAY_FEES, payment.fee_paise),
                                                    (books.gateway_account(payment.gateway), -payment.fee_paise)],
                   f"{payment.gateway} fee", payment_id=payment.id)
    events.sale_recorded.send(session, business=order.business, parts=order_parts(order, split.goods))


def part_paid(payment: Payment | None) -> bool:
    return payment is not None and payment.status in MONEY_TAKEN


def may_dispatch(session: Session, order: Order) -> bool:
    """An order paid in parts leaves the shop once its balance is paid, or is to be paid in cash on delivery."""
    if not pays_in_parts(session, order):
        return True
    balance = next((p for p in parts_of(session, order) if p.part == dues.BALANCE), None)
    if dues.BALANCE not in dict(dues.parts_due(order.total_paise, order.advance_percent)):
        return True
    return balance is not None and (part_paid(balance) or balance.gateway == "cash")
