"""Programme dashboards: business income, orders, sellers, repayment and savings at programme, state,
community organisation and SHG level, each drilling down to the next. Figures come from the rollups
(market.rollups), which the ledger keeps current, so a page costs the same at 5 million orders as at 50.

Staff see only their organisations (a programme or state page sums only those); admins see all.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Session

from catalog.models import Category
from market.rollups import OTHER, TOTAL, LoanStatus, SalesMonth
from payments import ledger as books
from vendors.models import Member, Organisation, Programme, SelfHelpGroup, business_members
from vendors.states import state_name

LAKHPATI_PAISE = 10_000_00  # Rs 10,000 a month: the "Lakhpati Didi" threshold (Rs 1 lakh a year)
PAR_DAYS = 30
QUIET_MONTHS = 3  # no sale this month or the two before: at least 60 days without a sale
SMALL_GROUP = 5  # groups smaller than this are left out of aggregates shared outside the programme
LEVELS = ("programme", "state", "organisation", "group")


@dataclass(frozen=True)
class Scope:
    level: str
    key: str  # programme id, state code, organisation id, group id
    name: str
    visible: frozenset[int] | None  # organisations the viewer may see; None: all

    def sales(self) -> list[sa.ColumnElement[bool]]:
        return self._where(SalesMonth.organisation_id, SalesMonth.state_code, SalesMonth.group_id)

    def loans(self) -> list[sa.ColumnElement[bool]]:
        return self._where(LoanStatus.organisation_id, LoanStatus.state_code, LoanStatus.group_id)

    def members(self) -> list[sa.ColumnElement[bool]]:
        return self._where(SelfHelpGroup.organisation_id, Organisation.state_code, SelfHelpGroup.id)

    def _where(self, organisation, state, group) -> list[sa.ColumnElement[bool]]:
        found = [] if self.visible is None else [organisation.in_(self.visible or [-1])]
        if self.level == "programme":
            found.append(organisation.in_(sa.select(Organisation.id).where(Organisation.programme_id == int(self.key))))
        elif self.level == "state":
            found.append(state == self.key)
        elif self.level == "organisation":
            found.append(organisation == int(self.key))
        elif self.level == "group":
            found.append(group == int(self.key))
        return found


def months_back(month: date, n: int) -> date:
    year, index = divmod(month.year * 12 + month.month - 1 - n, 12)
    return date(year, index + 1, 1)


@dataclass
class Figures:
    scope: Scope
    months: list[tuple[date, int]]  # income per month, oldest first
    income_paise: int  # this month
    last_month_paise: int
    orders: int  # sales this month (online, cash on delivery, stall)
    active_sellers: int  # businesses with a sale this month
    members: int
    lakhpati: int  # members whose businesses earned >= Rs 10,000 last month
    top_categories: list[tuple[str, int]]  # last three months
    loans: int
    on_track: int
    overdue: int
    outstanding_paise: int
    par30_bps: int  # portfolio at risk: outstanding principal of loans > 30 days late / all outstanding
    saved_paise: int
    saving_members: int  # members of groups with a monthly saving
    saved_in_full: int  # of those, how many saved this month's amount
    to_visit: int  # members with no sale for 60 days or a late instalment
    rows: list[dict] = field(default_factory=list)  # the next level down


def figures(session: Session, scope: Scope, today: date) -> Figures:
    this = month_of_day(today)
    first = months_back(this, 11)
    total = [SalesMonth.category_id == TOTAL, *scope.sales()]
    by_month = dict(session.execute(sa.select(SalesMonth.month, sa.func.sum(SalesMonth.income_paise))
                                    .where(*total, SalesMonth.month >= first).group_by(SalesMonth.month)).all())
    months = [(months_back(this, n), int(by_month.get(months_back(this, n), 0))) for n in range(11, -1, -1)]
    orders, active = session.execute(
        sa.select(sa.func.coalesce(sa.func.sum(SalesMonth.sales), 0),
                  sa.func.count(sa.distinct(SalesMonth.business_id)))
        .where(*total, SalesMonth.month == this, SalesMonth.income_paise > 0)).one()
    loans = session.execute(sa.select(
        sa.func.count(), sa.func.count().filter(LoanStatus.overdue_days > 0),
        sa.func.coalesce(sa.func.sum(LoanStatus.outstanding_paise), 0),
        sa.func.coalesce(sa.func.sum(LoanStatus.outstanding_paise).filter(LoanStatus.overdue_days > PAR_DAYS), 0))
        .where(*scope.loans(), LoanStatus.outstanding_paise > 0)).one()
    outstanding, at_risk = int(loans[2]), int(loans[3])
    saving_members, saved_in_full = _saving_regularity(session, scope, this)
    return Figures(
        scope=scope, months=months, income_paise=months[-1][1], last_month_paise=months[-2][1],
        orders=int(orders), active_sellers=int(active), members=_count_members(session, scope),
        lakhpati=_lakhpati(session, scope, months_back(this, 1)),
        top_categories=_top_categories(session, scope, months_back(this, 2)),
        loans=int(loans[0]), on_track=int(loans[0]) - int(loans[1]), overdue=int(loans[1]),
        outstanding_paise=outstanding, par30_bps=at_risk * 10_000 // outstanding if outstanding else 0,
        saved_paise=_saved(session, scope), saving_members=saving_members, saved_in_full=saved_in_full,
        to_visit=count_to_visit(session, scope, today), rows=breakdown(session, scope, this))


def month_of_day(day: date) -> date:
    return day.replace(day=1)


def _in_scope(query: sa.Select, scope: Scope) -> sa.Select:
    """A query over members, kept to those in the scope (through their SHG and its organisation)."""
    return (query.join(SelfHelpGroup, Member.group_id == SelfHelpGroup.id)
            .join(Organisation, SelfHelpGroup.organisation_id == Organisation.id).where(*scope.members()))


def _members_query(scope: Scope) -> sa.Select:
    return _in_scope(sa.select(Member.id), scope)


def _count_members(session: Session, scope: Scope) -> int:
    return session.scalar(sa.select(sa.func.count()).select_from(_members_query(scope).subquery()))


def _sole_owners() -> sa.Subquery:
    """business -> member, for businesses with exactly one owner (a group's shop counts for no one member)."""
    return (sa.select(business_members.c.business_id, sa.func.min(business_members.c.member_id).label("member_id"))
            .group_by(business_members.c.business_id).having(sa.func.count() == 1).subquery())


def _lakhpati(session: Session, scope: Scope, month: date) -> int:
    owners = _sole_owners()
    earners = (sa.select(owners.c.member_id).join(SalesMonth, SalesMonth.business_id == owners.c.business_id)
               .where(SalesMonth.category_id == TOTAL, SalesMonth.month == month, *scope.sales())
               .group_by(owners.c.member_id).having(sa.func.sum(SalesMonth.income_paise) >= LAKHPATI_PAISE))
    return session.scalar(sa.select(sa.func.count()).select_from(earners.subquery()))


def _top_categories(session: Session, scope: Scope, since: date) -> list[tuple[str, int]]:
    rows = session.execute(
        sa.select(SalesMonth.category_id, sa.func.sum(SalesMonth.income_paise).label("paise"))
        .where(SalesMonth.category_id != TOTAL, SalesMonth.month >= since, *scope.sales())
        .group_by(SalesMonth.category_id).order_by(sa.desc("paise")).limit(5)).all()
    names = dict(session.execute(sa.select(Category.id, Category.name)
                                 .where(Category.id.in_([r[0] for r in rows]))).all())
    return [(names.get(category_id, "Other") if category_id != OTHER else "Other", int(paise))
            for category_id, paise in rows if paise > 0]


def _member_accounts(scope: Scope, suffix: str) -> sa.Select:
    return _in_scope(sa.select(books.LedgerAccount.id).join(Member, Member.id == books.LedgerAccount.member_id),
                     scope).where(books.LedgerAccount.code.like(f"member:%:{suffix}"))


def _saved(session: Session, scope: Scope) -> int:
    total = session.scalar(sa.select(sa.func.coalesce(sa.func.sum(books.LedgerPosting.amount_paise), 0))
                           .where(books.LedgerPosting.account_id.in_(_member_accounts(scope, "savings"))))
    return -int(total)


def _saving_regularity(session: Session, scope: Scope, month: date) -> tuple[int, int]:
    """Members whose group has a monthly saving, and how many of them saved it in full this month."""
    from vendors.finance import month_start

    saved = (sa.select(books.LedgerAccount.member_id.label("member_id"),
                       (-sa.func.sum(books.LedgerPosting.amount_paise)).label("paise"))
             .join(books.LedgerPosting.account).join(books.LedgerPosting.entry)
             .where(books.LedgerAccount.code.like("member:%:savings"), books.LedgerEntry.at >= month_start(month))
             .group_by(books.LedgerAccount.member_id).subquery())
    members, in_full = session.execute(
        _in_scope(sa.select(sa.func.count(),
                            sa.func.count().filter(saved.c.paise >= SelfHelpGroup.monthly_saving_paise))
                  .select_from(Member), scope)
        .outerjoin(saved, saved.c.member_id == Member.id).where(SelfHelpGroup.monthly_saving_paise > 0)).one()
    return int(members), int(in_full)


@dataclass(frozen=True)
class Visit:
    member: Member
    no_sales: bool
    late_days: int


def _quiet(this: date) -> sa.ColumnElement[bool]:
    """SQL: the member's shops sold nothing this month or the two before (60 days and more)."""
    return ~(sa.select(SalesMonth.business_id)
             .join(business_members, business_members.c.business_id == SalesMonth.business_id)
             .where(business_members.c.member_id == Member.id, SalesMonth.category_id == TOTAL,
                    SalesMonth.month >= months_back(this, QUIET_MONTHS - 1), SalesMonth.income_paise > 0).exists())


def _late() -> sa.ColumnElement[bool]:
    return sa.select(LoanStatus.loan_id).where(LoanStatus.member_id == Member.id, LoanStatus.overdue_days > 0).exists()


def _visit_query(scope: Scope, this: date) -> sa.Select:
    # EXISTS probes use the indexes on business_members.member_id and sales_months.business_id.
    most_late = (sa.select(sa.func.max(LoanStatus.overdue_days)).where(LoanStatus.member_id == Member.id)
                 .scalar_subquery())
    return _in_scope(sa.select(Member, _quiet(this).label("quiet"), most_late.label("late")), scope) \
        .where(sa.or_(_quiet(this), _late()))


def count_to_visit(session: Session, scope: Scope, today: date) -> int:
    return session.scalar(_in_scope(sa.select(sa.func.count(Member.id)), scope)
                          .where(sa.or_(_quiet(month_of_day(today)), _late())))


def members_to_visit(session: Session, scope: Scope, today: date) -> list[Visit]:
    """Members with no sale for 60 days (this month and the two before), or an instalment late: by name, so
    for one SHG at a time."""
    rows = session.execute(_visit_query(scope, month_of_day(today)).order_by(Member.id)).all()
    return [Visit(member, bool(quiet), int(late or 0)) for member, quiet, late in rows]


def breakdown(session: Session, scope: Scope, this: date) -> list[dict]:
    """One row per unit of the next level down: its income this month and last, sales, active sellers, size."""
    if scope.level == "group":
        return []
    unit = {"programme": SalesMonth.state_code, "state": SalesMonth.organisation_id,
            "organisation": SalesMonth.group_id}[scope.level]
    sums = {key: (int(now or 0), int(before or 0), int(sales or 0), int(active or 0))
            for key, now, before, sales, active in session.execute(sa.select(
                unit, sa.func.sum(SalesMonth.income_paise).filter(SalesMonth.month == this),
                sa.func.sum(SalesMonth.income_paise).filter(SalesMonth.month == months_back(this, 1)),
                sa.func.sum(SalesMonth.sales).filter(SalesMonth.month == this),
                sa.func.count(sa.distinct(SalesMonth.business_id)).filter(SalesMonth.month == this))
                .where(SalesMonth.category_id == TOTAL, SalesMonth.month >= months_back(this, 1), *scope.sales())
                .group_by(unit))}
    rows = []
    for key, name, members in _units(session, scope):
        now, before, sales, active = sums.get(key, (0, 0, 0, 0))
        rows.append({"key": key, "name": name, "members": members, "income_paise": now,
                     "last_month_paise": before, "sales": sales, "active_sellers": active})
    return rows


def _units(session: Session, scope: Scope) -> list[tuple]:
    """(key, name, members) of each unit one level down: states, organisations or groups."""
    key, name = {"programme": (Organisation.state_code, Organisation.state_code),
                 "state": (Organisation.id, Organisation.name),
                 "organisation": (SelfHelpGroup.id, SelfHelpGroup.name)}[scope.level]
    rows = session.execute(
        sa.select(key, name, sa.func.count(Member.id)).select_from(SelfHelpGroup)
        .join(Organisation, SelfHelpGroup.organisation_id == Organisation.id)
        .outerjoin(Member, Member.group_id == SelfHelpGroup.id)
        .where(*scope.members()).group_by(key, name).order_by(name)).all()
    if scope.level == "programme":
        return [(code, state_name(code), members) for code, _name, members in rows]
    return [tuple(row) for row in rows]


def scope_for(session: Session, level: str, key: str, visible: set[int] | None) -> Scope | None:
    """The scope named in a URL, or None if it does not exist or the viewer may not see any of it."""
    frozen = None if visible is None else frozenset(visible)
    if level == "programme":
        programme = session.get(Programme, int(key)) if key.isdigit() else None
        return Scope(level, key, programme.name, frozen) if programme else None
    if level == "state":
        organisations = session.scalars(sa.select(Organisation.id).where(Organisation.state_code == key)).all()
        if not organisations or (frozen is not None and not frozen.intersection(organisations)):
            return None
        return Scope(level, key, state_name(key), frozen)
    if level == "organisation" and key.isdigit():
        organisation = session.get(Organisation, int(key))
        if organisation and (frozen is None or organisation.id in frozen):
            return Scope(level, key, organisation.name, frozen)
    if level == "group" and key.isdigit():
        group = session.get(SelfHelpGroup, int(key))
        if group and (frozen is None or group.organisation_id in frozen):
            return Scope(level, key, group.name, frozen)
    return None


def shared(rows: list[dict], level: str) -> list[dict]:
    """Rows fit to share outside the programme: groups smaller than five are left out."""
    return [r for r in rows if level != "organisation" or r["members"] >= SMALL_GROUP]

