"""Which handler answers each action: `handle(session, body) -> dict | None`.

`body` is the whole message received ({"context": ..., "message": ...}); the handler returns the `message` of its
on_<action> callback, or None when there is nothing to send, or raises market.core.beckn.Nack with an ONDC error
code (sent as the callback's `error`). It runs in the worker's transaction, committed with the callback it made
(a retry of the callback sends the same answer and does not run the handler again), and flushes, never commits.

An action without a handler yet is answered NACK at once ("Action not applicable", 40001): a BPP that ACKs must
call back (Beckn core 1.1.0, Ack).
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from market.core.beckn import NOT_APPLICABLE, Nack
from market.ondc import catalogue

Handler = Callable[[Session, dict], dict | None]

# IGM 1.0.0 (issue, issue_status) runs on its own core version; the retail API contract on 1.2.0.
IGM = ("issue", "issue_status")
CORE_VERSION = {"issue": "1.0.0", "issue_status": "1.0.0"}
RETAIL_CORE_VERSION = "1.2.0"


def _search(session: Session, body: dict) -> dict | None:
    return catalogue.on_search(session, body["context"], body["message"])


HANDLERS: dict[str, Handler | None] = {
    "search": _search,
    "select": None,
    "init": None,
    "confirm": None,
    "status": None,
    "cancel": None,
    "update": None,
    "track": None,
    "issue": None,
    "issue_status": None,
}
ACTIONS = tuple(HANDLERS)


def core_version(action: str) -> str:
    return CORE_VERSION.get(action, RETAIL_CORE_VERSION)


def handler(action: str) -> Handler:
    """The action's handler; Nack 40001 if it has none yet."""
    found = HANDLERS.get(action)
    if found is None:
        raise Nack(NOT_APPLICABLE, f"{action} is not implemented yet", "DOMAIN-ERROR")
    return found
