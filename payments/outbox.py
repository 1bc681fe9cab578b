"""Calls to the gateway that change money there (a capture, a refund, a Route transfer), made outside any
transaction.

A flow decides a capture, a refund or a transfer and writes it down, pending (payments.services.calls.to_send);
the view commits; then `send_remembered` (run by the app after the response is made, `install`) asks the
gateway, and the answer is applied in a new transaction. Nothing is locked while the gateway is asked: the row is
read, the reading transaction ends, then the call. A gateway that cannot be reached leaves it pending for the
worker (`flask --app market payments work`: refunds, transfers) and `payments reconcile --repair` (captures too),
which send it again, with backoff. Sending twice is harmless: Razorpay's refunds and transfers carry our ids in
their notes (one already made is adopted, never made again), Stripe's refunds our idempotency key, and an
attempt captured since is only fetched.

This module owns its transactions (it commits), as the CLI does: call it only after the caller's commit.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Session

from market.core import db
from orders.models import Order
from payments import gateways
from payments.models import ExtraPayment, Payment, Refund, Transfer
from payments.services import calls, capture, second_payments
from payments.services.refunds import refund_answered
from payments.services.transfers import transfer_made
from payments.status import MONEY_TAKEN

log = logging.getLogger(__name__)


def install(app: Flask) -> None:
    """Send what a request decided once it has committed (its response is made: the commit is behind it)."""
    @app.after_request
    def _send(response):
        if db.session.info.get(calls.OUTBOX):
            db.session.rollback()  # a view that did not commit: what it remembered is not there
            try:
                send_remembered(db.session)
            except Exception:  # her answer stands (it is committed); the worker sends what is left
                db.session.rollback()
                log.exception("sending to the gateway after a request failed; the worker will retry")
        return response


def send_remembered(session: Session) -> dict[str, int]:
    """Send the calls this session's committed transactions decided. Returns how many were sent, how many wait."""
    done = {"sent": 0, "waiting": 0}
    while session.info.get(calls.OUTBOX):  # what a call's answer decides (a capture's refunds) goes too
        for kind, row_id, *about in session.info.pop(calls.OUTBOX):
            done["sent" if send(session, kind, row_id, *about) else "waiting"] += 1
    return done


def pending(session: Session) -> list[tuple[str, int]]:
    """Every call not sent yet: refunds asked of a gateway and transfers not made (oldest first)."""
    refunds = session.scalars(sa.select(Refund.id).join(Refund.payment).where(
        Refund.status == "pending", Refund.gateway_refund_id.is_(None), Payment.gateway != "cash")
        .order_by(Refund.id)).all()
    transfers = session.scalars(sa.select(Transfer.id).where(Transfer.gateway_transfer_id.is_(None))
                                .order_by(Transfer.id)).all()
    extras = session.scalars(sa.select(ExtraPayment.id).where(ExtraPayment.status == "pending",
                                                              ExtraPayment.gateway_refund_id.is_(None))
                             .order_by(ExtraPayment.id)).all()
    session.rollback()
    return [("refund", i) for i in refunds] + [("transfer", i) for i in transfers] + [("extra", i) for i in extras]


def send(session: Session, kind: str, row_id: int, *about: str) -> bool:
    """Ask the gateway for one pending call and apply its answer. False if it must wait (unreachable);
    a refusal (4xx) is recorded: a refund refused is failed (a person must look), logged either way."""
    try:
        return SENDERS[kind](session, row_id, *about)
    except gateways.GatewayRefused as exc:
        session.rollback()
        log.error("%s %s refused by the gateway: %s", kind, row_id, exc.reason)
        if kind == "refund":
            session.execute(sa.update(Refund).where(Refund.id == row_id, Refund.status == "pending",
                                                    Refund.gateway_refund_id.is_(None))
                            .values(status="failed", problem=str(exc.reason)[:200]))
            session.commit()
        if kind == "extra":
            second_payments.second_payment_refused(session, row_id, exc.reason)
            session.commit()
        return False
    except gateways.GatewayUnavailable as exc:
        session.rollback()
        log.warning("%s %s waits: the gateway cannot be reached (%s)", kind, row_id, exc)
        return False


def _send_capture(session: Session, payment_id: int, attempt_id: str) -> bool:
    """Capture an authorized attempt (Razorpay without auto-capture), then settle the payment with what the
    gateway says. Capturing twice cannot happen: an attempt captured since is only fetched."""
    payment = session.get(Payment, payment_id)
    if payment is None or payment.status in MONEY_TAKEN:
        session.rollback()
        return True
    amount = payment.amount_paise
    session.rollback()  # nothing held while the gateway is asked
    upi = gateways.upi()
    entity = upi.fetch_payment(attempt_id)
    if entity["status"] == "authorized":
        entity = upi.capture(attempt_id, amount)
    capture.settle(session, session.get_one(Payment, payment_id), entity, "capture")
    session.commit()
    return True


def _send_refund(session: Session, refund_id: int) -> bool:
    made = session.get(Refund, refund_id)
    if made is None or made.status != "pending" or made.gateway_refund_id or made.payment.gateway == "cash":
        session.rollback()
        return True
    gateway, gateway_payment_id, amount, order_id = (made.payment.gateway, made.payment.gateway_payment_id,
                                                     made.amount_paise, made.order_id)
    session.rollback()  # nothing held while the gateway is asked
    assert gateway_payment_id is not None  # a refund is only made of money a gateway took
    if gateway == "stripe":
        card = gateways.card()
        if card is None:  # cards switched off since: the refund waits for them (reconcile tries again)
            raise gateways.GatewayUnavailable("Stripe's keys are not set")
        answer = card.refund(gateway_payment_id, amount, f"haat-refund-{refund_id}")
    else:
        upi = gateways.upi()
        made_before = next((r for r in upi.refunds(gateway_payment_id)
                            if (r.get("notes") or {}).get("haat_refund") == str(refund_id)), None)
        answer = made_before or upi.refund(gateway_payment_id, amount, {"haat_refund": str(refund_id),
                                                                         "order_id": str(order_id)})
    refund_answered(session, session.get_one(Refund, refund_id), answer)
    session.commit()
    return True


def _send_transfer(session: Session, transfer_id: int) -> bool:
    made = session.get(Transfer, transfer_id)
    if made is None or made.gateway_transfer_id:
        session.rollback()
        return True
    payment = session.get_one(Payment, made.payment_id)
    gateway_payment_id, account, amount = payment.gateway_payment_id, made.recipient, made.amount_paise
    assert gateway_payment_id is not None  # a transfer is only made of money a gateway took
    number = session.get_one(Order, made.order_id).number
    session.rollback()  # nothing held while the gateway is asked
    upi = gateways.upi()
    # One made before (a crash after the gateway answered) is adopted, never made twice.
    sent = next((t for t in upi.transfers(gateway_payment_id) if t["recipient"] == account
                 and (t.get("notes") or {}).get("order") == number), None)
    sent = sent or upi.transfer(gateway_payment_id, account, amount, {"order": number})
    transfer_made(session, session.get_one(Transfer, transfer_id), sent["id"])
    session.commit()
    return True


def _send_extra(session: Session, extra_id: int) -> bool:
    """Send back a second payment of a paid checkout, all that is left of it; one made before is adopted."""
    extra = session.get(ExtraPayment, extra_id)
    if extra is None or extra.status != "pending" or extra.gateway_refund_id:
        session.rollback()
        return True
    gateway_payment_id, left = extra.gateway_payment_id, extra.amount_paise - extra.refunded_paise
    session.rollback()  # nothing held while the gateway is asked
    upi = gateways.upi()
    answer = next((r for r in upi.refunds(gateway_payment_id)
                   if (r.get("notes") or {}).get("haat_extra") == str(extra_id)), None) \
        or upi.refund(gateway_payment_id, left, {"haat_extra": str(extra_id)})
    second_payments.second_payment_returned(session, session.get_one(ExtraPayment, extra_id), answer)
    session.commit()
    return True


SENDERS: dict[str, Callable[..., bool]] = {"capture": _send_capture, "refund": _send_refund,
                                           "transfer": _send_transfer, "extra": _send_extra}
