"""The local Razorpay and Stripe fakes, driven by the REAL razorpay and stripe SDKs over HTTP on 127.0.0.1."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import razorpay
import requests
import stripe
from razorpay.errors import BadRequestError, SignatureVerificationError

from payments.fakes.razorpay import FakeRazorpay, FileStore, Webhook
from tests.fakes.server import serve
from tests.fakes.stripe_server import FakeStripe, parse_form

KEY_ID, KEY_SECRET, WEBHOOK_SECRET = "rzp_test_unit000000000", "unit-key-secret", "unit-webhook-secret"
STRIPE_KEY, STRIPE_WEBHOOK_SECRET = "sk_test_unit", "whsec_unit"
RAZORPAY_ID = r"[A-Za-z0-9]{14}"


@dataclass
class Razorpay:
    fake: FakeRazorpay
    client: razorpay.Client
    url: str
    http: requests.Session


@pytest.fixture
def rzp() -> Iterator[Razorpay]:
    """A fake Razorpay served on 127.0.0.1 and the SDK's client for it (base_url: the origin, without /v1)."""
    fake = FakeRazorpay(KEY_ID, KEY_SECRET, WEBHOOK_SECRET)
    with serve(fake) as served, requests.Session() as http:
        yield Razorpay(fake, razorpay.Client(session=http, auth=(KEY_ID, KEY_SECRET), base_url=served.url),
                       served.url, http)


def new_order(rzp: Razorpay, amount: int = 45_000) -> str:
    return rzp.client.order.create({"amount": amount, "currency": "INR", "receipt": "checkout-7",
                                    "notes": {"checkout": "7"}})["id"]


def paid(rzp: Razorpay, amount: int = 45_000) -> str:
    """A captured payment's id; its webhooks are taken."""
    payment_id = rzp.fake.pay(new_order(rzp, amount))["razorpay_payment_id"]
    rzp.fake.take_webhooks()
    return payment_id


# -- Razorpay --------------------------------------------------------------------------------------------------------


def test_the_sdk_adds_v1_itself_so_base_url_is_the_origin(rzp):
    doubled = razorpay.Client(session=rzp.http, auth=(KEY_ID, KEY_SECRET), base_url=rzp.url + "/v1")
    with pytest.raises(BadRequestError, match="requested URL was not found"):
        doubled.order.create({"amount": 100, "currency": "INR"})  # it asked for /v1/v1/orders
    assert rzp.client.order.create({"amount": 100, "currency": "INR"})["amount"] == 100


def test_orders_are_created_fetched_and_validated(rzp):
    before = int(time.time())
    order = rzp.client.order.create({"amount": 45_000, "currency": "INR", "receipt": "checkout-7",
                                     "notes": {"checkout": "7"}, "partial_payment": False})
    after = time.time()
    assert re.fullmatch(f"order_{RAZORPAY_ID}", order["id"])
    assert {k: order[k] for k in ("entity", "amount", "amount_paid", "amount_due", "currency", "receipt", "offer_id",
                                  "status", "attempts", "notes")} == {
        "entity": "order", "amount": 45_000, "amount_paid": 0, "amount_due": 45_000, "currency": "INR",
        "receipt": "checkout-7", "offer_id": None, "status": "created", "attempts": 0, "notes": {"checkout": "7"}}
    assert before <= order["created_at"] <= after  # Unix seconds, stamped when it was made
    assert rzp.client.order.fetch(order["id"]) == order
    assert rzp.client.order.payments(order["id"]) == {"entity": "collection", "count": 0, "items": []}
    with pytest.raises(BadRequestError, match="The amount must be atleast INR 1.00."):
        rzp.client.order.create({"amount": 99, "currency": "INR"})
    with pytest.raises(BadRequestError, match="receipt"):
        rzp.client.order.create({"amount": 100, "currency": "INR", "receipt": "x" * 41})
    with pytest.raises(BadRequestError, match="Currency is not supported"):
        rzp.client.order.create({"amount": 100, "currency": "USD"})


def test_paying_captures_sets_the_fee_and_signs_the_callback(rzp):
    order_id = new_order(rzp)
    fields = rzp.fake.pay(order_id)
    assert set(fields) == {"razorpay_payment_id", "razorpay_order_id", "razorpay_signature"}
    assert fields["razorpay_order_id"] == order_id
    assert re.fullmatch(f"pay_{RAZORPAY_ID}", fields["razorpay_payment_id"])
    assert rzp.client.utility.verify_payment_signature(fields) is True
    with pytest.raises(SignatureVerificationError):
        rzp.client.utility.verify_payment_signature({**fields, "razorpay_signature": "0" * 64})
    with pytest.raises(SignatureVerificationError):
        rzp.client.utility.verify_payment_signature({**fields, "razorpay_payment_id": "pay_" + "A" * 14})

    payment = rzp.client.payment.fetch(fields["razorpay_payment_id"])
    assert {k: payment[k] for k in ("entity", "amount", "currency", "status", "order_id", "method", "captured",
                                    "amount_refunded", "refund_status", "vpa", "fee", "tax", "error_code")} == {
        "entity": "payment", "amount": 45_000, "currency": "INR", "status": "captured", "order_id": order_id,
        "method": "upi", "captured": True, "amount_refunded": 0, "refund_status": None, "vpa": "buyer@upi",
        "fee": 900, "tax": 137, "error_code": None}  # 2% of 450.00 incl. 18% GST: 9.00 of which 1.37 tax
    order = rzp.client.order.fetch(order_id)
    assert (order["status"], order["amount_paid"], order["amount_due"], order["attempts"]) == ("paid", 45_000, 0, 1)
    assert [p["id"] for p in rzp.client.order.payments(order_id)["items"]] == [payment["id"]]
    with pytest.raises(ValueError, match="already been paid"):
        rzp.fake.pay(order_id)
    with pytest.raises(ValueError, match="does not exist"):
        rzp.fake.pay("order_" + "X" * 14)


def test_an_authorized_payment_is_captured_for_its_whole_amount_once(rzp):
    order_id = new_order(rzp)
    payment_id = rzp.fake.pay(order_id, capture=False)["razorpay_payment_id"]
    payment = rzp.client.payment.fetch(payment_id)
    assert (payment["status"], payment["captured"], payment["fee"]) == ("authorized", False, None)
    assert rzp.client.order.fetch(order_id)["status"] == "attempted"
    with pytest.raises(BadRequestError, match="Capture amount must be equal to the amount authorized"):
        rzp.client.payment.capture(payment_id, 40_000, {"currency": "INR"})

    captured = rzp.client.payment.capture(payment_id, 45_000, {"currency": "INR"})
    assert (captured["status"], captured["captured"], captured["fee"], captured["tax"]) == ("captured", True, 900, 137)
    assert rzp.client.order.fetch(order_id)["status"] == "paid"
    assert [h.event for h in rzp.fake.take_webhooks()] == ["payment.authorized", "payment.captured", "order.paid"]
    with pytest.raises(BadRequestError, match="already been captured"):
        rzp.client.payment.capture(payment_id, 45_000, {"currency": "INR"})


def test_a_failed_payment_leaves_the_order_open(rzp):
    order_id = new_order(rzp)
    failed = rzp.fake.pay(order_id, succeed=False)
    payment_id = failed["error"]["metadata"]["payment_id"]
    assert failed == {"error": {"code": "BAD_REQUEST_ERROR", "description": "Payment failed", "source": "customer",
                                "step": "payment_authorization", "reason": "payment_failed",
                                "metadata": {"payment_id": payment_id, "order_id": order_id}}}
    payment = rzp.client.payment.fetch(payment_id)
    assert (payment["status"], payment["captured"], payment["error_code"], payment["error_description"],
            payment["error_reason"]) == ("failed", False, "BAD_REQUEST_ERROR", "Payment failed", "payment_failed")
    assert rzp.client.order.fetch(order_id)["status"] == "attempted"
    assert [h.event for h in rzp.fake.take_webhooks()] == ["payment.failed"]

    rzp.fake.pay(order_id)
    assert [p["status"] for p in rzp.client.order.payments(order_id)["items"]] == ["failed", "captured"]
    assert rzp.client.order.fetch(order_id)["attempts"] == 2


def test_refunds_partial_then_the_rest_and_no_more(rzp):
    payment_id = paid(rzp)
    first = rzp.client.payment.refund(payment_id, {"amount": 10_000, "notes": {"reason": "damaged"}})
    assert re.fullmatch(f"rfnd_{RAZORPAY_ID}", first["id"])
    assert {k: first[k] for k in ("entity", "amount", "currency", "payment_id", "notes", "status",
                                  "speed_processed")} == {
        "entity": "refund", "amount": 10_000, "currency": "INR", "payment_id": payment_id,
        "notes": {"reason": "damaged"}, "status": "processed", "speed_processed": "normal"}
    payment = rzp.client.payment.fetch(payment_id)
    assert (payment["status"], payment["amount_refunded"], payment["refund_status"]) == ("captured", 10_000, "partial")
    with pytest.raises(BadRequestError, match="greater than amount captured"):
        rzp.client.payment.refund(payment_id, {"amount": 35_001})

    rest = rzp.client.payment.refund(payment_id, {})
    assert rest["amount"] == 35_000
    payment = rzp.client.payment.fetch(payment_id)
    assert (payment["status"], payment["amount_refunded"], payment["refund_status"]) == ("refunded", 45_000, "full")
    assert rzp.client.refund.fetch(first["id"]) == first
    refunds = rzp.client.payment.fetch_multiple_refund(payment_id)
    assert (refunds["count"], [r["id"] for r in refunds["items"]]) == (2, [first["id"], rest["id"]])
    with pytest.raises(BadRequestError, match="fully refunded"):
        rzp.client.payment.refund(payment_id, {"amount": 100})

    hooks = rzp.fake.take_webhooks()
    assert [h.event for h in hooks] == ["refund.processed", "refund.processed", "payment.refunded"]
    last = json.loads(hooks[1].body)
    assert (last["contains"], last["payload"]["refund"]["entity"]["id"]) == (["refund", "payment"], rest["id"])
    assert last["payload"]["payment"]["entity"]["refund_status"] == "full"


def test_only_captured_payments_are_refunded(rzp):
    payment_id = rzp.fake.pay(new_order(rzp), capture=False)["razorpay_payment_id"]
    with pytest.raises(BadRequestError, match="captured"):
        rzp.client.payment.refund(payment_id, {"amount": 100})


def test_transfers_split_what_was_captured_and_not_refunded(rzp):
    authorized = rzp.fake.pay(new_order(rzp), capture=False)["razorpay_payment_id"]
    one = {"account": "acc_ShopA0000000", "amount": 100, "currency": "INR"}
    with pytest.raises(BadRequestError, match="captured payments"):
        rzp.client.payment.transfer(authorized, {"transfers": [one]})

    payment_id = paid(rzp)
    made = rzp.client.payment.transfer(payment_id, {"transfers": [
        {"account": "acc_ShopA0000000", "amount": 30_000, "currency": "INR", "notes": {"order": "1"}, "on_hold": False},
        {"account": "acc_ShopB0000000", "amount": 11_000, "currency": "INR", "notes": {"order": "2"}, "on_hold": True},
    ]})
    assert (made["entity"], made["count"]) == ("collection", 2)
    first = made["items"][0]
    assert re.fullmatch(f"trf_{RAZORPAY_ID}", first["id"])
    assert {k: first[k] for k in ("entity", "source", "recipient", "amount", "currency", "amount_reversed", "notes",
                                  "on_hold")} == {
        "entity": "transfer", "source": payment_id, "recipient": "acc_ShopA0000000", "amount": 30_000,
        "currency": "INR", "amount_reversed": 0, "notes": {"order": "1"}, "on_hold": False}
    assert made["items"][1]["on_hold"] is True
    assert rzp.client.payment.transfers(payment_id)["items"] == made["items"]

    rzp.client.payment.refund(payment_id, {"amount": 1_000})  # 45,000 - 41,000 sent - 1,000 refunded: 3,000 left
    with pytest.raises(BadRequestError, match="greater than the captured amount"):
        rzp.client.payment.transfer(payment_id, {"transfers": [{**one, "amount": 3_001}]})
    assert rzp.client.payment.transfer(payment_id, {"transfers": [{**one, "amount": 3_000}]})["count"] == 1
    with pytest.raises(BadRequestError, match="account"):
        rzp.client.payment.transfer(payment_id, {"transfers": [{**one, "account": "shop-a"}]})


def test_webhooks_are_signed_with_the_webhook_secret(rzp):
    order_id = new_order(rzp)
    payment_id = rzp.fake.pay(order_id)["razorpay_payment_id"]
    hooks = rzp.fake.take_webhooks()
    assert [h.event for h in hooks] == ["payment.authorized", "payment.captured", "order.paid"]
    assert len({h.event_id for h in hooks}) == 3 and all(re.fullmatch(f"evt_{RAZORPAY_ID}", h.event_id) for h in hooks)
    for hook in hooks:
        assert rzp.client.utility.verify_webhook_signature(hook.body, hook.signature, WEBHOOK_SECRET) is True
        assert hook.headers == {"Content-Type": "application/json", "X-Razorpay-Signature": hook.signature,
                                "X-Razorpay-Event-Id": hook.event_id}
        assert rzp.fake.sign_webhook(hook.body) == hook.signature
    body = json.loads(hooks[2].body)
    assert {k: body[k] for k in ("entity", "account_id", "event", "contains")} == {
        "entity": "event", "account_id": "acc_demo", "event": "order.paid", "contains": ["payment", "order"]}
    assert body["payload"]["payment"]["entity"]["id"] == payment_id
    assert body["payload"]["order"]["entity"] == {**rzp.client.order.fetch(order_id)}
    assert json.loads(hooks[0].body)["payload"]["payment"]["entity"]["status"] == "authorized"  # as it was then

    altered = hooks[1].body.replace('"amount": 45000', '"amount": 4500000')
    assert altered != hooks[1].body
    with pytest.raises(SignatureVerificationError):
        rzp.client.utility.verify_webhook_signature(altered, hooks[1].signature, WEBHOOK_SECRET)
    with pytest.raises(SignatureVerificationError):
        rzp.client.utility.verify_webhook_signature(hooks[1].body, hooks[1].signature, "another-secret")
    assert rzp.fake.take_webhooks() == []


def test_a_wrong_key_and_an_unknown_id_are_bad_requests_in_razorpays_shape(rzp):
    wrong = razorpay.Client(session=rzp.http, auth=(KEY_ID, "not-the-secret"), base_url=rzp.url)
    with pytest.raises(BadRequestError, match="Authentication failed"):
        wrong.order.create({"amount": 100, "currency": "INR"})
    answer = rzp.http.get(rzp.url + "/v1/orders/order_x", auth=(KEY_ID, "not-the-secret"))
    assert answer.status_code == 401
    assert set(answer.json()["error"]) == {"code", "description", "source", "step", "reason", "metadata", "field"}

    with pytest.raises(BadRequestError, match="The id provided does not exist"):
        rzp.client.payment.fetch("pay_" + "N" * 14)
    answer = rzp.http.get(rzp.url + "/v1/refunds/rfnd_x", auth=(KEY_ID, KEY_SECRET))
    assert answer.status_code == 400
    assert answer.json()["error"] == {"code": "BAD_REQUEST_ERROR", "description": "The id provided does not exist",
                                      "source": "NA", "step": "NA", "reason": "NA", "metadata": {}, "field": "id"}


def test_two_fakes_on_one_file_store_share_their_state(rzp, tmp_path):
    path = tmp_path / "razorpay.json"
    web, worker = (FakeRazorpay(KEY_ID, KEY_SECRET, WEBHOOK_SECRET, store=FileStore(path)) for _ in range(2))
    with serve(web) as served:
        client = razorpay.Client(session=rzp.http, auth=(KEY_ID, KEY_SECRET), base_url=served.url)
        order_id = client.order.create({"amount": 20_000, "currency": "INR"})["id"]
        payment_id = worker.pay(order_id)["razorpay_payment_id"]
        assert client.payment.fetch(payment_id)["status"] == "captured"
        assert client.order.fetch(order_id)["status"] == "paid"
    assert [h.event for h in web.take_webhooks()] == ["payment.authorized", "payment.captured", "order.paid"]
    assert worker.take_webhooks() == []


def test_the_file_store_lock_serialises_separate_stores(tmp_path):
    stores = [FileStore(tmp_path / "state.json") for _ in range(4)]  # each its own thread lock: only flock is shared

    def bump(store: FileStore) -> None:
        for _ in range(25):
            with store.transaction() as state:
                state["orders"]["count"] = state["orders"].get("count", 0) + 1

    threads = [threading.Thread(target=bump, args=(store,)) for store in stores]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with stores[0].transaction() as state:
        assert state["orders"]["count"] == 100


def test_webhook_is_a_frozen_value():
    hook = Webhook("evt_1", "payment.captured", "{}", "sig")
    with pytest.raises(AttributeError):
        hook.body = "changed"  # type: ignore[misc]


# -- Stripe ----------------------------------------------------------------------------------------------------------


@dataclass
class Stripe:
    fake: FakeStripe
    client: stripe.StripeClient
    url: str
    http: stripe.RequestsClient


@pytest.fixture
def stp() -> Iterator[Stripe]:
    """A fake Stripe served on 127.0.0.1 and a StripeClient pointed at it."""
    fake = FakeStripe(STRIPE_KEY, STRIPE_WEBHOOK_SECRET)
    with serve(fake) as served:
        http = stripe.RequestsClient()
        try:
            yield Stripe(fake, stripe.StripeClient(STRIPE_KEY, base_addresses={"api": served.url}, http_client=http),
                         served.url, http)
        finally:
            http.close()


SESSION_PARAMS = {
    "mode": "payment", "client_reference_id": "7", "metadata": {"checkout_id": "7"},
    "success_url": "http://haat.test/done", "cancel_url": "http://haat.test/cancel", "customer_email": "b@example.com",
    "line_items": [
        {"quantity": 2, "price_data": {"currency": "inr", "unit_amount": 45_000, "product_data": {"name": "Kurti"}}},
        {"quantity": 1, "price_data": {"currency": "inr", "unit_amount": 11_000, "product_data": {"name": "Podi"}}},
    ],
}


def test_parse_form_reads_stripes_bracket_notation():
    assert parse_form([("mode", "payment"), ("line_items[1][quantity]", "1"),
                       ("line_items[0][price_data][unit_amount]", "100"), ("line_items[0][quantity]", "2"),
                       ("metadata[checkout_id]", "7")]) == {
        "mode": "payment", "metadata": {"checkout_id": "7"},
        "line_items": [{"price_data": {"unit_amount": "100"}, "quantity": "2"}, {"quantity": "1"}]}


def test_a_checkout_session_is_created_retrieved_and_completed(stp):
    made = stp.client.v1.checkout.sessions.create(params=SESSION_PARAMS)
    assert made.id.startswith("cs_test_")
    assert (made.object, made.amount_total, made.currency, made.client_reference_id, made.mode) == (
        "checkout.session", 101_000, "inr", "7", "payment")
    assert (made.status, made.payment_status, made.payment_intent) == ("open", "unpaid", None)
    assert made.metadata.to_dict() == {"checkout_id": "7"}
    assert made.url == f"https://checkout.stripe.com/c/pay/{made.id}"
    assert (made.success_url, made.cancel_url) == ("http://haat.test/done", "http://haat.test/cancel")
    assert made.expires_at - made.created == 24 * 3600

    completed = stp.fake.complete(made.id)
    fetched = stp.client.v1.checkout.sessions.retrieve(made.id)
    assert (fetched.status, fetched.payment_status) == ("complete", "paid")
    assert fetched.payment_intent == completed["payment_intent"] and fetched.payment_intent.startswith("pi_")
    with pytest.raises(ValueError):
        stp.fake.complete(made.id)


def test_stripe_refuses_bad_requests_as_stripe_does(stp):
    with pytest.raises(stripe.InvalidRequestError) as missing:
        stp.client.v1.checkout.sessions.retrieve("cs_test_nope")
    assert (missing.value.http_status, missing.value.code, missing.value.param) == (404, "resource_missing", "id")
    with pytest.raises(stripe.InvalidRequestError) as no_items:
        stp.client.v1.checkout.sessions.create(params={"mode": "payment", "success_url": "http://haat.test/"})
    assert (no_items.value.http_status, no_items.value.param) == (400, "line_items")
    wrong = stripe.StripeClient("sk_test_wrong", base_addresses={"api": stp.url}, http_client=stp.http)
    with pytest.raises(stripe.AuthenticationError):
        wrong.v1.checkout.sessions.create(params=SESSION_PARAMS)
    answer = requests.get(stp.url + "/v1/checkout/sessions/cs_x", timeout=5)
    assert (answer.status_code, answer.json()["error"]["type"]) == (401, "invalid_request_error")
    answer.close()


def test_an_open_session_expires_once(stp):
    made = stp.client.v1.checkout.sessions.create(params=SESSION_PARAMS)
    expired = stp.client.v1.checkout.sessions.expire(made.id)
    assert (expired.id, expired.status, expired.url) == (made.id, "expired", None)
    with pytest.raises(stripe.InvalidRequestError):
        stp.client.v1.checkout.sessions.expire(made.id)
    with pytest.raises(ValueError):
        stp.fake.complete(made.id)
    other = stp.client.v1.checkout.sessions.create(params=SESSION_PARAMS)
    assert stp.fake.expire(other.id)["status"] == "expired"


def test_refunds_up_to_what_was_paid(stp):
    intent = stp.fake.complete(stp.client.v1.checkout.sessions.create(params=SESSION_PARAMS).id)["payment_intent"]
    part = stp.client.v1.refunds.create(params={"payment_intent": intent, "amount": 1_000,
                                                "metadata": {"refund_id": "3"}})
    assert part.id.startswith("re_")
    assert (part.object, part.amount, part.currency, part.payment_intent, part.status) == (
        "refund", 1_000, "inr", intent, "succeeded")
    assert part.metadata.to_dict() == {"refund_id": "3"}
    with pytest.raises(stripe.InvalidRequestError) as too_much:
        stp.client.v1.refunds.create(params={"payment_intent": intent, "amount": 100_001})
    assert too_much.value.code == "amount_too_large"
    assert stp.client.v1.refunds.create(params={"payment_intent": intent}).amount == 100_000
    with pytest.raises(stripe.InvalidRequestError) as again:
        stp.client.v1.refunds.create(params={"payment_intent": intent, "amount": 1})
    assert again.value.code == "charge_already_refunded"
    with pytest.raises(stripe.InvalidRequestError, match="No such payment_intent"):
        stp.client.v1.refunds.create(params={"payment_intent": "pi_unknown"})


def test_an_idempotency_key_replays_the_first_answer(stp):
    options: stripe.RequestOptions = {"idempotency_key": "haat-checkout-7"}
    first = stp.client.v1.checkout.sessions.create(params=SESSION_PARAMS, options=options)
    second = stp.client.v1.checkout.sessions.create(params=SESSION_PARAMS, options=options)
    assert second.id == first.id
    with pytest.raises(stripe.IdempotencyError):
        stp.client.v1.checkout.sessions.create(params={**SESSION_PARAMS, "client_reference_id": "8"}, options=options)
    assert stp.client.v1.checkout.sessions.create(params=SESSION_PARAMS).id != first.id


def test_events_are_signed_as_stripe_signs_them(stp):
    session = stp.fake.complete(stp.client.v1.checkout.sessions.create(params=SESSION_PARAMS).id)
    payload, header = stp.fake.event("checkout.session.completed", session)
    assert re.fullmatch(r"t=\d+,v1=[0-9a-f]{64}", header)
    event = stripe.Webhook.construct_event(payload, header, STRIPE_WEBHOOK_SECRET)
    assert (event.type, event.object, event.livemode, event.api_version) == (
        "checkout.session.completed", "event", False, stripe.api_version)
    assert event.id.startswith("evt_")
    assert (event.data.object.id, event.data.object.payment_status) == (session["id"], "paid")

    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(payload.replace('"paid"', '"unpaid"'), header, STRIPE_WEBHOOK_SECRET)
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(payload, header, "whsec_other")
    old_payload, old_header = stp.fake.event("checkout.session.completed", session, timestamp=int(time.time()) - 3600)
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(old_payload, old_header, STRIPE_WEBHOOK_SECRET)
