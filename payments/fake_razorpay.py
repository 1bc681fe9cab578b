"""Razorpay's REST API (the part Haat uses), run locally: the demo gateway, and the tests' Razorpay.

It answers the official `razorpay` SDK exactly where Haat calls it (orders, payments, capture, refunds,
Route transfers), signs checkout callbacks and webhooks with HMAC-SHA256 as Razorpay does, and keeps its
state in memory (tests) or in a JSON file shared by processes (the demo under `make run`). What Razorpay
Checkout does in the buyer's browser is `pay()`.
"""

from __future__ import annotations

import base64
import fcntl
import hashlib
import hmac
import json
import secrets
import string
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

ALPHABET = string.ascii_letters + string.digits


def new_id(prefix: str) -> str:
    return prefix + "".join(secrets.choice(ALPHABET) for _ in range(14))


def empty_state() -> dict:
    return {"orders": {}, "payments": {}, "refunds": {}, "transfers": {}, "outbox": []}


class MemoryStore:
    """State in this process (tests)."""

    def __init__(self):
        self.state = empty_state()
        self.lock = threading.Lock()

    @contextmanager
    def transaction(self) -> Iterator[dict]:
        with self.lock:
            yield self.state


class FileStore:
    """State in a JSON file, changed under an exclusive lock, so several processes share it (the demo)."""

    def __init__(self, path: Path | str):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.lock_path = self.path.with_name(self.path.name + ".lock")
        self.local = threading.Lock()

    @contextmanager
    def transaction(self) -> Iterator[dict]:
        with self.local, self.lock_path.open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                state = json.loads(self.path.read_text()) if self.path.exists() else empty_state()
                yield state
                temporary = self.path.with_name(self.path.name + ".tmp")
                temporary.write_text(json.dumps(state))
                temporary.replace(self.path)
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)


@dataclass(frozen=True)
class Webhook:
    """One webhook as Razorpay posts it: the raw body, its signature and the event id header."""

    event_id: str
    event: str
    body: str
    signature: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Content-Type": "application/json", "X-Razorpay-Signature": self.signature,
                "X-Razorpay-Event-Id": self.event_id}


class RazorpayError(Exception):
    def __init__(self, description: str, status: int = 400, field: str | None = None):
        super().__init__(description)
        self.description, self.status, self.field = description, status, field


def hmac_hex(secret: str, message: str) -> str:
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


class FakeRazorpay:
    """A WSGI app standing in for https://api.razorpay.com, plus the buyer's side of Checkout."""

    def __init__(self, key_id: str, key_secret: str, webhook_secret: str, store=None, fee_bps: int = 200,
                 account_id: str = "acc_demo"):
        self.key_id, self.key_secret, self.webhook_secret = key_id, key_secret, webhook_secret
        self.store = store or MemoryStore()
        self.fee_bps, self.account_id = fee_bps, account_id
        self.url_map = Map([
            Rule("/v1/orders", methods=["POST"], endpoint="create_order"),
            Rule("/v1/orders/<oid>", methods=["GET"], endpoint="fetch_order"),
            Rule("/v1/orders/<oid>/payments", methods=["GET"], endpoint="order_payments"),
            Rule("/v1/payments/<pid>", methods=["GET"], endpoint="fetch_payment"),
            Rule("/v1/payments/<pid>/capture", methods=["POST"], endpoint="capture"),
            Rule("/v1/payments/<pid>/refund", methods=["POST"], endpoint="refund"),
            Rule("/v1/payments/<pid>/refunds", methods=["GET"], endpoint="payment_refunds"),
            Rule("/v1/refunds/<rid>", methods=["GET"], endpoint="fetch_refund"),
            Rule("/v1/payments/<pid>/transfers", methods=["POST"], endpoint="transfer"),
            Rule("/v1/payments/<pid>/transfers", methods=["GET"], endpoint="payment_transfers"),
        ])

    # -- HTTP ----------------------------------------------------------------------------------------------

    def __call__(self, environ, start_response):
        request = Request(environ)
        try:
            if not self._authorised(request):
                raise RazorpayError("Authentication failed", 401)
            endpoint, args = self.url_map.bind_to_environ(environ).match()
            body = request.get_json(silent=True) if request.method == "POST" else None
            if request.method == "POST" and not isinstance(body, dict):
                body = {}
            with self.store.transaction() as state:
                answer = getattr(self, "_" + endpoint)(state, body, **args)
            response = Response(json.dumps(answer), 200, content_type="application/json")
        except RazorpayError as exc:
            response = Response(json.dumps({"error": {
                "code": "BAD_REQUEST_ERROR", "description": exc.description, "source": "business",
                "step": "payment_initiation", "reason": "input_validation_failed", "metadata": {},
                "field": exc.field}}), exc.status, content_type="application/json")
        except Exception as exc:  # noqa: BLE001 - werkzeug's NotFound, MethodNotAllowed: answered as Razorpay does
            status = getattr(exc, "code", 500) or 500
            response = Response(json.dumps({"error": {"code": "BAD_REQUEST_ERROR",
                                                      "description": "The requested URL was not found on the server.",
                                                      "metadata": {}}}),
                                status, content_type="application/json")
        return response(environ, start_response)

    def _authorised(self, request: Request) -> bool:
        header = request.headers.get("Authorization", "")
        if not header.startswith("Basic "):
            return False
        try:
            key, _sep, secret = base64.b64decode(header[6:]).decode().partition(":")
        except ValueError:
            return False
        return hmac.compare_digest(key, self.key_id) and hmac.compare_digest(secret, self.key_secret)

    # -- API -----------------------------------------------------------------------------------------------

    def _create_order(self, state: dict, body: dict) -> dict:
        amount = body.get("amount")
        if not isinstance(amount, int) or isinstance(amount, bool) or amount < 100:
            raise RazorpayError("The amount must be atleast INR 1.00.", field="amount")
        if body.get("currency", "INR") != "INR":
            raise RazorpayError("Currency is not supported", field="currency")
        order = {"id": new_id("order_"), "entity": "order", "amount": amount, "amount_paid": 0, "amount_due": amount,
                 "currency": "INR", "receipt": body.get("receipt"), "offer_id": None, "status": "created",
                 "attempts": 0, "notes": body.get("notes") or [], "created_at": int(time.time())}
        state["orders"][order["id"]] = order
        return order

    def _order(self, state: dict, oid: str) -> dict:
        if oid not in state["orders"]:
            raise RazorpayError("The id provided does not exist", field="id")
        return state["orders"][oid]

    def _payment(self, state: dict, pid: str) -> dict:
        if pid not in state["payments"]:
            raise RazorpayError("The id provided does not exist", field="id")
        return state["payments"][pid]

    def _fetch_order(self, state: dict, _body, oid: str) -> dict:
        return self._order(state, oid)

    def _order_payments(self, state: dict, _body, oid: str) -> dict:
        self._order(state, oid)
        return collection([p for p in state["payments"].values() if p["order_id"] == oid])

    def _fetch_payment(self, state: dict, _body, pid: str) -> dict:
        return self._payment(state, pid)

    def _capture(self, state: dict, body: dict, pid: str) -> dict:
        payment = self._payment(state, pid)
        if payment["status"] != "authorized":
            raise RazorpayError("This payment has already been captured" if payment["captured"]
                                else "Only payments which have been authorized can be captured")
        if body.get("amount") != payment["amount"]:
            raise RazorpayError("Capture amount must be equal to the amount authorized", field="amount")
        self._mark_captured(state, payment)
        return payment

    def _refund(self, state: dict, body: dict, pid: str) -> dict:
        payment = self._payment(state, pid)
        if not payment["captured"]:
            raise RazorpayError("The payment has not been captured")
        left = payment["amount"] - payment["amount_refunded"]
        amount = body.get("amount", left)
        if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0 or amount > left:
            raise RazorpayError("The refund amount provided is greater than amount captured", field="amount")
        refund = {"id": new_id("rfnd_"), "entity": "refund", "amount": amount, "currency": "INR",
                  "payment_id": pid, "notes": body.get("notes") or [], "receipt": body.get("receipt"),
                  "acquirer_data": {"rrn": None}, "created_at": int(time.time()), "batch_id": None,
                  "status": "processed", "speed_processed": "normal", "speed_requested": body.get("speed", "normal")}
        state["refunds"][refund["id"]] = refund
        payment["amount_refunded"] += amount
        payment["refund_status"] = "full" if payment["amount_refunded"] == payment["amount"] else "partial"
        if payment["refund_status"] == "full":
            payment["status"] = "refunded"
        self._queue(state, "refund.processed", refund=refund, payment=payment)
        if payment["refund_status"] == "full":
            self._queue(state, "payment.refunded", payment=payment, refund=refund)
        return refund

    def _payment_refunds(self, state: dict, _body, pid: str) -> dict:
        self._payment(state, pid)
        return collection([r for r in state["refunds"].values() if r["payment_id"] == pid])

    def _fetch_refund(self, state: dict, _body, rid: str) -> dict:
        if rid not in state["refunds"]:
            raise RazorpayError("The id provided does not exist", field="id")
        return state["refunds"][rid]

    def _transfer(self, state: dict, body: dict, pid: str) -> dict:
        payment = self._payment(state, pid)
        if not payment["captured"]:
            raise RazorpayError("Transfers can be made only on captured payments")
        asked = body.get("transfers")
        if not isinstance(asked, list) or not asked:
            raise RazorpayError("The transfers field is required", field="transfers")
        sent = sum(t["amount"] for t in state["transfers"].values() if t["source"] == pid)
        total = sum(t.get("amount", 0) for t in asked if isinstance(t, dict))
        if any(not isinstance(t, dict) or not str(t.get("account", "")).startswith("acc_")
               or not isinstance(t.get("amount"), int) or t["amount"] <= 0 for t in asked):
            raise RazorpayError("Each transfer needs an account and a positive amount", field="transfers")
        if sent + total > payment["amount"] - payment["amount_refunded"]:
            raise RazorpayError("The sum of amount requested for transfer is greater than the captured amount")
        made = []
        for wanted in asked:
            transfer = {"id": new_id("trf_"), "entity": "transfer", "source": pid, "recipient": wanted["account"],
                        "amount": wanted["amount"], "currency": "INR", "amount_reversed": 0,
                        "notes": wanted.get("notes") or [], "on_hold": bool(wanted.get("on_hold")),
                        "created_at": int(time.time())}
            state["transfers"][transfer["id"]] = transfer
            made.append(transfer)
        return collection(made)

    def _payment_transfers(self, state: dict, _body, pid: str) -> dict:
        self._payment(state, pid)
        return collection([t for t in state["transfers"].values() if t["source"] == pid])

    # -- the buyer's side: what Razorpay Checkout does ----------------------------------------------------------

    def pay(self, order_id: str, *, succeed: bool = True, capture: bool = True, method: str = "upi") -> dict:
        """The buyer pays (or fails to pay) the order; returns what Checkout posts to the callback URL."""
        with self.store.transaction() as state:
            order = state["orders"].get(order_id)
            if order is None:
                raise ValueError("no such order")
            if order["status"] == "paid":
                raise ValueError("the order is paid already")
            order["attempts"] += 1
            order["status"] = "attempted"
            payment = {"id": new_id("pay_"), "entity": "payment", "amount": order["amount"], "currency": "INR",
                       "status": "created", "order_id": order_id, "invoice_id": None, "international": False,
                       "method": method, "amount_refunded": 0, "refund_status": None, "captured": False,
                       "description": None, "card_id": None, "bank": None, "wallet": None,
                       "vpa": "buyer@upi" if method == "upi" else None, "email": "buyer@example.com",
                       "contact": "+919000000000", "notes": order["notes"], "fee": None, "tax": None,
                       "error_code": None, "error_description": None, "error_source": None, "error_step": None,
                       "error_reason": None, "acquirer_data": {}, "created_at": int(time.time())}
            state["payments"][payment["id"]] = payment
            if not succeed:
                payment.update(status="failed", error_code="BAD_REQUEST_ERROR", error_description="Payment failed",
                               error_source="customer", error_step="payment_authorization",
                               error_reason="payment_failed")
                self._queue(state, "payment.failed", payment=payment)
                return {"error": {"code": "BAD_REQUEST_ERROR", "description": "Payment failed", "source": "customer",
                                  "step": "payment_authorization", "reason": "payment_failed",
                                  "metadata": {"payment_id": payment["id"], "order_id": order_id}}}
            payment["status"] = "authorized"
            self._queue(state, "payment.authorized", payment=payment)
            if capture:
                self._mark_captured(state, payment)
        return {"razorpay_payment_id": payment["id"], "razorpay_order_id": order_id,
                "razorpay_signature": hmac_hex(self.key_secret, f"{order_id}|{payment['id']}")}

    def _mark_captured(self, state: dict, payment: dict) -> None:
        fee = payment["amount"] * self.fee_bps // 10_000
        payment.update(status="captured", captured=True, fee=fee, tax=fee * 18 // 118)
        order = state["orders"][payment["order_id"]]
        order.update(status="paid", amount_paid=payment["amount"], amount_due=0)
        self._queue(state, "payment.captured", payment=payment)
        self._queue(state, "order.paid", payment=payment, order=order)

    # -- webhooks ------------------------------------------------------------------------------------------

    def _queue(self, state: dict, event: str, **entities: dict) -> None:
        body = json.dumps({"entity": "event", "account_id": self.account_id, "event": event,
                           "contains": list(entities),
                           "payload": {name: {"entity": dict(entity)} for name, entity in entities.items()},
                           "created_at": int(time.time())})
        state["outbox"].append({"event_id": new_id("evt_"), "event": event, "body": body})

    def sign_webhook(self, body: str) -> str:
        return hmac_hex(self.webhook_secret, body)

    def take_webhooks(self) -> list[Webhook]:
        """The webhooks queued since the last call, oldest first, each signed with the webhook secret."""
        with self.store.transaction() as state:
            queued, state["outbox"] = state["outbox"], []
        return [Webhook(q["event_id"], q["event"], q["body"], self.sign_webhook(q["body"])) for q in queued]


def collection(items: list[dict]) -> dict:
    return {"entity": "collection", "count": len(items), "items": items}
