"""The group's meeting and fund: the money rules (balanced entries, total = cash counted, internal loans repaid
with interest, corrections as new entries, the checks staff see)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import sqlalchemy as sa

from market.core import clock
from market.core import ledger as books
from market.core.ledger import EntryKind, LedgerEntry, LedgerPosting
from market.core.models import AuditEntry
from market.core.notifications import Notification, OutboxEntry
from tests.factories import gen_group as factories_group
from tests.factories import gen_member
from vendors import finance, loans
from vendors.groupfund import services as fund
from vendors.groupfund.models import FundEntry, Meeting, MeetingRow


def members(session, group, n: int):
    return [gen_member(session, group, legal_name=f"Member{i:02d} Name") for i in range(n)]


def rows_of(sheet, **override):
    """The sheet as pre-filled: every member present, paying what is due."""
    return [fund.RowIn(d.member.id, True, d.saving_paise, d.instalment_paise, 0, d.loan.id if d.loan else None)
            for d in sheet]


def test_a_meeting_posts_one_balanced_entry_for_each_member_who_paid(session, world):
    group = world.group_a
    group.monthly_saving_paise = 100_00
    people = [world.member_a, *members(session, group, 2)]
    sheet = fund.sheet(session, group)
    assert {d.member.id for d in sheet} == {p.id for p in people}
    assert all(d.saving_paise == 100_00 and d.loan is None for d in sheet)
    rows = rows_of(sheet)
    rows[1] = fund.RowIn(rows[1].member_id, False)  # absent, paid nothing
    rows[2] = fund.RowIn(rows[2].member_id, True, 150_00, fine_paise=10_00)  # a little more, and a fine
    meeting = fund.record_meeting(session, group, world.staff_a, clock.today(), rows, 260_00, "meet-1")

    entries = session.scalars(sa.select(LedgerEntry).where(LedgerEntry.kind == EntryKind.MEETING)).all()
    assert len(entries) == 2 and all(sum(p.amount_paise for p in e.postings) == 0 for e in entries)
    assert {r.entry_id for r in meeting.rows if r.total_paise} == {e.id for e in entries}
    now = fund.fund(session, group.id)
    assert (now.cash, now.savings, now.fines, now.total, now.held) == (260_00, 250_00, 10_00, 260_00, 260_00)
    assert now.balanced and now.members_savings == 250_00
    # Her own plan sees the saving: "My money" and the sheet of the next meeting (nothing more due this month).
    paid_member = session.get_one(MeetingRow, meeting.rows[2].id).member
    assert finance.my_money(session, paid_member).saved_this_month_paise == 150_00
    assert [d.saving_paise for d in fund.sheet(session, group) if d.member.id == paid_member.id] == [0]
    assert session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "record_meeting")).actor_id == \
        world.staff_a.id


def test_the_total_must_equal_the_cash_counted_or_nothing_is_saved(session, world):
    group = world.group_a
    group.monthly_saving_paise = 100_00
    members(session, group, 2)
    rows = rows_of(fund.sheet(session, group))
    with pytest.raises(fund.FundError, match="add up to ₹300.00 but the cash counted is ₹290.00"):
        fund.record_meeting(session, group, world.staff_a, clock.today(), rows, 290_00, "meet-short")
    assert session.scalar(sa.select(sa.func.count()).select_from(Meeting)) == 0
    assert session.scalar(sa.select(sa.func.count()).select_from(LedgerEntry)) == 0
    assert session.scalar(sa.select(sa.func.count()).select_from(Notification)) == 0


def test_a_meeting_sent_twice_is_saved_once(session, world):
    group = world.group_a
    group.monthly_saving_paise = 50_00
    rows = rows_of(fund.sheet(session, group))
    first = fund.record_meeting(session, group, world.member_a.user, clock.today(), rows, 50_00, "same-key")
    again = fund.record_meeting(session, group, world.member_a.user, clock.today(), rows, 50_00, "same-key")
    assert first.id == again.id
    assert fund.fund(session, group.id).cash == 50_00


def test_an_internal_loan_is_given_from_the_fund_and_repaid_at_two_meetings_with_interest(session, world):
    group, borrower = world.group_a, world.member_a
    start = clock.today() - timedelta(days=100)
    fund.open_books(session, group, world.staff_a, 8_000_00, 4_000_00)
    with pytest.raises(fund.FundError, match="cash in hand is less"):
        fund.give_loan(session, group, world.staff_a, borrower, 10_000_00, 2400, 2, on=start)
    fund.bank(session, group, world.staff_a, "withdrawal", 2_000_00)
    loan = fund.give_loan(session, group, world.staff_a, borrower, 10_000_00, 2400, 2, on=start)
    assert (fund.fund(session, group.id).cash, fund.fund(session, group.id).lent) == (0, 10_000_00)
    # The same loan maths as any loan: Rs 10,000 at 24% for 2 months, EMI Rs 5,150.50; interest 200.00 + 100.99.
    schedule = loans.schedule(finance.terms(loan))
    assert [(r.principal_paise, r.interest_paise) for r in schedule] == [(4_950_50, 200_00), (5_049_50, 100_99)]

    for number, row in enumerate(schedule, start=1):
        sheet = fund.sheet(session, group, row.due)
        [due] = [d for d in sheet if d.member.id == borrower.id]
        assert (due.loan.id, due.instalment_paise) == (loan.id, row.total_paise)
        rows = [fund.RowIn(d.member.id, True, 0, d.instalment_paise, 0, d.loan.id if d.loan else None)
                for d in sheet]
        fund.record_meeting(session, group, borrower.user, row.due, rows, row.total_paise, f"loan-meeting-{number}")

    now = fund.fund(session, group.id)
    assert (now.lent, now.interest, now.cash, now.bank) == (0, 300_99, 10_300_99, 2_000_00)
    assert now.total == 12_000_00 + 300_99 == now.held and now.balanced
    assert finance.loan_state(session, loan).position.closed
    assert finance.my_money(session, borrower).loans[0].state.repaid_paise == 10_300_99
    with pytest.raises(fund.FundError, match="more than is still owed"):
        fund.record_meeting(session, group, borrower.user, clock.today(), [
            fund.RowIn(borrower.id, True, 0, 1_00, 0, loan.id)], 1_00, "after-closed")


def test_a_repayment_paid_ahead_counts_its_interest_and_a_late_one_its_fine(session, world):
    group, borrower = world.group_a, world.member_a
    fund.open_books(session, group, world.staff_a, 10_000_00, 0)
    start = clock.today() - timedelta(days=75)
    loan = fund.give_loan(session, group, world.staff_a, borrower, 6_000_00, 1200, 3, "flat", on=start,
                          late_fee_paise=50_00)
    first_due = loans.due_date(start, 1)
    # Late: the first instalment (2,000 + 60 interest) paid 10 days after its due date, with its 50 fine.
    fund.record_meeting(session, group, borrower.user, first_due + timedelta(days=10),
                        [fund.RowIn(borrower.id, True, 0, 2_110_00, 0, loan.id)], 2_110_00, "late")
    now = fund.fund(session, group.id)
    assert (now.fines, now.interest, now.lent) == (50_00, 60_00, 4_000_00) and now.balanced


def test_a_correction_is_a_new_entry_with_its_reason_and_the_first_stays(session, world):
    group = world.group_a
    group.monthly_saving_paise = 100_00
    rows = rows_of(fund.sheet(session, group))
    meeting = fund.record_meeting(session, group, world.member_a.user, clock.today(), rows, 100_00, "to-fix")
    row = meeting.rows[0]
    first = [(p.account_id, p.amount_paise) for p in session.get_one(LedgerEntry, row.entry_id).postings]
    with pytest.raises(fund.FundError, match="why"):
        fund.correct_row(session, row, world.staff_a, "  ", 80_00, 0, 0)
    fix = fund.correct_row(session, row, world.staff_a, "She gave 80, not 100", 80_00, 0, 5_00)

    assert [(p.account_id, p.amount_paise) for p in session.get_one(LedgerEntry, row.entry_id).postings] == first
    assert session.get_one(LedgerEntry, fix.entry_id).kind == EntryKind.CORRECTION
    assert fund.row_figures(session, row) == fund.Figures(80_00, 0, 5_00)
    now = fund.fund(session, group.id)
    assert (now.cash, now.savings, now.fines) == (85_00, 80_00, 5_00) and now.balanced
    assert finance.my_money(session, world.member_a).saved_paise == 80_00
    assert session.scalar(sa.select(FundEntry.reason).where(FundEntry.id == fix.id)) == "She gave 80, not 100"
    assert session.scalar(sa.select(AuditEntry.actor_id).where(AuditEntry.action == "correct_meeting_row")) == \
        world.staff_a.id
    with pytest.raises(fund.FundError, match="nothing to correct"):
        fund.correct_row(session, row, world.staff_a, "again", 80_00, 0, 5_00)


def test_a_correction_of_a_repayment_moves_the_loan_and_the_fund_together(session, world):
    group, borrower = world.group_a, world.member_a
    fund.open_books(session, group, world.staff_a, 5_000_00, 0)
    start = clock.today() - timedelta(days=40)
    loan = fund.give_loan(session, group, world.staff_a, borrower, 3_000_00, 1200, 3, on=start)
    due = loans.schedule(finance.terms(loan))[0]
    meeting = fund.record_meeting(session, group, borrower.user, due.due, [
        fund.RowIn(borrower.id, True, 0, due.total_paise, 0, loan.id)], due.total_paise, "repay")
    fund.correct_row(session, meeting.rows[0], world.staff_a, "Paid half only", 0, due.total_paise // 2, 0)
    now = fund.fund(session, group.id)
    assert now.balanced and now.cash == 2_000_00 + due.total_paise // 2
    assert finance.loan_state(session, loan).repaid_paise == due.total_paise // 2


def test_each_member_who_paid_gets_a_receipt_in_the_app_and_by_sms(session, world):
    group = world.group_a
    group.monthly_saving_paise = 100_00
    other = members(session, group, 1)[0]
    fund.record_meeting(session, group, world.staff_a, clock.today(), [
        fund.RowIn(world.member_a.id, True, 100_00, fine_paise=20_00), fund.RowIn(other.id, False)],
        120_00, "receipts")
    [note] = session.scalars(sa.select(Notification)).all()
    assert note.user_id == world.member_a.user_id
    assert "₹100.00" in note.body and "₹20.00" in note.body and "₹120.00" in note.body
    [sms] = session.scalars(sa.select(OutboxEntry).where(OutboxEntry.channel == "sms")).all()
    assert sms.template == "meeting_receipt" and json.loads(sms.values)["total"] == "₹120.00"
    assert [fund.receipt_figures(r)["total"] for r in fund.my_receipts(session, world.member_a)] == ["₹120.00"]


def test_cash_goes_to_the_bank_and_back_and_never_below_zero(session, world):
    group = world.group_a
    fund.open_books(session, group, world.staff_a, 1_000_00, 0)
    fund.bank(session, group, world.member_a.user, "deposit", 700_00)
    with pytest.raises(fund.FundError, match="more than there is"):
        fund.bank(session, group, world.member_a.user, "deposit", 301_00)
    fund.bank(session, group, world.member_a.user, "withdrawal", 200_00)
    now = fund.fund(session, group.id)
    assert (now.cash, now.bank, now.total) == (500_00, 500_00, 1_000_00) and now.balanced
    book = fund.cash_book(session, group.id)
    assert [(line.what, line.cash_after, line.bank_after) for line in book] == [
        ("opening", 1_000_00, 0), ("deposit", 300_00, 700_00), ("withdrawal", 500_00, 500_00)]


def test_staff_see_groups_whose_books_do_not_balance_or_whose_meetings_stopped(session, world):
    quiet, broken, fine = world.group_a, world.group_b, world.group_a.organisation.groups[0]
    fund.record_meeting(session, quiet, world.staff_a, clock.today() - timedelta(days=50),
                        [fund.RowIn(world.member_a.id, True, 10_00)], 10_00, "old")
    fund.open_books(session, broken, world.staff_b, 100_00, 0)
    # Cash leaves the group's books without its other half there (only the ledger as a whole balances).
    books.post(session, EntryKind.FUND, [(fund.account(broken.id, fund.CASH), -40_00),
                                         (books.member_own_cash(world.member_b.id), 40_00)], "lost")
    found = {a.group.id: (a.stopped, a.unbalanced) for a in fund.needing_attention(session, None)}
    assert found == {quiet.id: (True, False), broken.id: (False, True)}
    assert fine is quiet  # org A has one group here
    only_a = fund.needing_attention(session, {world.org_a.id})
    assert [a.group.id for a in only_a] == [quiet.id]
    assert session.scalar(sa.select(sa.func.count()).select_from(LedgerPosting)) > 0


def test_staff_figures_count_meetings_attendance_field_and_sales_savings_and_loans_at_risk(session, world):
    group, borrower = world.group_a, world.member_a
    other = members(session, group, 1)[0]
    fund.open_books(session, group, world.staff_a, 3_000_00, 0)
    start = clock.today() - timedelta(days=80)
    fund.give_loan(session, group, world.staff_a, borrower, 2_000_00, 1200, 4, on=start)  # never repaid: late
    fund.record_meeting(session, group, world.staff_a, clock.today() - timedelta(days=10), [
        fund.RowIn(borrower.id, True, 100_00), fund.RowIn(other.id, False)], 100_00, "fig-1")
    fund.record_meeting(session, group, world.staff_a, clock.today(), [
        fund.RowIn(borrower.id, True, 100_00), fund.RowIn(other.id, True, 50_00)], 150_00, "fig-2")
    finance.allocate(session, world.shop_a, 1_000_00, books.payable(world.shop_a.id))  # no plan: nothing shared
    finance.set_shares(session, borrower, [finance.Share("savings", fixed_paise=30_00)])
    group.monthly_saving_paise = 500_00
    finance.allocate(session, world.shop_a, 1_000_00, books.payable(world.shop_a.id))
    [figures] = fund.group_figures(session, {world.org_a.id})
    assert (figures.meetings, figures.attendance_bps) == (2, 7500)
    assert (figures.saved_at_meetings_paise, figures.saved_from_sales_paise) == (250_00, 30_00)
    assert figures.lent_paise == figures.at_risk_paise == 2_000_00
    assert fund.group_figures(session, {world.org_b.id}) == []


def test_the_groups_figures_add_up_by_organisation_and_state(session, world):
    second = factories_group(session, world.org_a)
    fund.record_meeting(session, world.group_a, world.staff_a, clock.today(), [
        fund.RowIn(world.member_a.id, True, 10_00)], 10_00, "tot-1")
    absent, came = members(session, second, 2)
    fund.record_meeting(session, second, world.staff_a, clock.today(), [
        fund.RowIn(absent.id, False), fund.RowIn(came.id, True, 20_00)], 20_00, "tot-2")
    fund.record_meeting(session, world.group_b, world.staff_b, clock.today(), [
        fund.RowIn(world.member_b.id, True, 5_00)], 5_00, "tot-3")
    figures = fund.group_figures(session, None)
    by_org = {t.name: (t.groups, t.meetings, t.attendance_bps, t.saved_at_meetings_paise)
              for t in fund.totals(figures, "organisation")}
    assert by_org == {"Org A": (2, 2, 6666, 30_00), "Org B": (1, 1, 10_000, 5_00)}
    assert [(t.name, t.groups) for t in fund.totals(figures, "state")] == [("MH", 2), ("TN", 1)]
