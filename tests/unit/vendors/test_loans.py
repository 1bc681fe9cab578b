"""Loan mathematics: schedules, effective rate, allocation of repayments, early closure."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import examples
from vendors.loans import (
    Allocation,
    LoanError,
    Method,
    Payment,
    Terms,
    closure_amount,
    effective_annual_rate_bps,
    instalment_paise,
    position,
    schedule,
    toward_instalments,
)

RS_50K = 5_000_000


def declining(start: date = date(2024, 1, 1), fee: int = 0) -> Terms:
    return Terms(RS_50K, 1200, 12, Method.DECLINING, start, fee)


def flat(start: date = date(2024, 1, 1), fee: int = 0) -> Terms:
    return Terms(RS_50K, 1200, 12, Method.FLAT, start, fee)


# --- worked figures ---------------------------------------------------------------------------------


def test_declining_emi_and_interest_match_the_standard_calculator():
    rows = schedule(declining())
    assert instalment_paise(declining()) == 444_244
    assert [r.total_paise for r in rows[:11]] == [444_244] * 11
    assert rows[-1].total_paise == 444_243  # the last instalment absorbs the rounding
    assert sum(r.interest_paise for r in rows) == 330_927
    assert sum(r.principal_paise for r in rows) == RS_50K
    assert (rows[0].interest_paise, rows[0].principal_paise) == (50_000, 394_244)
    assert (rows[1].interest_paise, rows[1].principal_paise) == (46_058, 398_186)
    assert (rows[-1].interest_paise, rows[-1].principal_paise) == (4_398, 439_845)
    assert effective_annual_rate_bps(declining()) == 1200


def test_flat_instalments_and_interest():
    rows = schedule(flat())
    assert instalment_paise(flat()) == 466_667
    assert [(r.principal_paise, r.interest_paise) for r in rows[:11]] == [(416_667, 50_000)] * 11
    assert (rows[-1].principal_paise, rows[-1].interest_paise) == (416_663, 50_000)
    assert sum(r.interest_paise for r in rows) == 600_000
    assert sum(r.principal_paise for r in rows) == RS_50K


def test_flat_effective_rate_is_the_declining_equivalent():
    assert effective_annual_rate_bps(flat()) == 2146  # 21.457%: 12% flat costs almost twice what it says
    assert effective_annual_rate_bps(Terms(RS_50K, 0, 12, Method.FLAT, date(2024, 1, 1))) == 0


def test_due_dates_clamp_to_the_month_end_without_drifting():
    dues = [r.due for r in schedule(declining(start=date(2024, 1, 31)))]
    assert dues[:5] == [date(2024, 2, 29), date(2024, 3, 31), date(2024, 4, 30), date(2024, 5, 31),
                        date(2024, 6, 30)]
    assert dues[-1] == date(2025, 1, 31)
    assert schedule(flat(start=date(2023, 1, 31)))[0].due == date(2023, 2, 28)


def test_zero_rate_loan_is_principal_only():
    for method in Method:
        rows = schedule(Terms(100_000, 0, 3, method, date(2024, 1, 1)))
        assert [(r.principal_paise, r.interest_paise) for r in rows] == [(33_333, 0), (33_333, 0), (33_334, 0)]


def test_tiny_loan_over_a_long_tenure_never_schedules_negative_principal():
    rows = schedule(Terms(1_000, 0, 60, Method.FLAT, date(2024, 1, 1)))
    assert len(rows) == 60  # 17 paise a month would overshoot: 59 x 16 + 56
    assert rows[0].principal_paise == 16 and rows[-1].principal_paise == 56
    rows = schedule(Terms(1_000, 0, 60, Method.DECLINING, date(2024, 1, 1)))
    assert len(rows) == 59  # EMI 17: 58 x 17 + 14, the rounding repays it a month early
    assert rows[-1].principal_paise == 14 and sum(r.principal_paise for r in rows) == 1_000


@pytest.mark.parametrize(("change", "message"), [
    ({"principal_paise": 0}, "more than zero"),
    ({"principal_paise": 10_00_00_001}, "₹1 crore"),
    ({"annual_rate_bps": -1}, "cannot be negative"),
    ({"annual_rate_bps": 6001}, "60% a year"),
    ({"tenure_months": 0}, "at least 1 month"),
    ({"tenure_months": 361}, "360 months"),
    ({"late_fee_paise": -1}, "late fee cannot be negative"),
    ({"principal_paise": 5000.0}, "whole paise"),
])
def test_invalid_terms_are_refused_in_plain_english(change, message):
    values = {"principal_paise": RS_50K, "annual_rate_bps": 1200, "tenure_months": 12,
              "method": Method.FLAT, "start": date(2024, 1, 1)} | change
    with pytest.raises(LoanError, match=message):
        schedule(Terms(**values))


def test_the_limits_themselves_are_allowed():
    assert len(schedule(Terms(10_00_00_000, 6000, 360, Method.DECLINING, date(2024, 1, 1)))) == 360


def test_bad_payments_are_refused():
    with pytest.raises(LoanError, match="before the loan starts"):
        position(declining(), [Payment(date(2023, 12, 31), 100)], date(2024, 3, 1))
    with pytest.raises(LoanError, match="more than zero"):
        position(declining(), [Payment(date(2024, 2, 1), 0)], date(2024, 3, 1))


# --- repayments -------------------------------------------------------------------------------------


def test_on_time_payment_owes_no_fee_and_a_late_one_does():
    terms = declining(fee=10_000)
    on_time = position(terms, [Payment(date(2024, 2, 1), 444_244)], date(2024, 2, 10))
    assert on_time.penalties == {} and on_time.arrears_paise == 0 and on_time.overdue_days == 0
    assert on_time.next_due is not None and on_time.next_due.number == 2

    late = position(terms, [Payment(date(2024, 2, 2), 444_244)], date(2024, 2, 10))
    assert late.penalties == {1: 10_000}
    assert late.allocations == [Allocation(1, 10_000, 50_000, 384_244, 0)]  # fee, then interest, then principal
    assert late.arrears_paise == 10_000 and late.overdue_days == 9
    assert late.next_due is not None and late.next_due.number == 1 and late.next_due_left_paise == 10_000


def test_allocation_is_oldest_first_and_penalty_interest_principal():
    terms = declining(start=date(2024, 1, 31), fee=10_000)  # due 29 Feb, 31 Mar, 30 Apr ...
    first = [Payment(date(2024, 3, 5), 30_000)]
    early = position(terms, first, date(2024, 3, 5))
    assert early.allocations == [Allocation(1, 10_000, 20_000, 0, 0)]
    assert (early.arrears_paise, early.overdue_days) == (424_244, 5)

    on_second_due = position(terms, first, date(2024, 3, 31))  # due today: in arrears, not yet late
    assert (on_second_due.arrears_paise, on_second_due.overdue_days) == (868_488, 31)
    assert on_second_due.penalties == {1: 10_000}
    day_after = position(terms, first, date(2024, 4, 1))
    assert (day_after.arrears_paise, day_after.overdue_days) == (878_488, 32)
    assert day_after.penalties == {1: 10_000, 2: 10_000}

    both = first + [Payment(date(2024, 4, 1), 900_000)]
    pos = position(terms, both, date(2024, 4, 1))
    assert pos.allocations[1:] == [
        Allocation(1, 0, 30_000, 394_244, 1),
        Allocation(2, 10_000, 46_058, 398_186, 1),
        # 21,512 left: 1 day's interest on 42,075.70 (1,403) then principal, booked on instalment 3
        Allocation(3, 0, 1_403, 20_109, 1),
    ]
    assert (pos.arrears_paise, pos.overdue_days) == (0, 0)
    assert pos.outstanding_principal_paise == 4_187_461
    assert pos.next_due_left_paise == 444_244 - 1_403  # the EMI stays the same
    assert pos.paid[1].total_paise == 10_000 + 50_000 + 394_244


def test_a_prepayment_shortens_a_declining_loan_with_the_same_emi():
    terms = declining()
    pos = position(terms, [Payment(date(2024, 2, 1), 444_244 + 1_000_000)], date(2024, 2, 1))
    assert pos.allocations == [Allocation(1, 0, 50_000, 394_244, 0), Allocation(2, 0, 0, 1_000_000, 0)]
    assert pos.outstanding_principal_paise == 3_605_756
    assert len(pos.schedule) == 10 and pos.schedule[-1].due == date(2024, 11, 1)
    assert pos.schedule[1].interest_paise == 36_058  # 1% of 36,057.56 on the lower balance
    assert pos.schedule[1].principal_paise == 1_000_000 + 444_244 - 36_058
    assert pos.schedule[2].interest_paise == 31_976
    assert [r.total_paise for r in pos.schedule[2:9]] == [444_244] * 7
    assert sum(r.interest_paise for r in pos.schedule) == 224_092  # instead of 330,927
    assert sum(r.principal_paise for r in pos.schedule) == RS_50K
    assert pos.next_due_left_paise == 444_244


def test_a_flat_prepayment_pays_future_principal_but_interest_stays_due():
    terms = flat()
    pos = position(terms, [Payment(date(2024, 2, 1), 466_667 + 500_000)], date(2024, 2, 1))
    assert pos.allocations == [Allocation(1, 0, 50_000, 416_667, 0), Allocation(2, 0, 0, 416_667, 0),
                               Allocation(3, 0, 0, 83_333, 0)]
    assert pos.outstanding_principal_paise == RS_50K - 416_667 * 2 - 83_333
    assert pos.next_due is not None and pos.next_due.number == 2 and pos.next_due_left_paise == 50_000
    later = position(terms, [Payment(date(2024, 2, 1), 466_667 + 500_000)], date(2024, 3, 10))
    assert (later.arrears_paise, later.overdue_days) == (50_000, 9)


def test_early_closure_of_a_declining_loan():
    terms = declining()
    paid = [Payment(date(2024, 2, 1), 444_244)]
    amount = closure_amount(terms, paid, date(2024, 2, 16))
    assert amount == 4_605_756 + 23_029  # 15/30 of a month's 1% on 46,057.56
    pos = position(terms, [*paid, Payment(date(2024, 2, 16), amount)], date(2024, 2, 16))
    assert pos.closed and pos.outstanding_principal_paise == 0 and pos.overpaid_paise == 0
    assert pos.allocations[-1] == Allocation(2, 0, 23_029, 4_605_756, 1)
    assert pos.next_due is None and pos.arrears_paise == 0
    assert closure_amount(terms, [*paid, Payment(date(2024, 2, 16), amount)], date(2024, 3, 20)) == 0
    assert position(terms, [*paid, Payment(date(2024, 2, 16), amount)], date(2025, 6, 1)).closed


def test_early_closure_of_a_flat_loan_drops_interest_not_yet_due():
    terms = flat(fee=5_000)
    paid = [Payment(date(2024, m, 1), 466_667) for m in (2, 3)]  # the third instalment (1 Apr) is missed
    amount = closure_amount(terms, paid, date(2024, 4, 20))
    assert amount == 5_000 + 466_667 + (RS_50K - 3 * 416_667)
    pos = position(terms, [*paid, Payment(date(2024, 4, 20), amount)], date(2024, 4, 20))
    assert pos.closed and pos.overpaid_paise == 0 and pos.outstanding_principal_paise == 0
    assert sum(p.interest_paise for p in pos.paid.values()) == 150_000
    assert [r.number for r in pos.schedule][-1] == 12 and pos.schedule[-1].interest_paise == 0


def test_an_overpayment_is_reported_and_returned():
    terms = declining()
    amount = closure_amount(terms, [], date(2024, 1, 11)) + 5_000
    assert amount == RS_50K + 16_667 + 5_000  # 10 days of interest on Rs 50,000
    pos = position(terms, [Payment(date(2024, 1, 11), amount)], date(2024, 1, 11))
    assert pos.closed and pos.overpaid_paise == 5_000
    assert pos.allocations == [Allocation(1, 0, 16_667, RS_50K, 0), Allocation(None, 0, 0, 0, 0, 5_000)]
    after = position(terms, [Payment(date(2024, 1, 11), amount), Payment(date(2024, 3, 1), 700)], date(2024, 3, 1))
    assert after.overpaid_paise == 5_700


def test_payments_after_the_day_are_ignored_and_equal_dates_keep_their_order():
    terms = declining(fee=10_000)
    pays = [Payment(date(2024, 3, 1), 500_000), Payment(date(2024, 2, 5), 100), Payment(date(2024, 2, 5), 200)]
    pos = position(terms, pays, date(2024, 2, 5))
    assert [a.payment_index for a in pos.allocations] == [1, 2]
    assert pos.allocations[0] == Allocation(1, 100, 0, 0, 1)
    assert pos.allocations[1] == Allocation(1, 200, 0, 0, 2)


# --- properties -------------------------------------------------------------------------------------


@st.composite
def loans(draw: st.DrawFn) -> tuple[Terms, list[Payment], date]:
    terms = Terms(
        principal_paise=draw(st.integers(1_000, 5_000_000)),
        annual_rate_bps=draw(st.integers(0, 3600)),
        tenure_months=draw(st.integers(1, 60)),
        method=draw(st.sampled_from(list(Method))),
        start=draw(st.dates(date(2020, 1, 1), date(2030, 12, 31))),
        late_fee_paise=draw(st.integers(0, 50_000)),
    )
    life = (schedule(terms)[-1].due - terms.start).days + 60
    payments = draw(st.lists(st.builds(Payment, st.integers(0, life).map(lambda d: terms.start + timedelta(d)),
                                       st.integers(1, 2_000_000)), max_size=20))
    on = terms.start + timedelta(draw(st.integers(0, life)))
    return terms, payments, on


@settings(max_examples=examples(200))  # pure arithmetic: cheap
@given(loans())
def test_no_paisa_is_created_or_lost(loan):
    terms, payments, on = loan
    pos = position(terms, payments, on)
    made = [p for p in payments if p.on <= on]
    allocated = sum(a.penalty_paise + a.interest_paise + a.principal_paise for a in pos.allocations)
    assert allocated + pos.overpaid_paise == sum(p.amount_paise for p in made)
    assert sum(a.overpaid_paise for a in pos.allocations) == pos.overpaid_paise
    for index, payment in enumerate(payments):
        mine = sum(a.total_paise for a in pos.allocations if a.payment_index == index)
        assert mine == (payment.amount_paise if payment.on <= on else 0)
    assert sum(p.total_paise for p in pos.paid.values()) == allocated
    assert pos.outstanding_principal_paise >= 0 and pos.arrears_paise >= 0 and pos.overpaid_paise >= 0
    assert pos.outstanding_principal_paise == sum(r.principal_paise for r in pos.schedule) - sum(
        p.principal_paise for p in pos.paid.values())
    assert sum(r.principal_paise for r in pos.schedule) == terms.principal_paise
    for row in pos.schedule:
        paid = pos.paid[row.number]
        assert 0 <= paid.interest_paise <= row.interest_paise
        assert 0 <= paid.principal_paise <= row.principal_paise
        assert 0 <= paid.penalty_paise <= pos.penalties.get(row.number, 0) <= terms.late_fee_paise
    assert pos.closed == (pos.next_due is None)
    if pos.overpaid_paise:
        assert pos.closed


@settings(max_examples=examples(200))  # pure arithmetic: cheap
@given(loans())
def test_schedules_are_sound(loan):
    terms = loan[0]
    rows = schedule(terms)
    assert sum(r.principal_paise for r in rows) == terms.principal_paise
    assert all(r.interest_paise >= 0 and r.principal_paise >= 0 for r in rows)
    assert [r.number for r in rows] == list(range(1, len(rows) + 1)) and len(rows) <= terms.tenure_months
    assert rows[-1].principal_paise > 0
    assert all(a.due < b.due for a, b in zip(rows, rows[1:], strict=False))
    if terms.method == Method.FLAT:
        assert len(rows) == terms.tenure_months
        exact = terms.principal_paise * terms.annual_rate_bps * terms.tenure_months / 120_000
        assert abs(sum(r.interest_paise for r in rows) - exact) <= 0.5


@settings(max_examples=examples(200))  # pure arithmetic: cheap
@given(loans())
def test_paying_every_instalment_on_its_due_date_closes_the_loan(loan):
    terms = loan[0]
    rows = schedule(terms)
    payments = [Payment(r.due, r.total_paise) for r in rows if r.total_paise]
    pos = position(terms, payments, rows[-1].due + timedelta(days=40))
    assert pos.closed and pos.arrears_paise == 0 and pos.overdue_days == 0
    assert pos.penalties == {} and pos.overpaid_paise == 0 and pos.outstanding_principal_paise == 0
    assert pos.schedule == rows
    middle = position(terms, payments, rows[len(rows) // 2].due)
    assert middle.arrears_paise == 0 and middle.overdue_days == 0


@settings(max_examples=examples(200))  # pure arithmetic: cheap
@given(loans())
def test_paying_the_closure_amount_closes_the_loan_exactly(loan):
    terms, payments, on = loan
    made = [p for p in payments if p.on <= on]
    amount = closure_amount(terms, made, on)
    before = position(terms, made, on)
    assert amount >= before.arrears_paise and amount >= before.outstanding_principal_paise
    assert (amount == 0) == before.closed
    if amount == 0:
        assert before.closed
        return
    pos = position(terms, [*made, Payment(on, amount)], on)
    assert pos.closed and pos.overpaid_paise == before.overpaid_paise and pos.outstanding_principal_paise == 0
    assert closure_amount(terms, [*made, Payment(on, amount)], on) == 0


@settings(max_examples=examples(50))
@given(st.integers(100_000, 5_000_000), st.integers(100, 3600), st.integers(2, 60))
def test_a_flat_loan_costs_more_than_its_nominal_rate(principal, rate, tenure):
    terms = Terms(principal, rate, tenure, Method.FLAT, date(2024, 1, 1))
    assert rate < effective_annual_rate_bps(terms) < 2 * rate
    one_month = effective_annual_rate_bps(Terms(principal, rate, 1, Method.FLAT, date(2024, 1, 1)))
    assert abs(one_month - rate) <= 1  # one instalment: flat and declining agree, up to a paisa of rounding


# --- money paid ahead settles the next instalments (issue 16, item 1) ------------------------------------


def counted_position(terms: Terms, payments: list[Payment], on: date):
    return position(terms, toward_instalments(terms, payments), on)


@pytest.mark.parametrize("paid", [444_244, 444_245, 544_244])
def test_paying_a_little_over_an_instalment_before_it_is_due_is_on_time(paid):
    terms = Terms(RS_50K, 1200, 12, Method.DECLINING, date(2026, 11, 12), 10_000)  # due 12 Dec: Rs 4,442.44
    pos = counted_position(terms, [Payment(date(2026, 12, 7), paid)], date(2026, 12, 13))
    assert (pos.overdue_days, pos.arrears_paise, pos.penalties) == (0, 0, {})
    assert pos.paid[1].total_paise == 444_244 and pos.next_due.number == 2
    counted = toward_instalments(terms, [Payment(date(2026, 12, 7), paid)])
    assert sum(p.amount_paise for p in counted if p.on == date(2027, 1, 12)) == paid - 444_244  # set aside for 2


def test_a_flat_loan_paid_far_ahead_is_on_time_until_the_money_runs_out():
    terms = Terms(12_000_00, 2400, 12, Method.FLAT, date(2026, 11, 1), 10_000)  # Rs 1,240 a month
    paid = [Payment(date(2026, 11, 20), 11_000_00)]  # eight instalments and Rs 1,080 of the ninth
    eighth = schedule(terms)[7].due
    assert counted_position(terms, paid, eighth + timedelta(days=20)).overdue_days == 0
    assert counted_position(terms, paid, schedule(terms)[8].due + timedelta(days=1)).overdue_days == 1
    assert counted_position(terms, paid, schedule(terms)[8].due).arrears_paise == 1_240_00 - 1_080_00


def test_paying_the_closure_amount_ahead_still_closes_the_loan():
    terms = declining()
    amount = closure_amount(terms, [], date(2024, 1, 11))
    pos = counted_position(terms, [Payment(date(2024, 1, 5), 100_000), Payment(date(2024, 1, 11), amount - 100_000)],
                           date(2024, 1, 11))
    assert pos.closed and pos.overpaid_paise == 0


@st.composite
def paid_ahead(draw: st.DrawFn) -> tuple[Terms, list[Payment]]:
    """A loan and payments that bring, by each due date, at least all the instalments due by then, in pieces
    made on any days from the start (so money for a later instalment may come months early)."""
    terms = Terms(draw(st.integers(1_000, 5_000_000)), draw(st.integers(0, 3600)), draw(st.integers(1, 24)),
                  draw(st.sampled_from(list(Method))), draw(st.dates(date(2020, 1, 1), date(2030, 12, 31))),
                  draw(st.integers(0, 50_000)))
    payments = []
    start = terms.start
    for row in schedule(terms):
        pieces = draw(st.integers(1, 3))
        amount = row.total_paise + draw(st.sampled_from([0, 0, 1, draw(st.integers(0, 500_000))]))
        cuts = sorted(draw(st.lists(st.integers(0, amount), min_size=pieces - 1, max_size=pieces - 1)))
        for low, high in zip([0, *cuts], [*cuts, amount], strict=True):
            if high > low:
                payments.append(Payment(start + timedelta(draw(st.integers(0, (row.due - start).days))), high - low))
        start = draw(st.sampled_from([terms.start, start, row.due]))  # sometimes early, sometimes in its month
    return terms, payments


@settings(deadline=None, max_examples=80)
@given(paid_ahead())
def test_paying_each_instalment_by_its_due_date_split_any_way_is_never_late(loan):
    terms, payments = loan
    counted = toward_instalments(terms, payments)
    assert sorted(p.amount_paise for p in payments) and sum(p.amount_paise for p in counted) == sum(
        p.amount_paise for p in payments)
    for row in schedule(terms):
        for day in (row.due, row.due + timedelta(days=1)):
            pos = position(terms, counted, day)
            assert pos.overdue_days == 0 and pos.penalties == {}, (row.number, day)
    assert position(terms, counted, schedule(terms)[-1].due).closed


@settings(deadline=None, max_examples=100)
@given(loans())
def test_money_paid_ahead_is_neither_lost_nor_counted_before_it_came(loan):
    terms, payments, on = loan
    counted = toward_instalments(terms, payments)
    assert sum(p.amount_paise for p in counted) == sum(p.amount_paise for p in payments)
    assert all(p.amount_paise > 0 for p in counted)
    for day in {p.on for p in counted} | {p.on for p in payments}:  # never counted before it was paid
        assert sum(p.amount_paise for p in counted if p.on <= day) <= sum(p.amount_paise for p in payments
                                                                           if p.on <= day)
    pos = position(terms, counted, on)
    assert pos.outstanding_principal_paise >= 0 and pos.arrears_paise >= 0
