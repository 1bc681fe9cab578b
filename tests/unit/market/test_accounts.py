"""Account services, without HTTP."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from market.core.accounts import (
    AccountError,
    authenticate,
    change_password,
    finish_signup,
    forget_stale,
    parse_login,
    request_signup,
)
from market.core.db import utcnow
from market.core.models import LoginSession, PasswordReset, PendingSignup, Role, User
from market.core.notifications import Notification
from market.core.security import signup_code
from tests.factories import PASSWORD, gen_user


@pytest.mark.parametrize(("typed", "kind", "value"), [
    ("98123 45678", "phone", "+919812345678"),
    ("+91-98123-45678", "phone", "+919812345678"),
    ("098123 45678", "phone", "+919812345678"),
    (" Asha@Example.ORG ", "email", "asha@example.org"),
    ("+44 7911 123456", "phone", "+447911123456"),
])
def test_logins_are_normalised(typed, kind, value):
    login = parse_login(typed)
    assert (login.kind, login.value) == (kind, value)


@pytest.mark.parametrize("typed", ["", "12345", "asha@", "not an email@x", "99999"])
def test_bad_logins_get_a_message(typed):
    with pytest.raises(AccountError) as exc:
        parse_login(typed)
    assert str(exc.value)


def sign_up(session, **values):
    """Sign up and send the code back, as the two pages do."""
    login = request_signup(session, **values)
    pending = session.scalar(sa.select(PendingSignup).where(PendingSignup.login == login))
    return finish_signup(session, login, signup_code(pending))[0] if pending else None


def test_sign_up_stores_an_argon2_hash_never_the_password(session):
    user = sign_up(session, name="Asha", login="9812345678", password="long-enough-1", role=Role.BUYER)
    assert user.phone == "+919812345678" and user.email is None
    assert user.password_hash.startswith("$argon2id$")
    assert "long-enough-1" not in user.password_hash


@pytest.mark.parametrize("role", [Role.ENTREPRENEUR, Role.STAFF, Role.ADMIN])
def test_only_buyers_and_wholesalers_sign_themselves_up(session, role):
    with pytest.raises(AccountError):
        sign_up(session, name="X", login="x@example.com", password="long-enough-1", role=role)
    assert session.scalar(sa.select(sa.func.count()).select_from(User)) == 0


def test_one_account_per_login_and_its_owner_is_told(session):
    owner = gen_user(session, login="9812345678")
    assert sign_up(session, name="Y", login="+91 98123 45678", password="long-enough-1", role=Role.BUYER) is None
    assert session.scalar(sa.select(sa.func.count()).select_from(User)) == 1
    assert session.scalar(sa.select(Notification.user_id)) == owner.id


@pytest.mark.parametrize("password", ["short", "password123", "12345678", "x" * 129])
def test_weak_passwords_are_refused(session, password):
    with pytest.raises(AccountError):
        sign_up(session, name="Y", login="y@example.com", password=password, role=Role.BUYER)


@pytest.mark.parametrize("password", ["aaaaaaaa", "qwerty123", "abcabcabcabc", "iloveyou2024", "P@ssw0rd!",
                                      "98123456789", "asha9812345678", "௧௨௩௪௫௬௭௮"])
def test_common_and_repetitive_passwords_are_refused_with_how_to_pick_one(session, password):
    with pytest.raises(AccountError, match="several words"):
        sign_up(session, name="Asha", login="9812345678", password=password, role=Role.BUYER)


@pytest.mark.parametrize("password", [PASSWORD, "demo-pass-123", "mango tree near the well", "मेरा नाम आशा है"])
def test_a_phrase_of_words_is_accepted(session, password):
    assert sign_up(session, name="Asha", login="9812345678", password=password, role=Role.BUYER) is not None


def test_a_new_password_is_checked_when_it_changes_too(session):
    user = gen_user(session)
    with pytest.raises(AccountError, match="several words"):
        change_password(session, user, PASSWORD, "qwerty123")


def test_authenticate_by_phone_or_email(session):
    user = gen_user(session, login="9812345678")
    assert authenticate(session, "+919812345678", PASSWORD) is user
    assert authenticate(session, "98123 45678", "wrong password") is None
    assert authenticate(session, "nobody@example.com", PASSWORD) is None
    assert authenticate(session, "garbage", PASSWORD) is None


def test_inactive_accounts_cannot_log_in(session):
    user = gen_user(session)
    user.is_active = False
    assert authenticate(session, user.email, PASSWORD) is None


def test_password_change_needs_the_current_one_and_ends_other_sessions(session):
    user = gen_user(session)
    with pytest.raises(AccountError):
        change_password(session, user, "wrong", "a-new-password")
    version = user.session_version
    change_password(session, user, PASSWORD, "a-new-password")
    assert user.session_version == version + 1
    assert authenticate(session, user.email, "a-new-password") is user
    assert authenticate(session, user.email, PASSWORD) is None


def test_stale_logins_sign_ups_and_reset_codes_are_forgotten(session):
    """What a leaked copy of the tables would hold longer than it is any use: a sign-up never finished (her
    password hash), a reset code past its time, a login no cookie can still open. Live ones stay."""
    now = utcnow()
    user, other = gen_user(session), gen_user(session)
    ago = {"live": now - timedelta(days=2), "idle": now - timedelta(days=32), "revoked": now - timedelta(days=8)}
    rows = {name: LoginSession(user_id=user.id, token_hash=name.ljust(64, "0"), created_at=when, last_seen_at=when,
                               revoked_at=when if name == "revoked" else None) for name, when in ago.items()}
    rows["just revoked"] = LoginSession(user_id=user.id, token_hash="r" * 64, last_seen_at=now, revoked_at=now)
    session.add_all(rows.values())
    for login, expires in (("+919800000001", now - timedelta(days=2)), ("+919800000002", now + timedelta(hours=1))):
        session.add(PendingSignup(login=login, name="A", role="buyer", password_hash="x", nonce="n",
                                  expires_at=expires))
    session.add_all([PasswordReset(user_id=user.id, login="a", nonce="n", expires_at=now - timedelta(days=2)),
                     PasswordReset(user_id=other.id, login="b", nonce="n", expires_at=now + timedelta(minutes=5))])
    session.flush()

    assert forget_stale(session, now) == {"login sessions": 2, "sign-ups": 1, "reset codes": 1}

    assert set(session.scalars(sa.select(LoginSession.token_hash).where(LoginSession.user_id == user.id))) == {
        rows["live"].token_hash, rows["just revoked"].token_hash}
    assert session.scalars(sa.select(PendingSignup.login)).all() == ["+919800000002"]
    assert session.scalars(sa.select(PasswordReset.user_id)).all() == [other.id]
