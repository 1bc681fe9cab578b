"""The admins' overview: orders, payments and refunds across the site, searched and filtered; refunds the gateway
refused, tried again through payments.outbox; what each `payments reconcile` run found and repaired."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime

import sqlalchemy as sa

from market import overview_views as views
from market.core.jobs import Job
from market.core.models import AuditEntry
from orders.models import Order
from payments.models import Payment, ReconcileFinding, ReconcileRun, Refund
from tests.conftest import login, reload
from tests.functional.payments.conftest import checkout, open_payment
from tests.functional.payments.test_razorpay import paid, reconcile


def numbers(page: str) -> list[str]:
    """The order numbers in the page's main table, in order."""
    table = page.split("<tbody>")[-1].split("</tbody>")[0] if "<tbody>" in page else ""
    return re.findall(r"<strong>(H-\d{6})</strong>", table)


def stocked(session, goods):
    """Enough of both for several checkouts."""
    for product in goods:
        product.variants[0].stock = 50
    session.commit()


def as_admin(client, world):
    client.post("/auth/logout")
    login(client, world.admin.email)


def test_admin_finds_an_order_by_number_or_shop_and_filters_by_status_date_and_shop(client, session, world, goods):
    stocked(session, goods)
    cash = [checkout(client, session, world, goods, pay_with="cash") for _ in range(3)]  # 2 orders each
    a_orders = [o for placed in cash for o in placed.orders if o.business_id == world.shop_a.id]
    first = a_orders[0]
    session.execute(sa.update(Order).where(Order.id == first.id).values(
        status="cancelled", placed_at=datetime(2026, 11, 3, 6, 0, tzinfo=UTC)))
    session.commit()
    as_admin(client, world)
    everything = numbers(client.get("/admin/orders").text)
    assert len(everything) == 6 and everything == sorted(everything, reverse=True)  # newest first
    for spelling in (first.number, first.number.lower(), str(first.id), f" H {first.id} "):
        assert numbers(client.get("/admin/orders", query_string={"q": spelling}).text) == [first.number]
    by_shop = numbers(client.get("/admin/orders", query_string={"q": "rangoli"}).text)  # "Rangoli Stitches"
    assert sorted(by_shop) == sorted(o.number for o in a_orders)
    assert numbers(client.get("/admin/orders?status=cancelled").text) == [first.number]
    assert numbers(client.get("/admin/orders?from=2026-11-01&to=2026-11-30").text) == [first.number]
    shop_b = numbers(client.get(f"/admin/orders?shop={world.shop_b.id}").text)
    assert len(shop_b) == 3 and first.number not in shop_b
    assert len(numbers(client.get("/admin/orders?status=junk&from=never&shop=x").text)) == 6  # junk: no filter
    assert "No order matches." in client.get("/admin/orders?q=H-999999").text


def test_the_orders_list_pages_with_its_filters(client, app, session, world, goods):
    stocked(session, goods)
    for _ in range(3):
        checkout(client, session, world, goods, pay_with="cash")
    as_admin(client, world)

    views.PER_PAGE, before = 2, views.PER_PAGE
    try:
        first = client.get(f"/admin/orders?shop={world.shop_a.id}").text
        link = re.search(r'class="more"><a class="button secondary" href="([^"]+)"', first).group(1)
        second = client.get(link.replace("&amp;", "&")).text
        assert len(numbers(first)) == 2 and len(numbers(second)) == 1
        assert not set(numbers(first)) & set(numbers(second))
    finally:
        views.PER_PAGE = before


def test_admin_filters_payments_by_status_and_gateway_and_finds_one_by_order_number(client, session, world, goods,
                                                                                   razorpay):
    online = paid(client, session, world, goods, razorpay)  # one payment for two orders, captured
    waiting = checkout(client, session, world, goods)  # another, not paid
    open_payment(client, session, waiting)
    cash = checkout(client, session, world, goods, pay_with="cash")
    as_admin(client, world)

    def ids(query: str) -> list[int]:
        page = client.get("/admin/payments" + query).text
        body = page.split("<tbody>")[-1].split("</tbody>")[0] if "<tbody>" in page else ""
        return [int(n) for n in re.findall(r'<td class="num">(\d+)</td>', body)]

    assert ids("?status=captured&gateway=razorpay") == [online.payment.id]
    assert ids("?status=created&gateway=razorpay") == [waiting.payment.id]
    assert sorted(ids("?gateway=cash")) == sorted(p.id for p in session.scalars(
        sa.select(Payment).where(Payment.checkout_id == cash.checkout.id)))
    order = online.orders[1]
    assert ids(f"?q={order.number}") == [online.payment.id]
    gateway_id = session.get(Payment, online.payment.id).gateway_payment_id
    assert ids(f"?q={gateway_id}") == [online.payment.id]


def test_a_refund_the_gateway_refused_is_listed_and_tried_again_through_the_outbox(client, session, world, goods,
                                                                                  razorpay):
    placed = paid(client, session, world, goods, razorpay)
    order_a = next(o for o in placed.orders if o.business_id == world.shop_a.id)
    gateway_id = session.get(Payment, placed.payment.id).gateway_payment_id
    with razorpay.store.transaction() as state:  # the gateway will not refund it (for now)
        state["payments"][gateway_id]["captured"] = False
    client.post(f"/orders/{order_a.id}/status", data={"to": "cancelled"})
    reload(session)
    [refused] = session.scalars(sa.select(Refund)).all()
    assert refused.status == "failed" and "captured can be refunded" in refused.problem
    assert session.get(Order, order_a.id).status == "refunded"  # what the buyer sees: the money is owed

    as_admin(client, world)
    page = client.get("/admin/refunds").text
    assert "Refused by the gateway" in page and order_a.number in page and "captured can be refunded" in page
    with razorpay.store.transaction() as state:  # fixed on the gateway's side
        state["payments"][gateway_id]["captured"] = True
    response = client.post(f"/admin/refunds/{refused.id}/retry")
    assert response.status_code == 302
    reload(session)
    retried = session.scalar(sa.select(Refund).where(Refund.retry_of_id == refused.id))
    assert retried.status == "processed" and retried.amount_paise == refused.amount_paise
    assert session.get(Payment, placed.payment.id).refunded_paise == refused.amount_paise
    assert session.scalar(sa.select(AuditEntry.action).where(AuditEntry.subject_type == "order")) == "retry_refund"
    assert "Refused by the gateway" not in client.get("/admin/refunds").text
    again = client.post(f"/admin/refunds/{refused.id}/retry")  # once per refusal
    assert again.status_code == 302 and "tried again already" in client.get(again.location).text
    reload(session)
    assert session.scalar(sa.select(sa.func.count()).select_from(Refund)) == 2
    assert f"sent a refused refund of order {order_a.number} to the gateway again" in \
        client.get("/admin/audit?what=retry_refund").text


def test_each_reconcile_run_is_kept_with_what_it_repaired(pay_app, client, session, world, goods, razorpay):
    import razorpay as sdk

    from tests.functional.payments.conftest import KEY_ID, KEY_SECRET

    placed = paid(client, session, world, goods, razorpay)
    sdk.Client(auth=(KEY_ID, KEY_SECRET), base_url=razorpay.url).payment.refund(
        session.get(Payment, placed.payment.id).gateway_payment_id, {"amount": 2_500})
    razorpay.take_webhooks()  # lost
    assert "Every payment matches" in reconcile(pay_app).output or "not recorded" in reconcile(pay_app).output
    reconcile(pay_app, "--repair")
    reconcile(pay_app, "--repair")
    reload(session)
    runs = session.scalars(sa.select(ReconcileRun).order_by(ReconcileRun.id)).all()
    assert [(r.repair, r.found, r.repaired) for r in runs] == [(False, 1, 0), (False, 1, 0), (True, 1, 1),
                                                              (True, 0, 0)]
    assert all(r.finished_at is not None and r.checked >= 1 for r in runs)
    [finding] = session.scalars(sa.select(ReconcileFinding).where(ReconcileFinding.repaired)).all()
    assert finding.payment_id == placed.payment.id and "not recorded here" in finding.problem
    as_admin(client, world)
    page = client.get("/admin/reconcile").text
    assert "not recorded here" in page and "repaired" in page and "everything matched" in page


def test_orders_export_in_the_request_or_as_a_job_when_large(client, app, session, world, goods):
    checkout(client, session, world, goods, pay_with="cash")
    as_admin(client, world)
    small = client.get("/admin/orders/export.csv")
    table = list(csv.reader(io.StringIO(small.data.decode("utf-8-sig"))))
    assert table[0][:3] == ["Order", "Placed", "Shop"] and len(table) == 3
    app.config["EXPORT_INLINE_ROWS"] = 1
    large = client.get("/admin/orders/export.xlsx")
    assert large.status_code == 302 and "/jobs/" in large.location
    reload(session)
    job = session.scalar(sa.select(Job).where(Job.kind == "export"))
    assert job.status == "done" and job.outcome == {"file": "haat-orders.xlsx", "rows": 2}
    assert "Writing row" not in client.get(large.location).text  # done: the file waits
    with client.get(f"/jobs/{job.id}/download") as download:
        assert download.data[:2] == b"PK"
