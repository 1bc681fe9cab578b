"""Domain events: what happened, announced to whoever keeps a read model of it.

The features send these signals; the read models (market.reports) connect their receivers when market.reports
is imported (create_app imports it, so every process has them). Receivers run synchronously, in the sender's
transaction: what they write commits or rolls back with what caused it, so the dashboards stay exact.
Every signal's sender is the SQLAlchemy session the change is written in.
"""

from __future__ import annotations

from blinker import Namespace

OTHER_CATEGORY = 0  # the category of a sale of something not listed on Haat (a stall sale of something else)

_signals = Namespace()

ledger_posted = _signals.signal("ledger-posted", doc="""A balanced entry was written (market.core.ledger.post).
Sent with `entry` (the LedgerEntry, flushed) and `lines` ({account code: paise, + debit, - credit}, no zero).""")

sale_recorded = _signals.signal("sale-recorded", doc="""A business earned from a sale: an online payment
captured, cash on delivery received (payments), a stall sale (payments.services.record_cash_sale).
Sent with `business` (vendors.models.Business), `parts` ([(category id or OTHER_CATEGORY, paise)], her income
from the goods, the delivery charge left out), `sales` (how many sales: 1) and `at` (when, or None: now).""")

sale_refunded = _signals.signal("sale-refunded", doc="""Money of a sale went back to the buyer (a refund
processed). Sent with `business`, `parts` ([(category id, paise)], the income she lost, positive) and `at`.""")

# What the gateway or the clock did to a payment, for the flows (market.flows) to carry on across features.
# payments cannot call orders or vendors (they sit above it): it says what happened, and the flow that
# follows it (connected when market.flows is imported) does the rest, in the same transaction.

payment_captured = _signals.signal("payment-captured", doc="""A payment's money is ours and is in the ledger
(payments.services.captured: webhook, callback, reconcile, cash received). Sent with `payment` and `orders` (the
orders it pays for). Followed by market.flows.capture: her plan's shares, sellers told, cancelled orders refunded.""")

payment_expired = _signals.signal("payment-expired", doc="""A payment never came (payments.services.expire).
Sent with `payment` and `orders`. Followed by market.flows.order_moves: its orders nobody acted on are cancelled.""")

refund_processed = _signals.signal("refund-processed", doc="""Money of an order went back to its buyer and is
in the ledger (payments.services). Sent with `refund`, `order` and `before` (paise of the order refunded by the
refunds processed before it). Followed by market.flows.refunds: her plan's shares of that money taken back.""")

refunded_at_gateway = _signals.signal("refunded-at-gateway", doc="""A refund the gateway told us about was
recorded for an order (payments.services.gateway_refund). Sent with `order`. Followed by market.flows.refunds:
an order all of whose money went back is cancelled, as the buyer would.""")

quote_moved = _signals.signal("quote-moved", doc="""A quote moved in its state machine (orders.quotes: offered,
countered, accepted, declined, ordered). Sent with `quote`, `before` and `after` (its states) and `actor`
(buyer or seller).""")

order_moved = _signals.signal("order-moved", doc="""An order made one move of its state machine (orders.services.move,
by its delivery method's table: collected, out for delivery, shipped...), its OrderEvent row written. Sent with
`order`, `before` and `after` (OrderStatus) and `actor` (orders.status.Actor). For read models and flows that
follow an order's fulfilment; the money's own follow-up stays in market.flows.order_moves.""")

# The group's own books (vendors.groupfund): what the dashboards' meeting and group-fund figures follow.

meeting_recorded = _signals.signal("meeting-recorded", doc="""A group's meeting was saved
(vendors.groupfund.services.record_meeting), its rows flushed (sent once: a meeting sent again is not saved
again). Sent with `meeting` (its `group_id`, `held_on` and `rows`: who was present, what each paid).""")

fund_loan_moved = _signals.signal("fund-loan-moved", doc="""Money of an internal loan from a group's fund moved:
the loan given, an instalment repaid at a meeting, a repayment corrected (vendors.groupfund.services). Sent with
`loan` (vendors.models.Loan) and `group_id`. Repayments from her plan's shares of sales reach the loan's ledger
account and are followed through `ledger_posted`.""")
