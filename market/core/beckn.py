"""Beckn / ONDC messaging: signing and verifying requests, the registry's challenge, ACK and NACK. Knows no feature.

What the network asks (ONDC's "Signing and verification" note, developer-docs registry/signing-verification.md,
and the reference utility reference-implementations utilities/signing_and_verification/python):
- the digest is BLAKE2b-512 of the body's bytes exactly as sent, base64;
- the signing string is three lines, "(created): <unix>", "(expires): <unix>", "digest: BLAKE-512=<digest>";
- it is signed with the sender's Ed25519 key, and the header is
  `Signature keyId="<subscriber_id>|<unique_key_id>|ed25519",algorithm="ed25519",created="..",expires="..",
  headers="(created) (expires) digest",signature="<base64>"`;
- the receiver looks the sender's public key up at the registry (by subscriber id and unique key id), refuses a
  signature outside created..expires, and answers a bad one with HTTP 401 and a NACK.
- The registry's /on_subscribe challenge is encrypted with AES-256 in ECB mode under the X25519 shared secret of
  the registry's key and ours (PKCS#7 padding), as the registry and ONDC's reference do: we can only follow.

Keys come as ONDC's tools print them: the signing key as base64 of Ed25519's 64-byte secret (seed then public key)
or of the 32-byte seed; the encryption key as base64 of PKCS#8 DER (X25519), or of the raw 32 bytes. The library is
`cryptography` (Ed25519, X25519, AES); BLAKE2b is Python's hashlib.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import requests
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import padding, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

SIGNATURE_LIFETIME = 300  # seconds a signature of ours stays valid (`expires` - `created`)
CLOCK_SKEW = 60  # seconds: a `created` this far in the future is still taken (clocks differ a little)
TIMEOUT = 10  # seconds for a call to the registry or another participant

# ONDC's error codes (developer-docs protocol-network-extension/error-codes.md) a seller app answers with.
INVALID_REQUEST = "30000"
INVALID_SIGNATURE = "30016"
STALE_REQUEST = "30022"
INTERNAL_ERROR = "31001"
BUSINESS_ERROR = "40000"
NOT_APPLICABLE = "40001"  # "Action not applicable": an endpoint the seller app does not serve (yet)


class Nack(Exception):  # noqa: N818 - an answer of the protocol, not a failure of ours
    """A message refused: answered NACK with an ONDC error (code, type, message for the other side's log)."""

    def __init__(self, code: str, message: str, kind: str = "CONTEXT-ERROR", status: int = 400,
                 path: str | None = None) -> None:
        super().__init__(message)
        self.code, self.message, self.kind, self.status, self.path = code, message, kind, status, path

    def error(self) -> dict:
        error = {"type": self.kind, "code": self.code, "message": self.message}
        if self.path:
            error["path"] = self.path
        return error


class Unauthorized(Nack):
    """A signature missing, malformed, expired, from an unknown key or not matching the body: HTTP 401."""

    def __init__(self, message: str) -> None:
        super().__init__(INVALID_SIGNATURE, message, "POLICY-ERROR", 401)


def ack() -> dict:
    return {"message": {"ack": {"status": "ACK"}}}


def nack(refusal: Nack) -> dict:
    return {"message": {"ack": {"status": "NACK"}}, "error": refusal.error()}


def dumps(body: dict) -> bytes:
    """A message as the bytes we send (and sign): compact JSON, UTF-8."""
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()


# -- keys ---------------------------------------------------------------------------------------------------------


def _b64decode(text: str) -> bytes:
    try:
        return base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError("not base64") from exc


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


class SigningKey:
    """Our Ed25519 key."""

    def __init__(self, private: Ed25519PrivateKey) -> None:
        self.private = private

    @classmethod
    def from_base64(cls, text: str) -> SigningKey:
        """ONDC's form (base64 of seed + public key, 64 bytes) or the bare 32-byte seed."""
        raw = _b64decode(text)
        if len(raw) not in (32, 64):
            raise ValueError("an Ed25519 signing key is 32 or 64 bytes")
        key = cls(Ed25519PrivateKey.from_private_bytes(raw[:32]))
        if len(raw) == 64 and raw[32:] != key.public_raw():
            raise ValueError("the key's second half is not its public key")
        return key

    @classmethod
    def from_seed(cls, seed: bytes) -> SigningKey:
        return cls(Ed25519PrivateKey.from_private_bytes(seed))

    def public_raw(self) -> bytes:
        return self.private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)

    @property
    def public_base64(self) -> str:
        """As registered: base64 of the 32-byte public key."""
        return b64(self.public_raw())

    @property
    def private_base64(self) -> str:
        """ONDC's form: base64 of seed + public key."""
        seed = self.private.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                          serialization.NoEncryption())
        return b64(seed + self.public_raw())

    def sign(self, text: str) -> str:
        return b64(self.private.sign(text.encode()))


def verify(public_base64: str, signature_base64: str, text: str) -> bool:
    """Whether the signature is the holder of that Ed25519 public key's, of that text."""
    try:
        key = Ed25519PublicKey.from_public_bytes(_b64decode(public_base64))
        key.verify(_b64decode(signature_base64), text.encode())
    except (ValueError, InvalidSignature):
        return False
    return True


class EncryptionKey:
    """Our X25519 key (the registry's challenge is encrypted to it)."""

    def __init__(self, private: X25519PrivateKey) -> None:
        self.private = private

    @classmethod
    def from_base64(cls, text: str) -> EncryptionKey:
        """PKCS#8 DER, base64 (ONDC's tools), or the raw 32 bytes."""
        raw = _b64decode(text)
        if len(raw) == 32:
            return cls(X25519PrivateKey.from_private_bytes(raw))
        try:
            key = serialization.load_der_private_key(raw, password=None)
        except (ValueError, TypeError) as exc:
            raise ValueError("not an X25519 private key") from exc
        if not isinstance(key, X25519PrivateKey):
            raise ValueError("not an X25519 private key")
        return cls(key)

    @classmethod
    def from_seed(cls, seed: bytes) -> EncryptionKey:
        return cls(X25519PrivateKey.from_private_bytes(seed))

    @property
    def public_base64(self) -> str:
        """As registered: base64 of the SubjectPublicKeyInfo DER ("MCowBQYDK2VuAyEA...")."""
        return b64(self.private.public_key().public_bytes(serialization.Encoding.DER,
                                                          serialization.PublicFormat.SubjectPublicKeyInfo))

    @property
    def private_base64(self) -> str:
        return b64(self.private.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                              serialization.NoEncryption()))

    def shared_secret(self, peer_public_base64: str) -> bytes:
        raw = _b64decode(peer_public_base64)
        if len(raw) == 32:
            peer = X25519PublicKey.from_public_bytes(raw)
        else:
            loaded = serialization.load_der_public_key(raw)
            if not isinstance(loaded, X25519PublicKey):
                raise ValueError("not an X25519 public key")
            peer = loaded
        return self.private.exchange(peer)


def _ecb(secret: bytes) -> Cipher:
    # The registry's scheme, not a choice of ours: AES-256-ECB under the X25519 shared secret (see the module doc).
    return Cipher(algorithms.AES(secret), modes.ECB())  # noqa: S305  # nosec B305


def encrypt_challenge(ours: EncryptionKey, peer_public_base64: str, text: str) -> str:
    """What the registry does (our fake registry uses it)."""
    padder = padding.PKCS7(128).padder()
    data = padder.update(text.encode()) + padder.finalize()
    encryptor = _ecb(ours.shared_secret(peer_public_base64)).encryptor()
    return b64(encryptor.update(data) + encryptor.finalize())


def decrypt_challenge(ours: EncryptionKey, peer_public_base64: str, challenge_base64: str) -> str:
    """The registry's challenge, decrypted: the answer to /on_subscribe. ValueError if it does not decrypt."""
    data = _b64decode(challenge_base64)
    if not data or len(data) % 16:
        raise ValueError("the challenge is not whole AES blocks")
    decryptor = _ecb(ours.shared_secret(peer_public_base64)).decryptor()
    padded = decryptor.update(data) + decryptor.finalize()
    unpadder = padding.PKCS7(128).unpadder()
    try:
        return (unpadder.update(padded) + unpadder.finalize()).decode()
    except UnicodeDecodeError as exc:
        raise ValueError("the challenge does not decrypt with these keys") from exc


def demo_seed(purpose: str, name: str) -> bytes:
    """A fixed 32-byte seed for the fake network's keys (demo and tests only: anyone can compute it)."""
    return hashlib.blake2b(f"haat demo ondc {purpose} {name}".encode(), digest_size=32).digest()


# -- the Authorization header ---------------------------------------------------------------------------------------


def digest(body: bytes) -> str:
    return b64(hashlib.blake2b(body, digest_size=64).digest())


def signing_string(created: int, expires: int, body_digest: str) -> str:
    return f"(created): {created}\n(expires): {expires}\ndigest: BLAKE-512={body_digest}"


def authorization(body: bytes, subscriber_id: str, unique_key_id: str, key: SigningKey,
                  created: int | None = None, expires: int | None = None) -> str:
    """The Authorization (or X-Gateway-Authorization) header signing these bytes."""
    created = int(time.time()) if created is None else created
    expires = created + SIGNATURE_LIFETIME if expires is None else expires
    signature = key.sign(signing_string(created, expires, digest(body)))
    return (f'Signature keyId="{subscriber_id}|{unique_key_id}|ed25519",algorithm="ed25519",created="{created}",'
            f'expires="{expires}",headers="(created) (expires) digest",signature="{signature}"')


PARAMETER = re.compile(r'\s*([a-zA-Z]+)="([^"]*)"\s*(?:,|$)')


@dataclass(frozen=True)
class Signed:
    """Who signed a request (from its header)."""

    subscriber_id: str
    unique_key_id: str
    created: int
    expires: int
    signature: str


def parse_authorization(header: str | None) -> Signed:
    if not header:
        raise Unauthorized("no Authorization header")
    text = header.strip()
    if text.startswith("Signature "):
        text = text[len("Signature "):]
    fields, at = {}, 0
    while at < len(text):
        match = PARAMETER.match(text, at)
        if match is None:
            raise Unauthorized("the Authorization header is malformed")
        fields[match.group(1)] = match.group(2)
        at = match.end()
    parts = fields.get("keyId", "").split("|")
    if len(parts) != 3 or not parts[0] or not parts[1]:
        raise Unauthorized("keyId is not subscriber_id|unique_key_id|algorithm")
    if parts[2] != "ed25519" or fields.get("algorithm", "ed25519") != "ed25519":
        raise Unauthorized("the algorithm is not ed25519")
    if fields.get("headers", "(created) (expires) digest").split() != ["(created)", "(expires)", "digest"]:
        raise Unauthorized('headers is not "(created) (expires) digest"')
    try:
        created, expires = int(fields["created"]), int(fields["expires"])
    except (KeyError, ValueError) as exc:
        raise Unauthorized("created and expires must be Unix times") from exc
    if "signature" not in fields:
        raise Unauthorized("no signature")
    return Signed(parts[0], parts[1], created, expires, fields["signature"])


def check_authorization(header: str | None, body: bytes, public_key: Callable[[str, str], str | None],
                        now: float | None = None) -> Signed:
    """The signer of these bytes, checked: within created..expires (CLOCK_SKEW allowed on created), their key
    found by `public_key(subscriber_id, unique_key_id)` (the registry), the signature theirs. Unauthorized if not."""
    signed = parse_authorization(header)
    now = time.time() if now is None else now
    if signed.created > now + CLOCK_SKEW:
        raise Unauthorized("the signature is created in the future")
    if signed.expires < now:
        raise Unauthorized("the signature has expired")
    key = public_key(signed.subscriber_id, signed.unique_key_id)
    if key is None:
        raise Unauthorized("no key is registered for that keyId")
    if not verify(key, signed.signature, signing_string(signed.created, signed.expires, digest(body))):
        raise Unauthorized("the signature does not match the body")
    return signed


# -- context times ----------------------------------------------------------------------------------------------------

DURATION = re.compile(r"P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?")


def parse_duration(text: str) -> timedelta:
    """An ISO 8601 duration as the context's ttl writes it (PT30S, P1D, PT1H30M); no months or years."""
    match = DURATION.fullmatch(text or "")
    if match is None or not any(match.groups()) or text.endswith("T"):
        raise ValueError("not an ISO 8601 duration")
    weeks, days, hours, minutes, seconds = (float(g) if g else 0.0 for g in match.groups())
    return timedelta(weeks=weeks, days=days, hours=hours, minutes=minutes, seconds=seconds)


def parse_timestamp(text: str) -> datetime:
    """An RFC 3339 timestamp with its zone ("2026-12-08T09:17:55.971Z")."""
    if not isinstance(text, str) or "T" not in text:
        raise ValueError("not an RFC 3339 timestamp")
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError("the timestamp has no time zone")
    return moment.astimezone(UTC)


def format_timestamp(moment: datetime) -> str:
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


# -- the registry -----------------------------------------------------------------------------------------------------


class RegistryUnavailable(Exception):
    """The registry could not be asked (network, 5xx, an answer that is not a list)."""


class Registry:
    """A client of the registry's /lookup, keys kept for `keep` seconds (a key revoked there stops working here
    within that time), a key not found for a minute (one registered meanwhile works soon); at most KEPT keys are
    kept (made-up keyIds cannot fill the memory). `http` is a requests.Session (the demo mounts the fake network)."""

    KEPT = 1000
    KEEP_MISSING = 60.0

    def __init__(self, base_url: str, http: requests.Session | None = None, keep: float = 600,
                 signer: Callable[[bytes], str] | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.http = http or requests.Session()
        self.keep = keep
        self.signer = signer  # signs our lookups (the registry's v2 lookup asks for it; v1 ignores it)
        self.cache: dict[tuple[str, str], tuple[float, dict | None]] = {}

    def lookup(self, subscriber_id: str, unique_key_id: str) -> dict | None:
        """The registry's record of that subscriber and key (subscribed), or None."""
        now = time.monotonic()
        kept = self.cache.get((subscriber_id, unique_key_id))
        if kept is not None and kept[0] > now:
            return kept[1]
        body = dumps({"subscriber_id": subscriber_id, "ukId": unique_key_id})
        headers = {"Content-Type": "application/json"}
        if self.signer is not None:
            headers["Authorization"] = self.signer(body)
        try:
            response = self.http.post(f"{self.base_url}/lookup", data=body, headers=headers, timeout=TIMEOUT)
        except requests.RequestException as exc:
            raise RegistryUnavailable(str(exc)) from exc
        if response.status_code >= 500:
            raise RegistryUnavailable(f"the registry answered {response.status_code}")
        try:
            records = response.json() if response.status_code == 200 else []
        except ValueError as exc:
            raise RegistryUnavailable("the registry's answer is not JSON") from exc
        if not isinstance(records, list):
            raise RegistryUnavailable("the registry's answer is not a list")
        found = next((r for r in records if isinstance(r, dict) and r.get("subscriber_id") == subscriber_id
                      and str(r.get("ukId", r.get("unique_key_id"))) == unique_key_id
                      and r.get("status", "SUBSCRIBED") == "SUBSCRIBED" and _valid_now(r)), None)
        if len(self.cache) >= self.KEPT:
            self.cache.clear()
        self.cache[(subscriber_id, unique_key_id)] = (now + (self.keep if found else self.KEEP_MISSING), found)
        return found

    def public_key(self, subscriber_id: str, unique_key_id: str) -> str | None:
        record = self.lookup(subscriber_id, unique_key_id)
        return record.get("signing_public_key") if record else None


def _valid_now(record: dict) -> bool:
    now = datetime.now(UTC)
    try:
        if record.get("valid_from") and parse_timestamp(record["valid_from"]) > now:
            return False
        if record.get("valid_until") and parse_timestamp(record["valid_until"]) < now:
            return False
    except ValueError:
        return False
    return True
