"""The order state machine: pure, no database. Who may move an order from which state to which, by its
delivery method.

pickup:  placed -> confirmed -> packed -> ready_for_pickup -> collected -> completed
local:   placed -> confirmed -> packed -> out_for_delivery -> delivered -> completed
courier: placed -> confirmed -> packed -> shipped (courier, tracking number, link) -> delivered -> completed
cancelled from placed, confirmed or packed; refund_requested once handed over (collected or delivered);
refunded from refund_requested or (when money was taken) cancelled.
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
    OUT_FOR_DELIVERY = "out_for_delivery"
    SHIPPED = "shipped"
    COLLECTED = "collected"
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


class Method(enum.StrEnum):
    """How the order reaches the buyer (orders.delivery)."""

    PICKUP = "pickup"
    LOCAL = "local"
    COURIER = "courier"


S, A, M = OrderStatus, Actor, Method
# (from, to) -> who may make that move
TRANSITIONS: dict[tuple[OrderStatus, OrderStatus], frozenset[Actor]] = {
    (S.PLACED, S.CONFIRMED): frozenset({A.SELLER, A.ADMIN}),
    (S.CONFIRMED, S.PACKED): frozenset({A.SELLER, A.ADMIN}),
    (S.PACKED, S.READY_FOR_PICKUP): frozenset({A.SELLER, A.ADMIN}),
    (S.READY_FOR_PICKUP, S.COLLECTED): frozenset({A.SELLER, A.BUYER, A.ADMIN}),
    (S.PACKED, S.OUT_FOR_DELIVERY): frozenset({A.SELLER, A.ADMIN}),
    (S.OUT_FOR_DELIVERY, S.DELIVERED): frozenset({A.SELLER, A.BUYER, A.ADMIN}),
    (S.PACKED, S.SHIPPED): frozenset({A.SELLER, A.ADMIN}),
    (S.SHIPPED, S.DELIVERED): frozenset({A.SELLER, A.BUYER, A.ADMIN}),
    (S.COLLECTED, S.COMPLETED): frozenset({A.BUYER, A.ADMIN, A.SYSTEM}),
    (S.DELIVERED, S.COMPLETED): frozenset({A.BUYER, A.ADMIN, A.SYSTEM}),
    (S.PLACED, S.CANCELLED): frozenset({A.BUYER, A.SELLER, A.ADMIN, A.SYSTEM}),
    (S.CONFIRMED, S.CANCELLED): frozenset({A.BUYER, A.SELLER, A.ADMIN, A.SYSTEM}),  # SYSTEM: refunded in full
    (S.PACKED, S.CANCELLED): frozenset({A.SELLER, A.ADMIN, A.SYSTEM}),  # at the gateway (its dashboard)
    (S.COLLECTED, S.REFUND_REQUESTED): frozenset({A.BUYER, A.ADMIN}),
    (S.DELIVERED, S.REFUND_REQUESTED): frozenset({A.BUYER, A.ADMIN}),
    (S.REFUND_REQUESTED, S.REFUNDED): frozenset({A.SELLER, A.ADMIN, A.SYSTEM}),
    (S.REFUND_REQUESTED, S.COMPLETED): frozenset({A.ADMIN}),  # refund refused after review
    (S.CANCELLED, S.REFUNDED): frozenset({A.ADMIN, A.SYSTEM}),  # money taken, then cancelled
}
_PICKUP, _LOCAL, _COURIER, _SENT = (frozenset({M.PICKUP}), frozenset({M.LOCAL}), frozenset({M.COURIER}),
                                    frozenset({M.LOCAL, M.COURIER}))
# The moves only some ways of delivery make; every other move is for every method.
ONLY_FOR: dict[tuple[OrderStatus, OrderStatus], frozenset[Method]] = {
    (S.PACKED, S.READY_FOR_PICKUP): _PICKUP, (S.READY_FOR_PICKUP, S.COLLECTED): _PICKUP,
    (S.COLLECTED, S.COMPLETED): _PICKUP, (S.COLLECTED, S.REFUND_REQUESTED): _PICKUP,
    (S.PACKED, S.OUT_FOR_DELIVERY): _LOCAL, (S.OUT_FOR_DELIVERY, S.DELIVERED): _LOCAL,
    (S.PACKED, S.SHIPPED): _COURIER, (S.SHIPPED, S.DELIVERED): _COURIER,
    (S.DELIVERED, S.COMPLETED): _SENT, (S.DELIVERED, S.REFUND_REQUESTED): _SENT,
}
OPEN = frozenset({S.PLACED, S.CONFIRMED, S.PACKED, S.READY_FOR_PICKUP, S.OUT_FOR_DELIVERY, S.SHIPPED})
HANDED_OVER = frozenset({S.COLLECTED, S.DELIVERED})  # the buyer has it: cash on delivery is taken here
RELEASES_STOCK = frozenset({S.CANCELLED})  # reaching this puts the stock back


class IllegalTransition(RuntimeError):
    """A move not allowed from this state, or not for this actor, reached by code that should have checked first:
    a bug (logged, the 500 page). A person's request is checked with `refuse_move` before it gets here."""


class MoveRefused(Refusal):
    """A person asked for a move the order cannot make now (a button on a page that is no longer current)."""


def for_method(current: OrderStatus, target: OrderStatus, method: Method | str | None) -> bool:
    """Whether the move belongs to this delivery method (None: only the moves every method makes)."""
    only = ONLY_FOR.get((current, target))
    return only is None or method in only


def can_move(current: OrderStatus | str, target: OrderStatus | str, actor: Actor | str,
             method: Method | str | None = None) -> bool:
    """True if `actor` may move an order delivered by `method` from `current` to `target`."""
    try:
        frm, to = OrderStatus(current), OrderStatus(target)
        allowed = TRANSITIONS[(frm, to)]
    except (KeyError, ValueError):
        return False
    return Actor(actor) in allowed and for_method(frm, to, method)


def check_move(current: OrderStatus | str, target: OrderStatus | str, actor: Actor | str,
               method: Method | str | None = None) -> None:
    """Raise IllegalTransition unless the move is allowed."""
    if not can_move(current, target, actor, method):
        raise IllegalTransition(f"{actor} cannot move a {method} order from {current} to {target}")


def refuse_move(current: OrderStatus | str, target: OrderStatus | str, actor: Actor | str,
                method: Method | str | None = None) -> None:
    """What a person's request is checked with before the order moves: MoveRefused, with a message for her,
    unless the move is allowed (a stale page's button, or a form that names no state)."""
    if not can_move(current, target, actor, method):
        raise MoveRefused(_l("That cannot be done to this order now."))


def next_moves(current: OrderStatus | str, actor: Actor | str, method: Method | str | None = None) -> list[OrderStatus]:
    """The states `actor` may move an order delivered by `method` to next, in lifecycle order."""
    order = list(OrderStatus)
    return sorted((to for (frm, to) in TRANSITIONS if frm == current and can_move(frm, to, actor, method)),
                  key=order.index)
