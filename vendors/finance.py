"""Her financial plan, fed by her sales: loans, group savings, goals, and the share of each sale for them.

Every paisa moves as a ledger entry (market.core.ledger): a sale's share goes from where the money is (what
Haat owes her business for an online sale, or the cash in her hand) to her loan, savings or goal account.
Nothing here stores a balance: a loan's repayments are the credits on its account, replayed through the
loan's schedule (vendors.loans) to say what is paid, overdue or due next.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from market.core import ledger as books
from market.core.clock import day_of, month_start, noon, today
from market.core.errors import Refusal
from market.core.ledger import EntryKind, LedgerAccount, LedgerEntry, LedgerPosting
from market.core.models import User
from vendors import loans
from vendors.models import AllocationRule, Business, Goal, Loan, LoanStatus, Member

MAX_RULES = 6


class PlanError(Refusal):
    """A plan change that cannot be made; the message is for the member."""


def terms(loan: Loan) -> loans.Terms:
    return loans.Terms(loan.principal_paise, loan.annual_rate_bps, loan.tenure_months, loans.Method(loan.method),
                       loan.start_date, loan.late_fee_paise)


def _postings(session: Session, code: str) -> list[tuple[datetime, int]]:
    """(when, paise) of every posting on one account, oldest first."""
    return [(at, int(amount)) for at, amount in session.execute(
        sa.select(LedgerEntry.at, LedgerPosting.amount_paise).join(LedgerPosting.entry).join(LedgerPosting.account)
        .where(LedgerAccount.code == code).order_by(LedgerEntry.id, LedgerPosting.id))]


def repayments(session: Session, loan: Loan) -> list[loans.Payment]:
    """The loan's repayments, from its ledger account: credits are payments; a debit (a refunded sale's share
    taken back) cancels the latest payments first."""
    made: list[list] = []
    for at, amount in _postings(session, books.member_loan(loan.member_id, loan.id)):
        if amount < 0:
            made.append([day_of(at), -amount])
            continue
        while amount and made:
            take = min(amount, made[-1][1])
            made[-1][1] -= take
            amount -= take
            if not made[-1][1]:
                made.pop()
    return [loans.Payment(day, paise) for day, paise in made]


def _toward_instalments(loan: Loan, made: list[loans.Payment]) -> list[loans.Payment]:
    """Her payments as they count: money settles the next instalments in order, each counted on its due date
    (set aside) unless it is due already; only money that closes the loan counts at once
    (`loans.toward_instalments`)."""
    return loans.toward_instalments(terms(loan), [*paid_before(loan), *made])


def paid_before(loan: Loan) -> list[loans.Payment]:
    """The instalments she repaid before Haat (a loan she already had): an opening balance, not ledger money."""
    return loans.paid_before(terms(loan), loan.paid_before_instalments, loan.last_paid_before_on)


@dataclass(frozen=True)
class LoanState:
    """A loan's money on a day, in the words every screen and export uses (docs/plan.md):

    * repaid: what has counted against its instalments (fines, interest, principal) by the day, through Haat
      (shares of sales and cash she recorded). What she repaid before Haat (a loan she already had) is apart,
      `repaid_before_paise`, and is never counted as repaid through Haat.
    * set aside: put toward instalments not yet due; it becomes repaid on their due dates.
    * outstanding principal ("principal still owed"): principal not yet repaid. Set-aside money lowers it
      only on the due date it counts.
    * arrears ("due now"): due by the day and not paid, late fines included.
    """

    position: loans.Position  # as of the day asked, from the payments due by then
    set_aside_paise: int
    repaid_paise: int = 0
    repaid_before_paise: int = 0

    @property
    def outstanding_principal_paise(self) -> int:
        return self.position.outstanding_principal_paise

    @property
    def arrears_paise(self) -> int:
        return self.position.arrears_paise


def loan_state(session: Session, loan: Loan, on: date | None = None) -> LoanState:
    """The loan's figures on a day (today unless given): see LoanState for what each word means."""
    on = on or today()
    before = sum(p.amount_paise for p in paid_before(loan))
    made = _toward_instalments(loan, repayments(session, loan))
    counted = sum(p.amount_paise for p in made if p.on <= on)
    return LoanState(loans.position(terms(loan), made, on), sum(p.amount_paise for p in made if p.on > on),
                     max(0, counted - before), before)


def closure_paise(session: Session, loan: Loan, on: date | None = None) -> int:
    """What she must still pay on a day to close the loan: money set aside for later instalments counts at once."""
    on = on or today()
    made = _toward_instalments(loan, repayments(session, loan))
    now = [p for p in made if p.on <= on]
    return max(0, loans.closure_amount(terms(loan), now, on) - sum(p.amount_paise for p in made if p.on > on))


def loan_position(session: Session, loan: Loan, on: date | None = None) -> loans.Position:
    """The loan on a day, with everything set aside for it counted (as on the next due date)."""
    on = on or today()
    made = _toward_instalments(loan, repayments(session, loan))
    return loans.position(terms(loan), made, max([on, *(p.on for p in made)]))


def _credits_since(session: Session, code: str, since: datetime | None = None) -> int:
    """What was put into an account (credits less reversals), since a time or ever."""
    return -sum(amount for at, amount in _postings(session, code) if since is None or at >= since)


def refresh_status(session: Session, loan: Loan, on: date | None = None) -> None:
    """Write the loan's standing for the dashboards (outstanding, days overdue, what the next instalment needs)."""
    state = loan_state(session, loan, on)
    group = session.get_one(Member, loan.member_id).group
    values = {"member_id": loan.member_id, "group_id": group.id, "organisation_id": group.organisation_id,
              "state_code": group.organisation.state_code,
              "outstanding_paise": state.position.outstanding_principal_paise,
              "overdue_days": state.position.overdue_days,
              "next_due_left_paise": max(0, state.position.next_due_left_paise - state.set_aside_paise),
              "refreshed_on": on or today()}
    row = session.get(LoanStatus, loan.id)
    if row is None:
        session.add(LoanStatus(loan_id=loan.id, **values))
    else:
        for name, value in values.items():
            setattr(row, name, value)
    session.flush()
    member = session.get_one(Member, loan.member_id)
    late = int(session.scalar(sa.select(sa.func.coalesce(sa.func.max(LoanStatus.overdue_days), 0))
                              .where(LoanStatus.member_id == loan.member_id)) or 0)
    if member.late_days != late:  # set on the object: the dashboards' member counts see the change at the flush
        member.late_days = late
        session.flush()


# -- setting the plan up ------------------------------------------------------------------------------------------

def add_loan(session: Session, member: Member, by: User, source: str, lender: str, principal_paise: int,
             annual_rate_bps: int, method: str, tenure_months: int, start: date, late_fee_paise: int = 0,
             paid_instalments: int | None = None, owed_paise: int | None = None,
             last_paid_on: date | None = None) -> Loan:
    """Write down one of her loans. For a loan already running, give the instalments already paid or what is
    still owed (principal): the schedule continues from there (`loans.paid_before`); the instalments paid
    before Haat are an opening balance, not ledger money."""
    if source not in ("shg", "bank", "seed", "other"):
        raise PlanError(_l("Choose where the loan is from."))
    if last_paid_on is not None and not start <= last_paid_on <= today():
        raise PlanError(_l("The last instalment was paid between the loan's start and today."))
    try:
        proposed = loans.Terms(principal_paise, annual_rate_bps, tenure_months, loans.Method(method), start,
                               late_fee_paise)
        loans.schedule(proposed)
    except (loans.LoanError, ValueError) as exc:  # ValueError: a method that is not one of loans.Method
        raise PlanError(str(exc)) from None
    if owed_paise is not None and not 0 < owed_paise <= principal_paise:
        raise PlanError(_l("What is still owed is more than nothing and not more than the amount borrowed."))
    try:
        if paid_instalments is None:
            paid_instalments = 0 if owed_paise is None else loans.instalments_paid_for(proposed, owed_paise)
        loans.paid_before(proposed, paid_instalments, last_paid_on)
    except loans.LoanError:
        raise PlanError(_l("What is already repaid must be less than the whole loan: a loan repaid in full need "
                           "not be written here.")) from None
    loan = Loan(member_id=member.id, source=source, lender=lender.strip()[:120], principal_paise=principal_paise,
                annual_rate_bps=annual_rate_bps, method=method, tenure_months=tenure_months, start_date=start,
                late_fee_paise=late_fee_paise, created_by_id=by.id, paid_before_instalments=paid_instalments,
                last_paid_before_on=last_paid_on)
    session.add(loan)
    session.flush()
    refresh_status(session, loan)
    return loan


def add_goal(session: Session, member: Member, kind: str, title: str, target_paise: int, target_date: date) -> Goal:
    if kind not in ("emergency", "school", "stock", "other"):
        raise PlanError(_l("Choose what the goal is for."))
    if not 0 < target_paise <= 1_00_00_000_00:
        raise PlanError(_l("Write a target between ₹1 and ₹1,00,00,000."))
    if target_date <= today():
        raise PlanError(_l("Choose a date in the future."))
    goal = Goal(member_id=member.id, kind=kind, title=title.strip()[:80] or kind, target_paise=target_paise,
                target_date=target_date)
    session.add(goal)
    session.flush()
    return goal


@dataclass(frozen=True)
class Share:
    """One line of her allocation rules: where, and how much of each sale (a percentage or a fixed sum)."""

    target: str  # loan, savings, goal
    percent_bps: int | None = None
    fixed_paise: int | None = None
    loan_id: int | None = None
    goal_id: int | None = None


def set_shares(session: Session, member: Member, shares: list[Share]) -> None:
    """Replace her rules. Percentages may not add up to more than all of a sale."""
    if len(shares) > MAX_RULES:
        raise PlanError(_l("Keep to %(n)s shares at most.", n=MAX_RULES))
    if sum(s.percent_bps or 0 for s in shares) > 10_000:
        raise PlanError(_l("The shares add up to more than the whole sale."))
    if len({(s.target, s.loan_id, s.goal_id) for s in shares}) != len(shares):
        raise PlanError(_l("Give each loan, goal or saving one share only."))
    own_loans = set(session.scalars(sa.select(Loan.id).where(Loan.member_id == member.id)))
    own_goals = set(session.scalars(sa.select(Goal.id).where(Goal.member_id == member.id)))
    for share in shares:
        if (share.percent_bps is None) == (share.fixed_paise is None):
            raise PlanError(_l("Give each share as a percentage or as a fixed amount."))
        if share.percent_bps is not None and not 0 < share.percent_bps <= 10_000:
            raise PlanError(_l("A percentage is between 1 and 100."))
        if share.fixed_paise is not None and not 0 < share.fixed_paise <= 1_00_000_00:
            raise PlanError(_l("A fixed amount is between ₹1 and ₹1,00,000."))
        if (share.target == "loan" and share.loan_id not in own_loans) or \
                (share.target == "goal" and share.goal_id not in own_goals) or \
                share.target not in ("loan", "savings", "goal"):
            raise PlanError(_l("Choose one of your own loans or goals."))
    session.execute(sa.delete(AllocationRule).where(AllocationRule.member_id == member.id))
    session.add_all(AllocationRule(member_id=member.id, target=s.target, loan_id=s.loan_id, goal_id=s.goal_id,
                                   percent_bps=s.percent_bps, fixed_paise=s.fixed_paise, position=n)
                    for n, s in enumerate(shares))
    session.flush()


# -- sales feed the plan ------------------------------------------------------------------------------------------

def _sole_owner(business: Business) -> Member | None:
    """A sale funds a member's plan when the business is hers alone (a group's shop funds no one member)."""
    return business.owners[0] if len(business.owners) == 1 else None


def still_due(session: Session, member: Member, rule: AllocationRule, on: date) -> int:
    """How much this rule may still take: never more than is due."""
    if rule.target == "loan":
        state = loan_state(session, session.get_one(Loan, rule.loan_id), on)
        if state.position.closed:
            return 0
        return max(state.position.arrears_paise, state.position.next_due_left_paise - state.set_aside_paise)
    if rule.target == "savings":
        saved = _credits_since(session, books.member_savings(member.id), month_start(on))
        return max(0, member.group.monthly_saving_paise - saved)
    goal = session.get_one(Goal, rule.goal_id)
    return max(0, goal.target_paise - _credits_since(session, books.member_goal(member.id, goal.id)))


def _destination(member: Member, rule: AllocationRule) -> str:
    if rule.target == "savings":
        return books.member_savings(member.id)
    target_id = rule.loan_id if rule.target == "loan" else rule.goal_id
    assert target_id is not None  # the table's target_named check: a loan rule names its loan, a goal rule its goal
    return books.member_loan(member.id, target_id) if rule.target == "loan" else books.member_goal(member.id, target_id)


def _wanted(rule: AllocationRule, sale_paise: int) -> int:
    """What the rule asks of a sale: its percentage, or its fixed amount (percent_or_fixed: it has one)."""
    if rule.percent_bps:
        return sale_paise * rule.percent_bps // 10_000
    assert rule.fixed_paise is not None
    return rule.fixed_paise


def allocate(session: Session, business: Business, earned_paise: int, source: str, **about: int) -> int:
    """Send the member's shares of a sale (capped at what is due) from `source` to her plan; returns the total.

    `source` is where the money comes from: business:<id>:payable (online) or business:<id>:set_aside (cash).
    """
    member = _sole_owner(business)
    if member is None or earned_paise <= 0:
        return 0
    rules = session.scalars(sa.select(AllocationRule).where(AllocationRule.member_id == member.id)
                            .order_by(AllocationRule.position, AllocationRule.id)).all()
    on, left = today(), earned_paise
    lines: list[tuple[str, int]] = []
    for rule in rules:
        wanted = _wanted(rule, earned_paise)
        destination = _destination(member, rule)
        already = -sum(a for code, a in lines if code == destination)  # set_shares allows one rule per place
        amount = min(wanted, left, still_due(session, member, rule, on) - already)
        if amount > 0:
            lines.append((destination, -amount))
            left -= amount
    if not lines:
        return 0
    total = earned_paise - left
    books.post(session, EntryKind.ALLOCATION, [(source, total), *lines], "share of a sale", None, **about)
    _refresh_loans_in(session, [code for code, _a in lines])
    return total


def _refresh_loans_in(session: Session, codes: list[str]) -> None:
    for code in codes:
        if ":loan:" in code:
            refresh_status(session, session.get_one(Loan, int(code.rsplit(":", 1)[1])))


def reverse_allocations(session: Session, order_id: int, refunded_paise: int, order_total_paise: int,
                        refund_id: int, refunded_before_paise: int = 0) -> None:
    """A refund takes back what the order funded, in proportion to how much of the order went back.

    `refunded_before_paise` is what refunds processed before this one returned of the order. Each of her
    accounts gives back its share of all refunded so far, rounded toward zero once, less what earlier refunds
    took back; so parts adding up to the whole order take back every paisa, and a single refund its share
    rounded toward zero. The account the money came from takes the balance.
    """
    funded = sa.case((LedgerEntry.refund_id.is_(None), LedgerPosting.amount_paise), else_=0)
    taken_back = sa.case((LedgerEntry.refund_id.is_not(None), LedgerPosting.amount_paise), else_=0)
    sums = session.execute(
        sa.select(LedgerAccount.code, sa.func.sum(funded), sa.func.sum(taken_back)).join(LedgerPosting.account)
        .join(LedgerPosting.entry).where(LedgerEntry.order_id == order_id, LedgerEntry.kind == EntryKind.ALLOCATION)
        .group_by(LedgerAccount.code)).all()
    rows = sorted(((code, int(amount), int(back)) for code, amount, back in sums if amount),  # PostgreSQL: Decimal
                  key=lambda row: not row[0].startswith("member:"))
    so_far = min(refunded_before_paise + refunded_paise, order_total_paise)
    lines = [(code, -(1 if amount > 0 else -1) * (abs(amount) * so_far // order_total_paise) - back)
             for code, amount, back in rows[:-1]]
    if rows:
        lines.append((rows[-1][0], -sum(a for _c, a in lines)))
    if any(a for _c, a in lines):
        books.post(session, EntryKind.ALLOCATION, lines, "refund takes back its share", order_id=order_id,
                   refund_id=refund_id)
        _refresh_loans_in(session, [code for code, _a in lines])


def record_repayment(session: Session, loan: Loan, amount_paise: int, on: date) -> None:
    """She repaid in cash at the group meeting (money from outside Haat)."""
    if not 0 < amount_paise <= loan.principal_paise * 3:
        raise PlanError(_l("Write the amount she paid."))
    if on > today() or on < loan.start_date:
        raise PlanError(_l("The date is between the loan's start and today."))
    books.post(session, EntryKind.ALLOCATION, [(books.member_own_cash(loan.member_id), amount_paise),
                                               (books.member_loan(loan.member_id, loan.id), -amount_paise)],
               "repaid in cash", at=noon(on))
    refresh_status(session, loan)


def record_saving(session: Session, member: Member, amount_paise: int) -> None:
    """She paid her saving into the group fund in cash (at the meeting), not from a sale."""
    if not 0 < amount_paise <= 1_00_000_00:
        raise PlanError(_l("Write an amount between ₹1 and ₹1,00,000."))
    books.post(session, EntryKind.ALLOCATION, [(books.member_own_cash(member.id), amount_paise),
                                               (books.member_savings(member.id), -amount_paise)], "saved in cash")


@dataclass(frozen=True)
class GroupFund:
    saved_paise: int  # members' savings recorded through Haat (from sales and in cash)
    repaid_paise: int  # the group's internal loans: repaid through Haat (LoanState)
    set_aside_paise: int  # ... set aside for instalments not yet due
    lent_out_paise: int  # ... outstanding principal


def group_fund(session: Session, group_id: int, on: date | None = None) -> GroupFund:
    """The part of an SHG's fund that Haat knows about: what members saved and repaid, what is lent out."""
    member_ids = list(session.scalars(sa.select(Member.id).where(Member.group_id == group_id)))
    saved = sum(_credits_since(session, books.member_savings(m)) for m in member_ids)
    repaid = set_aside = lent = 0
    for loan in session.scalars(sa.select(Loan).where(Loan.member_id.in_(member_ids or [-1]), Loan.source == "shg")):
        state = loan_state(session, loan, on)
        repaid, set_aside = repaid + state.repaid_paise, set_aside + state.set_aside_paise
        lent += state.outstanding_principal_paise
    return GroupFund(saved, repaid, set_aside, lent)


# -- "My money" ---------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class LoanView:
    loan: Loan
    position: loans.Position
    next_total_paise: int  # the next instalment in full
    covered_paise: int  # how much of it is paid already
    state: LoanState | None = None  # its figures (repaid, set aside, outstanding principal, arrears)


@dataclass(frozen=True)
class MoneyView:
    income_paise: int  # this month: online sales (after Haat's fee) and cash sales, less refunds
    loans: list[LoanView]
    monthly_saving_paise: int
    saved_this_month_paise: int
    saved_paise: int
    goals: list[tuple[Goal, int]]
    rules: Sequence[AllocationRule]
    example: Sequence[int] = ()  # what each rule takes from a sale of EXAMPLE_SALE_PAISE, if all of it were due
    example_left_paise: int = 0  # and what is hers to take home
    example_sale_paise: int = 500_00


EXAMPLE_SALE_PAISE = 500_00


def example_split(rules: Sequence[AllocationRule], sale_paise: int = EXAMPLE_SALE_PAISE) -> tuple[list[int], int]:
    """The worked example of her plan: what each rule, in her order, takes from a sale, and what is left. The same
    arithmetic as `allocate` without its cap at what is due."""
    left, taken = sale_paise, []
    for rule in rules:
        taken.append(min(_wanted(rule, sale_paise), left))
        left -= taken[-1]
    return taken, left


def month_income(session: Session, business_ids: list[int], on: date) -> int:
    """Her sales income this month: what Haat owes her business for online sales, and what she took herself."""
    codes = [books.payable(b) for b in business_ids] + [books.cash_sales(b) for b in business_ids]
    total = session.execute(
        sa.select(sa.func.coalesce(sa.func.sum(LedgerPosting.amount_paise), 0)).join(LedgerPosting.account)
        .join(LedgerPosting.entry).where(LedgerAccount.code.in_(codes), LedgerEntry.at >= month_start(on),
                                         LedgerEntry.kind.in_([EntryKind.PAYMENT, EntryKind.CASH, EntryKind.REFUND]))
    ).scalar_one()
    return -int(total)


def my_money(session: Session, member: Member, on: date | None = None) -> MoneyView:
    on = on or today()
    views = []
    for loan in session.scalars(sa.select(Loan).where(Loan.member_id == member.id).order_by(Loan.id)):
        state = loan_state(session, loan, on)
        position = state.position
        total = position.next_due.total_paise if position.next_due else 0
        covered = min(total, max(0, total - position.next_due_left_paise) + state.set_aside_paise)
        views.append(LoanView(loan, position, total, covered, state))
    goals = session.scalars(sa.select(Goal).where(Goal.member_id == member.id).order_by(Goal.target_date)).all()
    rules = session.scalars(sa.select(AllocationRule).where(AllocationRule.member_id == member.id)
                            .order_by(AllocationRule.position)).all()
    example, left = example_split(rules)
    return MoneyView(
        income_paise=month_income(session, [b.id for b in member.businesses], on), loans=views,
        monthly_saving_paise=member.group.monthly_saving_paise,
        saved_this_month_paise=_credits_since(session, books.member_savings(member.id), month_start(on)),
        saved_paise=_credits_since(session, books.member_savings(member.id)),
        goals=[(g, _credits_since(session, books.member_goal(member.id, g.id))) for g in goals],
        rules=rules, example=example, example_left_paise=left)
