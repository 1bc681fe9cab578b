"""Payments, their history, webhook events seen, refunds, transfers and sales paid in cash."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from market.core.db import Base, UTCDateTime, utcnow
from payments.status import PaymentStatus

_statuses = ", ".join(f"'{s}'" for s in PaymentStatus)
GATEWAYS = ("razorpay", "demo", "stripe", "cash", "bank")  # bank: a transfer (NEFT/RTGS/IMPS) with its UTR
PARTS = ("whole", "advance", "balance")  # a wholesale order is paid in parts: payments.dues


class Payment(Base):
    """What a buyer pays for a checkout online (one per checkout), or one order's cash on delivery."""

    __tablename__ = "payments"
    __table_args__ = (
        sa.CheckConstraint(f"status IN ({_statuses})", name="status_known"),
        sa.CheckConstraint("gateway IN ('razorpay', 'demo', 'stripe', 'cash', 'bank')", name="gateway_known"),
        sa.CheckConstraint("part IN ('whole', 'advance', 'balance')", name="part_known"),
        sa.UniqueConstraint("order_id", "part", name="uq_payments_order_part"),
        sa.CheckConstraint("amount_paise > 0", name="amount_positive"),
        sa.CheckConstraint("refunded_paise >= 0 AND refunded_paise <= amount_paise", name="refund_within_amount"),
        sa.UniqueConstraint("gateway", "gateway_order_id", name="uq_payments_gateway_order"),
        sa.UniqueConstraint("gateway", "gateway_payment_id", name="uq_payments_gateway_payment"),
        sa.Index("ix_payments_status_created_at", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    checkout_id: Mapped[int] = mapped_column(sa.ForeignKey("checkouts.id"), index=True)
    order_id: Mapped[int | None] = mapped_column(sa.ForeignKey("orders.id"))  # cash, or a wholesale part: one order
    # "whole": the order (or checkout) at once; "advance" / "balance": a part of a wholesale order (payments.dues)
    part: Mapped[str] = mapped_column(sa.String(8), default="whole", server_default="whole")
    gateway: Mapped[str] = mapped_column(sa.String(10))
    gateway_order_id: Mapped[str | None] = mapped_column(sa.String(255))  # order_..., cs_... (Stripe: 66+ chars)
    gateway_payment_id: Mapped[str | None] = mapped_column(sa.String(255))  # pay_..., pi_..., a bank transfer's UTR
    amount_paise: Mapped[int] = mapped_column(sa.BigInteger)
    currency: Mapped[str] = mapped_column(sa.String(3), default="INR")
    status: Mapped[str] = mapped_column(sa.String(16), default=PaymentStatus.CREATED)
    refunded_paise: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    fee_paise: Mapped[int] = mapped_column(default=0)  # what the gateway charged
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    captured_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    checkout = relationship("Checkout")
    order = relationship("Order")
    events: Mapped[list[PaymentEvent]] = relationship(back_populates="payment", order_by="PaymentEvent.id")
    refunds: Mapped[list[Refund]] = relationship(back_populates="payment", order_by="Refund.id")

    @property
    def is_online(self) -> bool:
        return self.gateway != "cash"


class PaymentEvent(Base):
    """A payment's history: every change of state, and who or what told us (callback, webhook, reconcile...)."""

    __tablename__ = "payment_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    payment_id: Mapped[int] = mapped_column(sa.ForeignKey("payments.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    from_status: Mapped[str | None] = mapped_column(sa.String(16))
    to_status: Mapped[str] = mapped_column(sa.String(16))
    source: Mapped[str] = mapped_column(sa.String(12))  # callback, webhook, reconcile, seller, system
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    note: Mapped[str] = mapped_column(sa.String(300), default="")

    payment: Mapped[Payment] = relationship(back_populates="events")


class WebhookEvent(Base):
    """A gateway's event, recorded once, in the same transaction as what it caused."""

    __tablename__ = "webhook_events"
    __table_args__ = (sa.UniqueConstraint("gateway", "event_id", name="uq_webhook_events_gateway_event"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    gateway: Mapped[str] = mapped_column(sa.String(10))
    event_id: Mapped[str] = mapped_column(sa.String(100))
    event_type: Mapped[str] = mapped_column(sa.String(60))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    outcome: Mapped[str] = mapped_column(sa.String(200), default="")
    # An event about a payment we do not know yet (a refund before its capture): kept, with its body, until
    # the payment with this gateway id is captured here; then applied and cleared.
    waiting_for: Mapped[str | None] = mapped_column(sa.String(255), index=True)
    body: Mapped[str | None] = mapped_column(sa.Text)


class ExtraPayment(Base):
    """A second payment at the gateway for a checkout already paid (two attempts both went through): it is sent
    back in full. `failed` means the gateway refused or could not be reached: staff act on it."""

    __tablename__ = "extra_payments"
    __table_args__ = (
        sa.CheckConstraint("amount_paise > 0", name="amount_positive"),
        sa.CheckConstraint("status IN ('pending', 'refunded', 'failed')", name="status_known"),
        sa.CheckConstraint("refunded_paise >= 0 AND refunded_paise <= amount_paise", name="refund_within_amount"),
        sa.UniqueConstraint("gateway", "gateway_payment_id", name="uq_extra_payments_gateway_payment"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    payment_id: Mapped[int] = mapped_column(sa.ForeignKey("payments.id"), index=True)
    gateway: Mapped[str] = mapped_column(sa.String(10))
    gateway_payment_id: Mapped[str] = mapped_column(sa.String(255))
    amount_paise: Mapped[int] = mapped_column(sa.BigInteger)
    fee_paise: Mapped[int] = mapped_column(default=0)
    refunded_paise: Mapped[int] = mapped_column(sa.BigInteger, default=0)  # back with the buyer so far
    status: Mapped[str] = mapped_column(sa.String(10), default="pending", index=True)
    gateway_refund_id: Mapped[str | None] = mapped_column(sa.String(255))
    problem: Mapped[str] = mapped_column(sa.String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    payment: Mapped[Payment] = relationship()


class Refund(Base):
    """Money going back to a buyer for one order (all of it or a part)."""

    __tablename__ = "refunds"
    __table_args__ = (
        sa.CheckConstraint("amount_paise > 0", name="amount_positive"),
        sa.CheckConstraint("status IN ('pending', 'processed', 'failed')", name="status_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    payment_id: Mapped[int] = mapped_column(sa.ForeignKey("payments.id"), index=True)
    order_id: Mapped[int | None] = mapped_column(sa.ForeignKey("orders.id"), index=True)
    amount_paise: Mapped[int] = mapped_column(sa.BigInteger)
    gateway_refund_id: Mapped[str | None] = mapped_column(sa.String(255), unique=True)
    status: Mapped[str] = mapped_column(sa.String(10), default="pending")
    reason: Mapped[str] = mapped_column(sa.String(200), default="")
    requested_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    payment: Mapped[Payment] = relationship(back_populates="refunds")


class Transfer(Base):
    """Money sent from a captured payment to a linked account (Razorpay Route): the business's take-home,
    and her plan's shares (savings, loan repayments, goals) to her SHG."""

    __tablename__ = "transfers"
    __table_args__ = (
        sa.CheckConstraint("amount_paise > 0", name="amount_positive"),
        sa.UniqueConstraint("order_id", "recipient", name="uq_transfers_order_recipient"),  # once per order each
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    payment_id: Mapped[int] = mapped_column(sa.ForeignKey("payments.id"), index=True)
    order_id: Mapped[int] = mapped_column(sa.ForeignKey("orders.id"))
    recipient: Mapped[str] = mapped_column(sa.String(40))  # the linked account, acc_...
    amount_paise: Mapped[int] = mapped_column(sa.BigInteger)
    gateway_transfer_id: Mapped[str | None] = mapped_column(sa.String(255), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CashSale(Base):
    """A sale the seller was paid for directly, at a market stall or a fair: cash, or UPI to her own QR."""

    __tablename__ = "cash_sales"
    __table_args__ = (
        sa.CheckConstraint("amount_paise > 0", name="amount_positive"),
        sa.CheckConstraint("method IN ('cash', 'upi_qr')", name="method_known"),
        sa.CheckConstraint("quantity IS NULL OR quantity > 0", name="quantity_positive"),
        sa.Index("ix_cash_sales_business_id_id", "business_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    business_id: Mapped[int] = mapped_column(sa.ForeignKey("businesses.id"))
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    amount_paise: Mapped[int] = mapped_column(sa.BigInteger)
    method: Mapped[str] = mapped_column(sa.String(8), default="cash")
    variant_id: Mapped[int | None] = mapped_column(sa.ForeignKey("variants.id", ondelete="SET NULL"))
    quantity: Mapped[int | None]
    note: Mapped[str] = mapped_column(sa.String(200), default="")
    sold_on: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    client_id: Mapped[str | None] = mapped_column(sa.String(40), unique=True)  # a double tap records one sale

    business = relationship("Business")
