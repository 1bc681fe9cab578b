"""A wholesale order from a quote, paid in parts: the advance (UPI through Razorpay, a bank transfer with its
UTR, or cash) before she accepts it, the balance before she sends it or in cash on delivery. Each part is posted
to the ledger once and her plan's shares follow it; repeats change nothing."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from market.core import ledger
from market.core.ledger import LedgerEntry
from market.core.notifications import Notification
from orders.models import Order
from orders.quotes import order_from_quote, request_quote
from payments.models import Payment
from tests.conftest import login, reload
from tests.factories import agree_quote, gen_product, gen_wholesaler
from tests.functional.payments.conftest import deliver
from vendors import finance

PRICE, PIECES = 68_000, 50  # Rs 680 a piece, 50 pieces: Rs 34,000, Rs 80 courier: Rs 34,080
TOTAL = PRICE * PIECES + 80_00
ADVANCE = TOTAL * 30 // 100  # 10,224.00: a whole number of paise


@pytest.fixture
def trader(session):
    user = gen_wholesaler(session, login="trader@example.com")
    session.commit()
    return user


TRACKING = {"courier": "DTDC", "tracking_number": "D12345678"}  # sent by courier: its tracking is asked

def wholesale_order(session, world, trader, percent: int = 30, delivery: str = "courier") -> Order:
    """A quote for 50 kurtas agreed at Rs 680, ordered with `percent` in advance."""
    world.group_a.monthly_saving_paise = 100_000_00
    finance.set_shares(session, world.member_a, [finance.Share("savings", percent_bps=1000)])  # 10% of each sale
    kurta = gen_product(session, world.shop_a, title="Chikankari kurta", price_paise=75_000, stock=100)
    quote = request_quote(session, trader, kurta.variants[0].id, PIECES, 60_000, date.today() + timedelta(days=20))
    agree_quote(session, quote, PRICE, percent)
    order = order_from_quote(session, quote, trader, delivery, ("Ravi Traders", "4 Market Road, Chennai", "600001")
                             if delivery != "pickup" else ("", "", ""))
    session.commit()
    return order


def part(session, order_id: int, name: str) -> Payment | None:
    return session.scalar(sa.select(Payment).where(Payment.order_id == order_id, Payment.part == name))


def saved(session, world) -> int:
    return -ledger.balance(session, ledger.member_savings(world.member_a.id))


def pay_advance_by_upi(client, session, razorpay, order) -> Payment:
    response = client.post(f"/orders/{order.id}/pay/advance", data={"method": "upi"})
    assert response.status_code == 302 and "/payments/part/" in response.headers["Location"]
    page = client.get(response.headers["Location"])
    assert page.status_code == 200 and order.number in page.text
    reload(session)
    advance = part(session, order.id, "advance")
    fields = razorpay.pay(advance.gateway_order_id)
    back = client.post(f"/payments/{advance.id}/callback", data=fields)
    assert back.status_code == 302 and back.headers["Location"].endswith(f"/orders/{order.id}")
    reload(session)
    return session.get(Payment, advance.id)


def test_the_seller_cannot_accept_before_the_advance_and_can_after_it_is_paid_by_upi(client, session, world, trader,
                                                                                     razorpay):
    order = wholesale_order(session, world, trader)
    login(client, world.member_a.user.phone)
    page = client.get(f"/orders/{order.id}").text
    assert "once the advance is paid" in page and 'value="confirmed"' not in page
    client.post(f"/orders/{order.id}/status", data={"to": "confirmed"})
    reload(session)
    assert session.get(Order, order.id).status == "placed"

    client.post("/auth/logout")
    login(client, trader.email)
    advance = pay_advance_by_upi(client, session, razorpay, order)
    assert (advance.status, advance.amount_paise) == ("captured", ADVANCE)
    fee = advance.fee_paise
    assert ledger.balance(session, "gateway:razorpay") == ADVANCE - fee
    delivery = 80_00 * ADVANCE // TOTAL  # the advance carries its share of the courier charge
    assert ledger.balance(session, ledger.delivery(world.shop_a.id)) == -delivery
    goods = ADVANCE - delivery
    assert saved(session, world) == goods // 10  # her plan's share follows the advance

    client.post("/auth/logout")
    login(client, world.member_a.user.phone)
    assert 'value="confirmed"' in client.get(f"/orders/{order.id}").text
    client.post(f"/orders/{order.id}/status", data={"to": "confirmed"})
    client.post(f"/orders/{order.id}/status", data={"to": "packed"})
    client.post(f"/orders/{order.id}/status", data={"to": "shipped", **TRACKING})  # the balance is not in
    reload(session)
    assert session.get(Order, order.id).status == "packed"


def test_a_repeated_webhook_and_callback_pay_the_advance_once(client, session, world, trader, razorpay):
    order = wholesale_order(session, world, trader)
    login(client, trader.email)
    advance = pay_advance_by_upi(client, session, razorpay, order)
    entries = session.scalar(sa.select(sa.func.count()).select_from(LedgerEntry))
    share = saved(session, world)
    hooks = razorpay.take_webhooks()
    assert hooks
    for _ in range(3):
        for hook in hooks:
            assert deliver(client, hook).status_code == 200
    reload(session)
    assert session.scalar(sa.select(sa.func.count()).select_from(LedgerEntry)) == entries
    assert saved(session, world) == share and session.get(Payment, advance.id).status == "captured"


def test_balance_by_bank_transfer_confirmed_once_by_the_seller(client, session, world, trader, razorpay):
    order = wholesale_order(session, world, trader)
    login(client, trader.email)
    pay_advance_by_upi(client, session, razorpay, order)
    response = client.post(f"/orders/{order.id}/pay/balance", data={"method": "bank", "utr": "sbin 4261 2345 6789"})
    assert response.status_code == 302
    reload(session)
    balance = part(session, order.id, "balance")
    assert (balance.gateway, balance.gateway_payment_id, balance.status) == ("bank", "SBIN426123456789", "created")
    assert balance.amount_paise == TOTAL - ADVANCE
    assert ledger.balance(session, "gateway:bank") == 0  # nothing counts until the seller sees the money

    client.post("/auth/logout")
    login(client, world.member_a.user.phone)
    assert "SBIN426123456789" in client.get(f"/orders/{order.id}").text
    for _ in range(2):  # a double tap
        client.post(f"/payments/part/{balance.id}/confirm")
    reload(session)
    assert session.get(Payment, balance.id).status == "captured"
    assert ledger.balance(session, "gateway:bank") == TOTAL - ADVANCE
    # Advance and balance together carry exactly the order: goods, delivery, and (fee 0 here) nothing lost.
    assert ledger.balance(session, ledger.delivery(world.shop_a.id)) == -80_00
    assert ledger.balance(session, ledger.payable(world.shop_a.id)) - saved(session, world) == -(PRICE * PIECES)
    assert saved(session, world) == (ADVANCE - 80_00 * ADVANCE // TOTAL) // 10 + \
        (TOTAL - ADVANCE - (80_00 - 80_00 * ADVANCE // TOTAL)) // 10
    for target in ("confirmed", "packed", "shipped"):
        client.post(f"/orders/{order.id}/status", data={"to": target, **TRACKING})
    reload(session)
    assert session.get(Order, order.id).status == "shipped"


def test_a_utr_is_refused_when_misshapen_or_given_for_another_order(client, session, world, trader):
    first, second = wholesale_order(session, world, trader), wholesale_order(session, world, trader)
    login(client, trader.email)
    page = client.post(f"/orders/{first.id}/pay/advance", data={"method": "bank", "utr": "12345"},
                       follow_redirects=True).text
    assert "UTR" in page and 'value="12345"' in page  # the form keeps what he typed
    client.post(f"/orders/{first.id}/pay/advance", data={"method": "bank", "utr": "123456789012"})
    page = client.post(f"/orders/{second.id}/pay/advance", data={"method": "bank", "utr": "123456789012"},
                       follow_redirects=True).text
    assert "already given for another payment" in page
    reload(session)
    assert part(session, second.id, "advance") is None
    assert part(session, first.id, "advance").gateway_payment_id == "123456789012"


def test_no_advance_lets_her_accept_at_once_and_cash_on_delivery_lets_her_send_it(client, session, world, trader):
    order = wholesale_order(session, world, trader, percent=0)
    login(client, trader.email)
    client.post(f"/orders/{order.id}/pay/balance", data={"method": "cash"})
    client.post("/auth/logout")
    login(client, world.member_a.user.phone)
    for target in ("confirmed", "packed", "shipped"):
        client.post(f"/orders/{order.id}/status", data={"to": target, **TRACKING})
    reload(session)
    assert session.get(Order, order.id).status == "shipped"
    balance = part(session, order.id, "balance")
    client.post(f"/payments/part/{balance.id}/confirm")
    reload(session)
    assert session.get(Payment, balance.id).status == "captured"
    assert ledger.balance(session, ledger.cash(world.shop_a.id)) == TOTAL
    assert ledger.balance(session, ledger.cash_sales(world.shop_a.id)) == -(PRICE * PIECES)
    assert saved(session, world) == PRICE * PIECES // 10


def test_only_the_buyer_chooses_and_only_the_seller_confirms(client, session, world, trader):
    order = wholesale_order(session, world, trader)
    login(client, world.buyer.email)
    assert client.post(f"/orders/{order.id}/pay/advance", data={"method": "cash"}).status_code == 404
    client.post("/auth/logout")
    login(client, trader.email)
    client.post(f"/orders/{order.id}/pay/advance", data={"method": "cash"})
    reload(session)
    advance = part(session, order.id, "advance")
    client.post(f"/payments/part/{advance.id}/confirm")  # the buyer cannot say he paid
    reload(session)
    assert session.get(Payment, advance.id).status == "created"


def test_cancelling_after_the_advance_gives_it_back_and_takes_her_share_back(client, session, world, trader):
    order = wholesale_order(session, world, trader)
    login(client, trader.email)
    client.post(f"/orders/{order.id}/pay/advance", data={"method": "bank", "utr": "HDFCR52026120712345678"})
    client.post("/auth/logout")
    login(client, world.member_a.user.phone)
    advance = part(session, order.id, "advance")
    client.post(f"/payments/part/{advance.id}/confirm")
    reload(session)
    assert saved(session, world) > 0 and ledger.balance(session, "gateway:bank") == ADVANCE
    client.post(f"/orders/{order.id}/status", data={"to": "cancelled"})
    reload(session)
    assert session.get(Order, order.id).status == "refunded"
    assert session.get(Payment, advance.id).status == "refunded"
    assert ledger.balance(session, "gateway:bank") == 0
    assert ledger.balance(session, ledger.payable(world.shop_a.id)) == 0
    assert ledger.balance(session, ledger.delivery(world.shop_a.id)) == 0
    assert saved(session, world) == 0


def test_the_webhook_alone_pays_the_advance_when_the_buyer_never_comes_back(client, session, world, trader, razorpay):
    order = wholesale_order(session, world, trader)
    login(client, trader.email)
    client.post(f"/orders/{order.id}/pay/advance", data={"method": "upi"})
    client.post(f"/orders/{order.id}/pay/advance", data={"method": "upi"})  # a double click: one payment
    reload(session)
    assert session.scalar(sa.select(sa.func.count()).select_from(Payment).where(Payment.order_id == order.id)) == 1
    advance = part(session, order.id, "advance")
    assert client.get(f"/payments/part/{advance.id}").status_code == 200
    reload(session)
    razorpay.pay(session.get(Payment, advance.id).gateway_order_id)  # he closes the phone before the callback
    for hook in razorpay.take_webhooks():
        assert deliver(client, hook).status_code == 200
    reload(session)
    assert session.get(Payment, advance.id).status == "captured" and saved(session, world) > 0
    page = client.post(f"/orders/{order.id}/pay/advance", data={"method": "bank", "utr": "123456789012"},
                       follow_redirects=True).text
    assert "paid already" in page


def test_a_part_opened_at_the_gateway_is_not_switched_and_a_waiting_part_never_cancels_the_order(
        app, client, session, world, trader, razorpay):
    order = wholesale_order(session, world, trader)
    login(client, trader.email)
    client.post(f"/orders/{order.id}/pay/advance", data={"method": "upi"})
    reload(session)
    advance = part(session, order.id, "advance")
    client.get(f"/payments/part/{advance.id}")
    page = client.post(f"/orders/{order.id}/pay/advance", data={"method": "cash"}, follow_redirects=True).text
    assert "Finish that payment" in page
    client.post(f"/orders/{order.id}/pay/balance", data={"method": "bank", "utr": "123456789012"})
    reload(session)
    for payment in session.scalars(sa.select(Payment).where(Payment.order_id == order.id)):
        payment.created_at = payment.created_at.replace(year=2020)  # long past the payment timeout
    session.commit()
    with app.app_context():
        app.test_cli_runner().invoke(args=["payments", "reconcile", "--repair"])
    reload(session)
    assert session.get(Order, order.id).status == "placed"
    assert {p.status for p in session.scalars(sa.select(Payment).where(Payment.order_id == order.id))} == {"created"}


def test_the_seller_hears_of_a_utr_to_confirm(client, session, world, trader):
    order = wholesale_order(session, world, trader)
    login(client, trader.email)
    client.post(f"/orders/{order.id}/pay/advance", data={"method": "bank", "utr": "123456789012"})
    reload(session)
    told = session.scalars(sa.select(Notification).where(Notification.user_id == world.member_a.user.id,
                                                         Notification.link == f"/orders/{order.id}#pay")).all()
    assert [n.subject for n in told] == [f"Order {order.number}: a bank transfer of ₹10,224.00 to confirm"]
