"""Issuing an order's invoice: whether it may have one, its lines, its numbers, stored once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from market.core.clock import day_of
from market.core.db import rows_matched, utcnow
from orders.hsn import GST_STATE_CODES, UnknownCategory, pincode_state, rule_for
from orders.invoices.gst import INDIVIDUAL_PAN, split_inclusive, validate_gstin
from orders.invoices.models import (
    BILL_OF_SUPPLY,
    INVOICEABLE,
    INVOICEABLE_IF_CONFIRMED,
    PROFORMA_NUMBER,
    TAX_INVOICE,
    Invoice,
    InvoiceCounter,
    InvoiceError,
    InvoiceLine,
)
from orders.invoices.numbers import financial_year, invoice_number
from orders.models import Order, OrderEvent, QuoteRequest, WholesalerProfile
from orders.status import OrderStatus
from vendors.models import Business
from vendors.states import STATES

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


DISPATCHED = frozenset({OrderStatus.READY_FOR_PICKUP, OrderStatus.OUT_FOR_DELIVERY, OrderStatus.SHIPPED,
                        OrderStatus.COLLECTED, OrderStatus.DELIVERED, OrderStatus.COMPLETED,
                        OrderStatus.REFUND_REQUESTED})


def _from_quote(session: Session, order: Order) -> bool:
    return bool(order.wholesale) and session.scalar(
        sa.select(QuoteRequest.id).where(QuoteRequest.order_id == order.id).limit(1)) is not None


def _check_invoiceable(session: Session, order: Order) -> None:
    status = OrderStatus(order.status)
    if _from_quote(session, order):
        # A wholesale order is made after it is accepted, and paid in parts: its tax invoice is issued when the
        # goods leave (CGST section 31: at removal); until then he has the proforma.
        if status in DISPATCHED or session.scalar(sa.select(OrderEvent.id).where(
                OrderEvent.order_id == order.id, OrderEvent.to_status.in_(list(DISPATCHED))).limit(1)):
            return
        raise InvoiceError(_l("The tax invoice is made when the order is sent. Until then, use the proforma."))
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


GSTIN_STATES = {code: state for state, code in GST_STATE_CODES.items()}  # "27" -> "MH"


def _place_of_supply(order: Order, supplier_state: str, buyer_gstin: str | None = None) -> str | None:
    """Where the supply is made, as a state: a registered buyer's state (the first two digits of his GSTIN: the
    goods go to his place of business, and only then can he claim the tax); else the delivery's state (its
    pincode), or the collective's when it is collected there or delivered around town."""
    if buyer_gstin and buyer_gstin[:2] in GSTIN_STATES:
        return GSTIN_STATES[buyer_gstin[:2]]
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
    """How the order was paid, as the invoice prints it (UPI through Razorpay, a card through Stripe, cash; an
    order paid in parts: each way once, "UPI + Bank transfer")."""
    return " + ".join(dict.fromkeys(p for p in (PAID_BY.get(g, "") for g in (gateway or "").split("+")) if p))


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
    gateway of its payment (razorpay, stripe, cash...), printed as "Paid by UPI" (the caller knows the payment);
    several joined by "+" for an order paid in parts ("razorpay+bank").
    """
    existing = session.scalar(sa.select(Invoice).where(Invoice.order_id == order.id))
    if existing is not None:
        return existing
    _check_invoiceable(session, order)
    invoice = _draft(session, order, at, paid_with)
    try:
        # Numbering and the insert share a savepoint: if a concurrent call invoiced this order first, the unique
        # order_id trips, the savepoint undoes our counter bump too (no gap), and we return its invoice.
        with session.begin_nested():
            invoice.seq = _next_seq(session, invoice.business_id, invoice.fy)
            invoice.number = invoice_number(invoice.business_id, invoice.fy, invoice.seq)
            session.add(invoice)
            session.flush()
    except IntegrityError:
        existing = session.scalar(sa.select(Invoice).where(Invoice.order_id == order.id))
        if existing is None:
            raise
        return existing
    return invoice


def proforma_invoice(session: Session, order: Order, *, at: datetime | None = None) -> Invoice:
    """A proforma invoice for an agreed wholesale order, before it is paid: what the tax invoice will say (with
    the buyer's GSTIN and place of supply as they stand), unnumbered and never stored. Raises InvoiceError."""
    if OrderStatus(order.status) in INVOICEABLE_IF_CONFIRMED:
        raise InvoiceError(_l("This order is cancelled."))
    invoice = _draft(session, order, at, None)
    invoice.number, invoice.seq = PROFORMA_NUMBER, 0
    return invoice


def _draft(session: Session, order: Order, at: datetime | None, paid_with: str | None) -> Invoice:
    """The invoice of the order as it would be issued now, not numbered, not added to the session."""
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
    buyer_name, buyer_gstin = _buyer(session, order)
    place = _place_of_supply(order, supplier_state, buyer_gstin)
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
    issued_on = day_of(issued_at)
    fy = financial_year(issued_on)
    billed = bool(order.ship_to_address)  # delivered to her, or collected but of Rs 50,000 or more (rule 46(e))
    return Invoice(
        order_id=order.id, business_id=business.id, kind=TAX_INVOICE if taxed else BILL_OF_SUPPLY,
        fy=fy, issued_at=issued_at,
        issued_on=issued_on, supplier_name=business.public_name,
        supplier_trade_name=business.gst_trade_name if registered else None, supplier_gstin=gstin,
        supplier_address=_supplier_address(business)[:400], supplier_state=supplier_state,
        buyer_name=buyer_name[:120], buyer_address=order.ship_to_address if billed else "",
        buyer_pincode=order.ship_to_pincode if billed else "", buyer_gstin=buyer_gstin,
        delivery=order.delivery, pickup_point=order.pickup_point, place_of_supply=place,
        taxable_paise=sum(x.taxable_paise for x in lines), cgst_paise=sum(x.cgst_paise for x in lines),
        sgst_paise=sum(x.sgst_paise for x in lines), igst_paise=sum(x.igst_paise for x in lines),
        round_off_paise=round_off, total_paise=total, payment_method=_paid_by(paid_with), lines=lines)


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
        if rows_matched(result) == 1:
            return session.execute(sa.select(InvoiceCounter.last_seq).where(*where)).scalar_one()
        try:
            with session.begin_nested():  # the first invoice of the year; a racing first one trips the key
                session.add(InvoiceCounter(business_id=business_id, fy=fy, last_seq=1))
            return 1
        except IntegrityError:
            continue
    raise InvoiceError(f"could not number an invoice for business {business_id} in {fy}")
