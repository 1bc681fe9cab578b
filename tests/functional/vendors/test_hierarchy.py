"""The hierarchy as admins and staff change it: programmes, states, organisations with their staff, SHGs, closing an
SHG, and moving a member with her history kept (her past sales stay counted in the group they were made in)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from catalog.models import Product
from market.core.models import AuditEntry
from market.flows import member_move, stall_sale
from market.reports import rollups
from market.reports.rollups import GROUP, ORGANISATION, TOTAL, AreaMonth
from tests.conftest import login
from tests.factories import gen_group, gen_member, gen_organisation, gen_product
from vendors import finance, hierarchy
from vendors.models import LoanStatus, Membership, StaffAssignment
from vendors.services import NewMember, onboard_member


def _income(session, level: str, unit: int) -> int:
    rollups.apply(session)
    return int(session.scalar(sa.select(sa.func.coalesce(sa.func.sum(AreaMonth.income_paise), 0)).where(
        AreaMonth.level == level, AreaMonth.unit_id == unit, AreaMonth.category_id == TOTAL)))


def _actions(session) -> list[str]:
    return list(session.scalars(sa.select(AuditEntry.action).order_by(AuditEntry.id)))


def test_an_admin_adds_a_state_then_an_organisation_in_it_with_the_staff_who_see_it(session, world):
    programme = world.org_a.programme
    data = hierarchy.OrganisationData(programme.id, "Sakhi Collective", "KA", "Mysuru", "Office, Market Road",
                                      (world.staff_b.id, world.buyer.id))
    with pytest.raises(hierarchy.HierarchyError, match="programme's states"):
        hierarchy.save_organisation(session, world.admin, None, data)
    with pytest.raises(hierarchy.HierarchyError, match="from the list"):
        hierarchy.add_state(session, world.admin, programme, "XX")
    hierarchy.add_state(session, world.admin, programme, "KA")
    with pytest.raises(hierarchy.HierarchyError, match="already"):
        hierarchy.add_state(session, world.admin, programme, "KA")
    org = hierarchy.save_organisation(session, world.admin, None, data)
    # Only staff accounts are given the scope (the buyer's id is ignored).
    assert set(session.scalars(sa.select(StaffAssignment.user_id).where(
        StaffAssignment.organisation_id == org.id))) == {world.staff_b.id}
    with pytest.raises(hierarchy.HierarchyError, match="exists already"):
        hierarchy.save_organisation(session, world.admin, None, data)
    hierarchy.save_organisation(session, world.admin, org, hierarchy.OrganisationData(
        programme.id, "Sakhi Collective", "KA", "Mysuru", "Office, Market Road", (world.staff_a.id,)))
    assert hierarchy.organisation_staff(session, org.id) == [world.staff_a.id]
    assert _actions(session) == ["add_state", "save_organisation", "save_organisation"]


def test_an_organisation_with_members_keeps_its_state(session, world):
    programme = world.org_a.programme
    hierarchy.add_state(session, world.admin, programme, "KA")
    with pytest.raises(hierarchy.HierarchyError, match="has members"):
        hierarchy.save_organisation(session, world.admin, world.org_a, hierarchy.OrganisationData(
            programme.id, world.org_a.name, "KA", "Pune", "Office"))


def test_staff_add_and_rename_shgs_in_their_organisation_and_names_do_not_repeat(session, world):
    shg = hierarchy.save_group(session, world.staff_a, world.org_a, None, hierarchy.GroupData("Jyoti SHG", "Ward 3"))
    with pytest.raises(hierarchy.HierarchyError, match="already"):
        hierarchy.save_group(session, world.staff_a, world.org_a, None, hierarchy.GroupData("jyoti  shg", "Ward 4"))
    hierarchy.save_group(session, world.staff_a, world.org_a, shg, hierarchy.GroupData("Jyoti SHG", "Ward 5"))
    assert shg.area == "Ward 5"
    assert _actions(session) == ["save_group", "save_group"]


def test_staff_of_another_organisation_cannot_add_an_shg_there(client, session, world):
    login(client, world.staff_b.email)
    assert client.post(f"/staff/organisations/{world.org_a.id}/groups/new",
                       data={"name": "Sneaky SHG", "area": "X"}).status_code == 403
    client.post("/auth/logout")
    login(client, world.staff_a.email)  # the form keeps what was typed when refused
    page = client.post(f"/staff/organisations/{world.org_a.id}/groups/new",
                       data={"name": world.group_a.name, "area": "Ward 77"})
    assert page.status_code == 200 and "Ward 77" in page.text and "already" in page.text


def test_a_closed_shg_takes_no_new_members_and_its_shops_keep_selling(session, world):
    product = gen_product(session, world.shop_a)
    hierarchy.close_group(session, world.staff_a, world.group_a)
    with pytest.raises(hierarchy.HierarchyError, match="closed"):
        onboard_member(session, NewMember("Asha Pawar", "+919812345699", "a-long-pass-123", world.group_a.id))
    with pytest.raises(hierarchy.HierarchyError, match="closed"):
        hierarchy.move_member(session, world.staff_a, world.member_b, world.group_a)
    with pytest.raises(hierarchy.HierarchyError, match="already"):
        hierarchy.close_group(session, world.staff_a, world.group_a)
    assert product.listed
    stall_sale.record(session, world.shop_a.id, world.member_a.user, 300_00, "cash", "after-close")
    assert _income(session, GROUP, world.group_a.id) == 300_00


def test_a_moved_members_old_sales_stay_in_her_old_group_and_new_ones_count_in_the_new(session, world):
    """Her shop moves with her; what it sold before the move stays in the old SHG and organisation, on the
    dashboards and after a rebuild of every rollup from the records."""
    org_c = gen_organisation(session, world.org_a.programme, name="Org C", state_code="TN", district="Salem")
    new_group = gen_group(session, org_c, name="Nila SHG")
    product = gen_product(session, world.shop_a)
    loan = finance.add_loan(session, world.member_a, world.member_a.user, "shg", "", 12_000_00, 1200, "declining",
                            12, world.member_a.joined_on)
    stall_sale.record(session, world.shop_a.id, world.member_a.user, 1_000_00, "cash", "before-move")
    session.flush()
    member_move.move(session, world.staff_a, world.member_a, new_group)
    stall_sale.record(session, world.shop_a.id, world.member_a.user, 250_00, "cash", "after-move")
    session.commit()

    def counted() -> tuple[int, int, int, int]:
        return (_income(session, GROUP, world.group_a.id), _income(session, GROUP, new_group.id),
                _income(session, ORGANISATION, world.org_a.id), _income(session, ORGANISATION, org_c.id))

    assert counted() == (1_000_00, 250_00, 1_000_00, 250_00)
    rollups.rebuild(session)
    session.flush()
    assert counted() == (1_000_00, 250_00, 1_000_00, 250_00)
    assert world.shop_a.group_id == new_group.id and world.member_a.group_id == new_group.id
    assert session.get(Product, product.id).state_code == "TN"  # her listings show her new state
    assert session.get(LoanStatus, loan.id).group_id == new_group.id  # her loan counts in the new group from now
    history = hierarchy.memberships(session, world.member_a.id)
    assert [(m.group_id, m.until_at is None) for m in history] == [(new_group.id, True), (world.group_a.id, False)]
    assert history[1].until_at == history[0].from_at
    assert "move_member" in _actions(session)


def test_a_member_moved_twice_has_three_memberships_and_cannot_move_to_her_own_group(session, world):
    other = gen_group(session, world.org_a)
    hierarchy.move_member(session, world.staff_a, world.member_a, other)
    hierarchy.move_member(session, world.staff_a, world.member_a, world.group_a)
    with pytest.raises(hierarchy.HierarchyError, match="already"):
        hierarchy.move_member(session, world.staff_a, world.member_a, world.group_a)
    assert session.scalar(sa.select(sa.func.count()).select_from(Membership)) == 3


def test_a_group_shop_stays_with_its_group_when_one_owner_moves(session, world):
    from tests.factories import gen_business

    partner = gen_member(session, world.group_a)
    shared = gen_business(session, [world.member_a, partner], public_name="Together Crafts")
    hierarchy.move_member(session, world.staff_a, world.member_a, gen_group(session, world.org_a))
    assert shared.group_id == world.group_a.id and world.shop_a.group_id == world.member_a.group_id


def test_staff_move_a_member_through_the_page_only_within_their_organisations(client, session, world):
    target = gen_group(session, world.org_a, name="Asha SHG")
    outside = gen_group(session, world.org_b, name="Far SHG")
    session.commit()
    login(client, world.staff_a.email)
    page = client.get(f"/staff/members/{world.member_a.id}/move").text
    assert "Asha SHG" in page and "Far SHG" not in page
    assert client.post(f"/staff/members/{world.member_a.id}/move", data={"group": outside.id}).status_code == 200
    session.expire_all()
    assert world.member_a.group_id == world.group_a.id
    assert client.post(f"/staff/members/{world.member_a.id}/move", data={"group": target.id}).status_code == 302
    session.expire_all()
    assert world.member_a.group_id == target.id
