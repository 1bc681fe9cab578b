"""Sign-up, login, logout, password change, rate limits, redirects, cookies and headers, over HTTP."""

from datetime import timedelta

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher

from market.core.accounts import authenticate
from market.core.db import utcnow
from market.core.models import PendingSignup, User
from market.core.notifications import Notification
from tests.conftest import code_sent_to, csrf_token, login, reload
from tests.factories import PASSWORD, gen_user

SIGNUP = {"name": "Asha", "login": "98123 45678", "password": "long-enough-1", "confirm": "long-enough-1",
          "role": "buyer"}


def test_sign_up_sends_a_code_and_the_code_makes_the_account(client, session):
    response = client.post("/auth/signup", data=SIGNUP)
    assert response.status_code == 302 and response.headers["Location"] == "/auth/signup/code"
    assert session.scalar(sa.select(sa.func.count()).select_from(User)) == 0  # not before the code comes back
    page = client.get("/auth/signup/code").text
    assert "+919812345678" in page and "code" in page
    code = code_sent_to(session, "+919812345678")
    response = client.post("/auth/signup/code", data={"code": code})
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert "Hello, Asha" in client.get("/auth/account").text
    reload(session)
    user = session.scalar(sa.select(User))
    assert (user.phone, user.role) == ("+919812345678", "buyer")
    assert authenticate(session, "9812345678", SIGNUP["password"]) is not None


def test_a_sign_up_code_takes_five_tries_at_most(client, session):
    client.post("/auth/signup", data={**SIGNUP, "login": "asha@example.org"})
    code = code_sent_to(session, "asha@example.org")
    wrong = f"{(int(code) + 1) % 10**8:08d}"
    for _ in range(5):
        assert "not right" in client.post("/auth/signup/code", data={"code": wrong}).text
    assert "not right" in client.post("/auth/signup/code", data={"code": code}).text
    assert session.scalar(sa.select(sa.func.count()).select_from(User)) == 0


class CountingHasher(PasswordHasher):
    """argon2 with cheap test parameters that counts the hashes it makes and checks."""

    def __init__(self):
        super().__init__(time_cost=1, memory_cost=8, parallelism=1)
        self.calls = 0

    def hash(self, password, *, salt=None):
        self.calls += 1
        return super().hash(password, salt=salt)

    def verify(self, hash, password):
        self.calls += 1
        return super().verify(hash, password)


def test_sign_up_answers_alike_for_a_number_with_an_account_and_one_without(make_app, session):
    """The same status, page and work (hashes counted, not timed): sign-up tells nobody which numbers are taken."""
    app = make_app(WTF_CSRF_ENABLED=True)
    app.extensions["haat.hasher"] = hasher = CountingHasher()
    owner = gen_user(session, login="9812345678")
    session.commit()
    answers = []
    for number in ("98123 45678", "98123 45679"):  # the first has an account
        client = app.test_client()
        token = csrf_token(client.get("/auth/signup").text)
        hasher.calls = 0
        posted = client.post("/auth/signup", data={**SIGNUP, "login": number, "csrf_token": token})
        work = hasher.calls
        shown = client.get(posted.headers.get("Location", "/auth/signup"))
        answers.append((posted.status_code, posted.headers.get("Location"), posted.text, work, shown.status_code,
                        shown.text.replace(csrf_token(shown.text), "").replace(number.replace(" ", ""), "")))
    assert answers[0] == answers[1]
    assert answers[0][3] == 1  # the password is hashed for both
    reload(session)
    note = session.scalar(sa.select(Notification).where(Notification.user_id == owner.id))
    assert "tried to make a new Haat account" in note.subject  # the owner hears of it, and may just log in
    assert session.scalar(sa.select(sa.func.count()).select_from(User)) == 1


def test_sign_up_is_limited_per_number_in_any_spelling_and_per_address(make_app, session):
    app = make_app(SIGNUP_LIMIT_PER_LOGIN="3 per hour", SIGNUP_LIMIT_PER_ADDRESS="5 per hour")
    client = app.test_client()
    for spelling in ("98123 45678", "+919812345678", "(+91) 98123-45678"):
        assert client.post("/auth/signup", data={**SIGNUP, "login": spelling}).status_code == 302
    assert client.post("/auth/signup", data={**SIGNUP, "login": "098123 45678"}).status_code == 429
    for n in range(2):
        assert client.post("/auth/signup", data={**SIGNUP, "login": f"9812345{n}90"}).status_code == 302
    assert client.post("/auth/signup", data={**SIGNUP, "login": "9812345690"}).status_code == 429
    assert app.test_client().post("/auth/signup", data={**SIGNUP, "login": "9812345691"},
                                  environ_base={"REMOTE_ADDR": "192.0.2.7"}).status_code == 302


@pytest.mark.real_commits  # the other sign-up commits on a connection of its own
def test_a_sign_up_racing_another_for_one_login_gets_an_answer_not_an_error(make_app, session):
    """Two sign-ups for one login at once: the other one's row lands between this one's check and its write."""
    app = make_app()
    client = app.test_client()
    client.post("/auth/signup", data=SIGNUP)
    code = code_sent_to(session, "+919812345678")

    done = []

    def meanwhile(request_session, _context, _instances):  # another sign-up of this number finishes first
        if not done and any(isinstance(o, User) for o in request_session.new):
            done.append(True)
            with request_session.get_bind().connect() as other:
                other.execute(sa.insert(User).values(name="First", phone="+919812345678", password_hash="!",
                                                     role="buyer", session_version=1, is_active=True,
                                                     created_at=utcnow()))
                other.commit()

    sa.event.listen(app.extensions["haat.db"], "before_flush", meanwhile)
    response = client.post("/auth/signup/code", data={"code": code})
    sa.event.remove(app.extensions["haat.db"], "before_flush", meanwhile)
    assert done and response.status_code == 200 and "Log in instead" in response.text
    assert client.get("/auth/account").status_code == 302


@pytest.mark.parametrize(("change", "message"), [
    ({"login": "12345"}, "10-digit mobile number"),
    ({"password": "short", "confirm": "short"}, "at least 8"),
    ({"password": "aaaaaaaa", "confirm": "aaaaaaaa"}, "phrase of several words"),
    ({"password": "qwerty123", "confirm": "qwerty123"}, "phrase of several words"),
    ({"password": "asha98123", "confirm": "asha98123"}, "phrase of several words"),  # her name and number
    ({"confirm": "different-one"}, "not the same"),
    ({"name": ""}, "what to call you"),
    ({"role": "admin"}, "Not a valid choice"),
    ({"role": "entrepreneur"}, "Not a valid choice"),
])
def test_bad_sign_up_gets_a_clear_message_and_creates_nothing(client, session, change, message):
    response = client.post("/auth/signup", data={**SIGNUP, **change})
    assert response.status_code == 200
    assert message in response.text
    assert session.scalar(sa.select(sa.func.count()).select_from(User)) == 0


def test_login_by_phone_and_logout(client, session):
    gen_user(session, login="9812345678", name="Asha")
    session.commit()
    response = login(client, "+91 98123 45678")
    assert response.status_code == 302
    assert client.get("/auth/account").status_code == 200
    assert client.post("/auth/logout").status_code == 302
    assert client.get("/auth/account").status_code == 302


def test_wrong_password_is_refused_with_the_same_words_as_an_unknown_account(client, session):
    user = gen_user(session)
    session.commit()
    wrong = login(client, user.email, "not-the-password")
    unknown = login(client, "nobody@example.com", "not-the-password")
    for response in (wrong, unknown):
        assert response.status_code == 200
        assert "do not match" in response.text
    assert client.get("/auth/account").status_code == 302


def test_logout_is_not_a_get(client, session):
    user = gen_user(session)
    session.commit()
    login(client, user.email)
    assert client.get("/auth/logout").status_code == 405
    assert client.get("/auth/account").status_code == 200


def test_failed_logins_are_limited_per_account(make_app, session):
    app = make_app(LOGIN_LIMIT_PER_ACCOUNT="3 per 15 minutes", LOGIN_LIMIT_PER_ADDRESS="100 per 15 minutes")
    client = app.test_client()
    user = gen_user(session)
    session.commit()
    for _ in range(3):
        assert login(client, user.email, "wrong-password").status_code == 200
    blocked = login(client, user.email, PASSWORD)  # even the right password waits now
    assert blocked.status_code == 429
    assert "wait 15 minutes" in blocked.text
    other = gen_user(session)
    session.commit()
    assert login(client, other.email).status_code == 302  # another account is not blocked


def test_failed_logins_are_limited_per_address(make_app, session):
    app = make_app(LOGIN_LIMIT_PER_ACCOUNT="100 per 15 minutes", LOGIN_LIMIT_PER_ADDRESS="4 per 15 minutes")
    client = app.test_client()
    users = [gen_user(session) for _ in range(5)]
    session.commit()
    for user in users[:4]:
        login(client, user.email, "wrong-password")
    assert login(client, users[4].email).status_code == 429
    elsewhere = app.test_client()
    response = elsewhere.post("/auth/login", data={"login": users[4].email, "password": PASSWORD},
                              environ_base={"REMOTE_ADDR": "192.0.2.7"})
    assert response.status_code == 302


def test_successful_logins_do_not_count_towards_the_limit(make_app, session):
    app = make_app(LOGIN_LIMIT_PER_ACCOUNT="2 per 15 minutes")
    client = app.test_client()
    user = gen_user(session)
    session.commit()
    for _ in range(4):
        assert login(client, user.email).status_code == 302
        client.post("/auth/logout")


@pytest.mark.parametrize(("target", "lands"), [
    ("/auth/account", "/auth/account"),
    ("https://evil.example/", "/"),
    ("//evil.example/", "/"),
])
def test_next_only_leads_to_this_site(client, session, target, lands):
    user = gen_user(session)
    session.commit()
    response = login(client, user.email, next=target)
    assert response.headers["Location"] == lands


def test_login_required_pages_come_back_after_login(client, session):
    user = gen_user(session)
    session.commit()
    response = client.get("/auth/account")
    assert response.status_code == 302 and "next=%2Fauth%2Faccount" in response.headers["Location"]
    form = client.get(response.headers["Location"]).text
    assert 'name="next" type="hidden" value="/auth/account"' in form
    assert login(client, user.email, next="/auth/account").headers["Location"] == "/auth/account"


def test_password_change_logs_out_other_sessions(make_app, session):
    app = make_app()
    user = gen_user(session)
    session.commit()
    phone, laptop = app.test_client(), app.test_client()
    login(phone, user.email)
    login(laptop, user.email, remember="y")
    response = phone.post("/auth/account", data={"current": PASSWORD, "new": "brand-new-pass",
                                                 "confirm": "brand-new-pass"})
    assert response.status_code == 302
    assert phone.get("/auth/account").status_code == 200  # the phone that changed it stays in
    laptop.delete_cookie("session")  # even the remember-me cookie no longer works
    assert laptop.get("/auth/account").status_code == 302


def test_password_change_with_a_wrong_current_password_changes_nothing(client, session):
    user = gen_user(session)
    session.commit()
    login(client, user.email)
    response = client.post("/auth/account", data={"current": "wrong", "new": "brand-new-pass",
                                                  "confirm": "brand-new-pass"})
    assert "not right" in response.text
    reload(session)
    assert session.get(User, user.id).session_version == 1


def test_forms_need_a_csrf_token(make_app, session):
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    user = gen_user(session)
    session.commit()
    refused = client.post("/auth/login", data={"login": user.email, "password": PASSWORD})
    assert refused.status_code == 400 and "fill it again" in refused.text
    token = csrf_token(client.get("/auth/login").text)
    accepted = client.post("/auth/login", data={"login": user.email, "password": PASSWORD, "csrf_token": token})
    assert accepted.status_code == 302
    assert client.post("/auth/logout").status_code == 400  # logging out needs the token too


def test_cookies_are_httponly_and_samesite(client, session):
    user = gen_user(session)
    session.commit()
    response = login(client, user.email, remember="y")
    cookies = response.headers.getlist("Set-Cookie")
    assert {c.split("=")[0] for c in cookies} >= {"session", "remember_token"}
    for cookie in cookies:
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_production_cookies_are_secure(make_app, session):
    app = make_app(ENV="production", PAYMENT_GATEWAY="razorpay", RAZORPAY_KEY_ID="rzp_live_x",
                   RAZORPAY_KEY_SECRET="s", RAZORPAY_WEBHOOK_SECRET="w", SMS_PROVIDER="twilio",
                   TWILIO_ACCOUNT_SID="AC1", TWILIO_AUTH_TOKEN="t", TWILIO_FROM="+15005550006", ONDC_NETWORK="off")
    user = gen_user(session)
    session.commit()
    response = login(app.test_client(), user.email, remember="y")
    assert all("Secure" in c for c in response.headers.getlist("Set-Cookie"))
    assert "max-age" in app.test_client().get("/").headers["Strict-Transport-Security"]


def test_every_response_has_security_headers(client):
    for path in ("/", "/auth/login", "/does-not-exist"):
        headers = client.get(path).headers
        assert "default-src 'self'" in headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["Referrer-Policy"] == "same-origin"


def test_pages_use_no_inline_script_or_cdn(client):
    html = client.get("/").text
    assert "<script>" not in html and "http://" not in html and "https://" not in html


def test_the_login_limit_counts_every_spelling_of_one_phone_number(make_app, session):
    app = make_app(LOGIN_LIMIT_PER_ACCOUNT="5 per 15 minutes", LOGIN_LIMIT_PER_ADDRESS="100 per 15 minutes")
    client = app.test_client()
    gen_user(session, login="9000000002")
    session.commit()
    spellings = ["+919000000002", "9000000002", "+91 90000 00002", "(+91) 9000000002", "09000000002"]
    for spelling in spellings:
        assert login(client, spelling, "wrong-password").status_code == 200
    assert login(client, "+91-9000-000-002").status_code == 429  # the right password, a sixth spelling


def test_the_login_limit_counts_every_spelling_of_an_unknown_login_too(make_app, session):
    app = make_app(LOGIN_LIMIT_PER_ACCOUNT="3 per 15 minutes", LOGIN_LIMIT_PER_ADDRESS="100 per 15 minutes")
    client = app.test_client()
    for spelling in ("Nobody@Example.com", " nobody@example.com", "NOBODY@EXAMPLE.COM"):
        assert login(client, spelling, "wrong-password").status_code == 200
    assert login(client, "nobody@example.COM", "wrong-password").status_code == 429
    assert login(client, "somebody@example.com", "wrong-password").status_code == 200


def test_a_session_cookie_copied_before_logout_opens_nothing_after_it(client, session, world):
    login(client, world.buyer.email, remember="y")
    copied = {name: client.get_cookie(name).value for name in ("session", "remember_token")}
    assert client.get("/orders").status_code == 200
    client.post("/auth/logout")
    thief = client.application.test_client()
    for name, value in copied.items():
        thief.set_cookie(name, value)
    for path in ("/orders", "/auth/my-data", "/auth/account"):
        response = thief.get(path)
        assert response.status_code == 302 and response.headers["Location"].startswith("/auth/login"), path
    thief.delete_cookie("session")  # the remember-me cookie alone neither
    assert thief.get("/auth/account").headers["Location"].startswith("/auth/login")


def test_logout_ends_only_this_phones_session(make_app, session):
    app = make_app()
    user = gen_user(session)
    session.commit()
    phone, laptop = app.test_client(), app.test_client()
    login(phone, user.email)
    login(laptop, user.email)
    phone.post("/auth/logout")
    assert phone.get("/auth/account").status_code == 302
    assert laptop.get("/auth/account").status_code == 200


def test_log_out_of_every_other_phone_and_computer(make_app, session):
    app = make_app()
    user = gen_user(session)
    session.commit()
    phone, laptop, tablet = app.test_client(), app.test_client(), app.test_client()
    login(phone, user.email)
    login(laptop, user.email, remember="y")
    login(tablet, user.email)
    assert "Log out of all other phones and computers" in phone.get("/auth/account").text
    response = phone.post("/auth/logout-others")
    assert response.status_code == 302 and response.headers["Location"] == "/auth/account"
    assert "Every other phone and computer is logged out" in phone.get(response.headers["Location"]).text
    assert phone.get("/auth/account").status_code == 200  # this one stays in
    assert tablet.get("/auth/account").status_code == 302
    laptop.delete_cookie("session")  # nor does its remember-me cookie log it in again
    assert laptop.get("/auth/account").status_code == 302


@pytest.mark.real_commits  # the other sign-up commits on a connection of its own
def test_two_sign_up_forms_sent_at_once_for_one_login_both_get_the_code_page(make_app, session):
    """The other form's pending sign-up lands between this one's look-up and its write: the same answer, no 500."""
    app = make_app()
    done = []

    def meanwhile(request_session, _context, _instances):
        if not done and any(isinstance(o, PendingSignup) for o in request_session.new):
            done.append(True)
            with request_session.get_bind().connect() as other:
                other.execute(sa.insert(PendingSignup).values(
                    login="+919812345678", name="Asha", role="buyer", business_name="", gstin="",
                    password_hash="!", nonce="n" * 43, tries=0, expires_at=utcnow() + timedelta(hours=1),
                    code_state="pending", created_at=utcnow()))
                other.commit()

    sa.event.listen(app.extensions["haat.db"], "before_flush", meanwhile)
    response = app.test_client().post("/auth/signup", data=SIGNUP)
    sa.event.remove(app.extensions["haat.db"], "before_flush", meanwhile)
    assert done and response.status_code == 302 and response.headers["Location"] == "/auth/signup/code"
