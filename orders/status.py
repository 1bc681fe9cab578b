"""The order state machine: pure, no database. Who may move an order from which state to which.

placed -> confirmed -> packed -> ready_for_pickup | shipped -> delivered -> completed
cancelled from placed, confirmed or packed; refund_requested from delivered; refunded from
refund_requested or (when money was taken) cancelled.
"""

from __future__ import annotations

import enum

from flask_babel import lazy_gettext as _l

from market.core.errors import Refusal


class OrderStatus(enum.StrEnum):
    PLACED = "placed"
    CONFIRMED = "confirmed"
    PACKED = "packed"
    READY_FOR_PICKUP = "ready_for_pickup"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    REFUND_REQUESTED = "refund_requested"
    REFUNDED = "refunded"


class Actor(enum.StrEnum):
    """Who is acting on the order, relative to it."""

    BUYER = "buyer"
    SELLER = "seller"
    ADMIN = "admin"
    SYSTEM = "system"  # payment expiry, gateway webhooks


S, A = OrderStatus, Actor
# (from, to) -> who may make that move
TRANSITIONS: dict[tuple[OrderStatus, OrderStatus], frozenset[Actor]] = {
    (S.PLACED, S.CONFIRMED): frozenset({A.SELLER, A.ADMIN}),
    (S.CONFIRMED, S.PACKED): frozenset({A.SELLER, A.ADMIN}),
    (S.PACKED, S.READY_FOR_PICKUP): frozenset({A.SELLER, A.ADMIN}),
    (S.PACKED, S.SHIPPED): frozenset({A.SELLER, A.ADMIN}),
    (S.READY_FOR_PICKUP, S.DELIVERED): frozenset({A.SELLER, A.BUYER, A.ADMIN}),
    (S.SHIPPED, S.DELIVERED): frozenset({A.SELLER, A.BUYER, A.ADMIN}),
    (S.DELIVERED, S.COMPLETED): frozenset({A.BUYER, A.ADMIN, A.SYSTEM}),
    (S.PLACED, S.CANCELLED): frozenset({A.BUYER, A.SELLER, A.ADMIN, A.SYSTEM}),
    (S.CONFIRMED, S.CANCELLED): frozenset({A.BUYER, A.SELLER, A.ADMIN, A.SYSTEM}),  # SYSTEM: refunded in full
    (S.PACKED, S.CANCELLED): frozenset({A.SELLER, A.ADMIN, A.SYSTEM}),  # at the gateway (its dashboard)
    (S.DELIVERED, S.REFUND_REQUESTED): frozenset({A.BUYER, A.ADMIN}),
    (S.REFUND_REQUESTED, S.REFUNDED): frozenset({A.SELLER, A.ADMIN, A.SYSTEM}),
    (S.REFUND_REQUESTED, S.COMPLETED): frozenset({A.ADMIN}),  # refund refused after review
    (S.CANCELLED, S.REFUNDED): frozenset({A.ADMIN, A.SYSTEM}),  # money taken, then cancelled
}
OPEN = frozenset({S.PLACED, S.CONFIRMED, S.PACKED, S.READY_FOR_PICKUP, S.SHIPPED})
RELEASES_STOCK = frozenset({S.CANCELLED})  # reaching this puts the stock back


class IllegalTransition(RuntimeError):
    """A move not allowed from this state, or not for this actor, reached by code that should have checked first:
    a bug (logged, the 500 page). A person's request is checked with `refuse_move` before it gets here."""


class MoveRefused(Refusal):
    """A person asked for a move the order cannot make now (a button on a page that is no longer current)."""


def can_move(current: OrderStatus | str, target: OrderStatus | str, actor: Actor | str) -> bool:
    """True if `actor` may move an order from `current` to `target`."""
    try:
        allowed = TRANSITIONS[(OrderStatus(current), OrderStatus(target))]
    except (KeyError, ValueError):
        return False
    return Actor(actor) in allowed


def check_move(current: OrderStatus | str, target: OrderStatus | str, actor: Actor | str) -> None:
    """Raise IllegalTransition unless the move is allowed."""
    if not can_move(current, target, actor):
        raise IllegalTransition(f"{actor} cannot move an order from {current} to {target}")


def refuse_move(current: OrderStatus | str, target: OrderStatus | str, actor: Actor | str) -> None:
    """What a person's request is checked with before the order moves: MoveRefused, with a message for her,
    unless the move is allowed (a stale page's button, or a form that names no state)."""
    if not can_move(current, target, actor):
        raise MoveRefused(_l("That cannot be done to this order now."))


def next_moves(current: OrderStatus | str, actor: Actor | str) -> list[OrderStatus]:
    """The states `actor` may move the order to next, in lifecycle order."""
    order = list(OrderStatus)
    return sorted((to for (frm, to), who in TRANSITIONS.items() if frm == current and Actor(actor) in who),
                  key=order.index)
