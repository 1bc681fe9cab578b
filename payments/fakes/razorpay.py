"""Razorpay's REST API v1 (the part Haat uses), run locally: the demo gateway, and the tests' Razorpay.

`FakeRazorpay` is a WSGI app that answers the official `razorpay` SDK where Haat calls it (orders, payments,
capture, refunds, Route transfers) with Razorpay's entities and error bodies. `pay()` is what Razorpay Checkout
does in the buyer's browser; it signs the callback fields and queues the webhooks (HMAC-SHA256) as Razorpay
does. State lives in a `MemoryStore` (tests) or a `FileStore` shared by processes (the demo under `make run`).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import string
import time
from collections.abc import Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol
from wsgiref.types import StartResponse, WSGIEnvironment

from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from market.core.fakes import local

log = logging.getLogger(__name__)

State = dict[str, Any]
Entity = dict[str, Any]

ALPHABET = string.ascii_letters + string.digits
CURRENCY = "INR"
MIN_ORDER_AMOUNT = 100  # paise: Razorpay's minimum order is INR 1.00
MAX_NOTES = 15
MAX_NOTE_LENGTH = 256
MAX_RECEIPT_LENGTH = 40
REFUND_SPEEDS = ("normal", "optimum")
METHODS = ("upi", "card", "netbanking", "wallet")
GST_PARTS = (18, 118)  # the fee includes 18% GST: tax = fee * 18 / 118


def new_id(prefix: str) -> str:
    """A Razorpay-style id: the prefix and 14 random letters and digits."""
    return prefix + "".join(secrets.choice(ALPHABET) for _ in range(14))


def empty_state() -> State:
    """The state of a Razorpay account with nothing in it yet."""
    return {"orders": {}, "payments": {}, "refunds": {}, "transfers": {}, "outbox": []}


def hmac_hex(secret: str, message: str) -> str:
    """Hex HMAC-SHA256, as Razorpay signs checkout callbacks and webhooks."""
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def collection(items: list[Entity]) -> Entity:
    """Razorpay's list envelope."""
    return {"entity": "collection", "count": len(items), "items": items}


class Store(Protocol):
    """Where the fake keeps its state: `transaction()` yields the state and saves it on a clean exit."""

    def transaction(self) -> AbstractContextManager[State]: ...






class MemoryStore(local.MemoryStore):
    """State in this process (tests)."""

    def __init__(self) -> None:
        super().__init__(empty_state)


class FileStore(local.FileStore):
    """State in a JSON file shared by the demo's processes."""

    def __init__(self, path: Path | str) -> None:
        super().__init__(path, empty_state)


@dataclass(frozen=True)
class Webhook:
    """One webhook as Razorpay posts it: the raw body, its signature and the event id."""

    event_id: str
    event: str
    body: str
    signature: str

    @property
    def headers(self) -> dict[str, str]:
        """The headers Razorpay sends with the body."""
        return {"Content-Type": "application/json", "X-Razorpay-Signature": self.signature,
                "X-Razorpay-Event-Id": self.event_id}


class RazorpayError(ValueError):
    """A request Razorpay refuses, answered with its error body (HTTP 400, or 401 for bad keys)."""

    def __init__(self, description: str, *, field: str | None = None, status: int = 400,
                 source: str = "business", step: str = "payment_initiation",
                 reason: str = "input_validation_failed") -> None:
        super().__init__(description)
        self.description, self.field, self.status = description, field, status
        self.source, self.step, self.reason = source, step, reason

    def body(self) -> dict[str, Any]:
        """The JSON body Razorpay answers with."""
        return {"error": {"code": "BAD_REQUEST_ERROR", "description": self.description, "source": self.source,
                          "step": self.step, "reason": self.reason, "metadata": {}, "field": self.field}}


def missing() -> RazorpayError:
    """Razorpay's answer for an id it does not know."""
    return RazorpayError("The id provided does not exist", field="id", source="NA", step="NA", reason="NA")


def check_amount(value: object, minimum: int = 1, field: str = "amount") -> int:
    """An amount in paise: an int (not a bool) of at least `minimum`."""
    if not isinstance(value, int) or isinstance(value, bool):
        raise RazorpayError(f"The {field} must be an integer.", field=field)
    if value < minimum:
        raise RazorpayError(f"The {field} must be atleast INR {minimum / 100:.2f}.", field=field)
    return value


def check_currency(value: object) -> str:
    """Only rupees here."""
    if value != CURRENCY:
        raise RazorpayError("Currency is not supported", field="currency")
    return CURRENCY


def check_notes(value: object) -> dict[str, Any] | list[Any]:
    """Notes: up to 15 short key-value pairs. Razorpay shows empty notes as `[]`."""
    if value in (None, [], {}):
        return []
    if not isinstance(value, dict):
        raise RazorpayError("notes should be an object of key-value pairs", field="notes")
    if len(value) > MAX_NOTES:
        raise RazorpayError(f"Number of fields in notes should be less than or equal to {MAX_NOTES}", field="notes")
    if any(len(str(v)) > MAX_NOTE_LENGTH for v in value.values()):
        raise RazorpayError(f"notes values may not be longer than {MAX_NOTE_LENGTH} characters", field="notes")
    return dict(value)


def check_receipt(value: object) -> str | None:
    """A receipt: the merchant's own reference, at most 40 characters."""
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > MAX_RECEIPT_LENGTH:
        raise RazorpayError(f"receipt: the length must not be greater than {MAX_RECEIPT_LENGTH}.", field="receipt")
    return value


def json_response(body: object, status: int) -> Response:
    """A JSON answer, as Razorpay gives even for errors."""
    return Response(json.dumps(body), status, content_type="application/json")


class FakeRazorpay:
    """A WSGI app standing in for https://api.razorpay.com/v1, plus the buyer's side of Razorpay Checkout."""

    def __init__(self, key_id: str, key_secret: str, webhook_secret: str, store: Store | None = None,
                 fee_bps: int = 200, account_id: str = "acc_demo") -> None:
        self.key_id, self.key_secret, self.webhook_secret = key_id, key_secret, webhook_secret
        self.store: Store = store if store is not None else MemoryStore()
        self.fee_bps, self.account_id = fee_bps, account_id
        self.urls = Map([
            Rule("/v1/orders", methods=["POST"], endpoint=self.create_order),
            Rule("/v1/orders/<oid>", methods=["GET"], endpoint=self.fetch_order),
            Rule("/v1/orders/<oid>/payments", methods=["GET"], endpoint=self.order_payments),
            Rule("/v1/payments/<pid>", methods=["GET"], endpoint=self.fetch_payment),
            Rule("/v1/payments/<pid>/capture", methods=["POST"], endpoint=self.capture),
            Rule("/v1/payments/<pid>/refund", methods=["POST"], endpoint=self.refund),
            Rule("/v1/payments/<pid>/refunds", methods=["GET"], endpoint=self.payment_refunds),
            Rule("/v1/refunds/<rid>", methods=["GET"], endpoint=self.fetch_refund),
            Rule("/v1/payments/<pid>/transfers", methods=["POST"], endpoint=self.transfer),
            Rule("/v1/payments/<pid>/transfers", methods=["GET"], endpoint=self.payment_transfers),
        ])

    # -- HTTP ----------------------------------------------------------------------------------------------------

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        return self.respond(Request(environ))(environ, start_response)

    def respond(self, request: Request) -> Response:
        """Razorpay's answer to one API request."""
        try:
            if not self._authenticated(request):
                raise RazorpayError("Authentication failed", source="NA", step="NA", reason="NA", status=401)
            handler, args = self.urls.bind_to_environ(request.environ).match()
            body = self._body(request) if request.method == "POST" else {}
            with self.store.transaction() as state:
                # Serialised inside the transaction: once the lock is released another request may change it.
                return json_response(handler(state, body, **args), 200)
        except RazorpayError as exc:
            return json_response(exc.body(), exc.status)
        except HTTPException as exc:  # no such route, or the wrong method: Razorpay answers in JSON
            error = RazorpayError("The requested URL was not found on the server.", source="NA", step="NA",
                                  reason="NA", status=exc.code or 400)
            return json_response(error.body(), error.status)
        except Exception:  # the SDK expects JSON even then; the traceback goes to the log
            log.exception("fake Razorpay failed on %s %s", request.method, request.path)
            return json_response({"error": {"code": "SERVER_ERROR", "description": "The server encountered an error.",
                                            "metadata": {}}}, 500)

    def _authenticated(self, request: Request) -> bool:
        """HTTP Basic with key_id:key_secret."""
        auth = request.authorization
        if auth is None or auth.type != "basic":
            return False
        return (hmac.compare_digest((auth.username or "").encode(), self.key_id.encode())
                and hmac.compare_digest((auth.password or "").encode(), self.key_secret.encode()))

    @staticmethod
    def _body(request: Request) -> dict[str, Any]:
        """The JSON object the SDK posts (an empty body is an empty object)."""
        data = request.get_data()
        if not data.strip():
            return {}
        try:
            body = json.loads(data)
        except ValueError:
            raise RazorpayError("The request body is not valid JSON.") from None
        if not isinstance(body, dict):
            raise RazorpayError("The request body must be a JSON object.")
        return body

    # -- the API -------------------------------------------------------------------------------------------------

    def create_order(self, state: State, body: dict[str, Any]) -> Entity:
        """POST /v1/orders"""
        amount = body.get("amount")
        if not isinstance(amount, int) or isinstance(amount, bool) or amount < MIN_ORDER_AMOUNT:
            raise RazorpayError("The amount must be atleast INR 1.00.", field="amount")
        order = {"id": new_id("order_"), "entity": "order", "amount": amount, "amount_paid": 0, "amount_due": amount,
                 "currency": check_currency(body.get("currency", CURRENCY)),
                 "receipt": check_receipt(body.get("receipt")), "offer_id": None, "status": "created",
                 "attempts": 0, "notes": check_notes(body.get("notes")), "created_at": int(time.time())}
        state["orders"][order["id"]] = order
        return order

    def fetch_order(self, state: State, _body: dict[str, Any], oid: str) -> Entity:
        """GET /v1/orders/<id>"""
        return self._get(state, "orders", oid)

    def order_payments(self, state: State, _body: dict[str, Any], oid: str) -> Entity:
        """GET /v1/orders/<id>/payments"""
        self._get(state, "orders", oid)
        return collection([p for p in state["payments"].values() if p["order_id"] == oid])

    def fetch_payment(self, state: State, _body: dict[str, Any], pid: str) -> Entity:
        """GET /v1/payments/<id>"""
        return self._get(state, "payments", pid)

    def capture(self, state: State, body: dict[str, Any], pid: str) -> Entity:
        """POST /v1/payments/<id>/capture: the whole authorized amount, in the payment's currency."""
        payment = self._get(state, "payments", pid)
        if payment["captured"]:
            raise RazorpayError("This payment has already been captured")
        if payment["status"] != "authorized":
            raise RazorpayError("Only payments which have been authorized and not yet captured can be captured")
        if check_amount(body.get("amount")) != payment["amount"]:
            raise RazorpayError("Capture amount must be equal to the amount authorized", field="amount")
        check_currency(body.get("currency", CURRENCY))
        self._capture(state, payment)
        return payment

    def refund(self, state: State, body: dict[str, Any], pid: str) -> Entity:
        """POST /v1/payments/<id>/refund: all that remains unless an amount is given."""
        payment = self._get(state, "payments", pid)
        if payment["status"] == "refunded":
            raise RazorpayError("The payment has been fully refunded already")
        if not payment["captured"]:
            raise RazorpayError("Only payments which have been captured can be refunded")
        left = payment["amount"] - payment["amount_refunded"]
        amount = check_amount(body.get("amount", left))
        if amount > left:
            raise RazorpayError("The refund amount provided is greater than amount captured", field="amount")
        speed = body.get("speed", "normal")
        if speed not in REFUND_SPEEDS:
            raise RazorpayError("The selected speed is invalid.", field="speed")
        refund = {"id": new_id("rfnd_"), "entity": "refund", "amount": amount, "currency": payment["currency"],
                  "payment_id": pid, "notes": check_notes(body.get("notes")),
                  "receipt": check_receipt(body.get("receipt")), "acquirer_data": {"rrn": None},
                  "created_at": int(time.time()), "batch_id": None, "status": "processed",
                  "speed_processed": "normal", "speed_requested": speed}
        state["refunds"][refund["id"]] = refund
        payment["amount_refunded"] += amount
        fully = payment["amount_refunded"] == payment["amount"]
        payment["refund_status"] = "full" if fully else "partial"
        if fully:
            payment["status"] = "refunded"
        self._queue(state, "refund.processed", refund=refund, payment=payment)
        if fully:
            self._queue(state, "payment.refunded", payment=payment, refund=refund)
        return refund

    def payment_refunds(self, state: State, _body: dict[str, Any], pid: str) -> Entity:
        """GET /v1/payments/<id>/refunds"""
        self._get(state, "payments", pid)
        return collection([r for r in state["refunds"].values() if r["payment_id"] == pid])

    def fetch_refund(self, state: State, _body: dict[str, Any], rid: str) -> Entity:
        """GET /v1/refunds/<id>"""
        return self._get(state, "refunds", rid)

    def transfer(self, state: State, body: dict[str, Any], pid: str) -> Entity:
        """POST /v1/payments/<id>/transfers (Route): split a captured payment to linked accounts."""
        payment = self._get(state, "payments", pid)
        if not payment["captured"]:
            raise RazorpayError("Transfers can be made only on captured payments")
        asked = body.get("transfers")
        if not isinstance(asked, list) or not asked or not all(isinstance(t, dict) for t in asked):
            raise RazorpayError("The transfers field is required and must be a list of transfers", field="transfers")
        for wanted in asked:
            if not isinstance(wanted.get("account"), str) or not wanted["account"].startswith("acc_"):
                raise RazorpayError("The account id is invalid", field="account")
            check_amount(wanted.get("amount"))
            check_currency(wanted.get("currency"))
        sent = sum(t["amount"] for t in state["transfers"].values() if t["source"] == pid)
        if sent + sum(t["amount"] for t in asked) > payment["amount"] - payment["amount_refunded"]:
            raise RazorpayError("The sum of amount requested for transfer is greater than the captured amount",
                                field="amount")
        made = []
        for wanted in asked:
            transfer = {"id": new_id("trf_"), "entity": "transfer", "status": "processed", "source": pid,
                        "recipient": wanted["account"], "amount": wanted["amount"], "currency": CURRENCY,
                        "amount_reversed": 0, "notes": check_notes(wanted.get("notes")),
                        "on_hold": bool(wanted.get("on_hold", False)), "created_at": int(time.time())}
            state["transfers"][transfer["id"]] = transfer
            made.append(transfer)
        return collection(made)

    def payment_transfers(self, state: State, _body: dict[str, Any], pid: str) -> Entity:
        """GET /v1/payments/<id>/transfers"""
        self._get(state, "payments", pid)
        return collection([t for t in state["transfers"].values() if t["source"] == pid])

    @staticmethod
    def _get(state: State, kind: str, entity_id: str) -> Entity:
        if entity_id not in state[kind]:
            raise missing()
        return state[kind][entity_id]

    # -- the buyer's side: what Razorpay Checkout does -----------------------------------------------------------

    def pay(self, order_id: str, *, succeed: bool = True, capture: bool = True, method: str = "upi") -> dict[str, Any]:
        """The buyer pays (or fails to pay) the order; returns what Checkout posts to the callback URL.

        Raises RazorpayError (a ValueError) if the order does not exist or is paid already.
        """
        if method not in METHODS:
            raise RazorpayError("Invalid payment method", field="method")
        with self.store.transaction() as state:
            order = self._get(state, "orders", order_id)
            if order["status"] == "paid":
                raise RazorpayError("Order has already been paid")
            order["attempts"] += 1
            order["status"] = "attempted"
            payment = {"id": new_id("pay_"), "entity": "payment", "amount": order["amount"],
                       "currency": order["currency"], "status": "created", "order_id": order_id, "invoice_id": None,
                       "international": False, "method": method, "amount_refunded": 0, "refund_status": None,
                       "captured": False, "description": None, "card_id": None, "bank": None, "wallet": None,
                       "vpa": "buyer@upi" if method == "upi" else None, "email": "buyer@example.com",
                       "contact": "+919000000000", "notes": dict(order["notes"]) or [], "fee": None, "tax": None,
                       "error_code": None, "error_description": None, "error_source": None, "error_step": None,
                       "error_reason": None, "acquirer_data": {}, "created_at": int(time.time())}
            state["payments"][payment["id"]] = payment
            if not succeed:
                error = {"code": "BAD_REQUEST_ERROR", "description": "Payment failed", "source": "customer",
                         "step": "payment_authorization", "reason": "payment_failed"}
                payment.update(status="failed", **{f"error_{key}": value for key, value in error.items()})
                self._queue(state, "payment.failed", payment=payment)
                return {"error": {**error, "metadata": {"payment_id": payment["id"], "order_id": order_id}}}
            payment["status"] = "authorized"
            self._queue(state, "payment.authorized", payment=payment)
            if capture:
                self._capture(state, payment)
        return {"razorpay_payment_id": payment["id"], "razorpay_order_id": order_id,
                "razorpay_signature": hmac_hex(self.key_secret, f"{order_id}|{payment['id']}")}

    def _capture(self, state: State, payment: Entity) -> None:
        """Capture: the gateway's fee (GST included) is set, the order is paid."""
        fee = payment["amount"] * self.fee_bps // 10_000
        payment.update(status="captured", captured=True, fee=fee, tax=fee * GST_PARTS[0] // GST_PARTS[1])
        order = state["orders"][payment["order_id"]]
        order.update(status="paid", amount_paid=payment["amount"], amount_due=0)
        self._queue(state, "payment.captured", payment=payment)
        self._queue(state, "order.paid", payment=payment, order=order)

    # -- webhooks ------------------------------------------------------------------------------------------------

    def _queue(self, state: State, event: str, **entities: Entity) -> None:
        """Queue a webhook; its body is fixed now, as the entities stand."""
        body = json.dumps({"entity": "event", "account_id": self.account_id, "event": event,
                           "contains": list(entities),
                           "payload": {name: {"entity": entity} for name, entity in entities.items()},
                           "created_at": int(time.time())})
        state["outbox"].append({"event_id": new_id("evt_"), "event": event, "body": body})

    def sign_webhook(self, body: str) -> str:
        """The X-Razorpay-Signature of a webhook body: hex HMAC-SHA256 with the webhook secret."""
        return hmac_hex(self.webhook_secret, body)

    def take_webhooks(self) -> list[Webhook]:
        """The webhooks queued since the last call, oldest first, each signed; the outbox is emptied."""
        with self.store.transaction() as state:
            queued, state["outbox"] = state["outbox"], []
        return [Webhook(q["event_id"], q["event"], q["body"], self.sign_webhook(q["body"])) for q in queued]
