"""Password hashing (argon2), safe redirects, security headers and log redaction."""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import unicodedata
from urllib.parse import urlsplit

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import Flask, abort, current_app, request

CSP = "; ".join([
    "default-src 'self'",
    "img-src 'self' data: blob:",
    "style-src 'self'",
    "script-src 'self'",
    "font-src 'self'",
    "connect-src 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    "base-uri 'self'",
    "object-src 'none'",
])


def make_hasher(fast: bool) -> PasswordHasher:
    """argon2id with the library's defaults (RFC 9106 low-memory), or cheap ones for tests."""
    if fast:
        return PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    return PasswordHasher()


def hash_password(password: str) -> str:
    """An argon2id hash of the password."""
    return current_app.extensions["haat.hasher"].hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True if the password matches. Always does the work, so a missing account takes as long."""
    hasher: PasswordHasher = current_app.extensions["haat.hasher"]
    usable = password_hash is not None and not password_hash.startswith("!")  # "!": none chosen yet
    try:
        return hasher.verify(password_hash if usable else current_app.extensions["haat.dummy_hash"], password) \
            and usable
    except (VerificationError, InvalidHashError):
        return False


def signup_code(pending) -> str:
    """The 8-digit code of a pending sign-up: made from its row with the app's secret when sent and when checked,
    so it is stored nowhere."""
    message = f"signup:{pending.id}:{pending.login}:{pending.nonce}".encode()
    digest = hmac.new(str(current_app.config["SECRET_KEY"]).encode(), message, hashlib.sha256).digest()
    return f"{int.from_bytes(digest[:8], 'big') % 10**8:08d}"


def is_safe_next(target: str | None) -> bool:
    """Only a path on this site: no scheme, no host, no protocol-relative or backslash tricks."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return False
    if any(c in target for c in "\\\r\n\t"):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


def add_security_headers(response):
    """Headers every response carries."""
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CSP)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("Permissions-Policy", "geolocation=(), microphone=(), payment=(self)")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if current_app.config["ENV"] == "production":
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    return response


FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def refuse_unusable_input() -> None:
    """400 for a NUL byte anywhere (PostgreSQL text cannot hold one) or a form field without a plain ASCII name
    (a nameless multipart part, or "variants-²-price", breaks WTForms): no page of ours sends either."""
    pairs = [*request.args.items(multi=True), *request.cookies.items(multi=True)]
    if request.mimetype in FORM_TYPES:
        if any(not isinstance(k, str) or not k.isascii() for k in (*request.form.keys(), *request.files.keys())):
            abort(400)
        pairs += request.form.items(multi=True)
    if "\x00" in request.path or any("\x00" in k or "\x00" in v for k, v in pairs):
        abort(400)


# Contact details: an e-mail address or UPI id; a mobile number (with +91 or 0 before it, spaces or dashes between
# its digits) or a landline with its STD code.
CONTACT = re.compile(r"(?P<email>[\w.+-]+@[\w-]+(?:\.[\w-]+)*)"
                     r"|(?<!\d)(?:(?:\+?91|0)[\s-]?)?[6-9](?:[\s-]?\d){9}(?!\d)"
                     r"|(?<!\d)0\d(?:[\s-]?\d){8,9}(?!\d)")
HIDDEN = "[…]"


def hide_contacts(text: str, email: str = HIDDEN, phone: str = HIDDEN) -> str:
    """The text with every e-mail address and phone number in it replaced (digits of any script count)."""
    # Matched on a copy with every digit written 0-9 (Devanagari, Tamil, Bengali... digits too), same length.
    plain = "".join(str(d) if (d := unicodedata.decimal(c, None)) is not None else c for c in text)
    for match in reversed(list(CONTACT.finditer(plain))):
        text = text[:match.start()] + (email if match["email"] else phone) + text[match.end():]
    return text


class RedactContactDetails(logging.Filter):
    """Masks e-mail addresses and phone numbers in every log line, as a last safety net."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = hide_contacts(message, "[email]", "[phone]")
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


def install(app: Flask) -> None:
    """Hasher, headers and log redaction for this app."""
    hasher = make_hasher(app.config["PASSWORD_HASH_FAST"])
    app.extensions["haat.hasher"] = hasher
    app.extensions["haat.dummy_hash"] = hasher.hash("not a real password")
    app.after_request(add_security_headers)
    app.before_request(refuse_unusable_input)
    redactor = RedactContactDetails()
    for name in ("", "werkzeug", "gunicorn.access", "gunicorn.error", app.logger.name):
        logger = logging.getLogger(name)
        if redactor not in logger.filters and not any(
            isinstance(f, RedactContactDetails) for f in logger.filters
        ):
            logger.addFilter(redactor)
