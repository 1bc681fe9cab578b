"""Payment gateways behind one small interface: Razorpay (UPI), the demo gateway (a local Razorpay), Stripe.

Every call goes through the official SDKs. The demo gateway is `payments.fakes.razorpay` reached through the
razorpay SDK itself (an in-process transport instead of HTTPS), so `make run` takes payments with no keys and
every signature is made and checked exactly as with Razorpay.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import razorpay
import requests
import stripe
from flask import Flask, current_app
from flask_babel import lazy_gettext as _l
from razorpay.errors import BadRequestError, GatewayError, ServerError, SignatureVerificationError
from stripe.params.checkout import SessionCreateParams

from market.core.errors import Unavailable
from market.core.fakes.local import InProcess
from payments.fakes.razorpay import FakeRazorpay, FileStore

TIMEOUT = 15  # seconds for a call to a gateway


class GatewayUnavailable(Unavailable):
    """The gateway could not be reached or refused the call; nothing was recorded here."""

    notice = _l("Payments cannot be reached just now. Try again in a minute.")


class GatewayRefused(GatewayUnavailable):
    """The gateway answered, and said no (a 4xx: an amount below its minimum, a refund larger than what is left):
    trying again will not help; its reason is shown (`reason`). A GatewayUnavailable for handlers that only know
    that the call did not happen."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


SDK_ERRORS = (BadRequestError, GatewayError, ServerError, requests.RequestException, stripe.StripeError)
REFUSALS = (BadRequestError, stripe.InvalidRequestError, stripe.CardError)  # the gateway's 4xx answers


@dataclass(frozen=True)
class Settings:
    """What a Razorpay-like gateway needs."""

    name: str  # razorpay or demo
    key_id: str
    key_secret: str
    webhook_secret: str


def _comparable(signature: str) -> bool:
    """Whether a signature can be compared at all: the SDKs' compare_digest raises TypeError on non-ASCII text
    (signatures are hex)."""
    return signature.isascii()


class RazorpayGateway:
    """UPI (and the rest of Razorpay Checkout) through the razorpay SDK. Amounts are paise."""

    def __init__(self, settings: Settings, client: razorpay.Client):
        self.settings = settings
        self.name = settings.name
        self.client = client

    def _call(self, fn, *args):
        try:
            return fn(*args, timeout=TIMEOUT)
        except REFUSALS as exc:
            raise GatewayRefused(str(exc)) from exc
        except SDK_ERRORS as exc:
            raise GatewayUnavailable(str(exc)) from exc

    def create_order(self, amount_paise: int, receipt: str, notes: dict[str, str]) -> str:
        order = self._call(self.client.order.create, {"amount": amount_paise, "currency": "INR",
                                                      "receipt": receipt, "notes": notes})
        return order["id"]

    def verify_payment(self, order_id: str, payment_id: str, signature: str) -> bool:
        """The callback's signature: HMAC-SHA256 of "order_id|payment_id" with the key secret."""
        if not _comparable(signature):
            return False
        try:
            return bool(self.client.utility.verify_payment_signature({
                "razorpay_order_id": order_id, "razorpay_payment_id": payment_id, "razorpay_signature": signature}))
        except SignatureVerificationError:
            return False

    def verify_webhook(self, body: str, signature: str) -> bool:
        """The webhook's signature: HMAC-SHA256 of the raw body with the webhook secret."""
        if not _comparable(signature):
            return False
        try:
            return bool(self.client.utility.verify_webhook_signature(body, signature, self.settings.webhook_secret))
        except SignatureVerificationError:
            return False

    def fetch_payment(self, payment_id: str) -> dict:
        return self._call(self.client.payment.fetch, payment_id)

    def order_payments(self, order_id: str) -> list[dict]:
        return self._call(self.client.order.payments, order_id)["items"]

    def capture(self, payment_id: str, amount_paise: int) -> dict:
        return self._call(self.client.payment.capture, payment_id, amount_paise, {"currency": "INR"})

    def refund(self, payment_id: str, amount_paise: int, notes: dict[str, str]) -> dict:
        return self._call(self.client.payment.refund, payment_id,
                          {"amount": amount_paise, "notes": notes, "speed": "normal"})

    def refunds(self, payment_id: str) -> list[dict]:
        return self._call(self.client.payment.fetch_multiple_refund, payment_id, {})["items"]

    def transfers(self, payment_id: str) -> list[dict]:
        return self._call(self.client.payment.transfers, payment_id, {})["items"]

    def transfer(self, payment_id: str, account: str, amount_paise: int, notes: dict[str, str]) -> dict:
        made = self._call(self.client.payment.transfer, payment_id, {"transfers": [
            {"account": account, "amount": amount_paise, "currency": "INR", "notes": notes, "on_hold": False}]})
        return made["items"][0]

    def checkout_options(self, gateway_order_id: str, amount_paise: int, description: str, callback_url: str) -> dict:
        """Razorpay Checkout's options: UPI first (intent on phones, QR on desktop; never collect)."""
        return {"key": self.settings.key_id, "amount": amount_paise, "currency": "INR", "name": "Haat",
                "description": description, "order_id": gateway_order_id, "callback_url": callback_url,
                "redirect": True}


class DemoGateway(RazorpayGateway):
    """A local Razorpay for the embedded default: same SDK calls, same signatures, no money."""

    def __init__(self, settings: Settings, store_path: Path):
        self.fake = FakeRazorpay(settings.key_id, settings.key_secret, settings.webhook_secret,
                                 store=FileStore(store_path))
        session = requests.Session()
        session.mount("http://razorpay.demo/", InProcess(self.fake))
        super().__init__(settings, razorpay.Client(session=session, auth=(settings.key_id, settings.key_secret),
                                                   base_url="http://razorpay.demo"))




class StripeGateway:
    """Cards for buyers abroad: Stripe Checkout (hosted: no card data ever reaches Haat)."""

    name = "stripe"

    def __init__(self, secret_key: str, webhook_secret: str, api_base: str | None = None):
        self.webhook_secret = webhook_secret
        self.client = stripe.StripeClient(secret_key, max_network_retries=2,
                                          base_addresses={"api": api_base} if api_base else {})

    def create_session(self, amount_paise: int, description: str, reference: str, success_url: str,
                       cancel_url: str, email: str | None) -> dict:
        params: SessionCreateParams = {
            "mode": "payment", "client_reference_id": reference, "metadata": {"checkout": reference},
            "success_url": success_url, "cancel_url": cancel_url,
            "line_items": [{"quantity": 1, "price_data": {"currency": "inr", "unit_amount": amount_paise,
                                                          "product_data": {"name": description}}}]}
        if email:
            params["customer_email"] = email
        try:
            made = self.client.v1.checkout.sessions.create(params=params,
                                                          options={"idempotency_key": f"haat-checkout-{reference}"})
        except REFUSALS as exc:
            raise GatewayRefused(getattr(exc, "user_message", None) or str(exc)) from exc
        except stripe.StripeError as exc:
            raise GatewayUnavailable(str(exc)) from exc
        return {"id": made.id, "url": made.url}

    def retrieve_session(self, session_id: str) -> dict:
        try:
            return self.client.v1.checkout.sessions.retrieve(session_id).to_dict()
        except REFUSALS as exc:
            raise GatewayRefused(getattr(exc, "user_message", None) or str(exc)) from exc
        except stripe.StripeError as exc:
            raise GatewayUnavailable(str(exc)) from exc

    def construct_event(self, body: str, signature: str) -> dict | None:
        """The verified event, or None if the signature (or its timestamp) is wrong."""
        if not _comparable(signature):
            return None
        try:
            return stripe.Webhook.construct_event(body, signature, self.webhook_secret).to_dict()
        except (ValueError, stripe.SignatureVerificationError):
            return None

    def refund(self, payment_intent: str, amount_paise: int, key: str) -> dict:
        try:
            made = self.client.v1.refunds.create(params={"payment_intent": payment_intent, "amount": amount_paise},
                                                 options={"idempotency_key": key})
        except REFUSALS as exc:
            raise GatewayRefused(getattr(exc, "user_message", None) or str(exc)) from exc
        except stripe.StripeError as exc:
            raise GatewayUnavailable(str(exc)) from exc
        return made.to_dict()


DEMO_KEYS = Settings("demo", "rzp_test_demo000000000", "demo-key-secret", "demo-webhook-secret")


def init_app(app: Flask) -> None:
    """Gateways are built on first use (config.load has checked their settings)."""
    app.extensions["haat.gateways"] = {}


def upi() -> RazorpayGateway:
    """The configured Razorpay-like gateway (Razorpay itself, or the demo)."""
    built = current_app.extensions["haat.gateways"]
    if "upi" not in built:
        config = current_app.config
        if config["PAYMENT_GATEWAY"] == "demo":
            store = Path(config["DEMO_GATEWAY_STORE"] or Path(current_app.instance_path) / "demo-razorpay.json")
            built["upi"] = DemoGateway(DEMO_KEYS, store)
        else:
            settings = Settings("razorpay", config["RAZORPAY_KEY_ID"], config["RAZORPAY_KEY_SECRET"],
                                config["RAZORPAY_WEBHOOK_SECRET"])
            options = {"base_url": config["RAZORPAY_BASE_URL"]} if config["RAZORPAY_BASE_URL"] else {}
            built["upi"] = RazorpayGateway(settings, razorpay.Client(auth=(settings.key_id, settings.key_secret),
                                                                     **options))
    return built["upi"]


def card() -> StripeGateway | None:
    """Stripe, when its keys are set (cards for buyers abroad); None otherwise."""
    config = current_app.config
    if not (config["STRIPE_SECRET_KEY"] and config["STRIPE_WEBHOOK_SECRET"]):
        return None
    built = current_app.extensions["haat.gateways"]
    if "card" not in built:
        built["card"] = StripeGateway(config["STRIPE_SECRET_KEY"], config["STRIPE_WEBHOOK_SECRET"],
                                      config["STRIPE_API_BASE"])
    return built["card"]
