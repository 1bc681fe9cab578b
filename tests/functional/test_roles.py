"""The authorisation matrix: every route of the URL map, by method, against every role.

MATRIX has one entry per (endpoint, method) of `app.url_map`: its URL (whose objects belong to organisation A,
shop A, member A and the buyer), what a POST sends, the status each role gets, and whose requests change the
database. A route or method without an entry, or an entry without a route, fails the suite.

A request changes the database exactly when its entry says so: never when refused (403, 404, a redirect to the
login page). Where a role may write, the data sent is good enough that it does, so a missing check could not
hide behind a form error. The town is built once for the module; after a request that changed anything, every
table and the photo and search folders are put back as they were.
"""

from __future__ import annotations

import functools
import io
import json
import shutil
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from catalog import moderation
from catalog.images import process_upload
from catalog.services import add_photo
from market import create_app
from market.core import clock
from market.core import db as market_db
from market.core.db import Base, make_engine
from market.core.extensions import limiter
from market.core.jobs import Job
from market.core.models import Role
from orders.models import QuoteRequest, WholesalerProfile
from orders.services import Delivery, cart_for, place_order, set_quantity
from payments import services as payments
from payments.models import Refund
from tests import factories
from tests.conftest import TEST_CONFIG, check_ledger_balances, empty_all_tables, login
from vendors import finance
from vendors.groupfund import services as group_books

ANON, BUYER, WHOLESALER = "anonymous", "buyer", "wholesaler"
OWNER, OTHER = "owner_seller", "other_seller"  # member A owns shop A; member B owns shop B (organisation B)
STAFF_A, STAFF_B, ADMIN = "staff_same_org", "staff_other_org", "admin"
ROLES = (ANON, BUYER, WHOLESALER, OWNER, OTHER, STAFF_A, STAFF_B, ADMIN)
USERS = ROLES[1:]
SELLERS = (OWNER, OTHER)
STAFF = (STAFF_A, STAFF_B, ADMIN)
LOGIN = "login"  # a redirect to the login page
IGNORED_METHODS = {"HEAD", "OPTIONS"}  # Werkzeug adds them to every rule


# A browser's push subscription as its page sends it (JSON): an endpoint, a 65-byte key and a 16-byte secret.
PHONE_SUBSCRIPTION = json.dumps({"endpoint": "http://push.demo/push/roles", "keys": {
    "p256dh": "BA" + "A" * 85, "auth": "A" * 22}})


@dataclass(frozen=True)
class Entry:
    """What one (endpoint, method) is sent and what each role gets back."""

    urls: tuple[str, ...]
    expect: dict[str, int | str]
    writes: frozenset[str] = frozenset()
    data: Callable[[dict], dict] | None = None


def row(url: str | tuple[str, ...], expect: dict, writes=(), data: Callable[[dict], dict] | None = None) -> Entry:
    """An entry; `url` is one URL template, or several when one endpoint has several rules."""
    assert set(expect) == set(ROLES), "every role needs an expected status"
    return Entry((url,) if isinstance(url, str) else url, expect, frozenset(writes), data)


def only(*allowed: str, ok: int = 200, anonymous: int | str = LOGIN, others: int = 403) -> dict[str, int | str]:
    """`ok` for the allowed roles, a login redirect for anonymous, `others` for everyone else."""
    return {role: ok if role in allowed else anonymous if role == ANON else others for role in ROLES}


def every(status: int) -> dict[str, int]:
    """The same status for every role."""
    return dict.fromkeys(ROLES, status)


def product_form(ids: dict, **change) -> dict:
    """A complete product form for shop A."""
    return {"business": ids["shop_id"], "title": "Block-print cotton kurti", "category": ids["category"],
            "description": "Soft cotton, hand block print.", "variants-0-price": "450", "variants-0-stock": "5",
            **change}


def csv_file(text: str, name: str) -> tuple[io.BytesIO, str]:
    """An uploaded CSV file (made anew for each request: the client reads it to the end)."""
    return io.BytesIO(text.encode("utf-8-sig")), name


def loan_form(_ids: dict) -> dict:
    """A loan she can add to her plan."""
    return {"source": "shg", "lender": "Our SHG", "principal": "12000", "rate": "12", "method": "declining",
            "tenure": "12", "start": (clock.today() - timedelta(days=10)).isoformat()}


# (endpoint, method) -> what each role gets. Objects: {org}, {group}, {member} are organisation A's; {product},
# {variant}, {photo_id} are shop A's; {order} is the buyer's open cash order from shop A, {paid} one whose cash
# shop A has received; {quote} is the wholesaler's request to shop A, {accepted} one that shop A accepted.
MATRIX: dict[tuple[str, str], Entry] = {
    ("main.home", "GET"): row("/", every(200)),
    ("main.healthz", "GET"): row("/healthz", every(200)),
    ("main.set_language", "POST"): row("/language/hi", every(302), writes=USERS),  # remembered on the account
    ("main.language_later", "POST"): row("/language/later", every(302)),  # a cookie only
    ("main.service_worker", "GET"): row("/sw.js", every(200)),
    ("main.offline", "GET"): row("/offline", every(200)),

    ("auth.login", "GET"): row("/auth/login", only(ANON, others=302)),
    ("auth.login", "POST"): row("/auth/login", only(ANON, others=302)),
    ("auth.signup", "GET"): row("/auth/signup", only(ANON, others=302)),
    # Nobody makes herself an admin: only buyers and wholesalers sign up.
    ("auth.signup", "POST"): row("/auth/signup", only(ANON, others=302), data=lambda ids: {
        "name": "Sneaky", "login": "sneaky@example.org", "password": "a-good-password-1",
        "confirm": "a-good-password-1", "role": "admin"}),
    # Without a sign-up of her own in her session, back to the sign-up form.
    ("auth.signup_code", "GET"): row("/auth/signup/code", every(302)),
    ("auth.signup_code", "POST"): row("/auth/signup/code", every(302), data=lambda ids: {"code": "12345678"}),
    ("auth.logout", "POST"): row("/auth/logout", every(302), writes=USERS),  # her login session is ended
    # Each role is logged in on one phone only: there is no other session to end.
    ("auth.logout_others", "POST"): row("/auth/logout-others", only(*USERS, ok=302)),
    ("auth.account", "GET"): row("/auth/account", only(*USERS)),
    # Without her current password nothing changes (the form is shown again).
    ("auth.account", "POST"): row("/auth/account", only(*USERS), data=lambda ids: {"new": "another-pass-123"}),
    ("auth.my_data", "GET"): row("/auth/my-data", only(*USERS)),
    ("auth.erase", "GET"): row("/auth/erase", only(*USERS)),
    ("auth.erase", "POST"): row("/auth/erase", only(*USERS), data=lambda ids: {"confirm": "y"}),  # no password
    # "Forgot password" answers alike for every number; no row for a number without an account.
    ("auth.forgot", "GET"): row("/auth/forgot", only(ANON, others=302)),
    ("auth.forgot", "POST"): row("/auth/forgot", every(302), data=lambda ids: {"login": "+91 99999 00000"}),
    ("auth.reset", "GET"): row("/auth/forgot/code", every(302)),  # nothing asked for in her session
    ("auth.reset", "POST"): row("/auth/forgot/code", every(302), data=lambda ids: {"code": "123456"}),
    ("auth.login_code", "GET"): row("/auth/login/code", only(ANON, others=302)),
    ("auth.login_code", "POST"): row("/auth/login/code", every(302), data=lambda ids: {"login": "+91 99999 00000"}),
    ("auth.login_code_enter", "GET"): row("/auth/login/code/enter", every(302)),  # nothing asked for yet
    ("auth.login_code_enter", "POST"): row("/auth/login/code/enter", every(302), data=lambda ids: {"code": "123456"}),
    ("auth.alerts", "POST"): row("/auth/account/alerts", only(*USERS, ok=302), writes=USERS),
    ("main.demo_phone", "GET"): row("/demo/sms", every(200)),  # the demo provider's inbox: no database row
    ("main.demo_push_subscribe", "POST"): row("/demo/push/subscribe", only(*USERS)),  # the demo's push service
    ("auth.phone_alerts_on", "POST"): row("/auth/account/phone-alerts", only(*USERS), writes=USERS,
                                          data=lambda _ids: PHONE_SUBSCRIPTION),
    ("auth.phone_alerts_off", "POST"): row("/auth/account/phone-alerts/off", only(*USERS, ok=302)),
    ("auth.notifications", "GET"): row("/auth/notifications", only(*USERS)),  # reading changes nothing
    # Marks read what the page showed: the owner seller has new orders.
    ("auth.notifications_read", "POST"): row("/auth/notifications/read", only(*USERS, ok=302), writes=(OWNER,),
                                             data=lambda ids: {"upto": str(2**31 - 1)}),

    ("seller.home", "GET"): row("/seller/", only(*SELLERS)),
    ("seller.money", "GET"): row("/seller/money", only(*SELLERS)),
    ("seller.loan", "GET"): row("/seller/money/loans/{loan}", {**only(OWNER), OTHER: 404}),
    ("seller.new_loan", "GET"): row("/seller/money/loans/new", only(*SELLERS)),
    ("seller.new_loan", "POST"): row("/seller/money/loans/new", only(*SELLERS, ok=302), writes=SELLERS,
                                     data=loan_form),  # each adds a loan to her own plan
    ("seller.new_goal", "GET"): row("/seller/money/goals/new", only(*SELLERS)),
    ("seller.new_goal", "POST"): row("/seller/money/goals/new", only(*SELLERS, ok=302), writes=SELLERS,
                                     data=lambda ids: {"kind": "school", "title": "School fees", "target": "3000",
                                                       "target_date": "2031-06-01"}),
    ("seller.shares", "GET"): row("/seller/money/shares", only(*SELLERS)),
    ("seller.shares", "POST"): row("/seller/money/shares", only(*SELLERS, ok=302), writes=SELLERS,
                                   data=lambda ids: {"share-savings": "10"}),
    ("seller.repaid", "POST"): row("/seller/money/loans/{loan}/repaid", {**only(OWNER, ok=302), OTHER: 404},
                                   writes=(OWNER,),
                                   data=lambda ids: {"amount": "1000", "paid_on": clock.today().isoformat()}),
    ("seller.saved_in_cash", "POST"): row("/seller/money/savings", only(*SELLERS, ok=302), writes=SELLERS,
                                          data=lambda ids: {"monthly": "100"}),

    ("staff.home", "GET"): row("/staff/", only(*STAFF)),
    ("staff.organisation", "GET"): row("/staff/organisations/{org}", only(STAFF_A, ADMIN)),
    ("staff.group", "GET"): row("/staff/groups/{group}", only(STAFF_A, ADMIN), writes=(STAFF_A, ADMIN)),  # audit
    ("staff.member", "GET"): row("/staff/members/{member}", only(STAFF_A, ADMIN), writes=(STAFF_A, ADMIN)),
    ("staff.group_saving", "POST"): row("/staff/groups/{group}/saving", only(STAFF_A, ADMIN, ok=302),
                                        writes=(STAFF_A, ADMIN), data=lambda ids: {"monthly": "100"}),

    # The group's books: member A keeps group A's books; staff of organisation A and admins too. Staff opening a
    # member's passbook is audited (a write); her own passbook is hers.
    ("groups.meeting", "GET"): row("/groups/{group}/meeting", only(OWNER, STAFF_A, ADMIN)),
    ("groups.meeting", "POST"): row("/groups/{group}/meeting", only(OWNER, STAFF_A, ADMIN, ok=302),
                                    writes=(OWNER, STAFF_A, ADMIN), data=lambda ids: {
                                        "client_key": "matrix-meeting", f"present-{ids['member']}": "y",
                                        f"saving-{ids['member']}": "10", "cash_counted": "10"}),
    ("groups.cash_book", "GET"): row("/groups/{group}/cash-book", only(OWNER, STAFF_A, ADMIN)),
    ("groups.cash_book_pdf", "GET"): row("/groups/{group}/cash-book.pdf", only(OWNER, STAFF_A, ADMIN)),
    ("groups.passbook", "GET"): row("/groups/members/{member}/passbook", only(OWNER, STAFF_A, ADMIN),
                                    writes=(STAFF_A, ADMIN)),
    ("groups.passbook_pdf", "GET"): row("/groups/members/{member}/passbook.pdf", only(OWNER, STAFF_A, ADMIN),
                                        writes=(STAFF_A, ADMIN)),
    ("groups.my_passbook", "GET"): row("/groups/my-passbook", only(*SELLERS, ok=302)),
    ("groups.give_loan", "GET"): row("/groups/{group}/loans/new", only(OWNER, STAFF_A, ADMIN)),
    ("groups.give_loan", "POST"): row("/groups/{group}/loans/new", only(OWNER, STAFF_A, ADMIN, ok=302),
                                      writes=(OWNER, STAFF_A, ADMIN), data=lambda ids: {
                                          "member": str(ids["member"]), "amount": "100", "rate": "12",
                                          "months": "2", "method": "declining"}),
    ("groups.bank", "POST"): row("/groups/{group}/bank", only(OWNER, STAFF_A, ADMIN, ok=302),
                                 writes=(OWNER, STAFF_A, ADMIN), data=lambda ids: {"kind": "deposit", "amount": "10"}),
    ("groups.correct", "GET"): row("/groups/rows/{meeting_row}/correct", only(OWNER, STAFF_A, ADMIN)),
    ("groups.correct", "POST"): row("/groups/rows/{meeting_row}/correct", only(OWNER, STAFF_A, ADMIN, ok=302),
                                    writes=(OWNER, STAFF_A, ADMIN), data=lambda ids: {
                                        "saving": "400", "fine": "0", "reason": "Counted again"}),
    ("groups.name_bookkeeper", "POST"): row("/groups/{group}/bookkeepers", only(STAFF_A, ADMIN, ok=302),
                                            writes=(STAFF_A, ADMIN), data=lambda ids: {
                                                "member": str(ids["member"]), "keeps": "y"}),
    ("groups.attention", "GET"): row("/groups/attention", only(*STAFF)),

    ("dashboards.start", "GET"): row("/staff/dashboard/", only(*STAFF, ok=302)),
    ("dashboards.show", "GET"): row("/staff/dashboard/organisation/{org}", only(STAFF_A, ADMIN)),
    ("dashboards.export", "GET"): row("/staff/dashboard/organisation/{org}/export.csv", only(STAFF_A, ADMIN)),

    ("onboarding.new", "GET"): row("/staff/onboarding/new", only(*STAFF)),
    # Staff of organisation B may onboard, but not into A: A is not among their choices.
    ("onboarding.new", "POST"): row("/staff/onboarding/new", {**only(STAFF_A, ADMIN, ok=302), STAFF_B: 200},
                                    writes=(STAFF_A, ADMIN), data=lambda ids: {
                                        "organisation": ids["org"], "csv_file": csv_file(
                                            "group,area,name,phone,trade,shop_name\n"
                                            "Navi Disha SHG,Ward 4,Meena Shinde,9812345691,garments,\n",
                                            "members.csv")}),
    ("onboarding.sample", "GET"): row("/staff/onboarding/sample.csv", only(*STAFF)),
    ("onboarding.setup_codes", "POST"): row("/staff/groups/{group}/setup-codes", only(STAFF_A, ADMIN),
                                            writes=(STAFF_A, ADMIN)),
    ("onboarding.member_login_code", "POST"): row("/staff/members/{member}/login-code", only(STAFF_A, ADMIN),
                                                  writes=(STAFF_A, ADMIN)),
    ("onboarding.first_login", "GET"): row("/welcome", only(ANON, others=302)),
    ("onboarding.first_login", "POST"): row("/welcome", only(ANON, others=302)),

    ("catalog.browse_products", "GET"): row(("/shop", "/c/kurtis-tops"), every(200)),
    ("catalog.search", "GET"): row("/search?q=kurti", every(200)),
    ("catalog.product", "GET"): row("/p/{product}", every(200)),
    ("catalog.shop", "GET"): row("/s/{shop}", every(200)),
    ("catalog.shops", "GET"): row("/shops", every(200)),
    ("catalog.media", "GET"): row("/media/{photo_file}", every(200)),

    ("products.mine", "GET"): row("/seller/products/", only(*SELLERS)),
    ("products.new", "GET"): row("/seller/products/new", only(*SELLERS)),
    # Shop A is not among the other seller's shops: the form comes back.
    ("products.new", "POST"): row("/seller/products/new", {**only(OWNER, ok=302), OTHER: 200}, writes=(OWNER,),
                                  data=product_form),
    ("products.edit", "GET"): row("/seller/products/{product}/edit", only(OWNER)),
    ("products.edit", "POST"): row("/seller/products/{product}/edit", only(OWNER, ok=302), writes=(OWNER,),
                                   data=lambda ids: product_form(ids, title="Renamed kurti")),
    ("products.change_status", "POST"): row("/seller/products/{product}/status", only(OWNER, ok=302),
                                            writes=(OWNER,), data=lambda ids: {"action": "archive"}),
    ("products.stock", "POST"): row("/seller/products/{product}/variants/{variant}/stock", only(OWNER, ok=302),
                                    writes=(OWNER,), data=lambda ids: {"change": "more"}),
    ("products.delete_photo", "POST"): row("/seller/products/{product}/photos/{photo_id}/delete",
                                           only(OWNER, ok=302), writes=(OWNER,)),
    ("seller.poster", "GET"): row("/seller/shops/{shop_id}/poster", {**only(OWNER), OTHER: 404}),
    ("products.shop_settings", "GET"): row("/seller/products/shops/{shop_id}", only(OWNER)),
    ("products.shop_settings", "POST"): row("/seller/products/shops/{shop_id}", only(OWNER, ok=302),
                                            writes=(OWNER,), data=lambda ids: {"public_name": "Rangoli Threads",
                                                                               "story": "Stitched by hand."}),
    ("products.pause_shop", "POST"): row("/seller/products/shops/{shop_id}/pause", only(OWNER, ok=302),
                                         writes=(OWNER,), data=lambda ids: {"paused": "1"}),

    ("imports.new", "GET"): row("/staff/imports/new?business={shop_id}", only(STAFF_A, ADMIN)),
    ("imports.new", "POST"): row("/staff/imports/new?business={shop_id}", only(STAFF_A, ADMIN, ok=302),
                                 writes=(STAFF_A, ADMIN), data=lambda ids: {"csv_file": csv_file(
                                     "title,category,price,stock\nJhumka,earrings,250,3\n", "products.csv")}),
    # A long job's page: its creator and the staff of its organisation (B is neither), and admins.
    ("jobs.show", "GET"): row(("/jobs/{job}", "/jobs/{onboarding}"), only(STAFF_A, ADMIN)),
    # A job's file (a large export): those who see the job; this one made none.
    ("jobs.download", "GET"): row("/jobs/{job}/download", {**only(STAFF_A, ADMIN), STAFF_A: 404, ADMIN: 404}),
    # An onboarding preview: the staff of its organisation and admins (this one is decided already: nothing added).
    ("onboarding.confirm", "POST"): row("/staff/onboarding/{onboarding}/confirm", only(STAFF_A, ADMIN, ok=302)),
    ("onboarding.cancel", "POST"): row("/staff/onboarding/{onboarding}/cancel", only(STAFF_A, ADMIN, ok=302)),

    ("orders.cart", "GET"): row("/cart", every(200)),
    ("orders.add_to_cart", "POST"): row("/cart/add", every(302), writes=ROLES,  # a guest gets a cart too
                                        data=lambda ids: {"variant": ids["variant"], "quantity": "1"}),
    # Only the buyer has a cart (emptied by her orders); the others have none to change.
    ("orders.update_cart", "POST"): row("/cart/items/{variant}", {**every(404), BUYER: 302}, writes=(BUYER,),
                                        data=lambda ids: {"quantity": "2"}),
    ("orders.checkout", "GET"): row("/checkout", only(*USERS, ok=302)),  # an empty cart goes back to the cart
    ("orders.checkout", "POST"): row("/checkout", only(*USERS, ok=302), data=lambda ids: {"place": "1"}),
    ("orders.placed", "GET"): row("/orders/placed/{checkout}", only(BUYER, others=404)),
    ("orders.history", "GET"): row("/orders", only(*USERS)),
    ("orders.show", "GET"): row("/orders/{order}", only(BUYER, OWNER, ADMIN, others=404)),
    ("orders.change_status", "POST"): row("/orders/{order}/status", only(BUYER, OWNER, ADMIN, ok=302, others=404),
                                          writes=(BUYER, OWNER, ADMIN), data=lambda ids: {"to": "cancelled"}),
    # The order is still "placed": no invoice yet, so its parties go back to the order page.
    ("orders.invoice", "GET"): row("/orders/{order}/invoice.pdf", only(BUYER, OWNER, ADMIN, ok=302, others=404)),
    # A proforma and the GSTIN form are for wholesale orders; {order} is a retail one: nobody's (404).
    ("orders.proforma", "GET"): row("/orders/{order}/proforma.pdf", only(others=404)),
    ("orders.gstin", "POST"): row("/orders/{order}/gstin", only(others=404), data=lambda ids: {"gstin": ""}),
    ("orders.message", "POST"): row("/orders/{order}/messages", {**only(BUYER, OWNER, ok=302, others=404),
                                                                 ADMIN: 403},
                                    writes=(BUYER, OWNER), data=lambda ids: {"body": "Is it ready?"}),
    ("orders.reorder_view", "POST"): row("/orders/{order}/reorder", only(BUYER, ok=302, others=404),
                                         writes=(BUYER,)),
    ("orders.seller", "GET"): row("/seller/orders", only(*SELLERS)),
    ("orders.wholesalers", "GET"): row("/wholesalers", only(*STAFF, ok=302)),  # to the buyers' page
    ("orders.decide", "POST"): row("/wholesalers/{wholesaler}", only(*STAFF, ok=302), writes=STAFF,
                                   data=lambda ids: {"decision": "approve"}),

    ("quotes.new", "GET"): row("/quotes/new/{product}", only(WHOLESALER)),
    # The matrix's wholesaler still waits for approval (so that staff may decide): she is told so, nothing is sent.
    ("quotes.new", "POST"): row("/quotes/new/{product}", only(WHOLESALER),
                                data=lambda ids: {"variant": ids["variant"], "quantity": "50",
                                                  "target_price": "400", "needed_by": "2031-01-01"}),
    ("quotes.mine", "GET"): row("/quotes/", only(WHOLESALER, *SELLERS)),
    ("quotes.show", "GET"): row("/quotes/{quote}", only(WHOLESALER, OWNER, others=404)),
    # Answering a request with an offer is the seller's move; the wholesaler's try is refused by the quote's rules
    # (the page again, with what was typed).
    ("quotes.respond", "POST"): row("/quotes/{quote}/answer",
                                    {**only(WHOLESALER, OWNER, ok=302, others=404), WHOLESALER: 200},
                                    writes=(OWNER,), data=lambda ids: {
                                        "decision": "offer", "price": "410", "supply": "made", "advance_percent": "30",
                                        "ready_by": (clock.today() + timedelta(days=20)).isoformat(),
                                        "valid_until": (clock.today() + timedelta(days=7)).isoformat()}),
    # Only the wholesaler who asked orders from an accepted quote; the seller is refused on the quote's page.
    ("quotes.order", "POST"): row("/quotes/{accepted}/order",
                                  {**only(WHOLESALER, OWNER, ok=302, others=404), OWNER: 200},
                                  writes=(WHOLESALER,), data=lambda ids: {"delivery": "pickup"}),

    # The buyer's checkout is paid in cash: there is nothing to pay online, so she goes on to the "placed" page.
    ("payments.pay", "GET"): row("/payments/pay/{checkout}", only(BUYER, ok=302, others=404)),
    # The gateway's return: no payment id means "not paid", whoever posts it.
    ("payments.callback", "POST"): row("/payments/{payment}/callback", every(302)),
    ("payments.stripe_done", "GET"): row("/payments/{payment}/stripe-done", every(404)),  # not a card payment
    ("payments.razorpay_webhook", "POST"): row("/payments/webhooks/razorpay", every(400)),
    ("payments.stripe_webhook", "POST"): row("/payments/webhooks/stripe", every(400)),
    # ONDC: for other programs, signed by them (unsigned: 401 NACK), whoever is logged in here.
    ("ondc.receive", "POST"): row("/ondc/search", every(401)),
    ("ondc.on_subscribe", "POST"): row("/ondc/on_subscribe", every(400)),
    ("ondc.site_verification", "GET"): row("/ondc-site-verification.html", every(200)),
    ("payments.demo_checkout", "POST"): row("/payments/demo/checkout", every(400)),
    ("payments.demo_pay", "POST"): row("/payments/demo/pay", every(400)),
    ("payments.cash_received", "POST"): row("/orders/{order}/cash-received", only(OWNER, ok=302, others=404),
                                            writes=(OWNER,)),
    ("payments.refund", "POST"): row("/orders/{paid}/refund", only(OWNER, ADMIN, ok=302, others=404),
                                     writes=(OWNER, ADMIN),
                                     data=lambda ids: {"amount": "1", "reason": "a button was missing"}),
    # Paying a part of a wholesale order: only its buyer chooses ({order} is paid whole: refused, nothing
    # written); a whole payment has no part to pay or to confirm.
    ("payments.choose_part", "POST"): row("/orders/{order}/pay/advance", only(BUYER, ok=302, others=404),
                                          data=lambda ids: {"method": "cash"}),
    ("payments.pay_part", "GET"): row("/payments/part/{payment}", only(others=404)),
    ("payments.confirm_part", "POST"): row("/payments/part/{payment}/confirm", only(others=404)),
    ("payments.sales", "GET"): row("/seller/sales", only(*SELLERS)),
    # A stall sale for shop A: the other seller may not choose it.
    ("payments.sales", "POST"): row("/seller/sales", {**only(OWNER, ok=302), OTHER: 200}, writes=(OWNER,),
                                    data=lambda ids: {"client_id": "matrix-stall-sale-0001",
                                                      "business": ids["shop_id"], "amount": "100",
                                                      "method": "cash", "variant": "0"}),

    ("admin.home", "GET"): row("/admin/", only(ADMIN)),
    ("admin.staff", "GET"): row("/admin/staff", only(ADMIN)),
    ("admin.staff", "POST"): row("/admin/staff", only(ADMIN, ok=302), writes=(ADMIN,),
                                 data=lambda ids: {"name": "Field Worker", "login": "field@example.org",
                                                   "password": "a-first-password", "organisations": [ids["org"]]}),
    ("admin.audit_log", "GET"): row("/admin/audit", only(ADMIN)),

    # The hierarchy: admins change programmes, states and organisations; staff the SHGs of their organisations.
    ("admin.hierarchy_page", "GET"): row("/admin/hierarchy", only(ADMIN)),
    ("admin.add_programme", "POST"): row("/admin/programmes", only(ADMIN, ok=302), writes=(ADMIN,),
                                         data=lambda ids: {"name": "Second programme"}),
    ("admin.rename_programme", "POST"): row("/admin/programmes/{programme}", only(ADMIN, ok=302), writes=(ADMIN,),
                                            data=lambda ids: {"name": "Renamed programme"}),
    ("admin.add_state", "POST"): row("/admin/programmes/{programme}/states", only(ADMIN, ok=302), writes=(ADMIN,),
                                     data=lambda ids: {"state": "KA"}),
    ("admin.new_organisation", "GET"): row("/admin/programmes/{programme}/organisations/new", only(ADMIN)),
    ("admin.new_organisation", "POST"): row("/admin/programmes/{programme}/organisations/new", only(ADMIN, ok=302),
                                            writes=(ADMIN,), data=lambda ids: {
                                                "name": "Org C", "state": "MH", "district": "Nashik",
                                                "pickup_address": "Collective office, Nashik",
                                                "staff": [ids["staff_user"]]}),
    ("admin.edit_organisation", "GET"): row("/admin/organisations/{org}/edit", only(ADMIN)),
    ("admin.edit_organisation", "POST"): row("/admin/organisations/{org}/edit", only(ADMIN, ok=302), writes=(ADMIN,),
                                             data=lambda ids: {"name": "Org A renamed", "state": "MH",
                                                               "district": "Pune", "pickup_address": "Office, Pune"}),
    ("staff.new_group", "GET"): row("/staff/organisations/{org}/groups/new", only(STAFF_A, ADMIN)),
    ("staff.new_group", "POST"): row("/staff/organisations/{org}/groups/new", only(STAFF_A, ADMIN, ok=302),
                                     writes=(STAFF_A, ADMIN),
                                     data=lambda ids: {"name": "Matrix SHG", "area": "Ward 9"}),
    ("staff.edit_group", "GET"): row("/staff/groups/{group}/edit", only(STAFF_A, ADMIN)),
    ("staff.edit_group", "POST"): row("/staff/groups/{group}/edit", only(STAFF_A, ADMIN, ok=302),
                                      writes=(STAFF_A, ADMIN),
                                      data=lambda ids: {"name": "Renamed SHG", "area": "Ward 2"}),
    ("staff.close_group", "POST"): row("/staff/groups/{group}/close", only(STAFF_A, ADMIN, ok=302),
                                       writes=(STAFF_A, ADMIN)),
    ("staff.move_member", "GET"): row("/staff/members/{member}/move", only(STAFF_A, ADMIN)),
    ("staff.move_member", "POST"): row("/staff/members/{member}/move", only(STAFF_A, ADMIN, ok=302),
                                       writes=(STAFF_A, ADMIN), data=lambda ids: {"group": ids["group_a2"]}),

    # Staff accounts: admins only.
    ("admin.staff_account", "GET"): row("/admin/staff/{staff_user}", only(ADMIN)),
    ("admin.staff_account", "POST"): row("/admin/staff/{staff_user}", only(ADMIN, ok=302), writes=(ADMIN,),
                                         data=lambda ids: {"name": "Field Worker C", "login": "staff.c@example.com",
                                                           "organisations": [ids["org"]]}),
    ("admin.disable_staff", "POST"): row("/admin/staff/{staff_user}/disable", only(ADMIN, ok=302), writes=(ADMIN,)),
    ("admin.enable_staff", "POST"): row("/admin/staff/{disabled_staff}/enable", only(ADMIN, ok=302),
                                        writes=(ADMIN,)),
    ("admin.staff_login_code", "POST"): row("/admin/staff/{staff_user}/login-code", only(ADMIN), writes=(ADMIN,)),

    # Moderation: buyers report; staff of the listing's organisation and admins hide, show, close reports.
    ("moderation.report", "GET"): row("/p/{product}/report", only(BUYER, WHOLESALER)),
    ("moderation.report", "POST"): row("/p/{product}/report", only(BUYER, WHOLESALER, ok=302),
                                       writes=(BUYER, WHOLESALER),
                                       data=lambda ids: {"reason": "wrong", "words": "Not cotton"}),
    ("moderation.queue", "GET"): row("/staff/reports", only(*STAFF)),  # each sees the reports of their scope
    ("moderation.hide_product", "POST"): row("/staff/products/{product}/hide", only(STAFF_A, ADMIN, ok=302),
                                             writes=(STAFF_A, ADMIN), data=lambda ids: {"reason": "contact"}),
    ("moderation.show_product", "POST"): row("/staff/products/{hidden}/show", only(STAFF_A, ADMIN, ok=302),
                                             writes=(STAFF_A, ADMIN)),
    ("moderation.hide_shop", "POST"): row("/staff/shops/{shop_id}/hide", only(STAFF_A, ADMIN, ok=302),
                                          writes=(STAFF_A, ADMIN), data=lambda ids: {"reason": "not_allowed"}),
    ("moderation.show_shop", "POST"): row("/staff/shops/{hidden_shop}/show", only(STAFF_A, ADMIN, ok=302),
                                          writes=(STAFF_A, ADMIN)),
    ("moderation.dismiss", "POST"): row("/staff/reports/{report}/dismiss", only(STAFF_A, ADMIN, ok=302),
                                        writes=(STAFF_A, ADMIN)),

    # Categories: admins only.
    ("admin.categories", "GET"): row("/admin/categories", only(ADMIN)),
    ("admin.categories", "POST"): row("/admin/categories", only(ADMIN, ok=302), writes=(ADMIN,),
                                      data=lambda ids: {"trade": ids["trade"], "english": "Wall hangings",
                                                        "hi": "दीवार की सजावट"}),
    ("admin.category", "GET"): row("/admin/categories/{category}", only(ADMIN)),
    ("admin.category", "POST"): row("/admin/categories/{category}", only(ADMIN, ok=302), writes=(ADMIN,),
                                    data=lambda ids: {"english": "Kurtis and tunics", "hi": "कुर्ती"}),
    ("admin.merge_category", "POST"): row("/admin/categories/{category}/merge", only(ADMIN, ok=302),
                                          writes=(ADMIN,), data=lambda ids: {"into": ids["category2"]}),
    ("admin.retire_category", "POST"): row("/admin/categories/{category}/retire", only(ADMIN, ok=302),
                                           writes=(ADMIN,)),

    # Buyers: staff and admins see them and approve wholesalers; only admins put an account on hold.
    ("admin.buyers", "GET"): row("/admin/buyers", only(*STAFF)),
    ("admin.suspend", "POST"): row("/admin/buyers/{buyer}/suspend", only(ADMIN, ok=302), writes=(ADMIN,),
                                   data=lambda ids: {"reason": "Many orders never collected"}),
    ("admin.restore", "POST"): row("/admin/buyers/{held}/restore", only(ADMIN, ok=302), writes=(ADMIN,)),
    ("admin.audit_export", "GET"): row("/admin/audit/export.csv", only(ADMIN), writes=(ADMIN,)),  # audited
    ("overview.orders", "GET"): row("/admin/orders?q=H-{order}", only(ADMIN)),
    ("overview.orders_export", "GET"): row("/admin/orders/export.csv", only(ADMIN)),
    ("overview.payments", "GET"): row("/admin/payments?status=created", only(ADMIN)),
    ("overview.refunds", "GET"): row("/admin/refunds", only(ADMIN)),
    ("overview.reconcile_runs", "GET"): row("/admin/reconcile", only(ADMIN)),
    # Only a refund the gateway refused can be tried again; this cash order has none (the admin is told so).
    ("overview.retry_refund", "POST"): row("/admin/refunds/{refund}/retry", only(ADMIN, ok=302)),
}


# -- the town: built once, put back after each request that changed it --------------------------------------------

TABLES = Base.metadata.sorted_tables  # parents first


def row_text(table: sa.Table) -> sa.ColumnElement[str]:
    """The whole row as one string, in SQL that SQLite and PostgreSQL both run."""
    cells = [sa.func.coalesce(sa.cast(column, sa.Text), "~") for column in table.columns]
    return functools.reduce(lambda text, cell: text.concat("|").concat(cell), cells)


# Every row of every table in one query: one round trip per test, which on PostgreSQL is most of the time saved.
FINGERPRINT = sa.union_all(*(sa.select(sa.literal(t.name).label("name"), row_text(t).label("text")).select_from(t)
                             for t in TABLES))


def fingerprint(engine: sa.Engine) -> Counter:
    """(table, row) pairs of the whole database, counted."""
    with engine.connect() as conn:
        return Counter(tuple(row) for row in conn.execute(FINGERPRINT))


def typed_rows(engine: sa.Engine) -> dict[str, list[dict]]:
    """Every row of every table, as values to insert again."""
    with engine.connect() as conn:
        return {t.name: [r._asdict() for r in conn.execute(sa.select(t))] for t in TABLES}


def listing(folder: Path) -> dict[str, tuple[int, int]]:
    """Size and modification time of each file under the folder."""
    return {str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns)
            for p in sorted(folder.rglob("*")) if p.is_file()}


@dataclass
class Town:
    """The app, the ids in the URLs, each role's session cookie, and the state every test starts from."""

    app: Flask
    engine: sa.Engine
    ids: dict
    cookies: dict[str, str]
    folders: tuple[Path, ...]
    pristine: Path  # copies of the folders
    rows: dict[str, list[dict]] = field(default_factory=dict)
    start: Counter = field(default_factory=Counter)
    files: dict[str, dict] = field(default_factory=dict)

    def client(self, role: str) -> FlaskClient:
        """A fresh client, logged in as the role."""
        client = self.app.test_client()
        if role != ANON:
            client.set_cookie("session", self.cookies[role])
        return client

    def remember(self) -> None:
        """Take the present state as the one every test starts from."""
        self.rows, self.start = typed_rows(self.engine), fingerprint(self.engine)
        self.files = {str(folder): listing(folder) for folder in self.folders}

    def changed(self) -> list[str]:
        """The tables and folders that differ from the start; they are put back."""
        now = fingerprint(self.engine)
        changed = {name for name, _text in (now - self.start) + (self.start - now)}
        changed |= {str(folder) for folder in self.folders if listing(folder) != self.files[str(folder)]}
        if changed:
            self.restore()
        return sorted(changed)

    def restore(self) -> None:
        """Every table and folder as at the start."""
        with self.engine.begin() as conn:
            for table in reversed(TABLES):
                conn.execute(table.delete())
            for table in TABLES:
                if self.rows[table.name]:
                    conn.execute(table.insert(), self.rows[table.name])
        for folder in self.folders:
            shutil.rmtree(folder, ignore_errors=True)
            shutil.copytree(self.pristine / folder.name, folder)


def place_cash_order(session, world, variant, key: str):
    """The buyer's checkout of one piece from shop A, to be paid in cash."""
    cart = cart_for(session, world.buyer, None, create=True)
    set_quantity(session, cart, variant.id, 1)
    checkout = place_order(session, world.buyer, cart, key, Delivery({world.shop_a.id: "pickup"}),
                           variant.price_paise)
    payments.start(session, checkout, "cash")
    return checkout


def build(app) -> tuple[dict, dict[str, str]]:
    """Organisations A and B with their people, and one of each object in the URLs: their ids, and each role's
    login."""
    from catalog.search import sync

    session = market_db.session
    world = factories.world(session)
    product = factories.gen_product(session, world.shop_a)
    add_photo(session, product, process_upload(factories.photo_bytes(), Path(app.config["MEDIA_DIR"])))
    variant, photo = product.variants[0], product.photos[0]
    job = Job(kind="product_import", created_by_id=world.staff_a.id, organisation_id=world.org_a.id, status="done",
              payload=json.dumps({"business_id": world.shop_a.id}),
              result=json.dumps({"created": 1, "shop": world.shop_a.public_name, "slug": world.shop_a.slug}))
    onboarding = Job(kind="onboarding", created_by_id=world.staff_a.id, organisation_id=world.org_a.id,
                     status="done", result=json.dumps({"members": 1, "groups": 0}))
    session.add_all([job, onboarding, WholesalerProfile(user_id=world.wholesaler.id, business_name="Traders",
                                                        status="pending")])
    loan = finance.add_loan(session, world.member_a, world.member_a.user, "shg", "Our SHG", 12_000_00, 1200,
                            "declining", 12, clock.today() - timedelta(days=40))
    group_a2 = factories.gen_group(session, world.org_a, name="Second SHG of A")
    staff_c = factories.gen_user(session, Role.STAFF, login="staff.c@example.com")
    disabled = factories.gen_user(session, Role.STAFF, login="staff.d@example.com")
    disabled.is_active = False
    held = factories.gen_user(session, Role.BUYER, login="held@example.com")
    held.suspended_reason = "Many orders never collected"
    hidden = factories.gen_product(session, world.shop_a, title="Hidden kurti")
    hidden_shop = factories.gen_business(session, [world.member_a], public_name="Quiet Corner", trade="garments")
    moderation.hide_product(session, world.admin, hidden, "contact")
    moderation.hide_shop(session, world.admin, hidden_shop, "other")
    report = moderation.report_listing(session, world.buyer, product, "wrong", "Not cotton at all")
    kurtis = factories.category(session, "kurtis-tops")
    group_books.name_bookkeeper(session, world.group_a, world.member_a, world.staff_a)
    meeting = group_books.record_meeting(session, world.group_a, world.member_a.user, clock.today(), [
        group_books.RowIn(world.member_a.id, True, 500_00)], 500_00, "matrix-first-meeting")
    checkout = place_cash_order(session, world, variant, "matrix-open")
    paid = place_cash_order(session, world, variant, "matrix-paid").orders[0]
    payments.cash_received(session, paid, world.member_a.user)
    refund = Refund(payment_id=payments.payment_for(session, paid).id, order_id=paid.id, amount_paise=100,
                    status="processed")  # given back (the row alone: the matrix only needs one to point at)
    session.add(refund)
    asked = dict(buyer_id=world.wholesaler.id, business_id=world.shop_a.id, variant_id=variant.id, quantity=5,
                 target_price_paise=40_000, needed_by=date(2031, 1, 1))
    quote, accepted = QuoteRequest(**asked), QuoteRequest(**asked, status="accepted")
    session.add_all([quote, accepted])
    session.commit()
    sync(session)  # the search index knows the product
    order = checkout.orders[0]
    return {"org": world.org_a.id, "group": world.group_a.id, "member": world.member_a.id,
            "product": product.id, "variant": variant.id, "photo_id": photo.id,
            "photo_file": f"{photo.key}-{photo.width_list[0]}.webp", "category": factories.category(
                session, "kurtis-tops").id, "shop": world.shop_a.slug, "shop_id": world.shop_a.id,
            "job": job.id, "onboarding": onboarding.id, "loan": loan.id, "checkout": checkout.id,
            "order": order.id, "payment": payments.payment_for(session, order).id, "paid": paid.id,
            "quote": quote.id, "accepted": accepted.id, "wholesaler": world.wholesaler.id,
            "programme": world.org_a.programme_id, "group_a2": group_a2.id, "staff_user": staff_c.id,
            "disabled_staff": disabled.id, "buyer": world.buyer.id, "held": held.id, "hidden": hidden.id,
            "hidden_shop": hidden_shop.id, "report": report.id, "refund": refund.id, "trade": kurtis.parent_id,
            "category2": factories.category(session, "sarees").id, "meeting_row": meeting.rows[0].id}, {
        role: user.email or user.phone for role, user in (
            (BUYER, world.buyer), (WHOLESALER, world.wholesaler), (OWNER, world.member_a.user),
            (OTHER, world.member_b.user), (STAFF_A, world.staff_a), (STAFF_B, world.staff_b), (ADMIN, world.admin))}


@pytest.fixture(scope="module")
def town(database_url, tmp_path_factory):
    """The app with the town built and every role logged in once (tables are emptied afterwards)."""
    folder = tmp_path_factory.mktemp("matrix")
    app = create_app({**TEST_CONFIG, "DATABASE_URL": database_url, "MEDIA_DIR": str(folder / "media"),
                      "SEARCH_INDEX_DIR": str(folder / "search")})
    app.instance_path = str(folder / "instance")
    engine = make_engine(database_url)
    try:
        with app.app_context():
            limiter.reset()
            ids, logins = build(app)
        cookies = {}
        for role, user_login in logins.items():
            client = app.test_client()
            assert login(client, user_login).status_code == 302, f"{role} cannot log in"
            cookies[role] = client.get_cookie("session").value
        folders = (Path(app.config["MEDIA_DIR"]), Path(app.config["SEARCH_INDEX_DIR"]))
        for path in folders:
            path.mkdir(exist_ok=True)
            shutil.copytree(path, folder / "pristine" / path.name)
        town = Town(app, engine, ids, cookies, folders, folder / "pristine")
        town.remember()
        yield town
    finally:
        with app.app_context():
            market_db.engine().dispose()
        engine.dispose()
        try:
            check_ledger_balances(database_url)
        finally:
            empty_all_tables(database_url)


def test_every_route_and_method_has_an_entry(town):
    """A new route, or a new method on one, needs its entry; an entry whose route is gone goes too."""
    routes = {(rule.endpoint, method) for rule in town.app.url_map.iter_rules() if rule.endpoint != "static"
              for method in rule.methods - IGNORED_METHODS}
    missing, stale = sorted(routes - set(MATRIX)), sorted(set(MATRIX) - routes)
    assert not missing, f"add these to MATRIX with what each role gets: {missing}"
    assert not stale, f"these MATRIX entries have no route: {stale}"


def test_each_entry_reaches_every_rule_of_its_endpoint(town):
    """The URLs of an entry resolve to its endpoint, and together to each of its rules (e.g. /shop and /c/...)."""
    adapter = town.app.url_map.bind("localhost")
    for (endpoint, method), entry in MATRIX.items():
        reached = set()
        for url in entry.urls:
            rule, _args = adapter.match(url.format(**town.ids).partition("?")[0], method=method, return_rule=True)
            assert rule.endpoint == endpoint, f"{url} is {rule.endpoint}, not {endpoint}"
            reached.add(rule.rule)
        rules = {r.rule for r in town.app.url_map.iter_rules(endpoint) if method in r.methods}
        assert reached == rules, f"{endpoint} {method}: give a URL for each of {sorted(rules - reached)}"


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("endpoint", "method"), sorted(MATRIX))
def test_each_role_gets_only_what_it_may(town, endpoint, method, role):
    """The expected status; a refused request changes nothing, an allowed write changes something."""
    entry = MATRIX[endpoint, method]
    want, writes = entry.expect[role], role in entry.writes
    for template in entry.urls:
        url = template.format(**town.ids)
        data = entry.data(town.ids) if entry.data else None
        try:
            with town.client(role).open(url, method=method, data=data) as response:  # closes file responses
                status, location = response.status_code, response.headers.get("Location", "")
        finally:  # the next test starts from the same town, even after an error in the view
            changed = town.changed()
        where = f"{role} {method} {url}"
        if want == LOGIN:
            assert (status, location.partition("?")[0]) == (302, "/auth/login"), f"{where}: not sent to log in"
        else:
            assert status == want, f"{where}: {status}, expected {want}"
        if writes:
            assert changed, f"{where}: changed nothing (is the data sent still valid?)"
        else:
            assert not changed, f"{where}: changed {changed}"
