"""The stored invoice: its counter, its header and its lines, copied when it is issued; and its errors."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from market.core.db import Base, UTCDateTime, utcnow
from market.core.errors import Refusal
from orders.models import Order
from orders.status import OrderStatus
from vendors.models import Business

TAX_INVOICE, BILL_OF_SUPPLY = "tax_invoice", "bill_of_supply"
MAX_NUMBER_LENGTH = 16  # CGST rule 46(b)
PROFORMA_NUMBER = "PROFORMA"  # the number of a proforma invoice: never stored, never in the tax series

S = OrderStatus
# An invoice exists once the seller has confirmed the order; every later state keeps it.
INVOICEABLE = frozenset({S.CONFIRMED, S.PACKED, S.READY_FOR_PICKUP, S.OUT_FOR_DELIVERY, S.SHIPPED, S.COLLECTED,
                         S.DELIVERED, S.COMPLETED, S.REFUND_REQUESTED})
# These have one only if the order was confirmed before it was cancelled or refunded.
INVOICEABLE_IF_CONFIRMED = frozenset({S.CANCELLED, S.REFUNDED})


class InvoiceError(Refusal):
    """This order cannot have an invoice (yet), or the business's GST details are wrong; the message says why."""


class GstinError(InvoiceError):
    """A GSTIN that is malformed, fails its check character, or belongs to another state."""


# -- models ---------------------------------------------------------------------------------------------------

class InvoiceCounter(Base):
    """The last serial number used by a business in a financial year; bumped with a conditional UPDATE."""

    __tablename__ = "invoice_counters"
    __table_args__ = (sa.CheckConstraint("last_seq >= 1", name="last_seq_positive"),)

    business_id: Mapped[int] = mapped_column(sa.ForeignKey("businesses.id"), primary_key=True)
    fy: Mapped[str] = mapped_column(sa.String(7), primary_key=True)  # "2026-27"
    last_seq: Mapped[int]


class Invoice(Base):
    """A tax invoice or bill of supply for one order, with everything it prints copied in at issue."""

    __tablename__ = "invoices"
    __table_args__ = (
        sa.UniqueConstraint("business_id", "fy", "seq"),
        sa.CheckConstraint("kind IN ('tax_invoice', 'bill_of_supply')", name="kind_known"),
        sa.CheckConstraint("seq >= 1", name="seq_positive"),
        sa.CheckConstraint("taxable_paise >= 0 AND cgst_paise >= 0 AND sgst_paise >= 0 AND igst_paise >= 0",
                           name="money_not_negative"),
        sa.CheckConstraint("total_paise = taxable_paise + cgst_paise + sgst_paise + igst_paise + round_off_paise",
                           name="total_adds_up"),
        sa.CheckConstraint("kind = 'tax_invoice' OR cgst_paise + sgst_paise + igst_paise = 0",
                           name="bill_of_supply_untaxed"),
        sa.CheckConstraint("igst_paise = 0 OR cgst_paise + sgst_paise = 0", name="igst_or_cgst_sgst"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(sa.ForeignKey("orders.id"), unique=True)  # one per order: idempotent
    business_id: Mapped[int] = mapped_column(sa.ForeignKey("businesses.id"))
    kind: Mapped[str] = mapped_column(sa.String(14))
    number: Mapped[str] = mapped_column(sa.String(16))
    fy: Mapped[str] = mapped_column(sa.String(7))
    seq: Mapped[int]
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    issued_on: Mapped[date]  # the invoice date, in India
    # The supplier as printed: public name, GST trade name and GSTIN if registered, the collective's address.
    supplier_name: Mapped[str] = mapped_column(sa.String(80))
    supplier_trade_name: Mapped[str | None] = mapped_column(sa.String(100))
    supplier_gstin: Mapped[str | None] = mapped_column(sa.String(15))
    supplier_address: Mapped[str] = mapped_column(sa.String(400))
    supplier_state: Mapped[str] = mapped_column(sa.String(2))
    # The buyer as printed (kept for the 72 months GST law asks, even if the buyer's account is erased).
    buyer_name: Mapped[str] = mapped_column(sa.String(120))
    buyer_address: Mapped[str] = mapped_column(sa.String(300), default="")
    buyer_pincode: Mapped[str] = mapped_column(sa.String(6), default="")
    buyer_gstin: Mapped[str | None] = mapped_column(sa.String(15))
    delivery: Mapped[str] = mapped_column(sa.String(10))
    pickup_point: Mapped[str] = mapped_column(sa.String(300), default="")
    place_of_supply: Mapped[str | None] = mapped_column(sa.String(2))  # unknown only on a bill of supply
    taxable_paise: Mapped[int]
    cgst_paise: Mapped[int] = mapped_column(default=0)
    sgst_paise: Mapped[int] = mapped_column(default=0)
    igst_paise: Mapped[int] = mapped_column(default=0)
    round_off_paise: Mapped[int] = mapped_column(default=0)  # the odd paise of equal CGST/SGST halves
    total_paise: Mapped[int]
    payment_method: Mapped[str] = mapped_column(sa.String(20), default="")  # UPI, Card, Cash, Bank transfer

    order: Mapped[Order] = relationship()
    business: Mapped[Business] = relationship()
    lines: Mapped[list[InvoiceLine]] = relationship(back_populates="invoice", cascade="all, delete-orphan",
                                                    order_by="InvoiceLine.position")

    @property
    def order_number(self) -> str:
        return f"H-{self.order_id:06d}"

    @property
    def is_tax_invoice(self) -> bool:
        return self.kind == TAX_INVOICE

    @property
    def is_proforma(self) -> bool:
        """A proforma invoice (before payment): what the tax invoice will say; not a tax document."""
        return self.number == PROFORMA_NUMBER

    @property
    def intra_state(self) -> bool:
        return self.place_of_supply == self.supplier_state

    @property
    def tax_paise(self) -> int:
        return self.cgst_paise + self.sgst_paise + self.igst_paise


class InvoiceLine(Base):
    """One line of an invoice: goods or the delivery fee, with its tax breakup."""

    __tablename__ = "invoice_lines"
    __table_args__ = (
        sa.UniqueConstraint("invoice_id", "position"),
        sa.CheckConstraint("quantity > 0", name="quantity_positive"),
        sa.CheckConstraint("rate_bp BETWEEN 0 AND 10000", name="rate_sane"),
        sa.CheckConstraint("taxable_paise >= 0 AND cgst_paise >= 0 AND sgst_paise >= 0 AND igst_paise >= 0",
                           name="money_not_negative"),
        sa.CheckConstraint("total_paise = taxable_paise + cgst_paise + sgst_paise + igst_paise", name="total_adds_up"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(sa.ForeignKey("invoices.id", ondelete="CASCADE"))
    position: Mapped[int]
    description: Mapped[str] = mapped_column(sa.String(200))
    hsn: Mapped[str] = mapped_column(sa.String(8), default="")
    quantity: Mapped[int]
    unit_price_paise: Mapped[int]  # what the buyer paid per piece, GST included
    rate_bp: Mapped[int] = mapped_column(default=0)  # 500 = 5%
    taxable_paise: Mapped[int]
    cgst_paise: Mapped[int] = mapped_column(default=0)
    sgst_paise: Mapped[int] = mapped_column(default=0)
    igst_paise: Mapped[int] = mapped_column(default=0)
    total_paise: Mapped[int]

    invoice: Mapped[Invoice] = relationship(back_populates="lines")
