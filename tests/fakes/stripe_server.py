"""Stripe's API (Checkout Sessions, refunds) run locally for the official stripe SDK; events signed as Stripe does."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import threading
import time

import stripe
from werkzeug.wrappers import Request, Response


def parse_form(pairs) -> dict:
    """Stripe's form encoding (`line_items[0][price_data][unit_amount]=100`) into nested dicts and lists."""
    root: dict = {}
    for key, value in pairs:
        parts = re.findall(r"[^\[\]]+", key)
        node = root
        for part, following in zip(parts, parts[1:], strict=False):
            node = node.setdefault(part, {})
            del following
        node[parts[-1]] = value
    return _lists(root)


def _lists(node):
    if isinstance(node, dict):
        if node and all(k.isdigit() for k in node):
            return [_lists(node[k]) for k in sorted(node, key=int)]
        return {k: _lists(v) for k, v in node.items()}
    return node


class FakeStripe:
    def __init__(self, api_key: str, webhook_secret: str):
        self.api_key, self.webhook_secret = api_key, webhook_secret
        self.sessions: dict[str, dict] = {}
        self.refunds: dict[str, dict] = {}
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):
        request = Request(environ)
        if request.headers.get("Authorization") != f"Bearer {self.api_key}":
            return self._error("Invalid API Key provided", 401)(environ, start_response)
        path, body = request.path, parse_form(request.form.items(multi=True))
        with self.lock:
            try:
                if request.method == "POST" and path == "/v1/checkout/sessions":
                    answer = self._create_session(body)
                elif match := re.fullmatch(r"/v1/checkout/sessions/([\w]+)", path):
                    answer = self._session(match.group(1))
                elif match := re.fullmatch(r"/v1/checkout/sessions/([\w]+)/expire", path):
                    answer = self._expire(match.group(1))
                elif request.method == "POST" and path == "/v1/refunds":
                    answer = self._refund(body)
                else:
                    return self._error("Unrecognized request URL", 404)(environ, start_response)
            except ValueError as exc:
                return self._error(str(exc), 400)(environ, start_response)
        return Response(json.dumps(answer), 200, content_type="application/json")(environ, start_response)

    @staticmethod
    def _error(message: str, status: int) -> Response:
        return Response(json.dumps({"error": {"type": "invalid_request_error", "message": message}}), status,
                        content_type="application/json")

    def _create_session(self, body: dict) -> dict:
        items = body.get("line_items") or []
        if not items or body.get("mode") != "payment":
            raise ValueError("line_items and mode=payment are required")
        total = sum(int(i["price_data"]["unit_amount"]) * int(i.get("quantity", 1)) for i in items)
        sid = "cs_test_" + secrets.token_hex(12)
        session = {"id": sid, "object": "checkout.session", "amount_total": total,
                   "currency": items[0]["price_data"]["currency"],
                   "client_reference_id": body.get("client_reference_id"),
                   "metadata": body.get("metadata") or {}, "mode": "payment", "payment_intent": None,
                   "payment_status": "unpaid", "status": "open", "url": f"https://checkout.stripe.com/c/pay/{sid}",
                   "success_url": body.get("success_url"), "cancel_url": body.get("cancel_url"),
                   "customer_email": body.get("customer_email"), "created": int(time.time()),
                   "expires_at": int(time.time()) + 24 * 3600}
        self.sessions[sid] = session
        return session

    def _session(self, sid: str) -> dict:
        if sid not in self.sessions:
            raise ValueError(f"No such checkout.session: '{sid}'")
        return self.sessions[sid]

    def _expire(self, sid: str) -> dict:
        session = self._session(sid)
        if session["status"] != "open":
            raise ValueError("Only open sessions can be expired")
        session["status"] = "expired"
        return session

    def _refund(self, body: dict) -> dict:
        intent = body.get("payment_intent")
        paid = next((s for s in self.sessions.values() if s["payment_intent"] == intent), None)
        if paid is None:
            raise ValueError(f"No such payment_intent: '{intent}'")
        done = sum(r["amount"] for r in self.refunds.values() if r["payment_intent"] == intent)
        amount = int(body.get("amount", paid["amount_total"] - done))
        if amount <= 0 or done + amount > paid["amount_total"]:
            raise ValueError("Refund amount is greater than the charge's unrefunded amount")
        refund = {"id": "re_" + secrets.token_hex(12), "object": "refund", "amount": amount,
                  "currency": paid["currency"], "payment_intent": intent, "status": "succeeded",
                  "metadata": body.get("metadata") or {}, "created": int(time.time())}
        self.refunds[refund["id"]] = refund
        return refund

    # -- the buyer's side, and events -------------------------------------------------------------------------

    def complete(self, sid: str) -> dict:
        with self.lock:
            session = self._session(sid)
            session.update(status="complete", payment_status="paid", payment_intent="pi_" + secrets.token_hex(12))
            return dict(session)

    def expire(self, sid: str) -> dict:
        with self.lock:
            return dict(self._expire(sid))

    def event(self, kind: str, obj: dict) -> tuple[str, str]:
        """An event's payload and its Stripe-Signature header: t=<time>,v1=HMAC-SHA256(secret, "t.payload")."""
        payload = json.dumps({"id": "evt_" + secrets.token_hex(12), "object": "event", "type": kind,
                              "data": {"object": obj}, "created": int(time.time()), "livemode": False,
                              "api_version": stripe.api_version})
        stamp = int(time.time())
        signature = hmac.new(self.webhook_secret.encode(), f"{stamp}.{payload}".encode(), hashlib.sha256).hexdigest()
        return payload, f"t={stamp},v1={signature}"
