"""Account services, without HTTP."""

import pytest
import sqlalchemy as sa

from market.core.accounts import AccountError, authenticate, change_password, finish_signup, parse_login, request_signup
from market.core.models import PendingSignup, Role, User
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
