"""The payment state machine: pure, no database.

created -> authorized -> captured -> partly_refunded -> refunded
created -> captured (the gateway captured it at once; cash handed over)
created | authorized -> expired (never paid in time: its orders are cancelled)
expired -> captured (money arrived after all: it is refunded at once, the orders stay cancelled)
"""

from __future__ import annotations

import enum


class PaymentStatus(enum.StrEnum):
    CREATED = "created"
    AUTHORIZED = "authorized"
    CAPTURED = "captured"
    PARTLY_REFUNDED = "partly_refunded"
    REFUNDED = "refunded"
    EXPIRED = "expired"


P = PaymentStatus
TRANSITIONS: frozenset[tuple[PaymentStatus, PaymentStatus]] = frozenset({
    (P.CREATED, P.AUTHORIZED),
    (P.CREATED, P.CAPTURED),
    (P.AUTHORIZED, P.CAPTURED),
    (P.CREATED, P.EXPIRED),
    (P.AUTHORIZED, P.EXPIRED),
    (P.EXPIRED, P.CAPTURED),
    (P.CAPTURED, P.PARTLY_REFUNDED),
    (P.CAPTURED, P.REFUNDED),
    (P.PARTLY_REFUNDED, P.PARTLY_REFUNDED),  # another part refunded
    (P.PARTLY_REFUNDED, P.REFUNDED),
})
WAITING = frozenset({P.CREATED, P.AUTHORIZED})  # no money yet
MONEY_TAKEN = frozenset({P.CAPTURED, P.PARTLY_REFUNDED, P.REFUNDED})


class IllegalPaymentMove(RuntimeError):
    """That payment cannot go from this state to that one: code that should have looked first (a bug, logged)."""


def check_move(current: PaymentStatus | str, target: PaymentStatus | str) -> None:
    """Raise IllegalPaymentMove unless the move is in the table."""
    if (PaymentStatus(current), PaymentStatus(target)) not in TRANSITIONS:
        raise IllegalPaymentMove(f"a payment cannot go from {current} to {target}")


def after_refund(amount_paise: int, refunded_paise: int) -> PaymentStatus:
    """The state a captured payment is in once `refunded_paise` of it went back."""
    if refunded_paise <= 0:
        return P.CAPTURED
    return P.REFUNDED if refunded_paise >= amount_paise else P.PARTLY_REFUNDED
