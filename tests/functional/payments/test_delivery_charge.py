"""The delivery charge is not her sale: her income, her plan's shares and the Rs 10,000 count use the goods only;
the charge has its own ledger account, owed to whoever delivers (the shop: she delivers her own orders)."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from market.core import clock, ledger
from market.reports import rollups
from orders.models import Order
from payments.models import Payment
from tests.conftest import login, reload
from tests.factories import gen_product
from tests.functional.payments.conftest import (
    KEY_ID,
    KEY_SECRET,
    STRIPE_KEY,
    STRIPE_WEBHOOK_SECRET,
    WEBHOOK_SECRET,
    open_payment,
)
from vendors import finance

FEE_BPS = 250
KURTA, DELIVERY = 65_000, 4_000  # a Rs 650 kurta, Rs 40 local delivery
FEE = KURTA * FEE_BPS // 10_000  # Haat's fee is on the goods


@pytest.fixture
def pay_app(make_app, razorpay, stripe_fake):
    return make_app(PAYMENT_GATEWAY="razorpay", RAZORPAY_KEY_ID=KEY_ID, RAZORPAY_KEY_SECRET=KEY_SECRET,
                    RAZORPAY_WEBHOOK_SECRET=WEBHOOK_SECRET, RAZORPAY_BASE_URL=razorpay.url,
                    STRIPE_SECRET_KEY=STRIPE_KEY, STRIPE_WEBHOOK_SECRET=STRIPE_WEBHOOK_SECRET,
                    STRIPE_API_BASE=stripe_fake.url, PLATFORM_FEE_BPS=FEE_BPS)


@pytest.fixture
def kurta(world, session):
    world.group_a.monthly_saving_paise = 1_000_00
    finance.set_shares(session, world.member_a, [finance.Share("savings", percent_bps=1000)])  # 10% of each sale
    product = gen_product(session, world.shop_a, title="Cotton kurta", price_paise=KURTA, stock=5)
    session.commit()
    return product


def order_delivered_locally(client, session, world, kurta, pay_with: str) -> Order:
    login(client, world.buyer.email)
    client.post("/cart/add", data={"variant": kurta.variants[0].id, "quantity": 1})
    page = client.post("/checkout", data={"recheck": "1", f"delivery-{world.shop_a.id}": "local",
                                          "ship_name": "Asha", "ship_address": "12 Temple Road, Pune",
                                          "ship_pincode": "411001"}).text
    data = {"key": re.search(r'name="key" type="hidden" value="([^"]+)"', page).group(1),
            "expected_total": re.search(r'name="expected_total" type="hidden" value="(\d+)"', page).group(1),
            "place": "1", "pay_with": pay_with, f"delivery-{world.shop_a.id}": "local", "ship_name": "Asha",
            "ship_address": "12 Temple Road, Pune", "ship_pincode": "411001"}
    assert client.post("/checkout", data=data).status_code == 302
    reload(session)
    order = session.scalar(sa.select(Order).order_by(Order.id.desc()))
    assert (order.subtotal_paise, order.delivery_fee_paise) == (KURTA, DELIVERY)
    return order


def paid_by_upi(client, session, world, kurta, razorpay) -> Order:
    order = order_delivered_locally(client, session, world, kurta, "upi")
    payment = session.scalar(sa.select(Payment).where(Payment.checkout_id == order.checkout_id))

    class Placed:
        checkout = order.checkout

    Placed.payment = payment
    client.post(f"/payments/{payment.id}/callback", data=razorpay.pay(open_payment(client, session, Placed)))
    razorpay.take_webhooks()
    reload(session)
    return session.get(Order, order.id)


def income(session, business_id: int) -> dict[int, int]:
    return {c: i for c, i in session.execute(sa.select(rollups.SalesMonth.category_id, rollups.SalesMonth.income_paise)
                                             .where(rollups.SalesMonth.business_id == business_id)).all() if i}


def test_an_online_order_s_delivery_charge_is_not_her_income_nor_the_base_of_her_shares(pay_app, session, world,
                                                                                       kurta, razorpay):
    client = pay_app.test_client()
    order = paid_by_upi(client, session, world, kurta, razorpay)
    shop = world.shop_a.id
    share = (KURTA - FEE) * 1000 // 10_000
    assert ledger.balance(session, ledger.delivery(shop)) == -DELIVERY  # owed to whoever delivers: the shop
    assert ledger.balance(session, ledger.PLATFORM_FEES) == -FEE
    assert ledger.balance(session, ledger.member_savings(world.member_a.id)) == -share  # 10% of Rs 650 less fee
    assert ledger.balance(session, ledger.payable(shop)) == -(KURTA - FEE) + share
    assert income(session, shop) == {rollups.TOTAL: KURTA - FEE, kurta.category_id: KURTA - FEE}  # no "Other"
    member_month = session.scalar(sa.select(rollups.MemberMonth.income_paise)
                                  .where(rollups.MemberMonth.member_id == world.member_a.id))
    assert member_month == KURTA - FEE  # the Rs 10,000-a-month count adds goods only
    assert finance.month_income(session, [shop], clock.today()) == KURTA - FEE  # her card's "income this month"
    client.post(f"/orders/{order.id}/status", data={"to": "cancelled"})  # the buyer cancels: all of it back
    reload(session)
    assert session.get(Order, order.id).status == "refunded"
    for code in (ledger.delivery(shop), ledger.payable(shop), ledger.PLATFORM_FEES,
                 ledger.member_savings(world.member_a.id)):
        assert ledger.balance(session, code) == 0, code
    assert income(session, shop) == {}


def test_a_part_refund_gives_back_delivery_in_proportion_and_her_income_only_the_goods_part(pay_app, session,
                                                                                          world, kurta, razorpay):
    client = pay_app.test_client()
    order = paid_by_upi(client, session, world, kurta, razorpay)
    client.post("/auth/logout")
    login(client, world.member_a.user.phone)
    client.post(f"/orders/{order.id}/refund", data={"amount": "345.00"})  # half of Rs 690
    reload(session)
    shop = world.shop_a.id
    assert ledger.balance(session, ledger.delivery(shop)) == -DELIVERY // 2
    fee_back = FEE * 34_500 // 69_000
    assert ledger.balance(session, ledger.PLATFORM_FEES) == -(FEE - fee_back)
    assert income(session, shop)[rollups.TOTAL] == (KURTA - FEE) - (34_500 - DELIVERY // 2 - fee_back)


def test_a_cash_on_delivery_order_counts_the_goods_as_her_sale_and_the_delivery_apart(pay_app, session, world,
                                                                                      kurta):
    client = pay_app.test_client()
    order = order_delivered_locally(client, session, world, kurta, "cash")
    client.post("/auth/logout")
    login(client, world.member_a.user.phone)
    client.post(f"/orders/{order.id}/cash-received")
    reload(session)
    shop = world.shop_a.id
    assert ledger.balance(session, ledger.cash(shop)) == KURTA + DELIVERY
    assert ledger.balance(session, ledger.set_aside(shop)) == KURTA * 1000 // 10_000  # her share of the kurta only
    assert ledger.balance(session, ledger.cash_sales(shop)) == -KURTA
    assert ledger.balance(session, ledger.delivery(shop)) == -DELIVERY
    assert ledger.balance(session, ledger.member_savings(world.member_a.id)) == -KURTA * 1000 // 10_000
    assert income(session, shop) == {rollups.TOTAL: KURTA, kurta.category_id: KURTA}


def test_the_buyer_s_list_says_paid_cash_or_due(pay_app, session, world, kurta, razorpay):
    client = pay_app.test_client()
    paid = paid_by_upi(client, session, world, kurta, razorpay)
    cash = order_delivered_locally(client, session, world, kurta, "cash")
    due = order_delivered_locally(client, session, world, kurta, "upi")  # left at the gateway's page
    rows = {m.group(1): m.group(2) for m in re.finditer(r"(H-\d{6}) · .*?</strong>(.*?)</a>",
                                                        client.get("/orders").text, re.S)}
    assert "Paid" in rows[paid.number]
    assert "Cash on delivery" in rows[cash.number]
    assert "Not paid yet" in rows[due.number]
