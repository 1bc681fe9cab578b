"""Flows across features, one module each, read top to bottom: a view (or the CLI, or a worker) calls one, and
it calls the features in order: checkout, capture, order_moves, refunds, stall_sale, erasure, member_move,
wholesale_pay.

What the gateway or the clock starts deep inside payments (a capture from a webhook, a payment expired, a refund
processed) reaches its flow through a domain event (market.core.events): importing this package connects them,
and create_app imports it.
"""

from market.flows import (  # noqa: F401
    capture,
    checkout,
    erasure,
    member_move,
    order_moves,
    refunds,
    stall_sale,
    wholesale_pay,
)
