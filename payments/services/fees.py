"""Haat's fee on an online order, what its goods earned the shop, and the part of the fee and the delivery
charge a refund gives back.
"""

from __future__ import annotations

from flask import current_app

from orders.models import Order


def platform_fee(total_paise: int) -> int:
    """Haat's share of an online order, rounded down to the paisa."""
    return total_paise * int(current_app.config["PLATFORM_FEE_BPS"]) // 10_000


def order_fee(order: Order) -> int:
    """Haat's fee on an online order: on its goods, not on the delivery charge (that is owed to who delivers)."""
    return platform_fee(order.subtotal_paise)


def goods_earned(order: Order) -> int:
    """What the goods of an online order earned the shop: her sales income and the base of her plan's shares.
    The delivery charge is neither (it sits in business:<id>:delivery)."""
    return order.subtotal_paise - order_fee(order)


def _given_back(whole: int, total: int, refunded_paise: int, refunded_before_paise: int) -> int:
    """The part of `whole` that a refund gives back: its share of all refunded so far, rounded down once, less
    what the earlier refunds gave back. So parts adding up to the whole order give back all of `whole`."""
    return whole * (refunded_before_paise + refunded_paise) // total - whole * refunded_before_paise // total


def fee_given_back(order: Order, refunded_paise: int, refunded_before_paise: int = 0) -> int:
    """The part of Haat's fee on an online order that a refund of `refunded_paise` gives back, after refunds of
    `refunded_before_paise` already processed for it."""
    return _given_back(order_fee(order), order.total_paise, refunded_paise, refunded_before_paise)


def delivery_given_back(order: Order, refunded_paise: int, refunded_before_paise: int = 0) -> int:
    """The part of the order's delivery charge that a refund gives back (a refund is of goods and delivery in
    proportion; the whole order gives back all of it)."""
    return _given_back(order.delivery_fee_paise, order.total_paise, refunded_paise, refunded_before_paise)
