"""Loan mathematics for a member's loans: repayment schedules, effective rates and repayments.

Pure functions with no I/O. Money is always an integer number of paise; rates are basis points a year
(12% = 1200). Rounding is half-up to the paisa, done with `decimal` (or exact integer fractions).

Conventions (the ones Indian EMI calculators and SHG bank-linkage ledgers use):

* Instalment k falls due k calendar months after the start, on the same day of the month, clamped to the
  month's last day (start 31 Jan -> 29 Feb in a leap year, 31 Mar, 30 Apr ...).
* DECLINING: EMI = P*r/(1-(1+r)^-n), r = rate/12, rounded half-up once. Each month the interest is the
  balance times r rounded half-up on its own; principal = EMI - interest; the last instalment takes the whole
  remaining balance (so it absorbs every rounding). Rs 50,000 at 12% for 12 months: EMI Rs 4,442.44, total
  interest Rs 3,309.27 (the last instalment is Rs 4,442.43).
* FLAT: interest = P*rate*years rounded; each instalment carries P/n of principal and I/n of interest, each
  rounded half-up, and the last absorbs the rounding of both (for a tiny amount over a long tenure, where
  rounding up would leave the last share negative, the shares are rounded down instead).
* Repayments: see `position`.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, replace
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, localcontext
from enum import StrEnum

from market.core.errors import Refusal

MAX_PRINCIPAL_PAISE = 10_00_00_000  # Rs 1 crore
MAX_RATE_BPS = 6000  # 60% a year
MAX_TENURE_MONTHS = 360

_BPS_MONTHS = 120_000  # monthly rate r = bps / _BPS_MONTHS (bps / 10,000 a year, / 12 a month)
_MONTH_DAYS = 30  # interest between two due dates accrues pro rata by days / 30, at most one month
_DEN = _BPS_MONTHS * _MONTH_DAYS  # an interest numerator balance * bps * days is divided by this
_PREC = 60


class LoanError(Refusal):
    """Loan terms or repayments that make no sense; the message can be shown to a person."""


class Method(StrEnum):
    """How interest is charged."""

    DECLINING = "declining"  # EMI on the declining balance
    FLAT = "flat"  # interest on the original principal for the whole tenure


@dataclass(frozen=True)
class Terms:
    """What was agreed when the loan was given."""

    principal_paise: int
    annual_rate_bps: int
    tenure_months: int
    method: Method
    start: date
    late_fee_paise: int = 0  # charged once on an instalment not fully paid by its due date


@dataclass(frozen=True)
class Instalment:
    """One monthly instalment of a schedule."""

    number: int  # 1..n
    due: date
    principal_paise: int
    interest_paise: int

    @property
    def total_paise(self) -> int:
        """Principal plus interest."""
        return self.principal_paise + self.interest_paise


@dataclass(frozen=True)
class Payment:
    """Money she paid towards the loan on a day."""

    on: date
    amount_paise: int


@dataclass(frozen=True)
class Allocation:
    """The part of one payment that went to one instalment (instalment None: returned to her)."""

    instalment: int | None
    penalty_paise: int
    interest_paise: int
    principal_paise: int
    payment_index: int  # index into the payments list as given
    overpaid_paise: int = 0  # only on an allocation with instalment None

    @property
    def total_paise(self) -> int:
        """Everything this allocation accounts for, the overpayment included."""
        return self.penalty_paise + self.interest_paise + self.principal_paise + self.overpaid_paise


@dataclass(frozen=True)
class Paid:
    """What has been paid on one instalment, by kind."""

    penalty_paise: int
    interest_paise: int
    principal_paise: int

    @property
    def total_paise(self) -> int:
        """All three together."""
        return self.penalty_paise + self.interest_paise + self.principal_paise


@dataclass(frozen=True)
class Position:
    """The loan's state at the end of a given day."""

    on: date
    allocations: list[Allocation]
    schedule: list[Instalment]  # the current schedule (a declining loan's is recomputed after prepayments)
    penalties: dict[int, int]  # late fees charged, by instalment number
    paid: dict[int, Paid]  # paid so far, by instalment number
    outstanding_principal_paise: int  # principal not yet repaid, overdue principal included
    arrears_paise: int  # due on or before `on` and unpaid, late fees included
    overdue_days: int  # days since the due date of the oldest late instalment, 0 if none is late
    next_due: Instalment | None  # the first instalment not fully paid
    next_due_left_paise: int  # what is still owed on it, its late fee included
    closed: bool
    overpaid_paise: int  # paid beyond the whole loan: to be returned to her


@dataclass(frozen=True)
class _Slot:
    """An instalment with what is owed and paid on it, while payments are replayed."""

    number: int
    due: date
    principal: int
    interest: int
    penalty: int = 0
    late: bool = False
    paid_penalty: int = 0
    paid_interest: int = 0
    paid_principal: int = 0
    acc_num: int = 0  # declining: interest numerator (over _DEN) already accrued by prepayments this period
    acc_days: int = 0  # declining: the day of the period (0..30) up to which acc_num runs

    @property
    def principal_left(self) -> int:
        return self.principal - self.paid_principal

    @property
    def left(self) -> int:
        return self.penalty - self.paid_penalty + self.interest - self.paid_interest + self.principal_left

    def instalment(self) -> Instalment:
        return Instalment(self.number, self.due, self.principal, self.interest)


# --- schedule ---------------------------------------------------------------------------------------


def due_date(start: date, months: int) -> date:
    """`months` calendar months after `start`, the day clamped to the end of a shorter month."""
    year, month0 = divmod(start.year * 12 + start.month - 1 + months, 12)
    return date(year, month0 + 1, min(start.day, calendar.monthrange(year, month0 + 1)[1]))


def _round_div(num: int, den: int) -> int:
    """num / den (both >= 0, den > 0) rounded half-up to a whole paisa."""
    with localcontext() as ctx:
        ctx.prec = _PREC
        return int((Decimal(num) / Decimal(den)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _validate(terms: Terms) -> None:
    """Raise LoanError unless the terms describe a loan Haat can handle."""
    if not all(_is_int(v) for v in (terms.principal_paise, terms.annual_rate_bps, terms.tenure_months,
                                    terms.late_fee_paise)):
        raise LoanError("Amounts must be whole paise, the rate whole basis points and the tenure whole months.")
    if terms.principal_paise <= 0:
        raise LoanError("The loan amount must be more than zero.")
    if terms.principal_paise > MAX_PRINCIPAL_PAISE:
        raise LoanError("The loan amount cannot be more than ₹1 crore.")
    if terms.annual_rate_bps < 0:
        raise LoanError("The interest rate cannot be negative.")
    if terms.annual_rate_bps > MAX_RATE_BPS:
        raise LoanError("The interest rate cannot be more than 60% a year.")
    if terms.tenure_months < 1:
        raise LoanError("The loan must run for at least 1 month.")
    if terms.tenure_months > MAX_TENURE_MONTHS:
        raise LoanError("The loan cannot run for more than 360 months (30 years).")
    if terms.late_fee_paise < 0:
        raise LoanError("The late fee cannot be negative.")
    if terms.late_fee_paise > MAX_PRINCIPAL_PAISE:  # and the column is a 32-bit integer
        raise LoanError("The late fee cannot be more than ₹1 crore.")
    if terms.method not in tuple(Method):
        raise LoanError("The repayment method must be 'declining' or 'flat'.")
    if not isinstance(terms.start, date):
        raise LoanError("The loan needs a start date.")
    try:
        due_date(terms.start, terms.tenure_months)
    except ValueError:
        raise LoanError("The loan would end after the year 9999.") from None


def instalment_paise(terms: Terms) -> int:
    """The regular monthly instalment: the EMI (declining) or principal share + interest share (flat)."""
    _validate(terms)
    p, bps, n = terms.principal_paise, terms.annual_rate_bps, terms.tenure_months
    if terms.method == Method.FLAT:
        return _round_div(p, n) + _round_div(_round_div(p * bps * n, _BPS_MONTHS), n)
    if bps == 0:
        return _round_div(p, n)
    with localcontext() as ctx:
        ctx.prec = _PREC
        r = Decimal(bps) / _BPS_MONTHS
        emi = Decimal(p) * r / (1 - (1 + r) ** -n)
        return int(emi.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _declining_tail(terms: Terms, emi: int, number: int, balance: int, head: _Slot | None = None) -> list[_Slot]:
    """Instalments `number`.. of a declining loan that owes `balance`, paying `emi` a month, until repaid.

    `head` is instalment `number` as it stands: what is paid on it is kept, and its interest is what
    prepayments accrued this period plus the rest of the period on the new balance.
    """
    slots: list[_Slot] = []
    for k in range(number, terms.tenure_months + 1):
        carried = head if k == number and head is not None else None
        days_left = _MONTH_DAYS - carried.acc_days if carried else _MONTH_DAYS
        num = (carried.acc_num if carried else 0) + balance * terms.annual_rate_bps * days_left
        interest = _round_div(num, _DEN)
        regular = balance if k == terms.tenure_months else min(balance, max(0, emi - interest))
        balance -= regular
        if carried:
            slots.append(replace(carried, principal=carried.paid_principal + regular, interest=interest))
        else:
            slots.append(_Slot(k, due_date(terms.start, k), regular, interest))
        if balance == 0:
            break
    return slots


def _flat_slots(terms: Terms) -> list[_Slot]:
    p, n = terms.principal_paise, terms.tenure_months
    interest = _round_div(p * terms.annual_rate_bps * n, _BPS_MONTHS)
    p_each, i_each = _flat_share(p, n), _flat_share(interest, n)
    slots = []
    for k in range(1, n + 1):
        pk, ik = (p, interest) if k == n else (p_each, i_each)
        p, interest = p - pk, interest - ik
        slots.append(_Slot(k, due_date(terms.start, k), pk, ik))
    return slots


def _flat_share(total: int, n: int) -> int:
    """total / n rounded half-up, or rounded down when rounding up would leave nothing (or less) for the last share.

    Only a tiny amount over a long tenure needs the fallback (Rs 10 over 60 months: 16 paise, not 17),
    which keeps principal in the last instalment and so every instalment in the schedule.
    """
    share = _round_div(total, n)
    return share if share * (n - 1) < total else total // n


def _initial_slots(terms: Terms) -> list[_Slot]:
    _validate(terms)
    if terms.method == Method.FLAT:
        return _flat_slots(terms)
    return _declining_tail(terms, instalment_paise(terms), 1, terms.principal_paise)


def schedule(terms: Terms) -> list[Instalment]:
    """The repayment schedule (see the module docstring for the rounding conventions).

    Principal sums to exactly the loan amount; a flat loan's interest sums to exactly its total interest.
    A flat schedule always has `tenure_months` instalments. A declining one stops when the balance is repaid,
    so rounding the EMI up can end a tiny loan a few months early (Rs 10 at 0% over 60 months: 59 instalments).
    """
    return [slot.instalment() for slot in _initial_slots(terms)]


def total_interest_paise(terms: Terms) -> int:
    """All the interest of the schedule."""
    return sum(i.interest_paise for i in schedule(terms))


def effective_annual_rate_bps(terms: Terms) -> int:
    """The declining-balance rate equivalent to the loan, in bps (12 x the monthly IRR of its instalments).

    A declining loan's is its own rate. A flat loan's is found by bisection to far better than 0.01% and
    rounded half-up to whole bps: Rs 50,000 at 12% flat for 12 months is 2,146 bps (21.46%).
    """
    if terms.method == Method.DECLINING:
        _validate(terms)
        return terms.annual_rate_bps
    flows = [(i.number, i.total_paise) for i in schedule(terms)]
    with localcontext() as ctx:
        ctx.prec = 40
        principal = Decimal(terms.principal_paise)

        def value(rate: Decimal) -> Decimal:
            return sum((Decimal(amount) / (1 + rate) ** k for k, amount in flows), Decimal(0))

        lo, hi = Decimal(0), Decimal(1)
        while value(hi) > principal:
            hi *= 2
        for _ in range(64):  # 2^-64 of a monthly rate: far below a basis point
            mid = (lo + hi) / 2
            if value(mid) > principal:
                lo = mid
            else:
                hi = mid
        return int(((lo + hi) / 2 * 12 * 10_000).quantize(Decimal(1), rounding=ROUND_HALF_UP))


# --- repayments -------------------------------------------------------------------------------------


def _check_payments(terms: Terms, payments: list[Payment]) -> None:
    for p in payments:
        if not _is_int(p.amount_paise) or p.amount_paise < 1:
            raise LoanError("Each payment must be a whole number of paise, more than zero.")
        if not isinstance(p.on, date) or p.on < terms.start:
            raise LoanError("A payment cannot be dated before the loan starts.")


def _charge_fees(terms: Terms, slots: list[_Slot], day: date) -> None:
    """Mark late, once, every instalment due before `day` that is still not fully paid."""
    for i, s in enumerate(slots):
        if s.due >= day:
            break
        if not s.late and s.paid_interest + s.paid_principal < s.interest + s.principal:
            slots[i] = replace(s, late=True, penalty=terms.late_fee_paise)


def _record(allocations: list[Allocation], index: int, number: int | None, penalty: int, interest: int,
            principal: int, overpaid: int = 0) -> None:
    if penalty + interest + principal + overpaid == 0:
        return
    last = allocations[-1] if allocations else None
    if last and last.payment_index == index and last.instalment == number:
        allocations[-1] = replace(last, penalty_paise=last.penalty_paise + penalty,
                                  interest_paise=last.interest_paise + interest,
                                  principal_paise=last.principal_paise + principal,
                                  overpaid_paise=last.overpaid_paise + overpaid)
    else:
        allocations.append(Allocation(number, penalty, interest, principal, index, overpaid))


def _accrued(terms: Terms, slots: list[_Slot], m: int, day: date) -> _Slot:
    """Instalment m (the first due after `day`) with its interest accrued up to `day` (declining)."""
    head = slots[m]
    start = due_date(terms.start, head.number - 1)
    days = min(max((day - start).days, 0), _MONTH_DAYS)
    balance = sum(s.principal_left for s in slots[m:])
    return replace(head, acc_num=head.acc_num + balance * terms.annual_rate_bps * (days - head.acc_days),
                   acc_days=days)


def _prepay(terms: Terms, emi: int, slots: list[_Slot], allocations: list[Allocation], index: int, day: date,
            amount: int) -> int:
    """Apply money beyond what is due up to `day`; return what is left over (beyond the whole loan)."""
    m = next((i for i, s in enumerate(slots) if s.due > day), None)
    if m is None:
        return amount
    if terms.method == Method.FLAT:
        for i in range(m, len(slots)):
            principal = min(amount, slots[i].principal_left)
            slots[i] = replace(slots[i], paid_principal=slots[i].paid_principal + principal)
            _record(allocations, index, slots[i].number, 0, 0, principal)
            amount -= principal
        return amount
    balance = sum(s.principal_left for s in slots[m:])
    head = _accrued(terms, slots, m, day)
    interest = min(amount, _round_div(head.acc_num, _DEN) - head.paid_interest)
    principal = min(amount - interest, balance)
    head = replace(head, paid_interest=head.paid_interest + interest, paid_principal=head.paid_principal + principal)
    slots[m:] = _declining_tail(terms, emi, head.number, balance - principal, head)
    _record(allocations, index, head.number, 0, interest, principal)
    return amount - interest - principal


def _apply(terms: Terms, emi: int, slots: list[_Slot], allocations: list[Allocation], index: int,
           payment: Payment) -> int:
    """Allocate one payment; return the part of it beyond the whole loan."""
    _charge_fees(terms, slots, payment.on)
    amount = payment.amount_paise
    for i, s in enumerate(slots):
        if s.due > payment.on or amount == 0:
            break
        penalty = min(amount, s.penalty - s.paid_penalty)
        interest = min(amount - penalty, s.interest - s.paid_interest)
        principal = min(amount - penalty - interest, s.principal_left)
        slots[i] = replace(s, paid_penalty=s.paid_penalty + penalty, paid_interest=s.paid_interest + interest,
                           paid_principal=s.paid_principal + principal)
        _record(allocations, index, s.number, penalty, interest, principal)
        amount -= penalty + interest + principal
    if amount:
        amount = _prepay(terms, emi, slots, allocations, index, payment.on, amount)
    if all(s.principal_left == 0 for s in slots):
        # Repaid in full: no interest for instalments not yet due (flat), nothing left to schedule.
        slots[:] = [s if s.due <= payment.on else replace(s, interest=s.paid_interest) for s in slots]
        slots[:] = [s for s in slots if s.due <= payment.on or s.principal + s.interest > 0]
    _record(allocations, index, None, 0, 0, 0, amount)
    return amount


def _replay(terms: Terms, payments: list[Payment], on: date) -> tuple[list[_Slot], list[Allocation], int]:
    """Replay the payments made on or before `on`, in date order (stable), then charge the fees due by `on`."""
    slots = _initial_slots(terms)
    _check_payments(terms, payments)
    emi = instalment_paise(terms)
    allocations: list[Allocation] = []
    overpaid = 0
    for index in sorted(range(len(payments)), key=lambda i: payments[i].on):
        if payments[index].on <= on:
            overpaid += _apply(terms, emi, slots, allocations, index, payments[index])
    _charge_fees(terms, slots, on)
    return slots, allocations, overpaid


def position(terms: Terms, payments: list[Payment], on: date) -> Position:
    """The loan's state at the end of `on`, from the payments made on or before that day.

    The payments are taken as dated: pass them through `toward_instalments` first to have money paid ahead
    settle the next instalments (what the app does); given raw, money beyond what is due is a prepayment.

    Each payment pays what is due up to its date, OLDEST instalment first, and within an instalment the late
    fee, then interest, then principal. An instalment not fully paid by the end of its due date owes the late
    fee once (paying on the due date itself is on time). Money beyond that is a prepayment:

    * DECLINING: it first pays the interest accrued on the outstanding balance since the last due date
      (pro rata by days / 30, at most a month), then principal, both booked on the next instalment. The rest
      of the schedule is recomputed from the lower balance with the SAME EMI, so the tenure shortens; the next
      instalment's interest is the accrued part plus the rest of its period on the new balance.
    * FLAT: it pays future instalments' principal, oldest first. Their interest stays due on their dates
      (flat interest is on the original amount) until all principal is repaid: then the loan is closed and
      the interest of instalments not yet due is waived (as in `closure_amount`).

    Anything beyond the whole loan is `overpaid_paise`. Overdue principal earns no extra interest: the late
    fee is the only charge for lateness. An instalment due on `on` itself counts in the arrears but is not late.
    """
    slots, allocations, overpaid = _replay(terms, payments, on)
    late = next((s for s in slots if s.left > 0 and s.due < on), None)
    upcoming = next((s for s in slots if s.left > 0), None)
    return Position(
        on=on,
        allocations=allocations,
        schedule=[s.instalment() for s in slots],
        penalties={s.number: s.penalty for s in slots if s.penalty},
        paid={s.number: Paid(s.paid_penalty, s.paid_interest, s.paid_principal) for s in slots},
        outstanding_principal_paise=sum(s.principal_left for s in slots),
        arrears_paise=sum(s.left for s in slots if s.due <= on),
        overdue_days=(on - late.due).days if late else 0,
        next_due=upcoming.instalment() if upcoming else None,
        next_due_left_paise=upcoming.left if upcoming else 0,
        closed=upcoming is None,
        overpaid_paise=overpaid,
    )


def closure_amount(terms: Terms, payments: list[Payment], on: date) -> int:
    """What she must pay on `on` to close the loan: 0 if it is already closed.

    Arrears with late fees + all outstanding principal + (declining) interest accrued on the balance since the
    last due date, pro rata by days / 30 (at most a month) rounded half-up; (flat) no interest for instalments
    not yet due. Paying exactly this on `on` leaves the loan closed with nothing overpaid.
    """
    if on < terms.start:
        raise LoanError("A loan cannot be closed before it starts.")
    slots, _, _ = _replay(terms, payments, on)
    arrears = sum(s.left for s in slots if s.due <= on)
    m = next((i for i, s in enumerate(slots) if s.due > on), None)
    if m is None:
        return arrears
    future = sum(s.principal_left for s in slots[m:])
    accrued = 0
    if terms.method == Method.DECLINING:
        head = _accrued(terms, slots, m, on)
        accrued = _round_div(head.acc_num, _DEN) - head.paid_interest
    return arrears + future + accrued


# --- when money put toward the loan counts ------------------------------------------------------------


def toward_instalments(terms: Terms, payments: list[Payment]) -> list[Payment]:
    """The payments as they count against the schedule: money first settles the instalments in order.

    Each payment (oldest first) pays what is due on its day (arrears, late fees, an instalment due that day)
    at once. The rest settles the next instalments in order, each in full as scheduled, even before they are
    due: that part is *set aside* and counts on the instalment's due date, so paying ahead never makes her
    late. Only money that, with everything already set aside, covers `closure_amount` on its day is a true
    prepayment: it all counts at once, which closes the loan (`position`: interest not yet due is not charged,
    and anything beyond the whole loan is overpaid). So an early payment shortens the time left to repay (the
    last instalments come off), never the instalment.

    Returns payments dated when they count (some after the day they were made); the same paise in all.
    """
    counted: list[Payment] = []
    for payment in sorted(payments, key=lambda p: p.on):
        day, rest = payment.on, payment.amount_paise
        made = [p for p in counted if p.on <= day]
        ahead = [p for p in counted if p.on > day]
        now = position(terms, made, day)
        at_once = min(rest, now.arrears_paise)
        rest -= at_once
        if at_once:
            made.append(Payment(day, at_once))
        if rest and rest + sum(p.amount_paise for p in ahead) >= closure_amount(terms, made, day):
            made.append(Payment(day, rest + sum(p.amount_paise for p in ahead)))  # she closes the loan
            counted = made
            continue
        if rest:
            after = position(terms, made, day) if at_once else now
            set_aside: dict[date, int] = {}
            for p in ahead:
                set_aside[p.on] = set_aside.get(p.on, 0) + p.amount_paise
            for row in after.schedule:
                if rest == 0:
                    break
                if row.due <= day:
                    continue
                need = row.total_paise - after.paid[row.number].total_paise - set_aside.get(row.due, 0)
                if need > 0:
                    ahead.append(Payment(row.due, min(rest, need)))
                    rest -= min(rest, need)
            if rest:  # only when the schedule cannot take it (it always can: see closure above)
                made.append(Payment(day, rest))
        counted = made + ahead
    return counted


# --- a loan she already had when she joined ----------------------------------------------------------


def instalments_paid_for(terms: Terms, owed_principal_paise: int) -> int:
    """How many instalments of the schedule leave about `owed_principal_paise` of principal still owed (the
    nearest; a tie counts the fewer paid, so she is never shown as having paid more than she has)."""
    if not 0 <= owed_principal_paise <= terms.principal_paise:
        raise LoanError("What is still owed cannot be more than the loan amount.")
    left, best, gap = terms.principal_paise, 0, terms.principal_paise - owed_principal_paise
    for row in schedule(terms):
        left -= row.principal_paise
        if abs(left - owed_principal_paise) < gap:
            best, gap = row.number, abs(left - owed_principal_paise)
    return best


def paid_before(terms: Terms, instalments: int, last_paid_on: date | None = None) -> list[Payment]:
    """The first `instalments` instalments, repaid before she used Haat: each in full on its due date (or, for
    the last, on the day she says she paid it if that was earlier). An opening balance for the replay, not money
    in Haat's ledger."""
    rows = schedule(terms)
    if not 0 <= instalments < len(rows):
        raise LoanError("The instalments already paid must be fewer than all of the loan's instalments.")
    paid = [Payment(row.due, row.total_paise) for row in rows[:instalments] if row.total_paise]
    if paid and last_paid_on is not None and terms.start <= last_paid_on < paid[-1].on:
        paid[-1] = Payment(max(last_paid_on, paid[-2].on if len(paid) > 1 else terms.start), paid[-1].amount_paise)
    return paid
