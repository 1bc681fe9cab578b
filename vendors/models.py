"""The programme hierarchy (programme -> community organisation -> SHG -> member) and businesses.

Only business and group *public* fields may reach buyers. A member's legal name and her
login's contact details are private; Haat stores no health or "key population" data at all.
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, WriteOnlyMapped, mapped_column, relationship

from market.core.db import Base, UTCDateTime, utcnow
from market.core.models import User


class Programme(Base):
    """A community programme (for example a state AIDS-control or anti-trafficking programme)."""

    __tablename__ = "programmes"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120), unique=True)

    organisations: Mapped[list[Organisation]] = relationship(back_populates="programme",
                                                             order_by="Organisation.name")


class ProgrammeState(Base):
    """A state the programme works in (admins add them); its organisations are chosen from these."""

    __tablename__ = "programme_states"

    programme_id: Mapped[int] = mapped_column(sa.ForeignKey("programmes.id"), primary_key=True)
    state_code: Mapped[str] = mapped_column(sa.String(2), primary_key=True)


class Organisation(Base):
    """A community organisation (CBO/collective) running SHGs in one state."""

    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(sa.ForeignKey("programmes.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(120), unique=True)
    state_code: Mapped[str] = mapped_column(sa.String(2), index=True)
    district: Mapped[str] = mapped_column(sa.String(80))
    # Collective's office: where pickups happen, never a member's home.
    pickup_address: Mapped[str] = mapped_column(sa.String(300))
    # The pickup point on the ONDC network (market.ondc.catalogue): its pincode, "lat,lon" to six decimals, and
    # the city's STD code, as the network names cities ("020" for Pune: context.city "std:020").
    pickup_pincode: Mapped[str | None] = mapped_column(sa.String(6))
    pickup_gps: Mapped[str | None] = mapped_column(sa.String(24))
    std_code: Mapped[str | None] = mapped_column(sa.String(6))

    programme: Mapped[Programme] = relationship(back_populates="organisations")
    groups: Mapped[list[SelfHelpGroup]] = relationship(back_populates="organisation",
                                                       order_by="SelfHelpGroup.name")


class SelfHelpGroup(Base):
    """A self-help group of 10-15 members."""

    __tablename__ = "self_help_groups"
    __table_args__ = (sa.UniqueConstraint("organisation_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    area: Mapped[str] = mapped_column(sa.String(120))
    formed_on: Mapped[date | None]
    # What each member saves into the group fund every month, as the group decided.
    monthly_saving_paise: Mapped[int] = mapped_column(default=0, server_default="0")
    # The group's Razorpay Route linked account (acc_...): members' savings and loan repayments from sales go here.
    payout_account: Mapped[str | None] = mapped_column(sa.String(40))
    # A closed group takes no new members; its members' shops keep working.
    closed_on: Mapped[date | None]

    organisation: Mapped[Organisation] = relationship(back_populates="groups")
    members: WriteOnlyMapped[Member] = relationship(back_populates="group")


class Member(Base):
    """A member of an SHG who sells on Haat. Everything here is private to her and her staff."""

    __tablename__ = "members"
    __table_args__ = (
        # A group's members, and (index-only) the dashboards' counts of members to visit per group.
        sa.Index("ix_members_group_visit", "group_id", "last_sold_in", "late_days"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), unique=True)
    group_id: Mapped[int] = mapped_column(sa.ForeignKey("self_help_groups.id"))
    legal_name: Mapped[str] = mapped_column(sa.String(120))
    joined_on: Mapped[date] = mapped_column(default=date.today)
    # For the dashboards' "members who need a visit", kept by market.reports.rollups and vendors.finance.refresh_status:
    last_sold_in: Mapped[date | None]  # the latest month in which one of her shops made a sale
    late_days: Mapped[int] = mapped_column(default=0, server_default="0")  # her most overdue instalment

    user: Mapped[User] = relationship()
    group: Mapped[SelfHelpGroup] = relationship(back_populates="members")
    businesses: Mapped[list[Business]] = relationship(secondary="business_members",
                                                      back_populates="owners", viewonly=True)

    def __repr__(self) -> str:
        return f"<Member {self.id}>"


class Business(Base):
    """A micro-business with a public, pseudonymous storefront; owned by a member or by her group."""

    __tablename__ = "businesses"
    __table_args__ = (
        sa.CheckConstraint("kind IN ('individual', 'group')", name="kind_known"),
        sa.CheckConstraint("NOT gst_registered OR (gstin IS NOT NULL AND gst_trade_name IS NOT NULL)",
                           name="gst_registration_complete"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(sa.ForeignKey("self_help_groups.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(12), default="individual")
    public_name: Mapped[str] = mapped_column(sa.String(80))
    slug: Mapped[str] = mapped_column(sa.String(90), unique=True)
    story: Mapped[str] = mapped_column(sa.Text, default="")
    trade: Mapped[str] = mapped_column(sa.String(40))  # garments, food, jewellery, handicrafts
    show_group: Mapped[bool] = mapped_column(default=False)  # the business chooses
    is_paused: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # GST registration, normally of the group enterprise or collective, never under a member's own PAN (the
    # public GSTIN search would show her legal name). The GSTIN and trade name are printed on invoices: the
    # business enters them knowing they are public. There is deliberately no legal-name column.
    # Set through orders.invoices.gst.set_gst_registration, which checks the GSTIN.
    gst_registered: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    gstin: Mapped[str | None] = mapped_column(sa.String(15))  # a collective may register several storefronts
    gst_trade_name: Mapped[str | None] = mapped_column(sa.String(100))
    # The Razorpay Route linked account that receives the business's earnings (acc_...); set by staff once
    # the account is verified. Without one, earnings stay payable in the ledger until paid out otherwise.
    payout_account: Mapped[str | None] = mapped_column(sa.String(40))
    # Hidden by staff or an admin (catalog.moderation.REASONS): out of every list, search, cart and checkout.
    hidden_reason: Mapped[str | None] = mapped_column(sa.String(12))

    group: Mapped[SelfHelpGroup] = relationship()
    owners: Mapped[list[Member]] = relationship(secondary="business_members",
                                                back_populates="businesses")

    @property
    def owner_users(self) -> list[User]:
        """The accounts of the members who run the shop (who hear about its orders and quotes)."""
        return [member.user for member in self.owners]


business_members = sa.Table(
    "business_members",
    Base.metadata,
    sa.Column("business_id", sa.ForeignKey("businesses.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("member_id", sa.ForeignKey("members.id", ondelete="CASCADE"), primary_key=True),
    sa.Index("ix_business_members_member_id", "member_id"),  # a member's shops, for the dashboards
)


class Membership(Base):
    """Which SHG a member belonged to, from when until when: written when staff move her to another group, so
    her past sales and savings stay counted in the group she was in (the rollups keep each row's group; a
    rebuild asks `group_at`)."""

    __tablename__ = "memberships"
    __table_args__ = (sa.Index("ix_memberships_member_id", "member_id", "from_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("members.id"))
    group_id: Mapped[int] = mapped_column(sa.ForeignKey("self_help_groups.id"))
    from_at: Mapped[datetime] = mapped_column(UTCDateTime)
    until_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # when she moved on; None: her group now
    moved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))

    group: Mapped[SelfHelpGroup] = relationship()


class StaffAssignment(Base):
    """Staff see the organisations they are assigned to, and only those."""

    __tablename__ = "staff_assignments"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id", ondelete="CASCADE"),
                                                 primary_key=True, index=True)


# -- her financial plan: loans, goals, and the share of each sale that goes to them --------------------------

class Loan(Base):
    """A loan a member carries. Its schedule and state are computed (vendors.loans) from these terms and the
    repayments posted to its ledger account; nothing about it is stored as a balance."""

    __tablename__ = "loans"
    __table_args__ = (
        sa.CheckConstraint("source IN ('shg', 'bank', 'seed', 'other')", name="source_known"),
        sa.CheckConstraint("method IN ('declining', 'flat')", name="method_known"),
        sa.CheckConstraint("principal_paise > 0 AND annual_rate_bps >= 0 AND tenure_months > 0 "
                           "AND late_fee_paise >= 0", name="terms_sane"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("members.id"), index=True)
    source: Mapped[str] = mapped_column(sa.String(8))  # SHG internal loan, bank linkage, seed fund, other
    lender: Mapped[str] = mapped_column(sa.String(120), default="")
    principal_paise: Mapped[int] = mapped_column(sa.BigInteger)
    annual_rate_bps: Mapped[int]
    method: Mapped[str] = mapped_column(sa.String(10))
    tenure_months: Mapped[int]
    start_date: Mapped[date]
    late_fee_paise: Mapped[int] = mapped_column(default=0)
    # A loan she already had when she joined: the instalments repaid before Haat (an opening balance for the
    # schedule's replay, never ledger money), and optionally the day she paid the last of them.
    paid_before_instalments: Mapped[int] = mapped_column(default=0, server_default="0")
    last_paid_before_on: Mapped[date | None]
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Goal(Base):
    """Something she saves toward: an emergency fund, school fees, stock for the festival season."""

    __tablename__ = "goals"
    __table_args__ = (
        sa.CheckConstraint("kind IN ('emergency', 'school', 'stock', 'other')", name="kind_known"),
        sa.CheckConstraint("target_paise > 0", name="target_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("members.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(10))
    title: Mapped[str] = mapped_column(sa.String(80))
    target_paise: Mapped[int] = mapped_column(sa.BigInteger)
    target_date: Mapped[date]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AllocationRule(Base):
    """What share of each settled sale goes where: her next instalment, her group savings, a goal."""

    __tablename__ = "allocation_rules"
    __table_args__ = (
        sa.CheckConstraint("target IN ('loan', 'savings', 'goal')", name="target_known"),
        sa.CheckConstraint("(percent_bps IS NULL) <> (fixed_paise IS NULL)", name="percent_or_fixed"),
        sa.CheckConstraint("percent_bps IS NULL OR (percent_bps > 0 AND percent_bps <= 10000)", name="percent_sane"),
        sa.CheckConstraint("fixed_paise IS NULL OR fixed_paise > 0", name="fixed_positive"),
        sa.CheckConstraint("(target = 'loan') = (loan_id IS NOT NULL) AND (target = 'goal') = (goal_id IS NOT NULL)",
                           name="target_named"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("members.id"), index=True)
    target: Mapped[str] = mapped_column(sa.String(8))
    loan_id: Mapped[int | None] = mapped_column(sa.ForeignKey("loans.id", ondelete="CASCADE"))
    goal_id: Mapped[int | None] = mapped_column(sa.ForeignKey("goals.id", ondelete="CASCADE"))
    percent_bps: Mapped[int | None]
    fixed_paise: Mapped[int | None]
    position: Mapped[int] = mapped_column(default=0)  # rules apply in this order


class SetupCode(Base):
    """A one-time code staff hand a new member at the meeting, to choose her own password (only its hash)."""

    __tablename__ = "setup_codes"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), primary_key=True)  # the latest code only
    code_hash: Mapped[str] = mapped_column(sa.String(255))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    made_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    tries: Mapped[int] = mapped_column(default=0)


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
