"""Confirming a payment: the gateway's news of an attempt (callback, webhook, reconcile) settles it; a capture is
posted once; news that came before its capture is kept and applied then.
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from market.core import events
from market.core import ledger as books
from market.core.db import rows_matched, utcnow
from market.core.ledger import EntryKind
from market.core.money import format_inr
from market.core.notifications import notify
from orders.models import Order, order_parts
from payments import gateways
from payments.models import ExtraPayment, Payment, WebhookEvent
from payments.services.calls import to_send
from payments.services.common import P, PaymentError, move, note_event
from payments.services.fees import goods_earned, order_fee
from payments.services.refunds import gateway_refund
from payments.services.second_payments import OWED_BACK, extra_refund_news
from payments.services.starting import expire
from payments.services.wholesale import post_part
from payments.status import MONEY_TAKEN


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
        note_event(session, payment, source, f"attempt {entity.get('id')} failed: {entity.get('error_description')}")
        return "attempt failed"
    if entity.get("amount") != payment.amount_paise:
        note_event(session, payment, source, f"amount {entity.get('amount')} is not {payment.amount_paise}: held")
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
    if not move(session, payment, P.CAPTURED, source, "late: refunded at once" if late else "", actor_id,
                gateway_payment_id=gateway_payment_id, captured_at=utcnow(), fee_paise=fee_paise):
        return _second_payment(session, payment, gateway_payment_id, fee_paise)
    orders = [payment.order] if payment.order_id else list(payment.checkout.orders)
    _post_capture(session, payment, orders)
    events.payment_captured.send(session, payment=payment, orders=orders)  # market.flows.capture follows
    _apply_kept(session, payment.gateway, gateway_payment_id)  # the id just recorded on the payment
    return "captured"


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


def _post_capture(session: Session, payment: Payment, orders: list[Order]) -> None:
    if payment.part != "whole":
        post_part(session, payment)
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


class Unreadable(Exception):
    """A validly signed event whose objects are not shaped as the gateway documents them."""


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


def apply_razorpay(session: Session, gateway: gateways.RazorpayGateway, kind: str, payload: dict,
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
            return extra_refund_news(session, extra, entity)
        if _refers_to_ours(session, gateway.name, payload, entity):
            return _keep(record, body, entity["payment_id"])
        return "not ours"
    return "ignored"


def _refers_to_ours(session: Session, gateway: str, payload: dict, refund_entity: dict) -> bool:
    """A refund of a payment not captured here yet that is about one of our orders: by the Razorpay order of
    the payment it carries, or by the notes we (or staff on the dashboard) wrote on it."""
    notes = refund_entity["notes"] if isinstance(refund_entity.get("notes"), dict) else {}
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
        if rows_matched(session.execute(sa.update(WebhookEvent).where(WebhookEvent.id == record.id,
                                                                      WebhookEvent.waiting_for.is_not(None))
                                        .values(waiting_for=None).execution_options(synchronize_session=False))) != 1:
            continue  # applied by another delivery meanwhile
        body = record.body
        assert body is not None  # _keep kept it with the payment it waits for
        event = json.loads(body)
        if gateway == "stripe":
            outcome = apply_stripe(session, event["type"], event.get("data"), record, body)
        else:
            outcome = apply_razorpay(session, gateways.upi(), event["event"], event["payload"], record, body)
        session.execute(sa.update(WebhookEvent).where(WebhookEvent.id == record.id)
                        .values(outcome=f"applied at capture: {outcome}"[:200])
                        .execution_options(synchronize_session=False))


def apply_stripe(session: Session, kind: str, data, record: WebhookEvent, body: str) -> str:
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
            note_event(session, payment, source, "amount differs: held")
            return "amount mismatch"
        return captured(session, payment, checkout_session["payment_intent"], 0, source)
    if checkout_session.get("status") == "expired":
        return "expired" if expire(session, payment, source, "checkout session expired") else "already"
    return "open"
