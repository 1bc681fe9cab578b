"""Razorpay's news in any order of arrival, refunds made on its dashboard, and a second payment of a paid order.

Every test here goes through the real webhook endpoint, signed as Razorpay signs, against the local fake.
"""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from catalog.models import Variant
from market.core import ledger
from market.core.ledger import LedgerAccount, LedgerEntry, LedgerPosting
from market.core.notifications import Notification
from orders.models import Order
from payments import services as payment_services
from payments.fakes.razorpay import Webhook
from payments.models import Payment, Refund
from tests.conftest import login, reload
from tests.factories import gen_product
from tests.functional.payments.conftest import KEY_ID, KEY_SECRET, checkout, deliver, open_payment


@pytest.fixture
def goods(world, session):
    """Enough stock for many checkouts in one test."""
    kurti = gen_product(session, world.shop_a, title="Indigo kurti", price_paise=45_000, stock=10_000)
    podi = gen_product(session, world.shop_b, title="Idli podi", category_slug="spices", price_paise=11_000,
                       stock=10_000)
    session.commit()
    return kurti, podi


def sdk(razorpay):
    import razorpay as sdk_module

    return sdk_module.Client(auth=(KEY_ID, KEY_SECRET), base_url=razorpay.url)


def signed(razorpay, event_id: str, event: str, **entities) -> Webhook:
    """A webhook Razorpay could send, signed with the webhook secret (for events the fake does not make)."""
    body = json.dumps({"entity": "event", "account_id": "acc_demo", "event": event, "contains": list(entities),
                       "payload": {name: {"entity": e} for name, e in entities.items()}, "created_at": 0})
    return Webhook(event_id, event, body, razorpay.sign_webhook(body))


def order_of(placed, world, shop) -> Order:
    return next(o for o in placed.orders if o.business_id == shop.id)


def ledger_of(session, payment_id: int) -> dict[str, int]:
    """What the payment's entries (capture, fee, refunds, plan shares) moved, by account."""
    rows = session.execute(
        sa.select(LedgerAccount.code, sa.func.sum(LedgerPosting.amount_paise)).join(LedgerPosting.account)
        .join(LedgerPosting.entry).where(LedgerEntry.payment_id == payment_id).group_by(LedgerAccount.code)).all()
    return {code: int(total) for code, total in rows if int(total)}


def outcome_state(session, placed) -> dict:
    """Everything the events can change, named so that two checkouts can be compared."""
    reload(session)
    payment = session.get(Payment, placed.payment.id)
    orders = sorted(payment.checkout.orders, key=lambda o: o.business_id)
    return {
        "payment": (payment.status, payment.refunded_paise, payment.fee_paise),
        "orders": [o.status for o in orders],
        "refunds": sorted((r.amount_paise, r.status, r.order_id is not None) for r in payment.refunds),
        "ledger": ledger_of(session, payment.id),
        "told": sorted(_named(n.subject, orders) for n in session.scalars(sa.select(Notification).where(
            Notification.link.in_([f"/orders/{o.id}" for o in orders])))),
    }


def _named(text: str, orders: list[Order]) -> str:
    """The text with each order's number replaced by its place (numbers differ between checkouts)."""
    for place, order in enumerate(orders):
        text = text.replace(order.number, f"order {place}")
    return text


def events_of_one_checkout(client, session, world, goods, razorpay) -> tuple:
    """A realistic set of news about one checkout: a failed attempt, a paid one, two refunds of shop B's order
    made on the dashboard (part, then the rest) and a third that failed."""
    placed = checkout(client, session, world, goods)
    order_id = open_payment(client, session, placed)
    razorpay.pay(order_id, succeed=False)
    pay_id = razorpay.pay(order_id)["razorpay_payment_id"]
    order_b = order_of(placed, world, world.shop_b)
    sdk(razorpay).payment.refund(pay_id, {"amount": 5_000, "notes": {"order_id": str(order_b.id)}})
    sdk(razorpay).payment.refund(pay_id, {"amount": 6_000, "notes": {"order_id": str(order_b.id)}})
    hooks = razorpay.take_webhooks()
    failed = {"id": f"rfnd_failed{placed.checkout.id}", "entity": "refund", "amount": 1_000, "currency": "INR",
              "payment_id": pay_id, "notes": [], "status": "failed"}
    payment = json.loads(next(h for h in hooks if h.event == "payment.captured").body)["payload"]["payment"]["entity"]
    hooks.append(signed(razorpay, f"evt_failed{placed.checkout.id}", "refund.failed", refund=failed,
                        payment=payment))
    client.post("/auth/logout")
    return placed, hooks


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_every_order_of_arrival_with_repeats_ends_in_the_same_state(client, session, world, goods, razorpay, data):
    """Events arrive in any order, some more than once, and no reconcile runs: the end is always the same."""
    reference = test_every_order_of_arrival_with_repeats_ends_in_the_same_state.__dict__.setdefault("reference", {})
    key = (world.shop_a.id, goods[0].id)  # one reference per test database's world
    if key not in reference:
        placed, hooks = events_of_one_checkout(client, session, world, goods, razorpay)
        for hook in hooks:
            assert deliver(client, hook).status_code == 200
        reference[key] = outcome_state(session, placed)
        assert reference[key]["orders"] == ["placed", "refunded"]
        assert reference[key]["payment"][:2] == ("partly_refunded", 11_000)
    placed, hooks = events_of_one_checkout(client, session, world, goods, razorpay)
    order = data.draw(st.permutations(hooks))
    repeats = data.draw(st.lists(st.sampled_from(hooks), max_size=4))
    for hook in repeats:
        order.insert(data.draw(st.integers(0, len(order))), hook)
    for hook in order:
        response = deliver(client, hook)
        assert response.status_code == 200, response.text
    assert outcome_state(session, placed) == reference[key]


def test_a_refund_before_its_capture_is_kept_and_applied_when_the_capture_comes(client, session, world, goods,
                                                                              razorpay):
    placed = checkout(client, session, world, goods)
    pay_id = razorpay.pay(open_payment(client, session, placed))["razorpay_payment_id"]
    order_b = order_of(placed, world, world.shop_b)
    sdk(razorpay).payment.refund(pay_id, {"amount": 5_000, "notes": {"order_id": str(order_b.id)}})
    hooks = {h.event: h for h in razorpay.take_webhooks()}
    first = deliver(client, hooks["refund.processed"])
    assert first.status_code == 200 and first.json["outcome"] != "not ours"
    deliver(client, hooks["payment.captured"])
    reload(session)
    payment = session.get(Payment, placed.payment.id)
    assert payment.status == "partly_refunded" and payment.refunded_paise == 5_000
    refund = session.scalar(sa.select(Refund))
    assert refund.order_id == order_b.id and refund.status == "processed"
    assert deliver(client, hooks["refund.processed"]).json["outcome"] == "duplicate"


# -- a whole order refunded on the gateway's dashboard ------------------------------------------------------------

def paid(client, session, world, goods, razorpay, both: bool = True):
    placed = checkout(client, session, world, goods, both=both)
    client.post(f"/payments/{placed.payment.id}/callback", data=razorpay.pay(open_payment(client, session, placed)))
    razorpay.take_webhooks()
    reload(session)
    return placed


def stock(session, product) -> int:
    return session.scalar(sa.select(Variant.stock).where(Variant.product_id == product.id))


def test_a_whole_refund_on_the_dashboard_cancels_the_order_puts_stock_back_and_tells_both(client, session, world,
                                                                                         goods, razorpay):
    placed = paid(client, session, world, goods, razorpay, both=False)
    order_a = placed.orders[0]
    before = stock(session, goods[0])
    sdk(razorpay).payment.refund(session.get(Payment, placed.payment.id).gateway_payment_id, {})  # all of it
    for hook in razorpay.take_webhooks():
        assert deliver(client, hook).status_code == 200
    reload(session)
    assert session.get(Order, order_a.id).status == "refunded"
    assert stock(session, goods[0]) == before + 2
    assert session.get(Payment, placed.payment.id).status == "refunded"
    assert ledger_of(session, placed.payment.id).get(payment_services.UNALLOCATED) is None  # it was her order's
    told = {n.user_id for n in session.scalars(sa.select(Notification).where(
        Notification.link == f"/orders/{order_a.id}", Notification.subject.like("%cancelled%")))}
    assert told >= {world.buyer.id, world.member_a.user.id}
    client.post("/auth/logout")
    login(client, world.member_a.user.phone)  # the seller can no longer accept it
    client.post(f"/orders/{order_a.id}/status", data={"to": "confirmed"})
    reload(session)
    assert session.get(Order, order_a.id).status == "refunded"


def test_a_whole_order_refunded_on_the_dashboard_cancels_that_order_and_a_part_leaves_the_other(
        client, session, world, goods, razorpay):
    placed = paid(client, session, world, goods, razorpay)
    order_a, order_b = order_of(placed, world, world.shop_a), order_of(placed, world, world.shop_b)
    pay_id = session.get(Payment, placed.payment.id).gateway_payment_id
    sdk(razorpay).payment.refund(pay_id, {"amount": 11_000, "notes": {"order_id": str(order_b.id)}})
    sdk(razorpay).payment.refund(pay_id, {"amount": 1_000, "notes": {"order_id": str(order_a.id)}})
    for hook in razorpay.take_webhooks():
        deliver(client, hook)
    reload(session)
    assert session.get(Order, order_b.id).status == "refunded"
    assert session.get(Order, order_a.id).status == "placed"
    assert payment_services.may_accept(session, session.get(Order, order_a.id))


def test_a_refunded_payment_is_not_money_taken_for_accepting():
    assert payment_services.accepts(Payment(gateway="razorpay", status="refunded")) is False
    assert payment_services.accepts(Payment(gateway="razorpay", status="partly_refunded")) is True


def test_an_accepted_order_refunded_in_full_on_the_dashboard_is_cancelled_too(client, session, world, goods,
                                                                              razorpay):
    placed = paid(client, session, world, goods, razorpay, both=False)
    order_a = placed.orders[0]
    client.post("/auth/logout")
    login(client, world.member_a.user.phone)
    client.post(f"/orders/{order_a.id}/status", data={"to": "confirmed"})
    reload(session)
    assert session.get(Order, order_a.id).status == "confirmed"
    sdk(razorpay).payment.refund(session.get(Payment, placed.payment.id).gateway_payment_id, {})
    for hook in razorpay.take_webhooks():
        deliver(client, hook)
    reload(session)
    assert session.get(Order, order_a.id).status == "refunded"


# -- a second payment of a checkout already paid (issue 15, item 10) ---------------------------------------------

def paid_twice(client, session, world, goods, razorpay):
    """Two attempts at one Razorpay order both go through: we capture the first, the gateway the second."""
    placed = checkout(client, session, world, goods)
    order_id = open_payment(client, session, placed)
    razorpay.pay(order_id, capture=False)
    second = razorpay.pay(order_id, capture=False)["razorpay_payment_id"]
    for hook in razorpay.take_webhooks():  # the first authorization: we capture it
        deliver(client, hook)
        break
    sdk(razorpay).payment.capture(second, 101_000, {"currency": "INR"})  # the late one, captured at the gateway
    return placed, second


def test_a_second_payment_of_a_paid_order_is_refunded_at_once_and_the_buyer_told(client, session, world, goods,
                                                                                  razorpay):
    placed, second = paid_twice(client, session, world, goods, razorpay)
    hooks = razorpay.take_webhooks()
    for hook in hooks + hooks:  # every event twice
        assert deliver(client, hook).status_code == 200
    for hook in razorpay.take_webhooks():  # the news of our own refund of it
        deliver(client, hook)
    reload(session)
    refunds = sdk(razorpay).payment.fetch_multiple_refund(second, {})["items"]
    assert [r["amount"] for r in refunds] == [101_000]  # once, all of it
    payment = session.get(Payment, placed.payment.id)
    assert payment.status == "captured" and payment.gateway_payment_id != second
    assert ledger.balance(session, payment_services.OWED_BACK) == 0  # taken in, and all of it given back
    assert ledger.balance(session, "gateway:razorpay") == -sum(  # only the fees on both payments are gone
        p["fee"] for p in sdk(razorpay).order.payments(payment.gateway_order_id)["items"]) + 101_000
    assert session.scalar(sa.select(sa.func.count()).select_from(Notification).where(
        Notification.user_id == world.buyer.id, Notification.subject.like("You paid twice%"))) == 1
    assert payment_services.second_payments_to_act_on(session) == []


def test_a_second_payment_the_gateway_will_not_refund_waits_on_the_admin_page(client, session, world, goods,
                                                                             razorpay):
    placed, second = paid_twice(client, session, world, goods, razorpay)
    sdk(razorpay).payment.refund(second, {"amount": 100})  # someone took a rupee back on the dashboard
    hooks = razorpay.take_webhooks()
    late = [h for h in hooks if h.event == "refund.processed"]
    for hook in [h for h in hooks if h not in late]:  # the news of that rupee comes late
        assert deliver(client, hook).status_code == 200
    reload(session)
    waiting = payment_services.second_payments_to_act_on(session)
    assert [(w.gateway_payment_id, w.amount_paise) for w in waiting] == [(second, 101_000)]
    client.post("/auth/logout")
    login(client, world.admin.email)
    page = client.get("/admin/").text
    assert second in page and "1,010.00" in page
    for hook in late:  # the rupee's news: posted, still waiting for the rest
        deliver(client, hook)
    sdk(razorpay).payment.refund(second, {"amount": 100_900})  # the admin returns the rest on the dashboard
    for hook in razorpay.take_webhooks():
        deliver(client, hook)
    reload(session)
    assert payment_services.second_payments_to_act_on(session) == []
    assert ledger.balance(session, payment_services.OWED_BACK) == 0
    assert second not in client.get("/admin/").text
