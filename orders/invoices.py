"""GST invoices for per-business orders: a stored, numbered document per order, and its PDF.

A GST-registered business issues a *Tax Invoice*; an unregistered one (or a registered one whose goods are all
exempt) a *Bill of Supply*. Everything printed is copied into `invoices` / `invoice_lines` when the invoice is
issued, so a later edit of a product, a shop name, a rate table or an address never changes an invoice.

Seller safety: the supplier on an invoice is the business's public name, with, for a registered business, the
GSTIN and the trade name on its GST certificate (entered by the business knowing they are public) and the
collective's pickup address. A member's legal name, phone or home address is never read here, so it cannot
reach the document.

Arithmetic, all in integer paise:
- Haat prices include GST. Per line, taxable value = round_half_up(line total * 100 / (100 + rate)) and the tax is
  the rest (line total - taxable value), so each line, and therefore the invoice, adds up exactly.
- Within the state (place of supply == supplier's state) the tax is split CGST = SGST = tax // 2 on every line; an
  odd paisa is left out of the line and printed once as the invoice's round-off (so the invoice still totals the
  order). Between states it is all IGST. The rate column shows the split: "2.5% + 2.5%".
- Place of supply: the state of the delivery pincode (local or courier delivery), the supplier's state for pickup.
- The delivery fee is its own line, taxed as part of a composite supply (CGST Act s. 8(a)): at the HSN and rate
  of the principal supply, the goods line of the highest value (the first one on a tie).
- Serial numbers: `<business id in base 36>/<financial year, 26-27>/<0001>`, consecutive per business and
  financial year (April-March, Indian time), at most 16 characters (CGST rule 46(b)). The id rather than the
  shop's initials keeps numbers unique when one collective's GSTIN covers several storefronts.
"""

from __future__ import annotations

import io
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa
from babel.numbers import format_decimal
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from market.core.db import Base, UTCDateTime, utcnow
from market.core.security import hide_contacts
from orders.hsn import GST_STATE_CODES, GSTIN_STATE_CODES, UnknownCategory, pincode_state, rule_for, state_label
from orders.models import Order, OrderEvent, WholesalerProfile
from orders.status import OrderStatus
from vendors.models import Business
from vendors.services import check_public_text
from vendors.states import STATES

IST = timezone(timedelta(hours=5, minutes=30), "IST")  # India keeps no daylight saving time
TAX_INVOICE, BILL_OF_SUPPLY = "tax_invoice", "bill_of_supply"
MAX_NUMBER_LENGTH = 16  # CGST rule 46(b)

S = OrderStatus
# An invoice exists once the seller has confirmed the order; every later state keeps it.
INVOICEABLE = frozenset({S.CONFIRMED, S.PACKED, S.READY_FOR_PICKUP, S.SHIPPED, S.DELIVERED, S.COMPLETED,
                         S.REFUND_REQUESTED})
# These have one only if the order was confirmed before it was cancelled or refunded.
INVOICEABLE_IF_CONFIRMED = frozenset({S.CANCELLED, S.REFUNDED})


class InvoiceError(ValueError):
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


# -- GSTIN ----------------------------------------------------------------------------------------------------

GSTIN_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
# state code, PAN (5 letters, 4 digits, 1 letter), registration number in that state, "Z", check character
GSTIN_RE = re.compile(r"[0-9]{2}[A-Z]{5}[0-9]{4}[A-Z][1-9A-Z]Z[0-9A-Z]")
INDIVIDUAL_PAN = "P"  # the 4th character of a PAN: P is a person; C, F, A, T... are companies, firms, AOPs, trusts


def gstin_check_character(first14: str) -> str:
    """The 15th character of a GSTIN: the mod-36 check over the first 14 (weights 1, 2, 1, 2...)."""
    total = 0
    for i, char in enumerate(first14.upper()):
        product = GSTIN_ALPHABET.index(char) * (2 if i % 2 else 1)
        total += product // 36 + product % 36
    return GSTIN_ALPHABET[(36 - total % 36) % 36]


def validate_gstin(text: str, state: str | None = None) -> str:
    """The GSTIN in capitals, or GstinError; with `state` (two letters), it must be registered in that state."""
    gstin = re.sub(r"\s+", "", text or "").upper()
    if not GSTIN_RE.fullmatch(gstin):
        raise GstinError(_l("A GSTIN has 15 letters and digits, like 27ABCDE1234F1Z5."))
    if gstin[:2] not in GSTIN_STATE_CODES:
        raise GstinError(_l("This GSTIN does not start with an Indian state code."))
    if gstin_check_character(gstin[:14]) != gstin[14]:
        raise GstinError(_l("This GSTIN has a typing mistake: check it against the certificate."))
    if state is not None and GST_STATE_CODES.get(state) != gstin[:2]:
        raise GstinError(_l("This GSTIN is registered in another state than the collective's office (%(s)s).",
                            s=state_label(state)))
    return gstin


def set_gst_registration(session: Session, business: Business, *, gstin: str, trade_name: str) -> None:
    """Record the business's GST registration (GSTIN and certificate trade name, both printed on invoices).

    Refuses a GSTIN under a person's own PAN: anyone can look a GSTIN up on the GST portal and see the legal
    name behind it, so a member must register through her group enterprise or collective. Refuses a trade name
    that contains an owner's name, as shop names do.
    """
    state = business.group.organisation.state_code
    gstin = validate_gstin(gstin, state)
    if gstin[5] == INDIVIDUAL_PAN:
        raise GstinError(_l("This GSTIN is under a person's own PAN, and the GST portal shows her name to anyone "
                            "who looks it up. For your safety, register through your group or collective."))
    trade_name = " ".join((trade_name or "").split())
    if not trade_name or len(trade_name) > 100:
        raise InvoiceError(_l("Enter the trade name as it is on the GST certificate (at most 100 characters)."))
    check_public_text(business.owners, trade_name=trade_name)
    business.gst_registered, business.gstin, business.gst_trade_name = True, gstin, trade_name
    session.flush()


def clear_gst_registration(session: Session, business: Business) -> None:
    """The business is no longer registered; invoices already issued keep their GSTIN."""
    business.gst_registered, business.gstin, business.gst_trade_name = False, None, None
    session.flush()


# -- numbers and words ----------------------------------------------------------------------------------------

def financial_year(day: date) -> str:
    """The Indian financial year (April-March) of a date: '2026-27'."""
    start = day.year if day.month >= 4 else day.year - 1
    return f"{start}-{(start + 1) % 100:02d}"


def india_date(moment: datetime) -> date:
    """The calendar date in India at that moment."""
    return moment.astimezone(IST).date()


def _base36(n: int) -> str:
    digits = ""
    while True:
        n, r = divmod(n, 36)
        digits = GSTIN_ALPHABET[r] + digits
        if n == 0:
            return digits


def invoice_number(business_id: int, fy: str, seq: int) -> str:
    """'1A/26-27/0001': the business, the financial year and the serial; at most 16 characters."""
    number = f"{_base36(business_id)}/{fy[2:]}/{seq:04d}"
    if len(number) > MAX_NUMBER_LENGTH:
        raise InvoiceError(f"invoice number {number} is longer than {MAX_NUMBER_LENGTH} characters")
    return number


_ONES = ("Zero", "One", "Two", "Three", "Four", "Five", "Six", "Seven", "Eight", "Nine", "Ten", "Eleven", "Twelve",
         "Thirteen", "Fourteen", "Fifteen", "Sixteen", "Seventeen", "Eighteen", "Nineteen")
_TENS = ("", "", "Twenty", "Thirty", "Forty", "Fifty", "Sixty", "Seventy", "Eighty", "Ninety")


def _below_hundred(n: int) -> str:
    if n < 20:
        return _ONES[n]
    tens, ones = divmod(n, 10)
    return _TENS[tens] + (f"-{_ONES[ones]}" if ones else "")


def number_in_words(n: int) -> str:
    """A whole number in English words grouped the Indian way: 123456 -> 'One Lakh Twenty-Three Thousand ...'."""
    if n < 0:
        raise ValueError("no words for a negative amount")
    if n == 0:
        return "Zero"
    crores, n = divmod(n, 10_000_000)
    lakhs, n = divmod(n, 100_000)
    thousands, n = divmod(n, 1000)
    hundreds, n = divmod(n, 100)
    parts = []
    if crores:
        parts.append(f"{number_in_words(crores)} Crore")  # 1,000 crore is "One Thousand Crore"
    for count, unit in ((lakhs, "Lakh"), (thousands, "Thousand"), (hundreds, "Hundred")):
        if count:
            parts.append(f"{_below_hundred(count)} {unit}")
    if n:
        parts.append(_below_hundred(n))
    return " ".join(parts)


def amount_in_words(paise: int) -> str:
    """'Rupees One Lakh Twenty-Three Thousand Four Hundred Fifty-Six and Seventy-Eight Paise Only'."""
    rupees, rest = divmod(paise, 100)
    words = f"Rupees {number_in_words(rupees)}"
    if rest:
        words += f" and {_below_hundred(rest)} Paise"
    return words + " Only"


def format_amount(paise: int) -> str:
    """1,23,456.78: rupees grouped in lakhs, no symbol (the PDF prints the currency once, in the heading)."""
    return format_decimal(Decimal(paise) / 100, format="#,##,##0.00", locale="en_IN")


def format_rate(rate_bp: int) -> str:
    """'5%', '2.5%', '0.25%'."""
    return f"{(Decimal(rate_bp) / 100).normalize():f}%"


# -- tax ------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class TaxSplit:
    """A GST-inclusive amount split into taxable value and tax."""

    taxable: int
    cgst: int = 0
    sgst: int = 0
    igst: int = 0
    round_off: int = 0  # an odd paisa of tax within the state: CGST and SGST are equal, it is rounded off

    @property
    def total(self) -> int:
        return self.taxable + self.cgst + self.sgst + self.igst + self.round_off


def split_inclusive(gross_paise: int, rate_bp: int, intra_state: bool) -> TaxSplit:
    """Taxable value = gross * 10000 / (10000 + rate) rounded half up; the tax is the rest, so they add up."""
    if gross_paise < 0 or not 0 <= rate_bp <= 10_000:
        raise ValueError("amount or rate out of range")
    denominator = 10_000 + rate_bp
    taxable = (2 * gross_paise * 10_000 + denominator) // (2 * denominator)
    tax = gross_paise - taxable
    if intra_state:
        return TaxSplit(taxable, cgst=tax // 2, sgst=tax // 2, round_off=tax % 2)
    return TaxSplit(taxable, igst=tax)


# -- issuing --------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Line:
    description: str
    hsn: str
    quantity: int
    unit_price_paise: int
    gross_paise: int
    rate_bp: int


def may_invoice(session: Session, order: Order) -> bool:
    """Whether the order can have an invoice (its page offers the link only then)."""
    try:
        _check_invoiceable(session, order)
    except InvoiceError:
        return False
    return True


def _check_invoiceable(session: Session, order: Order) -> None:
    status = OrderStatus(order.status)
    if status in INVOICEABLE:
        return
    if status in INVOICEABLE_IF_CONFIRMED and session.scalar(
            sa.select(OrderEvent.id).where(OrderEvent.order_id == order.id,
                                           OrderEvent.to_status == OrderStatus.CONFIRMED).limit(1)):
        return
    raise InvoiceError(_l("An invoice is made once the seller confirms the order."))


def _goods_lines(order: Order, registered: bool) -> list[_Line]:
    lines = []
    for line in order.lines:
        description = f"{line.title} ({line.option})" if line.option else line.title
        try:
            rule = rule_for(line.product.category.slug)
        except UnknownCategory as exc:
            if registered:  # a tax invoice needs the HSN and rate; a bill of supply can do without
                raise InvoiceError(str(exc)) from None
            lines.append(_Line(description, "", line.quantity, line.unit_price_paise, line.line_total_paise, 0))
            continue
        rate = rule.rate_for(line.unit_price_paise) if registered else 0
        lines.append(_Line(description, rule.hsn, line.quantity, line.unit_price_paise, line.line_total_paise, rate))
    if not lines or sum(x.gross_paise for x in lines) != order.subtotal_paise:
        raise InvoiceError(f"order {order.number}: its lines do not add up to its subtotal")
    return lines


def _delivery_line(order: Order, goods: list[_Line]) -> list[_Line]:
    if not order.delivery_fee_paise:
        return []
    principal = max(goods, key=lambda x: x.gross_paise)  # max() keeps the first of equals
    return [_Line("Delivery charges (part of the supply)", principal.hsn, 1, order.delivery_fee_paise,
                  order.delivery_fee_paise, principal.rate_bp)]


def _place_of_supply(order: Order, supplier_state: str) -> str | None:
    if order.delivery == "pickup":
        return supplier_state
    found = pincode_state(order.ship_to_pincode)
    if found is None and order.delivery == "local":
        return supplier_state  # delivered around the collective's town
    return found


def _buyer(session: Session, order: Order) -> tuple[str, str | None]:
    """The name to bill and, for an approved wholesaler who gave one, her GSTIN (she may claim the input tax)."""
    if order.wholesale:
        profile = session.get(WholesalerProfile, order.buyer_id)
        if profile is not None:
            return profile.business_name, profile.gstin
    return order.ship_to_name or order.buyer.name or "Buyer", None


PAID_BY = {"razorpay": "UPI", "demo": "UPI", "stripe": "Card", "cash": "Cash", "bank": "Bank transfer"}


def _paid_by(gateway: str | None) -> str:
    """How the order was paid, as the invoice prints it (UPI through Razorpay, a card through Stripe, cash)."""
    return PAID_BY.get(gateway or "", "")


def _supplier_address(business: Business) -> str:
    # The collective's pickup office: a member's home address is never stored, let alone printed.
    # The state's English name: the address is stored, and must not depend on who first opened the invoice.
    org = business.group.organisation
    return ", ".join(part for part in (org.pickup_address, org.district, STATES.get(org.state_code, org.state_code))
                     if part)


def issue_invoice(session: Session, order: Order, *, at: datetime | None = None,
                  paid_with: str | None = None) -> Invoice:
    """The order's invoice, made and numbered on the first call; later calls return the same one.

    Raises InvoiceError if the order is not confirmed yet (or was cancelled before it was), or if a registered
    business's GST details or the data tables cannot make a valid tax invoice. Flushes, never commits.
    `at` is the moment of issue (default: now); its date in India decides the financial year. `paid_with`: the
    gateway of its payment (razorpay, stripe, cash...), printed as "Paid by UPI" (the caller knows the payment).
    """
    existing = session.scalar(sa.select(Invoice).where(Invoice.order_id == order.id))
    if existing is not None:
        return existing
    _check_invoiceable(session, order)
    business = order.business
    supplier_state = business.group.organisation.state_code
    registered = bool(business.gst_registered)
    gstin = None
    if registered:
        if supplier_state not in GST_STATE_CODES:
            raise InvoiceError(f"no GST state code for the collective's state {supplier_state!r}")
        gstin = validate_gstin(business.gstin or "", supplier_state)
        if gstin[5] == INDIVIDUAL_PAN:  # see set_gst_registration: it would lead buyers to her legal name
            raise InvoiceError(_l("The shop's GSTIN is under a person's own PAN; register through the collective."))

    goods = _goods_lines(order, registered)
    drafts = goods + _delivery_line(order, goods)
    place = _place_of_supply(order, supplier_state)
    taxed = registered and any(x.rate_bp for x in drafts)
    if taxed and place is None:
        raise InvoiceError(_l("The delivery pincode %(p)s is not one we know the state of; correct it to make "
                              "the invoice.", p=order.ship_to_pincode))
    intra = place == supplier_state
    lines, round_off = [], 0
    for position, draft in enumerate(drafts, start=1):
        split = split_inclusive(draft.gross_paise, draft.rate_bp if taxed else 0, intra)
        lines.append(InvoiceLine(position=position, description=draft.description[:200], hsn=draft.hsn,
                                 quantity=draft.quantity, unit_price_paise=draft.unit_price_paise,
                                 rate_bp=draft.rate_bp if taxed else 0, taxable_paise=split.taxable,
                                 cgst_paise=split.cgst, sgst_paise=split.sgst, igst_paise=split.igst,
                                 total_paise=split.total - split.round_off))
        round_off += split.round_off
    total = sum(x.total_paise for x in lines) + round_off
    if total != order.total_paise:
        raise InvoiceError(f"order {order.number}: invoice total {total} is not the order total {order.total_paise}")

    issued_at = at or utcnow()
    issued_on = india_date(issued_at)
    fy = financial_year(issued_on)
    buyer_name, buyer_gstin = _buyer(session, order)
    billed = bool(order.ship_to_address)  # delivered to her, or collected but of Rs 50,000 or more (rule 46(e))
    try:
        # Numbering and the insert share a savepoint: if a concurrent call invoiced this order first, the unique
        # order_id trips, the savepoint undoes our counter bump too (no gap), and we return its invoice.
        with session.begin_nested():
            seq = _next_seq(session, business.id, fy)
            invoice = Invoice(
                order_id=order.id, business_id=business.id, kind=TAX_INVOICE if taxed else BILL_OF_SUPPLY,
                number=invoice_number(business.id, fy, seq), fy=fy, seq=seq, issued_at=issued_at,
                issued_on=issued_on, supplier_name=business.public_name,
                supplier_trade_name=business.gst_trade_name if registered else None, supplier_gstin=gstin,
                supplier_address=_supplier_address(business)[:400], supplier_state=supplier_state,
                buyer_name=buyer_name[:120], buyer_address=order.ship_to_address if billed else "",
                buyer_pincode=order.ship_to_pincode if billed else "", buyer_gstin=buyer_gstin,
                delivery=order.delivery, pickup_point=order.pickup_point, place_of_supply=place,
                taxable_paise=sum(x.taxable_paise for x in lines), cgst_paise=sum(x.cgst_paise for x in lines),
                sgst_paise=sum(x.sgst_paise for x in lines), igst_paise=sum(x.igst_paise for x in lines),
                round_off_paise=round_off, total_paise=total, payment_method=_paid_by(paid_with), lines=lines)
            session.add(invoice)
            session.flush()
    except IntegrityError:
        existing = session.scalar(sa.select(Invoice).where(Invoice.order_id == order.id))
        if existing is None:
            raise
        return existing
    return invoice


def _next_seq(session: Session, business_id: int, fy: str) -> int:
    """The next serial of the business in the year: UPDATE the counter row, or create it at 1.

    The UPDATE locks the row until commit (PostgreSQL) or takes the write lock (SQLite), so two invoices never get
    the same number; a rolled-back transaction rolls its number back too, so there are no gaps.
    """
    where = (InvoiceCounter.business_id == business_id, InvoiceCounter.fy == fy)
    for _attempt in range(3):
        result = session.execute(sa.update(InvoiceCounter).where(*where)
                                 .values(last_seq=InvoiceCounter.last_seq + 1)
                                 .execution_options(synchronize_session=False))
        if result.rowcount == 1:
            return session.scalar(sa.select(InvoiceCounter.last_seq).where(*where))
        try:
            with session.begin_nested():  # the first invoice of the year; a racing first one trips the key
                session.add(InvoiceCounter(business_id=business_id, fy=fy, last_seq=1))
            return 1
        except IntegrityError:
            continue
    raise InvoiceError(f"could not number an invoice for business {business_id} in {fy}")


# -- PDF ------------------------------------------------------------------------------------------------------
# The printed words stay English on purpose, unlike the pages: a GST invoice is one legal document for the seller,
# the buyer and the tax officer, the same file whoever downloads it (see render_pdf's test), and its amount in
# words is written in English by number_in_words(). Names and addresses print in whatever script they were typed.

FONT_DIRS = (Path("/usr/share/fonts/truetype/noto"), Path("/usr/share/fonts/noto"))
# Scripts buyers may type names and addresses in, and the Noto font that has them (fonts-noto-core).
SCRIPT_FONTS = {"DEVANAGARI": "Devanagari", "BENGALI": "Bengali", "TAMIL": "Tamil", "TELUGU": "Telugu",
                "KANNADA": "Kannada", "MALAYALAM": "Malayalam", "GUJARATI": "Gujarati", "GURMUKHI": "Gurmukhi",
                "ORIYA": "Oriya"}


def _font_file(name: str) -> Path | None:
    return next((d / name for d in FONT_DIRS if (d / name).is_file()), None)


def _scripts(texts: list[str]) -> set[str]:
    found = set()
    for char in "".join(texts):
        if ord(char) > 0x7F:
            script = unicodedata.name(char, "").split(" ")[0]
            if script in SCRIPT_FONTS:
                found.add(SCRIPT_FONTS[script])
    return found


class _Document:
    """An fpdf2 document with Noto Sans when installed (₹ and Indian scripts), else core Helvetica and 'Rs.'."""

    def __init__(self, texts: list[str]):
        from fpdf import FPDF

        self.pdf = FPDF(format="A4", unit="mm")
        self.pdf.set_margins(12, 12, 12)
        self.pdf.set_auto_page_break(True, margin=14)
        regular, bold = _font_file("NotoSans-Regular.ttf"), _font_file("NotoSans-Bold.ttf")
        self.unicode = bool(regular and bold)
        if self.unicode:
            self.family = "NotoSans"
            self.pdf.add_font(self.family, "", str(regular))
            self.pdf.add_font(self.family, "B", str(bold))
            fallbacks = []
            for script in sorted(_scripts(texts)):
                path, path_bold = _font_file(f"NotoSans{script}-Regular.ttf"), _font_file(f"NotoSans{script}-Bold.ttf")
                if path and path_bold:
                    self.pdf.add_font(f"Noto{script}", "", str(path))
                    self.pdf.add_font(f"Noto{script}", "B", str(path_bold))
                    fallbacks.append(f"Noto{script}")
            if fallbacks:
                self.pdf.set_fallback_fonts(fallbacks)
                self._shape_if_possible()
        else:
            self.family = "Helvetica"
        self.rupee = "₹" if self.unicode else "Rs."

    def _shape_if_possible(self) -> None:
        # Conjuncts and vowel signs of Indian scripts need shaping (uharfbuzz); without it they print unjoined.
        try:
            import uharfbuzz  # noqa: F401
        except ImportError:
            return
        self.pdf.set_text_shaping(True)

    def text(self, value: str) -> str:
        """The text as the font can print it: core fonts know Latin-1 only."""
        value = value or ""
        if self.unicode:
            return value
        value = value.replace("₹", "Rs.").replace("–", "-").replace("—", "-").replace("’", "'")
        return value.encode("latin-1", "replace").decode("latin-1")

    def font(self, size: float, bold: bool = False) -> None:
        self.pdf.set_font(self.family, "B" if bold else "", size)

    def line(self, value: str, size: float = 9, bold: bool = False, height: float = 4.6, align: str = "L",
             width: float = 0) -> None:
        from fpdf.enums import XPos, YPos

        self.font(size, bold)
        self.pdf.multi_cell(width, height, self.text(value), align=align, new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def render_pdf(invoice: Invoice) -> bytes:
    """The invoice as an A4 PDF, from what was stored at issue only."""
    texts = [invoice.supplier_name, invoice.supplier_trade_name or "", invoice.supplier_address, invoice.buyer_name,
             invoice.buyer_address, invoice.pickup_point] + [x.description for x in invoice.lines]
    doc = _Document(texts)
    pdf = doc.pdf
    pdf.set_title(f"{_title(invoice)} {invoice.number}")
    pdf.set_creator("Haat")
    pdf.set_creation_date(invoice.issued_at.astimezone(IST))  # the same invoice gives the same file
    pdf.add_page()
    width = pdf.epw

    doc.line(_title(invoice).upper(), size=15, bold=True, align="C", height=7)
    if invoice.is_tax_invoice:
        doc.line("Original for recipient", size=8, align="C")
    pdf.ln(3)
    top = pdf.get_y()
    _supplier_block(doc, invoice, width / 2 - 3)
    left_bottom = pdf.get_y()
    pdf.set_xy(pdf.l_margin + width / 2 + 3, top)
    _details_block(doc, invoice, width / 2 - 3)
    pdf.set_y(max(left_bottom, pdf.get_y()) + 3)
    _buyer_block(doc, invoice, width)
    pdf.ln(3)
    _lines_table(doc, invoice)
    pdf.ln(2)
    _totals_block(doc, invoice, width)
    pdf.ln(2)
    doc.line(amount_in_words(invoice.total_paise), size=9, bold=True)
    pdf.ln(3)
    for note in _notes(invoice):
        doc.line(note, size=8)
    pdf.ln(8)
    doc.line(f"For {hide_contacts(invoice.supplier_trade_name or invoice.supplier_name)}", size=9, align="R")
    doc.line("Authorised signatory", size=8, align="R")

    out = io.BytesIO()
    pdf.output(out)
    return out.getvalue()


def _title(invoice: Invoice) -> str:
    return "Tax Invoice" if invoice.is_tax_invoice else "Bill of Supply"


def _supplier_block(doc: _Document, invoice: Invoice, width: float) -> None:
    x = doc.pdf.get_x()
    # A shop name from before names and titles were checked may hold a phone number: never printed.
    for value, size, bold in [("Supplier", 8, True), (hide_contacts(invoice.supplier_name), 11, True)] + (
            [(f"GST trade name: {hide_contacts(invoice.supplier_trade_name)}", 9, False)]
            if invoice.supplier_trade_name else []) + (
            [(f"GSTIN: {invoice.supplier_gstin}", 9, True)] if invoice.supplier_gstin else
            [("Not registered under GST", 9, False)]) + [
            (invoice.supplier_address, 9, False),
            (f"State: {state_label(invoice.supplier_state)}", 9, False)]:
        doc.pdf.set_x(x)
        doc.line(value, size=size, bold=bold, width=width)


def _details_block(doc: _Document, invoice: Invoice, width: float) -> None:
    x = doc.pdf.get_x()
    word = "Invoice" if invoice.is_tax_invoice else "Bill"
    rows = [(f"{word} no.", invoice.number), (f"{word} date", invoice.issued_on.strftime("%d-%m-%Y")),
            ("Order", invoice.order_number),
            ("Place of supply", state_label(invoice.place_of_supply) if invoice.place_of_supply else "-")]
    if invoice.is_tax_invoice:
        rows.append(("Reverse charge", "No"))
    if invoice.payment_method:
        rows.append(("Paid by", invoice.payment_method))
    for label, value in rows:
        doc.pdf.set_x(x)
        doc.font(9, bold=True)
        doc.pdf.cell(30, 5, doc.text(label))
        doc.font(9)
        doc.pdf.multi_cell(width - 30, 5, doc.text(value), new_x="LMARGIN", new_y="NEXT")


def _buyer_block(doc: _Document, invoice: Invoice, width: float) -> None:
    doc.line("Bill to" if invoice.delivery == "pickup" else "Bill and ship to", size=8, bold=True)
    doc.line(invoice.buyer_name, size=10, bold=True)
    if invoice.buyer_gstin:
        doc.line(f"GSTIN: {invoice.buyer_gstin}")
    if invoice.buyer_address:
        doc.line(", ".join(p for p in (invoice.buyer_address, invoice.buyer_pincode) if p))
        state = pincode_state(invoice.buyer_pincode) if invoice.buyer_pincode else None
        if state:
            doc.line(f"State: {state_label(state)}")
    if invoice.delivery == "pickup":
        doc.line(f"Collected at: {invoice.pickup_point}")


def _columns(invoice: Invoice) -> list[tuple[str, float, str]]:
    """(heading, width in mm, alignment) of the lines table; widths add up to the 186 mm between margins."""
    if not invoice.is_tax_invoice:
        return [("#", 8, "R"), ("Description", 96, "L"), ("HSN/SAC", 16, "C"), ("Qty", 12, "R"),
                ("Unit price", 26, "R"), ("Amount", 28, "R")]
    head = [("#", 7, "R"), ("Description", 37 if invoice.intra_state else 58, "L"), ("HSN/SAC", 15, "C"),
            ("Qty", 9, "R"), ("Unit price incl. GST", 19 if invoice.intra_state else 20, "R"),
            ("Taxable value", 21 if invoice.intra_state else 24, "R"), ("Rate", 19 if invoice.intra_state else 11, "R")]
    tax = [("CGST", 18, "R"), ("SGST", 18, "R")] if invoice.intra_state else [("IGST", 20, "R")]
    return head + tax + [("Total", 23 if invoice.intra_state else 22, "R")]


def _row(invoice: Invoice, line: InvoiceLine) -> list[str]:
    start = [str(line.position), hide_contacts(line.description), line.hsn or "-", str(line.quantity),
             format_amount(line.unit_price_paise)]
    if not invoice.is_tax_invoice:
        return start + [format_amount(line.total_paise)]
    tax = ([format_amount(line.cgst_paise), format_amount(line.sgst_paise)] if invoice.intra_state
           else [format_amount(line.igst_paise)])
    rate = f"{format_rate(line.rate_bp // 2)} + {format_rate(line.rate_bp // 2)}" if invoice.intra_state \
        else format_rate(line.rate_bp)  # CGST and SGST, each half of the rate
    return start + [format_amount(line.taxable_paise), rate] + tax + \
        [format_amount(line.total_paise)]


def _lines_table(doc: _Document, invoice: Invoice) -> None:
    from fpdf.fonts import FontFace

    columns = _columns(invoice)
    doc.font(8)
    with doc.pdf.table(col_widths=[c[1] for c in columns], text_align=[c[2] for c in columns],
                       width=sum(c[1] for c in columns), line_height=4.4, padding=1,
                       headings_style=FontFace(emphasis="BOLD", fill_color=(235, 235, 235))) as table:
        heading = table.row()
        for title, _width, _align in columns:
            heading.cell(doc.text(title), align="C")
        for line in invoice.lines:
            row = table.row()
            for value in _row(invoice, line):
                row.cell(doc.text(value))


def _totals_block(doc: _Document, invoice: Invoice, width: float) -> None:
    rows = []
    if invoice.is_tax_invoice:
        rows.append(("Taxable value", invoice.taxable_paise))
        if invoice.intra_state:
            rows += [("CGST", invoice.cgst_paise), ("SGST", invoice.sgst_paise)]
        else:
            rows.append(("IGST", invoice.igst_paise))
        if invoice.round_off_paise:
            rows.append(("Round off", invoice.round_off_paise))
    rows.append((f"Total ({doc.rupee})", invoice.total_paise))
    for label, paise in rows:
        last = label.startswith("Total")
        doc.font(10 if last else 9, bold=last)
        doc.pdf.set_x(doc.pdf.l_margin + width - 80)
        doc.pdf.cell(45, 5.5, doc.text(label), align="R")
        doc.pdf.cell(35, 5.5, doc.text(format_amount(paise)), align="R", new_x="LMARGIN", new_y="NEXT")


def _notes(invoice: Invoice) -> list[str]:
    if invoice.is_tax_invoice:
        notes = ["Prices include GST; the taxable value and tax of each line are worked out from its price."]
    elif invoice.supplier_gstin:
        notes = ["Exempt supply: no GST is charged on these goods."]
    else:
        notes = ["The supplier is not registered under GST: no GST is charged, and this bill of supply "
                 "gives no input tax credit."]
    if invoice.is_tax_invoice and any(line.description.startswith("Delivery charges") for line in invoice.lines):
        notes.append("Delivery is part of the supply and taxed at the rate of the main goods.")
    notes.append("Sold through Haat for the supplier named above. This is a computer-generated document.")
    return notes
