"""Account services: sign-up, login, password change. They flush, never commit."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta

import phonenumbers
import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session
from zxcvbn import zxcvbn

from market.core.db import rows_matched, utcnow
from market.core.errors import Refusal
from market.core.models import AuditEntry, LoginSession, PasswordReset, PendingSignup, Role, User
from market.core.notifications import PushSubscription, notify
from market.core.security import hash_password, hide_contacts, reset_code, signup_code, verify_password

MIN_PASSWORD, MAX_PASSWORD = 8, 128
# zxcvbn's score: 3 is "safely unguessable" (about 10^8 guesses or more): not a word, a name, a keyboard row, a
# repeat or a date with a few changes. Its dictionaries hold the commonest passwords, words and names.
STRONG_ENOUGH = 3
SELF_SIGNUP_ROLES = (Role.BUYER, Role.WHOLESALER)


class AccountError(Refusal):
    """A request about an account that cannot be done; the message is for the user."""


@dataclass(frozen=True)
class Login:
    """A normalised e-mail address or E.164 phone number."""

    kind: str  # "email" or "phone"
    value: str


def parse_login(text: str) -> Login:
    """An e-mail (lower-cased) or an Indian/international phone number in E.164."""
    text = (text or "").strip()
    if not text:
        raise AccountError(_l("Enter your phone number or e-mail."))
    if "@" in text:
        try:
            email = validate_email(text, check_deliverability=False).normalized
        except EmailNotValidError as exc:
            raise AccountError(_l("That e-mail address does not look right.")) from exc
        return Login("email", email.lower())
    try:
        number = phonenumbers.parse(text, "IN")
    except phonenumbers.NumberParseException as exc:
        raise AccountError(_l("Enter a 10-digit mobile number or an e-mail address.")) from exc
    if not phonenumbers.is_valid_number(number):
        raise AccountError(_l("Enter a 10-digit mobile number or an e-mail address."))
    return Login("phone", phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))


def account_key(text: str) -> str:
    """The account a typed login means, for counting tries: its normalised form (every spelling of one phone
    number or e-mail is one key), or, for text that is neither, the text without case or spaces."""
    try:
        return parse_login(text).value
    except AccountError:
        return "".join((text or "").split()).casefold()


def check_password_rules(password: str, hints: tuple[str | None, ...] = ()) -> None:
    """Raise AccountError if the password is too short, too long, or easy to guess (zxcvbn: common passwords,
    words, repeats, keyboard rows, dates, digits of any script, her own name or number given as `hints`)."""
    if len(password) < MIN_PASSWORD:
        raise AccountError(_l("Use at least %(n)d letters or numbers for your password.", n=MIN_PASSWORD))
    if len(password) > MAX_PASSWORD:
        raise AccountError(_l("That password is too long (at most %(n)d).", n=MAX_PASSWORD))
    # Digits of any script count as the digits they are (௧௨௩ is 123); zxcvbn reads at most 72 characters.
    plain = "".join(str(d) if (d := unicodedata.decimal(c, None)) is not None else c for c in password)
    words = [w for hint in hints if hint for w in (hint, *hint.split(), hint.lstrip("+")[-10:])]
    if zxcvbn(plain[:72], user_inputs=words)["score"] < STRONG_ENOUGH:
        raise AccountError(_l("That password is too easy to guess. Use a phrase of several words that mean "
                              "something to you, like “mango tree by the well”: not your name, your number or "
                              "a well-known password."))


def find_by_login(session: Session, login: Login) -> User | None:
    """The account for this e-mail or phone, if any."""
    column = User.email if login.kind == "email" else User.phone
    return session.scalar(sa.select(User).where(column == login.value))


def create_user(session: Session, *, name: str, login: str, password: str, role: Role,
                locale: str | None = None) -> User:
    """A new account; raises AccountError if the login is taken or the password is weak."""
    parsed = parse_login(login)
    check_password_rules(password, (name, parsed.value))
    if find_by_login(session, parsed) is not None:
        raise AccountError(_l("An account with this phone number or e-mail already exists. Log in instead."))
    user = User(name=name.strip(), role=str(role), password_hash=hash_password(password), locale=locale,
                **{parsed.kind: parsed.value})
    session.add(user)
    session.flush()
    return user


SIGNUP_CODE_LIFE, SIGNUP_CODE_TRIES = timedelta(hours=1), 5
TAKEN = _l("An account with this phone number or e-mail was made meanwhile. Log in instead.")


def request_signup(session: Session, *, name: str, login: str, password: str, role: Role,
                   locale: str | None = None, business_name: str = "", gstin: str = "") -> str:
    """Start a self-service sign-up (buyers and wholesalers; sellers join through their SHG) and return the
    normalised login. A new login gets a pending sign-up whose code the notify worker sends to it; a login that
    has an account gets a message to its owner instead (maybe she forgot: she may just log in). Either way the
    caller answers alike and the same work is done (one password hash), so sign-up tells nobody which phone
    numbers and e-mails have accounts."""
    if role not in SELF_SIGNUP_ROLES:
        raise AccountError(_l("Sellers join Haat through their self-help group."))
    parsed = parse_login(login)
    check_password_rules(password, (name, parsed.value))
    password_hash = hash_password(password)
    owner = find_by_login(session, parsed)
    if owner is not None:
        notify(session, [owner], _l("Someone tried to make a new Haat account with your phone number or e-mail"),
               _l("If it was you: you already have an account, so log in with this phone number or e-mail. If it "
                  "was not you, you need do nothing: no account was made and nobody was told you have one."),
               link="/auth/login")
        return parsed.value
    pending = session.scalar(sa.select(PendingSignup).where(PendingSignup.login == parsed.value)) \
        or PendingSignup(login=parsed.value)
    pending.name, pending.role, pending.locale = name.strip(), str(role), locale
    pending.business_name, pending.gstin, pending.password_hash = business_name, gstin or "", password_hash
    pending.nonce, pending.tries, pending.code_state = secrets.token_urlsafe(32), 0, "pending"
    pending.expires_at = utcnow() + SIGNUP_CODE_LIFE
    session.add(pending)
    session.flush()
    return parsed.value


def finish_signup(session: Session, login: str, code: str) -> tuple[User, PendingSignup]:
    """Make the account of a pending sign-up whose code came back (5 tries, 1 hour); returns it and the sign-up.
    A login that has an account by now raises AccountError(TAKEN); a race with another sign-up for the same login
    raises sqlalchemy's IntegrityError from the flush (the caller rolls back and says TAKEN)."""
    wrong = AccountError(_l("That code is not right, or it is too old. Check the code, or sign up again for a "
                            "new one."))
    pending = session.scalar(sa.select(PendingSignup).where(PendingSignup.login == login)) if login else None
    if pending is None or pending.expires_at <= utcnow() or pending.tries >= SIGNUP_CODE_TRIES:
        raise wrong
    if not hmac.compare_digest(signup_code(pending), "".join((code or "").split())):
        pending.tries += 1
        session.flush()
        raise wrong
    parsed = parse_login(pending.login)
    if find_by_login(session, parsed) is not None:
        session.delete(pending)
        session.flush()
        raise AccountError(TAKEN)
    user = User(name=pending.name, role=pending.role, password_hash=pending.password_hash, locale=pending.locale,
                **{parsed.kind: parsed.value})
    session.add(user)
    session.delete(pending)
    session.flush()
    return user, pending


class AccountSuspended(AccountError):
    """The right password for an account on hold: she is told why (only once she has shown it is hers)."""


def authenticate(session: Session, login: str, password: str) -> User | None:
    """The active account whose password matches, else None (same work either way); AccountSuspended, with the
    reason, for the right password of an account on hold."""
    try:
        parsed = parse_login(login)
    except AccountError:
        verify_password(None, password)
        return None
    user = find_by_login(session, parsed)
    ok = verify_password(user.password_hash if user else None, password)
    if ok and user is not None and user.is_active and user.suspended_reason:
        raise AccountSuspended(_l("Your account is on hold, so you cannot log in or order. The reason: %(reason)s. "
                                  "To ask about it, write to the Haat team.", reason=user.suspended_reason))
    return user if ok and user is not None and user.is_active else None


def _end_every_login_session(session: Session, user: User) -> None:
    user.session_version += 1
    session.execute(sa.update(LoginSession).where(LoginSession.user_id == user.id,
                                                  LoginSession.revoked_at.is_(None)).values(revoked_at=utcnow()))


# -- staff accounts, and buyers put on hold, by an admin ------------------------------------------------------------

def update_account(session: Session, actor: User, user: User, *, name: str, login: str) -> None:
    """A new name or login (phone or e-mail) for a staff account."""
    name = " ".join((name or "").split())
    if not name or len(name) > 100:
        raise AccountError(_l("Write a name (at most 100 letters)."))
    parsed = parse_login(login)
    other = find_by_login(session, parsed)
    if other is not None and other.id != user.id:
        raise AccountError(_l("Another account has this phone number or e-mail."))
    user.name = name
    if getattr(user, parsed.kind) != parsed.value:
        user.email = user.phone = None
        setattr(user, parsed.kind, parsed.value)
    session.flush()
    audit(session, actor, "edit_account", "user", user.id)


def disable_account(session: Session, actor: User, user: User) -> None:
    """The account cannot log in any more, and every phone and computer logged in to it is logged out."""
    if user.id == actor.id:
        raise AccountError(_l("You cannot disable your own account."))
    if not user.is_active:
        raise AccountError(_l("This account is disabled already."))
    user.is_active = False
    _end_every_login_session(session, user)
    session.flush()
    audit(session, actor, "disable_account", "user", user.id)


def enable_account(session: Session, actor: User, user: User) -> None:
    """A disabled account can log in again (with its password, or a new login code)."""
    if user.is_active or (user.email is None and user.phone is None):
        raise AccountError(_l("This account cannot be enabled."))
    user.is_active = True
    session.flush()
    audit(session, actor, "enable_account", "user", user.id)


def suspend_buyer(session: Session, actor: User, user: User, reason: str) -> None:
    """Put a buyer's account on hold: logged out everywhere, she cannot log in or order, and is told why."""
    reason = hide_contacts(" ".join((reason or "").split()))
    if not reason:
        raise AccountError(_l("Write the reason: the buyer reads it."))
    if len(reason) > 300:
        raise AccountError(_l("Keep the reason under 300 letters."))
    if user.role not in (Role.BUYER, Role.WHOLESALER):
        raise AccountError(_l("Only buyers' accounts are put on hold here."))
    user.suspended_reason = reason
    _end_every_login_session(session, user)
    session.flush()
    audit(session, actor, "suspend_buyer", "user", user.id, reason)


def restore_buyer(session: Session, actor: User, user: User) -> None:
    """Take a buyer's account off hold."""
    if not user.suspended_reason:
        raise AccountError(_l("This account is not on hold."))
    user.suspended_reason = None
    session.flush()
    notify(session, [user], _l("Your Haat account is open again"),
           _l("You can log in and order again."), link="/auth/login")
    audit(session, actor, "restore_buyer", "user", user.id)


def change_password(session: Session, user: User, current: str, new: str) -> None:
    """Set a new password after checking the current one; ends every other session."""
    if not verify_password(user.password_hash, current):
        raise AccountError(_l("Your current password is not right."))
    check_password_rules(new, (user.name, user.email, user.phone))
    user.password_hash = hash_password(new)
    user.session_version += 1
    end_other_login_sessions(session, user)
    session.flush()


RESET_CODE_LIFE, RESET_CODE_TRIES = timedelta(minutes=10), 5
WRONG_RESET_CODE = _l("That code is not right, or it is too old. Check the code, or ask for a new one.")


def request_reset(session: Session, login: str, purpose: str = "reset") -> str:
    """'Forgot password': a 6-digit code for the account of this phone number or e-mail, sent there by the notify
    worker; returns the normalised login. For a login without an (active) account nothing is sent, and the
    caller answers alike: the same page, the same work (one row's worth of random, no hash either way).
    `purpose` login: a seller's code to log in by SMS (only a seller's phone number gets one; others, alike,
    nothing)."""
    parsed = parse_login(login)
    user = find_by_login(session, parsed)
    nonce = secrets.token_urlsafe(32)
    if user is None or not user.is_active or (purpose == "login" and not logs_in_by_code(user, parsed)):
        return parsed.value
    reset = session.scalar(sa.select(PasswordReset).where(PasswordReset.user_id == user.id)) \
        or PasswordReset(user_id=user.id)
    reset.login, reset.nonce, reset.tries, reset.code_state = parsed.value, nonce, 0, "pending"
    reset.purpose = purpose
    reset.expires_at = utcnow() + RESET_CODE_LIFE
    session.add(reset)
    session.flush()
    return parsed.value


def logs_in_by_code(user: User, login: Login) -> bool:
    """Who may log in with a code by SMS instead of a password: sellers, by the phone number they log in with."""
    return user.role == Role.ENTREPRENEUR and login.kind == "phone"


def check_reset_code(session: Session, login: str, code: str, purpose: str = "reset") -> PasswordReset:
    """The reset (or login) this code opens (10 minutes, 5 tries, compared in constant time), else AccountError;
    a wrong code counts as a try (the caller commits it)."""
    reset = session.scalar(sa.select(PasswordReset).where(PasswordReset.login == login)) if login else None
    typed = "".join((code or "").split())
    if reset is None or reset.purpose != purpose or reset.expires_at <= utcnow() \
            or reset.tries >= RESET_CODE_TRIES:
        hmac.compare_digest("000000", typed)  # the same work as a live one
        raise AccountError(WRONG_RESET_CODE)
    if not hmac.compare_digest(reset_code(reset), typed):
        reset.tries += 1
        session.flush()
        raise AccountError(WRONG_RESET_CODE)
    return reset


def finish_reset(session: Session, login: str, code: str, new_password: str) -> User:
    """Set a new password with the code sent to her phone or e-mail; the code works once, and every phone and
    computer logged in to her account is logged out (whoever had her old password too)."""
    reset = check_reset_code(session, login, code)
    user = session.get_one(User, reset.user_id)
    check_password_rules(new_password, (user.name, user.email, user.phone))
    user.password_hash = hash_password(new_password)
    user.session_version += 1
    session.execute(sa.update(LoginSession).where(LoginSession.user_id == user.id,
                                                  LoginSession.revoked_at.is_(None)).values(revoked_at=utcnow()))
    forget_ended_phones(session, user)
    session.delete(reset)
    audit(session, user, "reset_password", "user", user.id)
    session.flush()
    return user


def finish_code_login(session: Session, login: str, code: str) -> User:
    """A seller logs in with the code sent to her phone instead of her password; the code works once. Her
    password and her other logins stay as they are."""
    reset = check_reset_code(session, login, code, purpose="login")
    user = session.get_one(User, reset.user_id)
    session.delete(reset)
    audit(session, user, "login_by_code", "user", user.id)
    session.flush()
    return user


# -- login sessions: one row per login on a phone or computer, so that each can be ended on the server -----------

SEEN_EVERY = timedelta(minutes=15)  # last_seen_at is written at most this often: not a write per page


# A login no cookie can open any more: the remember-me cookie lives 30 days and is not renewed by use, while a
# session in use is seen at least every SEEN_EVERY; a revoked one is kept a week for "where am I logged in".
STALE_LOGIN = timedelta(days=31)
REVOKED_KEPT = timedelta(days=7)
EXPIRED_CODE_KEPT = timedelta(days=1)


def forget_stale(session: Session, now: datetime) -> dict[str, int]:
    """Delete what is kept longer than it is any use (run daily): logins no cookie can open, sign-ups never
    finished (a password hash of someone with no account), reset codes past their time. Returns counts."""
    gone = {
        "login sessions": session.execute(sa.delete(LoginSession).where(
            (LoginSession.last_seen_at < now - STALE_LOGIN) | (LoginSession.revoked_at < now - REVOKED_KEPT))),
        "sign-ups": session.execute(sa.delete(PendingSignup).where(
            PendingSignup.expires_at < now - EXPIRED_CODE_KEPT)),
        "reset codes": session.execute(sa.delete(PasswordReset).where(
            PasswordReset.expires_at < now - EXPIRED_CODE_KEPT)),
    }
    return {what: rows_matched(result) for what, result in gone.items()}


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_login_session(session: Session, user: User) -> None:
    """A new login session for her on this phone or computer; its token goes into her cookies (user.get_id())."""
    token = secrets.token_urlsafe(32)
    session.add(LoginSession(user_id=user.id, token_hash=_token_hash(token)))
    user.login_token = token
    session.flush()


def live_login_session(session: Session, user_id: int, token: str) -> LoginSession | None:
    """The session this token opens for this user, unless it was ended."""
    if not token:
        return None
    return session.scalar(sa.select(LoginSession).where(LoginSession.token_hash == _token_hash(token),
                                                        LoginSession.user_id == user_id,
                                                        LoginSession.revoked_at.is_(None)))


def user_and_login_session(session: Session, user_id: int, token: str) -> tuple[User, int, datetime] | None:
    """The user with the login session this token opens for her (its id, when it was last seen), read together:
    one query per page for who is logged in. None when either is missing or the session was ended."""
    if not token:
        return None
    row = session.execute(sa.select(User, LoginSession.id, LoginSession.last_seen_at)
                          .join(LoginSession, LoginSession.user_id == User.id)
                          .where(User.id == user_id, LoginSession.token_hash == _token_hash(token),
                                 LoginSession.revoked_at.is_(None))).one_or_none()
    return (row[0], row[1], row[2]) if row else None


def end_login_session(session: Session, user: User) -> None:
    """Log out: this phone's session (its cookies, the remember-me one too) opens nothing from now on."""
    session.execute(sa.update(LoginSession).where(LoginSession.token_hash == _token_hash(user.login_token),
                                                  LoginSession.revoked_at.is_(None)).values(revoked_at=utcnow()))
    forget_ended_phones(session, user)


def end_other_login_sessions(session: Session, user: User) -> None:
    """Log out every other phone and computer she is logged in on; this one stays."""
    session.execute(sa.update(LoginSession).where(LoginSession.user_id == user.id,
                                                  LoginSession.token_hash != _token_hash(user.login_token),
                                                  LoginSession.revoked_at.is_(None)).values(revoked_at=utcnow()))
    forget_ended_phones(session, user)


def forget_ended_phones(session: Session, user: User) -> None:
    """No more alerts on the phones whose login has ended (a phone logged out, lost or shared gets none)."""
    ended = sa.select(LoginSession.id).where(LoginSession.user_id == user.id, LoginSession.revoked_at.is_not(None))
    session.execute(sa.delete(PushSubscription).where(PushSubscription.login_session_id.in_(ended)))


def audit(session: Session, actor: User | None, action: str, subject_type: str,
          subject_id: int | None, detail: str = "") -> None:
    """Append an audit entry in the caller's transaction."""
    session.add(AuditEntry(actor_id=actor.id if actor else None, action=action,
                           subject_type=subject_type, subject_id=subject_id, detail=detail[:200]))


def export_account(user: User) -> dict:
    """What Haat holds about the account itself, for the owner's download."""
    return {"name": user.name, "email": user.email, "phone": user.phone, "role": user.role,
            "language": user.locale, "created_at": user.created_at.isoformat()}


def erase_account(session: Session, user: User, password: str) -> None:
    """Remove the account's personal data after checking the password; the row stays, anonymous."""
    if not verify_password(user.password_hash, password):
        raise AccountError(_l("Your password is not right."))
    user.name = "Erased"
    user.email = user.phone = user.locale = None
    user.password_hash = hash_password(secrets.token_urlsafe(32))
    user.is_active = False
    user.session_version += 1
    session.execute(sa.update(LoginSession).where(LoginSession.user_id == user.id,
                                                  LoginSession.revoked_at.is_(None)).values(revoked_at=utcnow()))
    forget_ended_phones(session, user)
    audit(session, None, "erase_account", "user", user.id)
    session.flush()
