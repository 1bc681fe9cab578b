"""The large seed, at a small size: a whole programme whose dashboards add up, with savings in the ledger, the
demo staff and admin accounts, and its progress shown per phase."""

import io

import sqlalchemy as sa
from rich.console import Console

from market.cli import SeedProgress
from market.core.clock import month_of_day, today
from market.core.ledger import LedgerAccount, LedgerEntry, LedgerPosting
from market.demo_large import PHASES, load_large
from market.reports import rollups
from market.reports.dashboards import figures, months_back, scope_for
from market.reports.rollups import TOTAL, AreaMonth, MemberMonth, SalesMonth
from tests.conftest import login
from tests.functional.market.test_member_counts import counted_from_members
from vendors import finance
from vendors.models import Member

SMALL = {"organisations": 5, "groups": 20, "members": 60, "orders": 900, "buyers": 7}


def test_the_large_seed_fills_a_programme_whose_rollups_match_its_orders(session):
    steps = []
    load_large(session, "x", SMALL, progress=lambda step, done, total: steps.append(step))
    session.commit()
    assert set(steps) == set(PHASES)
    counts = {t: session.scalar(sa.text(f"SELECT count(*) FROM {t}"))  # noqa: S608 - fixed names
              for t in ("organisations", "self_help_groups", "members", "orders", "loans", "loan_status")}
    assert counts == {"organisations": 5, "self_help_groups": 20, "members": 60, "orders": 900, "loans": 30,
                      "loan_status": 30}
    orders_total = session.scalar(sa.text("SELECT sum(total_paise) FROM orders"))
    rolled = session.scalar(sa.select(sa.func.sum(SalesMonth.income_paise)).where(SalesMonth.category_id == TOTAL))
    by_category = session.scalar(sa.select(sa.func.sum(SalesMonth.income_paise))
                                 .where(SalesMonth.category_id != TOTAL))
    assert rolled == by_category == orders_total
    programme = figures(session, scope_for(session, "programme", "1", None), today())
    assert sum(paise for _month, paise in programme.months) == orders_total
    assert programme.members == 60 and programme.loans == 30 and len(programme.rows) == 5
    # Its groups' meetings (attendance only): 16 of the 20 groups keep books, one stopped, one member in six away.
    met = programme.meetings
    assert (met.groups, met.stopped) == (16, 1) and 0 < met.met_months < met.expected_months
    assert met.attendance_bps is not None and 8_000 < met.attendance_bps < 8_700
    # Members counted from the area_members rows: what counting the members gives, state by state.
    counted = counted_from_members(session, month_of_day(today()))
    assert {r["key"]: r["members"] for r in programme.rows} == {k: v[0] for k, v in counted.items()}
    assert (programme.members, programme.saving_members, programme.to_visit) == tuple(
        sum(v[i] for v in counted.values()) for i in range(3))
    assert 0 < programme.to_visit < 60


def test_the_large_seeds_savings_are_balanced_ledger_entries_the_dashboards_count(session):
    load_large(session, "x", SMALL)
    session.commit()
    unbalanced = session.scalars(sa.select(LedgerPosting.entry_id).group_by(LedgerPosting.entry_id)
                                 .having(sa.func.sum(LedgerPosting.amount_paise) != 0)).all()
    assert unbalanced == []
    saved = -session.scalar(sa.select(sa.func.sum(LedgerPosting.amount_paise)).join(LedgerAccount)
                            .where(LedgerAccount.code.like("member:%:savings")))
    # Each member's months: Rs 100-500 (Rs 50 when she paid half), never more than one saving a month, some missed.
    months = session.execute(sa.select(MemberMonth.member_id, MemberMonth.saved_paise)
                             .where(MemberMonth.saved_paise != 0)).all()
    assert months and all(50_00 <= paise <= 500_00 for _m, paise in months)
    entries = session.scalar(sa.select(sa.func.count()).select_from(LedgerEntry))
    assert entries == len(months) < 60 * 12  # gaps: not every member saves every month
    savers = {member for member, _paise in months}
    assert 50 <= len(savers) < 60  # one in twenty never saves
    # The same money on the dashboards (area rows), in her own "My money" and in her months.
    assert saved > 0 and session.scalar(sa.select(sa.func.sum(MemberMonth.saved_paise))) == saved
    programme = figures(session, scope_for(session, "programme", "1", None), today())
    assert programme.saved_paise == saved and programme.saving_members == 60
    last = figures(session, scope_for(session, "programme", "1", None),
                   months_back(month_of_day(today()), 1))  # a whole month of meetings
    assert 0 < last.saved_in_full <= len(savers)
    member = session.get_one(Member, sorted(savers)[0])
    mine = session.scalar(sa.select(sa.func.sum(MemberMonth.saved_paise)).where(MemberMonth.member_id == member.id))
    assert finance.my_money(session, member).saved_paise == mine
    savings = sa.select(AreaMonth.level, AreaMonth.unit_id, AreaMonth.month, AreaMonth.saved_paise,
                        AreaMonth.saved_in_full).where(AreaMonth.category_id == TOTAL, AreaMonth.saved_paise != 0)
    kept = session.execute(savings).all()
    rollups.rebuild(session)  # what `dashboards rebuild` counts from the ledger (the seed's sales have no payments)
    assert sorted(kept) == sorted(session.execute(savings).all())


def test_seed_demo_large_prints_its_phases_and_the_demo_staff_and_admin_open_the_dashboards(app, client, session):
    result = app.test_cli_runner().invoke(args=["seed-demo", "--scale", "large", "--members", "60"])
    assert result.exit_code == 0, result.output
    for phase, unit in PHASES.items():
        assert f"{phase}: " in result.output and f" {unit} to go" in result.output
    assert "orders: 1,500 orders to go" in result.output and "orders: 1,500 orders done in" in result.output
    assert "staff@example.org" in result.output and "admin@example.org" in result.output
    login(client, "staff@example.org", "demo-pass-123")
    page = client.get("/staff/dashboard/programme/1")
    assert page.status_code == 200 and "Maharashtra" in page.text
    client.post("/auth/logout")
    login(client, "admin@example.org", "demo-pass-123")
    assert client.get("/staff/dashboard/programme/1").status_code == 200


def test_the_progress_bar_shows_each_phase_with_the_time_left():
    now = [0.0]
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, color_system=None, width=140)
    with SeedProgress(console, clock=lambda: now[0], auto_refresh=False) as progress:
        progress("orders", 0, 2_000)
        now[0] = 10.0
        progress("orders", 1_000, 2_000)
        progress.bar.refresh()
        assert "1000/2000" in out.getvalue() and "0:00:10" in out.getvalue()  # 10 s so far, 10 s left
        now[0] = 20.0
        progress("orders", 2_000, 2_000)
    assert "orders: 2,000 orders to go" in out.getvalue() and "orders: 2,000 orders done in 20.0 s" in out.getvalue()
    quiet = io.StringIO()
    with SeedProgress(Console(file=quiet, force_terminal=False)) as progress:  # a log: lines, no bar
        progress("loans", 0, 30)
        progress("loans", 30, 30)
    assert quiet.getvalue().splitlines()[0] == "loans: 30 loans to go"
    assert quiet.getvalue().splitlines()[1].startswith("loans: 30 loans done in")
