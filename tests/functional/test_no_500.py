"""Every endpoint, for anonymous visitors and each role, with random path values, query strings, forms,
files and headers: the answer may be a refusal (4xx) or a redirect, never a server error.

The input is drawn from a seeded random.Random, so a failure reproduces: HAAT_FUZZ_SEED picks another seed
and HAAT_FUZZ_ROUNDS sends more requests per endpoint (exploring locally; CI runs the defaults).
"""

from __future__ import annotations

import csv
import io
import json
import logging
import os
import random
import re
import traceback
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import quote as url_quote

import pytest
import sqlalchemy as sa

from catalog.images import process_upload
from catalog.services import add_photo
from market.core import clock
from market.core.accounts import start_login_session
from market.core.i18n import HaatForm
from market.core.jobs import Job
from orders.models import QuoteRequest, WholesalerProfile
from orders.services import Delivery, cart_for, place_order, set_quantity
from payments.services import start as start_payment
from tests.factories import gen_product, gen_wholesaler, photo_bytes
from tests.unit.catalog import hostile
from vendors import finance

SEED = int(os.environ.get("HAAT_FUZZ_SEED", "8128"))
ROUNDS = int(os.environ.get("HAAT_FUZZ_ROUNDS", "2"))
ROLES = ("anonymous", "buyer", "entrepreneur", "wholesaler", "staff", "admin")

# Numbers and words that break naive parsing: out of every integer column's range, not ASCII digits,
# special floats and decimals, and dates that do not exist.
NASTY = [
    "", " ", "\x00", "a\x00b", "0", "-1", "-0", "00", "1.5", "1e3", "1e999999", "-1e999999", "NaN", "sNaN", "-nan",
    "Infinity", "inf", "2147483647", "2147483648", "9223372036854775807", "9223372036854775808", "9" * 30,
    "9" * 5000, "-9223372036854775809", "0x1f", "1_000", " 7 ", "²", "١٢٣", "१२३", "𝟗", "½", "Ⅻ", "1,00,000.50",
    "₹ 250", "Rs. 1.2.3", "12..5", "1.999", "2024-02-30", "0000-01-01", "9999-12-31", "10000-01-01",
    "2024-13-01", "-2024-01-01", "today", "true", "on", "null", "[]", "{}", "<script>alert(1)</script>",
    "' OR '1'='1", "%00", "%ff%fe", "../../etc/passwd", "//evil.example/", "/\\evil", "javascript:alert(1)",
    "\u202eevil", "ज़्ज़", "👩🏽‍🌾" * 20, "\r\n\tx", "x" * 300, "x" * 5000, "ä" * 3000,
]
# Header values travel as latin-1: non-ASCII ones are still possible on the wire.
NASTY_HEADERS = ["", "x", "é", "ÿ" * 64, "0" * 64, "t=1,v1=" + "a" * 64, "\t", "a" * 8000]


def random_text(rng: random.Random) -> str:
    """Short text from a mix of alphabets, digits, punctuation, controls and emoji (never a lone surrogate)."""
    ranges = [(0x20, 0x7E), (0x00, 0x1F), (0xA0, 0x24F), (0x900, 0x97F), (0xB80, 0xBFF), (0x600, 0x6FF),
              (0x1F300, 0x1F64F), (0xFFF0, 0xFFFF), (0x10000, 0x1000F)]
    out = []
    for _ in range(rng.choice((0, 1, 3, 8, 30, 200))):
        low, high = rng.choice(ranges)
        out.append(chr(rng.randint(low, high)))
    return "".join(out)


def random_value(rng: random.Random, plausible: list[str] | None = None) -> str:
    """A plausible value for the field (half the time, when there is one) or a nasty or random one."""
    if plausible and rng.random() < 0.5:
        return rng.choice(plausible)
    return rng.choice(NASTY) if rng.random() < 0.6 else random_text(rng)


def random_int(rng: random.Random, real: list[int]) -> int:
    """An id for an <int:...> part of a path: a real one, or one no table has."""
    if real and rng.random() < 0.5:
        return rng.choice(real)
    return rng.choice([0, 1, 2, 7, 999_999, 2**31 - 1, 2**31, 2**32, 2**53 + 1, 2**63 - 1, 2**63, 2**64, 10**40])


class Stage:
    """What the world holds for the requests to find: real ids per path part, good values per field or path part,
    and the names of fields that only this world has (the share and delivery fields of its loans and shops)."""

    def __init__(self, ids: dict[str, list[int]], words: dict[str, list[str]], fields: set[str]):
        self.ids, self.words, self.fields = ids, words, fields


@pytest.fixture
def stage(world, session, app):
    """Listed products (one with a photo), orders paid in cash and online, quotes of an approved wholesaler,
    a loan, a goal, finished upload jobs: real things for the random requests to hit now and then."""
    product = gen_product(session, world.shop_a, price_paise=45_000, stock=50)
    food = gen_product(session, world.shop_b, category_slug="spices", price_paise=11_000, stock=50)
    with app.app_context():
        stored = process_upload(photo_bytes(), Path(app.config["MEDIA_DIR"]))
    photo = add_photo(session, product, stored)
    session.add(Job(kind="product_import", created_by_id=world.staff_a.id, organisation_id=world.org_a.id,
                    status="done", payload=json.dumps({"business_id": world.shop_a.id}),
                    result=json.dumps({"created": 1, "shop": world.shop_a.public_name, "slug": world.shop_a.slug})))
    session.add(Job(kind="onboarding", created_by_id=world.staff_a.id, organisation_id=world.org_a.id,
                    status="failed", errors="row 2: the phone number is not a mobile number"))
    checkouts = []
    for key, how in (("fuzz-cash", "cash"), ("fuzz-upi", "upi")):
        cart = cart_for(session, world.buyer, None, create=True)
        set_quantity(session, cart, product.variants[0].id, 1)
        set_quantity(session, cart, food.variants[0].id, 2)
        total = product.price_paise + 2 * food.price_paise
        checkout = place_order(session, world.buyer, cart, key, Delivery({world.shop_a.id: "pickup",
                                                                         world.shop_b.id: "pickup"}), total)
        checkouts.append((checkout, start_payment(session, checkout, how)))
    pending = gen_wholesaler(session, approved=False)
    session.add(WholesalerProfile(user_id=world.wholesaler.id, business_name="Fuzz Traders", status="approved"))
    quotes = [QuoteRequest(buyer_id=world.wholesaler.id, business_id=world.shop_a.id, status=status,
                           variant_id=product.variants[0].id, quantity=5, target_price_paise=40_000,
                           needed_by=date.today() + timedelta(days=30)) for status in ("requested", "accepted")]
    session.add_all(quotes)
    loan = finance.add_loan(session, world.member_a, world.member_a.user, "shg", "", 12_000_00, 1200, "declining",
                            12, clock.today() - timedelta(days=40))
    goal = finance.add_goal(session, world.member_a, "stock", "Diwali", 5_000_00, clock.today() + timedelta(days=90))
    session.commit()
    orders = [o.id for checkout, _p in checkouts for o in checkout.orders]
    ids = {
        "product_id": [product.id, food.id], "variant_id": [v.id for p in (product, food) for v in p.variants],
        "order_id": orders, "checkout_id": [c.id for c, _p in checkouts],
        "payment_id": [p.id for _c, made in checkouts for p in made], "quote_id": [q.id for q in quotes],
        "loan_id": [loan.id], "goal_id": [goal.id], "photo_id": [photo.id],
        "business_id": [world.shop_a.id, world.shop_b.id], "group_id": [world.group_a.id, world.group_b.id],
        "organisation_id": [world.org_a.id, world.org_b.id], "member_id": [world.member_a.id, world.member_b.id],
        "user_id": [pending.id, world.wholesaler.id, world.buyer.id],
        "job_id": list(session.scalars(sa.select(Job.id))),
        "width": list(stored.widths),
    }
    words = {  # for the parts of paths, as <name>: a form may have a field of the same name
        "<slug>": [world.shop_a.slug, "kurtis-tops", "snacks", "spices"], "<code>": ["hi", "en_IN", "ta"],
        "<key>": [stored.key, "MH", "TN", str(world.org_a.id), str(world.group_a.id), "all"],
        "<filename>": ["css/haat.css", "icons/icons.svg", "../market/config.py", "%2e%2e/secret"],
    }
    plausible = {
        "variant": ids["variant_id"], "business": ids["business_id"], "organisation": ids["organisation_id"],
        "organisations": ids["organisation_id"], "category": list(range(1, 30)),
        "quantity": [1, 2, 50, 10_000], "expected_total": [0, 67_000], "to": ["confirmed", "cancelled", "packed"],
        "decision": ["accepted", "declined", "countered", "approve", "reject"], "action": ["publish", "archive"],
        "delivery": ["pickup", "local", "courier"], "pay_with": ["upi", "cash", "card"],
        "method": ["cash", "upi_qr", "flat", "declining"], "source": ["shg", "bank"],
        "kind": ["stock", "school", "rupees"], "price": ["250", "250.50", "30000000"], "target_price": ["300"],
        "counter_price": ["280", "30000000"], "amount": ["150", "1,000"], "principal": ["12000"],
        "rate": ["12", "12.5"], "tenure": ["12", "360"], "monthly": ["100"], "target": ["5000"], "late_fee": ["50"],
        "stock": ["3"], "min_qty": ["10"], "wholesale_min_qty": ["5"], "lead_time_days": ["7"],
        "shelf_life_days": ["90"], "fssai_number": ["12345678901234"], "diet": ["veg"], "size": ["M"],
        "colour": ["Red"], "title": ["Cotton kurti"], "description": ["Soft."], "public_name": ["Rangoli Two"],
        "story": ["Made by hand."], "show_group": ["y"], "made_to_order": ["y", ""], "publish": ["1"],
        "start": [date.today().isoformat()], "paid_on": [date.today().isoformat()],
        "needed_by": [(date.today() + timedelta(days=9)).isoformat()], "target_date": ["2031-01-01"],
        "ship_name": ["Asha"], "ship_address": ["Market Road"], "ship_pincode": ["411001", "600004"],
        "key": ["k" * 24], "client_id": ["c" * 24], "client_key": ["0a1b2c3d"], "name": ["Meena"],
        "login": ["new.buyer@example.com", "9876500001", "buyer@example.com"], "phone": ["+919812345601"],
        "password": ["another-pass-77"], "confirm": ["another-pass-77", "y"], "new": ["another-pass-77"],
        "again": ["another-pass-77"], "current": ["wrong-pass-77"], "code": ["12345678"], "role": ["wholesaler"],
        "business_name": ["Traders"], "gstin": ["27AAPFU0939F1ZV"], "body": ["When is it ready?"],
        "note": ["Thanks"], "reason": ["Damaged"], "remember": ["y"], "fmt": ["csv"], "table": ["units", "visits"],
        "price_band": ["under-250"], "sort": ["price_asc"], "state": ["MH"], "after": ["1", "0"],
        "page": ["1", "50"], "q": ["kurti", "पापड़"], "next": ["/cart"], "razorpay_order_id": ["order_x"],
        "razorpay_payment_id": ["pay_x"], "razorpay_signature": ["0" * 64], "outcome": ["pay"],
        "callback_url": ["http://localhost/payments/1/callback", "/payments/1/callback"],
        "share-savings": ["10"], "kind-savings": ["rupees"], f"share-loan-{loan.id}": ["5"],
        f"share-goal-{goal.id}": ["100"], f"kind-goal-{goal.id}": ["rupees"],
        f"delivery-{world.shop_a.id}": ["local"], f"delivery-{world.shop_b.id}": ["courier"], "place": ["1"],
        "back": ["seller"], "paused": ["1", "0"], "wholesale": ["1"], "in_stock": ["1"], "status": ["draft"],
        "shared": ["1"],
    }
    return Stage(ids, {**words, **{name: [str(v) for v in values] for name, values in plausible.items()}},
                 {name for name in plausible if "-" in name})


def form_field_names(app) -> set[str]:
    """Every field name of every form, FieldList rows included, as a browser would post them."""
    import catalog.forms  # noqa: F401 - the imports register the HaatForm subclasses
    import market.forms  # noqa: F401
    import orders.forms  # noqa: F401
    import payments.forms  # noqa: F401
    import vendors.forms  # noqa: F401

    names: set[str] = set()
    with app.test_request_context():
        for form_class in HaatForm.__subclasses__():
            form = form_class(formdata=None, meta={"csrf": False})
            for field in form:
                names.add(field.name)
                names.update(sub.name for sub in getattr(field, "entries", []))
                for entry in getattr(field, "entries", []):
                    names.update(sub.name for sub in getattr(entry, "form", []))
    return names


# Names read from request.form and request.args outside any form class (see the views).
VIEW_FIELDS = {
    "after", "q", "page", "status", "shared", "table", "next", "business", "price", "state", "sort", "category",
    "wholesale", "in_stock", "variant", "quantity", "remove", "place", "key", "to", "back", "action", "paused",
    "publish", "target_price", "needed_by", "note", "decision", "counter_price", "ship_name", "ship_address",
    "ship_pincode", "delivery", "razorpay_payment_id", "razorpay_order_id", "razorpay_signature", "order_id",
    "amount", "description", "callback_url", "outcome", "reason", "v", "share-savings", "kind-savings",
    "variants-19-price", "variants-20-price", "tiers-4-min_qty", "tiers-5-price",
}
FILE_FIELDS = ("photos", "csv_file", "photos_zip")
PRODUCT_COLUMNS = ("title", "category", "price", "stock", "photos", "description", "fssai_number",
                   "shelf_life_days", "diet")
MEMBER_COLUMNS = ("group", "area", "name", "phone", "trade", "shop_name")
CSV_PLAUSIBLE = {"title": ["Kurti"], "category": ["kurtis-tops", "Snacks", "spices"], "price": ["250"],
                 "stock": ["5"], "diet": ["veg", "non-veg"], "fssai_number": ["12345678901234"],
                 "shelf_life_days": ["90"], "group": ["Group 1", "New group"], "area": ["Ward 3"],
                 "name": ["Asha Devi"], "phone": ["9812345699", "+919812345601"], "trade": ["food", "garments"],
                 "shop_name": ["Asha Foods"], "photos": ["a.jpg"], "description": ["Nice"]}


def random_csv(rng: random.Random) -> bytes:
    """A CSV with the columns of the product or the member import (sometimes), rows of nasty cells."""
    header = list(rng.choice([PRODUCT_COLUMNS, MEMBER_COLUMNS, ("title", "price"), ("", "ज़")]))
    lines = [header]
    for _ in range(rng.randint(0, 6)):
        lines.append([random_value(rng, CSV_PLAUSIBLE.get(column)) for column in header][: rng.randint(0, 12)])
    buffer = io.StringIO()
    csv.writer(buffer).writerows(lines)
    return buffer.getvalue().encode(rng.choice(["utf-8", "utf-8", "utf-8-sig", "utf-16"]), errors="replace")


def random_files(rng: random.Random, names: list[str]) -> dict:
    """Files under the names the upload forms use (and now and then a text field's): junk, hostile pictures,
    CSV files with odd rows."""
    contents = [b"", b"\x00" * 10, rng.randbytes(2000), hostile.html_with_jpeg_magic(), hostile.svg(),
                hostile.zip_archive(), hostile.jpeg_with_size(50_000, 50_000), hostile.png_with_size(7000, 7000),
                b"a,b\n\"unterminated\n", b"\xff\xfe\x00\x00", ",".join(["x"] * 500).encode() + b"\n" + b"1," * 500]
    files = {}
    chosen = rng.sample(FILE_FIELDS, rng.randint(1, len(FILE_FIELDS)))
    for name in chosen + ([rng.choice(names)] if rng.random() < 0.3 else []):
        content = random_csv(rng) if name == "csv_file" and rng.random() < 0.7 else rng.choice(contents)
        files[name] = (io.BytesIO(content), rng.choice(["photo.jpg", "x.csv", "", "../../a.zip", "ज़.png", "a.jpg"]))
    return files


PLACEHOLDER = re.compile(r"<(?:(?P<converter>\w+)(?:\((?P<args>[^)]*)\))?:)?(?P<name>\w+)>")


def build_url(rule, rng: random.Random, stage: Stage) -> str:
    """The rule's path with a random value for each <part>, as its converter lets through: int gets ids real or
    out of range, any(...) mostly its options, string and path any text (percent-encoded)."""

    def part(match: re.Match) -> str:
        converter, name = match["converter"] or "string", match["name"]
        if converter == "int":
            return str(random_int(rng, stage.ids.get(name, [])))
        if converter == "any" and rng.random() < 0.8:
            return rng.choice([option.strip() for option in match["args"].split(",")])
        text = random_value(rng, stage.words.get(f"<{name}>")) or "x"
        return url_quote(text, safe="/" if converter == "path" else "")

    return PLACEHOLDER.sub(part, rule.rule)


def plausible_for(name: str, stage: Stage) -> list[str] | None:
    """Good values for a field, by its full name or the last part of a FieldList row's name (variants-0-price)."""
    return stage.words.get(name) or stage.words.get(name.rsplit("-", 1)[-1])


def fields_for(rng: random.Random, names: list[str], stage: Stage) -> list[tuple[str, str]]:
    """Half the time, a good value for every field but a few nasty ones (so that forms get as far as the
    services); else a random handful of fields, plausible or nasty. Then a few unknown names, a repeated one."""
    if rng.random() < 0.5:
        pairs = [(name, rng.choice(plausible_for(name, stage))) for name in names if plausible_for(name, stage)]
        for index in rng.sample(range(len(pairs)), min(len(pairs), rng.randint(1, 3))):
            pairs[index] = (pairs[index][0], random_value(rng))
    else:
        chosen = rng.sample(names, min(len(names), rng.randint(0, 25)))
        pairs = [(name, random_value(rng, plausible_for(name, stage))) for name in chosen]
    for _ in range(rng.randint(0, 3)):
        pairs.append((random_value(rng) or "k", random_value(rng)))
    if pairs and rng.random() < 0.2:
        pairs.append((pairs[0][0], random_value(rng)))  # the same name twice
    return pairs


def sign_in(client, user) -> None:
    """Log the client in as user without the login form (its rate limit would soon answer 429)."""
    if user is not None:  # a login session of her own each time: a fuzzed logout may have ended the last one
        arranging = sa.orm.object_session(user)
        start_login_session(arranging, user)
        arranging.commit()
    with client.session_transaction() as saved:
        saved.clear()
        if user is not None:
            saved["_user_id"] = user.get_id()
            saved["_fresh"] = True


def with_query(url: str, pairs: list[tuple[str, str]]) -> str:
    """The URL with these pairs as its query string, percent-encoded."""
    query = "&".join(f"{url_quote(k, safe='')}={url_quote(v, safe='')}" for k, v in pairs)
    return f"{url}?{query}" if query else url


def send(client, rng: random.Random, method: str, url: str, names: list[str], stage: Stage):
    """One request with random query or form, headers and cookies."""
    headers = {}
    if rng.random() < 0.3:
        headers[rng.choice(["X-Razorpay-Signature", "Stripe-Signature", "X-Razorpay-Event-Id", "Save-Data",
                            "Referer", "Accept-Language"])] = rng.choice(NASTY_HEADERS)
    if rng.random() < 0.2:
        client.set_cookie(rng.choice(["lang", "cart"]), rng.choice(["hi", "", "x" * 64, "ज़"]))
    pairs = fields_for(rng, names, stage)
    if method == "GET":
        return client.get(with_query(url, pairs), headers=headers)
    if rng.random() < 0.3:  # some forms post to a URL with a query string (the import page's ?business=)
        url = with_query(url, fields_for(rng, names, stage))
    roll = rng.random()
    if roll < 0.15:  # a raw body: JSON, broken JSON, bytes that are not UTF-8
        body = rng.choice([json.dumps(dict(pairs)).encode(), b'{"event": "payment.captured", "payload": [',
                           b"%ff%fe=%00&a=%", rng.randbytes(64), b""])
        return client.post(url, data=body, headers=headers, content_type=rng.choice(
            ["application/json", "application/x-www-form-urlencoded", "text/plain", "multipart/form-data"]))
    data: dict = {}
    for key, value in pairs:
        data.setdefault(key, []).append(value)
    if roll < 0.35:
        data.update(random_files(rng, names))
    return client.post(url, data=data, headers=headers)


def endpoints(app) -> list:
    """(rule, method) for every route, GET and POST, in a fixed order (the same seed, the same requests)."""
    return [(rule, method) for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule)
            for method in sorted(rule.methods & {"GET", "POST"})]


@pytest.mark.parametrize("role", ROLES)
def test_no_endpoint_answers_a_server_error(app, world, stage, role, caplog):
    """Each endpoint, ROUNDS times for this role: nothing may answer 5xx, raise, or log an error (the uploads'
    background work logs its faults instead of raising them)."""
    app.config["PROPAGATE_EXCEPTIONS"] = True  # a fault raises here with its traceback, not a 500 page
    rng = random.Random(f"{SEED}-{role}")
    names = sorted(form_field_names(app) | VIEW_FIELDS | stage.fields)
    user = world.user(role) if role != "anonymous" else None
    client = app.test_client()
    failures: dict[str, str] = {}
    for rule, method in endpoints(app):
        for _ in range(ROUNDS):
            url = build_url(rule, rng, stage)
            sign_in(client, user)
            try:
                with send(client, rng, method, url, names, stage) as response:
                    status = response.status_code
            except Exception as exc:  # every fault is a finding: all are reported together below
                failures.setdefault(fault_site(exc), f"{method} {url[:150]}")
                continue
            if status >= 500:
                failures.setdefault(f"status {status}", f"{method} {url[:150]}")
            for record in caplog.records:
                if record.levelno >= logging.ERROR:
                    site = fault_site(record.exc_info[1]) if record.exc_info else record.getMessage()[:200]
                    failures.setdefault(f"logged: {site}", f"{method} {url[:150]}")
            caplog.clear()
    assert not failures, f"{len(failures)} kinds of server error as {role} (seed {SEED}):\n" + "\n".join(
        f"{site}\n    first seen on {request}" for site, request in failures.items())


def fault_site(exc: BaseException) -> str:
    """The exception and the innermost line of Haat's own code it passed through."""
    frames = traceback.extract_tb(exc.__traceback__)
    ours = [f for f in frames if "site-packages" not in f.filename and "/tests/" not in f.filename] or frames
    frame, inner = ours[-1], frames[-1]
    return (f"{type(exc).__name__}: {str(exc)[:160]} at {Path(frame.filename).name}:{frame.lineno} ({frame.name}), "
            f"raised in {Path(inner.filename).name}:{inner.lineno} ({inner.name})")


def test_the_same_seed_draws_the_same_requests():
    """A failure seen in CI can be replayed: the input depends on the seed alone."""
    a, b = random.Random(SEED), random.Random(SEED)
    assert [random_text(a) for _ in range(20)] == [random_text(b) for _ in range(20)]


UPLOADS = {
    # kind: (columns, a good row, the page, its form fields besides the file)
    "products": (PRODUCT_COLUMNS, ["Kurti {n}", "kurtis-tops", "250", "5", "", "Cotton", "", "", ""],
                 "/staff/imports/new?business={shop}", {}),
    "members": (MEMBER_COLUMNS, ["Group {n}", "Ward 3", "Asha Devi", "98{n:08d}", "food", "Spice Corner"],
                "/staff/onboarding/new", {"organisation": "{org}"}),
}


@pytest.mark.parametrize("kind", UPLOADS)
def test_an_upload_with_nasty_cells_ends_done_or_failed_with_reasons(app, world, session, caplog, kind):
    """Per column, a file of good rows but for one nasty value in that column each. Every job ends "failed" with
    the rows' reasons (or "done"), never stuck half-way with only a traceback in the log."""
    from tests.conftest import reload

    app.config["PROPAGATE_EXCEPTIONS"] = True
    columns, good, page, fields = UPLOADS[kind]
    client = app.test_client()
    sign_in(client, world.staff_a)
    n = 0
    # A NUL refuses the whole file (UTF-16 without its BOM looks like that): it gets a file of its own, last.
    cells = [value for value in NASTY if "\x00" not in value]
    for index, values in [(None, [""]), *((i, cells) for i in range(len(columns))), (0, ["a\x00b"])]:
        rows = [list(columns)]  # index None: only good rows, which must all go in
        for value in values:
            n += 1
            rows.append([cell.format(n=n) for cell in good])
            if index is not None:
                rows[-1][index] = value
        buffer = io.StringIO()
        csv.writer(buffer).writerows(rows)
        data = {name: value.format(org=world.org_a.id) for name, value in fields.items()}
        data["csv_file"] = (io.BytesIO(buffer.getvalue().encode()), "nasty.csv")
        assert client.post(page.format(shop=world.shop_a.id), data=data).status_code == 302

    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
    reload(session)
    jobs = session.scalars(sa.select(Job).where(Job.kind == ("product_import" if kind == "products" else
                                                          "onboarding")).order_by(Job.id)).all()
    assert len(jobs) == 2 + len(columns)
    assert jobs[0].status == "done", jobs[0].errors
    for job in jobs[1:]:
        assert job.status == "done" or (job.status == "failed" and job.errors.strip()), job.status


NAMELESS_PART = (b"--B\r\nContent-Disposition: form-data\r\n\r\nvalue\r\n"
                 b'--B\r\nContent-Disposition: form-data; name="login"\r\n\r\nx\r\n--B--\r\n')
# Requests that once answered 500 (or raised), kept as plain regressions: (role, method, path, request arguments).
ONCE_FAILED = [
    ("anonymous", "GET", "/p/9223372036854775808", {}),  # ids past the integer columns: every <int:...> route
    ("anonymous", "GET", "/p/2147483648", {}),
    ("buyer", "POST", "/cart/add", {"data": {"variant": str(2**70), "quantity": "1"}}),
    ("anonymous", "GET", "/shop?after=%C2%B2", {}),  # "²".isdigit(), but int("²") fails
    ("anonymous", "GET", "/shop?sort=price_asc&after=1.99999999999", {}),
    ("anonymous", "GET", "/shops?after=999999999999999999", {}),
    ("staff", "GET", "/staff/dashboard/programme/2147483648", {}),
    ("staff", "GET", "/staff/dashboard/group/%C2%B2", {}),
    ("staff", "GET", "/staff/imports/new?business=99999999999", {}),
    ("anonymous", "POST", "/payments/webhooks/razorpay", {"data": b"{}", "headers": {"X-Razorpay-Signature": "é"}}),
    ("buyer", "POST", "/payments/{payment}/callback", {"data": {"razorpay_payment_id": "pay_x",
                                                               "razorpay_order_id": "", "razorpay_signature": "é"}}),
    ("entrepreneur", "POST", "/seller/money/loans/{loan}/repaid", {"data": {"amount": "abc"}}),  # lazy messages joined
    ("entrepreneur", "POST", "/seller/money/loans/new", {"data": {"source": "shg", "principal": "1000",
                                                                   "rate": "sNaN", "tenure": "12",
                                                                   "start": "2025-01-01"}}),
    ("anonymous", "GET", "/c/%00", {}),  # PostgreSQL cannot hold a NUL in text
    ("entrepreneur", "POST", "/orders/{order}/messages", {"data": {"body": "a\x00b"}}),
    ("anonymous", "POST", "/auth/login", {"data": NAMELESS_PART, "content_type": "multipart/form-data; boundary=B"}),
    ("entrepreneur", "POST", "/seller/products/new", {"data": {"variants-²-price": "250", "title": "x"}}),
    ("anonymous", "POST", "/auth/login", {"data": {"login": (io.BytesIO(b"x"), "a.txt"), "password": "x"}}),
    ("anonymous", "POST", "/auth/signup", {"data": {"name": "Meena", "login": "meena@example.com",
                                                    "password": "another-pass-77", "confirm": "another-pass-77",
                                                    "role": "buyer"}, "headers": {"Cookie": "lang=" + "x" * 64}}),
    ("buyer", "POST", "/checkout", {"data": {"key": "k" * 24, "expected_total": "1", "pay_with": "cash",
                                             "delivery-{shop}": "teleport"}}),
    ("wholesaler", "POST", "/quotes/new/{product}", {"data": {"variant": str(2**40), "quantity": "5",
                                                              "target_price": "300", "needed_by": "2031-01-01"}}),
    ("entrepreneur", "POST", "/seller/products/new", {"data": {"business": "{shop}", "title": "Big", "category": "1",
                                                                "variants-0-price": "30000000"}}),  # > 32-bit paise
    ("wholesaler", "POST", "/quotes/{quote}/order", {"data": {"delivery": "courier", "ship_name": "A" * 150,
                                                             "ship_address": "Road", "ship_pincode": "411001"}}),
    ("wholesaler", "POST", "/quotes/{quote}/order", {"data": {"delivery": "courier", "ship_name": "A",
                                                             "ship_address": "Road", "ship_pincode": "4110011"}}),
]


def test_each_request_that_once_failed_is_answered(app, world, stage):
    """All of ONCE_FAILED in one world (building one costs more than the requests)."""
    app.config["PROPAGATE_EXCEPTIONS"] = True
    client = app.test_client()
    values = {"payment": stage.ids["payment_id"][-1], "loan": stage.ids["loan_id"][0],
              "order": stage.ids["order_id"][0], "product": stage.ids["product_id"][0], "shop": world.shop_a.id,
              "quote": stage.ids["quote_id"][1]}  # the accepted one
    failures = []
    for role, method, path, kwargs in ONCE_FAILED:
        sign_in(client, world.user(role) if role != "anonymous" else None)
        data = kwargs.get("data")
        if isinstance(data, dict):
            data = {k.format(**values): v.format(**values) if isinstance(v, str) else v for k, v in data.items()}
        try:
            with client.open(path.format(**values), method=method, **{**kwargs, "data": data}) as response:
                if response.status_code >= 500:
                    failures.append(f"{role} {method} {path}: {response.status_code}")
        except Exception as exc:
            failures.append(f"{role} {method} {path}: {fault_site(exc)}")
    assert not failures, "\n".join(failures)
