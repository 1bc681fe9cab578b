"""The group's meetings, its book-keepers, the internal loans given from its fund, and corrections.

No balance is stored here: the fund's figures are sums of ledger postings on the group's fund accounts
(`services.fund`). A row keeps what was recorded (for the receipt and the register) and the entry it posted.
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from market.core.db import Base, UTCDateTime, utcnow
from vendors.models import Member


class Bookkeeper(Base):
    """A member staff chose to keep her group's books: she records its meetings and sees its cash book."""

    __tablename__ = "group_bookkeepers"

    group_id: Mapped[int] = mapped_column(sa.ForeignKey("self_help_groups.id", ondelete="CASCADE"), primary_key=True)
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("members.id", ondelete="CASCADE"), primary_key=True,
                                           index=True)
    named_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    named_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Meeting(Base):
    """One meeting of a group: who came, what each paid, and the cash counted at the end (which equals the
    total, or the meeting is not saved). Sent once: `client_key` is made by the phone that filled it in."""

    __tablename__ = "meetings"
    __table_args__ = (
        sa.UniqueConstraint("client_key"),
        sa.CheckConstraint("cash_counted_paise >= 0", name="cash_not_negative"),
        sa.Index("ix_meetings_group_held_on", "group_id", "held_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(sa.ForeignKey("self_help_groups.id"))
    held_on: Mapped[date]
    client_key: Mapped[str] = mapped_column(sa.String(40))
    cash_counted_paise: Mapped[int] = mapped_column(sa.BigInteger)
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    rows: Mapped[list[MeetingRow]] = relationship(back_populates="meeting", order_by="MeetingRow.id")

    @property
    def total_paise(self) -> int:
        return sum(row.total_paise for row in self.rows)


class MeetingRow(Base):
    """One member at one meeting: present or not, and what she paid (saving, loan instalment, fine)."""

    __tablename__ = "meeting_rows"
    __table_args__ = (
        sa.UniqueConstraint("meeting_id", "member_id"),
        sa.UniqueConstraint("client_key"),
        sa.CheckConstraint("saving_paise >= 0 AND repaid_paise >= 0 AND fine_paise >= 0", name="amounts_sane"),
        sa.CheckConstraint("repaid_paise = 0 OR loan_id IS NOT NULL", name="repayment_names_loan"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(sa.ForeignKey("meetings.id"))
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("members.id"), index=True)
    client_key: Mapped[str] = mapped_column(sa.String(60))
    present: Mapped[bool]
    saving_paise: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    loan_id: Mapped[int | None] = mapped_column(sa.ForeignKey("loans.id"))
    repaid_paise: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    fine_paise: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    entry_id: Mapped[int | None] = mapped_column(sa.ForeignKey("ledger_entries.id"))

    meeting: Mapped[Meeting] = relationship(back_populates="rows")
    member: Mapped[Member] = relationship()

    @property
    def total_paise(self) -> int:
        return self.saving_paise + self.repaid_paise + self.fine_paise


class FundLoan(Base):
    """An internal loan given from the group's fund: the member's `Loan` (its terms and schedule, the same loan
    maths as every loan) and the entry that paid it out of the cash in hand."""

    __tablename__ = "fund_loans"

    loan_id: Mapped[int] = mapped_column(sa.ForeignKey("loans.id"), primary_key=True)
    group_id: Mapped[int] = mapped_column(sa.ForeignKey("self_help_groups.id"), index=True)
    entry_id: Mapped[int] = mapped_column(sa.ForeignKey("ledger_entries.id"))
    given_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))


class FundEntry(Base):
    """Why a fund entry other than a meeting's row was made, and by whom: a bank deposit or withdrawal, or a
    correction (always with its reason; the entry corrected is never changed)."""

    __tablename__ = "fund_entries"
    __table_args__ = (
        sa.CheckConstraint("kind IN ('deposit', 'withdrawal', 'correction', 'opening')", name="kind_known"),
        sa.CheckConstraint("kind <> 'correction' OR reason <> ''", name="correction_has_reason"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(sa.ForeignKey("self_help_groups.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(12))
    reason: Mapped[str] = mapped_column(sa.String(200), default="")
    entry_id: Mapped[int] = mapped_column(sa.ForeignKey("ledger_entries.id"))
    corrects_row_id: Mapped[int | None] = mapped_column(sa.ForeignKey("meeting_rows.id"), index=True)
    # A correction's change to the row's figures (signed paise): the row stands at what it recorded plus these.
    saving_change_paise: Mapped[int] = mapped_column(sa.BigInteger, default=0, server_default="0")
    repaid_change_paise: Mapped[int] = mapped_column(sa.BigInteger, default=0, server_default="0")
    fine_change_paise: Mapped[int] = mapped_column(sa.BigInteger, default=0, server_default="0")
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
