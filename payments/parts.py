"""Paying a wholesale order in parts: the wholesaler chooses how he pays each part (UPI, bank transfer, cash);
the seller (or staff) confirms a transfer once the money is in her collective's statement, or the cash in hand.

Amounts: payments.dues. The ledger and her plan's shares follow each part's capture (payments.services.captured,
then market.flows.capture). Repeats are harmless: choosing the same again returns the same payment; a confirmed
part is never confirmed again (a conditional UPDATE of its state); a UTR is unique among bank payments, so a UTR
already given for another order (or part) is refused.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from market.core.models import User
from market.core.money import format_inr
from market.core.notifications import notify
from orders.models import Order
from orders.status import OrderStatus
from payments import dues, gateways
from payments.models import Payment
from payments.services.capture import captured
from payments.services.common import PaymentError
from payments.services.starting import MIN_ONLINE_PAISE
from payments.services.wholesale import part_paid, parts_of, pays_in_parts
from payments.status import WAITING, PaymentStatus

CLOSED = frozenset({OrderStatus.CANCELLED, OrderStatus.REFUNDED})


@dataclass(frozen=True)
class Due:
    """One part of an order: how much, and its payment if one was started (paid or waiting)."""

    part: str
    amount_paise: int
    payment: Payment | None

    @property
    def paid(self) -> bool:
        return part_paid(self.payment)

    @property
    def method(self) -> str | None:
        """upi, bank or cash: what the wholesaler chose, if he has."""
        if self.payment is None:
            return None
        return {"cash": "cash", "bank": "bank"}.get(self.payment.gateway, "upi")


def dues_of(session: Session, order: Order) -> list[Due]:
    """The order's parts, in the order they are due, each with its payment if any; [] for an order not paid in
    parts."""
    if not pays_in_parts(session, order):
        return []
    started = {p.part: p for p in parts_of(session, order)}
    return [Due(part, amount, started.get(part)) for part, amount in dues.parts_due(order.total_paise,
                                                                                   order.advance_percent)]


def choose(session: Session, order: Order, buyer: User, part: str, method: str, utr_text: str = "") -> Payment:
    """The buyer's choice for one part: UPI (then he pays at the gateway), a bank transfer he has made (its UTR,
    confirmed by the seller when the money is in) or cash (the seller records it). Raises PaymentError, UtrError."""
    if order.buyer_id != buyer.id:
        raise PaymentError(_l("That cannot be done to this order now."))
    if OrderStatus(order.status) in CLOSED:
        raise PaymentError(_l("This order is cancelled: nothing is to be paid."))
    due = next((d for d in dues_of(session, order) if d.part == part), None)
    if due is None:
        raise PaymentError(_l("Nothing is to be paid for this part of the order."))
    if method not in dues.METHODS:
        raise PaymentError(_l("Choose how to pay."))
    if due.paid:
        raise PaymentError(_l("This part is paid already."))
    reference = dues.utr(utr_text) if method == "bank" else None
    gateway = {"bank": "bank", "cash": "cash"}.get(method) or gateways.upi().name
    if method == "upi" and due.amount_paise < MIN_ONLINE_PAISE:
        raise PaymentError(_l("Online payments start at ₹1. Pay this order in cash."))
    if reference and session.scalar(sa.select(Payment.id).where(
            Payment.gateway == "bank", Payment.gateway_payment_id == reference,
            sa.or_(Payment.order_id != order.id, Payment.part != part))):
        raise PaymentError(_l("This UTR is already given for another payment. Check the number."))
    payment = due.payment
    if payment is not None:
        if payment.gateway == gateway and (reference is None or reference == payment.gateway_payment_id):
            return payment  # the same choice again (a double click, a back button)
        if payment.gateway_order_id is not None:  # opened at the gateway: he may still pay it there
            raise PaymentError(_l("You started paying this part by UPI. Finish that payment."))
        session.execute(sa.update(Payment).where(Payment.id == payment.id, Payment.status.in_(list(WAITING)))
                        .values(gateway=gateway, gateway_payment_id=reference)
                        .execution_options(synchronize_session=False))
        session.expire(payment)
    else:
        payment = Payment(checkout_id=order.checkout_id, order_id=order.id, part=part, gateway=gateway,
                          gateway_payment_id=reference, amount_paise=due.amount_paise)
        session.add(payment)
    try:
        with session.begin_nested():  # two tabs at once, or the same UTR given by two orders at once
            session.flush()
    except IntegrityError:
        raise PaymentError(_l("This UTR is already given for another payment. Check the number.")) from None
    if reference:  # the seller looks for it in the statement
        amount, n = format_inr(due.amount_paise), order.number
        notify(session, order.business.owner_users,
               lambda: _l("Order %(n)s: a bank transfer of %(amount)s to confirm", n=n, amount=amount),
               lambda: _l("UTR %(u)s. Confirm it on the order when the money is in.", u=reference),
               f"/orders/{order.id}#pay", kind="order_update")
    return payment


def confirm(session: Session, payment: Payment, by: User) -> str:
    """The seller (or staff) says the money of this part is in: a transfer seen in the statement, or cash in
    hand. Once: a second confirmation changes nothing. Raises PaymentError."""
    if payment.part == "whole" or payment.gateway not in ("bank", "cash"):
        raise PaymentError(_l("This payment is confirmed by the payment service, not by hand."))
    if payment.status != PaymentStatus.CREATED:
        raise PaymentError(_l("This payment is confirmed already."))
    return captured(session, payment, payment.gateway_payment_id or f"cash-{payment.order_id}-{payment.part}", 0,
                    "seller", by.id)
