"""Stripe's API (Checkout Sessions, refunds) run locally for the official `stripe` SDK; events signed as Stripe does.

`FakeStripe` is a WSGI app: Bearer-key auth, form bodies in Stripe's bracket notation, Stripe's objects and error
bodies, and replays of requests repeated with the same Idempotency-Key. `complete()` and `expire()` are what the
buyer (or time) does on the hosted page; `event()` builds a signed webhook for `stripe.Webhook.construct_event`.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import re
import secrets
import string
import threading
import time
from collections.abc import Iterable
from typing import Any
from wsgiref.types import StartResponse, WSGIEnvironment

import stripe
from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

Params = dict[str, Any]
Obj = dict[str, Any]

ALPHABET = string.ascii_letters + string.digits
SESSION_LIFETIME = 24 * 3600  # seconds: Stripe's default expiry of a Checkout Session


def new_id(prefix: str, length: int = 24) -> str:
    """A Stripe-style id: the prefix and random letters and digits."""
    return prefix + "".join(secrets.choice(ALPHABET) for _ in range(length))


def parse_form(pairs: Iterable[tuple[str, str]]) -> Params:
    """Stripe's form encoding (`line_items[0][price_data][unit_amount]=100`) into nested dicts and lists."""
    root: Params = {}
    for key, value in pairs:
        parts = re.findall(r"[^\[\]]+", key)
        if not parts:
            continue
        node = root
        for part in parts[:-1]:
            if not isinstance(node.get(part), dict):
                node[part] = {}
            node = node[part]
        node[parts[-1]] = value
    return _lists(root)


def _lists(node: Any) -> Any:
    """Dicts keyed 0, 1, 2... (how the SDK sends lists) become lists."""
    if isinstance(node, dict):
        if node and all(key.isdigit() for key in node):
            return [_lists(node[key]) for key in sorted(node, key=int)]
        return {key: _lists(value) for key, value in node.items()}
    return node


class Refused(Exception):
    """A request Stripe refuses, answered with its error body."""

    def __init__(self, message: str, status: int = 400, *, code: str | None = None, param: str | None = None,
                 kind: str = "invalid_request_error") -> None:
        super().__init__(message)
        self.message, self.status, self.code, self.param, self.kind = message, status, code, param, kind

    def response(self) -> Response:
        """Stripe's error body: {"error": {"type", "message", "code"?, "param"?}}."""
        error = {"type": self.kind, "message": self.message}
        error |= {name: value for name, value in (("code", self.code), ("param", self.param)) if value is not None}
        return json_response({"error": error}, self.status)


def json_response(body: object, status: int = 200) -> Response:
    """A JSON answer with a request id, as Stripe gives."""
    return json_text_response(json.dumps(body), status)


def json_text_response(text: str, status: int = 200) -> Response:
    """An answer already serialised (a replayed one)."""
    response = Response(text, status, content_type="application/json")
    response.headers["Request-Id"] = new_id("req_", 14)
    return response


def positive_int(value: object, param: str, minimum: int = 1) -> int:
    """An integer parameter (the form sends strings)."""
    try:
        number = int(str(value))
    except ValueError:
        raise Refused(f"Invalid integer: {value}", param=param) from None
    if number < minimum:
        raise Refused(f"This value must be greater than or equal to {minimum}.", param=param)
    return number


def required(params: object, name: str, param: str | None = None) -> Any:
    """A parameter that must be present; `param` is its full name for the error (`line_items[0][quantity]`)."""
    value = params.get(name) if isinstance(params, dict) else None
    if value in (None, ""):
        raise Refused(f"Missing required param: {param or name}.", param=param or name, code="parameter_missing")
    return value


class FakeStripe:
    """A WSGI app standing in for https://api.stripe.com (Checkout Sessions and refunds), plus the buyer's side."""

    def __init__(self, api_key: str, webhook_secret: str) -> None:
        self.api_key, self.webhook_secret = api_key, webhook_secret
        self.sessions: dict[str, Obj] = {}
        self.refunds: dict[str, Obj] = {}
        self.idempotent: dict[str, tuple[str, str]] = {}  # key -> (what was asked, the answer)
        self.lock = threading.Lock()
        self.urls = Map([
            Rule("/v1/checkout/sessions", methods=["POST"], endpoint=self.create_session),
            Rule("/v1/checkout/sessions/<sid>", methods=["GET"], endpoint=self.retrieve_session),
            Rule("/v1/checkout/sessions/<sid>/expire", methods=["POST"], endpoint=self.expire_session),
            Rule("/v1/refunds", methods=["POST"], endpoint=self.create_refund),
            Rule("/v1/refunds/<rid>", methods=["GET"], endpoint=self.retrieve_refund),
        ])

    # -- HTTP ----------------------------------------------------------------------------------------------------

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        return self.respond(Request(environ))(environ, start_response)

    def respond(self, request: Request) -> Response:
        """Stripe's answer to one API request."""
        given = request.headers.get("Authorization", "")
        if not hmac.compare_digest(given.encode(), f"Bearer {self.api_key}".encode()):
            message = "Invalid API Key provided." if given else "You did not provide an API key."
            return Refused(message, 401).response()
        try:
            handler, args = self.urls.bind_to_environ(request.environ).match()
        except HTTPException:
            return Refused(f"Unrecognized request URL ({request.method}: {request.path}).", 404).response()
        params = parse_form((request.form if request.method == "POST" else request.args).items(multi=True))
        key = request.headers.get("Idempotency-Key") if request.method == "POST" else None
        asked = json.dumps([request.path, params], sort_keys=True)
        with self.lock:
            if key is not None and key in self.idempotent:
                first_asked, answer = self.idempotent[key]
                if first_asked != asked:
                    return Refused("Keys for idempotent requests can only be used with the same parameters "
                                       f"they were first used with. Try using a key other than '{key}'.",
                                       kind="idempotency_error").response()
                response = json_text_response(answer)
                response.headers["Idempotent-Replayed"] = "true"
                return response
            try:
                answer = json.dumps(handler(params, **args))
            except Refused as exc:  # refused requests are not remembered, as at Stripe
                return exc.response()
            if key is not None:
                self.idempotent[key] = (asked, answer)
        return json_text_response(answer)

    # -- the API -------------------------------------------------------------------------------------------------

    def create_session(self, params: Params) -> Obj:
        """POST /v1/checkout/sessions: mode=payment with inline price_data only."""
        if required(params, "mode") != "payment":
            raise Refused("Only mode=payment is supported here.", param="mode")
        items = required(params, "line_items")
        if not isinstance(items, list) or not items:
            raise Refused("Invalid array", param="line_items")
        total, currencies = 0, set()
        for n, item in enumerate(items):
            at = f"line_items[{n}]"
            price = required(item, "price_data", f"{at}[price_data]")
            currencies.add(str(required(price, "currency", f"{at}[price_data][currency]")).lower())
            product = required(price, "product_data", f"{at}[price_data][product_data]")
            required(product, "name", f"{at}[price_data][product_data][name]")
            unit = positive_int(required(price, "unit_amount", f"{at}[price_data][unit_amount]"),
                                f"{at}[price_data][unit_amount]", minimum=0)
            total += unit * positive_int(required(item, "quantity", f"{at}[quantity]"), f"{at}[quantity]")
        if len(currencies) != 1:
            raise Refused("All line items must have the same currency.", param="line_items")
        now = int(time.time())
        sid = new_id("cs_test_", 58)
        session = {"id": sid, "object": "checkout.session", "amount_subtotal": total, "amount_total": total,
                   "currency": currencies.pop(), "client_reference_id": params.get("client_reference_id"),
                   "customer_email": params.get("customer_email"), "metadata": params.get("metadata") or {},
                   "mode": "payment", "payment_intent": None, "payment_status": "unpaid", "status": "open",
                   "url": f"https://checkout.stripe.com/c/pay/{sid}", "success_url": params.get("success_url"),
                   "cancel_url": params.get("cancel_url"), "livemode": False, "created": now,
                   "expires_at": now + SESSION_LIFETIME}
        self.sessions[sid] = session
        return session

    def retrieve_session(self, _params: Params, sid: str) -> Obj:
        """GET /v1/checkout/sessions/<id>"""
        if sid not in self.sessions:
            raise Refused(f"No such checkout.session: '{sid}'", 404, code="resource_missing", param="id")
        return self.sessions[sid]

    def expire_session(self, _params: Params, sid: str) -> Obj:
        """POST /v1/checkout/sessions/<id>/expire: only an open session."""
        session = self.retrieve_session({}, sid)
        if session["status"] != "open":
            raise Refused(f"Only Checkout Sessions with a status of open can be expired; this one is "
                              f"{session['status']}.")
        session.update(status="expired", url=None)
        return session

    def create_refund(self, params: Params) -> Obj:
        """POST /v1/refunds: of a paid session's payment intent; all that remains unless an amount is given."""
        intent = required(params, "payment_intent")
        paid = next((s for s in self.sessions.values() if s["payment_intent"] == intent), None)
        if paid is None:
            raise Refused(f"No such payment_intent: '{intent}'", code="resource_missing", param="payment_intent")
        left = paid["amount_total"] - sum(r["amount"] for r in self.refunds.values() if r["payment_intent"] == intent)
        if left == 0:
            raise Refused(f"Charge for payment_intent {intent} has already been refunded.",
                              code="charge_already_refunded")
        amount = positive_int(params.get("amount", left), "amount")
        if amount > left:
            raise Refused(f"Refund amount ({amount}) is greater than unrefunded amount on charge ({left}).",
                              code="amount_too_large", param="amount")
        refund = {"id": new_id("re_"), "object": "refund", "amount": amount, "currency": paid["currency"],
                  "payment_intent": intent, "reason": params.get("reason"), "status": "succeeded",
                  "metadata": params.get("metadata") or {}, "created": int(time.time())}
        self.refunds[refund["id"]] = refund
        return refund

    def retrieve_refund(self, _params: Params, rid: str) -> Obj:
        """GET /v1/refunds/<id>"""
        if rid not in self.refunds:
            raise Refused(f"No such refund: '{rid}'", 404, code="resource_missing", param="id")
        return self.refunds[rid]

    # -- the buyer's side, and events ----------------------------------------------------------------------------

    def complete(self, session_id: str) -> Obj:
        """The buyer pays on the hosted page: the session is complete and paid. Returns a copy of it."""
        with self.lock:
            session = self.sessions.get(session_id)
            if session is None or session["status"] != "open":
                raise ValueError(f"no open checkout session {session_id!r}")
            session.update(status="complete", payment_status="paid", payment_intent=new_id("pi_"), url=None)
            return copy.deepcopy(session)

    def expire(self, session_id: str) -> Obj:
        """The session runs out of time unpaid. Returns a copy of it."""
        with self.lock:
            try:
                return copy.deepcopy(self.expire_session({}, session_id))
            except Refused as exc:
                raise ValueError(exc.message) from None

    def event(self, type: str, obj: Obj, *, timestamp: int | None = None) -> tuple[str, str]:
        """An event's payload and its Stripe-Signature header `t=<time>,v1=<HMAC-SHA256(secret, "t.payload")>`."""
        stamp = int(time.time()) if timestamp is None else timestamp
        payload = json.dumps({"id": new_id("evt_"), "object": "event", "type": type, "data": {"object": obj},
                              "created": stamp, "livemode": False, "api_version": stripe.api_version})
        signature = hmac.new(self.webhook_secret.encode(), f"{stamp}.{payload}".encode(), hashlib.sha256).hexdigest()
        return payload, f"t={stamp},v1={signature}"
