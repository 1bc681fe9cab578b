"""What each role may open: one row per page, a column per role; every route must have a row."""

import pytest

from tests.conftest import login

ANON, ENT, BUY, WHO, STAFF, ADMIN = "anonymous", "entrepreneur", "buyer", "wholesaler", "staff", "admin"
EVERYONE = (ANON, ENT, BUY, WHO, STAFF, ADMIN)


def only(*roles, anonymous=302, others=403):
    """Expected status per role: 200 for the given roles, a login redirect for anonymous, 403 for others."""
    return {role: 200 if role in roles else (anonymous if role == ANON else others) for role in EVERYONE}


# endpoint -> (url template, expected status per role); {org} is organisation A, staff's own.
MATRIX = {
    "main.home": ("/", only(*EVERYONE)),
    "main.healthz": ("/healthz", only(*EVERYONE)),
    "main.set_language": ("/language/hi", {role: 302 for role in EVERYONE}),
    "auth.login": ("/auth/login", only(ANON, others=302)),
    "auth.signup": ("/auth/signup", only(ANON, others=302)),
    "auth.logout": ("/auth/logout", {role: 405 for role in EVERYONE}),  # POST only
    "auth.account": ("/auth/account", only(ENT, BUY, WHO, STAFF, ADMIN)),
    "auth.my_data": ("/auth/my-data", only(ENT, BUY, WHO, STAFF, ADMIN)),
    "auth.erase": ("/auth/erase", only(ENT, BUY, WHO, STAFF, ADMIN)),
    "seller.home": ("/seller/", only(ENT)),
    "staff.home": ("/staff/", only(STAFF, ADMIN)),
    "staff.organisation": ("/staff/organisations/{org}", only(STAFF, ADMIN)),
    "staff.group": ("/staff/groups/{group}", only(STAFF, ADMIN)),
    "staff.member": ("/staff/members/{member}", only(STAFF, ADMIN)),
    "admin.home": ("/admin/", only(ADMIN)),
    "admin.staff": ("/admin/staff", only(ADMIN)),
    "admin.audit_log": ("/admin/audit", only(ADMIN)),
}


def test_every_route_has_a_row(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()} - {"static"}
    assert endpoints == set(MATRIX), "add the new route to MATRIX with what each role may do"


@pytest.mark.parametrize("role", EVERYONE)
@pytest.mark.parametrize("endpoint", sorted(MATRIX))
def test_role_may_open_only_its_pages(client, world, endpoint, role):
    url, expected = MATRIX[endpoint]
    url = url.format(org=world.org_a.id, group=world.group_a.id, member=world.member_a.id)
    if role != ANON:
        user = world.user(role)
        assert login(client, user.email or user.phone).status_code == 302
    response = client.get(url)
    assert response.status_code == expected[role], f"{role} on {url}"
    if response.status_code == 302 and role == ANON and expected[role] == 302 and endpoint != "main.set_language":
        assert response.headers["Location"].startswith("/auth/login")
