"""Password hashing (argon2), safe redirects, security headers and log redaction."""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import unicodedata
from typing import TypeGuard
from urllib.parse import quote_plus, unquote_plus, urlsplit

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import Flask, abort, current_app, request
from flask_babel import lazy_gettext as _l

from market.core.errors import Refusal

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
        checked = password_hash if usable and password_hash is not None else current_app.extensions["haat.dummy_hash"]
        return hasher.verify(checked, password) and usable
    except (VerificationError, InvalidHashError):
        return False


def signup_code(pending) -> str:
    """The 8-digit code of a pending sign-up: made from its row with the app's secret when sent and when checked,
    so it is stored nowhere."""
    message = f"signup:{pending.id}:{pending.login}:{pending.nonce}".encode()
    digest = hmac.new(str(current_app.config["SECRET_KEY"]).encode(), message, hashlib.sha256).digest()
    return f"{int.from_bytes(digest[:8], 'big') % 10**8:08d}"


def reset_code(reset) -> str:
    """The 6-digit code of a password reset (or of a login by code), made like the sign-up code: stored nowhere."""
    message = f"{reset.purpose or 'reset'}:{reset.id}:{reset.login}:{reset.nonce}".encode()
    digest = hmac.new(str(current_app.config["SECRET_KEY"]).encode(), message, hashlib.sha256).digest()
    return f"{int.from_bytes(digest[:8], 'big') % 10**6:06d}"


def is_safe_next(target: str | None) -> TypeGuard[str]:
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


# Contact details. People write a phone number or an address in many ways to get it past a filter, or just out of
# habit: 98123.45678, (+91) 98123-456-78, ९८१२३ ४५६७८, 98123 four five six seven eight, asha [at] gmail [dot] com.
# So the text is first folded to a plain copy (NFKC, invisible format characters dropped, every script's digits
# written 0-9, dashes and spaces made plain, digit words written as digits) that remembers where each of its
# characters came from; contacts are found in the copy and hidden in the original, whose other words stay as written.
DIGIT_WORDS = {
    **dict.fromkeys(["zero", "shunya", "sunya", "शून्य", "सुन्ना"], "0"),
    **dict.fromkeys(["one", "ek", "एक"], "1"),
    **dict.fromkeys(["two", "do", "don", "दो", "दोन"], "2"),
    **dict.fromkeys(["three", "teen", "tin", "तीन"], "3"),
    **dict.fromkeys(["four", "char", "chaar", "चार"], "4"),
    **dict.fromkeys(["five", "panch", "paanch", "pach", "पांच", "पाँच", "पाच"], "5"),
    **dict.fromkeys(["six", "chhe", "che", "chhah", "chah", "saha", "छह", "छः", "छे", "सहा"], "6"),
    **dict.fromkeys(["seven", "saat", "sat", "सात"], "7"),
    **dict.fromkeys(["eight", "aath", "ath", "आठ"], "8"),
    **dict.fromkeys(["nine", "nau", "nao", "नौ", "नऊ"], "9"),
}
_DIGIT_WORD = re.compile(r"(?<!\w)(" + "|".join(sorted(map(re.escape, DIGIT_WORDS), key=len, reverse=True))
                         + r")(?!\w)", re.IGNORECASE)
# Between the digits of one number: any of these, up to four in a row ("98123 - 45678", "(+91) 98123").
# A + only as in +91 (not "1,250 + 62.50"); no = (not "= 1,312.50").
_SEP = r"(?:[\s.\-/\\,()\[\]{}_*:;~|'\"#]|(?<![\d\s])\+)"
_DIGIT_RUN = re.compile(rf"\d+(?:{_SEP}{{1,4}}\d+)*")
_PHONE = re.compile(r"(?:0{0,2}91|0)?[6-9]\d{9}"  # a mobile, with +91, 0091, 091 or 0 before it
                    r"|0[1-8]\d{9}"  # a landline: 0, the STD code and the number, 11 digits in all
                    r"|(?:00)?91[1-8]\d{9}")  # a landline from abroad, without the STD code's 0
MAX_PHONE_DIGITS = 14  # 0091 and a mobile
TLDS = ("com", "in", "org", "net", "co", "info", "biz", "me", "io", "edu", "gov", "ac", "res", "ind", "us", "uk")
PROVIDERS = ("gmail", "googlemail", "yahoo", "ymail", "rediffmail", "rediff", "hotmail", "outlook", "live",
             "icloud", "protonmail", "proton", "zoho", "aol", "mail")
# UPI handles (the part after @ of a UPI id) of the common apps and banks.
UPI_HANDLES = ("ybl", "ibl", "axl", "okhdfcbank", "okhdfc", "okicici", "oksbi", "okaxis", "paytm", "ptyes",
               "ptaxis", "pthdfc", "ptsbi", "upi", "apl", "yapl", "rapl", "abfspay", "axisbank", "icici", "hdfcbank",
               "sbi", "kotak", "kmbl", "ikwik", "freecharge", "jupiteraxis", "slice", "fam", "waicici", "wahdfcbank",
               "waaxis", "wasbi", "airtel", "jio", "indus", "idfcbank", "federal", "pnb", "barodampay", "cnrb",
               "unionbank", "boi", "aubank", "yesbank", "postbank", "dbs", "timecosmos", "naviaxis", "superyes")
_UPI_LIKE = re.compile(r"(?:ok|pt|wa)\w+|\w*(?:bank|pay|upi|axis|icici|hdfc|sbi|yes)\w*")
_AT = r"(?:\s*@\s*|\s*[(\[{<]\s*at\s*[)\]}>]\s*|\s+at\s+|\s*\(@\)\s*|\s*\[@\]\s*)"
_DOT = r"(?:\s*\.\s*|\s*[(\[{<]\s*dot\s*[)\]}>]\s*|\s+dot\s+)"
_LABEL = r"[a-z](?:[a-z0-9-]*[a-z0-9])?"
_WORD_DOT = r"(?:\s+dot\s+|\s*[(\[{<]\s*dot\s*[)\]}>]\s*)"
_EMAIL = re.compile(rf"(?<![\w.+-])(?:[\w+-]+{_WORD_DOT}){{0,3}}[\w.+-]*\w{_AT}"
                    rf"(?P<domain>{_LABEL}(?:{_DOT}{_LABEL})*)(?![\w@])", re.IGNORECASE)


def _fold(text: str) -> tuple[str, list[int]]:
    """A plain copy of the text for matching, and for each of its characters the index it came from."""
    out: list[str] = []
    origin: list[int] = []
    for index, char in enumerate(text):
        digit = unicodedata.decimal(char, None)
        for c in str(digit) if digit is not None else unicodedata.normalize("NFKC", char):
            category = unicodedata.category(c)
            if category == "Cf":  # zero-width space and joiners, soft hyphen, word joiner, BOM...
                continue
            if category.startswith("Z") or c in "\t\n\r\v\f":
                c = " "
            elif category == "Pd" or c == "\u2212":  # en and em dashes, minus, hyphens
                c = "-"
            elif (d := unicodedata.decimal(c, None)) is not None:
                c = str(d)
            out.append(c)
            origin.append(index)
    plain = "".join(out)
    # Digit words become digits, each word's characters pointing at where the word was.
    words = list(_DIGIT_WORD.finditer(plain))
    if words:
        pieces, where, at = [], [], 0
        for match in words:
            pieces.append(plain[at:match.start()])
            where.extend(origin[at:match.start()])
            pieces.append(DIGIT_WORDS[match[1].lower()])
            where.append(origin[match.start()])
            at = match.end()
        pieces.append(plain[at:])
        where.extend(origin[at:])
        plain, origin = "".join(pieces), where
    return plain, origin


def _is_address(match: re.Match) -> bool:
    """An e-mail address or UPI id, not "10 pcs @ Rs 50" nor "meet at the market"."""
    domain = match["domain"].lower()
    labels = re.split(_DOT, domain)
    if len(labels) == 1:  # no dot: a UPI id (not "kids@school" nor "rate@Rs 300")
        return labels[0] in UPI_HANDLES or labels[0] in PROVIDERS or bool(_UPI_LIKE.fullmatch(labels[0]))
    if labels[0] in PROVIDERS:
        return True
    # "asha at home. In the evening": a full stop and a new sentence, unless the dot was written out.
    return labels[-1] in TLDS and (not re.search(r"\s", domain) or "dot" in domain)


def contact_spans(text: str) -> list[tuple[int, int, str]]:
    """(start, end, "email" or "phone") of every contact detail in the text, as spans of the text itself."""
    plain, origin = _fold(text)
    found: list[tuple[int, int, str]] = []
    for match in _EMAIL.finditer(plain):
        if _is_address(match):
            found.append((match.start(), match.end(), "email"))
    for run in _DIGIT_RUN.finditer(plain):
        groups = [(m.start() + run.start(), m.end() + run.start(), m[0]) for m in re.finditer(r"\d+", run[0])]
        i = 0
        while i < len(groups):  # the longest phone number starting at each group, then on after it
            digits, last = "", None
            for j in range(i, len(groups)):
                digits += groups[j][2]
                if len(digits) > MAX_PHONE_DIGITS:
                    break
                if _PHONE.fullmatch(digits) and not _counts_up(groups[i:j + 1]):
                    last = j
            if last is not None:
                start = groups[i][0] - (plain[groups[i][0] - 1:groups[i][0]] == "+")  # the + of +91 too
                found.append((start, groups[last][1], "phone"))
                i = last + 1
            else:
                i += 1
    spans: list[tuple[int, int, str]] = []
    for start, end, kind in sorted(found):
        start, end = origin[start], origin[end - 1] + 1
        if spans and start < spans[-1][1]:  # overlapping: one span, an e-mail if either is
            before = spans.pop()
            start, end, kind = before[0], max(end, before[1]), "email" if "email" in (kind, before[2]) else kind
        spans.append((start, end, kind))
    # A digit word at the edge maps to its first character: take the rest of the word too.
    return [(s, _word_end(text, e) if unicodedata.category(text[e - 1])[0] == "L" else e, k) for s, e, k in spans]


def _counts_up(groups: list[tuple[int, int, str]]) -> bool:
    """Four or more numbers each above the one before: a list of sizes ("6, 7, 8, 9, 10, 11, 12"), not a phone."""
    values = [int(g[2]) for g in groups]
    return len(values) >= 4 and all(a < b for a, b in zip(values, values[1:], strict=False))


def _word_end(text: str, end: int) -> int:
    while end < len(text) and unicodedata.category(text[end])[0] in "LM":  # letters and vowel signs
        end += 1
    return end


HIDDEN = "[…]"


def hide_contacts(text: str, email: str = HIDDEN, phone: str = HIDDEN) -> str:
    """The text with every e-mail address, UPI id and phone number in it replaced, however it was written."""
    for start, end, kind in reversed(contact_spans(text)):
        text = text[:start] + (email if kind == "email" else phone) + text[end:]
    return text


def has_contact(text: str) -> bool:
    """True if the text holds a phone number, e-mail address or UPI id."""
    return bool(contact_spans(text))


class PublicTextError(Refusal):
    """Text that buyers would read and that would let them reach or find the seller. `field` names the field it
    came from, `text` is that field's value and `kind` says what was found ("contact" or "name")."""

    def __init__(self, message, field: str, text: str, kind: str):
        super().__init__(message)
        self.message, self.field, self.text, self.kind = message, field, text, kind

    def __str__(self) -> str:
        return str(self.message)


# Parts of a legal name that are also everyday words of the trade or titles that many members share: "Devi Crafts"
# for Sunita Devi, "Pooja thali" for Pooja Shinde are allowed; her own first name or surname is not.
COMMON_NAME_WORDS = frozenset({
    # titles and second names many members share
    "devi", "bai", "kumari", "begum", "khatun", "bibi", "ben", "behen", "amma", "kaur", "shri", "shree", "smt",
    "sri", "md",
    # words of the trade: deities (idols, prints, pooja items), lamps, flowers and scents, stones, colours
    "pooja", "puja", "lakshmi", "laxmi", "durga", "ganesh", "ganga", "saraswati", "krishna", "radha", "sita",
    "parvati", "kali", "shakti", "annapurna", "jyoti", "diya", "deep", "kamal", "moti", "heera", "hira", "sona",
    "chandan", "kesar", "tulsi", "mehendi", "mehndi", "kumkum", "gulab", "chameli", "champa", "bela", "juhi",
    "mallika", "neelam", "panna", "ratna", "rani", "raja",
})


def _name_words(text: str) -> list[str]:
    """The words of a text as compared with names: NFKC, invisible characters dropped, case folded."""
    folded = "".join(c for c in unicodedata.normalize("NFKC", text) if unicodedata.category(c) != "Cf")
    return re.findall(r"\w+", folded.casefold())


def names_in(text: str, legal_names: list[str]) -> bool:
    """True if a word of one of these legal names (three letters or more, not a common word) is a whole word
    of the text: "Sunita's pickles" for Sunita Kamble, "Kamble crafts", "SUNITA pickles"; not "Sunitafab"."""
    words = set(_name_words(text))
    return any(len(part) >= 3 and part not in COMMON_NAME_WORDS and part in words
               for name in legal_names for part in _name_words(name))


def check_public_text(fields: dict[str, str], legal_names: list[str]) -> None:
    """Refuse text buyers read (a shop's name or story, a product's title, description, sizes and colours) that
    holds a phone number, e-mail address, UPI id or the seller's own name: buyers must not be able to find her.
    The one place every way in (forms, bulk import, a draft sent from her phone, staff onboarding) is checked."""
    for field, text in fields.items():
        if has_contact(text):
            raise PublicTextError(_l("For your safety, take out the phone number, e-mail address or UPI id: buyers "
                                     "reach you only through Haat, so nobody can trace you."), field, text, "contact")
        if names_in(text, legal_names):
            raise PublicTextError(_l("For your safety, do not use your own name here: buyers must not be able to "
                                     "find out who you are. Write about what you make."), field, text, "name")


# A name=value pair of a query string or form in a log line (an access log's request line or referer, gunicorn's
# %(q)s): its value is read as the browser sent it (percent-encoded, "+" for a space) before looking for contacts.
_QUERY_PAIR = re.compile(r"(?P<name>[\w.\-\[\]%]+)=(?P<value>[^\s&\"';]*)")


def _hide_in_pair(match: re.Match) -> str:
    value = unquote_plus(match["value"])
    hidden = hide_contacts(value, "[email]", "[phone]")
    return match[0] if hidden == value else f"{match['name']}={quote_plus(hidden, safe='[]')}"


def redact_log_text(text: str) -> str:
    """A log line without contact details, in its query strings (decoded first) or anywhere else."""
    return hide_contacts(_QUERY_PAIR.sub(_hide_in_pair, text), "[email]", "[phone]")


def redact_record(record: logging.LogRecord) -> logging.LogRecord:
    """The record with its message (and its exception's text) redacted."""
    try:
        message = record.getMessage()
    except (TypeError, ValueError):  # arguments that do not fit the format: logging reports that itself
        return record
    cleaned = redact_log_text(message)
    if cleaned != message:
        record.msg, record.args = cleaned, None
    if record.exc_info and not record.exc_text:  # a database error's text carries the statement's values
        record.exc_text = redact_log_text(logging.Formatter().formatException(record.exc_info))
    return record


class RedactContactDetails(logging.Filter):
    """Masks e-mail addresses and phone numbers in a log record."""

    def filter(self, record: logging.LogRecord) -> bool:
        redact_record(record)
        return True


def install_log_redaction() -> None:
    """Redact every log record of this process as it is made, whichever logger makes it: werkzeug's and
    gunicorn's access logs, the app's, a library's. (A filter on a logger misses records that its child loggers
    pass up to it, and a filter on a handler misses handlers added later.)"""
    previous = logging.getLogRecordFactory()
    if getattr(previous, "haat_redacts", False):
        return

    def factory(*args, **kwargs) -> logging.LogRecord:
        return redact_record(previous(*args, **kwargs))

    factory.haat_redacts = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)


def install(app: Flask) -> None:
    """Hasher, headers and log redaction for this app."""
    hasher = make_hasher(app.config["PASSWORD_HASH_FAST"])
    app.extensions["haat.hasher"] = hasher
    app.extensions["haat.dummy_hash"] = hasher.hash("not a real password")
    app.after_request(add_security_headers)
    app.before_request(refuse_unusable_input)
    install_log_redaction()
