"""A gateway call is never made inside a database transaction (issue 16 item 5): the refund or transfer is written
down pending and committed; the gateway is asked after, and the worker (`payments work`) sends what is still
waiting. The person always gets her answer, whatever the gateway is doing."""

from __future__ import annotations

import re
import socket

import razorpay as sdk
import sqlalchemy as sa

from market.core import ledger
from orders.models import Checkout, Order
from payments.models import Payment, Refund
from tests.conftest import login, reload
from tests.factories import gen_product
from tests.functional.payments.conftest import KEY_ID, KEY_SECRET, WEBHOOK_SECRET, checkout
from tests.functional.payments.test_razorpay import paid


def closed_port_url() -> str:
    """An address on 127.0.0.1 where nothing listens: every call is refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}"


def work(app, *options: str):
    with app.app_context():
        return app.test_cli_runner().invoke(args=["payments", "work", "--once", *options])


def refunds_at_gateway(razorpay, session, payment_id: int) -> list[dict]:
    gateway_payment_id = session.get(Payment, payment_id).gateway_payment_id
    return sdk.Client(auth=(KEY_ID, KEY_SECRET), base_url=razorpay.url).payment.fetch_multiple_refund(
        gateway_payment_id, {})["items"]


def test_cancelling_a_paid_order_while_the_gateway_is_down_cancels_and_the_worker_refunds_once(
        make_app, pay_app, client, session, world, goods, razorpay):
    placed = paid(client, session, world, goods, razorpay)
    order_a = next(o for o in placed.orders if o.business_id == world.shop_a.id)
    down = make_app(PAYMENT_GATEWAY="razorpay", RAZORPAY_KEY_ID=KEY_ID, RAZORPAY_KEY_SECRET=KEY_SECRET,
                    RAZORPAY_WEBHOOK_SECRET=WEBHOOK_SECRET, RAZORPAY_BASE_URL=closed_port_url())
    buyer = down.test_client()
    login(buyer, world.buyer.email)
    response = buyer.post(f"/orders/{order_a.id}/status", data={"to": "cancelled"})
    assert response.status_code == 302  # not a 500: she could cancel
    page = buyer.get(response.headers["Location"]).text
    assert "The refund is on its way." in page
    reload(session)
    assert session.get(Order, order_a.id).status == "refunded"
    refund = session.scalar(sa.select(Refund))
    assert refund.status == "pending" and refund.gateway_refund_id is None and refund.amount_paise == 90_000
    assert refunds_at_gateway(razorpay, session, placed.payment.id) == []
    assert "1 waiting" in work(down).output  # still down: it waits, nothing lost
    assert "Nothing waiting" in work(pay_app).output  # the gateway is back: sent
    assert "Nothing waiting" in work(pay_app).output  # and never again
    sent = refunds_at_gateway(razorpay, session, placed.payment.id)
    assert [(r["amount"], r["notes"]["haat_refund"]) for r in sent] == [(90_000, str(refund.id))]
    reload(session)
    refund = session.get(Refund, refund.id)
    assert refund.status == "processed" and refund.gateway_refund_id == sent[0]["id"]
    assert session.get(Payment, placed.payment.id).refunded_paise == 90_000
    assert ledger.balance(session, ledger.payable(world.shop_a.id)) == 0


def test_a_refund_sent_before_a_crash_is_adopted_not_sent_again(pay_app, client, session, world, goods, razorpay):
    placed = paid(client, session, world, goods, razorpay)
    order_a = next(o for o in placed.orders if o.business_id == world.shop_a.id)
    client.post(f"/orders/{order_a.id}/status", data={"to": "cancelled"})
    reload(session)
    refund = session.scalar(sa.select(Refund))
    assert refund.status == "processed"  # sent after the request's commit, the gateway up
    # As if the answer had been lost: the row pending again, the refund made at the gateway.
    session.execute(sa.update(Refund).values(status="pending", gateway_refund_id=None, processed_at=None))
    session.commit()
    work(pay_app)
    assert len(refunds_at_gateway(razorpay, session, placed.payment.id)) == 1


def test_a_payment_below_one_rupee_is_refused_at_checkout_not_at_the_gateway(client, session, world):
    tiny = gen_product(session, world.shop_a, title="Bindi", price_paise=2, stock=5)
    session.commit()
    login(client, world.buyer.email)
    client.post("/cart/add", data={"variant": tiny.variants[0].id, "quantity": 1})
    page = client.get("/checkout").text
    data = {"key": re.search(r'name="key" type="hidden" value="([^"]+)"', page).group(1),
            "expected_total": re.search(r'name="expected_total" type="hidden" value="(\d+)"', page).group(1),
            "place": "1", "pay_with": "upi", f"delivery-{world.shop_a.id}": "pickup"}
    answer = client.post("/checkout", data=data, follow_redirects=True)
    assert answer.status_code == 200 and "Online payments start at ₹1" in answer.text
    reload(session)
    assert session.scalar(sa.select(sa.func.count()).select_from(Checkout)) == 0
    data["pay_with"] = "cash"
    assert client.post("/checkout", data=data).status_code == 302  # in cash it is fine


def test_the_gateways_refusal_is_shown_with_its_reason(client, session, world, goods, razorpay):
    placed = checkout(client, session, world, goods)
    # A payment made before checkout refused such amounts: the gateway says no, and why.
    session.execute(sa.update(Payment).where(Payment.id == placed.payment.id).values(amount_paise=2))
    session.commit()
    page = client.get(f"/payments/pay/{placed.checkout.id}").text
    assert "must be atleast INR 1.00" in page and "cannot be reached" not in page
    reload(session)
    assert session.get(Payment, placed.payment.id).gateway_order_id is None
