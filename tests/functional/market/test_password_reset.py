"""'Forgot password': a 6-digit code by SMS (or e-mail), 10 minutes, 5 tries, rate-limited per number however it
is spelt and per address, the same answer for numbers without an account, every other session ended."""

from datetime import timedelta

import sqlalchemy as sa

from market.core.db import utcnow
from market.core.models import AuditEntry, LoginSession, PasswordReset
from market.core.security import reset_code
from tests.conftest import code_sent_to, login, reload
from tests.fakes.sms import dlt, sms_server

NEW = "mango tree by the old well"


def ask(client, typed):
    return client.post("/auth/forgot", data={"login": typed})


def test_a_code_by_sms_sets_a_new_password_and_logs_out_every_other_phone(make_app, client, session, world):
    seller = world.member_a.user
    other_phone = make_app().test_client()
    login(other_phone, seller.phone)
    assert other_phone.get("/seller/").status_code == 200
    response = ask(client, "98" + seller.phone[5:8] + " " + seller.phone[8:])  # typed her own way
    assert response.headers["Location"].endswith("/auth/forgot/code")
    reload(session)
    code = code_sent_to(session, seller.phone, digits=6)
    response = client.post("/auth/forgot/code", data={"code": code, "new": NEW, "confirm": NEW})
    assert response.status_code == 302 and response.headers["Location"].endswith("/seller/")
    assert client.get("/seller/").status_code == 200  # logged in here
    assert other_phone.get("/seller/").status_code == 302  # and out everywhere else
    reload(session)
    assert session.scalar(sa.select(PasswordReset)) is None  # the code works once
    assert session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "reset_password"))
    assert session.scalar(sa.select(sa.func.count()).select_from(LoginSession)
                          .where(LoginSession.user_id == seller.id, LoginSession.revoked_at.is_(None))) == 1
    assert login(make_app().test_client(), seller.phone, NEW).headers["Location"].endswith("/seller/")


def test_an_unknown_number_gets_the_same_answer_and_no_message(client, session, world):
    known, unknown = ask(client, world.member_a.user.phone), ask(make_client := client, "+91 99999 00000")
    assert known.status_code == unknown.status_code == 302
    assert known.headers["Location"] == unknown.headers["Location"]
    page = make_client.get("/auth/forgot/code").get_data(as_text=True)
    assert "+919999900000" in page and "If" in page  # the page never says whether it has an account
    reload(session)
    with sms_server() as fake:
        from market.core.notifications import LogSender, deliver_all

        deliver_all(session, LogSender(), dlt(fake))
        assert fake.messages("+919999900000") == []


def test_five_wrong_codes_and_the_code_is_dead(client, session, world):
    phone = world.member_a.user.phone
    ask(client, phone)
    reload(session)
    right = reset_code(session.scalar(sa.select(PasswordReset)))
    wrong = f"{(int(right) + 1) % 10**6:06d}"
    for _ in range(5):
        page = client.post("/auth/forgot/code", data={"code": wrong, "new": NEW, "confirm": NEW})
        assert "not right" in page.get_data(as_text=True)
    page = client.post("/auth/forgot/code", data={"code": right, "new": NEW, "confirm": NEW})
    assert page.status_code == 200 and "not right" in page.get_data(as_text=True)


def test_an_old_code_is_refused(client, session, world):
    ask(client, world.member_a.user.phone)
    reload(session)
    reset = session.scalar(sa.select(PasswordReset))
    right = reset_code(reset)
    reset.expires_at = utcnow() - timedelta(seconds=1)
    session.commit()
    page = client.post("/auth/forgot/code", data={"code": right, "new": NEW, "confirm": NEW})
    assert page.status_code == 200 and "too old" in page.get_data(as_text=True)


def test_a_weak_new_password_keeps_the_code(client, session, world):
    ask(client, world.member_a.user.phone)
    reload(session)
    right = reset_code(session.scalar(sa.select(PasswordReset)))
    page = client.post("/auth/forgot/code", data={"code": right, "new": "password1", "confirm": "password1"})
    assert page.status_code == 200 and "easy to guess" in page.get_data(as_text=True)
    page = client.post("/auth/forgot/code", data={"code": right, "new": NEW, "confirm": NEW})
    assert page.status_code == 302


def test_codes_are_limited_per_number_however_it_is_typed(client, session, world):
    phone = world.member_a.user.phone
    spellings = [phone, phone[3:], f"0{phone[3:]}", f"{phone[3:8]} {phone[8:]}"]
    answers = [ask(client, typed).status_code for typed in spellings]
    assert answers == [302, 302, 302, 429]


def test_the_stored_row_holds_no_code(client, session, world):
    ask(client, world.member_a.user.phone)
    reload(session)
    reset = session.scalar(sa.select(PasswordReset))
    code = reset_code(reset)
    assert code not in " ".join(str(v) for v in (reset.nonce, reset.login, reset.code_state))
