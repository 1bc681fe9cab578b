"""Payments: start one, confirm it (callback, webhook or reconcile), expire it, refund, transfer, cash.

One module per concern, each read top to bottom; this lists the package's public API:
common (the error, an order's payment, a payment's moves), fees, calls (asked of the gateway after the commit),
starting, wholesale (paid in parts), refunds, refund_retries, second_payments, capture, webhooks, cash (cash on
delivery, stall sales), transfers, acceptance (what orders ask of payments), reconcile.
"""

from payments.services.acceptance import accepts, awaiting_payment, may_accept
from payments.services.calls import OUTBOX, to_send, waiting_to_send
from payments.services.capture import captured, confirm_callback, settle, settle_stripe
from payments.services.cash import MAX_SALE_PAISE, cash_received, record_sale
from payments.services.common import P, PaymentError, payment_for, payments_for
from payments.services.fees import delivery_given_back, fee_given_back, goods_earned, order_fee, platform_fee
from payments.services.reconcile import Finding, reconcile_payment, to_reconcile
from payments.services.refund_retries import refused_refunds, retry_refund
from payments.services.refunds import UNALLOCATED, gateway_refund, refund, refund_answered, refund_parts, refunded_for
from payments.services.second_payments import (
    OWED_BACK,
    second_payment_refused,
    second_payment_returned,
    second_payments_to_act_on,
)
from payments.services.starting import MIN_ONLINE_PAISE, expire, open_at_gateway, start
from payments.services.transfers import transfer_debits, transfer_earnings, transfer_made
from payments.services.webhooks import Answer, razorpay_webhook, stripe_webhook
from payments.services.wholesale import (
    PartSplit,
    may_dispatch,
    paid_in_parts,
    part_paid,
    part_split,
    parts_of,
    pays_in_parts,
)

__all__ = [
    "Answer",
    "Finding",
    "MAX_SALE_PAISE",
    "MIN_ONLINE_PAISE",
    "OUTBOX",
    "OWED_BACK",
    "P",
    "PartSplit",
    "PaymentError",
    "UNALLOCATED",
    "accepts",
    "awaiting_payment",
    "captured",
    "cash_received",
    "confirm_callback",
    "delivery_given_back",
    "expire",
    "fee_given_back",
    "gateway_refund",
    "goods_earned",
    "may_accept",
    "may_dispatch",
    "open_at_gateway",
    "order_fee",
    "paid_in_parts",
    "part_paid",
    "part_split",
    "parts_of",
    "payment_for",
    "payments_for",
    "pays_in_parts",
    "platform_fee",
    "razorpay_webhook",
    "reconcile_payment",
    "record_sale",
    "refund",
    "refund_answered",
    "refund_parts",
    "refunded_for",
    "refused_refunds",
    "retry_refund",
    "second_payment_refused",
    "second_payment_returned",
    "second_payments_to_act_on",
    "settle",
    "settle_stripe",
    "start",
    "stripe_webhook",
    "to_reconcile",
    "to_send",
    "transfer_debits",
    "transfer_earnings",
    "transfer_made",
    "waiting_to_send",
]
