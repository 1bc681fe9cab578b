"""Monthly sales rollups for the programme dashboards, kept current with the ledger.

Each sale that reaches the ledger (an online payment, cash on delivery, a stall sale, a refund) adds to one
row per business and month in the same transaction, so a state with 5,000,000 orders is summed from a few
hundred thousand rows instead of its orders. Category rows (for "top categories") sit beside a total row
(category_id TOTAL) that carries the business's income and number of sales for the month.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, Session, mapped_column

from market.db import Base, utcnow

INDIA = ZoneInfo("Asia/Kolkata")
TOTAL = -1  # the row with the business's whole month
OTHER = 0  # sold, but not a listed product (a stall sale of something else, delivery fees)


class SalesMonth(Base):
    __tablename__ = "sales_months"
    __table_args__ = (
        sa.Index("ix_sales_months_state_month", "state_code", "category_id", "month"),
        sa.Index("ix_sales_months_organisation_month", "organisation_id", "category_id", "month"),
        sa.Index("ix_sales_months_group_month", "group_id", "category_id", "month"),
        sa.Index("ix_sales_months_month", "category_id", "month"),
        sa.Index("ix_sales_months_business", "business_id", "category_id", "month"),
    )

    month: Mapped[date] = mapped_column(primary_key=True)  # the first day of the month, in India
    business_id: Mapped[int] = mapped_column(primary_key=True)
    category_id: Mapped[int] = mapped_column(primary_key=True)  # TOTAL, OTHER, or a category's id
    group_id: Mapped[int]
    organisation_id: Mapped[int]
    state_code: Mapped[str] = mapped_column(sa.String(2))
    income_paise: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    sales: Mapped[int] = mapped_column(default=0)


def month_of(moment: datetime | None = None) -> date:
    return (moment or utcnow()).astimezone(INDIA).date().replace(day=1)


def add(session: Session, business, parts: list[tuple[int, int]], sales: int, when: datetime | None = None) -> None:
    """Count income for a business this month: `parts` are (category id or OTHER, paise; negative for a refund),
    `sales` how many sales it was (1 for a sale, 0 for a refund)."""
    totals: dict[int, int] = {}
    for category_id, paise in parts:
        totals[category_id] = totals.get(category_id, 0) + paise
    rows = [(TOTAL, sum(totals.values()))] + sorted(totals.items())
    group = business.group
    base = {"month": month_of(when), "business_id": business.id, "group_id": group.id,
            "organisation_id": group.organisation_id, "state_code": group.organisation.state_code}
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    for category_id, paise in rows:
        statement = insert(SalesMonth).values(**base, category_id=category_id, income_paise=paise, sales=sales)
        session.execute(statement.on_conflict_do_update(
            index_elements=["month", "business_id", "category_id"],
            set_={"income_paise": SalesMonth.income_paise + statement.excluded.income_paise,
                  "sales": SalesMonth.sales + statement.excluded.sales}))


def order_parts(order, amount_paise: int) -> list[tuple[int, int]]:
    """Split an amount of an order (its earnings, or a refund) over its lines' categories, to the paisa."""
    weights = [(line.product.category_id, line.line_total_paise) for line in order.lines]
    if order.delivery_fee_paise:
        weights.append((OTHER, order.delivery_fee_paise))
    whole = sum(w for _c, w in weights) or 1
    parts = [(category, amount_paise * weight // whole) for category, weight in weights]
    parts[-1] = (parts[-1][0], parts[-1][1] + amount_paise - sum(p for _c, p in parts))  # the last absorbs rounding
    return parts


class LoanStatus(Base):
    """Each loan's standing, for the dashboards: refreshed when money reaches the loan, and daily (days pass)."""

    __tablename__ = "loan_status"
    __table_args__ = (
        sa.Index("ix_loan_status_state", "state_code"),
        sa.Index("ix_loan_status_organisation", "organisation_id"),
        sa.Index("ix_loan_status_group", "group_id"),
    )

    loan_id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(index=True)
    group_id: Mapped[int]
    organisation_id: Mapped[int]
    state_code: Mapped[str] = mapped_column(sa.String(2))
    outstanding_paise: Mapped[int] = mapped_column(sa.BigInteger)
    overdue_days: Mapped[int]
    next_due_left_paise: Mapped[int] = mapped_column(sa.BigInteger)  # what the next instalment still needs
    refreshed_on: Mapped[date]


def rebuild(session: Session) -> int:
    """Recount every month's sales from the payments, cash sales and refunds (for an installation upgraded
    from before the rollups, or a check that they match). Online earnings use today's platform fee."""
    from catalog.models import Variant
    from orders.models import Order
    from payments.models import CashSale, Payment, Refund
    from payments.services import fee_given_back, platform_fee
    from payments.status import MONEY_TAKEN

    session.execute(sa.delete(SalesMonth))
    count = 0
    for payment in session.scalars(sa.select(Payment).where(Payment.status.in_(list(MONEY_TAKEN)))
                                   .order_by(Payment.id)):
        orders = [payment.order] if payment.order_id else payment.checkout.orders
        for order in orders:
            earned = payment.amount_paise if not payment.is_online else \
                order.total_paise - platform_fee(order.total_paise)
            add(session, order.business, order_parts(order, earned), 1, payment.captured_at)
            count += 1
    for sale in session.scalars(sa.select(CashSale).order_by(CashSale.id)):
        variant = session.get(Variant, sale.variant_id) if sale.variant_id else None
        add(session, sale.business, [(variant.product.category_id if variant else OTHER, sale.amount_paise)], 1,
            sale.sold_on)
        count += 1
    for refund in session.scalars(sa.select(Refund).where(Refund.status == "processed", Refund.order_id.isnot(None))):
        order = session.get(Order, refund.order_id)
        kept = 0 if refund.payment.gateway == "cash" else fee_given_back(order, refund.amount_paise)
        lost = refund.amount_paise - kept
        add(session, order.business, order_parts(order, -lost), 0, refund.processed_at)
    return count
