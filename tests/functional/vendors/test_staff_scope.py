"""Staff see only their own organisations' members, and every look at member data is audited."""

import pytest
import sqlalchemy as sa

from market.core.models import AuditEntry
from tests.conftest import login, reload


@pytest.fixture
def staff_a(client, world):
    login(client, world.staff_a.email)
    return client


def test_staff_list_only_their_organisations(staff_a, world):
    page = staff_a.get("/staff/").text
    assert "Org A" in page and "Org B" not in page


@pytest.mark.parametrize("url", ["/staff/organisations/{org}", "/staff/groups/{group}", "/staff/members/{member}"])
def test_staff_of_one_organisation_cannot_see_anothers_members(staff_a, world, session, url):
    response = staff_a.get(url.format(org=world.org_b.id, group=world.group_b.id, member=world.member_b.id))
    assert response.status_code == 403
    assert "Selvi Hiddenname" not in response.text
    reload(session)
    assert session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) == 0


def test_staff_see_their_own_members_and_it_is_audited(staff_a, world, session):
    group_page = staff_a.get(f"/staff/groups/{world.group_a.id}")
    assert "Sunita Secretname" in group_page.text and "Rangoli Stitches" in group_page.text
    member_page = staff_a.get(f"/staff/members/{world.member_a.id}")
    assert "+919812345601" in member_page.text
    reload(session)
    entries = session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id)).all()
    assert [(e.actor_id, e.action, e.subject_type, e.subject_id) for e in entries] == [
        (world.staff_a.id, "view_members", "self_help_group", world.group_a.id),
        (world.staff_a.id, "view_member", "member", world.member_a.id),
    ]


def test_admins_see_every_organisation_and_read_the_audit_log(client, world):
    login(client, world.staff_a.email)
    client.get(f"/staff/members/{world.member_a.id}")
    client.post("/auth/logout")
    login(client, world.admin.email)
    assert client.get(f"/staff/members/{world.member_b.id}").status_code == 200
    log = client.get("/admin/audit").text
    assert f"{world.staff_a.name} (staff) opened the details of {world.member_a.legal_name}" in log


def test_missing_records_are_404_not_403(staff_a):
    for url in ("/staff/organisations/999999", "/staff/groups/999999", "/staff/members/999999"):
        assert staff_a.get(url).status_code == 404
