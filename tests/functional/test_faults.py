"""Faults: a gunicorn worker killed mid-checkout and mid-webhook, a dropped PostgreSQL connection, a full disk.

After each fault the person (or the gateway) does what they would do: press "Place order" again, deliver the
webhook again. Nothing may be lost or doubled: one checkout, stock taken once, one payment, ledger postings
once (conftest checks after every test that the ledger balances), each seller told once.

The worker is killed with SIGKILL by a hook of tests/faults_gunicorn.py, at a chosen SQL statement or just after
a commit; gunicorn's master starts a new worker, which serves the retry. One server serves the whole module.
"""

from __future__ import annotations

import errno
import io
import os
import re
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa

from catalog import images
from catalog.models import Photo, Product, Variant
from market.core.ledger import LedgerEntry, LedgerPosting
from market.core.notifications import Notification
from market.reports.rollups import TOTAL, SalesMonth
from orders.models import Cart, CartItem, Checkout, Order, OrderEvent
from orders.services import cart_for, set_quantity
from payments.fakes.razorpay import FakeRazorpay, MemoryStore
from payments.models import Payment, PaymentEvent, WebhookEvent
from tests.conftest import login, reload
from tests.factories import PASSWORD, category, gen_product, gen_user, photo_bytes
from tests.fakes.server import serve
from tests.faults import PATIENCE, Browser, Gunicorn, csrf_token, hidden

KEY_ID, KEY_SECRET, WEBHOOK_SECRET = "rzp_test_faults0000000", "faults-key-secret", "faults-webhook-secret"
STOCK, WANTED, PRICE = 5, 2, 45_000


@pytest.fixture(scope="module")
def razorpay():
    """A local Razorpay, shared by the module's server and its tests."""
    fake = FakeRazorpay(KEY_ID, KEY_SECRET, WEBHOOK_SECRET, store=MemoryStore())
    with serve(fake) as served:
        fake.url = served.url
        yield fake


@pytest.fixture(scope="module")
def server(database_url, tmp_path_factory, razorpay):
    """Gunicorn with one sync worker on the test database, Razorpay's SDK pointed at the local fake."""
    gunicorn = Gunicorn(database_url, tmp_path_factory.mktemp("gunicorn"), PAYMENT_GATEWAY="razorpay",
                        RAZORPAY_KEY_ID=KEY_ID, RAZORPAY_KEY_SECRET=KEY_SECRET,
                        RAZORPAY_WEBHOOK_SECRET=WEBHOOK_SECRET, RAZORPAY_BASE_URL=razorpay.url)
    try:
        yield gunicorn
    finally:
        gunicorn.stop()


@pytest.fixture
def served(server, session):
    """The module's server, disarmed; `session` (asked for first) empties the tables after the test."""
    server.disarm()
    yield server
    server.disarm()


def buyer_with_cart(session):
    """A buyer with WANTED pieces of a product (STOCK in stock) in her cart; returns (buyer, variant id, shop id)."""
    product = gen_product(session, stock=STOCK, price_paise=PRICE)
    buyer = gen_user(session)
    set_quantity(session, cart_for(session, buyer, None, create=True), product.variants[0].id, WANTED)
    session.commit()
    return buyer, product.variants[0].id, product.business_id


def checkout_form(page: str, shop_id: int, pay_with: str) -> dict[str, str]:
    """What "Place order" sends from this checkout page: the same key on every press."""
    form = {"key": hidden(page, "key"), "expected_total": hidden(page, "expected_total"), "place": "1",
            "pay_with": pay_with, f"delivery-{shop_id}": "pickup"}
    return {**form, "csrf_token": csrf_token(page)} if 'name="csrf_token"' in page else form  # none in test apps


def kill_during(server: Gunicorn, trigger: str, send) -> None:
    """Send a request the worker dies in the middle of; wait for the master's new worker."""
    worker = server.worker_pid()
    server.arm(trigger)
    with pytest.raises(requests.ConnectionError):
        send()
    assert server.fired().startswith("fired:"), f"the worker did not die at {trigger!r}: {server.fired()!r}"
    assert server.wait_ready(not_pid=worker) != worker


def count(session, model, *where) -> int:
    """How many rows of model match."""
    return session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def orders_state(session, buyer_id: int, variant_id: int) -> dict:
    """Everything a checkout writes, as the database has it now."""
    reload(session)
    checkouts = session.scalars(sa.select(Checkout).where(Checkout.buyer_id == buyer_id)).all()
    return {
        "checkouts": len(checkouts),
        "orders": count(session, Order, Order.buyer_id == buyer_id),
        "lines": [line.quantity for c in checkouts for o in c.orders for line in o.lines],
        "payments": count(session, Payment, Payment.checkout_id.in_([c.id for c in checkouts])),
        "stock": session.get(Variant, variant_id).stock,
        "in cart": session.scalar(sa.select(sa.func.coalesce(sa.func.sum(CartItem.quantity), 0))
                                  .join(Cart).where(Cart.user_id == buyer_id)),
    }


NOTHING_PLACED = {"checkouts": 0, "orders": 0, "lines": [], "payments": 0, "stock": STOCK, "in cart": WANTED}
PLACED_ONCE = {"checkouts": 1, "orders": 1, "lines": [WANTED], "payments": 1, "stock": STOCK - WANTED, "in cart": 0}

CHECKOUT_FAULTS = {  # where in "Place order" the worker dies
    "creating the orders": "sql:INSERT INTO order_lines",
    "taking the stock": "sql:UPDATE variants SET stock",
    "recording the payments": "sql:INSERT INTO payments ",
    "after the commit": "commit",
}


@pytest.mark.real_commits  # gunicorn's worker reads what the test wrote, on connections of its own
@pytest.mark.parametrize("where", list(CHECKOUT_FAULTS))
def test_a_worker_killed_during_checkout_then_place_order_again_places_it_once(served, session, where):
    buyer, variant_id, shop_id = buyer_with_cart(session)
    with Browser(served.url) as browser:
        browser.login(buyer.email, PASSWORD)
        form = checkout_form(browser.get("/checkout").text, shop_id, "cash")
        kill_during(served, CHECKOUT_FAULTS[where], lambda: browser.post("/checkout", form))
        # Whole or not at all: never a checkout without its orders, orders without stock taken, or the reverse.
        assert orders_state(session, buyer.id, variant_id) == (PLACED_ONCE if where == "after the commit"
                                                               else NOTHING_PLACED)

        response = browser.post("/checkout", form)  # she presses "Place order" again: the same form, the same key
        assert response.status_code == 302, response.text[:500]
        placed = re.fullmatch(r".*/orders/placed/(\d+)", response.headers["Location"])
        assert placed, response.headers["Location"]
        page = browser.get(f"/orders/placed/{placed.group(1)}")
        assert page.status_code == 200
        assert browser.post("/checkout", form).headers["Location"] == response.headers["Location"]
    assert orders_state(session, buyer.id, variant_id) == PLACED_ONCE
    assert count(session, Notification, Notification.subject.like("New order%")) == 1


def pay_online(server: Gunicorn, razorpay: FakeRazorpay, session, buyer, shop_id: int):
    """The buyer places an order to pay by UPI and pays at Razorpay; returns (payment id, captured webhook)."""
    with Browser(server.url) as browser:
        browser.login(buyer.email, PASSWORD)
        response = browser.post("/checkout", checkout_form(browser.get("/checkout").text, shop_id, "upi"))
        assert response.status_code == 302 and "/payments/pay/" in response.headers["Location"], response.text[:500]
        page = browser.get(response.headers["Location"].removeprefix(server.url))
        assert page.status_code == 200, page.text[:500]
    reload(session)
    payment = session.scalar(sa.select(Payment).join(Checkout).where(Checkout.buyer_id == buyer.id))
    assert payment.status == "created" and payment.gateway_order_id
    razorpay.pay(payment.gateway_order_id)
    hook = next(h for h in razorpay.take_webhooks()
                if h.event == "payment.captured" and payment.gateway_order_id in h.body)
    return payment.id, hook


def payment_state(session, payment_id: int) -> dict:
    """Everything news of a capture writes."""
    reload(session)
    payment = session.get(Payment, payment_id)
    order = payment.checkout.orders[0]
    entries = session.scalars(sa.select(LedgerEntry.kind).where(LedgerEntry.payment_id == payment_id)).all()
    income = session.scalar(sa.select(SalesMonth).where(SalesMonth.business_id == order.business_id,
                                                        SalesMonth.category_id == TOTAL))
    return {
        "status": payment.status,
        "webhooks": count(session, WebhookEvent),
        "captures": count(session, PaymentEvent, PaymentEvent.payment_id == payment_id,
                          PaymentEvent.to_status == "captured"),
        "entries": sorted(entries),
        "postings": count(session, LedgerPosting, LedgerPosting.entry_id.in_(
            sa.select(LedgerEntry.id).where(LedgerEntry.payment_id == payment_id))),
        "income": (income.sales, income.income_paise) if income else None,
        "sellers told": count(session, Notification, Notification.link == f"/orders/{order.id}",
                              Notification.subject.like("New paid order%")),
        "order": (order.status, count(session, OrderEvent, OrderEvent.order_id == order.id)),
    }


NOT_PAID = {"status": "created", "webhooks": 0, "captures": 0, "entries": [], "postings": 0, "income": None,
            "sellers told": 0, "order": ("placed", 1)}
PAID_ONCE = {"status": "captured", "webhooks": 1, "captures": 1, "entries": ["gateway_fee", "payment"],
             "postings": 4, "income": (1, WANTED * PRICE), "sellers told": 1, "order": ("placed", 1)}

WEBHOOK_FAULTS = {  # where in handling "payment.captured" the worker dies
    "recording the event": "sql:INSERT INTO webhook_events",
    "moving the payment": "sql:UPDATE payments SET ",
    "posting the ledger": "sql:INSERT INTO ledger_postings",
    "counting the income": "sql:INSERT INTO sales_months",
    "telling the seller": "sql:INSERT INTO notifications",
    "after the commit": "commit",
}


@pytest.mark.real_commits
@pytest.mark.parametrize("where", list(WEBHOOK_FAULTS))
def test_a_worker_killed_during_a_webhook_then_delivered_again_records_the_payment_once(served, razorpay, session,
                                                                                       where):
    buyer, _variant_id, shop_id = buyer_with_cart(session)
    payment_id, hook = pay_online(served, razorpay, session, buyer, shop_id)
    assert payment_state(session, payment_id) == NOT_PAID

    def deliver() -> requests.Response:
        return requests.post(served.url + "/payments/webhooks/razorpay", data=hook.body.encode(),
                             headers=hook.headers, timeout=PATIENCE)

    kill_during(served, WEBHOOK_FAULTS[where], deliver)
    saved = where == "after the commit"
    assert payment_state(session, payment_id) == (PAID_ONCE if saved else NOT_PAID)

    # Razorpay had no 200, so it delivers the same event again (and again: a retry that crossed our answer).
    again = deliver()
    assert again.status_code == 200 and again.json()["outcome"] == ("duplicate" if saved else "captured")
    assert deliver().json()["outcome"] == "duplicate"
    assert payment_state(session, payment_id) == PAID_ONCE


@pytest.mark.postgres_only
@pytest.mark.real_commits  # the connections are dropped by the server: the app must open new ones
def test_a_dropped_database_connection_is_replaced_and_a_checkout_cut_off_by_it_is_not_half_done(
        make_app, database_url, session):
    buyer, variant_id, shop_id = buyer_with_cart(session)
    app = make_app(PROPAGATE_EXCEPTIONS=False)  # the buyer's error page, not the exception in the test
    client = app.test_client()
    login(client, buyer.email)
    assert client.get("/checkout").status_code == 200  # the app's pool keeps the connection it used
    reload(session)
    admin = sa.create_engine(database_url)
    try:
        with admin.connect() as conn:
            cut = conn.scalars(sa.text("SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity "
                                       "WHERE datname = current_database() AND pid <> pg_backend_pid()")).all()
        assert cut and all(cut)

        page = client.get("/checkout")  # the pool notices the dead connection before using it
        assert page.status_code == 200
        form = checkout_form(page.text, shop_id, "cash")

        cuts = []

        def cut_mid_checkout(conn, _cursor, statement, *_args) -> None:
            if statement.startswith("UPDATE variants SET stock") and not cuts:
                cuts.append(statement)
                pid = conn.connection.dbapi_connection.info.backend_pid
                with admin.connect() as other:
                    assert other.scalar(sa.text("SELECT pg_terminate_backend(:pid, 5000)"), {"pid": pid})

        with app.app_context():
            from market.core import db

            engine = db.engine()
        sa.event.listen(engine, "before_cursor_execute", cut_mid_checkout)
        response = client.post("/checkout", data=form)
        sa.event.remove(engine, "before_cursor_execute", cut_mid_checkout)
        assert cuts and response.status_code == 500
        assert "Nothing was changed; please try again." in response.text
        assert orders_state(session, buyer.id, variant_id) == NOTHING_PLACED

        again = client.post("/checkout", data=form)
        assert again.status_code == 302 and "/orders/placed/" in again.headers["Location"]
        assert orders_state(session, buyer.id, variant_id) == PLACED_ONCE
    finally:
        admin.dispose()


def fill_disk_after(monkeypatch, files: int) -> None:
    """Writing a photo's files fails for lack of space once `files` files are written, half-way into the next."""
    real_open = open
    opened = []

    class FullDisk:
        def __init__(self, file):
            self.file = file

        def __enter__(self):
            return self

        def __exit__(self, *_exc):
            self.file.close()

        def write(self, data: bytes) -> int:
            self.file.write(data[: len(data) // 2])
            self.file.flush()
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    def opening(path, mode="r", *args, **kwargs):
        file = real_open(path, mode, *args, **kwargs)
        opened.append(path)
        return FullDisk(file) if len(opened) > files else file

    monkeypatch.setattr(images, "open", opening, raising=False)


NO_SPACE = "Your photos could not be saved: our server is out of space. Nothing was changed."


def product_form(session, shop_id: int, *photos: bytes) -> dict:
    """The seller's "new product" form with these photos."""
    return {"business": str(shop_id), "title": "Indigo kurti", "category": str(category(session, "kurtis-tops").id),
            "variants-0-price": "450", "variants-0-stock": "2", "publish": "1",
            "photos": [(io.BytesIO(p), f"IMG_00{i}.jpg") for i, p in enumerate(photos)]}


def stored_files(media: Path) -> list[str]:
    """Every file in the media directory, temporary ones included."""
    return sorted(p.name for p in media.iterdir()) if media.exists() else []


def every_photo_has_its_files(session, media: Path) -> bool:
    """No photo row points to a missing file."""
    reload(session)
    return all((media / f"{p.key}-{w}.{ext}").is_file()
               for p in session.scalars(sa.select(Photo)) for w in p.width_list for ext in ("webp", "jpg"))


def test_a_full_disk_during_a_photo_upload_tells_the_seller_and_leaves_nothing_half_saved(
        client, app, world, session, monkeypatch):
    media = Path(app.config["MEDIA_DIR"])
    login(client, world.member_a.user.phone)
    # A new product with two photos: the disk fills while the second photo's files are written.
    fill_disk_after(monkeypatch, 8)  # an 800 x 600 photo makes 3 widths x 2 formats = 6 files
    response = client.post("/seller/products/new", content_type="multipart/form-data",
                           data=product_form(session, world.shop_a.id, photo_bytes(), photo_bytes()))
    assert response.status_code == 200
    assert NO_SPACE in response.text and 'class="flash flash-error" role="alert"' in response.text
    reload(session)
    assert count(session, Product) == 0 and count(session, Photo) == 0
    assert stored_files(media) == []  # neither the first photo's files nor the second's half-written ones

    # Once there is space again, she lists it with one photo; then adding a second fills the disk.
    monkeypatch.undo()
    saved = client.post("/seller/products/new", content_type="multipart/form-data",
                        data=product_form(session, world.shop_a.id, photo_bytes()))
    assert saved.status_code == 302
    before = stored_files(media)
    assert len(before) == 6
    product_id = int(re.search(r"/seller/products/(\d+)/edit", saved.headers["Location"]).group(1))
    fill_disk_after(monkeypatch, 3)
    form = {**product_form(session, world.shop_a.id, photo_bytes(colour=(20, 90, 160))), "title": "Renamed kurti"}
    response = client.post(f"/seller/products/{product_id}/edit", content_type="multipart/form-data", data=form)
    assert response.status_code == 200 and NO_SPACE in response.text
    reload(session)
    product = session.get(Product, product_id)
    assert product.title == "Indigo kurti" and len(product.photos) == 1
    assert stored_files(media) == before
    assert every_photo_has_its_files(session, media)
