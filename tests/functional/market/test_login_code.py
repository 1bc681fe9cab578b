"""A seller logs in with a 6-digit code by SMS instead of her password: 10 minutes, 5 tries, once, limited per number
(together with "forgot password" codes) and per address, the same answer for a number that is not a seller's."""

from datetime import timedelta

import sqlalchemy as sa

from market.core.db import utcnow
from market.core.models import AuditEntry, LoginSession, PasswordReset
from market.core.notifications import LogSender, deliver_all
from market.core.security import reset_code
from tests.conftest import code_sent_to, login, reload
from tests.fakes.sms import dlt, sms_server

NEW = "mango tree by the old well"


def ask(client, typed):
    return client.post("/auth/login/code", data={"login": typed})


def test_a_seller_logs_in_with_the_code_from_her_phone_and_her_other_phones_stay_logged_in(
        make_app, client, session, world):
    seller = world.member_a.user
    other_phone = make_app().test_client()
    login(other_phone, seller.phone)
    assert "/auth/login/code" in client.get("/auth/login").text  # offered on the login page
    response = ask(client, f"0{seller.phone[3:8]} {seller.phone[8:]}")  # typed her own way
    assert response.headers["Location"].endswith("/auth/login/code/enter")
    reload(session)
    code = code_sent_to(session, seller.phone, digits=6)
    response = client.post("/auth/login/code/enter", data={"code": code})
    assert response.status_code == 302 and response.headers["Location"].endswith("/seller/")
    assert client.get("/seller/").status_code == 200
    assert other_phone.get("/seller/").status_code == 200  # her password and other logins stay as they were
    reload(session)
    assert session.scalar(sa.select(PasswordReset)) is None  # the code works once
    assert session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "login_by_code"))
    assert session.scalar(sa.select(sa.func.count()).select_from(LoginSession)
                          .where(LoginSession.user_id == seller.id, LoginSession.revoked_at.is_(None))) == 2
    assert login(make_app().test_client(), seller.phone).headers["Location"].endswith("/seller/")  # password too


def test_the_sms_says_it_is_a_code_to_log_in_in_her_language(client, session, world):
    seller = world.member_a.user
    seller.locale = "hi"
    session.commit()
    ask(client, seller.phone)
    reload(session)
    with sms_server() as fake:
        deliver_all(session, LogSender(), dlt(fake))
        [message] = fake.messages(seller.phone)
    assert message["body"].startswith("Haat: ") and "लॉग इन" in message["body"] and message["unicode"]


def test_numbers_that_are_not_a_sellers_get_the_same_answer_and_no_message(app, session, world):
    buyer_phone = "+919876500001"
    world.buyer.phone = buyer_phone  # a buyer with a phone number: codes to log in are for sellers only
    session.commit()
    answers = []
    for typed in (world.member_a.user.phone, buyer_phone, "+91 99999 00000"):
        client = app.test_client()
        response = ask(client, typed)
        answers.append((response.status_code, response.headers["Location"]))
        page = client.get("/auth/login/code/enter").text
        assert "If" in page and "seller" in page  # the page never says whether it has an account
    assert len(set(answers)) == 1
    reload(session)
    with sms_server() as fake:
        deliver_all(session, LogSender(), dlt(fake))
        assert [m["to"] for m in fake.messages()] == [world.member_a.user.phone]


def test_an_e_mail_is_asked_to_be_a_phone_number(client, world):
    page = ask(client, world.buyer.email)
    assert page.status_code == 200 and "type the phone number you log in with" in page.text


def test_a_reset_code_does_not_log_in_and_a_login_code_does_not_reset(client, session, world):
    phone = world.member_a.user.phone
    client.post("/auth/forgot", data={"login": phone})
    reload(session)
    reset = reset_code(session.scalar(sa.select(PasswordReset)))
    ask(client, phone)  # the newest code asked for is the one that works: the reset's is dead now
    reload(session)
    row = session.scalar(sa.select(PasswordReset))
    assert row.purpose == "login" and reset_code(row) != reset
    assert "not right" in client.post("/auth/login/code/enter", data={"code": reset}).text
    page = client.post("/auth/forgot/code", data={"code": reset_code(row), "new": NEW, "confirm": NEW})
    assert "not right" in page.text


def test_five_wrong_codes_and_the_code_is_dead(client, session, world):
    ask(client, world.member_a.user.phone)
    reload(session)
    right = reset_code(session.scalar(sa.select(PasswordReset)))
    wrong = f"{(int(right) + 1) % 10**6:06d}"
    for _ in range(5):
        assert "not right" in client.post("/auth/login/code/enter", data={"code": wrong}).text
    page = client.post("/auth/login/code/enter", data={"code": right})
    assert page.status_code == 200 and "not right" in page.text


def test_an_old_code_is_refused(client, session, world):
    ask(client, world.member_a.user.phone)
    reload(session)
    row = session.scalar(sa.select(PasswordReset))
    right = reset_code(row)
    row.expires_at = utcnow() - timedelta(seconds=1)
    session.commit()
    page = client.post("/auth/login/code/enter", data={"code": right})
    assert page.status_code == 200 and "too old" in page.text


def test_codes_are_limited_per_number_together_with_forgot_password(client, world):
    phone = world.member_a.user.phone
    answers = [client.post("/auth/forgot", data={"login": phone}).status_code,
               ask(client, phone[3:]).status_code, ask(client, f"0{phone[3:]}").status_code,
               ask(client, f"{phone[3:8]} {phone[8:]}").status_code]
    assert answers == [302, 302, 302, 429]


def test_no_code_page_without_asking_first(client):
    assert client.get("/auth/login/code/enter").headers["Location"].endswith("/auth/login/code")
