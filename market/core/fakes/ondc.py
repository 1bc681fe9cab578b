"""A local ONDC network: the demo's and the tests'. A registry, a gateway and a buyer app (BAP), one WSGI app.

- Registry: `POST /registry/subscribe` checks the site-verification page (the request_id signed with the signing
  key being registered) and sends the /on_subscribe challenge (a random string, AES-256-ECB under the X25519
  secret of the registry's key and the subscriber's, as ONDC's registry does), then registers the subscriber if the
  answer is right; `POST /registry/lookup` ({"subscriber_id", "ukId"} or {"type", "domain"}) lists the records.
- Gateway: `POST /gateway/search` checks the buyer app's signature, answers ACK, and forwards the search to every
  seller app registered for the domain with its own X-Gateway-Authorization beside the buyer app's header.
- Buyer app: `send()` signs a request as the BAP and posts it (to a seller app or the gateway);
  `POST /bap/on_<action>` checks the seller app's signature (looked up in the registry) and that the callback
  answers a message the BAP sent (or, unsolicited, comes in one of its transactions), keeps it (`callbacks()`),
  and answers ACK, or a 401 NACK.
Keys come from fixed seeds (market.core.beckn.demo_seed): the fake is a stand-in, never a real participant.
"""

from __future__ import annotations

import json
import re
import secrets
import threading
import uuid
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import requests
from werkzeug.wrappers import Request, Response

from market.core import beckn

BAP_ID = "buyer.demo"
BAP_KEY_ID = "buyer-demo-1"
GATEWAY_ID = "gateway.demo"
GATEWAY_KEY_ID = "gateway-demo-1"
META = re.compile(r"""<meta\s+name=['"]ondc-site-verification['"]\s+content=['"]([^'"]+)['"]""")


@dataclass(frozen=True)
class Participant:
    """A registry record (the fields ONDC's /lookup answers with)."""

    subscriber_id: str
    ukId: str  # noqa: N815 - the registry's own spelling
    subscriber_url: str
    signing_public_key: str
    encr_public_key: str
    type: str  # BAP, BPP, BG
    domain: str
    status: str = "SUBSCRIBED"
    valid_from: str = "2020-01-01T00:00:00.000Z"
    valid_until: str = "2099-12-31T23:59:59.000Z"


class FakeNetwork:
    """The registry, the gateway and a buyer app, reached at `base_url` (its routes above)."""

    def __init__(self, base_url: str, http: requests.Session | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.http = http or requests.Session()  # what the fake calls (the seller app under test)
        self.lock = threading.Lock()
        self.registry_key = beckn.EncryptionKey.from_seed(beckn.demo_seed("encryption", "registry"))
        self.bap_key = beckn.SigningKey.from_seed(beckn.demo_seed("signing", BAP_ID))
        self.gateway_key = beckn.SigningKey.from_seed(beckn.demo_seed("signing", GATEWAY_ID))
        self.records: list[Participant] = []
        self.sent: dict[str, dict] = {}  # message_id -> the context the BAP sent
        self.received: list[dict] = []  # callbacks the BAP accepted, oldest first
        self.refused: list[dict] = []  # callbacks it refused, with why
        self.calls = 0
        self.fail_next = 0  # tests: the buyer app answers this many callbacks 503 (an outage)
        self.at(self.base_url)

    def at(self, base_url: str) -> FakeNetwork:
        """Where the fake is reached (a test serves it first, then learns its port): its own records follow."""
        self.base_url = base_url.rstrip("/")
        self.register(Participant(BAP_ID, BAP_KEY_ID, f"{self.base_url}/bap", self.bap_key.public_base64,
                                  beckn.EncryptionKey.from_seed(beckn.demo_seed("encryption", BAP_ID)).public_base64,
                                  "BAP", "*"))
        self.register(Participant(GATEWAY_ID, GATEWAY_KEY_ID, f"{self.base_url}/gateway",
                                  self.gateway_key.public_base64, self.registry_key.public_base64, "BG", "*"))
        return self

    @property
    def registry_public_key(self) -> str:
        return self.registry_key.public_base64

    def register(self, record: Participant) -> None:
        with self.lock:
            self.records = [r for r in self.records
                            if (r.subscriber_id, r.ukId) != (record.subscriber_id, record.ukId)] + [record]

    def public_key(self, subscriber_id: str, unique_key_id: str) -> str | None:
        with self.lock:
            return next((r.signing_public_key for r in self.records
                         if (r.subscriber_id, r.ukId) == (subscriber_id, unique_key_id)), None)

    def callbacks(self, action: str | None = None, message_id: str | None = None) -> list[dict]:
        with self.lock:
            return [c for c in self.received if (action is None or c["context"]["action"] == action)
                    and (message_id is None or c["context"]["message_id"] == message_id)]

    # -- the buyer app's side ----------------------------------------------------------------------------------

    def context(self, action: str, bpp: Participant | None = None, **changes: Any) -> dict:
        """A retail 1.2.0 context from the BAP (the IGM actions: 1.0.0)."""
        now = datetime.now(UTC)
        context = {"domain": "ONDC:RET10", "action": action,
                   "core_version": "1.0.0" if action in ("issue", "issue_status") else "1.2.0",
                   "bap_id": BAP_ID, "bap_uri": f"{self.base_url}/bap", "transaction_id": str(uuid.uuid4()),
                   "message_id": str(uuid.uuid4()), "timestamp": beckn.format_timestamp(now), "ttl": "PT30S",
                   "location": {"city": {"code": "std:080"}, "country": {"code": "IND"}}}
        if bpp is not None:
            context.update(bpp_id=bpp.subscriber_id, bpp_uri=bpp.subscriber_url)
        context.update(changes)
        return context

    def send(self, url: str, context: dict, message: dict, *, body: bytes | None = None,
             authorization: str | None = None, created: int | None = None, expires: int | None = None
             ) -> requests.Response:
        """Post a message signed by the BAP (or with the `authorization` given) to `url` (…/search, …)."""
        data = body if body is not None else beckn.dumps({"context": context, "message": message})
        header = authorization or beckn.authorization(data, BAP_ID, BAP_KEY_ID, self.bap_key, created, expires)
        with self.lock:
            self.sent[context["message_id"]] = context
        return self.http.post(url, data=data, headers={"Content-Type": "application/json", "Authorization": header},
                              timeout=beckn.TIMEOUT)

    def seller(self, subscriber_id: str) -> Participant:
        with self.lock:
            return next(r for r in self.records if r.subscriber_id == subscriber_id)

    # -- HTTP ----------------------------------------------------------------------------------------------------

    def __call__(self, environ, start_response):
        request = Request(environ)
        with self.lock:
            self.calls += 1
        path = request.path.rstrip("/")
        if request.method != "POST":
            status, answer = 405, {"error": "POST only"}
        elif path == "/registry/subscribe":
            status, answer = self._subscribe(request)
        elif path == "/registry/lookup":
            status, answer = self._lookup(request)
        elif path == "/gateway/search":
            status, answer = self._gateway_search(request)
        elif path.startswith("/bap/on_"):
            status, answer = self._on_callback(request, path[len("/bap/"):])
        else:
            status, answer = 404, {"error": "not found"}
        return Response(json.dumps(answer), status, mimetype="application/json")(environ, start_response)

    def _lookup(self, request: Request) -> tuple[int, Any]:
        asked = request.get_json(silent=True) or {}

        def matches(record: Participant) -> bool:
            if any(asked.get(k) is not None and asked[k] != getattr(record, k)
                   for k in ("subscriber_id", "ukId", "type")):
                return False
            return asked.get("domain") is None or record.domain == "*" or asked["domain"] in record.domain.split(",")

        with self.lock:
            return 200, [asdict(r) for r in self.records if matches(r)]

    def _subscribe(self, request: Request) -> tuple[int, dict]:
        """Register a seller app after its site-verification page and its /on_subscribe answer check out."""
        asked = request.get_json(silent=True) or {}
        needed = ("subscriber_id", "unique_key_id", "subscriber_url", "callback_url", "signing_public_key",
                  "encryption_public_key", "request_id")
        if any(not isinstance(asked.get(k), str) or not asked.get(k) for k in needed):
            return 400, _nack("132", "POLICY-ERROR", "Please provide valid schema")
        url = asked["subscriber_url"].rstrip("/")
        origin = "/".join(url.split("/")[:3])
        try:
            page = self.http.get(f"{origin}/ondc-site-verification.html", timeout=beckn.TIMEOUT)
            found = META.search(page.text) if page.status_code == 200 else None
        except requests.RequestException:
            found = None
        if found is None or not beckn.verify(asked["signing_public_key"], found.group(1), asked["request_id"]):
            return 400, _nack("132", "POLICY-ERROR", "Domain verification is failed")
        challenge = secrets.token_urlsafe(24)
        try:
            encrypted = beckn.encrypt_challenge(self.registry_key, asked["encryption_public_key"], challenge)
            answer = self.http.post(f"{origin}{asked['callback_url'].rstrip('/')}/on_subscribe",
                                    json={"subscriber_id": asked["subscriber_id"], "challenge": encrypted},
                                    timeout=beckn.TIMEOUT)
            answered = answer.json().get("answer") if answer.status_code == 200 else None
        except (ValueError, requests.RequestException):
            answered = None
        if answered != challenge:
            return 400, _nack("132", "POLICY-ERROR", f"{url}/on_subscribe : Encryption verification is failed")
        self.register(Participant(asked["subscriber_id"], asked["unique_key_id"], url, asked["signing_public_key"],
                                  asked["encryption_public_key"], asked.get("type", "BPP"),
                                  asked.get("domain", "ONDC:RET10")))
        return 200, beckn.ack()

    def _gateway_search(self, request: Request) -> tuple[int, dict]:
        body = request.get_data()
        try:
            beckn.check_authorization(request.headers.get("Authorization"), body, self.public_key)
            context = json.loads(body)["context"]
        except beckn.Nack as refusal:
            return refusal.status, beckn.nack(refusal)
        except (ValueError, KeyError, TypeError):
            return 400, beckn.nack(beckn.Nack("10000", "Bad or Invalid request error"))
        gateway = beckn.authorization(body, GATEWAY_ID, GATEWAY_KEY_ID, self.gateway_key)
        with self.lock:
            sellers = [r for r in self.records if r.type == "BPP" and context.get("domain") in r.domain.split(",")]
        for seller in sellers:
            try:
                self.http.post(f"{seller.subscriber_url}/search", data=body, timeout=beckn.TIMEOUT, headers={
                    "Content-Type": "application/json", "Authorization": request.headers["Authorization"],
                    "X-Gateway-Authorization": gateway})
            except requests.RequestException:
                continue  # a seller app that cannot be reached misses this search
        return 200, beckn.ack()

    def _on_callback(self, request: Request, action: str) -> tuple[int, dict]:
        body = request.get_data()
        with self.lock:
            if self.fail_next:
                self.fail_next -= 1
                return 503, {"error": "the buyer app is down"}
        try:
            signed = beckn.check_authorization(request.headers.get("Authorization"), body, self.public_key)
            callback = json.loads(body)
            context = callback["context"]
            with self.lock:  # an answer to a message sent, or an unsolicited one in a transaction of ours
                asked = self.sent.get(context["message_id"]) or next(
                    (c for c in self.sent.values() if c["transaction_id"] == context.get("transaction_id")
                     and f"on_{c['action']}" == action), None)
            if context.get("action") != action or asked is None or f"on_{asked['action']}" != action \
                    or context.get("transaction_id") != asked["transaction_id"] \
                    or context.get("bpp_id") != signed.subscriber_id or context.get("bap_id") != BAP_ID:
                raise beckn.Nack("20000", "this callback answers no message of ours")
        except beckn.Nack as refusal:
            with self.lock:
                self.refused.append({"action": action, "why": refusal.message})
            return refusal.status, beckn.nack(refusal)
        except (ValueError, KeyError, TypeError):
            return 400, beckn.nack(beckn.Nack("20000", "not a callback"))
        with self.lock:
            self.received.append({**callback, "signed_by": f"{signed.subscriber_id}|{signed.unique_key_id}",
                                  "unsolicited": context["message_id"] != asked["message_id"],
                                  "received_at": datetime.now(UTC).isoformat()})
        return 200, beckn.ack()


def _nack(code: str, kind: str, message: str) -> dict:
    return {"message": {"ack": {"status": "NACK"}}, "error": {"type": kind, "code": code, "message": message}}


def expired_window(seconds_ago: int = 7200) -> tuple[int, int]:
    """A created/expires pair that ended in the past (tests)."""
    created = int((datetime.now(UTC) - timedelta(seconds=seconds_ago)).timestamp())
    return created, created + 300
