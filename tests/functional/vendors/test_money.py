"""Her plan fed by her sales: loans, shares of each sale, savings, goals, refunds taking back their share."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from market.core import clock, ledger
from tests.conftest import NO_CLOCK_CHECKS, examples, login, reload
from tests.factories import gen_product
from vendors import finance
from vendors.models import AllocationRule, Goal, Loan


def add_loan(client, **change):
    data = {"source": "shg", "lender": "Our SHG", "principal": "12000", "rate": "12", "method": "declining",
            "tenure": "12", "start": (clock.today() - timedelta(days=10)).isoformat(), **change}
    return client.post("/seller/money/loans/new", data=data, follow_redirects=True)


def sale(client, amount: str, business_id: int):
    page = client.get("/seller/sales").text
    key = re.search(r'name="client_id" type="hidden" value="([^"]+)"', page).group(1)
    return client.post("/seller/sales", data={"client_id": key, "business": business_id, "amount": amount,
                                              "method": "cash", "variant": 0})


@pytest.mark.parametrize(("change", "message"), [
    ({"principal": ""}, "Write the amount borrowed"),
    ({"principal": "abc"}, "in numbers"),
    ({"rate": ""}, "Write the rate"),
    ({"rate": "75"}, "between 0 and 60"),
    ({"tenure": "0"}, "between 1 and 360"),
    ({"source": ""}, "Choose one"),
])
def test_a_wrong_loan_is_explained_and_nothing_is_saved(client, session, world, change, message):
    login(client, world.member_a.user.phone)
    page = add_loan(client, **change).text
    assert message in page
    reload(session)
    assert session.scalar(sa.select(sa.func.count()).select_from(Loan)) == 0


def test_a_stall_sale_pays_toward_her_next_instalment_and_savings(client, session, world):
    world.group_a.monthly_saving_paise = 200_00
    session.commit()
    login(client, world.member_a.user.phone)
    assert "Shares of each sale" in add_loan(client).text
    loan = session.scalar(sa.select(Loan))
    client.post("/seller/money/shares", data={f"share-loan-{loan.id}": "50", f"kind-loan-{loan.id}": "percent",
                                              "share-savings": "150", "kind-savings": "rupees"})
    reload(session)
    assert [(r.target, r.percent_bps, r.fixed_paise) for r in session.scalars(
        sa.select(AllocationRule).order_by(AllocationRule.position))] == [("loan", 5000, None),
                                                                           ("savings", None, 150_00)]
    emi = finance.loan_position(session, loan).next_due.total_paise
    assert emi == 1_066_19  # Rs 12,000 at 12% over 12 months, reducing balance

    sale(client, "1000", world.shop_a.id)
    reload(session)
    assert -ledger.balance(session, ledger.member_loan(world.member_a.id, loan.id)) == 500_00
    assert -ledger.balance(session, ledger.member_savings(world.member_a.id)) == 150_00
    assert ledger.balance(session, ledger.cash(world.shop_a.id)) == 1000_00
    assert ledger.balance(session, ledger.set_aside(world.shop_a.id)) == 650_00  # of that cash, for her plan
    page = client.get("/seller/money").text
    assert "₹500.00" in page and "of ₹1,066.19 paid" in page and "This month: ₹150.00 of ₹200.00" in page

    sale(client, "2000", world.shop_a.id)  # capped at what is due: the instalment's rest, the month's saving
    reload(session)
    assert -ledger.balance(session, ledger.member_loan(world.member_a.id, loan.id)) == 1_066_19
    assert -ledger.balance(session, ledger.member_savings(world.member_a.id)) == 200_00
    assert finance.loan_position(session, loan).next_due.number == 2


def test_shares_must_be_hers_and_not_more_than_the_whole_sale(client, session, world):
    login(client, world.member_a.user.phone)
    add_loan(client)
    loan = session.scalar(sa.select(Loan))
    page = client.post("/seller/money/shares", data={f"share-loan-{loan.id}": "80", "share-savings": "30"},
                       follow_redirects=True).text
    assert "more than the whole sale" in page
    page = client.post("/seller/money/shares", data={f"share-loan-{loan.id}": "ten"}, follow_redirects=True).text
    assert "as a number" in page
    with pytest.raises(finance.PlanError, match="one share only"):
        finance.set_shares(session, world.member_a, [finance.Share("savings", percent_bps=100)] * 2)
    reload(session)
    assert session.scalar(sa.select(sa.func.count()).select_from(AllocationRule)) == 0
    client.post("/auth/logout")
    login(client, world.member_b.user.phone)  # another member cannot aim a share at her loan
    with pytest.raises(finance.PlanError):
        finance.set_shares(session, world.member_b, [finance.Share("loan", percent_bps=1000, loan_id=loan.id)])
    assert client.post(f"/seller/money/loans/{loan.id}/repaid",
                       data={"amount": "100", "paid_on": clock.today().isoformat()}).status_code == 404


def cash_sale_with_her_plan(session, world, make_app, shares: list[int]):
    """Shop A sells Rs 900 in cash; her plan puts `shares` (basis points) toward her loan, then her savings.
    Returns the client, logged in as her, the order and the loan."""
    from tests.functional.payments.conftest import checkout

    client = make_app().test_client()
    loan = finance.add_loan(session, world.member_a, world.member_a.user, "bank", "", 50_000_00, 1200,
                            "declining", 12, clock.today() - timedelta(days=5))
    world.group_a.monthly_saving_paise = 1_000_00
    targets = [{"loan_id": loan.id, "target": "loan"}, {"target": "savings"}]
    finance.set_shares(session, world.member_a, [finance.Share(percent_bps=bps, **targets[n])
                                                 for n, bps in enumerate(shares)])
    kurti = gen_product(session, world.shop_a, title="Indigo kurti", price_paise=45_000, stock=5)
    podi = gen_product(session, world.shop_b, title="Idli podi", category_slug="spices", price_paise=11_000)
    session.commit()
    order = checkout(client, session, world, (kurti, podi), pay_with="cash", both=False).orders[0]
    client.post("/auth/logout")
    login(client, world.member_a.user.phone)
    client.post(f"/orders/{order.id}/status", data={"to": "confirmed"})
    client.post(f"/orders/{order.id}/cash-received")
    reload(session)
    return client, order, loan


@pytest.mark.parametrize(("shares", "refund", "left"), [
    ([2000], "450", 90_00),  # half the order back: half the share back
    ([3333, 3333], "333.33", 29_997 - 29_997 * 333_33 // 900_00),  # odd shares and an odd refund still balance
])
def test_a_refund_takes_back_the_share_its_sale_funded(session, world, make_app, shares, refund, left):
    client, order, loan = cash_sale_with_her_plan(session, world, make_app, shares)
    code = ledger.member_loan(world.member_a.id, loan.id)
    assert -ledger.balance(session, code) == 900_00 * shares[0] // 10_000
    client.post(f"/orders/{order.id}/refund", data={"amount": refund})
    reload(session)
    assert -ledger.balance(session, code) == left
    assert finance.repayments(session, session.get(Loan, loan.id))[0].amount_paise == left


def test_a_cash_sale_refunded_in_parts_gives_back_every_paisa_of_her_shares(session, world, make_app):
    client, order, loan = cash_sale_with_her_plan(session, world, make_app, [3333, 3333])
    codes = (ledger.member_loan(world.member_a.id, loan.id), ledger.member_savings(world.member_a.id),
             ledger.set_aside(world.shop_a.id))
    assert [ledger.balance(session, c) for c in codes] == [-29_997, -29_997, 59_994]
    # Rs 900 back in three parts that do not divide her shares evenly (29,997 * 30,039 / 90,000 is not whole).
    for n, part in enumerate(("300.39", "300.39", "299.22")):
        client.post(f"/orders/{order.id}/refund", data={"amount": part})
        reload(session)
        given = (30_039, 60_078, 90_000)[n]
        assert -ledger.balance(session, codes[0]) == 29_997 - 29_997 * given // 90_000  # cumulative, not per part
    assert [ledger.balance(session, c) for c in codes] == [0, 0, 0]
    assert finance.repayments(session, session.get(Loan, loan.id)) == []


def test_a_cash_repayment_at_the_meeting_counts(client, session, world):
    login(client, world.member_a.user.phone)
    add_loan(client)
    loan = session.scalar(sa.select(Loan))
    tomorrow = (clock.today() + timedelta(days=1)).isoformat()
    assert "between the loan" in client.post(f"/seller/money/loans/{loan.id}/repaid",
                                             data={"amount": "100", "paid_on": tomorrow},
                                             follow_redirects=True).text
    client.post(f"/seller/money/loans/{loan.id}/repaid", data={"amount": "1066.19",
                                                               "paid_on": clock.today().isoformat()})
    reload(session)
    assert finance.loan_position(session, loan).next_due.number == 2


def test_a_goal_fills_from_its_share(client, session, world):
    login(client, world.member_a.user.phone)
    page = client.post("/seller/money/goals/new", data={"kind": "school", "title": "School fees", "target": "3000",
                                                        "target_date": (date.today() - timedelta(days=1)).isoformat()},
                       follow_redirects=True).text
    assert "date in the future" in page
    client.post("/seller/money/goals/new", data={"kind": "school", "title": "School fees", "target": "3000",
                                                 "target_date": (date.today() + timedelta(days=90)).isoformat()})
    goal = session.scalar(sa.select(Goal))
    client.post("/seller/money/shares", data={f"share-goal-{goal.id}": "10"})
    sale(client, "1500", world.shop_a.id)
    page = client.get("/seller/money").text
    assert "₹150.00 of ₹3,000.00" in page


def test_staff_set_the_group_saving_only_for_their_own_groups(client, session, world):
    login(client, world.staff_a.email)
    client.post(f"/staff/groups/{world.group_a.id}/saving", data={"monthly": "100"})
    assert client.post(f"/staff/groups/{world.group_b.id}/saving", data={"monthly": "100"}).status_code == 403
    reload(session)
    assert (world.group_a.monthly_saving_paise, world.group_b.monthly_saving_paise) == (100_00, 0)


def test_my_money_with_nothing_set_up_explains_itself(client, session, world):
    login(client, world.member_a.user.phone)
    page = client.get("/seller/money").text
    assert "No loans written here" in page and "All of each sale is take-home money now" in page


def test_a_payment_while_an_instalment_is_late_pays_it_at_once(session, world):
    start = clock.today() - timedelta(days=45)  # instalment 1 fell due about two weeks ago
    loan = finance.add_loan(session, world.member_a, world.member_a.user, "shg", "", 12_000_00, 1200, "declining",
                            12, start, late_fee_paise=50_00)
    late = finance.loan_position(session, loan)
    assert late.overdue_days > 0 and late.arrears_paise == 1_066_19 + 50_00  # the fine is due too
    finance.record_repayment(session, loan, 1_116_19, clock.today())
    now = finance.loan_position(session, loan)
    assert now.overdue_days == 0 and now.arrears_paise == 0 and now.next_due.number == 2
    session.rollback()


share_strategy = st.lists(st.tuples(st.sampled_from(["loan", "savings", "goal"]), st.booleans(),
                                    st.integers(1, 10_000)), max_size=4)


@settings(max_examples=examples(60),  # database work: fewer
          suppress_health_check=[*NO_CLOCK_CHECKS, HealthCheck.function_scoped_fixture])
@given(shares=share_strategy, sales=st.lists(st.integers(1, 5_000_00), min_size=1, max_size=6),
       saving=st.integers(0, 500_00))
def test_allocations_never_create_or_lose_a_paisa(session, world, shares, sales, saving):
    try:
        _allocate_and_check(session, world, shares, sales, saving)
    finally:
        session.rollback()


def _allocate_and_check(session, world, shares, sales, saving):
    world.group_a.monthly_saving_paise = saving
    loan = finance.add_loan(session, world.member_a, world.member_a.user, "bank", "", 20_000_00, 1400, "flat", 10,
                            clock.today() - timedelta(days=3))
    goal = finance.add_goal(session, world.member_a, "stock", "Diwali stock", 3_000_00,
                            clock.today() + timedelta(days=60))
    rules, percent_left, seen = [], 10_000, set()
    for target, as_percent, size in shares:
        if target in seen:
            continue
        seen.add(target)
        ids = {"loan_id": loan.id} if target == "loan" else {"goal_id": goal.id} if target == "goal" else {}
        if as_percent:
            size = min(size, percent_left)
            if not size:
                continue
            percent_left -= size
            rules.append(finance.Share(target, percent_bps=size, **ids))
        else:
            rules.append(finance.Share(target, fixed_paise=size * 10, **ids))
    finance.set_shares(session, world.member_a, rules)
    emi = finance.loan_position(session, loan).next_due.total_paise
    for amount in sales:
        taken = finance.allocate(session, world.shop_a, amount, ledger.set_aside(world.shop_a.id))
        assert 0 <= taken <= amount
    put = ledger.balance(session, ledger.set_aside(world.shop_a.id))
    to_loan = -ledger.balance(session, ledger.member_loan(world.member_a.id, loan.id))
    to_savings = -ledger.balance(session, ledger.member_savings(world.member_a.id))
    to_goal = -ledger.balance(session, ledger.member_goal(world.member_a.id, goal.id))
    assert put == to_loan + to_savings + to_goal <= sum(sales)  # every paisa taken went somewhere, once
    assert to_loan <= emi and to_savings <= saving and to_goal <= goal.target_paise  # never more than is due
    assert ledger.unbalanced_entries(session) == []


def test_savings_paid_in_cash_and_sales_add_up_in_the_group_fund(client, session, world):
    world.group_a.monthly_saving_paise = 300_00
    loan = finance.add_loan(session, world.member_a, world.member_a.user, "shg", "", 6_000_00, 1200, "flat", 6,
                            clock.today() - timedelta(days=3))
    finance.set_shares(session, world.member_a, [finance.Share("savings", percent_bps=1000)])
    session.commit()
    login(client, world.member_a.user.phone)
    assert "between ₹1 and ₹1,00,000" in client.post("/seller/money/savings", data={"monthly": "0"},
                                                     follow_redirects=True).text
    client.post("/seller/money/savings", data={"monthly": "100"})
    sale(client, "1000", world.shop_a.id)  # 10% -> Rs 100 more
    client.post(f"/seller/money/loans/{loan.id}/repaid", data={"amount": "1060",
                                                               "paid_on": clock.today().isoformat()})
    reload(session)
    fund = finance.group_fund(session, world.group_a.id)
    # The first instalment is not due yet: the Rs 1,060 is set aside for it, not repaid, and no principal is back.
    assert (fund.saved_paise, fund.repaid_paise, fund.set_aside_paise) == (200_00, 0, 1_060_00)
    assert fund.lent_out_paise == 6_000_00
    client.post("/auth/logout")
    login(client, world.staff_a.email)
    page = client.get(f"/staff/groups/{world.group_a.id}").text
    assert "₹200.00" in page and "₹1,060.00" in page and "₹6,000.00" in page


def test_her_loan_page_shows_the_schedule_and_the_real_cost_of_a_flat_loan(client, session, world):
    loan = finance.add_loan(session, world.member_a, world.member_a.user, "bank", "", 50_000_00, 1200, "flat", 12,
                            clock.today() - timedelta(days=3))
    session.commit()
    login(client, world.member_a.user.phone)
    page = client.get(f"/seller/money/loans/{loan.id}").text
    assert page.count("₹4,666.67") == 11 and "₹4,666.63" in page  # the last instalment absorbs rounding
    assert "21.46%" in page and "12.00%" in page
    client.post("/auth/logout")
    login(client, world.member_b.user.phone)
    assert client.get(f"/seller/money/loans/{loan.id}").status_code == 404


@pytest.mark.parametrize("method", ["declining", "flat"])
def test_paying_the_closure_amount_closes_her_loan_today(session, world, method):
    loan = finance.add_loan(session, world.member_a, world.member_a.user, "bank", "", 30_000_00, 1500, method, 12,
                            clock.today() - timedelta(days=50))
    finance.record_repayment(session, loan, 2_800_00, clock.today() - timedelta(days=15))  # instalment 1
    closing = finance.closure_paise(session, loan)  # what her loan page says closes it today
    finance.record_repayment(session, loan, closing, clock.today())
    position = finance.loan_position(session, loan)
    assert position.closed and position.outstanding_principal_paise == 0
    session.rollback()


# -- paying ahead (issue 16, item 1) --------------------------------------------------------------------------

def _months_later(day: date, months: int) -> date:
    from vendors.loans import due_date
    return due_date(day, months)


@pytest.mark.parametrize("paid", [4_442_44, 4_442_45, 5_442_44])
def test_paying_a_little_over_an_instalment_before_it_is_due_keeps_her_off_the_dashboards(session, world, paid):
    from market.reports.dashboards import figures, scope_for
    from vendors.models import LoanStatus

    start = clock.today() - timedelta(days=25)  # the first instalment (Rs 4,442.44) falls due in a few days
    loan = finance.add_loan(session, world.member_a, world.member_a.user, "bank", "", 50_000_00, 1200, "declining",
                            12, start, 100_00)
    finance.record_repayment(session, loan, paid, clock.today())
    day_after = _months_later(start, 1) + timedelta(days=1)
    finance.refresh_status(session, loan, day_after)
    status = session.get(LoanStatus, loan.id)
    assert (status.overdue_days, world.member_a.late_days) == (0, 0)
    state = finance.loan_state(session, loan, day_after)
    assert (state.position.arrears_paise, state.position.penalties) == (0, {})
    f = figures(session, scope_for(session, "organisation", str(world.org_a.id), None), day_after)
    assert (f.loans, f.overdue, f.par30_bps) == (1, 0, 0)


def test_a_flat_loan_paid_far_ahead_is_not_at_risk(session, world):
    from market.reports.dashboards import figures, members_to_visit, scope_for

    start = clock.today() - timedelta(days=5)
    loan = finance.add_loan(session, world.member_a, world.member_a.user, "shg", "", 12_000_00, 2400, "flat", 12,
                            start)
    finance.record_repayment(session, loan, 11_000_00, clock.today())
    later = _months_later(start, 3)  # two months after the first instalment
    finance.refresh_status(session, loan, later)
    scope = scope_for(session, "organisation", str(world.org_a.id), None)
    f = figures(session, scope, later)
    assert (f.overdue, f.par30_bps) == (0, 0)
    visits = members_to_visit(session, scope, later)
    assert [v.late_days for v in visits if v.member.id == world.member_a.id] in ([], [0])


# -- a loan she already had when she joined (issue 16, item 2) ----------------------------------------------

def _running_since() -> date:
    """A loan given a month and six days ago: its first instalment fell due six days ago."""
    from vendors.loans import due_date
    today = clock.today()
    start = today - timedelta(days=36)
    while due_date(start, 1) > today - timedelta(days=6):
        start -= timedelta(days=1)
    return start


@pytest.mark.parametrize("already", [{"paid_instalments": "1"}, {"owed": "19,000"}, {"paid_instalments": "1",
                                                                                    "last_paid": "start+20"}])
def test_a_loan_she_already_repays_is_on_time_on_her_first_day(client, session, world, already):
    from vendors.models import LoanStatus

    start = _running_since()
    already = {k: (start + timedelta(days=20)).isoformat() if v == "start+20" else v for k, v in already.items()}
    login(client, world.member_a.user.phone)
    add_loan(client, principal="20000", rate="12", tenure="24", start=start.isoformat(), **already)
    reload(session)
    loan = session.scalar(sa.select(Loan))
    assert loan.paid_before_instalments == 1
    assert "Late by" not in client.get("/seller/money").text
    assert session.get(LoanStatus, loan.id).overdue_days == 0 and world.member_a.late_days == 0
    state = finance.loan_state(session, loan)
    assert state.position.next_due.number == 2 and state.position.arrears_paise == 0
    # An opening balance, not money: nothing in the ledger, nothing repaid through Haat.
    assert ledger.balance(session, ledger.member_loan(world.member_a.id, loan.id)) == 0
    assert finance.group_fund(session, world.group_a.id).repaid_paise == 0


def test_without_what_is_repaid_a_running_loan_is_late_and_a_fully_repaid_one_is_refused(client, session, world):
    start = _running_since()
    login(client, world.member_a.user.phone)
    add_loan(client, principal="20000", tenure="24", start=start.isoformat())
    assert "Late by 6 days" in client.get("/seller/money").text
    page = add_loan(client, principal="20000", tenure="24", start=start.isoformat(), paid_instalments="24").text
    assert "repaid in full" in page
    assert "not more than the amount borrowed" in add_loan(client, principal="20000", tenure="24",
                                                           start=start.isoformat(), owed="25000").text
    reload(session)
    assert session.scalar(sa.select(sa.func.count()).select_from(Loan)) == 1


# -- one vocabulary (issue 16, item 8) ------------------------------------------------------------------------

def test_every_screen_and_export_names_a_loans_money_the_same_way(client, session, world):
    import csv
    import io

    from market.core.money import format_inr

    loan = finance.add_loan(session, world.member_a, world.member_a.user, "shg", "", 20_000_00, 1200, "declining",
                            12, _running_since())
    emi = finance.loan_state(session, loan).position.next_due.total_paise
    finance.record_repayment(session, loan, emi + 789_00, clock.today())  # the late instalment, and Rs 789 ahead
    session.commit()
    state = finance.loan_state(session, loan)
    assert (state.repaid_paise, state.set_aside_paise, state.arrears_paise) == (emi, 789_00, 0)
    owed = state.outstanding_principal_paise
    assert owed == 20_000_00 - finance.loan_state(session, loan).position.schedule[0].principal_paise

    def figures(page: str) -> dict[str, str]:
        return dict(re.findall(r"<dt>([^<]+)</dt>\s*<dd>([^<]+)</dd>", page))

    login(client, world.member_a.user.phone)
    for page in (client.get("/seller/money").text, client.get(f"/seller/money/loans/{loan.id}").text):
        shown = figures(page)
        assert (shown["Repaid through Haat"], shown["Set aside for instalments not yet due"],
                shown["Principal still owed"]) == (format_inr(emi), "₹789.00", format_inr(owed))
    client.post("/auth/logout")
    login(client, world.staff_a.email)
    shown = figures(client.get(f"/staff/groups/{world.group_a.id}").text)
    assert (shown["SHG loans: repaid through Haat"], shown["SHG loans: set aside for instalments not yet due"],
            shown["SHG loans: principal still owed"]) == (format_inr(emi), "₹789.00", format_inr(owed))
    assert figures(client.get(f"/staff/dashboard/group/{world.group_a.id}").text)["Principal still owed"] == \
        format_inr(owed)
    body = client.get(f"/staff/dashboard/organisation/{world.org_a.id}/export.csv?table=summary").data
    rows = dict(row[:2] for row in csv.reader(io.StringIO(body.decode("utf-8-sig"))) if len(row) >= 2)
    assert rows["Principal still owed (₹)"] == f"{owed // 100}.{owed % 100:02d}"
