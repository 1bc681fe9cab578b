"""A wholesale order paid in parts: pure rules, no database.

An order made from an agreed quote carries the quote's advance percent. Its total is due in two parts: the
advance (that percent of the total, rounded half up to the paisa), paid before the seller accepts and makes it,
and the balance (the rest), paid before dispatch, or on delivery in cash. A part of 0 is not due at all.

Each part carries its share of the order's goods, of Haat's fee and of the delivery charge, worked out on the
running total (`share_of`), so the parts, paid in either order, add up to exactly the whole: the ledger and her
plan's shares follow each payment.

A bank transfer is matched by its UTR, the reference the wholesaler's bank gives him. Real shapes (RBI and the
banks' statements): an IMPS (or UPI) transfer's reference is its 12-digit RRN; a NEFT UTR is 16 characters (the
sending bank's 4-letter IFSC code, then 12 letters and digits, e.g. SBIN426123456789); an RTGS UTR is 22 (the
bank code, "R", a channel digit, the date YYYYMMDD and an 8-digit serial). Old RTGS references were 16 long
like NEFT's. So: 12 digits, or 16 or 22 letters and digits with at least one digit; lengths in between are a
typing slip.
"""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l

from market.core.errors import Refusal

ADVANCE, BALANCE = "advance", "balance"
METHODS = ("upi", "bank", "cash")  # what a wholesaler may pay each part with


class UtrError(Refusal):
    """A bank transfer's reference that cannot be one."""


def advance_paise(total_paise: int, percent: int) -> int:
    """The advance: `percent` of the total, rounded half up to the paisa."""
    if not 0 <= percent <= 100 or total_paise < 0:
        raise ValueError("advance percent out of 0..100, or a negative total")
    return (total_paise * percent * 2 + 100) // 200


def parts_due(total_paise: int, percent: int) -> list[tuple[str, int]]:
    """The parts of the order's total, in the order they are due, each above zero: advance, balance."""
    advance = advance_paise(total_paise, percent)
    return [(part, amount) for part, amount in ((ADVANCE, advance), (BALANCE, total_paise - advance)) if amount > 0]


def share_of(whole: int, total: int, amount: int, before: int) -> int:
    """The part of `whole` (the goods, Haat's fee, the delivery charge) that a payment of `amount` carries, after
    payments of `before` for the same order: its share of all paid so far, rounded down once, less what the
    earlier ones carried. Parts adding up to the total carry all of `whole`, in any order."""
    if total <= 0:
        return 0
    return whole * (before + amount) // total - whole * before // total


_UTR = re.compile(r"[0-9]{12}|(?=[A-Z0-9]*[0-9])(?:[A-Z0-9]{16}|[A-Z0-9]{22})")


def utr(text: str) -> str:
    """The UTR as typed, in capitals without spaces or dashes; UtrError if it is not a real reference's shape."""
    typed = re.sub(r"[\s\-]+", "", text or "").upper()
    if not typed.isascii() or not _UTR.fullmatch(typed):
        raise UtrError(_l("A transfer's reference (UTR) is 12 digits (IMPS), 16 letters and digits (NEFT) or 22 "
                          "(RTGS). Copy it from your bank's message or statement."))
    return typed
