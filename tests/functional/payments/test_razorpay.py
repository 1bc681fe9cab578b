"""UPI through Razorpay: callback, webhooks (forged, repeated, out of order), crashes, refunds, transfers."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from market.core import clock, ledger
from market.core.ledger import LedgerAccount, LedgerEntry, LedgerPosting
from market.core.notifications import Notification
from market.flows import capture as capture_flow
from orders.models import Order
from payments import services as payment_services
from payments.models import Payment, Refund, Transfer, WebhookEvent
from tests.conftest import login, reload
from tests.functional.payments.conftest import KEY_ID, KEY_SECRET, checkout, deliver, open_payment
from vendors.models import Loan


def reconcile(app, *options: str):
    """`flask payments reconcile` in this app (the test's own session runs in another app's context)."""
    with app.app_context():
        return app.test_cli_runner().invoke(args=["payments", "reconcile", *options])


def state(session, payment_id: int) -> dict:
    """Everything a payment's news can change, to compare two ways of getting there."""
    reload(session)
    payment = session.get(Payment, payment_id)
    orders = payment.checkout.orders
    return {
        "status": payment.status,
        "entries": sorted(e.kind for e in session.scalars(sa.select(LedgerEntry)
                                                          .where(LedgerEntry.payment_id == payment.id))),
        "orders": [o.status for o in orders],
        "told": session.scalar(sa.select(sa.func.count()).select_from(Notification).where(
            Notification.link.in_([f"/orders/{o.id}" for o in orders]), Notification.subject.like("New paid%"))),
    }


def test_paying_by_upi_marks_both_orders_paid_and_posts_the_ledger(client, session, world, goods, razorpay):
    placed = checkout(client, session, world, goods)
    assert placed.payment.gateway == "razorpay" and placed.payment.amount_paise == 101_000
    assert not session.scalars(sa.select(Notification).where(Notification.subject.like("New%"))).all()
    order_id = open_payment(client, session, placed)
    assert order_id.startswith("order_")
    fields = razorpay.pay(order_id)
    response = client.post(f"/payments/{placed.payment.id}/callback", data=fields)
    assert response.status_code == 302 and f"/orders/placed/{placed.checkout.id}" in response.headers["Location"]
    reload(session)
    payment = session.get(Payment, placed.payment.id)
    assert payment.status == "captured" and payment.gateway_payment_id == fields["razorpay_payment_id"]
    fee = payment.fee_paise
    assert fee == 101_000 * 200 // 10_000  # what the gateway charged, from its own record
    assert ledger.balance(session, "gateway:razorpay") == 101_000 - fee
    assert ledger.balance(session, ledger.payable(world.shop_a.id)) == -90_000
    assert ledger.balance(session, ledger.payable(world.shop_b.id)) == -11_000
    assert ledger.balance(session, ledger.GATEWAY_FEES) == fee
    told = session.scalars(sa.select(Notification.subject).where(Notification.subject.like("New paid order%"))).all()
    assert len(told) == 2
    client.post("/auth/logout")
    login(client, world.member_a.user.phone)
    screen = client.get("/seller/orders").text
    mine = next(o for o in placed.orders if o.business_id == world.shop_a.id)
    assert mine.number in screen and "Paid" in screen and "Accept" in screen


def test_sellers_do_not_see_or_accept_an_order_before_it_is_paid(client, session, world, goods):
    placed = checkout(client, session, world, goods)
    client.post("/auth/logout")
    login(client, world.member_a.user.phone)
    order = next(o for o in placed.orders if o.business_id == world.shop_a.id)
    assert order.number not in client.get("/seller/orders").text
    client.post(f"/orders/{order.id}/status", data={"to": "confirmed"})
    reload(session)
    assert session.get(Order, order.id).status == "placed"


@pytest.mark.parametrize("change", ["signature", "order", "payment"])
def test_a_forged_callback_changes_nothing(client, session, world, goods, razorpay, change):
    placed = checkout(client, session, world, goods)
    order_id = open_payment(client, session, placed)
    fields = razorpay.pay(order_id)
    if change == "signature":
        last = fields["razorpay_signature"][-1]
        fields["razorpay_signature"] = fields["razorpay_signature"][:-1] + ("1" if last == "0" else "0")
    elif change == "order":
        fields["razorpay_order_id"] = "order_SomeoneElses1"
    else:
        fields["razorpay_payment_id"] = "pay_NotTheOneSigned"
    response = client.post(f"/payments/{placed.payment.id}/callback", data=fields)
    assert response.headers["Location"].endswith(f"/payments/pay/{placed.checkout.id}")
    reload(session)
    assert session.get(Payment, placed.payment.id).status == "created"
    assert session.scalar(sa.select(sa.func.count()).select_from(LedgerEntry)) == 0


def test_a_failed_attempt_leaves_the_order_waiting_and_the_buyer_can_pay_again(client, session, world, goods,
                                                                               razorpay):
    placed = checkout(client, session, world, goods)
    order_id = open_payment(client, session, placed)
    failed = razorpay.pay(order_id, succeed=False)
    response = client.post(f"/payments/{placed.payment.id}/callback",
                           data={"error[code]": failed["error"]["code"],
                                 "error[description]": failed["error"]["description"]})
    assert response.headers["Location"].endswith(f"/payments/pay/{placed.checkout.id}")
    for hook in razorpay.take_webhooks():
        assert deliver(client, hook).status_code == 200
    reload(session)
    assert session.get(Payment, placed.payment.id).status == "created"
    client.post(f"/payments/{placed.payment.id}/callback", data=razorpay.pay(order_id))
    reload(session)
    assert session.get(Payment, placed.payment.id).status == "captured"


@pytest.mark.parametrize("forgery", ["no signature", "wrong secret", "altered body"])
def test_a_forged_or_altered_webhook_changes_nothing(client, session, world, goods, razorpay, forgery):
    placed = checkout(client, session, world, goods)
    razorpay.pay(open_payment(client, session, placed))
    for hook in razorpay.take_webhooks():
        if forgery == "no signature":
            response = deliver(client, hook, signature="")
        elif forgery == "wrong secret":
            response = deliver(client, hook, signature=FakeSigner("not-the-secret").sign(hook.body))
        else:
            response = deliver(client, hook, body=hook.body.replace('"amount": 101000', '"amount": 1'))
        assert response.status_code == 400
    reload(session)
    assert session.get(Payment, placed.payment.id).status == "created"
    assert session.scalar(sa.select(sa.func.count()).select_from(WebhookEvent)) == 0
    assert session.scalar(sa.select(sa.func.count()).select_from(LedgerEntry)) == 0


class FakeSigner:
    def __init__(self, secret: str):
        self.secret = secret

    def sign(self, body: str) -> str:
        import hashlib
        import hmac

        return hmac.new(self.secret.encode(), body.encode(), hashlib.sha256).hexdigest()


def test_the_same_webhook_delivered_five_times_credits_once(client, session, world, goods, razorpay):
    placed = checkout(client, session, world, goods)
    razorpay.pay(open_payment(client, session, placed))
    captured = next(h for h in razorpay.take_webhooks() if h.event == "payment.captured")
    outcomes = [deliver(client, captured).json["outcome"] for _ in range(5)]
    assert outcomes == ["captured"] + ["duplicate"] * 4
    reload(session)
    assert state(session, placed.payment.id)["entries"] == ["gateway_fee", "payment"]
    assert ledger.balance(session, ledger.payable(world.shop_a.id)) == -90_000


def test_captured_before_order_paid_ends_in_the_same_state_as_the_other_order(client, session, world, goods,
                                                                              razorpay):
    results = []
    for order_of_events in (["payment.authorized", "payment.captured", "order.paid"],
                            ["order.paid", "payment.captured", "payment.authorized"]):
        placed = checkout(client, session, world, goods)
        razorpay.pay(open_payment(client, session, placed))
        hooks = {h.event: h for h in razorpay.take_webhooks()}
        for event in order_of_events:
            assert deliver(client, hooks[event]).status_code == 200
        results.append(state(session, placed.payment.id))
        client.post("/auth/logout")
    assert results[0] == results[1]
    assert results[0]["status"] == "captured" and results[0]["entries"] == ["gateway_fee", "payment"]
    assert results[0]["told"] == 2


def test_an_authorized_payment_is_captured_by_us(client, session, world, goods, razorpay):
    placed = checkout(client, session, world, goods)
    razorpay.pay(open_payment(client, session, placed), capture=False)
    authorized = next(h for h in razorpay.take_webhooks() if h.event == "payment.authorized")
    assert deliver(client, authorized).json["outcome"] == "capture asked"  # after the commit, no lock held
    reload(session)
    payment = session.get(Payment, placed.payment.id)
    assert payment.status == "captured"
    import razorpay as sdk

    assert sdk.Client(auth=(KEY_ID, KEY_SECRET), base_url=razorpay.url).payment.fetch(
        payment.gateway_payment_id)["status"] == "captured"


def test_a_crash_after_recording_the_payment_loses_and_doubles_nothing(client, session, world, goods, razorpay,
                                                                       monkeypatch):
    placed = checkout(client, session, world, goods)
    razorpay.pay(open_payment(client, session, placed))
    hooks = razorpay.take_webhooks()
    captured = next(h for h in hooks if h.event == "payment.captured")

    def crash(*_args, **_kwargs):
        raise RuntimeError("the worker died here")

    # Between recording the payment (state, ledger) and updating its orders.
    monkeypatch.setattr(capture_flow, "follow", crash)
    with pytest.raises(RuntimeError):
        deliver(client, captured)
    reload(session)
    assert state(session, placed.payment.id) == {"status": "created", "entries": [], "orders": ["placed", "placed"],
                                                 "told": 0}
    assert session.scalar(sa.select(sa.func.count()).select_from(WebhookEvent)) == 0
    monkeypatch.undo()
    assert deliver(client, captured).json["outcome"] == "captured"  # Razorpay retries the same event
    for hook in hooks:
        deliver(client, hook)
    after = state(session, placed.payment.id)
    assert after["status"] == "captured" and after["entries"] == ["gateway_fee", "payment"] and after["told"] == 2


def test_a_crash_is_completed_by_reconcile(pay_app, client, session, world, goods, razorpay, monkeypatch):
    placed = checkout(client, session, world, goods)
    order_id = open_payment(client, session, placed)
    fields = razorpay.pay(order_id)
    razorpay.take_webhooks()  # never delivered

    def crash(*_args, **_kwargs):
        raise RuntimeError("the worker died here")

    monkeypatch.setattr(capture_flow, "follow", crash)
    with pytest.raises(RuntimeError):
        client.post(f"/payments/{placed.payment.id}/callback", data=fields)
    monkeypatch.undo()
    report = reconcile(pay_app)
    assert report.exit_code == 0 and "captured at the gateway, not here" in report.output
    assert state(session, placed.payment.id)["status"] == "created"  # only reported
    repaired = reconcile(pay_app, "--repair")
    assert "repaired" in repaired.output
    assert state(session, placed.payment.id) == {"status": "captured", "entries": ["gateway_fee", "payment"],
                                                 "orders": ["placed", "placed"], "told": 2}
    again = reconcile(pay_app, "--repair")
    assert "nothing to repair" in again.output.lower()


def test_an_unpaid_order_expires_and_its_stock_comes_back(pay_app, client, session, world, goods, razorpay):
    placed = checkout(client, session, world, goods)
    open_payment(client, session, placed)
    assert goods_stock(session, goods) == (3, 8)
    old = pay_app.config["PAYMENT_TIMEOUT_MINUTES"]
    pay_app.config["PAYMENT_TIMEOUT_MINUTES"] = -1  # already overdue
    try:
        output = reconcile(pay_app, "--repair").output
    finally:
        pay_app.config["PAYMENT_TIMEOUT_MINUTES"] = old
    assert "never paid" in output
    reload(session)
    assert session.get(Payment, placed.payment.id).status == "expired"
    assert [o.status for o in session.get(Payment, placed.payment.id).checkout.orders] == ["cancelled", "cancelled"]
    assert goods_stock(session, goods) == (5, 9)
    assert "ran out" in client.get(f"/payments/pay/{placed.checkout.id}").text


def goods_stock(session, goods) -> tuple[int, int]:
    reload(session)
    return tuple(session.scalar(sa.select(v.__class__.stock).where(v.__class__.id == v.id))
                 for v in (goods[0].variants[0], goods[1].variants[0]))


def test_money_arriving_after_expiry_goes_straight_back(pay_app, client, session, world, goods, razorpay):
    placed = checkout(client, session, world, goods)
    order_id = open_payment(client, session, placed)
    with pay_app.app_context():
        from market.core import db

        payment_services.expire(db.session, db.session.get(Payment, placed.payment.id), "test")
        db.session.commit()
    razorpay.pay(order_id)
    for hook in razorpay.take_webhooks():
        deliver(client, hook)
    reload(session)
    payment = session.get(Payment, placed.payment.id)
    assert payment.status == "refunded" and payment.refunded_paise == 101_000
    assert [o.status for o in payment.checkout.orders] == ["refunded", "refunded"]
    assert ledger.balance(session, ledger.payable(world.shop_a.id)) == 0
    assert ledger.balance(session, "gateway:razorpay") == -payment.fee_paise


def paid(client, session, world, goods, razorpay):
    placed = checkout(client, session, world, goods)
    client.post(f"/payments/{placed.payment.id}/callback", data=razorpay.pay(open_payment(client, session, placed)))
    razorpay.take_webhooks()
    reload(session)
    return placed


def test_cancelling_a_paid_order_refunds_that_order_only(client, session, world, goods, razorpay):
    placed = paid(client, session, world, goods, razorpay)
    order_a = next(o for o in placed.orders if o.business_id == world.shop_a.id)
    client.post(f"/orders/{order_a.id}/status", data={"to": "cancelled"})
    reload(session)
    assert session.get(Order, order_a.id).status == "refunded"
    assert "Invoice (PDF)" not in client.get(f"/orders/{order_a.id}").text  # never accepted: no invoice to offer
    payment = session.get(Payment, placed.payment.id)
    assert payment.status == "partly_refunded" and payment.refunded_paise == 90_000
    assert ledger.balance(session, ledger.payable(world.shop_a.id)) == 0
    assert ledger.balance(session, ledger.payable(world.shop_b.id)) == -11_000
    refund = session.scalar(sa.select(Refund))
    assert refund.status == "processed" and refund.gateway_refund_id.startswith("rfnd_")
    hooks = razorpay.take_webhooks()
    assert {h.event for h in hooks} >= {"refund.processed"}
    for hook in hooks:  # the gateway's news of our own refund is not counted again
        assert deliver(client, hook).json["outcome"] in ("refund known", "ignored")
    reload(session)
    assert session.get(Payment, placed.payment.id).refunded_paise == 90_000


def test_a_seller_refunds_part_of_an_order(client, session, world, goods, razorpay):
    placed = paid(client, session, world, goods, razorpay)
    order_a = next(o for o in placed.orders if o.business_id == world.shop_a.id)
    client.post("/auth/logout")
    login(client, world.member_a.user.phone)
    for bad in ("", "abc", "0", "900.01", "-5"):
        client.post(f"/orders/{order_a.id}/refund", data={"amount": bad})
    reload(session)
    assert session.scalar(sa.select(sa.func.count()).select_from(Refund)) == 0
    page = client.post(f"/orders/{order_a.id}/refund", data={"amount": "150.50", "reason": "one button missing"},
                       follow_redirects=True).text
    assert "Refund sent" in page
    reload(session)
    assert session.get(Payment, placed.payment.id).refunded_paise == 15_050
    assert ledger.balance(session, ledger.payable(world.shop_a.id)) == -90_000 + 15_050
    client.post("/auth/logout")
    login(client, world.member_b.user.phone)  # another seller cannot refund shop A's order
    assert client.post(f"/orders/{order_a.id}/refund", data={"amount": "10"}).status_code == 404


# Shop A's Rs 900 order back in three parts; 2.5% of each part is not a whole number of paise.
PARTS = ("300.39", "300.39", "299.22")


def fee_app(make_app, razorpay, stripe_fake):
    """The app with Razorpay and Haat's fee at 2.5% (Rs 22.50 of shop A's Rs 900 order)."""
    from tests.functional.payments.conftest import WEBHOOK_SECRET

    return make_app(PAYMENT_GATEWAY="razorpay", RAZORPAY_KEY_ID=KEY_ID, RAZORPAY_KEY_SECRET=KEY_SECRET,
                    RAZORPAY_WEBHOOK_SECRET=WEBHOOK_SECRET, RAZORPAY_BASE_URL=razorpay.url, PLATFORM_FEE_BPS=250)


def refund_in_parts(client, session, world, order, parts) -> list[Refund]:
    """Shop A's seller refunds the order part by part."""
    client.post("/auth/logout")
    login(client, world.member_a.user.phone)
    for part in parts:
        client.post(f"/orders/{order.id}/refund", data={"amount": part}, follow_redirects=True)
    reload(session)
    return list(session.scalars(sa.select(Refund).where(Refund.order_id == order.id).order_by(Refund.id)))


def posted(session, code: str, **about) -> int:
    """The sum of one account's postings in the entries about one thing (refund_id=..., order_id=...)."""
    return int(session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(LedgerPosting.amount_paise), 0)).join(LedgerPosting.account)
        .join(LedgerPosting.entry).where(LedgerAccount.code == code,
                                         *(getattr(LedgerEntry, k) == v for k, v in about.items()))))


def test_an_order_refunded_in_parts_gives_back_all_of_the_fee(make_app, razorpay, stripe_fake, session, world,
                                                              goods):
    client = fee_app(make_app, razorpay, stripe_fake).test_client()
    placed = paid(client, session, world, goods, razorpay)
    order_a = next(o for o in placed.orders if o.business_id == world.shop_a.id)
    refunds = refund_in_parts(client, session, world, order_a, PARTS)
    assert [(r.amount_paise, r.status) for r in refunds] == [(30_039, "processed"), (30_039, "processed"),
                                                             (29_922, "processed")]
    assert session.get(Payment, placed.payment.id).refunded_paise == 90_000
    # Each part gives back the fee on all refunded so far, less what earlier parts gave: 750, then 1,501 - 750,
    # then 2,250 - 1,501. The first is what a single refund of it gives (30,039 * 2.5% rounded down).
    assert [posted(session, ledger.PLATFORM_FEES, refund_id=r.id) for r in refunds] == [750, 751, 749]
    assert ledger.balance(session, ledger.payable(world.shop_a.id)) == 0  # as before the sale
    assert ledger.balance(session, ledger.PLATFORM_FEES) == -(11_000 * 250 // 10_000)  # shop B's fee only


def test_her_plan_shares_of_an_order_refunded_in_parts_all_come_back(make_app, razorpay, stripe_fake, session,
                                                                     world, goods):
    from datetime import timedelta

    from vendors import finance

    loan = finance.add_loan(session, world.member_a, world.member_a.user, "bank", "", 50_000_00, 1200,
                            "declining", 12, clock.today() - timedelta(days=5))
    world.group_a.monthly_saving_paise = 1_000_00
    finance.set_shares(session, world.member_a, [finance.Share("loan", percent_bps=3333, loan_id=loan.id),
                                                 finance.Share("savings", percent_bps=3333)])
    session.commit()
    client = fee_app(make_app, razorpay, stripe_fake).test_client()
    placed = paid(client, session, world, goods, razorpay)
    order_a = next(o for o in placed.orders if o.business_id == world.shop_a.id)
    to_loan, to_savings = ledger.member_loan(world.member_a.id, loan.id), ledger.member_savings(world.member_a.id)
    share = (90_000 - 2_250) * 3333 // 10_000  # of what she earned, after Haat's fee
    assert posted(session, to_loan, order_id=order_a.id) == posted(session, to_savings, order_id=order_a.id) \
        == -share == -29_247
    refunds = refund_in_parts(client, session, world, order_a, PARTS)
    # Each part takes back the share of all refunded so far, less what earlier parts took back.
    assert [posted(session, to_loan, refund_id=r.id) for r in refunds] == [
        share * 30_039 // 90_000, share * 60_078 // 90_000 - share * 30_039 // 90_000,
        share - share * 60_078 // 90_000]
    for code in (to_loan, to_savings, ledger.payable(world.shop_a.id)):  # her shares, from what Haat owes her
        assert posted(session, code, order_id=order_a.id, kind=ledger.EntryKind.ALLOCATION) == 0, code
        assert ledger.balance(session, code) == 0, code
    assert finance.repayments(session, session.get(Loan, loan.id)) == []


def test_a_refund_made_on_the_gateway_dashboard_is_recorded_from_its_webhook(client, session, world, goods,
                                                                             razorpay):
    import razorpay as sdk

    placed = paid(client, session, world, goods, razorpay)
    order_b = next(o for o in placed.orders if o.business_id == world.shop_b.id)
    sdk.Client(auth=(KEY_ID, KEY_SECRET), base_url=razorpay.url).payment.refund(
        session.get(Payment, placed.payment.id).gateway_payment_id, {"amount": 5_000,
                                                                     "notes": {"order_id": str(order_b.id)}})
    for hook in razorpay.take_webhooks():
        deliver(client, hook)
    reload(session)
    refund = session.scalar(sa.select(Refund))
    assert refund.order_id == order_b.id and refund.amount_paise == 5_000 and refund.status == "processed"
    assert ledger.balance(session, ledger.payable(world.shop_b.id)) == -11_000 + 5_000


def test_reconcile_finds_a_refund_whose_webhook_never_came(pay_app, client, session, world, goods, razorpay):
    import razorpay as sdk

    placed = paid(client, session, world, goods, razorpay)
    sdk.Client(auth=(KEY_ID, KEY_SECRET), base_url=razorpay.url).payment.refund(
        session.get(Payment, placed.payment.id).gateway_payment_id, {"amount": 2_500})
    razorpay.take_webhooks()  # lost
    output = reconcile(pay_app, "--repair").output
    assert "not recorded here" in output
    reload(session)
    assert session.get(Payment, placed.payment.id).refunded_paise == 2_500
    assert ledger.balance(session, payment_services.UNALLOCATED) == 2_500


def complete_shop_a_order(client, session, world, placed):
    """Shop A's seller takes its order through to collected; the buyer says all is good."""
    order_a = next(o for o in placed.orders if o.business_id == world.shop_a.id)
    client.post("/auth/logout")
    login(client, world.member_a.user.phone)
    for step in ("confirmed", "packed", "ready_for_pickup", "collected"):
        client.post(f"/orders/{order_a.id}/status", data={"to": step})
    client.post("/auth/logout")
    login(client, world.buyer.email)
    client.post(f"/orders/{order_a.id}/status", data={"to": "completed"})
    reload(session)
    return order_a


def test_a_completed_order_sends_its_earnings_to_the_linked_account(pay_app, client, session, world, goods,
                                                                    razorpay):
    import razorpay as sdk

    world.shop_a.payout_account = "acc_RangoliLinked1"
    session.commit()
    placed = paid(client, session, world, goods, razorpay)
    order_a = complete_shop_a_order(client, session, world, placed)
    transfer = session.scalar(sa.select(Transfer))
    assert transfer.order_id == order_a.id and transfer.amount_paise == 90_000
    at_gateway = sdk.Client(auth=(KEY_ID, KEY_SECRET), base_url=razorpay.url).payment.transfers(
        session.get(Payment, placed.payment.id).gateway_payment_id)["items"]
    assert [(t["recipient"], t["amount"]) for t in at_gateway] == [("acc_RangoliLinked1", 90_000)]
    assert ledger.balance(session, ledger.payable(world.shop_a.id)) == 0


def test_the_platform_fee_is_posted_per_order(make_app, razorpay, stripe_fake, session, world, goods):
    from tests.functional.payments.conftest import WEBHOOK_SECRET

    app = make_app(PAYMENT_GATEWAY="razorpay", RAZORPAY_KEY_ID=KEY_ID, RAZORPAY_KEY_SECRET=KEY_SECRET,
                   RAZORPAY_WEBHOOK_SECRET=WEBHOOK_SECRET, RAZORPAY_BASE_URL=razorpay.url, PLATFORM_FEE_BPS=250)
    client = app.test_client()
    placed = paid(client, session, world, goods, razorpay)
    assert ledger.balance(session, ledger.PLATFORM_FEES) == -(90_000 * 250 // 10_000 + 11_000 * 250 // 10_000)
    assert ledger.balance(session, ledger.payable(world.shop_a.id)) == -(90_000 - 2_250)
    order_a = next(o for o in placed.orders if o.business_id == world.shop_a.id)
    client.post(f"/orders/{order_a.id}/status", data={"to": "cancelled"})
    assert ledger.balance(session, ledger.payable(world.shop_a.id)) == 0
    assert ledger.balance(session, ledger.PLATFORM_FEES) == -(11_000 * 250 // 10_000)


def test_the_razorpay_page_opens_checkout_for_upi_and_allows_only_razorpay_besides_haat(client, session, world,
                                                                                        goods, razorpay):
    import json
    import re

    placed = checkout(client, session, world, goods)
    page = client.get(f"/payments/pay/{placed.checkout.id}")
    options = json.loads(re.search(r'data-razorpay="([^"]+)"', page.text).group(1).replace("&#34;", '"'))
    reload(session)
    assert options["key"] == KEY_ID and options["amount"] == 101_000
    assert options["order_id"] == session.get(Payment, placed.payment.id).gateway_order_id
    assert options["callback_url"].endswith(f"/payments/{placed.payment.id}/callback") and options["redirect"]
    assert KEY_SECRET not in page.text
    policy = page.headers["Content-Security-Policy"]
    assert "script-src 'self' https://checkout.razorpay.com" in policy
    assert "frame-src https://api.razorpay.com" in policy
    assert "checkout.razorpay.com" not in client.get("/checkout").headers["Content-Security-Policy"]
    assert client.get(f"/payments/pay/{placed.checkout.id}").status_code == 200  # the same gateway order again
    reload(session)
    assert session.get(Payment, placed.payment.id).gateway_order_id == options["order_id"]


def test_another_buyer_cannot_open_or_pay_the_order(client, session, world, goods, razorpay):
    from tests.factories import gen_user

    placed = checkout(client, session, world, goods)
    client.post("/auth/logout")
    other = gen_user(session, login="other-buyer@example.com")
    session.commit()
    login(client, other.email)
    assert client.get(f"/payments/pay/{placed.checkout.id}").status_code == 404


def test_her_plan_shares_go_to_her_group_and_the_rest_to_her_shop(pay_app, client, session, world, goods,
                                                                  razorpay):
    import razorpay as sdk

    from vendors import finance

    world.shop_a.payout_account = "acc_RangoliLinked1"
    world.group_a.payout_account = "acc_SakhiGroupFund"
    world.group_a.monthly_saving_paise = 500_00
    finance.set_shares(session, world.member_a, [finance.Share("savings", percent_bps=1000)])
    session.commit()
    placed = paid(client, session, world, goods, razorpay)
    complete_shop_a_order(client, session, world, placed)
    at_gateway = sdk.Client(auth=(KEY_ID, KEY_SECRET), base_url=razorpay.url).payment.transfers(
        session.get(Payment, placed.payment.id).gateway_payment_id)["items"]
    assert sorted((t["recipient"], t["amount"]) for t in at_gateway) == [("acc_RangoliLinked1", 81_000),
                                                                        ("acc_SakhiGroupFund", 9_000)]
    assert ledger.balance(session, ledger.payable(world.shop_a.id)) == 0
    assert ledger.balance(session, ledger.group_transferred(world.group_a.id)) == 9_000
    assert -ledger.balance(session, ledger.member_savings(world.member_a.id)) == 9_000  # her saving stays counted


def test_a_crash_after_a_transfer_never_pays_the_shop_twice(pay_app, client, session, world, goods, razorpay,
                                                            monkeypatch):
    import razorpay as sdk

    world.shop_a.payout_account = "acc_RangoliLinked1"
    session.commit()
    placed = paid(client, session, world, goods, razorpay)
    real_post = ledger.post

    def crash_on_transfer(session_, kind, *args, **kwargs):
        if kind == "transfer":
            raise RuntimeError("the worker died after Razorpay made the transfer")
        return real_post(session_, kind, *args, **kwargs)

    monkeypatch.setattr(ledger, "post", crash_on_transfer)
    order_a = complete_shop_a_order(client, session, world, placed)  # her "all good" is committed first
    monkeypatch.undo()
    assert session.get(Order, order_a.id).status == "completed"
    assert session.scalar(sa.select(Transfer.gateway_transfer_id)) is None  # made at the gateway, not recorded
    with pay_app.app_context():
        assert "Nothing waiting" in pay_app.test_cli_runner().invoke(args=["payments", "work", "--once"]).output
    reload(session)
    at_gateway = sdk.Client(auth=(KEY_ID, KEY_SECRET), base_url=razorpay.url).payment.transfers(
        session.get(Payment, placed.payment.id).gateway_payment_id)["items"]
    assert [(t["recipient"], t["amount"]) for t in at_gateway] == [("acc_RangoliLinked1", 90_000)]
    assert session.scalar(sa.select(Transfer.gateway_transfer_id)) == at_gateway[0]["id"]
    assert ledger.balance(session, ledger.payable(world.shop_a.id)) == 0


SHAPES = {  # validly signed, but not what Razorpay sends: each is refused and changes nothing
    "event not text": '{"event": 5, "payload": {}}',
    "no payment": '{"event": "payment.captured", "payload": {}}',
    "entity a list": '{"event": "payment.captured", "payload": {"payment": {"entity": []}}}',
    "fee not a number": '{"event": "payment.captured", "payload": {"payment": {"entity": {"id": "pay_x", '
                        '"order_id": "ORDER", "amount": 101000, "status": "captured", "fee": "lots"}}}}',
    "id not text": '{"event": "payment.captured", "payload": {"payment": {"entity": {"id": {"a": 1}, '
                   '"order_id": "ORDER", "amount": 101000, "status": "captured"}}}}',
    "refund without id": '{"event": "refund.processed", "payload": {"refund": {"entity": {"payment_id": "PAYMENT", '
                         '"amount": 100, "status": "processed"}}}}',
    "refund amount not a number": '{"event": "refund.created", "payload": {"refund": {"entity": {"id": "rfnd_x", '
                                  '"payment_id": "PAYMENT", "amount": "1e9", "status": "created"}}}}',
}


def signed_post(client, razorpay, body: str):
    return client.post("/payments/webhooks/razorpay", data=body.encode(), headers={
        "X-Razorpay-Signature": FakeSigner(razorpay.webhook_secret).sign(body), "X-Razorpay-Event-Id": "evt_odd",
        "Content-Type": "application/json"})


@pytest.mark.parametrize("body", [
    '{"event": "payment.captured", "payload": {"payment": {"entity": {"id": "pay_qr", "order_id": null, '
    '"amount": 5000, "status": "captured", "notes": []}}}}',  # paid by a QR code: no order of ours
    '{"event": "settlement.processed", "payload": {"settlement": {"entity": {"id": 7}}}}',  # not one we use
])
def test_signed_events_that_are_not_ours_are_answered_200_so_the_gateway_stops(client, session, razorpay, body):
    response = signed_post(client, razorpay, body)
    assert response.status_code == 200 and response.json["outcome"] in ("not ours", "ignored")


@pytest.mark.parametrize("shape", SHAPES)
def test_a_signed_webhook_of_an_unexpected_shape_is_refused_and_changes_nothing(client, session, world, goods,
                                                                                 razorpay, shape):
    placed = checkout(client, session, world, goods)
    order_id = open_payment(client, session, placed)
    razorpay.pay(order_id)
    if shape.startswith("refund"):  # a refund needs a captured payment; the rest find it waiting
        captured = next(h for h in razorpay.take_webhooks() if h.event == "payment.captured")
        assert deliver(client, captured).status_code == 200
    reload(session)
    before = (state(session, placed.payment.id), session.scalar(sa.select(sa.func.count()).select_from(WebhookEvent)),
              session.scalar(sa.select(sa.func.count()).select_from(Refund)))
    body = SHAPES[shape].replace("ORDER", order_id).replace(
        "PAYMENT", session.get(Payment, placed.payment.id).gateway_payment_id or "")
    response = signed_post(client, razorpay, body)
    assert response.status_code == 400, response.text
    assert response.json["outcome"].startswith("unreadable")
    reload(session)
    assert (state(session, placed.payment.id), session.scalar(sa.select(sa.func.count()).select_from(WebhookEvent)),
            session.scalar(sa.select(sa.func.count()).select_from(Refund))) == before
    assert session.scalar(sa.select(sa.func.count()).select_from(LedgerEntry)) == (2 if shape.startswith("refund")
                                                                                   else 0)


def test_a_part_refunded_order_sends_all_the_shop_is_owed_including_the_fee_given_back(make_app, razorpay,
                                                                                      stripe_fake, session, world,
                                                                                      goods):
    world.shop_a.payout_account = "acc_RangoliLinked1"
    session.commit()
    client = fee_app(make_app, razorpay, stripe_fake).test_client()
    placed = paid(client, session, world, goods, razorpay)
    order_a = next(o for o in placed.orders if o.business_id == world.shop_a.id)
    refund_in_parts(client, session, world, order_a, PARTS[:1])  # Rs 300.39 back: Haat's fee on it, 750, too
    complete_shop_a_order(client, session, world, placed)
    transfer = session.scalar(sa.select(Transfer))
    assert transfer.amount_paise == 90_000 - 2_250 - (30_039 - 750)
    assert ledger.balance(session, ledger.payable(world.shop_a.id)) == 0  # nothing left behind at Haat
