"""Programme dashboards: business income, orders, sellers, repayment and savings at programme, state,
community organisation and SHG level, each drilling down to the next. Figures come from the rollups
(market.reports.rollups), which the domain events keep current, so a page costs the same at 5 million orders as at 50.

Staff see only their organisations (a programme or state page sums only those); admins see all.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import InstrumentedAttribute, Session

from catalog.models import Category
from market.core.clock import month_of_day
from market.core.pagination import parse_id
from market.reports.rollups import (
    GROUP,
    ORGANISATION,
    OTHER,
    TOTAL,
    AreaMember,
    AreaMonth,
    GroupMeetings,
    InternalLoanStatus,
    apply,
)
from vendors.groupfund.services import STOPPED_AFTER
from vendors.models import LoanStatus, Member, Organisation, Programme, SelfHelpGroup
from vendors.states import state_name

PAR_DAYS = 30
QUIET_MONTHS = 3  # no sale this month or the two before: at least 60 days without a sale
SMALL_GROUP = 5  # groups smaller than this are left out of aggregates shared outside the programme
LEVELS = ("programme", "state", "organisation", "group")
MEETING_MONTHS = 6  # meeting regularity, attendance and savings: this month and the five before


@dataclass(frozen=True)
class Scope:
    level: str
    key: str  # programme id, state code, organisation id, group id
    name: str
    visible: frozenset[int] | None  # organisations the viewer may see; None: all

    def areas(self) -> list[sa.ColumnElement[bool]]:
        """The area_months rows that add up to this scope: its organisations' rows, or the SHG's own."""
        if self.level == "group":
            return [AreaMonth.level == GROUP, AreaMonth.unit_id == int(self.key), *self._visible(AreaMonth)]
        return [AreaMonth.level == ORGANISATION,
                *self._where(AreaMonth.organisation_id, AreaMonth.state_code, None)]

    def loans(self) -> list[sa.ColumnElement[bool]]:
        return self._where(LoanStatus.organisation_id, LoanStatus.state_code, LoanStatus.group_id)

    def members(self) -> list[sa.ColumnElement[bool]]:
        return self._where(SelfHelpGroup.organisation_id, Organisation.state_code, SelfHelpGroup.id)

    def _visible(self, table) -> list[sa.ColumnElement[bool]]:
        return [] if self.visible is None else [table.organisation_id.in_(self.visible or [-1])]

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


@dataclass(frozen=True)
class Meetings:
    """The groups' own books (vendors.groupfund) in a unit, over the last MEETING_MONTHS months (this one
    included), from the rollups their events keep: group_meetings, internal_loans and area_months' meeting columns.
    The counts add up: an organisation's are the sum of its groups', a state's of its organisations'."""

    groups: int = 0  # groups that record their meetings on Haat
    met_months: int = 0  # months with a meeting, over those groups
    expected_months: int = 0  # months each was expected to meet: the ended months since its first meeting, and
    #                           this month once it had one (a group meeting on the 20th is not behind on the 5th)
    stopped: int = 0  # groups with no meeting for STOPPED_AFTER (45 days)
    meetings: int = 0
    attendance_rows: int = 0  # member rows written at those meetings
    present: int = 0  # ... marked present
    field_saved_paise: int = 0  # savings paid at meetings
    sales_saved_paise: int = 0  # savings from her plan's shares of sales (online and cash)
    loans: int = 0  # internal loans from the groups' funds with principal owed
    lent_paise: int = 0  # their principal owed
    at_risk_paise: int = 0  # ... of loans with an instalment more than 30 days late

    def __add__(self, other: Meetings) -> Meetings:
        return Meetings(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(self)))

    @property
    def regularity_bps(self) -> int | None:
        return self.met_months * 10_000 // self.expected_months if self.expected_months else None

    @property
    def attendance_bps(self) -> int | None:
        return self.present * 10_000 // self.attendance_rows if self.attendance_rows else None

    @property
    def par30_bps(self) -> int | None:
        return self.at_risk_paise * 10_000 // self.lent_paise if self.lent_paise else None


def _month_index(month: date) -> int:
    return month.year * 12 + month.month


def meeting_figures(session: Session, areas: list[sa.ColumnElement[bool]], area_unit,
                    places, unit_of, today: date, sizes=None) -> dict:
    """Meetings per unit: `areas` picks the area_months rows and `area_unit` their unit; `places(table)` the
    where-clauses of group_meetings and internal_loans and `unit_of(table)` their unit; `sizes` (a subquery of
    group_id) keeps only those groups."""
    this = month_of_day(today)
    start = months_back(this, MEETING_MONTHS - 1)
    found: dict = {}

    def add(key, **counts: int) -> None:
        found[key] = found.get(key, Meetings()) + Meetings(**counts)

    area = sa.select(area_unit, sa.func.sum(AreaMonth.groups_met).filter(AreaMonth.month < this),
                     sa.func.sum(AreaMonth.groups_met).filter(AreaMonth.month == this), sa.func.sum(AreaMonth.meetings),
                     sa.func.sum(AreaMonth.attendance_rows), sa.func.sum(AreaMonth.present),
                     sa.func.sum(AreaMonth.field_saved_paise), sa.func.sum(AreaMonth.sales_saved_paise))
    if sizes is not None:
        area = area.join(sizes, sizes.c.group_id == AreaMonth.unit_id)
    for key, ended, now, held, seats, present, field_saved, sales_saved in session.execute(
            area.where(AreaMonth.category_id == TOTAL, AreaMonth.month >= start, *areas).group_by(area_unit)):
        add(key, met_months=int(ended or 0) + int(now or 0), expected_months=int(now or 0), meetings=int(held or 0),
            attendance_rows=int(seats or 0), present=int(present or 0), field_saved_paise=int(field_saved or 0),
            sales_saved_paise=int(sales_saved or 0))
    since = sa.case((GroupMeetings.first_month < start, start), else_=GroupMeetings.first_month)
    kept = sa.select(unit_of(GroupMeetings), since, sa.func.count(),
                     sa.func.count().filter(GroupMeetings.last_held_on < today - STOPPED_AFTER))
    if sizes is not None:
        kept = kept.join(sizes, sizes.c.group_id == GroupMeetings.group_id)
    for key, first, groups, stopped in session.execute(kept.where(*places(GroupMeetings))
                                                       .group_by(unit_of(GroupMeetings), since)):
        first = date.fromisoformat(first) if isinstance(first, str) else first
        ended = max(0, _month_index(this) - _month_index(first))  # months from its first (or the window's) to now
        add(key, groups=int(groups), stopped=int(stopped), expected_months=int(groups) * ended)
    loans = sa.select(unit_of(InternalLoanStatus), sa.func.count(), sa.func.sum(InternalLoanStatus.outstanding_paise),
                      sa.func.sum(InternalLoanStatus.outstanding_paise).filter(
                          InternalLoanStatus.unpaid_since < today - timedelta(days=PAR_DAYS)))
    if sizes is not None:
        loans = loans.join(sizes, sizes.c.group_id == InternalLoanStatus.group_id)
    for key, count, lent, at_risk in session.execute(
            loans.where(InternalLoanStatus.outstanding_paise > 0, *places(InternalLoanStatus))
            .group_by(unit_of(InternalLoanStatus))):
        add(key, loans=int(count), lent_paise=int(lent or 0), at_risk_paise=int(at_risk or 0))
    return found


def _meetings_by_unit(session: Session, scope: Scope, today: date) -> dict:
    """The scope's Meetings per unit one level down (at SHG level: the SHG's own, under its id)."""
    area_unit: InstrumentedAttribute[int] | InstrumentedAttribute[str]
    if scope.level in ("organisation", "group"):
        areas = [AreaMonth.level == GROUP, *scope._where(AreaMonth.organisation_id, AreaMonth.state_code,
                                                          AreaMonth.unit_id)]
        area_unit, unit_of = AreaMonth.unit_id, lambda table: table.group_id
    else:
        areas = scope.areas()
        if scope.level == "programme":
            area_unit, unit_of = AreaMonth.state_code, lambda table: table.state_code
        else:
            area_unit, unit_of = AreaMonth.unit_id, lambda table: table.organisation_id
    return meeting_figures(session, areas, area_unit,
                           lambda table: scope._where(table.organisation_id, table.state_code, table.group_id),
                           unit_of, today)


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
    meetings: Meetings = field(default_factory=lambda: Meetings())  # the groups' own books
    rows: list[dict] = field(default_factory=list)  # the next level down (each with its "meetings")


def figures(session: Session, scope: Scope, today: date) -> Figures:
    apply(session)  # counts this transaction gathered (none in a request that only reads)
    this = month_of_day(today)
    first, last = months_back(this, 11), months_back(this, 1)
    total = [AreaMonth.category_id == TOTAL, *scope.areas()]
    by_month = {month: (int(income), int(sales), int(active), int(lakhpati), int(in_full))
                for month, income, sales, active, lakhpati, in_full in session.execute(
                    sa.select(AreaMonth.month, sa.func.sum(AreaMonth.income_paise), sa.func.sum(AreaMonth.sales),
                              sa.func.sum(AreaMonth.active_sellers), sa.func.sum(AreaMonth.lakhpati),
                              sa.func.sum(AreaMonth.saved_in_full))
                    .where(*total, AreaMonth.month >= first).group_by(AreaMonth.month))}
    months = [(months_back(this, n), by_month.get(months_back(this, n), (0,))[0]) for n in range(11, -1, -1)]
    _income, orders, active, _lakhpati, saved_in_full = by_month.get(this, (0, 0, 0, 0, 0))
    loans = session.execute(sa.select(
        sa.func.count(), sa.func.count().filter(LoanStatus.overdue_days > 0),
        sa.func.coalesce(sa.func.sum(LoanStatus.outstanding_paise), 0),
        sa.func.coalesce(sa.func.sum(LoanStatus.outstanding_paise).filter(LoanStatus.overdue_days > PAR_DAYS), 0))
        .where(*scope.loans(), LoanStatus.outstanding_paise > 0)).one()
    outstanding, at_risk = int(loans[2]), int(loans[3])
    units = _units(session, scope, this) if scope.level != "group" else []
    meetings = _meetings_by_unit(session, scope, today)
    if units:  # the counts per unit below, summed: one pass over the members for both
        members, saving_members, to_visit = (sum(u[i] for u in units) for i in (2, 3, 4))
    else:
        members, saving_members, to_visit = _member_counts(session, scope, this)
    return Figures(
        scope=scope, months=months, income_paise=months[-1][1], last_month_paise=months[-2][1],
        orders=orders, active_sellers=active, members=members, lakhpati=by_month.get(last, (0, 0, 0, 0))[3],
        top_categories=_top_categories(session, scope, months_back(this, 2)),
        loans=int(loans[0]), on_track=int(loans[0]) - int(loans[1]), overdue=int(loans[1]),
        outstanding_paise=outstanding, par30_bps=at_risk * 10_000 // outstanding if outstanding else 0,
        saved_paise=int(session.execute(sa.select(sa.func.coalesce(sa.func.sum(AreaMonth.saved_paise), 0))
                                        .where(*total)).scalar_one()),
        saving_members=saving_members, saved_in_full=saved_in_full, to_visit=to_visit,
        meetings=sum(meetings.values(), Meetings()),
        rows=[{**row, "meetings": meetings.get(row["key"], Meetings())}
              for row in breakdown(session, scope, this, units)])


def _in_scope(query: sa.Select, scope: Scope) -> sa.Select:
    """A query over members, kept to those in the scope (through their SHG and its organisation)."""
    return (query.join(SelfHelpGroup, Member.group_id == SelfHelpGroup.id)
            .join(Organisation, SelfHelpGroup.organisation_id == Organisation.id).where(*scope.members()))


def _to_visit(this: date) -> sa.ColumnElement[bool]:
    """SQL: no sale this month or the two before (60 days and more), or an instalment late."""
    return sa.or_(_quiet(this), Member.late_days > 0)


def _quiet(this: date) -> sa.ColumnElement[bool]:
    return sa.or_(Member.last_sold_in.is_(None), Member.last_sold_in < months_back(this, QUIET_MONTHS - 1))


def _member_counts(session: Session, scope: Scope, this: date) -> tuple[int, int, int]:
    """Members in the scope, those whose group has a monthly saving, and those who need a visit: one pass."""
    row = session.execute(_in_scope(sa.select(
        sa.func.count(), sa.func.count().filter(SelfHelpGroup.monthly_saving_paise > 0),
        sa.func.count().filter(_to_visit(this))).select_from(Member), scope)).one()
    return int(row[0]), int(row[1]), int(row[2])


def _top_categories(session: Session, scope: Scope, since: date) -> list[tuple[str, int]]:
    rows = session.execute(
        sa.select(AreaMonth.category_id, sa.func.sum(AreaMonth.income_paise).label("paise"))
        .where(AreaMonth.category_id != TOTAL, AreaMonth.month >= since, *scope.areas())
        .group_by(AreaMonth.category_id).order_by(sa.desc("paise")).limit(5)).all()
    names = dict(session.execute(sa.select(Category.id, Category.name)
                                 .where(Category.id.in_([r[0] for r in rows]))).all())
    return [(names.get(category_id, "Other") if category_id != OTHER else "Other", int(paise))
            for category_id, paise in rows if paise > 0]


@dataclass(frozen=True)
class Visit:
    member: Member
    no_sales: bool
    late_days: int


def count_to_visit(session: Session, scope: Scope, today: date) -> int:
    return _member_counts(session, scope, month_of_day(today))[2]


def members_to_visit(session: Session, scope: Scope, today: date) -> list[Visit]:
    """Members with no sale for 60 days (this month and the two before), or an instalment late: by name, so
    for one SHG at a time."""
    this = month_of_day(today)
    rows = session.execute(_in_scope(sa.select(Member, _quiet(this)), scope).where(_to_visit(this))
                           .order_by(Member.id)).all()
    return [Visit(member, bool(quiet), member.late_days) for member, quiet in rows]


def breakdown(session: Session, scope: Scope, this: date, units: list[tuple] | None = None) -> list[dict]:
    """One row per unit of the next level down: its income this month and last, sales, active sellers, size."""
    if scope.level == "group":
        return []
    units = units if units is not None else _units(session, scope, this)
    unit: InstrumentedAttribute[int] | InstrumentedAttribute[str]
    if scope.level == "organisation":
        unit, rows = AreaMonth.unit_id, [AreaMonth.level == GROUP, AreaMonth.organisation_id == int(scope.key)]
    else:
        unit = AreaMonth.state_code if scope.level == "programme" else AreaMonth.unit_id
        rows = scope.areas()
    now, before = AreaMonth.month == this, AreaMonth.month == months_back(this, 1)
    sums = {key: (int(income or 0), int(last or 0), int(sales or 0), int(active or 0))
            for key, income, last, sales, active in session.execute(sa.select(
                unit, sa.func.sum(AreaMonth.income_paise).filter(now),
                sa.func.sum(AreaMonth.income_paise).filter(before), sa.func.sum(AreaMonth.sales).filter(now),
                sa.func.sum(AreaMonth.active_sellers).filter(now))
                .where(AreaMonth.category_id == TOTAL, AreaMonth.month >= months_back(this, 1), *rows)
                .group_by(unit))}
    found = []
    for key, name, members, _saving, _visit in units:
        income, last, sales, active = sums.get(key, (0, 0, 0, 0))
        found.append({"key": key, "name": name, "members": members, "income_paise": income,
                      "last_month_paise": last, "sales": sales, "active_sellers": active})
    return found


def _units(session: Session, scope: Scope, this: date) -> list[tuple]:
    """(key, name, members, members whose group saves monthly, members to visit) of each unit one level down:
    states, organisations or groups."""
    if scope.level == "organisation":
        return _groups(session, scope, this)
    # States or organisations: summed from the organisations' area_members rows (a few hundred), not the members.
    key, name = ((Organisation.state_code, Organisation.state_code) if scope.level == "programme"
                 else (Organisation.id, Organisation.name))
    counted = AreaMember.members
    counts = (sa.select(AreaMember.unit_id.label("organisation_id"), sa.func.sum(counted).label("members"),
                        sa.func.sum(counted).filter(AreaMember.saving.is_(True)).label("saving"),
                        sa.func.sum(counted).filter(sa.or_(AreaMember.sold_in < months_back(this, QUIET_MONTHS - 1),
                                                           AreaMember.late.is_(True))).label("to_visit"))
              .where(AreaMember.level == ORGANISATION).group_by(AreaMember.unit_id).subquery())
    rows = session.execute(
        sa.select(key, name, *(sa.func.coalesce(sa.func.sum(counts.c[c]), 0)
                               for c in ("members", "saving", "to_visit")))
        .select_from(Organisation).outerjoin(counts, counts.c.organisation_id == Organisation.id)
        .where(*scope._where(Organisation.id, Organisation.state_code, None),
               sa.exists().where(SelfHelpGroup.organisation_id == Organisation.id))  # units that have an SHG
        .group_by(key, name).order_by(name)).all()
    return [(key_, state_name(key_) if scope.level == "programme" else name_, *(int(n) for n in counts_))
            for key_, name_, *counts_ in rows]  # PostgreSQL sums are Decimal


def _groups(session: Session, scope: Scope, this: date) -> list[tuple]:
    """An organisation's SHGs with their members counted (an index-only scan of (group_id, last_sold_in,
    late_days) over the organisation's members)."""
    per_group = (sa.select(Member.group_id, sa.func.count().label("members"),
                           sa.func.count().filter(_to_visit(this)).label("to_visit"))
                 .where(Member.group_id.in_(sa.select(SelfHelpGroup.id)
                                            .join(Organisation, SelfHelpGroup.organisation_id == Organisation.id)
                                            .where(*scope.members()).correlate(None)))
                 .group_by(Member.group_id).subquery())
    members = sa.func.sum(per_group.c.members)
    rows = session.execute(
        sa.select(SelfHelpGroup.id, SelfHelpGroup.name, sa.func.coalesce(members, 0),
                  sa.func.coalesce(members.filter(SelfHelpGroup.monthly_saving_paise > 0), 0),
                  sa.func.coalesce(sa.func.sum(per_group.c.to_visit), 0)).select_from(SelfHelpGroup)
        .join(Organisation, SelfHelpGroup.organisation_id == Organisation.id)
        .outerjoin(per_group, per_group.c.group_id == SelfHelpGroup.id)
        .where(*scope.members()).group_by(SelfHelpGroup.id, SelfHelpGroup.name).order_by(SelfHelpGroup.name)).all()
    return [(key_, name_, *(int(n) for n in counts)) for key_, name_, *counts in rows]


def scope_for(session: Session, level: str, key: str, visible: set[int] | None) -> Scope | None:
    """The scope named in a URL, or None if it does not exist or the viewer may not see any of it."""
    frozen = None if visible is None else frozenset(visible)
    ident = parse_id(key)
    if level == "programme":
        programme = session.get(Programme, ident) if ident is not None else None
        return Scope(level, key, programme.name, frozen) if programme else None
    if level == "state":
        organisations = session.scalars(sa.select(Organisation.id).where(Organisation.state_code == key)).all()
        if not organisations or (frozen is not None and not frozen.intersection(organisations)):
            return None
        return Scope(level, key, state_name(key), frozen)
    if level == "organisation" and ident is not None:
        organisation = session.get(Organisation, ident)
        if organisation and (frozen is None or organisation.id in frozen):
            return Scope(level, key, organisation.name, frozen)
    if level == "group" and ident is not None:
        group = session.get(SelfHelpGroup, ident)
        if group and (frozen is None or group.organisation_id in frozen):
            return Scope(level, key, group.name, frozen)
    return None


def anything_to_share(session: Session, scope: Scope) -> bool:
    """Whether `shared` has a row for the scope: an SHG of five members or more in it (not a group's own page)."""
    if scope.level == "group":
        return False
    big = (sa.select(AreaMember.unit_id)
           .where(AreaMember.level == GROUP, *scope._where(AreaMember.organisation_id, AreaMember.state_code, None))
           .group_by(AreaMember.unit_id).having(sa.func.sum(AreaMember.members) >= SMALL_GROUP).limit(1))
    return session.scalar(big) is not None


def shared(session: Session, scope: Scope, this: date, on: date | None = None) -> list[dict]:
    """The figures fit to share outside the programme: aggregates only, never a name below an organisation.

    Units one level down (states of the programme, organisations of a state); an organisation as a whole (its
    SHGs are never listed one by one); nothing for an SHG (its own figures never leave). Counted only from SHGs of
    five members or more, at every level, so that no total minus the units listed gives a small group's figures;
    then small cells are hidden (suppress_small_cells). The groups' meeting figures (as of `on`, the day; by default
    the month's first) are hidden the same way where fewer than five groups, or five internal loans, make them."""
    if scope.level == "group":
        return []
    members_of = sa.func.sum(AreaMember.members)  # the SHGs' member counts kept in area_members, not 200,000 rows
    sizes = (sa.select(AreaMember.unit_id.label("group_id"), members_of.label("members"))
             .where(AreaMember.level == GROUP).group_by(AreaMember.unit_id)
             .having(members_of >= SMALL_GROUP).subquery())
    unit = AreaMonth.state_code if scope.level == "programme" else AreaMonth.organisation_id
    where = [AreaMonth.level == GROUP, *scope._where(AreaMonth.organisation_id, AreaMonth.state_code, None)]
    now, before = AreaMonth.month == this, AreaMonth.month == months_back(this, 1)
    sums = {key: tuple(int(n or 0) for n in figures)
            for key, *figures in session.execute(
                sa.select(unit, sa.func.sum(AreaMonth.income_paise).filter(now),
                          sa.func.sum(AreaMonth.income_paise).filter(before), sa.func.sum(AreaMonth.sales).filter(now),
                          sa.func.sum(AreaMonth.active_sellers).filter(now),
                          sa.func.sum(AreaMonth.active_sellers).filter(before))
                .join(sizes, sizes.c.group_id == AreaMonth.unit_id)
                .where(AreaMonth.category_id == TOTAL, AreaMonth.month >= months_back(this, 1), *where)
                .group_by(unit))}
    key = Organisation.state_code if scope.level == "programme" else Organisation.id
    members: dict[str | int, int] = dict(session.execute(
        sa.select(key, sa.func.sum(sizes.c.members)).select_from(SelfHelpGroup)
        .join(sizes, sizes.c.group_id == SelfHelpGroup.id)
        .join(Organisation, SelfHelpGroup.organisation_id == Organisation.id)
        .where(*scope.members()).group_by(key)).all())
    if scope.level == "organisation":
        units = [(int(scope.key), scope.name)]
    else:
        units = [(key_, name) for key_, name, *_counts in _units(session, scope, this)]
    unit_of = (lambda table: table.state_code) if scope.level == "programme" else (lambda table: table.organisation_id)
    met = meeting_figures(session, where, unit, lambda table: scope._where(table.organisation_id, table.state_code,
                                                                           None), unit_of, on or this, sizes)
    found = []
    for key_, name in units:
        if int(members.get(key_) or 0) < SMALL_GROUP:
            continue  # no group of five or more: nothing of it is shared
        income, last, sales, active, last_active = sums.get(key_, (0, 0, 0, 0, 0))
        books = met.get(key_, Meetings())
        found.append({"key": key_, "name": name, "members": int(members[key_]), "income_paise": income,
                      "last_month_paise": last, "sales": sales, "active_sellers": active,
                      "last_month_sellers": last_active, "groups": books.groups,
                      "regularity_bps": books.regularity_bps, "stopped": books.stopped,
                      "attendance_bps": books.attendance_bps, "field_saved_paise": books.field_saved_paise,
                      "sales_saved_paise": books.sales_saved_paise, "loans": books.loans,
                      "par30_bps": books.par30_bps})
    return suppress_small_cells(suppress_small_cells(found), MEETING_CELLS)


# The cells each count of sellers stands behind: this month's figures, and last month's income.
SELLER_CELLS = {"active_sellers": ("income_paise", "sales", "active_sellers"),
                "last_month_sellers": ("last_month_paise",)}
# ... and each count of the groups' books: one group's meetings and savings, one member's late internal loan.
MEETING_CELLS = {"groups": ("groups", "regularity_bps", "stopped", "attendance_bps", "field_saved_paise",
                            "sales_saved_paise"),
                 "loans": ("loans", "par30_bps")}


def suppress_small_cells(rows: list[dict], cells_of: dict[str, tuple[str, ...]] | None = None) -> list[dict]:
    """The rows with figures that come from 1 to 4 sellers (or groups, loans: `cells_of`) hidden (None): one
    seller's income could be read off them. Where that hides one row's figures only, the next smallest row's go
    too, or a total a level up minus the other rows would give them back."""
    rows = [dict(row) for row in rows]
    for count, cells in (cells_of or SELLER_CELLS).items():
        small = [i for i, row in enumerate(rows) if 0 < row[count] < SMALL_GROUP]
        if len(small) == 1:
            others = sorted((row[count], i) for i, row in enumerate(rows) if i not in small and row[count] > 0)
            small += [i for _n, i in others[:1]]
        for i in small:
            rows[i].update(dict.fromkeys(cells))
    return rows
