"""Members, members who save and members to visit on the programme and state pages come from area_members rows,
kept change by change: the same figures as counting the members, without reading the members table."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from market.core import clock, db
from market.flows import stall_sale
from market.reports import rollups
from market.reports.dashboards import QUIET_MONTHS, figures, months_back, scope_for
from tests.conftest import login, statements_sent
from tests.factories import gen_business, gen_group, gen_member
from vendors import finance, hierarchy
from vendors.models import Member


def counted_from_members(session, this) -> dict[str, tuple[int, int, int]]:
    """What the programme page counted before (members, in a group with a monthly saving, to visit), per state."""
    found: dict[str, tuple[int, int, int]] = {}
    for member in session.scalars(sa.select(Member)):
        state = member.group.organisation.state_code
        quiet = member.last_sold_in is None or member.last_sold_in < months_back(this, QUIET_MONTHS - 1)
        n, saving, visit = found.get(state, (0, 0, 0))
        found[state] = (n + 1, saving + (member.group.monthly_saving_paise > 0),
                        visit + (quiet or member.late_days > 0))
    return found


def _rows(session) -> set[tuple]:
    return {(r.level, r.unit_id, r.sold_in, bool(r.late), bool(r.saving), r.organisation_id, r.state_code, r.members)
            for r in session.scalars(sa.select(rollups.AreaMember))}


def test_programme_and_state_pages_count_members_from_rollups_as_the_members_would(session, world):
    # Sales now and 62 days ago, a new member and a new SHG, a move, a late loan, a group that starts saving.
    stall_sale.record(session, world.shop_a.id, world.member_a.user, 500_00, "cash", "sale-now")
    rollups.add(session, world.shop_b, [(rollups.OTHER, 300_00)], 1, when=datetime.now(UTC) - timedelta(days=62))
    extra_group = gen_group(session, world.org_a)
    newcomer = gen_member(session, extra_group)
    gen_business(session, [newcomer])
    mover = gen_member(session, world.group_a)
    hierarchy.move_member(session, world.admin, mover, world.group_b)
    finance.add_loan(session, world.member_a, world.member_a.user, "bank", "", 12_000_00, 1200, "declining", 12,
                     clock.today() - timedelta(days=75))
    world.group_b.monthly_saving_paise = 150_00
    session.commit()
    this = clock.month_of_day(clock.today())

    with statements_sent(session.get_bind()) as statements:
        programme = figures(session, scope_for(session, "programme", str(world.org_a.programme_id), None),
                            clock.today())
        state = figures(session, scope_for(session, "state", "MH", None), clock.today())
    assert statements
    assert [s for s in statements if re.search(r"(FROM|JOIN)\s+members\b", s)] == []  # area_members only
    assert any("FROM area_members" in s for s in statements)

    expected = counted_from_members(session, this)
    assert {r["key"]: r["members"] for r in programme.rows} == {k: v[0] for k, v in expected.items()}
    assert (programme.members, programme.saving_members, programme.to_visit) == tuple(
        sum(v[i] for v in expected.values()) for i in range(3))
    assert expected == {"MH": (2, 0, 2), "TN": (2, 2, 1)}  # MH: member A late, the newcomer never sold
    assert (state.members, state.saving_members, state.to_visit) == expected["MH"]
    assert [(r["name"], r["members"]) for r in state.rows] == [(world.org_a.name, 2)]

    kept = _rows(session)
    rollups.count_all_members(session)  # what derive counts from the members, all at once
    assert _rows(session) == kept


def test_a_change_that_only_the_commit_flushes_is_counted_in_that_commit(session, world):
    world.group_b.monthly_saving_paise = 150_00  # nothing flushes it before the commit
    session.commit()
    assert "area_members" not in session.info  # nothing left for a later transaction
    saving = sa.select(sa.func.sum(rollups.AreaMember.members)).where(
        rollups.AreaMember.level == rollups.ORGANISATION, rollups.AreaMember.unit_id == world.org_b.id,
        rollups.AreaMember.saving.is_(True))
    session.rollback()
    assert session.scalar(saving) == 1


def test_the_programme_and_state_pages_read_no_members_row(client, app, session, world):
    """Not the page's figures, nor its share-outside preview (SHGs of five members or more, from area_members)."""
    login(client, world.admin.email)
    with app.app_context():
        engine = db.engine()
    for path in (f"/staff/dashboard/programme/{world.org_a.programme_id}", "/staff/dashboard/state/MH"):
        with statements_sent(engine) as statements:
            assert client.get(path).status_code == 200
        assert [s for s in statements if re.search(r"(FROM|JOIN)\s+members\b", s)] == [], path
