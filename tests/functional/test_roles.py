"""What each role may open: one row per page, a column per role; every route must have a row."""

from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa

from catalog.images import process_upload
from catalog.models import ImportJob
from catalog.services import add_photo
from orders.models import Checkout, Order, QuoteRequest
from orders.services import Delivery, cart_for, place_order, set_quantity
from tests.conftest import login
from tests.factories import gen_product, photo_bytes
from vendors.models import OnboardingJob

ANON, ENT, BUY, WHO, STAFF, ADMIN = "anonymous", "entrepreneur", "buyer", "wholesaler", "staff", "admin"
EVERYONE = (ANON, ENT, BUY, WHO, STAFF, ADMIN)


def only(*roles, anonymous=302, others=403):
    """Expected status per role: 200 for the given roles, a login redirect for anonymous, 403 for others."""
    return {role: 200 if role in roles else (anonymous if role == ANON else others) for role in EVERYONE}


# endpoint -> (url template, expected status per role); {org} is organisation A, staff's own.
MATRIX = {
    "main.home": ("/", only(*EVERYONE)),
    "main.healthz": ("/healthz", only(*EVERYONE)),
    "main.set_language": ("/language/hi", {role: 302 for role in EVERYONE}),
    "main.service_worker": ("/sw.js", only(*EVERYONE)),
    "main.offline": ("/offline", only(*EVERYONE)),
    "auth.login": ("/auth/login", only(ANON, others=302)),
    "auth.signup": ("/auth/signup", only(ANON, others=302)),
    "auth.logout": ("/auth/logout", {role: 405 for role in EVERYONE}),  # POST only
    "auth.account": ("/auth/account", only(ENT, BUY, WHO, STAFF, ADMIN)),
    "auth.notifications": ("/auth/notifications", only(ENT, BUY, WHO, STAFF, ADMIN)),
    "auth.my_data": ("/auth/my-data", only(ENT, BUY, WHO, STAFF, ADMIN)),
    "auth.erase": ("/auth/erase", only(ENT, BUY, WHO, STAFF, ADMIN)),
    "seller.home": ("/seller/", only(ENT)),
    "staff.home": ("/staff/", only(STAFF, ADMIN)),
    "staff.organisation": ("/staff/organisations/{org}", only(STAFF, ADMIN)),
    "staff.group": ("/staff/groups/{group}", only(STAFF, ADMIN)),
    "staff.member": ("/staff/members/{member}", only(STAFF, ADMIN)),
    "catalog.browse_products": ("/shop", only(*EVERYONE)),
    "catalog.search": ("/search?q=kurti", only(*EVERYONE)),
    "catalog.product": ("/p/{product}", only(*EVERYONE)),
    "catalog.shop": ("/s/{shop}", only(*EVERYONE)),
    "catalog.shops": ("/shops", only(*EVERYONE)),
    "catalog.media": ("/media/{photo}", only(*EVERYONE)),
    "products.mine": ("/seller/products/", only(ENT)),
    "products.new": ("/seller/products/new", only(ENT)),
    "products.edit": ("/seller/products/{product}/edit", only(ENT)),
    "products.change_status": ("/seller/products/{product}/status", {role: 405 for role in EVERYONE}),
    "products.delete_photo": ("/seller/products/{product}/photos/1/delete", {role: 405 for role in EVERYONE}),
    "products.shop_settings": ("/seller/products/shops/{shop_id}", only(ENT)),
    "products.pause_shop": ("/seller/products/shops/{shop_id}/pause", {role: 405 for role in EVERYONE}),
    "imports.new": ("/staff/imports/new?business={shop_id}", only(STAFF, ADMIN)),
    "imports.show": ("/staff/imports/{job}", only(STAFF, ADMIN)),
    "orders.add_to_cart": ("/cart/add", {role: 405 for role in EVERYONE}),
    "orders.cart": ("/cart", only(*EVERYONE)),
    "orders.update_cart": ("/cart/items/1", {role: 405 for role in EVERYONE}),
    "orders.checkout": ("/checkout", {role: 302 for role in EVERYONE}),  # an empty cart goes back to the cart
    "orders.placed": ("/orders/placed/{checkout}", only(BUY, others=404)),
    "orders.history": ("/orders", only(ENT, BUY, WHO, STAFF, ADMIN)),
    "orders.show": ("/orders/{order}", only(BUY, ENT, ADMIN, others=404)),
    "orders.change_status": ("/orders/{order}/status", {role: 405 for role in EVERYONE}),
    # The matrix's order is still "placed": no invoice yet, so its parties go back to the order page.
    "orders.invoice": ("/orders/{order}/invoice.pdf", {**only(BUY, ENT, ADMIN, others=404), BUY: 302, ENT: 302,
                                                        ADMIN: 302}),
    "orders.message": ("/orders/{order}/messages", {role: 405 for role in EVERYONE}),
    "orders.reorder_view": ("/orders/{order}/reorder", {role: 405 for role in EVERYONE}),
    "orders.seller": ("/seller/orders", only(ENT)),
    "quotes.new": ("/quotes/new/{product}", only(WHO)),
    "quotes.mine": ("/quotes/", only(ENT, WHO)),
    "quotes.show": ("/quotes/{quote}", only(ENT, WHO, others=404)),
    "quotes.respond": ("/quotes/{quote}/answer", {role: 405 for role in EVERYONE}),
    "quotes.order": ("/quotes/{quote}/order", {role: 405 for role in EVERYONE}),
    # The matrix's checkout was placed without a payment: its buyer is sent on to the "placed" page.
    "payments.pay": ("/payments/pay/{checkout}", {**only(BUY, others=404), BUY: 302}),
    "payments.callback": ("/payments/1/callback", {role: 405 for role in EVERYONE}),
    "payments.stripe_done": ("/payments/1/stripe-done", {role: 404 for role in EVERYONE}),
    "payments.razorpay_webhook": ("/payments/webhooks/razorpay", {role: 405 for role in EVERYONE}),
    "payments.stripe_webhook": ("/payments/webhooks/stripe", {role: 405 for role in EVERYONE}),
    "payments.demo_checkout": ("/payments/demo/checkout", {role: 405 for role in EVERYONE}),
    "payments.demo_pay": ("/payments/demo/pay", {role: 405 for role in EVERYONE}),
    "payments.cash_received": ("/orders/{order}/cash-received", {role: 405 for role in EVERYONE}),
    "payments.refund": ("/orders/{order}/refund", {role: 405 for role in EVERYONE}),
    "payments.sales": ("/seller/sales", only(ENT)),
    "seller.money": ("/seller/money", only(ENT)),
    "seller.new_loan": ("/seller/money/loans/new", only(ENT)),
    "seller.loan": ("/seller/money/loans/1", {**only(ENT), ENT: 404}),  # the matrix's member has no loan 1
    "seller.new_goal": ("/seller/money/goals/new", only(ENT)),
    "seller.shares": ("/seller/money/shares", only(ENT)),
    "seller.repaid": ("/seller/money/loans/1/repaid", {role: 405 for role in EVERYONE}),
    "seller.saved_in_cash": ("/seller/money/savings", {role: 405 for role in EVERYONE}),
    "dashboards.start": ("/staff/dashboard/", {**only(STAFF, ADMIN), STAFF: 302, ADMIN: 302}),
    "dashboards.show": ("/staff/dashboard/organisation/{org}", only(STAFF, ADMIN)),
    "dashboards.export": ("/staff/dashboard/organisation/{org}/export.csv", only(STAFF, ADMIN)),
    "staff.group_saving": ("/staff/groups/{group}/saving", {role: 405 for role in EVERYONE}),
    "orders.wholesalers": ("/wholesalers", only(STAFF, ADMIN)),
    "orders.decide": ("/wholesalers/1", {role: 405 for role in EVERYONE}),
    "onboarding.new": ("/staff/onboarding/new", only(STAFF, ADMIN)),
    "onboarding.show": ("/staff/onboarding/{onboarding}", only(STAFF, ADMIN)),
    "onboarding.sample": ("/staff/onboarding/sample.csv", only(STAFF, ADMIN)),
    "onboarding.setup_codes": ("/staff/groups/{group}/setup-codes", {role: 405 for role in EVERYONE}),
    "onboarding.first_login": ("/welcome", only(ANON, others=302)),
    "admin.home": ("/admin/", only(ADMIN)),
    "admin.staff": ("/admin/staff", only(ADMIN)),
    "admin.audit_log": ("/admin/audit", only(ADMIN)),
}


def test_every_route_has_a_row(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()} - {"static"}
    assert endpoints == set(MATRIX), "add the new route to MATRIX with what each role may do"


@pytest.fixture
def listed(world, session, app):
    """A product of shop A with one photo."""
    product = gen_product(session, world.shop_a)
    with app.app_context():
        stored = process_upload(photo_bytes(), Path(app.config["MEDIA_DIR"]))
    add_photo(session, product, stored)
    session.add(ImportJob(business_id=world.shop_a.id, created_by_id=world.staff_a.id, status="done"))
    session.add(OnboardingJob(organisation_id=world.org_a.id, created_by_id=world.staff_a.id, status="done"))
    cart = cart_for(session, world.buyer, None, create=True)
    set_quantity(session, cart, product.variants[0].id, 1)
    place_order(session, world.buyer, cart, "matrix", Delivery({world.shop_a.id: "pickup"}), product.price_paise)
    session.add(QuoteRequest(buyer_id=world.wholesaler.id, business_id=world.shop_a.id,
                             variant_id=product.variants[0].id, quantity=50, target_price_paise=40_000,
                             needed_by=date(2030, 1, 1)))
    session.commit()
    return product


@pytest.mark.parametrize("role", EVERYONE)
@pytest.mark.parametrize("endpoint", sorted(MATRIX))
def test_role_may_open_only_its_pages(client, world, session, listed, endpoint, role):
    url, expected = MATRIX[endpoint]
    url = url.format(org=world.org_a.id, group=world.group_a.id, member=world.member_a.id, product=listed.id,
                     shop=world.shop_a.slug, shop_id=world.shop_a.id,
                     photo=f"{listed.photos[0].key}-{listed.photos[0].width_list[0]}.webp",
                     job=session.scalar(sa.select(ImportJob.id)),
                     onboarding=session.scalar(sa.select(OnboardingJob.id)), order=session.scalar(sa.select(Order.id)),
                     checkout=session.scalar(sa.select(Checkout.id)), quote=session.scalar(sa.select(QuoteRequest.id)))
    if role != ANON:
        user = world.user(role)
        assert login(client, user.email or user.phone).status_code == 302
    with client.get(url) as response:  # closes file responses (photos)
        status, location = response.status_code, response.headers.get("Location", "")
    assert status == expected[role], f"{role} on {url}"
    if status == 302 and role == ANON and endpoint != "main.set_language":
        assert location.startswith("/auth/login")
