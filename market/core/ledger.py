"""The append-only double-entry ledger: every movement of money is one entry of postings that sum to zero.

A posting's amount is in paise, positive for a debit and negative for a credit. Balances are never stored:
they are sums of postings. A mistake is corrected by a new entry, never by editing one (the database
refuses UPDATE on postings and entries; see the migration).

Accounts, by code:
  gateway:<name>            money held for us at Razorpay / Stripe (asset)
  platform:fees             Haat's fee on online sales (income)
  platform:gateway_fees     what the gateways charged (expense)
  business:<id>:payable     what Haat owes the business for its online sales (liability)
  business:<id>:cash        cash or UPI-QR money the seller took herself (her asset)
  business:<id>:cash_sales  her sales paid to her directly (her income)
  business:<id>:delivery    delivery charges paid with its orders, owed to whoever delivers: the shop, as she
                            delivers her own orders (liability; never her sales income nor her plan's base)
  business:<id>:set_aside   of that cash, what she put toward her plan (cash in hand = cash - set_aside)
  member:<id>:loan:<loan>   what went toward that loan's instalments (credits are repayments)
  member:<id>:savings       her contributions to the group fund
  member:<id>:goal:<goal>   what she set aside for a goal
  member:<id>:own_cash      money from outside Haat (a repayment made in cash at the group meeting)
  group:<id>:transferred    plan shares sent on to the SHG's own account (Route)
  group:<id>:fund:<part>    the SHG's own books (vendors.groupfund): cash, bank, lent (its internal loans' principal
                            out), savings (members' pooled savings, liability), interest, fines, opening (income)

Money put toward her plan is credited to a member: account and debited to where it came from: what Haat owes
her business (Haat pays it on her behalf), the cash she set aside from her takings, or her own cash.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from market.core import events
from market.core.db import Base, UTCDateTime, utcnow


class EntryKind(enum.StrEnum):
    PAYMENT = "payment"  # a buyer's online payment, split between businesses and the platform fee
    GATEWAY_FEE = "gateway_fee"
    REFUND = "refund"
    TRANSFER = "transfer"  # earnings sent to a business's (or SHG's) linked account
    CASH = "cash"  # cash on delivery, or a sale at a market stall
    ALLOCATION = "allocation"  # a share of a sale to her loan, savings or goal (or its reversal)
    CORRECTION = "correction"
    MEETING = "meeting"  # what a member paid at her group's meeting (savings, instalment, fine)
    FUND = "fund"  # a movement of the group's own fund: an internal loan given, a bank deposit or withdrawal


class AccountKind(enum.StrEnum):
    ASSET = "asset"
    LIABILITY = "liability"
    INCOME = "income"
    EXPENSE = "expense"


def gateway_account(gateway: str) -> str:
    return f"gateway:{gateway}"


def payable(business_id: int) -> str:
    return f"business:{business_id}:payable"


def cash(business_id: int) -> str:
    return f"business:{business_id}:cash"


def cash_sales(business_id: int) -> str:
    return f"business:{business_id}:cash_sales"


def delivery(business_id: int) -> str:
    return f"business:{business_id}:delivery"


def set_aside(business_id: int) -> str:
    return f"business:{business_id}:set_aside"


def member_loan(member_id: int, loan_id: int) -> str:
    return f"member:{member_id}:loan:{loan_id}"


def member_savings(member_id: int) -> str:
    return f"member:{member_id}:savings"


def member_goal(member_id: int, goal_id: int) -> str:
    return f"member:{member_id}:goal:{goal_id}"


def member_own_cash(member_id: int) -> str:
    return f"member:{member_id}:own_cash"


def group_transferred(group_id: int) -> str:
    return f"group:{group_id}:transferred"


PLATFORM_FEES = "platform:fees"
GATEWAY_FEES = "platform:gateway_fees"


def kind_of(code: str) -> AccountKind:
    """What sort of account a code names."""
    if code.startswith("group:") and code.endswith(":fund:savings"):
        return AccountKind.LIABILITY  # the group holds its members' savings
    if code.startswith("group:") and code.endswith((":fund:interest", ":fund:fines", ":fund:opening")):
        return AccountKind.INCOME
    if code.startswith(("gateway:", "group:")) or code.endswith((":cash", ":own_cash", ":set_aside")):
        return AccountKind.ASSET
    if code.startswith("member:"):
        return AccountKind.LIABILITY  # held or paid on for her plan
    if code == GATEWAY_FEES:
        return AccountKind.EXPENSE
    if code.endswith((":payable", ":delivery")):
        return AccountKind.LIABILITY
    return AccountKind.INCOME


class LedgerAccount(Base):
    __tablename__ = "ledger_accounts"
    __table_args__ = (sa.CheckConstraint("kind IN ('asset', 'liability', 'income', 'expense')", name="kind_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(60), unique=True)
    kind: Mapped[str] = mapped_column(sa.String(10))
    business_id: Mapped[int | None] = mapped_column(sa.ForeignKey("businesses.id"), index=True)
    member_id: Mapped[int | None] = mapped_column(index=True)  # the member in member:<id>:... codes


class LedgerEntry(Base):
    """One movement of money: what happened, when, and what it was about."""

    __tablename__ = "ledger_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    kind: Mapped[str] = mapped_column(sa.String(12))
    memo: Mapped[str] = mapped_column(sa.String(200), default="")
    payment_id: Mapped[int | None] = mapped_column(sa.ForeignKey("payments.id"), index=True)
    order_id: Mapped[int | None] = mapped_column(sa.ForeignKey("orders.id"), index=True)
    refund_id: Mapped[int | None] = mapped_column(sa.ForeignKey("refunds.id"))
    transfer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("transfers.id"))
    cash_sale_id: Mapped[int | None] = mapped_column(sa.ForeignKey("cash_sales.id"))

    postings: Mapped[list[LedgerPosting]] = relationship(back_populates="entry", order_by="LedgerPosting.id")


class LedgerPosting(Base):
    __tablename__ = "ledger_postings"
    __table_args__ = (sa.CheckConstraint("amount_paise <> 0", name="not_zero"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(sa.ForeignKey("ledger_entries.id"), index=True)
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("ledger_accounts.id"), index=True)
    amount_paise: Mapped[int] = mapped_column(sa.BigInteger)

    entry: Mapped[LedgerEntry] = relationship(back_populates="postings")
    account: Mapped[LedgerAccount] = relationship()


class Unbalanced(RuntimeError):
    """Postings that do not sum to zero (a bug: nothing is written)."""


def _account_ids(session: Session, codes: set[str]) -> dict[str, int]:
    """Ids of the accounts, made on first use (safe when two transactions make the same one)."""
    found = dict(session.execute(sa.select(LedgerAccount.code, LedgerAccount.id)
                                 .where(LedgerAccount.code.in_(codes))).all())
    missing = codes - found.keys()
    if missing:
        dialect = session.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        rows = [{"code": c, "kind": kind_of(c), "business_id": _owner(c, "business:"),
                 "member_id": _owner(c, "member:")} for c in missing]
        session.execute(insert(LedgerAccount).values(rows).on_conflict_do_nothing(index_elements=["code"]))
        found.update(session.execute(sa.select(LedgerAccount.code, LedgerAccount.id)
                                     .where(LedgerAccount.code.in_(missing))).all())
    return found


def _owner(code: str, prefix: str) -> int | None:
    return int(code.split(":")[1]) if code.startswith(prefix) else None


def post(session: Session, kind: EntryKind, lines: Iterable[tuple[str, int]], memo: str = "",
         at: datetime | None = None, **about: int | None) -> LedgerEntry | None:
    """Write one balanced entry. `lines` are (account code, paise: + debit, - credit); zero lines are left out.

    `about` names what the entry is about: payment_id, order_id, refund_id, transfer_id, cash_sale_id.
    Returns None when every line is zero (nothing moved).
    """
    merged: dict[str, int] = {}
    for code, amount in lines:
        if not isinstance(amount, int) or isinstance(amount, bool):
            raise Unbalanced(f"{code}: paise must be an integer, not {amount!r}")
        merged[code] = merged.get(code, 0) + amount
    merged = {code: amount for code, amount in merged.items() if amount}
    if sum(merged.values()) != 0:
        raise Unbalanced(f"postings sum to {sum(merged.values())}, not 0: {merged}")
    if not merged:
        return None
    ids = _account_ids(session, set(merged))
    entry = LedgerEntry(kind=kind, memo=memo[:200], at=at or utcnow(), **about)
    entry.postings = [LedgerPosting(account_id=ids[code], amount_paise=amount) for code, amount in merged.items()]
    session.add(entry)
    session.flush()
    events.ledger_posted.send(session, entry=entry, lines=merged)
    return entry


def balance(session: Session, code: str) -> int:
    """Debits minus credits of one account (0 for an account never used)."""
    return int(session.execute(sa.select(sa.func.coalesce(sa.func.sum(LedgerPosting.amount_paise), 0))
                               .join(LedgerAccount).where(LedgerAccount.code == code)).scalar_one())  # PG: Decimal


def unbalanced_entries(session: Session) -> list[int]:
    """Ids of entries whose postings do not sum to zero: always empty unless the ledger is corrupt."""
    return list(session.scalars(sa.select(LedgerPosting.entry_id).group_by(LedgerPosting.entry_id)
                                .having(sa.func.sum(LedgerPosting.amount_paise) != 0)))


@sa.event.listens_for(Session, "before_flush")
def _append_only(session: Session, _context, _instances) -> None:
    """Refuse to change or delete what is written: corrections are new entries."""
    for obj in (*session.dirty, *session.deleted):
        if isinstance(obj, LedgerPosting | LedgerEntry) and (obj in session.deleted or session.is_modified(obj)):
            raise Unbalanced("the ledger is append-only: post a correcting entry instead")
