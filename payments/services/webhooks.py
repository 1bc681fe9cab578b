"""Razorpay and Stripe webhooks: verified, recorded once, applied in a savepoint (payments.services.capture)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from payments import gateways
from payments.models import WebhookEvent
from payments.services.capture import Unreadable, apply_razorpay, apply_stripe


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
    return _applied(session, record, lambda: apply_razorpay(session, gateway, kind, payload, record, body))


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
    return _applied(session, record, lambda: apply_stripe(session, event["type"], event.get("data"), record, body))


def _digest(body: str) -> str:
    return hashlib.sha256(body.encode()).hexdigest()
