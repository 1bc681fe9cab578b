"""Payments: start one, confirm it (callback, webhook or reconcile), expire it, refund, transfer, cash.

Services flush, never commit; the caller commits once, so a payment's new state, its ledger entries, the
webhook event that caused them and the orders they change are written together or not at all. Every change
of a payment's state is a conditional UPDATE, so two deliveries of the same news cannot both act on it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from catalog.models import Variant
from market.core import events
from market.core import ledger as books
from market.core.db import utcnow
from market.core.errors import Refusal
from market.core.ledger import EntryKind, LedgerAccount, LedgerEntry, LedgerPosting
from market.core.models import User
from market.core.money import format_inr
from market.core.notifications import notify
from market.core.security import hide_contacts
from orders.models import Checkout, Order, order_parts
from payments import dues, gateways
from payments.models import CashSale, ExtraPayment, Payment, PaymentEvent, Refund, Transfer, WebhookEvent
from payments.status import MONEY_TAKEN, WAITING, PaymentStatus, after_refund, check_move
from vendors.models import Business

P = PaymentStatus
UNALLOCATED = "platform:unallocated_refunds"  # a refund made at the gateway for no order we know


class PaymentError(Refusal):
    """A payment request that cannot be done; the message is for the person who asked."""


def platform_fee(total_paise: int) -> int:
    """Haat's share of an online order, rounded down to the paisa."""
    return total_paise * int(current_app.config["PLATFORM_FEE_BPS"]) // 10_000


def order_fee(order: Order) -> int:
    """Haat's fee on an online order: on its goods, not on the delivery charge (that is owed to who delivers)."""
    return platform_fee(order.subtotal_paise)


def goods_earned(order: Order) -> int:
    """What the goods of an online order earned the shop: her sales income and the base of her plan's shares.
    The delivery charge is neither (it sits in business:<id>:delivery)."""
    return order.subtotal_paise - order_fee(order)


def _given_back(whole: int, total: int, refunded_paise: int, refunded_before_paise: int) -> int:
    """The part of `whole` that a refund gives back: its share of all refunded so far, rounded down once, less
    what the earlier refunds gave back. So parts adding up to the whole order give back all of `whole`."""
    return whole * (refunded_before_paise + refunded_paise) // total - whole * refunded_before_paise // total


def fee_given_back(order: Order, refunded_paise: int, refunded_before_paise: int = 0) -> int:
    """The part of Haat's fee on an online order that a refund of `refunded_paise` gives back, after refunds of
    `refunded_before_paise` already processed for it."""
    return _given_back(order_fee(order), order.total_paise, refunded_paise, refunded_before_paise)


def delivery_given_back(order: Order, refunded_paise: int, refunded_before_paise: int = 0) -> int:
    """The part of the order's delivery charge that a refund gives back (a refund is of goods and delivery in
    proportion; the whole order gives back all of it)."""
    return _given_back(order.delivery_fee_paise, order.total_paise, refunded_paise, refunded_before_paise)


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


def _move(session: Session, payment: Payment, target: PaymentStatus, source: str, note: str = "",
          actor_id: int | None = None, **values) -> bool:
    """Move the payment if it is still in the state we read; False if someone else moved it first."""
    current = payment.status
    check_move(current, target)
    done = session.execute(sa.update(Payment).where(Payment.id == payment.id, Payment.status == current)
                           .values(status=target, updated_at=utcnow(), **values)
                           .execution_options(synchronize_session=False)).rowcount == 1
    if done:
        session.add(PaymentEvent(payment_id=payment.id, from_status=current, to_status=target, source=source,
                                 note=note[:300], actor_id=actor_id))
    session.expire(payment)
    return done


def _note(session: Session, payment: Payment, source: str, note: str) -> None:
    """Something happened to the payment that did not change its state (a failed attempt, a mismatch)."""
    session.add(PaymentEvent(payment_id=payment.id, from_status=payment.status, to_status=payment.status,
                             source=source, note=note[:300]))


# -- starting ---------------------------------------------------------------------------------------------------

MIN_ONLINE_PAISE = 100  # Rs 1: the least Razorpay (and Stripe, in rupees) takes


def start(session: Session, checkout: Checkout, how: str) -> list[Payment]:
    """How the buyer pays for a checkout just placed: "upi" or "card" online, or "cash" to each seller (who are
    to be told now: market.flows.checkout)."""
    if how == "cash":
        made = [Payment(checkout_id=checkout.id, order_id=o.id, gateway="cash", amount_paise=o.total_paise)
                for o in checkout.orders]
        session.add_all(made)
        session.flush()
        return made
    if how == "card" and gateways.card() is None:
        raise PaymentError(_l("Card payments are not available now. Pay by UPI."))
    if how not in ("upi", "card"):
        raise PaymentError(_l("Choose how to pay."))
    if checkout.total_paise < MIN_ONLINE_PAISE:
        raise PaymentError(_l("Online payments start at ₹1. Pay this order in cash."))
    payment = Payment(checkout_id=checkout.id, gateway="stripe" if how == "card" else gateways.upi().name,
                      amount_paise=checkout.total_paise)
    session.add(payment)
    session.flush()
    return [payment]


def open_at_gateway(session: Session, payment: Payment, **urls: str) -> dict:
    """Make the gateway's side of the payment once (a Razorpay order, a Stripe Checkout Session).

    Done after the checkout is committed, so a gateway that is down costs the buyer a retry, not her order.
    Returns what the payment page needs. Raises GatewayUnavailable.
    """
    # The buyer sees it on the gateway's page: the orders' numbers as her order pages and messages name them.
    named = [payment.order] if payment.order_id else list(payment.checkout.orders)
    description = str(lazy_ngettext("Haat order %(n)s", "Haat orders %(n)s", len(named),
                                    n=", ".join(o.number for o in named)))
    if payment.gateway == "stripe":
        if payment.gateway_order_id:
            known = gateways.card().retrieve_session(payment.gateway_order_id)
            if known.get("status") == "open":
                return {"url": known["url"]}
        made = gateways.card().create_session(payment.amount_paise, description,
                                              str(payment.checkout_id), urls["success_url"], urls["cancel_url"],
                                              payment.checkout.buyer.email)
        _set_gateway_order(session, payment, made["id"], replace=True)  # an expired session gives way
        return {"url": made["url"]}
    gateway = gateways.upi()
    if payment.part != "whole":  # a part of a wholesale order: named as the buyer knows it
        description = str(_l("Haat order %(n)s", n=payment.order.number))
    if payment.gateway_order_id is None:
        receipt = f"checkout-{payment.checkout_id}" if payment.part == "whole" else \
            f"{payment.part}-{payment.order_id}"
        order_id = gateway.create_order(payment.amount_paise, receipt, {"checkout_id": str(payment.checkout_id)})
        _set_gateway_order(session, payment, order_id)
    return gateway.checkout_options(payment.gateway_order_id, payment.amount_paise,
                                    description, urls["callback_url"])


def _set_gateway_order(session: Session, payment: Payment, gateway_order_id: str, replace: bool = False) -> None:
    """Remember the gateway's side; two tabs opening it at once keep the first (the buyer pays that one)."""
    current = Payment.status.in_(list(WAITING)) if replace else Payment.gateway_order_id.is_(None)
    session.execute(sa.update(Payment).where(Payment.id == payment.id, current)
                    .values(gateway_order_id=gateway_order_id).execution_options(synchronize_session=False))
    session.expire(payment)
    session.flush()


# -- confirming -------------------------------------------------------------------------------------------------

def confirm_callback(session: Session, payment: Payment, fields: dict[str, str]) -> str:
    """The buyer's browser came back from Razorpay Checkout. Believed only with a valid signature."""
    gateway = gateways.upi()
    order_id, payment_id = fields.get("razorpay_order_id", ""), fields.get("razorpay_payment_id", "")
    if (payment.gateway != gateway.name or not payment_id or order_id != payment.gateway_order_id
            or not gateway.verify_payment(order_id, payment_id, fields.get("razorpay_signature", ""))):
        raise PaymentError(_l("We could not confirm this payment. If money left your account, it will be "
                              "matched or returned within a day."))
    return settle(session, payment, gateway.fetch_payment(payment_id), "callback")


def settle(session: Session, payment: Payment, entity: dict, source: str) -> str:
    """Bring our payment up to what the gateway says about one attempt (a Razorpay payment entity)."""
    if entity.get("order_id") != payment.gateway_order_id:
        return "not this payment"
    status = entity.get("status")
    if status == "failed":
        _note(session, payment, source, f"attempt {entity.get('id')} failed: {entity.get('error_description')}")
        return "attempt failed"
    if entity.get("amount") != payment.amount_paise:
        _note(session, payment, source, f"amount {entity.get('amount')} is not {payment.amount_paise}: held")
        return "amount mismatch"
    if status == "authorized" and payment.status not in MONEY_TAKEN and source != "capture":
        to_send(session, "capture", payment.id, entity["id"])  # asked after the commit (payments.outbox)
        return "capture asked"
    if entity.get("status") in ("captured", "refunded") or entity.get("captured"):
        return captured(session, payment, entity["id"], int(entity.get("fee") or 0), source)
    return f"gateway says {status}"


def captured(session: Session, payment: Payment, gateway_payment_id: str, fee_paise: int, source: str,
             actor_id: int | None = None) -> str:
    """The money is ours: record it once, post it to the ledger, tell the sellers, refund cancelled orders."""
    if payment.status in MONEY_TAKEN:
        return _second_payment(session, payment, gateway_payment_id, fee_paise)
    late = payment.status == P.EXPIRED
    if not _move(session, payment, P.CAPTURED, source, "late: refunded at once" if late else "", actor_id,
                 gateway_payment_id=gateway_payment_id, captured_at=utcnow(), fee_paise=fee_paise):
        return _second_payment(session, payment, gateway_payment_id, fee_paise)
    orders = [payment.order] if payment.order_id else list(payment.checkout.orders)
    _post_capture(session, payment, orders)
    events.payment_captured.send(session, payment=payment, orders=orders)  # market.flows.capture follows
    _apply_kept(session, payment.gateway, payment.gateway_payment_id)
    return "captured"


OWED_BACK = "platform:second_payments"  # a second payment of a paid checkout, owed back to its buyer


def _second_payment(session: Session, payment: Payment, gateway_payment_id: str, fee_paise: int) -> str:
    """The buyer paid a checkout already paid (two attempts went through): the second payment goes back to her
    in full through the gateway, once. If the gateway cannot do it, it waits on the admin page for a person."""
    if not payment.is_online or gateway_payment_id == payment.gateway_payment_id:
        return "already captured"
    if session.scalar(sa.select(ExtraPayment.id).where(ExtraPayment.gateway == payment.gateway,
                                                       ExtraPayment.gateway_payment_id == gateway_payment_id)):
        return "second payment known"
    extra = ExtraPayment(payment_id=payment.id, gateway=payment.gateway, gateway_payment_id=gateway_payment_id,
                         amount_paise=payment.amount_paise, fee_paise=fee_paise)
    session.add(extra)
    session.flush()
    gateway_account = books.gateway_account(payment.gateway)
    books.post(session, EntryKind.PAYMENT, [(gateway_account, extra.amount_paise), (OWED_BACK, -extra.amount_paise)],
               f"second payment {gateway_payment_id} of checkout {payment.checkout_id}", payment_id=payment.id)
    if fee_paise:
        books.post(session, EntryKind.GATEWAY_FEE, [(books.GATEWAY_FEES, fee_paise), (gateway_account, -fee_paise)],
                   f"{payment.gateway} fee on {gateway_payment_id}", payment_id=payment.id)
    notify(session, [payment.checkout.buyer],
           lambda: _l("You paid twice for one order: %(amount)s goes back to you.",
                      amount=format_inr(extra.amount_paise)), "", f"/orders/placed/{payment.checkout_id}")
    _apply_kept(session, payment.gateway, gateway_payment_id)  # its refund may have been reported already
    session.refresh(extra)
    if extra.status == "pending":  # sent back after the commit (payments.outbox), never inside this transaction
        to_send(session, "extra", extra.id)
        return "second payment: to be returned"
    return f"second payment: {extra.status}"


def second_payment_returned(session: Session, extra: ExtraPayment, answer: dict) -> None:
    """The gateway's answer to our refund of a second payment (payments.outbox asked it, after the commit)."""
    extra.gateway_refund_id, extra.problem = answer["id"], ""
    session.flush()
    if answer.get("status") == "processed":
        _extra_refund_news(session, extra, answer)


def second_payment_refused(session: Session, extra_id: int, reason: str) -> None:
    """The gateway would not send it back (a 4xx): a person must; the admin page lists it."""
    session.execute(sa.update(ExtraPayment).where(ExtraPayment.id == extra_id, ExtraPayment.status == "pending")
                    .values(status="failed", problem=f"refund not made: {reason}"[:200])
                    .execution_options(synchronize_session=False))


def _extra_refund_news(session: Session, extra: ExtraPayment, entity: dict) -> str:
    """The gateway's news of a refund of a second payment (ours, or one made on its dashboard): what went back
    is posted once; when all of it is back it is done. A refund that failed leaves it for a person."""
    if entity.get("status") == "processed":
        if entity["id"] == extra.gateway_refund_id and extra.status == "refunded":
            return "second payment already refunded"  # our own refund's answer, then its webhook
        amount = int(entity["amount"])
        if session.execute(sa.update(ExtraPayment).where(
                ExtraPayment.id == extra.id, ExtraPayment.refunded_paise + amount <= ExtraPayment.amount_paise)
                .values(refunded_paise=ExtraPayment.refunded_paise + amount)
                .execution_options(synchronize_session=False)).rowcount != 1:
            return "second payment already refunded"
        session.expire(extra)
        books.post(session, EntryKind.REFUND, [(OWED_BACK, amount), (books.gateway_account(extra.gateway), -amount)],
                   f"second payment {extra.gateway_payment_id}: {entity['id']} returned", payment_id=extra.payment_id)
        if extra.refunded_paise == extra.amount_paise:
            extra.status, extra.problem, extra.resolved_at = "refunded", "", utcnow()
        elif extra.status == "failed":
            extra.problem = f"{extra.refunded_paise} of {extra.amount_paise} paise returned; return the rest"
        session.flush()
        return "second payment refunded" if extra.status == "refunded" else "second payment partly refunded"
    if entity.get("status") == "failed":
        session.execute(sa.update(ExtraPayment).where(ExtraPayment.id == extra.id, ExtraPayment.status == "pending")
                        .values(status="failed", problem="the gateway's refund failed")
                        .execution_options(synchronize_session=False))
        session.expire(extra)
        return "second payment refund failed"
    return "second payment refund pending"


def second_payments_to_act_on(session: Session) -> list[ExtraPayment]:
    """Second payments the gateway could not send back: a person must (the admin page lists them)."""
    return list(session.scalars(sa.select(ExtraPayment).where(ExtraPayment.status == "failed")
                                .order_by(ExtraPayment.id)))


def _post_capture(session: Session, payment: Payment, orders: list[Order]) -> None:
    if payment.part != "whole":
        _post_part(session, payment)
        return
    if not payment.is_online:  # her sale is the goods; the delivery charge she took is kept apart
        order = orders[0]
        books.post(session, EntryKind.CASH, [(books.cash(order.business_id), payment.amount_paise),
                                             (books.cash_sales(order.business_id), -order.subtotal_paise),
                                             (books.delivery(order.business_id), -order.delivery_fee_paise)],
                   f"cash for {order.number}", payment_id=payment.id, order_id=order.id)
        events.sale_recorded.send(session, business=order.business, parts=order_parts(order, order.subtotal_paise))
        return
    gateway_account = books.gateway_account(payment.gateway)
    lines = [(gateway_account, payment.amount_paise)]
    for order in orders:
        lines += [(books.payable(order.business_id), -goods_earned(order)), (books.PLATFORM_FEES, -order_fee(order)),
                  (books.delivery(order.business_id), -order.delivery_fee_paise)]
    books.post(session, EntryKind.PAYMENT, lines, f"checkout {payment.checkout_id}", payment_id=payment.id)
    if payment.fee_paise:
        books.post(session, EntryKind.GATEWAY_FEE, [(books.GATEWAY_FEES, payment.fee_paise),
                                                    (gateway_account, -payment.fee_paise)],
                   f"{payment.gateway} fee", payment_id=payment.id)
    # The dashboards' monthly income, in the order of the shops, so that two payments touching the same shops
    # lock their rows in the same order (no deadlock).
    for order in sorted(orders, key=lambda o: o.business_id):
        events.sale_recorded.send(session, business=order.business, parts=order_parts(order, goods_earned(order)))


# -- a wholesale order paid in parts (payments.dues: the amounts; payments.parts: choosing, confirming) ----------

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
    before = int(session.scalar(sa.select(sa.func.coalesce(sa.func.sum(Payment.amount_paise), 0)).where(
        Payment.order_id == order.id, Payment.part != "whole", Payment.id != payment.id,
        Payment.status.in_(list(MONEY_TAKEN)))))
    total, amount = order.total_paise, payment.amount_paise
    delivery = dues.share_of(order.delivery_fee_paise, total, amount, before)
    fee = 0 if payment.gateway == "cash" else dues.share_of(order_fee(order), total, amount, before)
    return PartSplit(amount - fee - delivery, fee, delivery)


def _post_part(session: Session, payment: Payment) -> None:
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


def cash_received(session: Session, order: Order, seller: User) -> None:
    """The seller says the buyer paid her in cash (or to her UPI QR) for this order."""
    payment = payment_for(session, order)
    if payment is None or payment.gateway != "cash":
        raise PaymentError(_l("This order is paid online, not in cash."))
    if payment.status != P.CREATED:
        raise PaymentError(_l("The cash for this order is recorded already."))
    captured(session, payment, f"cash-{order.id}", 0, "seller", seller.id)


def expire(session: Session, payment: Payment, source: str, note: str = "") -> bool:
    """Never paid: give up on it (market.flows.order_moves then cancels its orders that nobody has acted on)."""
    if payment.status not in WAITING or not _move(session, payment, P.EXPIRED, source, note):
        return False
    orders = [payment.order] if payment.order_id else list(payment.checkout.orders)
    events.payment_expired.send(session, payment=payment, orders=orders)
    return True


# -- refunds ----------------------------------------------------------------------------------------------------

def refunded_for(session: Session, order: Order) -> int:
    """Paise returned, or on their way back, for this order."""
    return int(session.scalar(sa.select(sa.func.coalesce(sa.func.sum(Refund.amount_paise), 0))
                              .where(Refund.order_id == order.id, Refund.status != "failed")))  # PostgreSQL: Decimal


def _processed_before(session: Session, made: Refund) -> int:
    """Paise of its order returned by the refunds processed before this one (not pending ones, not itself:
    `_refund_processed` marks it processed before posting it)."""
    return int(session.scalar(sa.select(sa.func.coalesce(sa.func.sum(Refund.amount_paise), 0)).where(
        Refund.order_id == made.order_id, Refund.status == "processed", Refund.id != made.id)))  # PostgreSQL: Decimal


def refund(session: Session, order: Order, amount_paise: int | None = None, user: User | None = None,
           reason: str = "") -> Refund:
    """Return money for one order (all that is left of it by default, or a part). Raises PaymentError."""
    payment = payment_for(session, order)
    if payment is not None:  # two refunds asked at once: the second waits, then sees what the first left
        payment = _locked(session, payment.id)
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
        _refund_processed(session, made, None, "seller")
    else:  # asked of the gateway once this transaction has committed (payments.outbox)
        to_send(session, "refund", made.id)
    return made


def refund_parts(session: Session, order: Order, reason: str) -> list[Refund]:
    """Give back every paid part of a wholesale order (it was cancelled): a UPI part through the gateway (after
    the commit), a bank transfer or cash by hand at once (the seller or staff send it back; the ledger says so)."""
    made = []
    for part in parts_of(session, order):
        part = _locked(session, part.id)
        left = part.amount_paise - part.refunded_paise - int(session.scalar(
            sa.select(sa.func.coalesce(sa.func.sum(Refund.amount_paise), 0)).where(
                Refund.payment_id == part.id, Refund.status == "pending")))
        if part.status not in MONEY_TAKEN or left <= 0:
            continue
        refund = Refund(payment_id=part.id, order_id=order.id, amount_paise=left, reason=reason[:200])
        session.add(refund)
        session.flush()
        if part.gateway in ("cash", "bank"):
            _refund_processed(session, refund, None, "seller")
        else:
            to_send(session, "refund", refund.id)
        made.append(refund)
    return made


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
    payment = _locked(session, failed.payment_id)  # as refund(): two at once cannot both spend what is left
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
        _refund_processed(session, made, None, "seller")
    else:
        to_send(session, "refund", made.id)
    return made


# -- what the gateway is asked once the transaction that decided it has committed ------------------------------

OUTBOX = "haat.to_send"


def to_send(session: Session, kind: str, row_id: int, *about: str) -> None:
    """Remember a call for the gateway (a refund, a transfer, a capture of the attempt `about` names) decided in
    this transaction: the request's end (payments.outbox) sends it after the commit; the worker (refunds,
    transfers) or reconcile (captures) if that fails."""
    session.info.setdefault(OUTBOX, []).append((kind, row_id, *about))


def waiting_to_send(session: Session) -> list[tuple]:
    """The calls remembered in this session so far (sent or not)."""
    return list(session.info.get(OUTBOX, ()))


def refund_answered(session: Session, made: Refund, answer: dict) -> None:
    """What the gateway said to our refund: processed now (Razorpay "processed", Stripe "succeeded"), or later
    (its webhook, or reconcile, will say)."""
    if made.status != "pending" or made.gateway_refund_id:
        return
    if answer.get("status") in ("processed", "succeeded"):
        _refund_processed(session, made, answer["id"], "refund call")
    else:
        _set_refund_id(session, made, answer["id"])


def _locked(session: Session, payment_id: int) -> Payment:
    """The payment as it is now, its row locked until this transaction ends (PostgreSQL; SQLite lets one writer
    in at a time anyway)."""
    return session.scalars(sa.select(Payment).where(Payment.id == payment_id).with_for_update()
                           .execution_options(populate_existing=True)).one()


def _set_refund_id(session: Session, made: Refund, gateway_refund_id: str) -> None:
    made.gateway_refund_id = gateway_refund_id
    session.flush()


def _refund_processed(session: Session, made: Refund, gateway_refund_id: str | None, source: str) -> bool:
    """The money went back: count it on the payment and reverse the ledger for it, once."""
    values = {"status": "processed", "processed_at": utcnow()}
    if gateway_refund_id:
        values["gateway_refund_id"] = gateway_refund_id
    if session.execute(sa.update(Refund).where(Refund.id == made.id, Refund.status == "pending").values(**values)
                       .execution_options(synchronize_session=False)).rowcount != 1:
        return False
    session.expire(made)
    payment = _locked(session, made.payment_id)  # another refund of it, at the same moment, adds after this one
    total = payment.refunded_paise + made.amount_paise
    if not _move(session, payment, after_refund(payment.amount_paise, total), source,
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
        notes = entity.get("notes") if isinstance(entity.get("notes"), dict) else {}  # Razorpay: [] when none
        made = session.get(Refund, int(notes["haat_refund"])) if str(notes.get("haat_refund", "")).isdigit() \
            else None
        if made is None or made.payment_id != payment.id or made.gateway_refund_id:
            parts = _dashboard_refund(session, payment, notes, int(entity["amount"]), entity["id"],
                                      entity.get("status") in ("processed", "succeeded"))
            made = parts[0]
    if entity.get("status") in ("processed", "succeeded"):
        if not _refund_processed(session, made, entity["id"], source):
            return "refund known"
        for part in parts[1:]:
            _refund_processed(session, part, None, source)
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


# -- transfers to the business's own account (Razorpay Route) ---------------------------------------------------

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
    return -int(session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(LedgerPosting.amount_paise), 0)).join(LedgerPosting.account)
        .join(LedgerPosting.entry).where(LedgerEntry.order_id == order.id, LedgerEntry.kind == EntryKind.ALLOCATION,
                                         LedgerAccount.code.like("member:%"))))


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
    order = session.get(Order, made.order_id)
    if made.recipient != order.business.payout_account:
        return [(books.group_transferred(order.business.group.id), made.amount_paise)]
    delivery = order.delivery_fee_paise - delivery_given_back(order, refunded_for(session, order))
    delivery = min(made.amount_paise, max(0, delivery))  # what she delivered; the rest is the goods' earnings
    return [(books.payable(order.business_id), made.amount_paise - delivery),
            (books.delivery(order.business_id), delivery)]


def transfer_made(session: Session, made: Transfer, gateway_transfer_id: str) -> bool:
    """The gateway made the transfer: record its id and post it, once."""
    if session.execute(sa.update(Transfer).where(Transfer.id == made.id, Transfer.gateway_transfer_id.is_(None))
                       .values(gateway_transfer_id=gateway_transfer_id)
                       .execution_options(synchronize_session=False)).rowcount != 1:
        return False
    session.expire(made)
    payment, order = session.get(Payment, made.payment_id), session.get(Order, made.order_id)
    books.post(session, EntryKind.TRANSFER, [*transfer_debits(session, made),
                                             (books.gateway_account(payment.gateway), -made.amount_paise)],
               f"to {made.recipient} for {order.number}", payment_id=payment.id, order_id=order.id,
               transfer_id=made.id)
    return True


# -- sales at a market stall ----------------------------------------------------------------------------------

MAX_SALE_PAISE = 1_00_000_00  # Rs 1,00,000: a bigger stall sale is almost surely a typing slip


def record_sale(session: Session, business_id: int, seller: User, amount_paise: int, method: str,
                client_id: str, variant_id: int | None = None, quantity: int | None = None,
                note: str = "") -> CashSale:
    """A sale paid to the seller herself (cash, or UPI to her own QR); it counts as her income.

    `client_id` comes with the form: pressing "Save" twice records one sale. Stock of the product sold, when
    she names one, goes down as for an order (market.flows.stall_sale). Raises PaymentError.
    """
    existing = session.scalar(sa.select(CashSale).where(CashSale.client_id == client_id))
    if existing is not None:
        return existing
    if not 0 < amount_paise <= MAX_SALE_PAISE:
        raise PaymentError(_l("Write an amount between ₹1 and ₹1,00,000."))
    if method not in ("cash", "upi_qr"):
        raise PaymentError(_l("Say how you were paid."))
    variant = session.get(Variant, variant_id) if variant_id else None
    if variant_id and (variant is None or variant.product.business_id != business_id):
        raise PaymentError(_l("Choose one of your own products, or none."))
    if variant is not None and not (quantity and quantity > 0):
        raise PaymentError(_l("Say how many you sold."))
    sale = CashSale(business_id=business_id, recorded_by_id=seller.id, amount_paise=amount_paise, method=method,
                    variant_id=variant.id if variant else None, quantity=quantity if variant else None,
                    note=note.strip()[:200], client_id=client_id)
    session.add(sale)
    session.flush()
    books.post(session, EntryKind.CASH, [(books.cash(business_id), amount_paise),
                                         (books.cash_sales(business_id), -amount_paise)],
               "stall sale", cash_sale_id=sale.id)
    business = session.get(Business, business_id)
    events.sale_recorded.send(session, business=business,
                              parts=[(variant.product.category_id if variant else events.OTHER_CATEGORY, amount_paise)])
    return sale


# -- what orders do to payments ---------------------------------------------------------------------------------

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


# -- webhooks ---------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Answer:
    status: int
    outcome: str


def _record_event(session: Session, gateway: str, event_id: str, event_type: str) -> WebhookEvent | None:
    """Note the event; None if it was seen before (the unique constraint decides, even between two workers)."""
    record = WebhookEvent(gateway=gateway, event_id=event_id[:100], event_type=event_type[:60])
    session.add(record)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        return None
    return record


def razorpay_webhook(session: Session, body: str, signature: str, event_id: str) -> Answer:
    """A Razorpay webhook: verified on the raw body, applied once, tolerant of any order of arrival."""
    gateway = gateways.upi()
    if not signature or not gateway.verify_webhook(body, signature):
        return Answer(400, "bad signature")
    try:
        event = json.loads(body)
        kind, payload = event["event"], event["payload"]
    except (ValueError, KeyError, TypeError):
        return Answer(400, "not an event")
    if not isinstance(kind, str):
        return Answer(400, "unreadable event")
    record = _record_event(session, gateway.name, event_id or f"body:{_digest(body)}", kind)
    if record is None:
        return Answer(200, "duplicate")
    return _applied(session, record, lambda: _apply_razorpay(session, gateway, kind, payload, record, body))


class Unreadable(Exception):
    """A validly signed event whose objects are not shaped as the gateway documents them."""


def _applied(session: Session, record: WebhookEvent, apply) -> Answer:
    """Apply a recorded event in a savepoint. One we cannot read is refused (400: the gateway sends it again,
    and it shows in the log), with nothing of it kept, its record neither: a corrected resend is applied."""
    try:
        with session.begin_nested():
            record.outcome = apply()[:200]
    except (Unreadable, sa.exc.DataError) as exc:  # DataError: a value PostgreSQL refuses for its column
        session.delete(record)
        session.flush()
        return Answer(400, f"unreadable {record.event_type}: {exc}"[:200])
    return Answer(200, record.outcome)


TEXT, WHOLE, MAYBE_TEXT, MAYBE_WHOLE = (str,), (int,), (str, type(None)), (int, type(None))


def _shaped(obj, what: str, **fields: tuple[type, ...]) -> dict:
    """obj, if it is an object whose fields have these types (a bool is not a number); else Unreadable."""
    if not isinstance(obj, dict):
        raise Unreadable(f"{what} is not an object")
    for name, kinds in fields.items():
        value = obj.get(name)
        if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
            raise Unreadable(f"{what}.{name}")
    return obj


def _razorpay_entity(payload, name: str) -> dict:
    """payload[name]["entity"], the object a Razorpay event is about."""
    return _shaped(_shaped(_shaped(payload, "payload").get(name), name).get("entity"), f"{name}.entity")


def _apply_razorpay(session: Session, gateway: gateways.RazorpayGateway, kind: str, payload: dict,
                    record: WebhookEvent, body: str) -> str:
    if kind in ("payment.authorized", "payment.captured", "payment.failed", "order.paid"):
        entity = _shaped(_razorpay_entity(payload, "payment"), "payment", id=TEXT, order_id=MAYBE_TEXT,
                         amount=WHOLE, status=MAYBE_TEXT, fee=MAYBE_WHOLE)
        if entity["order_id"] is None:  # paid to the account without an order of ours (a QR code, a link)
            return "not ours"
        payment = session.scalar(sa.select(Payment).where(Payment.gateway == gateway.name,
                                                          Payment.gateway_order_id == entity["order_id"]))
        return settle(session, payment, entity, "webhook") if payment else "not ours"
    if kind in ("refund.processed", "refund.failed", "refund.created"):
        entity = _shaped(_razorpay_entity(payload, "refund"), "refund", id=TEXT, payment_id=TEXT, amount=WHOLE,
                         status=MAYBE_TEXT)
        payment = session.scalar(sa.select(Payment).where(Payment.gateway == gateway.name,
                                                          Payment.gateway_payment_id == entity["payment_id"]))
        if payment is not None:
            return gateway_refund(session, payment, entity, "webhook")
        extra = session.scalar(sa.select(ExtraPayment).where(ExtraPayment.gateway == gateway.name,
                                                             ExtraPayment.gateway_payment_id == entity["payment_id"]))
        if extra is not None:
            return _extra_refund_news(session, extra, entity)
        if _refers_to_ours(session, gateway.name, payload, entity):
            return _keep(record, body, entity["payment_id"])
        return "not ours"
    return "ignored"


def _refers_to_ours(session: Session, gateway: str, payload: dict, refund_entity: dict) -> bool:
    """A refund of a payment not captured here yet that is about one of our orders: by the Razorpay order of
    the payment it carries, or by the notes we (or staff on the dashboard) wrote on it."""
    notes = refund_entity.get("notes") if isinstance(refund_entity.get("notes"), dict) else {}
    if str(notes.get("haat_refund", "")).isdigit() or str(notes.get("order_id", "")).isdigit():
        return True
    carried = (payload.get("payment") or {}).get("entity") if isinstance(payload.get("payment"), dict) else None
    order_id = carried.get("order_id") if isinstance(carried, dict) else None
    return isinstance(order_id, str) and session.scalar(sa.select(Payment.id).where(
        Payment.gateway == gateway, Payment.gateway_order_id == order_id)) is not None


def _keep(record: WebhookEvent, body: str, gateway_payment_id: str) -> str:
    """Keep the event until the payment it is about is captured here (then _apply_kept applies it)."""
    record.waiting_for, record.body = gateway_payment_id[:255], body
    return f"kept until {gateway_payment_id[:60]} is captured"


def _apply_kept(session: Session, gateway: str, gateway_payment_id: str) -> None:
    """Apply, once each, the events that arrived before this payment's capture (in the order they came)."""
    kept = session.scalars(sa.select(WebhookEvent).where(WebhookEvent.gateway == gateway,
                                                         WebhookEvent.waiting_for == gateway_payment_id)
                           .order_by(WebhookEvent.id)).all()
    for record in kept:
        if session.execute(sa.update(WebhookEvent).where(WebhookEvent.id == record.id,
                                                         WebhookEvent.waiting_for.is_not(None))
                           .values(waiting_for=None).execution_options(synchronize_session=False)).rowcount != 1:
            continue  # applied by another delivery meanwhile
        event = json.loads(record.body)
        if gateway == "stripe":
            outcome = _apply_stripe(session, event["type"], event.get("data"), record, record.body)
        else:
            outcome = _apply_razorpay(session, gateways.upi(), event["event"], event["payload"], record, record.body)
        session.execute(sa.update(WebhookEvent).where(WebhookEvent.id == record.id)
                        .values(outcome=f"applied at capture: {outcome}"[:200])
                        .execution_options(synchronize_session=False))


def stripe_webhook(session: Session, body: str, signature: str) -> Answer:
    """A Stripe webhook, verified with the SDK (signature and age), applied once."""
    gateway = gateways.card()
    event = gateway.construct_event(body, signature) if gateway and signature else None
    if event is None:
        return Answer(400, "bad signature")
    if not isinstance(event.get("id"), str) or not isinstance(event.get("type"), str):
        return Answer(400, "unreadable event")
    record = _record_event(session, "stripe", event["id"], event["type"])
    if record is None:
        return Answer(200, "duplicate")
    return _applied(session, record, lambda: _apply_stripe(session, event["type"], event.get("data"), record, body))


def _apply_stripe(session: Session, kind: str, data, record: WebhookEvent, body: str) -> str:
    if kind.startswith("checkout.session."):
        obj = _shaped(_shaped(data, "data").get("object"), "checkout.session", id=TEXT, amount_total=MAYBE_WHOLE,
                      payment_status=MAYBE_TEXT, status=MAYBE_TEXT, payment_intent=MAYBE_TEXT)
        if obj["payment_status"] == "paid" and obj["payment_intent"] is None:
            raise Unreadable("checkout.session paid without a payment_intent")
        payment = session.scalar(sa.select(Payment).where(Payment.gateway == "stripe",
                                                          Payment.gateway_order_id == obj["id"]))
        return settle_stripe(session, payment, obj, "webhook") if payment else "not ours"
    if kind in ("refund.updated", "refund.created"):
        obj = _shaped(_shaped(data, "data").get("object"), "refund", id=TEXT, payment_intent=MAYBE_TEXT,
                      amount=WHOLE, status=MAYBE_TEXT)
        payment = session.scalar(sa.select(Payment).where(Payment.gateway == "stripe",
                                                          Payment.gateway_payment_id == obj["payment_intent"])) \
            if obj["payment_intent"] else None
        if payment is None:  # a refund whose payment's session completes later here: kept until then
            return _keep(record, body, obj["payment_intent"]) if obj["payment_intent"] else "not ours"
        return gateway_refund(session, payment, {**obj, "notes": obj.get("metadata")}, "webhook")
    return "ignored"


def settle_stripe(session: Session, payment: Payment, checkout_session: dict, source: str) -> str:
    """Bring our payment up to a Stripe Checkout Session."""
    if checkout_session.get("payment_status") == "paid":
        if checkout_session.get("amount_total") != payment.amount_paise:
            _note(session, payment, source, "amount differs: held")
            return "amount mismatch"
        return captured(session, payment, checkout_session["payment_intent"], 0, source)
    if checkout_session.get("status") == "expired":
        return "expired" if expire(session, payment, source, "checkout session expired") else "already"
    return "open"


def _digest(body: str) -> str:
    import hashlib

    return hashlib.sha256(body.encode()).hexdigest()


# -- reconciliation ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Finding:
    payment_id: int
    problem: str
    repaired: bool


def to_reconcile(session: Session, since: datetime) -> list[int]:
    """Online payments still waiting, or captured since `since` (their refunds are compared too)."""
    return list(session.scalars(sa.select(Payment.id).where(
        Payment.gateway.notin_(("cash", "bank")),  # nothing to ask a gateway: a person confirms them
        sa.or_(Payment.status.in_(list(WAITING)), Payment.updated_at >= since)).order_by(Payment.id)))


def reconcile_payment(session: Session, payment: Payment, repair: bool, now: datetime) -> list[Finding]:
    """Compare one payment with the gateway's record; with `repair`, apply what we missed."""
    timeout = timedelta(minutes=int(current_app.config["PAYMENT_TIMEOUT_MINUTES"]))
    overdue = payment.created_at < now - timeout
    if payment.gateway == "stripe":
        return _reconcile_stripe(session, payment, repair, overdue)
    gateway = gateways.upi()
    found: list[Finding] = []
    if payment.status in WAITING:
        attempts = gateway.order_payments(payment.gateway_order_id) if payment.gateway_order_id else []
        paid = [a for a in attempts if a["status"] in ("captured", "refunded", "authorized")]
        if paid:
            settled = repair and settle(session, payment, paid[0], "reconcile")
            found.append(Finding(payment.id, f"{paid[0]['status']} at the gateway, not here",
                                 settled in ("captured", "capture asked")))
        elif overdue and payment.part == "whole":  # a part of a wholesale order waits: the order is agreed
            found.append(Finding(payment.id, "never paid: cancel its orders",
                                 repair and expire(session, payment, "reconcile", "no payment in time")))
    if payment.status in MONEY_TAKEN and payment.gateway_payment_id:
        known = set(session.scalars(sa.select(Refund.gateway_refund_id).where(Refund.payment_id == payment.id,
                                                                               Refund.status == "processed")))
        for entity in gateway.refunds(payment.gateway_payment_id):
            if entity["status"] == "processed" and entity["id"] not in known:
                found.append(Finding(payment.id, f"refund {entity['id']} not recorded here",
                                     repair and gateway_refund(session, payment, entity, "reconcile")
                                     == "refund recorded"))
    return found


def _reconcile_stripe(session: Session, payment: Payment, repair: bool, overdue: bool) -> list[Finding]:
    if payment.status not in WAITING or not payment.gateway_order_id:
        if payment.status in WAITING and overdue:
            return [Finding(payment.id, "never paid: cancel its orders",
                            repair and expire(session, payment, "reconcile", "no payment in time"))]
        return []
    checkout_session = gateways.card().retrieve_session(payment.gateway_order_id)
    if checkout_session.get("payment_status") == "paid":
        return [Finding(payment.id, "paid at Stripe, not here",
                        repair and settle_stripe(session, payment, checkout_session, "reconcile") == "captured")]
    if checkout_session.get("status") == "expired" or overdue:
        return [Finding(payment.id, "never paid: cancel its orders",
                        repair and expire(session, payment, "reconcile", "no payment in time"))]
    return []

