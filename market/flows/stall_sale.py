"""A sale at a market stall: paid to the seller herself (cash, or UPI to her own QR), counted as her income.

1. The sale is written once (the form's client id: "Save" pressed twice records one sale) and posted to the
   ledger; the dashboards count it (payments.services.record_sale, event sale_recorded).
2. The product she names, if any, leaves her stock, as for an order (orders.services.take_stock).
3. Her plan's shares of it go to her loan, savings, goals, from the cash she set aside (vendors.finance.allocate).
"""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from catalog.models import Variant
from market.core import ledger as books
from market.core.models import User
from orders.services import OrderError, take_stock
from payments import services as payments
from payments.models import CashSale
from vendors.finance import allocate


def record(session: Session, business_id: int, seller: User, amount_paise: int, method: str, client_id: str,
           variant_id: int | None = None, quantity: int | None = None, note: str = "") -> CashSale:
    """Record the sale, take it from stock and send her shares. Raises PaymentError."""
    done = session.scalar(sa.select(CashSale).where(CashSale.client_id == client_id))
    if done is not None:
        return done
    sale = payments.record_sale(session, business_id, seller, amount_paise, method, client_id, variant_id,
                                quantity, note)
    variant = session.get(Variant, sale.variant_id) if sale.variant_id else None
    if variant is not None and not variant.product.made_to_order:
        assert sale.quantity is not None  # record_sale refuses a product sold without a quantity
        try:
            take_stock(session, variant, sale.quantity)
        except OrderError:
            raise payments.PaymentError(
                _l("You have fewer than that in stock on Haat. Correct the stock first.")) from None
    allocate(session, sale.business, amount_paise, books.set_aside(business_id), cash_sale_id=sale.id)
    return sale
