"""Reconciliation: compare our payments with the gateway's records and, asked to, apply what we missed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session

from payments import gateways
from payments.models import Payment, Refund
from payments.services.capture import settle, settle_stripe
from payments.services.refunds import gateway_refund
from payments.services.starting import expire
from payments.status import MONEY_TAKEN, WAITING


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
    card = gateways.card()
    assert card is not None  # a card payment is started only while Stripe is on (payments.services.start)
    checkout_session = card.retrieve_session(payment.gateway_order_id)
    if checkout_session.get("payment_status") == "paid":
        return [Finding(payment.id, "paid at Stripe, not here",
                        repair and settle_stripe(session, payment, checkout_session, "reconcile") == "captured")]
    if checkout_session.get("status") == "expired" or overdue:
        return [Finding(payment.id, "never paid: cancel its orders",
                        repair and expire(session, payment, "reconcile", "no payment in time"))]
    return []
