"""Cash on delivery, Stripe Checkout for buyers abroad, and the demo gateway end to end."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from market.core import ledger
from orders.models import Order
from payments import outbox
from payments.models import Payment, Refund, WebhookEvent
from tests.conftest import PATIENCE, login, reload
from tests.functional.payments.conftest import checkout


def test_cash_on_delivery_is_recorded_by_the_seller(client, session, world, goods):
    placed = checkout(client, session, world, goods, pay_with="cash")
    assert placed.payment is None
    cash = session.scalars(sa.select(Payment).where(Payment.checkout_id == placed.checkout.id)).all()
    assert sorted((p.gateway, p.amount_paise) for p in cash) == [("cash", 11_000), ("cash", 90_000)]
    order_a = next(o for o in placed.orders if o.business_id == world.shop_a.id)
    client.post("/auth/logout")
    login(client, world.member_a.user.phone)
    screen = client.get("/seller/orders").text
    assert order_a.number in screen and "Cash at pickup" in screen  # to be paid when collected
    for step in ("confirmed", "packed", "ready_for_pickup"):
        client.post(f"/orders/{order_a.id}/status", data={"to": step})
        assert "in cash" not in client.get(f"/orders/{order_a.id}").text  # not before it is handed over
    client.post(f"/orders/{order_a.id}/status", data={"to": "collected"})
    page = client.get(f"/orders/{order_a.id}").text
    assert "in cash" in page and "Cash to collect" in page
    client.post(f"/orders/{order_a.id}/cash-received")
    again = client.post(f"/orders/{order_a.id}/cash-received", follow_redirects=True).text
    assert "recorded already" in again
    reload(session)
    assert ledger.balance(session, ledger.cash(world.shop_a.id)) == 90_000
    assert ledger.balance(session, ledger.cash_sales(world.shop_a.id)) == -90_000
    client.post("/auth/logout")
    login(client, world.member_b.user.phone)  # not her order
    assert client.post(f"/orders/{order_a.id}/cash-received").status_code == 404


def test_a_cancelled_cash_order_takes_nothing(client, session, world, goods):
    placed = checkout(client, session, world, goods, pay_with="cash", both=False)
    order = placed.orders[0]
    client.post(f"/orders/{order.id}/status", data={"to": "cancelled"})
    reload(session)
    assert session.get(Order, order.id).status == "cancelled"
    assert session.scalar(sa.select(Payment.status).where(Payment.order_id == order.id)) == "expired"
    assert session.scalar(sa.select(sa.func.count()).select_from(ledger.LedgerEntry)) == 0


def test_paying_by_card_through_stripe_checkout(client, session, world, goods, stripe_fake):
    placed = checkout(client, session, world, goods, pay_with="card")
    assert placed.payment.gateway == "stripe"
    page = client.get(f"/payments/pay/{placed.checkout.id}").text
    url = re.search(r'href="(https://checkout\.stripe\.com/[^"]+)"', page).group(1)
    reload(session)
    session_id = session.get(Payment, placed.payment.id).gateway_order_id
    assert session_id in url
    completed = stripe_fake.complete(session_id)
    payload, signature = stripe_fake.event("checkout.session.completed", completed)
    forged = client.post("/payments/webhooks/stripe", data=payload.replace("101000", "1"),
                         headers={"Stripe-Signature": signature, "Content-Type": "application/json"})
    assert forged.status_code == 400
    for _ in range(3):
        answer = client.post("/payments/webhooks/stripe", data=payload,
                             headers={"Stripe-Signature": signature, "Content-Type": "application/json"})
        assert answer.status_code == 200
    reload(session)
    payment = session.get(Payment, placed.payment.id)
    assert payment.status == "captured" and payment.gateway_payment_id == completed["payment_intent"]
    assert ledger.balance(session, "gateway:stripe") == 101_000
    assert session.scalar(sa.select(sa.func.count()).select_from(WebhookEvent)) == 1
    order_b = next(o for o in placed.orders if o.business_id == world.shop_b.id)
    client.post(f"/orders/{order_b.id}/status", data={"to": "cancelled"})  # refunded through Stripe
    reload(session)
    assert session.get(Payment, placed.payment.id).refunded_paise == 11_000
    assert ledger.balance(session, "gateway:stripe") == 90_000


@pytest.mark.parametrize("obj", [[], "cs_x", {"id": 5, "payment_status": "paid"},
                                 {"id": "cs_x", "payment_status": "paid", "payment_intent": None}])
def test_a_signed_stripe_event_of_an_unexpected_shape_is_refused_and_changes_nothing(client, session, world, goods,
                                                                                      stripe_fake, obj):
    checkout(client, session, world, goods, pay_with="card")
    payload, signature = stripe_fake.event("checkout.session.completed", obj)
    answer = client.post("/payments/webhooks/stripe", data=payload,
                         headers={"Stripe-Signature": signature, "Content-Type": "application/json"})
    assert answer.status_code == 400 and answer.json["outcome"].startswith("unreadable")
    assert session.scalar(sa.select(sa.func.count()).select_from(WebhookEvent)) == 0
    assert session.scalar(sa.select(sa.func.count()).select_from(ledger.LedgerEntry)) == 0


def test_a_signed_stripe_event_we_do_not_use_is_answered_200_whatever_its_object(client, stripe_fake):
    payload, signature = stripe_fake.event("balance.available", {"object": "balance", "available": []})
    answer = client.post("/payments/webhooks/stripe", data=payload,
                         headers={"Stripe-Signature": signature, "Content-Type": "application/json"})
    assert answer.status_code == 200 and answer.json["outcome"] == "ignored"


def test_coming_back_from_stripe_asks_stripe_not_the_browser(client, session, world, goods, stripe_fake):
    placed = checkout(client, session, world, goods, pay_with="card")
    client.get(f"/payments/pay/{placed.checkout.id}")
    client.get(f"/payments/{placed.payment.id}/stripe-done")  # not paid yet: nothing changes
    reload(session)
    assert session.get(Payment, placed.payment.id).status == "created"
    stripe_fake.complete(session.get(Payment, placed.payment.id).gateway_order_id)
    client.get(f"/payments/{placed.payment.id}/stripe-done")
    reload(session)
    assert session.get(Payment, placed.payment.id).status == "captured"


def test_coming_back_from_stripe_after_cards_were_switched_off_is_confirmed_later_not_an_error(
        app, client, session, world, goods, stripe_fake):
    placed = checkout(client, session, world, goods, pay_with="card")
    client.get(f"/payments/pay/{placed.checkout.id}")
    app.config.update(STRIPE_SECRET_KEY="", STRIPE_WEBHOOK_SECRET="")  # no card gateway any more
    answer = client.get(f"/payments/{placed.payment.id}/stripe-done", follow_redirects=True)
    assert answer.status_code == 200 and "being confirmed" in answer.text
    reload(session)
    assert session.get(Payment, placed.payment.id).status == "created"


def test_card_is_not_offered_without_stripe_keys(make_app, session, world, goods):
    client = make_app(DEMO_GATEWAY_STORE=None).test_client()
    login(client, world.buyer.email)
    client.post("/cart/add", data={"variant": goods[0].variants[0].id, "quantity": 1})
    page = client.get("/checkout").text
    assert 'value="upi"' in page and 'value="cash"' in page and 'value="card"' not in page


@pytest.fixture
def demo_client(make_app, tmp_path):
    return make_app(DEMO_GATEWAY_STORE=str(tmp_path / "demo-razorpay.json")).test_client()


def test_the_demo_gateway_takes_a_payment_end_to_end(demo_client, session, world, goods):
    client = demo_client
    placed = checkout(client, session, world, goods)
    assert placed.payment.gateway == "demo"
    page = client.get(f"/payments/pay/{placed.checkout.id}").text
    fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', page))
    demo = client.post("/payments/demo/checkout", data=fields).text
    assert "No money moves" in demo
    numbers = ", ".join(o.number for o in placed.checkout.orders)  # as her order pages name them: H-000003
    assert re.fullmatch(r"H-\d{6}(, H-\d{6})*", numbers)
    assert f"Haat order{'s' if len(placed.checkout.orders) > 1 else ''} {numbers}</p>" in demo
    answer = client.post("/payments/demo/pay", data={"order_id": fields["order_id"], "outcome": "pay",
                                                     "callback_url": fields["callback_url"]}).text
    back = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', answer))
    back.pop("csrf_token", None)  # the language chooser's, in the page's header
    assert set(back) == {"razorpay_payment_id", "razorpay_order_id", "razorpay_signature"}
    action = re.search(r'<form method="post" action="([^"]+)"', answer).group(1)
    client.post(action, data=back)
    reload(session)
    payment = session.get(Payment, placed.payment.id)
    assert payment.status == "captured"
    assert session.scalar(sa.select(sa.func.count()).select_from(WebhookEvent)) >= 3  # the demo's webhooks too
    assert sorted(e.kind for e in session.scalars(sa.select(ledger.LedgerEntry))) == ["gateway_fee", "payment"]


def test_the_demo_pages_refuse_a_callback_to_another_site(demo_client, session, world, goods):
    outside = {"order_id": "order_x", "amount": "100", "callback_url": "https://evil.example/x"}
    assert demo_client.post("/payments/demo/checkout", data=outside).status_code == 400
    assert demo_client.post("/payments/demo/pay", data={"order_id": "order_x", "outcome": "pay",
                                                        "callback_url": "//evil.example/x"}).status_code == 400


def stall_form(client) -> dict:
    page = client.get("/seller/sales").text
    return {"client_id": re.search(r'name="client_id" type="hidden" value="([^"]+)"', page).group(1)}


def test_a_stall_sale_counts_as_her_income_once(client, session, world, goods):
    login(client, world.member_a.user.phone)
    assert "No stall sales recorded yet" in client.get("/seller/sales").text
    data = {**stall_form(client), "business": world.shop_a.id, "amount": "450", "method": "cash",
            "variant": goods[0].variants[0].id, "quantity": "1", "note": "Sunday haat"}
    first = client.post("/seller/sales", data=data)
    second = client.post("/seller/sales", data=data)  # the same form sent twice
    assert first.status_code == second.status_code == 302
    reload(session)
    assert ledger.balance(session, ledger.cash_sales(world.shop_a.id)) == -45_000
    assert session.get(goods[0].variants[0].__class__, goods[0].variants[0].id).stock == 4
    page = client.get("/seller/sales").text
    assert "₹450.00" in page and "Sunday haat" in page


def test_the_stall_sale_form_finds_the_product_first_and_knows_its_price(client, session, world, goods):
    login(client, world.member_a.user.phone)
    page = client.get("/seller/sales").text
    variant = goods[0].variants[0]
    option = rf'<option data-price="{variant.price_paise}" value="{variant.id}">[^<]* · ₹[\d,.]+</option>'
    assert re.search(option, page)
    assert page.index('id="product-search"') < page.index('id="variant"') < page.index('id="amount"')
    assert 'src="/static/js/stall-sale.js' in page


@pytest.mark.parametrize(("change", "message"), [
    ({"amount": ""}, "Write the amount"),
    ({"amount": "lots"}, "in numbers"),
    ({"amount": "0"}, "between ₹1 and ₹1,00,000"),
    ({"amount": "100001"}, "between ₹1 and ₹1,00,000"),
    ({"quantity": ""}, "how many you sold"),
    ({"quantity": "99"}, "fewer than that in stock"),
])
def test_a_wrong_stall_sale_is_explained_and_changes_nothing(client, session, world, goods, change, message):
    login(client, world.member_a.user.phone)
    data = {**stall_form(client), "business": world.shop_a.id, "amount": "450", "method": "cash",
            "variant": goods[0].variants[0].id, "quantity": "1", **change}
    page = client.post("/seller/sales", data=data, follow_redirects=True).text
    assert message in page
    reload(session)
    assert session.scalar(sa.select(sa.func.count()).select_from(ledger.LedgerEntry)) == 0
    assert session.get(goods[0].variants[0].__class__, goods[0].variants[0].id).stock == 5


def test_a_seller_cannot_record_a_sale_for_another_shop_or_its_product(client, session, world, goods):
    login(client, world.member_a.user.phone)
    other_shop = {**stall_form(client), "business": world.shop_b.id, "amount": "10", "method": "cash",
                  "variant": 0}
    assert client.post("/seller/sales", data=other_shop).status_code == 200  # not one of her choices
    other_product = {**stall_form(client), "business": world.shop_a.id, "amount": "10", "method": "cash",
                     "variant": goods[1].variants[0].id, "quantity": "1"}
    client.post("/seller/sales", data=other_product)
    reload(session)
    assert session.scalar(sa.select(sa.func.count()).select_from(ledger.LedgerEntry)) == 0


def cash_order_part_refunded(client, session, world, goods) -> tuple[Order, Payment]:
    """A cash order of Rs 900 at shop A, paid, Rs 50 of it refunded, and two more refunds waiting."""
    placed = checkout(client, session, world, goods, pay_with="cash", both=False)
    order = placed.orders[0]
    client.post("/auth/logout")
    login(client, world.member_a.user.phone)
    client.post(f"/orders/{order.id}/status", data={"to": "confirmed"})
    client.post(f"/orders/{order.id}/cash-received")
    client.post(f"/orders/{order.id}/refund", data={"amount": "50"})
    reload(session)
    payment = session.scalar(sa.select(Payment).where(Payment.order_id == order.id))
    assert (payment.status, payment.refunded_paise) == ("partly_refunded", 5_000)
    session.add_all([Refund(payment_id=payment.id, order_id=order.id, amount_paise=a, reason="test")
                     for a in (10_000, 20_000)])
    session.commit()
    return order, payment


def waiting_refunds(session, order) -> list[Refund]:
    return list(session.scalars(sa.select(Refund).where(Refund.order_id == order.id, Refund.status == "pending")
                                .order_by(Refund.id)))


def test_a_refund_processed_by_a_worker_holding_an_old_copy_of_the_payment_adds_to_the_real_total(
        client, session, world, goods, make_app):
    from market.core import db
    from payments import services

    order, payment = cash_order_part_refunded(client, session, world, goods)
    first, second = waiting_refunds(session, order)
    with make_app().app_context():  # another worker processes the second while this one holds the payment as read
        assert services.refunds.refund_processed(db.session, db.session.get(Refund, second.id), None, "seller")
        db.session.commit()
    assert payment.refunded_paise == 5_000  # this session's copy is old
    assert services.refunds.refund_processed(session, session.get(Refund, first.id), None, "seller")
    session.commit()
    reload(session)
    assert session.get(Payment, payment.id).refunded_paise == 35_000
    assert ledger.balance(session, ledger.cash(world.shop_a.id)) == 90_000 - 35_000


@pytest.mark.postgres_only
@pytest.mark.real_commits
def test_two_refunds_processed_at_the_same_moment_wait_for_each_other(client, session, world, goods, make_app):
    import threading

    from market.core import db
    from payments import services

    order, payment = cash_order_part_refunded(client, session, world, goods)
    first, second = waiting_refunds(session, order)
    app = make_app()

    def other_worker() -> None:
        with app.app_context():
            services.refunds.refund_processed(db.session, db.session.get(Refund, second.id), None, "seller")
            db.session.commit()

    with app.app_context():
        assert services.refunds.refund_processed(db.session, db.session.get(Refund, first.id), None, "seller")
        worker = threading.Thread(target=other_worker)
        worker.start()
        worker.join(1.0)
        assert worker.is_alive()  # waiting for this transaction's lock on the payment
        db.session.commit()
    worker.join(PATIENCE)
    reload(session)
    assert session.get(Payment, payment.id).refunded_paise == 35_000
    assert ledger.balance(session, ledger.cash(world.shop_a.id)) == 90_000 - 35_000


def test_the_buyer_sees_and_hears_of_a_part_refund_and_its_reason_without_contacts(client, session, world, goods):
    from market.core.notifications import Notification

    order, payment = cash_order_part_refunded(client, session, world, goods)  # Rs 50 back, from the seller's form
    client.post(f"/orders/{order.id}/refund", data={"amount": "20", "reason": "one button missing, call 9822012345"})
    told = session.scalars(sa.select(Notification).where(Notification.user_id == world.buyer.id,
                                                         Notification.subject.like("Refund sent%"))).all()
    assert [n.body for n in told] == ["₹50.00", "₹20.00: one button missing, call […]"]
    client.post("/auth/logout")
    login(client, world.buyer.email)
    page = client.get(f"/orders/{order.id}").text
    assert "−₹50.00" in page and "−₹20.00" in page and "one button missing" in page and "9822012345" not in page


def test_a_card_refund_while_cards_are_switched_off_waits_for_them(app, client, session, world, goods, stripe_fake):
    placed = checkout(client, session, world, goods, pay_with="card")
    client.get(f"/payments/pay/{placed.checkout.id}")
    reload(session)
    stripe_fake.complete(session.get(Payment, placed.payment.id).gateway_order_id)
    client.get(f"/payments/{placed.payment.id}/stripe-done")
    app.config.update(STRIPE_SECRET_KEY="", STRIPE_WEBHOOK_SECRET="")  # no card gateway any more
    order_a = next(o for o in placed.orders if o.business_id == world.shop_a.id)
    answer = client.post(f"/orders/{order_a.id}/status", data={"to": "cancelled"})
    assert answer.status_code == 302
    reload(session)
    refund = session.scalar(sa.select(Refund))
    with app.app_context():
        assert outbox.send(session, "refund", refund.id) is False  # waits; reconcile tries again later
    reload(session)
    refund = session.get(Refund, refund.id)
    assert refund.status == "pending" and refund.gateway_refund_id is None
