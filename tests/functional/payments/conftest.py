"""Payments against the real razorpay and stripe SDKs, talking HTTP to local fakes on 127.0.0.1."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
import sqlalchemy as sa

from orders.models import Checkout, Order
from payments.fakes.razorpay import FakeRazorpay, MemoryStore
from payments.models import Payment
from tests.conftest import login, reload
from tests.factories import gen_product
from tests.fakes.server import serve
from tests.fakes.stripe_server import FakeStripe

KEY_ID, KEY_SECRET, WEBHOOK_SECRET = "rzp_test_local00000000", "local-key-secret", "local-webhook-secret"
STRIPE_KEY, STRIPE_WEBHOOK_SECRET = "sk_test_local", "whsec_local"


@pytest.fixture
def razorpay():
    fake = FakeRazorpay(KEY_ID, KEY_SECRET, WEBHOOK_SECRET, store=MemoryStore())
    with serve(fake) as served:
        fake.url = served.url
        yield fake


@pytest.fixture
def stripe_fake():
    fake = FakeStripe(STRIPE_KEY, STRIPE_WEBHOOK_SECRET)
    with serve(fake) as served:
        fake.url = served.url
        yield fake


@pytest.fixture
def pay_app(app, razorpay, stripe_fake):
    """The app with Razorpay (and Stripe) keys, its SDKs pointed at the local fakes (gateways read these settings
    when first used, so the shared app takes them; they are reset for the next test)."""
    app.config.update(PAYMENT_GATEWAY="razorpay", RAZORPAY_KEY_ID=KEY_ID, RAZORPAY_KEY_SECRET=KEY_SECRET,
                      RAZORPAY_WEBHOOK_SECRET=WEBHOOK_SECRET, RAZORPAY_BASE_URL=razorpay.url,
                      STRIPE_SECRET_KEY=STRIPE_KEY, STRIPE_WEBHOOK_SECRET=STRIPE_WEBHOOK_SECRET,
                      STRIPE_API_BASE=stripe_fake.url)
    return app


@pytest.fixture
def client(pay_app):
    return pay_app.test_client()


@pytest.fixture
def goods(world, session):
    kurti = gen_product(session, world.shop_a, title="Indigo kurti", price_paise=45_000, stock=5)
    podi = gen_product(session, world.shop_b, title="Idli podi", category_slug="spices", price_paise=11_000, stock=9)
    session.commit()
    return kurti, podi


@dataclass
class Placed:
    checkout: Checkout
    payment: Payment | None
    orders: list[Order]


def checkout(client, session, world, goods, pay_with: str = "upi", both: bool = True) -> Placed:
    """The buyer orders a kurti from shop A (and podi from shop B) and chooses how to pay."""
    login(client, world.buyer.email)
    client.post("/cart/add", data={"variant": goods[0].variants[0].id, "quantity": 2})
    if both:
        client.post("/cart/add", data={"variant": goods[1].variants[0].id, "quantity": 1})
    page = client.get("/checkout").text
    data = {"key": re.search(r'name="key" type="hidden" value="([^"]+)"', page).group(1),
            "expected_total": re.search(r'name="expected_total" type="hidden" value="(\d+)"', page).group(1),
            "place": "1", "pay_with": pay_with, f"delivery-{world.shop_a.id}": "pickup",
            f"delivery-{world.shop_b.id}": "pickup"}
    response = client.post("/checkout", data=data)
    assert response.status_code == 302, response.text
    reload(session)
    made = session.scalars(sa.select(Checkout).order_by(Checkout.id.desc())).first()
    payment = session.scalar(sa.select(Payment).where(Payment.checkout_id == made.id, Payment.order_id.is_(None)))
    return Placed(made, payment, list(made.orders))


def open_payment(client, session, placed: Placed) -> str:
    """The buyer opens the payment page: the gateway's order is made. Returns its id."""
    page = client.get(f"/payments/pay/{placed.checkout.id}")
    assert page.status_code == 200, page.text
    reload(session)
    return session.get(Payment, placed.payment.id).gateway_order_id


def deliver(client, hook, body: str | None = None, signature: str | None = None):
    """Post a webhook as Razorpay does (optionally with a changed body or signature)."""
    headers = dict(hook.headers)
    if signature is not None:
        headers["X-Razorpay-Signature"] = signature
    return client.post("/payments/webhooks/razorpay", data=(body if body is not None else hook.body).encode(),
                       headers=headers)
