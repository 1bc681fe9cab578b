"""The callbacks we owe: each message's handler run once, its on_<action> signed and sent to the bap_uri within the
message's TTL, tried again while the buyer app cannot be reached.

A row of the message log goes pending -> sending (claimed and committed before anything is done: another worker
never takes it) -> the handler runs and its answer is stored with whatever the handler wrote, in one commit (a
retry sends the same answer: a confirm never makes a second order) -> sent (the buyer app ACKed), refused (it
NACKed: trying again would not help), failed (MAX_ATTEMPTS used up) or expired (its TTL passed before it went:
dropped and logged). A buyer app that cannot be reached, or answers 5xx, puts it back to pending for later
(BACKOFF doubling). At the end the whole message and answer are erased; the log keeps their redacted copies.

Run by the view after its response is sent (HAAT_ONDC_CALLBACKS_INLINE, the demo and tests) and by
`flask --app market ondc work` beside the web processes (the Procfile): the worker sends what is left.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta

import requests
import sqlalchemy as sa
from sqlalchemy.orm import Session

from market.core import beckn
from market.core.beckn import INTERNAL_ERROR, Nack
from market.core.db import rows_matched, utcnow
from market.ondc import dispatch
from market.ondc.models import OndcMessage, redact
from market.ondc.network import Network

log = logging.getLogger(__name__)

BACKOFF = timedelta(seconds=2)
MAX_ATTEMPTS = 6
STUCK = timedelta(minutes=5)  # a row "sending" this long: its worker stopped; it is tried again
FINAL = ("sent", "refused", "expired", "failed", "none")


def send_due(session: Session, net: Network, now: datetime | None = None, ids: Iterable[int] | None = None,
             limit: int = 100) -> dict[str, int]:
    """Send the callbacks that are due (only those `ids`, if given). Counts by the state each ended in. Commits."""
    now = now or utcnow()
    # Inline after a request: only that request's rows (the worker sweeps the rest).
    only = OndcMessage.id.in_(list(ids)) if ids is not None else sa.true()
    expired = session.scalars(sa.select(OndcMessage).where(OndcMessage.state.in_(("pending", "sending")),
                                                           OndcMessage.expires_at < now, only)).all()
    for row in expired:
        log.warning("ONDC %s %s: its ttl passed before the callback went (%s tries): dropped", row.action,
                    row.message_id, row.attempts)
        _finish(row, "expired", now)
    if ids is None:
        session.execute(sa.update(OndcMessage).where(OndcMessage.state == "sending",
                                                     OndcMessage.claimed_at < now - STUCK).values(state="pending"))
    due = sa.select(OndcMessage.id).where(OndcMessage.state == "pending", OndcMessage.next_at <= now, only)
    chosen = session.scalars(due.order_by(OndcMessage.id).limit(limit)).all()
    session.commit()
    counts = {"expired": len(expired)}
    for row_id in chosen:
        state = send_one(session, net, row_id, now)
        if state:
            counts[state] = counts.get(state, 0) + 1
    return counts


def send_one(session: Session, net: Network, row_id: int, now: datetime) -> str | None:
    """Handle (if not yet) and send one callback; the state it is left in (None: another worker has it)."""
    claimed = session.execute(sa.update(OndcMessage).where(OndcMessage.id == row_id, OndcMessage.state == "pending")
                              .values(state="sending", claimed_at=now, attempts=OndcMessage.attempts + 1))
    session.commit()
    if not rows_matched(claimed):
        return None
    row = session.get_one(OndcMessage, row_id)
    if row.callback is None or row.payload is not None:
        _handle(session, net, row, now)
        row = session.get_one(OndcMessage, row_id)
        if row.state == "none":
            return "none"
    assert row.callback is not None  # handled above
    callback = json.loads(row.callback)
    body = beckn.dumps(callback)
    url = f"{row.bap_uri}/on_{row.action}"
    session.commit()  # nothing held while the buyer app is called
    try:
        response = net.http.post(url, data=body, timeout=beckn.TIMEOUT, headers={
            "Content-Type": "application/json", "Authorization": net.identity.sign(body)})
        problem, state = _outcome(response)
    except requests.RequestException as exc:
        problem, state = f"unreachable: {type(exc).__name__}", "pending"
    row = session.get_one(OndcMessage, row_id)
    row.problem = problem[:300]
    if state == "pending" and row.attempts >= MAX_ATTEMPTS:
        state = "failed"
    if state == "pending":
        row.state, row.next_at = "pending", now + BACKOFF * 2 ** (row.attempts - 1)
        log.warning("ONDC on_%s %s: try %s failed (%s); tried again later", row.action, row.message_id,
                    row.attempts, problem)
    else:
        if state != "sent":
            log.warning("ONDC on_%s %s: %s (%s)", row.action, row.message_id, state, problem)
        _finish(row, state, now)
    session.commit()
    return state


def _outcome(response: requests.Response) -> tuple[str, str]:
    try:
        answer = response.json()
        status = answer["message"]["ack"]["status"]
    except (ValueError, KeyError, TypeError):
        answer, status = {}, None
    if response.status_code >= 500:
        return f"the buyer app answered {response.status_code}", "pending"
    if response.status_code == 200 and status == "ACK":
        return "", "sent"
    error = answer.get("error") if isinstance(answer, dict) else None
    return f"NACK {response.status_code}: {json.dumps(error)[:200] if error else 'no error given'}", "refused"


def _handle(session: Session, net: Network, row: OndcMessage, now: datetime) -> None:
    """Run the action's handler on the whole message; store its callback with what it wrote (one commit)."""
    request = json.loads(row.payload or row.request)
    row_id = row.id
    try:
        message = dispatch.handler(row.action)(session, request)
        error = None
    except Nack as refusal:
        session.rollback()
        message, error = None, refusal.error()
    except Exception:  # a bug of ours: the buyer app hears of an internal error, the log has the trace
        session.rollback()
        log.exception("ONDC %s %s: the handler failed", row.action, row.message_id)
        message, error = None, Nack(INTERNAL_ERROR, "internal error", "CORE-ERROR").error()
    row = session.get_one(OndcMessage, row_id)
    if message is None and error is None:
        _finish(row, "none", now)
        session.commit()
        return
    callback: dict = {"context": callback_context(net, request["context"], now),
                      "message": message if message is not None else {}}
    if error is not None:
        callback["error"] = error
    row.callback = json.dumps(callback)
    row.payload = None
    session.commit()


def owe_unsolicited(session: Session, net: Network, asked: dict, message: dict, now: datetime | None = None,
                    ttl: timedelta = timedelta(hours=1)) -> OndcMessage:
    """Queue a callback nobody asked for just now (an incremental catalogue refresh's on_search, an order's
    on_status when the seller moves it): `asked` is the context of the buyer app's earlier message (its bap_uri,
    transaction), the callback gets a new message_id (Beckn: unsolicited callbacks do). Flushes; sent like the
    others once the caller commits (the worker, or `send_due(..., ids=[row.id])`)."""
    now = now or utcnow()
    context = {**callback_context(net, asked, now), "message_id": str(uuid.uuid4())}
    row = OndcMessage(message_id=context["message_id"], action=asked["action"], transaction_id=asked["transaction_id"],
                      domain=asked["domain"], bap_id=asked["bap_id"], bap_uri=asked["bap_uri"].rstrip("/"),
                      signed_by="(unsolicited)", received_at=now, expires_at=now + ttl,
                      request=json.dumps({"unsolicited": True}), payload=None, state="pending", next_at=now,
                      callback=json.dumps({"context": context, "message": message}))
    session.add(row)
    session.flush()
    return row


def callback_context(net: Network, asked: dict, now: datetime) -> dict:
    """The context of our answer: theirs, with our action, ids, address and time."""
    return {**asked, "action": f"on_{asked['action']}", "bpp_id": net.identity.subscriber_id,
            "bpp_uri": net.identity.subscriber_url, "timestamp": beckn.format_timestamp(now)}


def _finish(row: OndcMessage, state: str, now: datetime) -> None:
    """A final state: the whole message and answer erased, their redacted copies kept."""
    row.state, row.answered_at, row.payload = state, now, None
    if row.callback is not None:
        row.callback = json.dumps(redact(json.loads(row.callback)))
