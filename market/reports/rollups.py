"""Monthly rollups for the programme dashboards, kept current with the ledger.

Each sale that reaches the ledger (an online payment, cash on delivery, a stall sale, a refund) adds, in the
same transaction, to one row per business and month (`sales_months`), to one row per owner and month
(`member_months`, for the Rs 10,000 earners) and to one row per SHG and per community organisation and month
(`area_months`). Savings posted to a member's savings account add to her month and to the same area rows.
So a state page sums its ~20 organisations' rows and the programme page ~100 of them, whether the programme
has 5,000 orders or 5,000,000. Category rows (for "top categories") sit beside a total row (category_id
TOTAL) that carries the month's income, number of sales, active sellers, Rs 10,000 earners and savings.

Members are counted the same way (`area_members`): per SHG and per organisation, by the month of their latest sale,
whether an instalment is late and whether their group saves monthly. A flush that adds a member, moves one or
changes those marks her SHG; just before the commit its rows are counted again from its ~15 members and the
difference goes to its organisation's rows. So the programme and state pages count members, members who save and
members to visit from a few hundred organisation rows, never from the 200,000 members.

Counts that depend on a threshold (active sellers: income above 0; earners: Rs 10,000; saved in full: the
group's monthly saving) change when a row crosses it: each upsert returns the row's new value, and the old
one is the new minus what was added.
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column

from catalog.models import Variant
from market.core import events
from market.core.clock import INDIA, month_of, month_of_day
from market.core.db import Base
from market.core.ledger import EntryKind
from orders.models import Order, order_parts
from payments import services as payment_services
from payments.models import CashSale, Payment, Refund
from payments.status import MONEY_TAKEN
from vendors import finance
from vendors.groupfund.models import FundLoan, Meeting
from vendors.groupfund.services import CORRECTION_MEMO, SALE_SHARES
from vendors.hierarchy import group_at
from vendors.models import Loan, Member, Membership, Organisation, SelfHelpGroup

TOTAL = -1  # the row with the business's whole month
OTHER = events.OTHER_CATEGORY  # sold, but not a listed product (a stall sale of something else)
LAKHPATI_PAISE = 10_000_00  # Rs 10,000 a month: the "Lakhpati Didi" threshold (Rs 1 lakh a year)
GROUP, ORGANISATION = "g", "o"  # the levels of area_months and area_members
NEVER = date(1900, 1, 1)  # area_members.sold_in of members who never sold


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
    # The SHG the sales counted in: a shop that moved with its owner mid-month has a row for each group.
    group_id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int]
    state_code: Mapped[str] = mapped_column(sa.String(2))
    income_paise: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    sales: Mapped[int] = mapped_column(default=0)


class MemberMonth(Base):
    """One member's month: what her own shop earned (shops she owns alone) and what she saved."""

    __tablename__ = "member_months"

    month: Mapped[date] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(primary_key=True)
    income_paise: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    saved_paise: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    # Of saved_paise: paid at her group's meeting (and its corrections), and her plan's shares of sales.
    field_saved_paise: Mapped[int] = mapped_column(sa.BigInteger, default=0, server_default="0")
    sales_saved_paise: Mapped[int] = mapped_column(sa.BigInteger, default=0, server_default="0")


class AreaMonth(Base):
    """An SHG's (level GROUP) or a community organisation's (level ORGANISATION) month."""

    __tablename__ = "area_months"
    __table_args__ = (
        sa.Index("ix_area_months_state", "level", "state_code", "category_id", "month"),
        sa.Index("ix_area_months_organisation", "level", "organisation_id", "category_id", "month"),
        # The SHG page: its own rows (the primary key starts with the month, of no use for one unit).
        sa.Index("ix_area_months_unit", "level", "unit_id", "category_id", "month"),
    )

    month: Mapped[date] = mapped_column(primary_key=True)
    level: Mapped[str] = mapped_column(sa.String(1), primary_key=True)
    unit_id: Mapped[int] = mapped_column(primary_key=True)  # the group's or the organisation's id
    category_id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int]
    state_code: Mapped[str] = mapped_column(sa.String(2))
    income_paise: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    sales: Mapped[int] = mapped_column(default=0)
    active_sellers: Mapped[int] = mapped_column(default=0)  # businesses with income above 0 (TOTAL rows)
    lakhpati: Mapped[int] = mapped_column(default=0)  # members whose own shop earned Rs 10,000+ (TOTAL rows)
    saved_paise: Mapped[int] = mapped_column(sa.BigInteger, default=0)  # savings posted (TOTAL rows)
    saved_in_full: Mapped[int] = mapped_column(default=0)  # members who saved the group's amount (TOTAL rows)
    # The groups' own books (TOTAL rows), fed by vendors.groupfund's events: meetings held, groups with a meeting
    # this month, member rows recorded at them and those marked present; savings paid at meetings and from sales.
    meetings: Mapped[int] = mapped_column(default=0, server_default="0")
    groups_met: Mapped[int] = mapped_column(default=0, server_default="0")
    attendance_rows: Mapped[int] = mapped_column(default=0, server_default="0")
    present: Mapped[int] = mapped_column(default=0, server_default="0")
    field_saved_paise: Mapped[int] = mapped_column(sa.BigInteger, default=0, server_default="0")
    sales_saved_paise: Mapped[int] = mapped_column(sa.BigInteger, default=0, server_default="0")


class GroupMeetings(Base):
    """A group that records its meetings on Haat: the month of its first meeting (from then on it is expected to
    meet every month) and the day of its latest (stopped when that is long ago)."""

    __tablename__ = "group_meetings"
    __table_args__ = (sa.Index("ix_group_meetings_organisation", "organisation_id"),
                      sa.Index("ix_group_meetings_state", "state_code"))

    group_id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int]
    state_code: Mapped[str] = mapped_column(sa.String(2))
    first_month: Mapped[date]
    last_held_on: Mapped[date]


class InternalLoanStatus(Base):
    """An internal loan from a group's fund, for the portfolio at risk: its principal still owed and the due date
    of its first instalment not fully paid. It is more than 30 days late on any day more than 30 days after that
    date, so days passing need no refresh; each movement of its money (an event) writes the row again."""

    __tablename__ = "internal_loans"
    __table_args__ = (sa.Index("ix_internal_loans_organisation", "organisation_id"),
                      sa.Index("ix_internal_loans_state", "state_code"),
                      sa.Index("ix_internal_loans_group", "group_id"))

    loan_id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int]
    organisation_id: Mapped[int]
    state_code: Mapped[str] = mapped_column(sa.String(2))
    outstanding_paise: Mapped[int] = mapped_column(sa.BigInteger)
    unpaid_since: Mapped[date | None]  # the due date of the first instalment not fully paid; None: repaid


class AreaMember(Base):
    """How many members of an SHG (level GROUP) or a community organisation (level ORGANISATION) have their latest
    sale in a month (NEVER: none), an instalment late or not, and a group that saves monthly or not."""

    __tablename__ = "area_members"

    level: Mapped[str] = mapped_column(sa.String(1), primary_key=True)
    unit_id: Mapped[int] = mapped_column(primary_key=True)  # the group's or the organisation's id
    sold_in: Mapped[date] = mapped_column(primary_key=True)  # first day of the month of her latest sale, or NEVER
    late: Mapped[bool] = mapped_column(primary_key=True)  # an instalment of hers is late
    saving: Mapped[bool] = mapped_column(primary_key=True)  # her group has a monthly saving
    organisation_id: Mapped[int]
    state_code: Mapped[str] = mapped_column(sa.String(2))
    members: Mapped[int] = mapped_column(default=0)


def _bump(session: Session, model, keys: dict, fixed: dict, **added: int) -> int:
    """Add to a rollup row, creating it if missing; returns the first added column's new value."""
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    statement = insert(model).values(**keys, **fixed, **added)
    statement = statement.on_conflict_do_update(
        index_elements=list(keys),
        set_={name: getattr(model, name) + getattr(statement.excluded, name) for name in added})
    first = next(iter(added))
    return session.execute(statement.returning(getattr(model, first))).scalar_one()


def _crossed(after: int, added: int, threshold: int) -> int:
    """+1 when adding `added` took a value from below the threshold to at or above it, -1 the other way."""
    return (after >= threshold) - (after - added >= threshold)


def _places(group) -> dict:
    return {"organisation_id": group.organisation_id, "state_code": group.organisation.state_code}


def _areas(session: Session, group, month: date, category_id: int, **added: int) -> None:
    """Count toward the SHG's and the organisation's rows: gathered in the session and written, sorted, just
    before the commit (`apply`). Every sale of an organisation adds to its one row per month; written in key
    order at the end, two transactions never wait for each other's rows in opposite orders."""
    pending = session.info.setdefault("area_months", {})
    for level, unit in ((GROUP, group.id), (ORGANISATION, group.organisation_id)):
        key = (month, level, unit, category_id)
        places, counts = pending.setdefault(key, (_places(group), {}))
        for name, value in added.items():
            counts[name] = counts.get(name, 0) + value


def apply(session: Session) -> None:
    """Write the SHG and organisation counts gathered in this transaction, in key order: members first (their
    SHGs locked in id order), then the monthly rows, then the internal loans whose money moved."""
    _count_members(session)
    pending = session.info.pop("area_months", None)
    for (month, level, unit, category_id), (places, counts) in sorted((pending or {}).items()):
        if any(counts.values()):
            _bump(session, AreaMonth, {"month": month, "level": level, "unit_id": unit, "category_id": category_id},
                  places, **counts)
    moved = session.info.pop("internal_loans", None)
    if moved:
        internal_loans(session, sorted(moved))


@sa.event.listens_for(Session, "before_commit")
def _before_commit(session: Session) -> None:
    apply(session)


@sa.event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop("area_months", None)  # what was gathered went with the transaction
    session.info.pop("internal_loans", None)
    session.info.pop("area_members", None)


def members_changed(session: Session, group_ids) -> None:
    """Count the members of these SHGs again before the commit."""
    session.info.setdefault("area_members", set()).update(g for g in group_ids if g is not None)


@sa.event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _context) -> None:
    """A member added, moved, or whose latest sale or lateness changed; a group whose monthly saving changed."""
    marked: set[int] = set()
    for thing in session.new:
        if isinstance(thing, Member):
            marked.add(thing.group_id)
    for thing in session.dirty:
        if isinstance(thing, Member):
            state = sa.inspect(thing)
            moved = state.attrs.group_id.history
            if moved.has_changes():
                marked.update([*moved.added, *moved.deleted])
            elif state.attrs.late_days.history.has_changes() or state.attrs.last_sold_in.history.has_changes():
                marked.add(thing.group_id)
        elif isinstance(thing, SelfHelpGroup) and sa.inspect(thing).attrs.monthly_saving_paise.history.has_changes():
            marked.add(thing.id)
    if marked:
        members_changed(session, marked)


def _member_rows(session: Session, where) -> sa.Select:
    """(group, sold_in, late, saving, organisation, state, members) counted from the members table."""
    sold = sa.func.coalesce(Member.last_sold_in, NEVER)
    late = Member.late_days > 0
    saving = SelfHelpGroup.monthly_saving_paise > 0
    return (sa.select(Member.group_id, sold, late, saving, SelfHelpGroup.organisation_id, Organisation.state_code,
                      sa.func.count())
            .join(SelfHelpGroup, SelfHelpGroup.id == Member.group_id)
            .join(Organisation, Organisation.id == SelfHelpGroup.organisation_id)
            .where(*where).group_by(Member.group_id, sold, late, saving, SelfHelpGroup.organisation_id,
                                    Organisation.state_code))


def _count_members(session: Session) -> None:
    """The marked SHGs' rows counted again from their members; the difference added to their organisations'."""
    session.flush()  # changes not yet flushed mark their SHGs now (before_commit runs before the last flush)
    marked = sorted(session.info.pop("area_members", None) or ())
    if not marked:
        return
    for start in range(0, len(marked), 1000):
        groups = marked[start:start + 1000]
        # Locked first, in id order: two transactions counting one SHG count one after the other (NO KEY UPDATE:
        # a transaction that added a member to it, holding its key-share lock, is not in the way).
        session.execute(sa.select(SelfHelpGroup.id).where(SelfHelpGroup.id.in_(groups))
                        .order_by(SelfHelpGroup.id).with_for_update(key_share=True))
        change: dict[tuple, int] = {}
        places: dict[int, tuple[int, str]] = {}
        for row in session.execute(sa.select(
                AreaMember.unit_id, AreaMember.sold_in, AreaMember.late, AreaMember.saving,
                AreaMember.organisation_id, AreaMember.state_code, AreaMember.members)
                .where(AreaMember.level == GROUP, AreaMember.unit_id.in_(groups))):
            key = (int(row[0]), row[1], bool(row[2]), bool(row[3]))
            change[key] = change.get(key, 0) - int(row[6])
            places[int(row[0])] = (int(row[4]), row[5])
        for row in session.execute(_member_rows(session, [Member.group_id.in_(groups)])):
            key = (int(row[0]), row[1], bool(row[2]), bool(row[3]))
            change[key] = change.get(key, 0) + int(row[6])
            places[int(row[0])] = (int(row[4]), row[5])
        by_organisation: dict[tuple, int] = {}
        for (group, sold, late, saving), n in sorted(change.items()):
            if n:
                organisation, state = places[group]
                _bump(session, AreaMember, {"level": GROUP, "unit_id": group, "sold_in": sold, "late": late,
                                            "saving": saving},
                      {"organisation_id": organisation, "state_code": state}, members=n)
                place = (organisation, state, sold, late, saving)
                by_organisation[place] = by_organisation.get(place, 0) + n
        for (organisation, state, sold, late, saving), n in sorted(by_organisation.items()):
            if n:
                _bump(session, AreaMember, {"level": ORGANISATION, "unit_id": organisation, "sold_in": sold,
                                            "late": late, "saving": saving},
                      {"organisation_id": organisation, "state_code": state}, members=n)
    session.execute(sa.delete(AreaMember).where(AreaMember.members == 0))


def count_all_members(session: Session) -> None:
    """Every SHG's and organisation's member rows counted from the members (derive, the large seed)."""
    session.info.pop("area_members", None)
    session.execute(sa.delete(AreaMember))
    columns = [AreaMember.unit_id, AreaMember.sold_in, AreaMember.late, AreaMember.saving,
               AreaMember.organisation_id, AreaMember.state_code, AreaMember.members]
    session.execute(sa.insert(AreaMember).from_select(
        [*(c.key for c in columns), "level"],
        _member_rows(session, []).add_columns(sa.literal(GROUP))))
    session.execute(sa.insert(AreaMember).from_select(
        [*(c.key for c in columns), "level"],
        sa.select(AreaMember.organisation_id, AreaMember.sold_in, AreaMember.late, AreaMember.saving,
                  AreaMember.organisation_id, AreaMember.state_code, sa.func.sum(AreaMember.members),
                  sa.literal(ORGANISATION))
        .where(AreaMember.level == GROUP)
        .group_by(AreaMember.organisation_id, AreaMember.sold_in, AreaMember.late, AreaMember.saving,
                  AreaMember.state_code)))


def add(session: Session, business, parts: list[tuple[int, int]], sales: int, when: datetime | None = None,
        group=None) -> None:
    """Count income for a business this month: `parts` are (category id or OTHER, paise; negative for a refund),
    `sales` how many sales it was (1 for a sale, 0 for a refund); `group`: the SHG it counts in, when not the
    shop's group now (a rebuild, for a member who moved since)."""
    totals: dict[int, int] = {}
    for category_id, paise in parts:
        totals[category_id] = totals.get(category_id, 0) + paise
    total = sum(totals.values())
    month, group = month_of(when), group or business.group
    fixed = _places(group)
    row = {"month": month, "business_id": business.id, "group_id": group.id}
    after = _bump(session, SalesMonth, {**row, "category_id": TOTAL}, fixed, income_paise=total, sales=sales)
    for category_id, paise in sorted(totals.items()):
        _bump(session, SalesMonth, {**row, "category_id": category_id}, fixed, income_paise=paise, sales=sales)
    owners = [member.id for member in business.owners]
    lakhpati = 0
    if len(owners) == 1:  # a group's shop counts for no one member
        earned = _bump(session, MemberMonth, {"month": month, "member_id": owners[0]}, {}, income_paise=total)
        lakhpati = _crossed(earned, total, LAKHPATI_PAISE)
    if sales and owners:
        later = session.execute(sa.update(Member).where(Member.id.in_(owners), sa.or_(
            Member.last_sold_in.is_(None), Member.last_sold_in < month)).values(last_sold_in=month))
        if later.rowcount:  # type: ignore[attr-defined]  # a CursorResult
            members_changed(session, [member.group_id for member in business.owners])
    _areas(session, group, month, TOTAL, income_paise=total, sales=sales,
           active_sellers=_crossed(after, total, 1), lakhpati=lakhpati)
    for category_id, paise in sorted(totals.items()):
        _areas(session, group, month, category_id, income_paise=paise, sales=sales)


FIELD, SALES = "field", "sales"  # where savings came from: paid at a group's meeting, or her plan's share of a sale


def saved(session: Session, member_id: int, paise: int, when: datetime | None = None, source: str = "") -> None:
    """Count money put into a member's savings (negative when taken back), in the ledger's transaction;
    `source` FIELD or SALES when it came from a meeting or a sale."""
    month, group = month_of(when), session.get_one(Member, member_id).group
    split = {f"{source}_saved_paise": paise} if source in (FIELD, SALES) else {}
    after = _bump(session, MemberMonth, {"month": month, "member_id": member_id}, {}, saved_paise=paise, **split)
    due = group.monthly_saving_paise
    _areas(session, group, month, TOTAL, saved_paise=paise,
           saved_in_full=_crossed(after, paise, due) if due > 0 else 0, **split)


def savings_source(kind: str, memo: str) -> str:
    """FIELD for a meeting's entry or its correction, SALES for her plan's share of a sale (or its reversal)."""
    if kind == EntryKind.MEETING or (kind == EntryKind.CORRECTION and memo.startswith(CORRECTION_MEMO)):
        return FIELD
    if kind == EntryKind.ALLOCATION and memo in SALE_SHARES:
        return SALES
    return ""


@events.ledger_posted.connect
def _savings_posted(session: Session, entry, lines: dict[str, int], **_about) -> None:
    """Money credited to a member's savings account is money she saved (a debit: taken back). Money reaching a
    loan's account may repay an internal loan: its standing is written again before the commit."""
    for code, amount in lines.items():
        if code.startswith("member:") and code.endswith(":savings"):
            saved(session, int(code.split(":")[1]), -amount, entry.at, savings_source(entry.kind, entry.memo))
        elif code.startswith("member:") and ":loan:" in code:
            session.info.setdefault("internal_loans", set()).add(int(code.rsplit(":", 1)[1]))


# -- the groups' meetings and internal loans (vendors.groupfund) ---------------------------------------------------

@events.meeting_recorded.connect
def _meeting_recorded(session: Session, meeting) -> None:
    """A meeting: one more for its group's month (and the first that month makes the group one that met), its
    rows and those present; the group's first and latest meeting."""
    group = session.get_one(SelfHelpGroup, meeting.group_id)
    month = month_of_day(meeting.held_on)
    that_month = session.scalar(sa.select(sa.func.count()).select_from(Meeting).where(
        Meeting.group_id == group.id, Meeting.held_on >= month, Meeting.held_on < _month_after(month)))
    _areas(session, group, month, TOTAL, meetings=1, groups_met=1 if that_month == 1 else 0,
           attendance_rows=len(meeting.rows), present=sum(1 for row in meeting.rows if row.present))
    kept = session.get(GroupMeetings, group.id)
    if kept is None:
        session.add(GroupMeetings(group_id=group.id, first_month=month, last_held_on=meeting.held_on,
                                  **_places(group)))
    else:
        kept.first_month, kept.last_held_on = min(kept.first_month, month), max(kept.last_held_on, meeting.held_on)
        kept.organisation_id, kept.state_code = group.organisation_id, group.organisation.state_code
    session.flush()


@events.fund_loan_moved.connect
def _fund_loan_moved(session: Session, loan, group_id: int) -> None:
    session.info.setdefault("internal_loans", set()).add(loan.id)


def _month_after(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def internal_loans(session: Session, loan_ids: list[int]) -> None:
    """Write the standing of these loans that are internal loans of a group's fund (others are left alone)."""
    for fund_loan in session.scalars(sa.select(FundLoan).where(FundLoan.loan_id.in_(loan_ids))
                                     .order_by(FundLoan.loan_id)):
        loan = session.get_one(Loan, fund_loan.loan_id)
        position = finance.loan_state(session, loan).position
        group = session.get_one(SelfHelpGroup, fund_loan.group_id)
        values = {"group_id": group.id, **_places(group), "outstanding_paise": position.outstanding_principal_paise,
                  "unpaid_since": position.next_due.due if position.next_due and not position.closed else None}
        row = session.get(InternalLoanStatus, loan.id)
        if row is None:
            session.add(InternalLoanStatus(loan_id=loan.id, **values))
        else:
            for name, value in values.items():
                setattr(row, name, value)
    session.flush()


@events.sale_recorded.connect
def _sale_recorded(session: Session, business, parts: list[tuple[int, int]], sales: int = 1, at=None) -> None:
    add(session, business, parts, sales, at)


@events.sale_refunded.connect
def _sale_refunded(session: Session, business, parts: list[tuple[int, int]], at=None) -> None:
    add(session, business, [(category, -paise) for category, paise in parts], 0, at)


def saving_changed(session: Session, group) -> None:
    """The group's monthly saving changed: recount, for every month, its members who saved it in full (judged
    by the new amount, as `derive` does)."""
    apply(session)
    due = group.monthly_saving_paise
    in_full = sa.func.count().filter(MemberMonth.saved_paise >= due) if due > 0 else sa.literal(0)
    counted = dict(session.execute(
        sa.select(MemberMonth.month, in_full).join(Member, Member.id == MemberMonth.member_id)
        .where(Member.group_id == group.id).group_by(MemberMonth.month)).all())
    kept = dict(session.execute(
        sa.select(AreaMonth.month, AreaMonth.saved_in_full)
        .where(AreaMonth.level == GROUP, AreaMonth.unit_id == group.id, AreaMonth.category_id == TOTAL)).all())
    for month in sorted(set(counted) | set(kept)):
        change = int(counted.get(month, 0)) - int(kept.get(month, 0))
        if change:
            _areas(session, group, month, TOTAL, saved_in_full=change)


def group_then(session: Session, business, when: datetime | None):
    """The SHG a shop's sale at that moment counted in: a shop only one member owns went with her when she moved
    (her memberships say where she was); any other shop stays with its group."""
    if when is None or business.kind != "individual" or len(business.owners) != 1:
        return business.group
    then = group_at(session, business.owners[0].id, when)
    return session.get_one(SelfHelpGroup, then) if then is not None else business.group


def rebuild(session: Session) -> int:
    """Recount every month's sales from the payments, cash sales and refunds (for an installation upgraded
    from before the rollups, or a check that they match). Online earnings use today's platform fee."""
    session.execute(sa.delete(SalesMonth))
    count = 0
    for payment in session.scalars(sa.select(Payment).where(Payment.status.in_(list(MONEY_TAKEN)))
                                   .order_by(Payment.id)):
        orders = [payment.order] if payment.order_id else payment.checkout.orders
        for order in orders:
            earned = order.subtotal_paise if not payment.is_online else payment_services.goods_earned(order)
            add(session, order.business, order_parts(order, earned), 1, payment.captured_at,
                group_then(session, order.business, payment.captured_at))
            count += 1
    for sale in session.scalars(sa.select(CashSale).order_by(CashSale.id)):
        variant = session.get(Variant, sale.variant_id) if sale.variant_id else None
        add(session, sale.business, [(variant.product.category_id if variant else OTHER, sale.amount_paise)], 1,
            sale.sold_on, group_then(session, sale.business, sale.sold_on))
        count += 1
    before: dict[int, int] = {}  # paise of each order refunded by the refunds counted so far, in their order
    for refund in session.scalars(sa.select(Refund).where(Refund.status == "processed", Refund.order_id.isnot(None))
                                  .order_by(Refund.processed_at, Refund.id)):
        order = session.get_one(Order, refund.order_id)
        kept = payment_services.delivery_given_back(order, refund.amount_paise, before.get(order.id, 0))
        if refund.payment.gateway != "cash":
            kept += payment_services.fee_given_back(order, refund.amount_paise, before.get(order.id, 0))
        before[order.id] = before.get(order.id, 0) + refund.amount_paise
        lost = refund.amount_paise - kept
        add(session, order.business, order_parts(order, -lost), 0, refund.processed_at,
            group_then(session, order.business, refund.processed_at))
    derive(session)
    return count


def _month_sql(session: Session, column: str) -> str:
    if session.get_bind().dialect.name == "postgresql":
        return f"date_trunc('month', {column} AT TIME ZONE '{INDIA.key}')::date"
    return f"date({column}, '+330 minutes', 'start of month')"


def _day_month_sql(session: Session, column: str) -> str:
    """SQL: the first day of a date's month."""
    if session.get_bind().dialect.name == "postgresql":
        return f"CAST(date_trunc('month', {column}) AS date)"
    return f"date({column}, 'start of month')"


def _next_month_sql(session: Session, column: str) -> str:
    if session.get_bind().dialect.name == "postgresql":
        return f"CAST({column} + interval '1 month' AS date)"
    return f"date({column}, '+1 month')"


def derive(session: Session) -> None:
    """Count member_months, area_months, each member's last month with a sale and her most overdue instalment
    from sales_months, the savings in the ledger and loan_status, in SQL: for the large demo (no ledger to
    replay), the migration that added them, and `dashboards rebuild`, whose test checks that this equals what
    the sales and savings kept one by one."""
    run = session.execute
    session.info.pop("area_months", None)  # counted again below, from what the rows say
    run(sa.delete(MemberMonth))
    run(sa.delete(AreaMonth))
    # S608 below: the SQL is built from this module's constants, never from input.
    run(sa.text(
        "INSERT INTO member_months (month, member_id, income_paise, saved_paise) "  # noqa: S608
        "SELECT s.month, o.member_id, sum(s.income_paise), 0 FROM sales_months s JOIN "
        "(SELECT business_id, min(member_id) AS member_id FROM business_members GROUP BY business_id "
        " HAVING count(*) = 1) o ON o.business_id = s.business_id "
        f"WHERE s.category_id = {TOTAL} GROUP BY s.month, o.member_id"))
    month = _month_sql(session, "e.at")
    # The migrations before the meeting figures run this too: without their columns, the savings are not split.
    split = sa.inspect(session.connection()).has_table("group_meetings")
    field = f"e.kind = '{EntryKind.MEETING}' OR (e.kind = '{EntryKind.CORRECTION}' AND e.memo LIKE :correction)"
    sales = f"e.kind = '{EntryKind.ALLOCATION}' AND e.memo IN :sale_shares"
    savings = "member:%:savings"
    if split:
        run(sa.text(
            "INSERT INTO member_months (month, member_id, income_paise, saved_paise, field_saved_paise, "  # noqa: S608
            f"sales_saved_paise) SELECT {month}, a.member_id, 0, -sum(p.amount_paise), "
            f"-sum(CASE WHEN {field} THEN p.amount_paise ELSE 0 END), "
            f"-sum(CASE WHEN {sales} THEN p.amount_paise ELSE 0 END) FROM ledger_postings p "
            "JOIN ledger_accounts a ON a.id = p.account_id JOIN ledger_entries e ON e.id = p.entry_id "
            f"WHERE a.code LIKE :savings GROUP BY {month}, a.member_id "
            "ON CONFLICT (month, member_id) DO UPDATE SET saved_paise = excluded.saved_paise, "
            "field_saved_paise = excluded.field_saved_paise, sales_saved_paise = excluded.sales_saved_paise")
            .bindparams(sa.bindparam("sale_shares", expanding=True)),
            {"savings": savings, "correction": f"{CORRECTION_MEMO} %", "sale_shares": list(SALE_SHARES)})
    else:
        run(sa.text(
            "INSERT INTO member_months (month, member_id, income_paise, saved_paise) "  # noqa: S608
            f"SELECT {month}, a.member_id, 0, -sum(p.amount_paise) FROM ledger_postings p "
            "JOIN ledger_accounts a ON a.id = p.account_id JOIN ledger_entries e ON e.id = p.entry_id "
            f"WHERE a.code LIKE :savings GROUP BY {month}, a.member_id "
            "ON CONFLICT (month, member_id) DO UPDATE SET saved_paise = excluded.saved_paise"), {"savings": savings})
    # Set-based (UPDATE ... FROM one grouped pass), not a subquery per member: 200,000 members in seconds.
    run(sa.text("UPDATE members SET last_sold_in = NULL WHERE last_sold_in IS NOT NULL"))
    run(sa.text(
        "UPDATE members SET last_sold_in = x.last FROM (SELECT b.member_id, max(s.month) AS last "  # noqa: S608
        "FROM sales_months s JOIN business_members b ON b.business_id = s.business_id "
        f"WHERE s.category_id = {TOTAL} AND s.sales > 0 GROUP BY b.member_id) x WHERE x.member_id = members.id"))
    run(sa.text("UPDATE members SET late_days = 0 WHERE late_days <> 0"))
    run(sa.text("UPDATE members SET late_days = x.late FROM (SELECT member_id, max(overdue_days) AS late "
                "FROM loan_status GROUP BY member_id) x WHERE x.member_id = members.id"))
    # A member who moved counts, for each month, in the group she was in at its end (her memberships); without any
    # move written, simply in her group.
    group_of = "m.group_id"
    if sa.inspect(session.connection()).has_table("memberships") and session.scalar(  # older migrations run this too
            sa.select(sa.exists().where(Membership.id.isnot(None)))):
        group_of = ("COALESCE((SELECT ms.group_id FROM memberships ms WHERE ms.member_id = m.id AND ms.from_at < "  # noqa: S608
                    f"{_next_month_sql(session, 'mm.month')} ORDER BY ms.from_at DESC, ms.id DESC LIMIT 1), "
                    "m.group_id)")
    places = (f"JOIN self_help_groups g ON g.id = {group_of} JOIN organisations o ON o.id = g.organisation_id "
              "GROUP BY mm.month, {unit}, g.organisation_id, o.state_code")
    for level, unit, sales_unit in ((GROUP, "g.id", "group_id"), (ORGANISATION, "g.organisation_id",
                                                                   "organisation_id")):
        run(sa.text(
            "INSERT INTO area_months (month, level, unit_id, category_id, organisation_id, state_code, "  # noqa: S608
            "income_paise, sales, active_sellers, lakhpati, saved_paise, saved_in_full) "
            f"SELECT month, '{level}', {sales_unit}, category_id, organisation_id, state_code, sum(income_paise), "
            f"sum(sales), sum(CASE WHEN category_id = {TOTAL} AND income_paise > 0 THEN 1 ELSE 0 END), 0, 0, 0 "
            f"FROM sales_months GROUP BY month, {sales_unit}, category_id, organisation_id, state_code"))
        run(sa.text(
            "INSERT INTO area_months (month, level, unit_id, category_id, organisation_id, state_code, "  # noqa: S608
            "income_paise, sales, active_sellers, lakhpati, saved_paise, saved_in_full"
            + (", field_saved_paise, sales_saved_paise" if split else "") +
            f") SELECT mm.month, '{level}', {unit}, {TOTAL}, g.organisation_id, o.state_code, "
            f"0, 0, 0, sum(CASE WHEN mm.income_paise >= {LAKHPATI_PAISE} THEN 1 ELSE 0 END), sum(mm.saved_paise), "
            "sum(CASE WHEN g.monthly_saving_paise > 0 AND mm.saved_paise >= g.monthly_saving_paise THEN 1 "
            "ELSE 0 END)" + (", sum(mm.field_saved_paise), sum(mm.sales_saved_paise)" if split else "") +
            " FROM member_months mm JOIN members m ON m.id = mm.member_id "
            + places.format(unit=unit) +
            " ON CONFLICT (month, level, unit_id, category_id) DO UPDATE SET lakhpati = excluded.lakhpati, "
            "saved_paise = excluded.saved_paise, saved_in_full = excluded.saved_in_full"
            + (", field_saved_paise = excluded.field_saved_paise, sales_saved_paise = excluded.sales_saved_paise"
               if split else "")))
    if split:
        derive_meetings(session)
    if sa.inspect(session.connection()).has_table("area_members"):  # (older migrations run this too)
        count_all_members(session)


def derive_meetings(session: Session) -> None:
    """The meeting columns of area_months (meetings, groups that met, rows, present), group_meetings and
    internal_loans, from the meetings and the internal loans themselves."""
    run = session.execute
    run(sa.delete(GroupMeetings))
    run(sa.delete(InternalLoanStatus))
    month = _day_month_sql(session, "m.held_on")
    # One row per meeting first (its rows and those present), then per group or organisation and month.
    per_meeting = ("(SELECT m.id, m.group_id, " + month + " AS month, count(r.id) AS seats, "  # noqa: S608
                   "sum(CASE WHEN r.present THEN 1 ELSE 0 END) AS present FROM meetings m "
                   "LEFT JOIN meeting_rows r ON r.meeting_id = m.id GROUP BY m.id, m.group_id, m.held_on) x "
                   "JOIN self_help_groups g ON g.id = x.group_id JOIN organisations o ON o.id = g.organisation_id")
    for level, unit in ((GROUP, "g.id"), (ORGANISATION, "g.organisation_id")):
        run(sa.text(
            "INSERT INTO area_months (month, level, unit_id, category_id, organisation_id, state_code, "  # noqa: S608
            "income_paise, sales, active_sellers, lakhpati, saved_paise, saved_in_full, meetings, groups_met, "
            f"attendance_rows, present) SELECT x.month, '{level}', {unit}, {TOTAL}, g.organisation_id, "
            "o.state_code, 0, 0, 0, 0, 0, 0, count(*), count(DISTINCT x.group_id), sum(x.seats), "
            f"sum(x.present) FROM {per_meeting} GROUP BY x.month, {unit}, g.organisation_id, o.state_code "
            "ON CONFLICT (month, level, unit_id, category_id) DO UPDATE SET meetings = excluded.meetings, "
            "groups_met = excluded.groups_met, attendance_rows = excluded.attendance_rows, "
            "present = excluded.present"))
    run(sa.text(
        "INSERT INTO group_meetings (group_id, organisation_id, state_code, first_month, last_held_on) "  # noqa: S608
        f"SELECT m.group_id, g.organisation_id, o.state_code, min({month}), max(m.held_on) FROM meetings m "
        "JOIN self_help_groups g ON g.id = m.group_id JOIN organisations o ON o.id = g.organisation_id "
        "GROUP BY m.group_id, g.organisation_id, o.state_code"))
    internal_loans(session, list(session.scalars(sa.select(FundLoan.loan_id))))
