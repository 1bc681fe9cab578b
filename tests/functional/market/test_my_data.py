"""A member can download and erase her data."""

import sqlalchemy as sa

from market.models import AuditEntry, User
from tests.conftest import login, reload
from tests.factories import PASSWORD, gen_business, gen_member


def test_a_member_downloads_her_data(client, world):
    login(client, world.member_a.user.phone)
    response = client.get("/auth/my-data")
    assert response.headers["Content-Disposition"].startswith("attachment")
    data = response.json
    assert data["account"]["phone"] == "+919812345601"
    assert data["member"]["legal_name"] == "Sunita Secretname"
    assert data["member"]["businesses"][0]["public_name"] == "Rangoli Stitches"


def test_erasing_needs_the_tick_and_the_password(client, world, session):
    login(client, world.member_a.user.phone)
    assert "Tick the box" in client.post("/auth/erase", data={"password": PASSWORD}).text
    assert "not right" in client.post("/auth/erase", data={"password": "wrong", "confirm": "y"}).text
    reload(session)
    assert session.get(User, world.member_a.user_id).phone == "+919812345601"
    assert session.get(type(world.member_a), world.member_a.id).legal_name == "Sunita Secretname"


def test_erasing_removes_her_details_and_closes_only_her_own_shops(client, world, session):
    group_shop = gen_business(session, [world.member_a, gen_member(session, world.group_a)],
                              public_name="Group Papad")
    session.commit()
    login(client, world.member_a.user.phone)
    response = client.post("/auth/erase", data={"password": PASSWORD, "confirm": "y"})
    assert response.status_code == 302
    reload(session)
    user = session.get(User, world.member_a.user_id)
    assert (user.name, user.email, user.phone, user.is_active) == ("Erased", None, None, False)
    assert session.get(type(world.member_a), world.member_a.id).legal_name == "Erased"
    assert session.get(type(world.shop_a), world.shop_a.id).is_paused
    assert not session.get(type(group_shop), group_shop.id).is_paused  # the group's shop stays open
    assert session.scalar(sa.select(AuditEntry.action)) == "erase_account"
    assert client.get("/auth/account").status_code == 302
    assert login(client, "+919812345601").status_code == 200  # she cannot log in any more

