"""A local web push service: the demo's, and the tests'. It checks what a browser vendor's push service checks.

A browser subscribes at its vendor's push service (FCM for Chrome, Mozilla's autopush for Firefox); the subscription
is an endpoint URL and the browser's keys (RFC 8291: a P-256 public key `p256dh` and a 16-byte `auth` secret). Here
`subscribe()` plays the browser and its push service at once: it makes the key pair and keeps the private half, so
that what arrives can be decrypted and read (by tests, and on the demo's phone page).

`POST /push/<id>` (RFC 8030) is refused as a real push service refuses it:
- 404 an unknown subscription, 410 one that has ended (the sender must forget it);
- 401 no `Authorization: vapid t=<JWT>, k=<key>` (RFC 8292), a JWT not signed ES256 by that key, an `aud` other
  than the endpoint's origin, an `exp` passed or more than 24 hours ahead, a `sub` not a mailto: or https: contact;
- 403 a key other than the applicationServerKey the subscription was made with;
- 400 no TTL header (or not a number), an Urgency that is not very-low/low/normal/high, a Topic longer than 32
  characters or not base64url, a body that does not decrypt;
- 415 a Content-Encoding other than aes128gcm (RFC 8188); 413 a body over 4096 bytes.
What is accepted (201, with a Location) is decrypted and kept: `received()`.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import http_ece
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, utils
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from market.core.fakes import local

MAX_BODY = 4096  # RFC 8291 section 4: push services must accept at least 4096 octets of payload; FCM takes no more
MAX_EXP = 24 * 60 * 60  # RFC 8292 section 2: exp no more than 24 hours from the time of the request
URGENCIES = ("very-low", "low", "normal", "high")
TOPIC = re.compile(r"[A-Za-z0-9_-]{1,32}")
CONTACT = re.compile(r"(mailto:[^@\s]+@[^@\s]+|https://\S+)")
KEPT = 200  # the inbox keeps the newest pushes only


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _empty() -> dict:
    return {"subscriptions": {}, "received": []}


class MemoryStore(local.MemoryStore):
    """Subscriptions and inbox in this process (tests)."""

    def __init__(self) -> None:
        super().__init__(_empty)


class FileStore(local.FileStore):
    """Subscriptions and inbox in a JSON file under `flock`, shared by the demo's web and worker processes."""

    def __init__(self, path: Path | str) -> None:
        super().__init__(path, _empty)


class Refused(Exception):
    def __init__(self, status: int, reason: str):
        super().__init__(reason)
        self.status, self.reason = status, reason


class FakePush:
    """A WSGI app answering like a push service; `origin` is what `aud` must be (else the request's own origin)."""

    def __init__(self, *, store=None, origin: str | None = None, clock: Callable[[], float] = time.time,
                 fail_next: int = 0):
        self.store = store or MemoryStore()
        self.origin = origin
        self.clock = clock  # tests move it forward to see a token expire
        self.fail_next = fail_next  # tests: answer 503 to this many requests (an outage)
        self.requests = 0
        self.url_map = Map([Rule("/push/<sid>", endpoint="push", methods=["POST"])])

    # -- the browser's side --------------------------------------------------------------------------------------
    def subscribe(self, application_server_key: str, origin: str | None = None) -> dict:
        """A new subscription for the holder of the VAPID key `application_server_key` (base64url), as the
        browser's `PushSubscription.toJSON()` gives it: {"endpoint", "keys": {"p256dh", "auth"}}."""
        private = ec.generate_private_key(ec.SECP256R1())
        public = private.public_key().public_bytes(serialization.Encoding.X962,
                                                   serialization.PublicFormat.UncompressedPoint)
        auth = secrets.token_bytes(16)
        sid = secrets.token_urlsafe(24)
        number = private.private_numbers().private_value.to_bytes(32, "big")
        with self.store.transaction() as state:
            state["subscriptions"][sid] = {"private": b64url(number), "auth": b64url(auth),
                                           "server_key": application_server_key, "ended": False}
        base = (origin or self.origin or "").rstrip("/")
        return {"endpoint": f"{base}/push/{sid}", "keys": {"p256dh": b64url(public), "auth": b64url(auth)}}

    def end(self, endpoint: str) -> None:
        """The browser dropped the subscription (she cleared the site's data): pushes to it answer 410."""
        with self.store.transaction() as state:
            state["subscriptions"][endpoint.rsplit("/", 1)[-1]]["ended"] = True

    def received(self, endpoint: str | None = None) -> list[dict]:
        """What was accepted and decrypted, oldest first (for one subscription, if given)."""
        sid = endpoint.rsplit("/", 1)[-1] if endpoint else None
        with self.store.transaction() as state:
            return [m for m in state["received"] if sid is None or m["subscription"] == sid]

    # -- the sender's side ---------------------------------------------------------------------------------------
    def __call__(self, environ, start_response):
        request = Request(environ)
        self.requests += 1
        try:
            _endpoint, args = self.url_map.bind_to_environ(environ).match()
        except Exception:  # noqa: BLE001 - any routing miss is a 404, as the real services answer
            return Response("not found", 404)(environ, start_response)
        if self.fail_next:
            self.fail_next -= 1
            return Response("push service unavailable", 503)(environ, start_response)
        try:
            message_id = self._push(args["sid"], request)
        except Refused as refused:
            return Response(json.dumps({"code": refused.status, "message": refused.reason}), refused.status,
                            mimetype="application/json")(environ, start_response)
        response = Response("", 201, headers={"Location": f"{request.host_url.rstrip('/')}/m/{message_id}"})
        return response(environ, start_response)

    def _push(self, sid: str, request: Request) -> str:
        with self.store.transaction() as state:  # checked first, changed last: a refusal changes nothing
            subscription = state["subscriptions"].get(sid)
            if subscription is None:
                raise Refused(404, "no such subscription")
            if subscription["ended"]:
                raise Refused(410, "subscription has ended")
            origin = (self.origin or request.host_url).rstrip("/")
            self._check_vapid(request.headers.get("Authorization", ""), origin, subscription["server_key"])
            ttl = request.headers.get("TTL", "")
            if not ttl.isdigit():
                raise Refused(400, "TTL header missing or not a number")
            urgency = request.headers.get("Urgency", "normal")
            if urgency not in URGENCIES:
                raise Refused(400, "Urgency must be one of " + ", ".join(URGENCIES))
            topic = request.headers.get("Topic")
            if topic is not None and not TOPIC.fullmatch(topic):
                raise Refused(400, "Topic must be at most 32 base64url characters")
            body = request.get_data()
            if request.headers.get("Content-Encoding") != "aes128gcm":
                raise Refused(415, "Content-Encoding must be aes128gcm")
            if len(body) > MAX_BODY:
                raise Refused(413, f"payload over {MAX_BODY} bytes")
            text = self._decrypt(body, subscription)
            message_id = secrets.token_urlsafe(12)
            state["received"].append({"id": message_id, "subscription": sid, "text": text, "ttl": int(ttl),
                                      "urgency": urgency, "topic": topic, "bytes": len(body),
                                      "at": datetime.now(UTC).isoformat()})
            del state["received"][:-KEPT]
        return message_id

    def _check_vapid(self, header: str, origin: str, server_key: str) -> None:
        scheme, _, rest = header.partition(" ")
        if scheme.lower() != "vapid":
            raise Refused(401, "Authorization must be vapid t=<JWT>, k=<key>")
        params = dict(part.strip().split("=", 1) for part in rest.split(",") if "=" in part)
        token, key = params.get("t", ""), params.get("k", "")
        if not token or not key:
            raise Refused(401, "vapid authorization needs t and k")
        try:
            public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64url(key))
            head, claims, signature = token.split(".")
            header_json = json.loads(unb64url(head))
            claims_json = json.loads(unb64url(claims))
            raw = unb64url(signature)
        except (ValueError, TypeError):
            raise Refused(401, "malformed VAPID token or key") from None
        if header_json.get("alg") != "ES256" or len(raw) != 64:
            raise Refused(401, "the VAPID token must be signed ES256")
        try:
            public.verify(utils.encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big")),
                          f"{head}.{claims}".encode(), ec.ECDSA(hashes.SHA256()))
        except InvalidSignature:
            raise Refused(401, "VAPID signature does not verify with k") from None
        if key != server_key:
            raise Refused(403, "k is not the applicationServerKey of this subscription")
        if claims_json.get("aud") != origin:
            raise Refused(401, f"aud must be {origin}")
        now = self.clock()
        exp = claims_json.get("exp")
        if not isinstance(exp, int) or exp <= now:
            raise Refused(401, "the VAPID token has expired")
        if exp > now + MAX_EXP:
            raise Refused(401, "exp more than 24 hours ahead")
        if not isinstance(claims_json.get("sub"), str) or not CONTACT.fullmatch(claims_json["sub"]):
            raise Refused(401, "sub must be a mailto: or https: contact")

    @staticmethod
    def _decrypt(body: bytes, subscription: dict) -> str:
        private = ec.derive_private_key(int.from_bytes(unb64url(subscription["private"]), "big"), ec.SECP256R1())
        try:
            return http_ece.decrypt(body, private_key=private, auth_secret=unb64url(subscription["auth"]),
                                    version="aes128gcm").decode()
        except Exception as exc:  # noqa: BLE001 - http_ece raises several kinds for a body that does not decrypt
            raise Refused(400, "payload does not decrypt with this subscription's keys") from exc
