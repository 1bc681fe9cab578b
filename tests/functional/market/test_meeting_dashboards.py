"""The dashboards' meeting and group-fund figures: moved by meetings and internal loans recorded through the real
groupfund services (the events reach the rollups), PAR30 at 30 and 31 days late, the same figures at every level,
the rebuild, and the exports (staff's, and the one to share outside with small cells hidden)."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import sqlalchemy as sa

from market.core import clock
from market.core import ledger as books
from market.reports import rollups
from market.reports.dashboards import Meetings, figures, scope_for
from tests.conftest import login
from tests.factories import gen_group, gen_member
from vendors import finance
from vendors.groupfund import services as fund
from vendors.groupfund.models import MeetingRow


def meeting(session, group, by, rows, key, on=None):
    """A meeting saved through the book-keeper's service: rows are (member, present, saving paise)."""
    lines = [fund.RowIn(member.id, present, saving) for member, present, saving in rows]
    return fund.record_meeting(session, group, by, on or clock.today(), lines, sum(s for _m, _p, s in rows), key)


def at(session, level, key, on=None):
    return figures(session, scope_for(session, level, str(key), None), on or clock.today()).meetings


def test_a_meeting_recorded_through_the_service_moves_the_figures(session, world):
    group = world.group_a
    one, two = (gen_member(session, group) for _ in range(2))
    before = at(session, "group", group.id)
    assert before == Meetings() and before.regularity_bps is None and before.attendance_bps is None
    for _again in range(2):  # a phone sending the meeting again: saved once, counted once
        meeting(session, group, world.staff_a, [(world.member_a, True, 100_00), (one, True, 50_00),
                                                (two, False, 0)], "dash-1")
    # Her plan's share of a sale goes to her savings: savings from sales, beside those collected at the meeting.
    finance.set_shares(session, one, [finance.Share("savings", fixed_paise=30_00)])
    group.monthly_saving_paise = 500_00
    shop = world.shop_a
    finance.set_shares(session, world.member_a, [finance.Share("savings", fixed_paise=40_00)])
    finance.allocate(session, shop, 1_000_00, books.payable(shop.id))
    now = at(session, "group", group.id)
    assert (now.groups, now.meetings, now.met_months, now.expected_months) == (1, 1, 1, 1)
    assert (now.regularity_bps, now.attendance_bps) == (10_000, 6_666)  # 2 of 3 present
    assert (now.field_saved_paise, now.sales_saved_paise) == (150_00, 40_00)
    assert now.stopped == 0
    # A correction of a row is a new entry: the savings collected in the field follow it.
    row = next(r for r in session.scalars(sa.select(MeetingRow)) if r.member_id == one.id)
    fund.correct_row(session, row, world.staff_a, "wrote 50 for 60", 60_00, 0, 0)
    assert at(session, "group", group.id).field_saved_paise == 160_00


def test_months_without_a_meeting_lower_the_regularity_and_a_long_silence_is_a_stop(session, world):
    group = world.group_a
    today = clock.today()
    first = (today.replace(day=1) - timedelta(days=100)).replace(day=10)  # three or four months ago
    meeting(session, group, world.staff_a, [(world.member_a, True, 10_00)], "reg-1", on=first)
    met = at(session, "group", group.id)
    ended = (today.year * 12 + today.month) - (first.year * 12 + first.month)  # the months since, this one not
    assert (met.met_months, met.expected_months, met.stopped) == (1, ended, 1)  # no meeting for 45 days: stopped
    meeting(session, group, world.staff_a, [(world.member_a, False, 0)], "reg-2")
    met = at(session, "group", group.id)
    assert (met.met_months, met.expected_months, met.stopped, met.attendance_bps) == (2, ended + 1, 0, 5_000)


def test_an_internal_loan_is_at_risk_once_an_instalment_is_31_days_late(session, world):
    group, borrower = world.group_a, world.member_a
    fund.open_books(session, group, world.staff_a, 5_000_00, 0)
    loan = fund.give_loan(session, group, world.staff_a, borrower, 3_000_00, 1200, 3,
                          on=clock.today() - timedelta(days=40))
    due = finance.loan_state(session, loan).position.next_due.due  # the first instalment, not paid
    assert due <= clock.today()
    on_time = at(session, "group", group.id, due + timedelta(days=30))
    assert (on_time.loans, on_time.lent_paise, on_time.at_risk_paise, on_time.par30_bps) == (1, 3_000_00, 0, 0)
    late = at(session, "organisation", world.org_a.id, due + timedelta(days=31))
    assert (late.at_risk_paise, late.par30_bps) == (3_000_00, 10_000)
    # The first instalment repaid at a meeting: the loan is no longer late, and less principal is owed.
    sheet = {d.member.id: d for d in fund.sheet(session, group)}
    first = sheet[borrower.id].instalment_paise
    fund.record_meeting(session, group, world.staff_a, clock.today(),
                        [fund.RowIn(borrower.id, True, 0, first, 0, loan.id)], first, "par-1")
    repaid = at(session, "group", group.id, due + timedelta(days=31))
    assert repaid.at_risk_paise == 0 and 0 < repaid.lent_paise < 3_000_00
    assert repaid.lent_paise == finance.loan_state(session, loan).position.outstanding_principal_paise


def test_the_figures_agree_between_group_organisation_state_and_programme(session, world):
    second = gen_group(session, world.org_a, name="Second group")
    absent, came = (gen_member(session, second) for _ in range(2))
    meeting(session, world.group_a, world.staff_a, [(world.member_a, True, 10_00)], "agree-1")
    meeting(session, second, world.staff_a, [(absent, False, 0), (came, True, 20_00)], "agree-2")
    meeting(session, world.group_b, world.staff_b, [(world.member_b, True, 5_00)], "agree-3")
    fund.give_loan(session, second, world.staff_a, came, 15_00, 1200, 2)
    groups = [at(session, "group", g.id) for g in (world.group_a, second)]
    organisation = at(session, "organisation", world.org_a.id)
    assert organisation == groups[0] + groups[1]
    assert (organisation.groups, organisation.meetings, organisation.attendance_bps) == (2, 2, 6_666)
    assert (organisation.field_saved_paise, organisation.lent_paise) == (30_00, 15_00)
    assert at(session, "state", "MH") == organisation
    programme = figures(session, scope_for(session, "programme", str(world.org_a.programme_id), None),
                        clock.today())
    by_state = {row["key"]: row["meetings"] for row in programme.rows}
    assert by_state["MH"] == organisation and by_state["TN"] == at(session, "group", world.group_b.id)
    assert programme.meetings == organisation + by_state["TN"]
    state = figures(session, scope_for(session, "state", "MH", None), clock.today())
    assert [row["meetings"] for row in state.rows] == [organisation]
    # Staff of organisation B see only theirs on the programme page.
    mine = figures(session, scope_for(session, "programme", str(world.org_a.programme_id), {world.org_b.id}),
                   clock.today())
    assert mine.meetings == by_state["TN"]


def test_rebuilding_gives_the_meeting_figures_the_events_kept(session, world):
    group = world.group_a
    other = gen_member(session, group)
    meeting(session, group, world.staff_a, [(world.member_a, True, 10_00), (other, False, 0)], "re-1",
            on=clock.today() - timedelta(days=35))
    meeting(session, group, world.staff_a, [(world.member_a, True, 10_00), (other, True, 20_00)], "re-2")
    fund.give_loan(session, group, world.staff_a, other, 25_00, 1200, 2, on=clock.today() - timedelta(days=3))
    finance.set_shares(session, other, [finance.Share("savings", fixed_paise=7_00)])
    group.monthly_saving_paise = 500_00
    finance.allocate(session, world.shop_a, 100_00, books.payable(world.shop_a.id))  # a shop of member A's
    session.commit()
    kept = _meeting_rows(session)
    assert kept["area_months"] and kept["group_meetings"] and kept["internal_loans"]
    rollups.rebuild(session)
    session.commit()
    session.expire_all()
    assert _meeting_rows(session) == kept


def _meeting_rows(session) -> dict[str, list]:
    area = rollups.AreaMonth
    columns = (area.month, area.level, area.unit_id, area.meetings, area.groups_met, area.attendance_rows,
               area.present, area.field_saved_paise, area.sales_saved_paise)
    tables = {"area_months": sa.select(*columns).where(area.category_id == rollups.TOTAL).order_by(*columns[:3]),
              "member_months": sa.select(rollups.MemberMonth.member_id, rollups.MemberMonth.field_saved_paise,
                                         rollups.MemberMonth.sales_saved_paise).order_by(rollups.MemberMonth.member_id),
              "group_meetings": sa.select(rollups.GroupMeetings.__table__),
              "internal_loans": sa.select(rollups.InternalLoanStatus.__table__)}
    return {name: [tuple(r) for r in session.execute(query) if any(r[3:]) or name != "area_months"]
            for name, query in tables.items()}


def _csv(client, url: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(client.get(url).data.decode("utf-8-sig"))))


def test_the_exports_carry_the_meeting_figures_and_the_shared_one_hides_small_cells(client, session, world):
    big = gen_group(session, world.org_a, name="Big group")
    people = [gen_member(session, big, legal_name=f"Member {n}", login=f"+9198123470{n + 10}") for n in range(5)]
    meeting(session, big, world.staff_a, [(p, n < 4, 10_00) for n, p in enumerate(people)], "exp-1")
    session.commit()
    login(client, world.staff_a.email)
    rows = _csv(client, f"/staff/dashboard/organisation/{world.org_a.id}/export.csv?table=meetings")
    assert rows[0][:4] == ["Name", "Groups recording meetings", "Meeting regularity (per cent)",
                           "Groups whose meetings stopped"]
    big_row = next(r for r in rows if r[0] == "Big group")
    assert big_row[1:6] == ["1", "100.00", "0", "80.00", "50.00"]
    summary = dict((r[0], r[1]) for r in _csv(client, f"/staff/dashboard/organisation/{world.org_a.id}/export.csv"
                                                      "?table=summary"))
    assert summary["Attendance at meetings (per cent)"] == "80.00"
    # To share outside: one group behind the figures: hidden, never "80.00" or Rs 50.
    shared = _csv(client, "/staff/dashboard/state/MH/export.csv?shared=1")
    header, [row] = shared[0], shared[1:]
    assert row[header.index("Attendance at meetings (per cent)")] == "hidden: fewer than 5 groups"
    assert "80.00" not in row and "50.00" not in row and "Big group" not in repr(shared)
