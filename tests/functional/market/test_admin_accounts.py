"""Staff accounts as an admin changes them (edit, scope, disable, new access) and buyers' accounts on hold."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from market.core.accounts import (
    AccountError,
    AccountSuspended,
    authenticate,
    disable_account,
    enable_account,
    restore_buyer,
    suspend_buyer,
    update_account,
)
from market.core.models import AuditEntry, LoginSession
from market.core.notifications import Notification
from orders.services import Delivery, OrderError, cart_for, place_order, set_quantity
from tests.conftest import login, reload
from tests.factories import PASSWORD, gen_product
from vendors.models import StaffAssignment


def _actions(session) -> list[str]:
    return list(session.scalars(sa.select(AuditEntry.action).order_by(AuditEntry.id)))


def test_a_disabled_staff_account_is_logged_out_everywhere_and_cannot_log_in(make_app, session, world):
    app = make_app()
    phone, laptop = app.test_client(), app.test_client()
    for client in (phone, laptop):
        assert login(client, world.staff_a.email).status_code == 302
    assert phone.get("/staff/").status_code == 200
    disable_account(session, world.admin, world.staff_a)
    session.commit()
    assert phone.get("/staff/").status_code == 302 and laptop.get("/staff/").status_code == 302  # to log in
    assert authenticate(session, world.staff_a.email, PASSWORD) is None
    refused = login(app.test_client(), world.staff_a.email)
    assert refused.status_code == 200 and "do not match" in refused.text
    assert session.scalar(sa.select(sa.func.count()).select_from(LoginSession).where(
        LoginSession.user_id == world.staff_a.id, LoginSession.revoked_at.is_(None))) == 0
    with pytest.raises(AccountError, match="already"):
        disable_account(session, world.admin, world.staff_a)
    with pytest.raises(AccountError, match="your own"):
        disable_account(session, world.admin, world.admin)
    enable_account(session, world.admin, world.staff_a)
    assert authenticate(session, world.staff_a.email, PASSWORD) == world.staff_a
    assert _actions(session) == ["disable_account", "enable_account"]


def test_an_admin_edits_a_staff_account_and_its_scope(client, session, world):
    with pytest.raises(AccountError, match="Another account"):
        update_account(session, world.admin, world.staff_a, name="Asha", login=world.staff_b.email)
    login(client, world.admin.email)
    response = client.post(f"/admin/staff/{world.staff_a.id}", data={
        "name": "Asha Kale", "login": "+91 98123 40000", "organisations": [world.org_b.id]})
    assert response.status_code == 302
    reload(session)
    assert (world.staff_a.name, world.staff_a.phone, world.staff_a.email) == ("Asha Kale", "+919812340000", None)
    assert list(session.scalars(sa.select(StaffAssignment.organisation_id).where(
        StaffAssignment.user_id == world.staff_a.id))) == [world.org_b.id]
    assert _actions(session)[-2:] == ["edit_account", "change_scope"]
    # A login taken by another account: the form comes back with what was typed.
    page = client.post(f"/admin/staff/{world.staff_a.id}", data={"name": "Asha Typed", "login": world.buyer.email})
    assert page.status_code == 200 and "Asha Typed" in page.text and "Another account" in page.text


def test_new_access_for_staff_is_a_one_time_code_they_use_with_their_e_mail(client, session, world):
    login(client, world.admin.email)
    page = client.post(f"/admin/staff/{world.staff_a.id}/login-code")
    code = re.search(r'class="code">(\d{4}) (\d{4})<', page.text)
    assert page.headers["Cache-Control"] == "no-store" and code
    client.post("/auth/logout")
    welcome = client.post("/welcome", data={"phone": world.staff_a.email, "code": "".join(code.groups()),
                                            "password": "mango tree by the well", "again": "mango tree by the well"})
    assert welcome.status_code == 302
    reload(session)
    assert authenticate(session, world.staff_a.email, "mango tree by the well") == world.staff_a
    assert "make_login_code" in _actions(session)


def test_a_buyer_on_hold_is_logged_out_cannot_log_in_or_order_and_is_told_why(make_app, session, world):
    product = gen_product(session, world.shop_a)
    session.commit()
    app = make_app()
    client = app.test_client()
    login(client, world.buyer.email)
    with pytest.raises(AccountError, match="reason"):
        suspend_buyer(session, world.admin, world.buyer, "  ")
    with pytest.raises(AccountError, match="buyers"):
        suspend_buyer(session, world.admin, world.staff_a, "No")
    suspend_buyer(session, world.admin, world.buyer, "Five orders were never collected, call 98123 45678")
    session.commit()
    assert client.get("/orders").status_code == 302  # logged out
    with pytest.raises(AccountSuspended, match="never collected"):
        authenticate(session, world.buyer.email, PASSWORD)
    assert "98123" not in world.buyer.suspended_reason  # the reason hides contacts as every message does
    page = login(app.test_client(), world.buyer.email)
    assert page.status_code == 200 and "on hold" in page.text and "never collected" in page.text
    assert login(app.test_client(), world.buyer.email, "a-wrong-password").status_code == 200
    assert "never collected" not in login(app.test_client(), world.buyer.email, "a-wrong-password").text
    cart = cart_for(session, world.buyer, None, create=True)
    set_quantity(session, cart, product.variants[0].id, 1)
    with pytest.raises(OrderError, match="on hold"):
        place_order(session, world.buyer, cart, "held-key", Delivery({world.shop_a.id: "pickup"}), 45_000)
    session.rollback()
    restore_buyer(session, world.admin, world.buyer)
    session.commit()
    assert login(app.test_client(), world.buyer.email).status_code == 302
    assert session.scalar(sa.select(Notification.subject).where(Notification.user_id == world.buyer.id)) \
        == "Your Haat account is open again"
    assert _actions(session)[-2:] == ["suspend_buyer", "restore_buyer"]


def test_the_buyers_page_lists_wholesalers_to_approve_and_only_admins_put_buyers_on_hold(client, session, world):
    from tests.factories import gen_wholesaler

    waiting = gen_wholesaler(session, approved=False, name="Ravi Traders Owner")
    session.commit()
    login(client, world.staff_a.email)
    page = client.get("/admin/buyers?show=waiting").text
    assert "Ravi Traders Owner" in page and world.buyer.name not in page and "Put on hold" not in page
    assert waiting.email not in page  # staff approve wholesalers without seeing how buyers log in
    assert client.post(f"/admin/buyers/{world.buyer.id}/suspend", data={"reason": "x"}).status_code == 403
    assert client.post(f"/wholesalers/{waiting.id}", data={"decision": "approve"}).status_code == 302
    client.post("/auth/logout")
    login(client, world.admin.email)
    assert "Put on hold" in client.get("/admin/buyers").text
    client.post(f"/admin/buyers/{world.buyer.id}/suspend", data={"reason": "Fake orders"})
    held = client.get("/admin/buyers?show=on_hold").text
    assert world.buyer.name in held and "Fake orders" in held and waiting.name not in held
