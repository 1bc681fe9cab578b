"""One error model over HTTP, at the payments: a gateway that cannot be reached is a 503 "try again in a minute"
in her language; what a person can fix is said in her words (the amount a refund may reach)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from market.core.ledger import LedgerEntry
from orders.models import Order
from payments.fakes.razorpay import FakeRazorpay, MemoryStore
from payments.models import Payment, Refund
from tests.conftest import login, reload
from tests.fakes.server import serve
from tests.faults import free_port
from tests.functional.payments.conftest import KEY_ID, KEY_SECRET, WEBHOOK_SECRET, checkout, open_payment

HINDI_503 = "अभी पेमेंट सेवा से जुड़ नहीं पा रहे। एक मिनट बाद फिर से कोशिश करें।"


def razorpay_app(make_app, url: str):
    return make_app(PAYMENT_GATEWAY="razorpay", RAZORPAY_KEY_ID=KEY_ID, RAZORPAY_KEY_SECRET=KEY_SECRET,
                    RAZORPAY_WEBHOOK_SECRET=WEBHOOK_SECRET, RAZORPAY_BASE_URL=url)


def test_the_pay_page_with_the_gateway_unreachable_is_a_503_in_her_language(make_app, session, world, goods,
                                                                            caplog):
    world.buyer.locale = "hi"
    session.commit()
    client = razorpay_app(make_app, f"http://127.0.0.1:{free_port()}").test_client()  # nobody listens there
    placed = checkout(client, session, world, goods)
    page = client.get(f"/payments/pay/{placed.checkout.id}")
    assert page.status_code == 503
    assert page.headers["Retry-After"] == "60"
    assert HINDI_503 in page.text and 'lang="hi"' in page.text
    assert f'href="/payments/pay/{placed.checkout.id}"' in page.text  # the same page again, to try once more
    assert any(r.levelname == "WARNING" and "GatewayUnavailable" in r.getMessage() for r in caplog.records)
    reload(session)
    payment = session.get(Payment, placed.payment.id)
    assert payment.status == "created" and payment.gateway_order_id is None  # nothing half kept; she can retry
    assert [o.status for o in placed.orders] == ["placed", "placed"]


@pytest.fixture
def stoppable_razorpay():
    """A local Razorpay that the test can stop (the gateway going down)."""
    fake = FakeRazorpay(KEY_ID, KEY_SECRET, WEBHOOK_SECRET, store=MemoryStore())
    served = serve(fake)
    fake.url, fake.served = served.url, served
    yield fake
    if served.thread.is_alive():
        served.close()


def test_cancelling_a_paid_order_while_the_gateway_is_down_is_a_503_and_changes_nothing(
        make_app, session, world, goods, stoppable_razorpay):
    client = razorpay_app(make_app, stoppable_razorpay.url).test_client()
    placed = checkout(client, session, world, goods)
    client.post(f"/payments/{placed.payment.id}/callback",
                data=stoppable_razorpay.pay(open_payment(client, session, placed)))
    reload(session)
    assert session.get(Payment, placed.payment.id).status == "captured"
    entries = session.scalar(sa.select(sa.func.count()).select_from(LedgerEntry))
    stoppable_razorpay.served.close()
    order_a = next(o for o in placed.orders if o.business_id == world.shop_a.id)
    page = client.post(f"/orders/{order_a.id}/status", data={"to": "cancelled"})
    assert page.status_code == 503 and "Payments cannot be reached just now. Try again in a minute." in page.text
    reload(session)
    assert session.get(Order, order_a.id).status == "placed"  # not cancelled without her money on its way
    assert session.scalar(sa.select(sa.func.count()).select_from(Refund)) == 0
    assert session.scalar(sa.select(sa.func.count()).select_from(LedgerEntry)) == entries


def test_a_refund_over_what_is_left_says_how_much_is_left(make_app, session, world, goods, stoppable_razorpay):
    client = razorpay_app(make_app, stoppable_razorpay.url).test_client()
    placed = checkout(client, session, world, goods)
    client.post(f"/payments/{placed.payment.id}/callback",
                data=stoppable_razorpay.pay(open_payment(client, session, placed)))
    order_a = next(o for o in placed.orders if o.business_id == world.shop_a.id)
    client.post("/auth/logout")
    login(client, world.member_a.user.phone)
    client.post(f"/orders/{order_a.id}/refund", data={"amount": "100"})
    page = client.post(f"/orders/{order_a.id}/refund", data={"amount": "850"}, follow_redirects=True)
    assert "You can refund up to ₹800.00 for this order." in page.text
    reload(session)
    assert session.get(Payment, placed.payment.id).refunded_paise == 10_000
