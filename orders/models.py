"""Carts, checkouts, per-business orders with their lines, history and messages, wholesale accounts.

Lines copy the title, option and price at the moment of the order: a later edit of the product never
changes what was bought. Money is integer paise throughout.
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from catalog.models import Product, Variant
from market.core.db import Base, UTCDateTime, utcnow
from market.core.models import User
from vendors.models import Business

STATUSES = ("placed", "confirmed", "packed", "ready_for_pickup", "out_for_delivery", "shipped", "collected",
            "delivered", "completed", "cancelled", "refund_requested", "refunded")
_status_list = ", ".join(f"'{s}'" for s in STATUSES)


class Cart(Base):
    """A buyer's cart: a guest's is found by a random token in a cookie, an account's by its user."""

    __tablename__ = "carts"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(sa.String(43), unique=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    items: Mapped[list[CartItem]] = relationship(back_populates="cart", cascade="all, delete-orphan",
                                                 order_by="CartItem.id")


class CartItem(Base):
    """A variant and how many; prices are read fresh at checkout, never stored here."""

    __tablename__ = "cart_items"
    __table_args__ = (sa.UniqueConstraint("cart_id", "variant_id"),
                      sa.CheckConstraint("quantity BETWEEN 1 AND 100000", name="quantity_sane"))

    id: Mapped[int] = mapped_column(primary_key=True)
    cart_id: Mapped[int] = mapped_column(sa.ForeignKey("carts.id", ondelete="CASCADE"), index=True)
    variant_id: Mapped[int] = mapped_column(sa.ForeignKey("variants.id", ondelete="CASCADE"))
    quantity: Mapped[int]

    cart: Mapped[Cart] = relationship(back_populates="items")
    variant: Mapped[Variant] = relationship()


class Checkout(Base):
    """One press of "place order": one or more orders, one per business, paid together."""

    __tablename__ = "checkouts"
    __table_args__ = (sa.CheckConstraint("total_paise >= 0", name="total_not_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    buyer_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    idempotency_key: Mapped[str] = mapped_column(sa.String(64), unique=True)  # a double click places one
    total_paise: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    buyer: Mapped[User] = relationship()
    orders: Mapped[list[Order]] = relationship(back_populates="checkout", order_by="Order.id")


class Order(Base):
    """What one business sells to one buyer in one checkout."""

    __tablename__ = "orders"
    __table_args__ = (
        sa.CheckConstraint(f"status IN ({_status_list})", name="status_known"),
        sa.CheckConstraint("delivery IN ('pickup', 'local', 'courier')", name="delivery_known"),
        sa.CheckConstraint("subtotal_paise >= 0 AND delivery_fee_paise >= 0", name="money_not_negative"),
        sa.CheckConstraint("total_paise = subtotal_paise + delivery_fee_paise", name="total_adds_up"),
        sa.Index("ix_orders_business_status_id", "business_id", "status", "id"),
        sa.Index("ix_orders_buyer_id_id", "buyer_id", "id"),
        sa.Index("ix_orders_placed_at", "placed_at"),  # the admins' overview filters the whole site by dates
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    checkout_id: Mapped[int] = mapped_column(sa.ForeignKey("checkouts.id"), index=True)
    business_id: Mapped[int] = mapped_column(sa.ForeignKey("businesses.id"))
    buyer_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(sa.String(20), default="placed")
    wholesale: Mapped[bool] = mapped_column(default=False)
    delivery: Mapped[str] = mapped_column(sa.String(10))
    # Where the buyer collects (the collective's office) or where it goes: never the seller's home.
    pickup_point: Mapped[str] = mapped_column(sa.String(300))
    ship_to_name: Mapped[str] = mapped_column(sa.String(100), default="")
    ship_to_address: Mapped[str] = mapped_column(sa.String(300), default="")
    ship_to_pincode: Mapped[str] = mapped_column(sa.String(6), default="")
    # Sent by courier: whom with, its tracking number and the courier's tracking page (http or https only).
    courier_name: Mapped[str] = mapped_column(sa.String(60), default="", server_default="")
    tracking_number: Mapped[str] = mapped_column(sa.String(60), default="", server_default="")
    tracking_url: Mapped[str] = mapped_column(sa.String(300), default="", server_default="")
    subtotal_paise: Mapped[int]
    delivery_fee_paise: Mapped[int] = mapped_column(default=0)
    total_paise: Mapped[int]
    # Of an order from a quote: the part of the total (0-100, as agreed in quote_offers, which checks the range)
    # the wholesaler pays before it is made or sent (payments.dues); 0: none.
    advance_percent: Mapped[int] = mapped_column(default=0, server_default="0")
    placed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    checkout: Mapped[Checkout] = relationship(back_populates="orders")
    business: Mapped[Business] = relationship()
    buyer: Mapped[User] = relationship()
    lines: Mapped[list[OrderLine]] = relationship(back_populates="order", cascade="all, delete-orphan",
                                                  order_by="OrderLine.id")
    events: Mapped[list[OrderEvent]] = relationship(back_populates="order", cascade="all, delete-orphan",
                                                    order_by="OrderEvent.id")
    messages: Mapped[list[OrderMessage]] = relationship(back_populates="order", cascade="all, delete-orphan",
                                                        order_by="OrderMessage.id")

    @property
    def number(self) -> str:
        """What people read out on the phone: H-000123."""
        return f"H-{self.id:06d}"


class OrderLine(Base):
    """A variant bought, with what it was called and cost at the time."""

    __tablename__ = "order_lines"
    __table_args__ = (
        sa.CheckConstraint("quantity > 0", name="quantity_positive"),
        sa.CheckConstraint("unit_price_paise > 0", name="unit_price_positive"),
        sa.CheckConstraint("line_total_paise = quantity * unit_price_paise", name="total_adds_up"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(sa.ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    product_id: Mapped[int] = mapped_column(sa.ForeignKey("products.id"))
    variant_id: Mapped[int] = mapped_column(sa.ForeignKey("variants.id"))
    title: Mapped[str] = mapped_column(sa.String(120))
    option: Mapped[str] = mapped_column(sa.String(60), default="")
    quantity: Mapped[int]
    unit_price_paise: Mapped[int]
    line_total_paise: Mapped[int]
    made_to_order: Mapped[bool] = mapped_column(default=False)  # no stock was taken for it

    order: Mapped[Order] = relationship(back_populates="lines")
    product: Mapped[Product] = relationship()


class OrderEvent(Base):
    """One transition of the order's state machine: who, when, from what to what. Append-only."""

    __tablename__ = "order_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(sa.ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    actor_role: Mapped[str] = mapped_column(sa.String(10))  # buyer, seller, admin, system
    from_status: Mapped[str | None] = mapped_column(sa.String(20))
    to_status: Mapped[str] = mapped_column(sa.String(20))
    note: Mapped[str] = mapped_column(sa.String(300), default="")

    order: Mapped[Order] = relationship(back_populates="events")


class OrderMessage(Base):
    """Buyer and seller talk on the order page only: neither sees the other's phone number."""

    __tablename__ = "order_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(sa.ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    sender_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    from_seller: Mapped[bool]
    body: Mapped[str] = mapped_column(sa.String(1000))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    order: Mapped[Order] = relationship(back_populates="messages")


class WholesalerProfile(Base):
    """A wholesaler's business details; tier prices apply once staff or an admin approve it."""

    __tablename__ = "wholesaler_profiles"
    __table_args__ = (sa.CheckConstraint("status IN ('pending', 'approved', 'rejected')", name="status_known"),)

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    business_name: Mapped[str] = mapped_column(sa.String(120))
    gstin: Mapped[str | None] = mapped_column(sa.String(15))
    status: Mapped[str] = mapped_column(sa.String(10), default="pending")
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(foreign_keys=[user_id])


QUOTE_STATUSES = ("requested", "offered", "countered", "accepted", "declined", "ordered")


class QuoteRequest(Base):
    """A wholesaler asks a seller for a price for a quantity by a date; they offer and counter (QuoteOffer) until
    one side accepts the other's last offer or declines. Its moves are in orders.quote_status."""

    __tablename__ = "quote_requests"
    __table_args__ = (
        sa.CheckConstraint(f"status IN ({', '.join(repr(s) for s in QUOTE_STATUSES)})", name="status_known"),
        sa.CheckConstraint("quantity BETWEEN 1 AND 100000", name="quantity_sane"),
        sa.CheckConstraint("target_price_paise > 0", name="target_positive"),
        sa.CheckConstraint("counter_price_paise IS NULL OR counter_price_paise > 0", name="counter_positive"),
        sa.Index("ix_quote_requests_business_status", "business_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    buyer_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    business_id: Mapped[int] = mapped_column(sa.ForeignKey("businesses.id"))
    variant_id: Mapped[int] = mapped_column(sa.ForeignKey("variants.id"))
    quantity: Mapped[int]
    target_price_paise: Mapped[int]  # per piece, what the buyer first asked for
    counter_price_paise: Mapped[int | None]  # quotes answered before offers were kept: the seller's one price
    needed_by: Mapped[date]
    note: Mapped[str] = mapped_column(sa.String(500), default="")
    status: Mapped[str] = mapped_column(sa.String(10), default="requested")
    order_id: Mapped[int | None] = mapped_column(sa.ForeignKey("orders.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    variant: Mapped[Variant] = relationship()
    business: Mapped[Business] = relationship()
    buyer: Mapped[User] = relationship()
    offers: Mapped[list[QuoteOffer]] = relationship(back_populates="quote", cascade="all, delete-orphan",
                                                    order_by="QuoteOffer.id")

    @property
    def last_offer(self) -> QuoteOffer | None:
        """The offer on the table now (the agreed one once accepted); None before the seller answered."""
        return self.offers[-1] if self.offers else None

    @property
    def agreed_price_paise(self) -> int:
        """The price per piece of the last offer (the agreed one once accepted); before any offer, the buyer's."""
        offer = self.last_offer
        return offer.price_paise if offer else (self.counter_price_paise or self.target_price_paise)

    @property
    def from_stock(self) -> bool:
        """Whether the order takes pieces from stock (else they are made after it is ordered)."""
        offer = self.last_offer
        return offer.from_stock if offer else not self.variant.product.made_to_order

    @property
    def advance_percent(self) -> int:
        """The part of the order's total the wholesaler pays before it is made or sent."""
        offer = self.last_offer
        return offer.advance_percent if offer else 0

    def expired(self, today: date) -> bool:
        """An offer waiting for an answer past its "valid until" date: it can no longer be accepted."""
        offer = self.last_offer
        return self.status in ("offered", "countered") and offer is not None and offer.valid_until < today


class QuoteOffer(Base):
    """One offer of a quote, by the seller or the buyer: the whole terms, so the history reads who offered what
    and when. A buyer's counter keeps the seller's terms (stock or made to order, advance) with his price."""

    __tablename__ = "quote_offers"
    __table_args__ = (
        sa.CheckConstraint("side IN ('buyer', 'seller')", name="side_known"),
        sa.CheckConstraint("price_paise > 0", name="price_positive"),
        sa.CheckConstraint("advance_percent BETWEEN 0 AND 100", name="advance_percent_sane"),
        sa.CheckConstraint("from_stock OR ready_by IS NOT NULL", name="made_to_order_has_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    quote_id: Mapped[int] = mapped_column(sa.ForeignKey("quote_requests.id", ondelete="CASCADE"), index=True)
    side: Mapped[str] = mapped_column(sa.String(6))  # buyer | seller
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    price_paise: Mapped[int]  # per piece
    from_stock: Mapped[bool]
    ready_by: Mapped[date | None]  # made to order: when the pieces are ready
    advance_percent: Mapped[int] = mapped_column(default=0)
    valid_until: Mapped[date]
    note: Mapped[str] = mapped_column(sa.String(300), default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    quote: Mapped[QuoteRequest] = relationship(back_populates="offers")


def order_parts(order, amount_paise: int) -> list[tuple[int, int]]:
    """Split an amount of an order's goods (their earnings, or a refund of them) over its lines' categories, to
    the paisa. The delivery charge is not a sale: it is never part of the amount."""
    weights = [(line.product.category_id, line.line_total_paise) for line in order.lines]
    whole = sum(w for _c, w in weights) or 1
    # The size is split and the sign put back: floor division of a refund (negative) would round each part away
    # from zero, leaving the last part to make up the difference with the opposite sign.
    sign, size = (-1 if amount_paise < 0 else 1), abs(amount_paise)
    parts = [(category, sign * (size * weight // whole)) for category, weight in weights]
    parts[-1] = (parts[-1][0], parts[-1][1] + amount_paise - sum(p for _c, p in parts))  # the last absorbs rounding
    return parts
