"""Cash paid to the seller herself: for an order (cash on delivery), or a sale at a market stall."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from catalog.models import Variant
from market.core import events
from market.core import ledger as books
from market.core.ledger import EntryKind
from market.core.models import User
from orders.models import Order
from payments.models import CashSale
from payments.services.capture import captured
from payments.services.common import P, PaymentError, payment_for
from vendors.models import Business


def cash_received(session: Session, order: Order, seller: User) -> None:
    """The seller says the buyer paid her in cash (or to her UPI QR) for this order."""
    payment = payment_for(session, order)
    if payment is None or payment.gateway != "cash":
        raise PaymentError(_l("This order is paid online, not in cash."))
    if payment.status != P.CREATED:
        raise PaymentError(_l("The cash for this order is recorded already."))
    captured(session, payment, f"cash-{order.id}", 0, "seller", seller.id)


MAX_SALE_PAISE = 1_00_000_00  # Rs 1,00,000: a bigger stall sale is almost surely a typing slip


def record_sale(session: Session, business_id: int, seller: User, amount_paise: int, method: str,
                client_id: str, variant_id: int | None = None, quantity: int | None = None,
                note: str = "") -> CashSale:
    """A sale paid to the seller herself (cash, or UPI to her own QR); it counts as her income.

    `client_id` comes with the form: pressing "Save" twice records one sale. Stock of the product sold, when
    she names one, goes down as for an order (market.flows.stall_sale). Raises PaymentError.
    """
    existing = session.scalar(sa.select(CashSale).where(CashSale.client_id == client_id))
    if existing is not None:
        return existing
    if not 0 < amount_paise <= MAX_SALE_PAISE:
        raise PaymentError(_l("Write an amount between ₹1 and ₹1,00,000."))
    if method not in ("cash", "upi_qr"):
        raise PaymentError(_l("Say how you were paid."))
    variant = session.get(Variant, variant_id) if variant_id else None
    if variant_id and (variant is None or variant.product.business_id != business_id):
        raise PaymentError(_l("Choose one of your own products, or none."))
    if variant is not None and not (quantity and quantity > 0):
        raise PaymentError(_l("Say how many you sold."))
    sale = CashSale(business_id=business_id, recorded_by_id=seller.id, amount_paise=amount_paise, method=method,
                    variant_id=variant.id if variant else None, quantity=quantity if variant else None,
                    note=note.strip()[:200], client_id=client_id)
    session.add(sale)
    session.flush()
    books.post(session, EntryKind.CASH, [(books.cash(business_id), amount_paise),
                                         (books.cash_sales(business_id), -amount_paise)],
               "stall sale", cash_sale_id=sale.id)
    business = session.get(Business, business_id)
    events.sale_recorded.send(session, business=business,
                              parts=[(variant.product.category_id if variant else events.OTHER_CATEGORY, amount_paise)])
    return sale
