"""What the gateway is asked once the transaction that decided it has committed (sent by payments.outbox)."""

from __future__ import annotations

from sqlalchemy.orm import Session

OUTBOX = "haat.to_send"


def to_send(session: Session, kind: str, row_id: int, *about: str) -> None:
    """Remember a call for the gateway (a refund, a transfer, a capture of the attempt `about` names) decided in
    this transaction: the request's end (payments.outbox) sends it after the commit; the worker (refunds,
    transfers) or reconcile (captures) if that fails."""
    session.info.setdefault(OUTBOX, []).append((kind, row_id, *about))


def waiting_to_send(session: Session) -> list[tuple]:
    """The calls remembered in this session so far (sent or not)."""
    return list(session.info.get(OUTBOX, ()))
