"""The ONDC message log: every message we ACKed, and the callback we owe for it.

One row per (message_id, action): a repeat of a message is answered ACK again and finds its row, so it gets no
second callback. The row is also the worker's queue (state, attempts, next_at) and the audit trail (who sent
what, when we answered, what we sent back).

What is kept of a message (`redact`): the context whole, and the message with the buyer's personal data taken out:
names, phone numbers, e-mail addresses, postal addresses, tax numbers and the delivery's GPS point are replaced
by "[redacted]". Order handling keeps what it needs in its own tables (the delivery address of an order, for as
long as the order needs it); the log needs none of it to show who asked what and what we answered. The whole
message is kept beside it (`payload`) only until its callback is done (seconds: the TTL), for the handler. NACKed
messages are not stored here (a forged request must not fill the table): they go to the app log, without bodies.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from market.core.db import Base, UTCDateTime, utcnow

REDACTED = "[redacted]"
# Keys whose whole value is personal wherever they appear in a buyer's message.
PERSONAL = {"phone", "email", "address", "tax_number", "contact", "person", "name_on_card"}
# Keys personal only inside these objects, at any depth ("name" is also an item's or a shop's name; "gps" is also
# the shop's pickup point, but under a fulfilment's "end" it is the buyer's door).
PERSONAL_WITHIN = {"billing": {"name"}, "customer": {"name"}, "end": {"gps"}}
STATES = ("pending", "sending", "sent", "refused", "expired", "failed", "none")


def redact(value: Any, within: frozenset[str] = frozenset()) -> Any:
    """A copy of a message with the buyer's personal data replaced (see the module doc)."""
    if isinstance(value, dict):
        personal = PERSONAL.union(*(PERSONAL_WITHIN.get(key, ()) for key in within))
        return {key: _blank(item) if key in personal else redact(item, within | {key})
                for key, item in value.items()}
    if isinstance(value, list):
        return [redact(item, within) for item in value]
    return value


def _blank(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _blank(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_blank(item) for item in value]
    return REDACTED if value not in (None, "") else value


class OndcMessage(Base):
    """A message a buyer app (or the gateway) sent us and we ACKed, with the state of its callback."""

    __tablename__ = "ondc_messages"
    __table_args__ = (
        sa.UniqueConstraint("message_id", "action"),
        sa.CheckConstraint("state IN ('pending', 'sending', 'sent', 'refused', 'expired', 'failed', 'none')",
                           name="state_known"),
        sa.Index("ix_ondc_messages_state_next_at", "state", "next_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[str] = mapped_column(sa.String(100))
    action: Mapped[str] = mapped_column(sa.String(20))
    transaction_id: Mapped[str] = mapped_column(sa.String(100), index=True)
    domain: Mapped[str] = mapped_column(sa.String(20))
    bap_id: Mapped[str] = mapped_column(sa.String(255))
    bap_uri: Mapped[str] = mapped_column(sa.String(500))
    signed_by: Mapped[str] = mapped_column(sa.String(300))  # keyId of the Authorization (and the gateway's)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)  # context timestamp + ttl: no callback after it
    request: Mapped[str] = mapped_column(sa.Text)  # the message as received, redacted (JSON)
    # The whole message, personal data and all, only until its callback is done (sent, refused, expired, failed):
    # the handler reads it then (an init's billing is echoed in on_init); then it is erased (NULL).
    payload: Mapped[str | None] = mapped_column(sa.Text)
    # The callback: pending -> sending -> sent (the BAP ACKed) | refused (it NACKed) | expired (TTL passed) |
    # failed (tries used up); none: the handler had nothing to send.
    state: Mapped[str] = mapped_column(sa.String(8), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    callback: Mapped[str | None] = mapped_column(sa.Text)  # what we sent (or tried to), redacted (JSON)
    problem: Mapped[str] = mapped_column(sa.String(300), default="")  # the last failure, for the log's reader

    def request_body(self) -> dict:
        return json.loads(self.request)
