"""Paying a wholesale order in parts, and its invoices.

1. The order comes from an agreed quote with the quote's advance percent (orders.quotes.order_from_quote); the
   buyer gets a proforma invoice for it at once (orders.invoices.proforma), before paying anything.
2. For each part due (payments.dues: the advance, then the balance) the buyer chooses UPI (paid at the gateway,
   confirmed by its callback or webhook), a bank transfer (its UTR) or cash (payments.parts.choose).
3. The seller (or staff) confirms a transfer when the money is in, or cash in hand (payments.parts.confirm); a
   UPI payment confirms itself. Each part, once paid, is posted to the ledger and her plan's shares follow
   (payments.services.captured, then market.flows.capture).
4. She accepts and makes the order once the advance is in; she sends it once the balance is in, or to be paid
   in cash on delivery (market.flows.order_moves). The tax invoice, with his GSTIN, is made from then on.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from market.core.models import User
from orders.models import Order
from payments import parts
from payments.models import Payment


def choose(session: Session, order: Order, buyer: User, part: str, method: str, utr_text: str = "") -> Payment:
    """The buyer's way of paying one part. Raises PaymentError, UtrError."""
    return parts.choose(session, order, buyer, part, method, utr_text)


def confirm(session: Session, payment: Payment, by: User) -> str:
    """The seller or staff confirm a transfer or cash: the part is paid, the ledger and her plan follow."""
    return parts.confirm(session, payment, by)
