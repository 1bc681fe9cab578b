"""Flows across features, one module each, read top to bottom: a view (or the CLI, or a worker) calls one, and
it calls the features in order: checkout, capture, order_moves, refunds, stall_sale, erasure,
wholesale_pay.

What the gateway or the clock starts deep inside payments (a capture from a webhook, a payment expired, a refund
processed) reaches its flow through a domain event (market.core.events): importing this package connects them,
and create_app imports it.
"""

from market.flows import capture, checkout, erasure, order_moves, refunds, stall_sale, wholesale_pay  # noqa: F401
