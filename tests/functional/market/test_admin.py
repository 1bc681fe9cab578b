"""Admins create staff accounts and assign them to organisations."""

import sqlalchemy as sa

from market.core.models import AuditEntry, User
from tests.conftest import login, reload
from vendors.permissions import visible_organisation_ids


def test_admin_creates_a_staff_account_for_chosen_organisations(client, world, session):
    login(client, world.admin.email)
    response = client.post("/admin/staff", data={"name": "Field Worker", "login": "field@example.org",
                                                 "password": "a-first-password",
                                                 "organisations": [str(world.org_b.id)]})
    assert response.status_code == 302
    reload(session)
    staff = session.scalar(sa.select(User).where(User.email == "field@example.org"))
    assert staff.role == "staff"
    assert visible_organisation_ids(session, staff) == {world.org_b.id}
    assert session.scalar(sa.select(AuditEntry.action)) == "create_staff"
    assert "Field Worker" in client.get("/admin/staff").text


def test_a_staff_account_needs_an_organisation_and_a_free_login(client, world, session):
    login(client, world.admin.email)
    no_org = client.post("/admin/staff", data={"name": "X", "login": "x@example.org", "password": "a-first-password"})
    assert "at least one organisation" in no_org.text
    taken = client.post("/admin/staff", data={"name": "X", "login": world.buyer.email,
                                              "password": "a-first-password", "organisations": [str(world.org_a.id)]})
    assert "already exists" in taken.text
    unknown = client.post("/admin/staff", data={"name": "X", "login": "y@example.org",
                                                "password": "a-first-password", "organisations": ["999999"]})
    assert "not a valid choice" in unknown.text
    reload(session)
    assert session.scalar(sa.select(sa.func.count()).select_from(User).where(User.role == "staff")) == 2
