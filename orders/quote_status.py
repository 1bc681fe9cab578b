"""The quote state machine: pure, no database. Who may move a quote from which state to which.

requested -> offered (the seller's terms) -> countered (the buyer's price) -> offered -> ... until the side whose
turn it is accepts the other's last offer (-> accepted -> ordered, by the buyer) or declines. A side may change its
own offer while the other has not answered (offered -> offered, countered -> countered). An offer past its
"valid until" date is shown as expired and cannot be accepted (orders.quotes.accept); it can still be countered.
"""

from __future__ import annotations

import enum

from flask_babel import lazy_gettext as _l

from market.core.errors import Refusal
from orders.status import Actor


class QuoteStatus(enum.StrEnum):
    REQUESTED = "requested"
    OFFERED = "offered"  # the seller's offer waits for the buyer
    COUNTERED = "countered"  # the buyer's counter-offer waits for the seller
    ACCEPTED = "accepted"
    DECLINED = "declined"
    ORDERED = "ordered"


Q, A = QuoteStatus, Actor
# (from, to) -> who may make that move
QUOTE_MOVES: dict[tuple[QuoteStatus, QuoteStatus], Actor] = {
    (Q.REQUESTED, Q.OFFERED): A.SELLER,
    (Q.REQUESTED, Q.DECLINED): A.SELLER,
    (Q.OFFERED, Q.OFFERED): A.SELLER,  # she changes her offer before he answers
    (Q.OFFERED, Q.COUNTERED): A.BUYER,
    (Q.OFFERED, Q.ACCEPTED): A.BUYER,
    (Q.OFFERED, Q.DECLINED): A.BUYER,
    (Q.COUNTERED, Q.COUNTERED): A.BUYER,  # he changes his counter-offer before she answers
    (Q.COUNTERED, Q.OFFERED): A.SELLER,
    (Q.COUNTERED, Q.ACCEPTED): A.SELLER,
    (Q.COUNTERED, Q.DECLINED): A.SELLER,
    (Q.ACCEPTED, Q.ORDERED): A.BUYER,
}
OPEN = frozenset({Q.REQUESTED, Q.OFFERED, Q.COUNTERED})  # waiting for someone's answer


class QuoteMoveRefused(Refusal):
    """A person asked for a move the quote cannot make now (a button on a page that is no longer current)."""


def can_move_quote(current: QuoteStatus | str, target: QuoteStatus | str, actor: Actor | str) -> bool:
    """True if `actor` may move a quote from `current` to `target`."""
    try:
        return QUOTE_MOVES.get((QuoteStatus(current), QuoteStatus(target))) == Actor(actor)
    except ValueError:
        return False


def refuse_quote_move(current: QuoteStatus | str, target: QuoteStatus | str, actor: Actor | str) -> None:
    """Raise QuoteMoveRefused, with a message for the person, unless the move is allowed."""
    if not can_move_quote(current, target, actor):
        raise QuoteMoveRefused(_l("That cannot be done to this quote now."))


def quote_moves(current: QuoteStatus | str, actor: Actor | str) -> list[QuoteStatus]:
    """The states `actor` may move the quote to next, in lifecycle order."""
    order = list(QuoteStatus)
    return sorted((to for (frm, to), who in QUOTE_MOVES.items() if frm == current and who == actor),
                  key=order.index)
