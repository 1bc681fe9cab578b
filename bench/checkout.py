"""Checkout under contention: many buyers at once on one product, through gunicorn, on PostgreSQL.

    .venv/bin/python -m bench.checkout --database-url postgresql://postgres@127.0.0.1:5432/haat_checkout_bench
    .venv/bin/python -m bench.checkout --database-url ... --server sync:4 --server gthread:4:4   # compare servers

The database (its own: it is emptied) is migrated, then holds one shop with one product of 1,000 pieces and
1,000 + 32 buyers, each already logged in (a signed session cookie, made the way the login view makes it)
with one piece in her cart. Gunicorn serves the app as in production (HAAT_ENV=production, CSRF on, behind
one proxy: the clients send X-Forwarded-Proto https and a same-origin Referer) on a free port of 127.0.0.1.

Two runs per server, each on a freshly seeded database, 16 clients at a time:
  checkout   each client takes the next buyer: GET /checkout (reads the CSRF token, key and total), then
             POST /checkout, until every buyer has tried: the last 32 must be refused (sold out).
  post-only  the same, but every page is fetched first and only the POSTs are timed.
The rate is successful checkouts per second until the last piece sold. The database is then checked: exactly
the stock sold, stock 0 and never negative, one checkout and one order per successful response, the sold-out
buyers refused. Exits non-zero if anything was oversold or the counts disagree.

Beside the rate it prints where the CPU went (gunicorn, this database's PostgreSQL processes, the client,
other processes: the figures are low when something else runs), the CPU per checkout (what 2 free cores
could serve at most) and how many database sessions were waiting for another checkout's row lock.
The load is bounded by the number of buyers and by --seconds, and goes to 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import html
import http.client
import os
import queue
import re
import secrets
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import sqlalchemy as sa
from alembic import command

from bench.common import percentile, stamp
from bench.serve import HOST, CpuMeter, CpuUse, Server, ServerSpec
from market.cli import alembic_config
from market.core.config import normalise_database_url

MARKER = "Checkout bench programme"  # a database with tables but without this programme is never emptied
SELLER_PHONE = "+919800000001"
BUYER_DOMAIN = "checkout-bench.example"
USER_AGENT = "haat-checkout-bench/1"
SOLD_OUT_WORDS = ("sold out", " left.")  # "... sold out while you were ordering." / "...: only 0 left."


# -- the database ---------------------------------------------------------------------------------------------

@dataclass
class Seeded:
    variant_id: int
    product_id: int
    buyer_ids: list[int]
    stock: int


def prepare_database(url: str) -> None:
    """Empty the benchmark database (only if it is empty or one of ours) and migrate it from scratch."""
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        tables = set(sa.inspect(conn).get_table_names())
        if tables and ("programmes" not in tables or not conn.scalar(
                sa.text("SELECT count(*) FROM programmes WHERE name = :m"), {"m": MARKER})):
            raise SystemExit(f"{url} has tables but no {MARKER!r}: not this benchmark's database, not emptying it.")
        conn.execute(sa.text("DROP SCHEMA public CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()
    cfg = alembic_config(url)
    cfg.attributes["configure_logger"] = False
    command.upgrade(cfg, "head")


def seed(app, stock: int, buyers: int) -> Seeded:
    """One shop with one product of `stock` pieces; `buyers` buyer accounts with one piece in the cart each."""
    from catalog.models import Category
    from catalog.services import ProductData, VariantData, create_product
    from market.core import db
    from market.core.models import Role, User
    from market.core.security import make_hasher
    from orders.models import Cart, CartItem
    from vendors.models import Organisation, Programme, SelfHelpGroup
    from vendors.services import NewMember, onboard_member, open_business

    with app.app_context():
        session = db.session
        programme = Programme(name=MARKER)
        org = Organisation(programme=programme, name="Bench collective", state_code="MH", district="Pune",
                           pickup_address="Collective office, Market Road")
        group = SelfHelpGroup(organisation=org, name="Bench group", area="Ward 1")
        session.add_all([programme, org, group])
        session.flush()
        member = onboard_member(session, NewMember(legal_name="Benchseller Surname", login=SELLER_PHONE,
                                                   password=secrets.token_urlsafe(16), group_id=group.id))
        shop = open_business(session, owners=[member], public_name="Rangoli Threads", trade="garments",
                             story="Kurtis stitched by our group.")
        category = session.scalar(sa.select(Category).where(Category.slug == "kurtis-tops"))
        product = create_product(session, shop, ProductData(
            title="Block print cotton kurti", category_id=category.id, description="Hand block printed.",
            variants=[VariantData(price_paise=450_00, stock=stock, size="M")]), publish=True)
        variant = product.variants[0]
        # Nobody logs in with a password (the sessions are made directly): one cheap hash of a random one for all.
        password_hash = make_hasher(fast=True).hash(secrets.token_urlsafe(16))
        users = [User(name=f"Buyer {i}", email=f"buyer{i}@{BUYER_DOMAIN}", password_hash=password_hash,
                      role=str(Role.BUYER)) for i in range(buyers)]
        session.add_all(users)
        session.flush()
        carts = [Cart(user_id=u.id, token=secrets.token_urlsafe(32)) for u in users]
        session.add_all(carts)
        session.flush()
        session.add_all([CartItem(cart_id=c.id, variant_id=variant.id, quantity=1) for c in carts])
        session.commit()
        seeded = Seeded(variant.id, product.id, [u.id for u in users], stock)
        with db.engine().connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("ANALYZE"))
    return seeded


def session_cookies(app, user_ids: list[int]) -> list[str]:
    """Each buyer's session cookie, as the login view leaves it: logged in, with a CSRF secret."""
    import flask
    from flask_login import login_user
    from flask_wtf.csrf import generate_csrf

    from market.core import db
    from market.core.accounts import start_login_session
    from market.core.models import User

    serializer = app.session_interface.get_signing_serializer(app)
    cookies = []
    with app.app_context():
        users = {u.id: u for u in db.session.scalars(sa.select(User).where(User.id.in_(user_ids)))}
    for user_id in user_ids:
        # The session protection identifier hashes the address and User-Agent: the same as the clients send.
        with app.test_request_context("/", environ_base={"REMOTE_ADDR": HOST}, headers={"User-Agent": USER_AGENT}):
            flask.session.clear()
            start_login_session(db.session, users[user_id])
            db.session.commit()
            login_user(users[user_id])
            generate_csrf()  # a buyer who reached the checkout has seen a form since she logged in
            cookies.append(f"{app.config['SESSION_COOKIE_NAME']}={serializer.dumps(dict(flask.session))}")
    return cookies


@dataclass
class Verification:
    sold: int
    stock_left: int
    lowest_stock: int
    checkouts: int
    orders: int
    carts_left: int
    problems: list[str]


def verify(url: str, seeded: Seeded, placed_ids: list[int]) -> Verification:
    """What the database says happened, and every way it disagrees with the responses."""
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        q = conn.scalar
        sold = q(sa.text("SELECT coalesce(sum(quantity), 0) FROM order_lines WHERE variant_id = :v"),
                 {"v": seeded.variant_id})
        stock_left = q(sa.text("SELECT stock FROM variants WHERE id = :v"), {"v": seeded.variant_id})
        lowest = q(sa.text("SELECT min(stock) FROM variants"))
        checkout_ids = set(conn.scalars(sa.text("SELECT id FROM checkouts")))
        orders = q(sa.text("SELECT count(*) FROM orders"))
        carts_left = q(sa.text("SELECT count(*) FROM cart_items"))
        in_stock = q(sa.text("SELECT in_stock FROM products WHERE id = :p"), {"p": seeded.product_id})
    engine.dispose()
    problems = []
    if sold > seeded.stock or stock_left < 0 or lowest < 0:
        problems.append(f"OVERSOLD: {sold} sold of {seeded.stock}, stock now {stock_left}, lowest {lowest}")
    if sold != seeded.stock:
        problems.append(f"{sold} sold, not {seeded.stock}")
    if sold + stock_left != seeded.stock:
        problems.append(f"sold {sold} + left {stock_left} != {seeded.stock}")
    if len(placed_ids) != len(set(placed_ids)):
        problems.append("two responses named the same checkout")
    if checkout_ids != set(placed_ids):
        problems.append(f"{len(checkout_ids)} checkouts in the database, {len(placed_ids)} successful responses")
    if orders != len(placed_ids):
        problems.append(f"{orders} orders in the database, {len(placed_ids)} successful responses")
    if carts_left != len(seeded.buyer_ids) - len(placed_ids):
        problems.append(f"{carts_left} carts still full, expected {len(seeded.buyer_ids) - len(placed_ids)}")
    if stock_left == 0 and in_stock:
        problems.append("the product is sold out but still marked in stock")
    return Verification(sold, stock_left, lowest, len(checkout_ids), orders, carts_left, problems)


class BackendSampler(threading.Thread):
    """Samples what this database's server processes are doing: running, waiting for a lock held by another
    checkout, or idle inside an open transaction (waiting for the app, perhaps while holding a row lock)."""

    QUERY = sa.text("SELECT count(*) FILTER (WHERE state = 'active' AND wait_event_type IS DISTINCT FROM 'Lock'), "
                    "count(*) FILTER (WHERE wait_event_type = 'Lock'), "
                    "count(*) FILTER (WHERE state = 'idle in transaction') "
                    "FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")

    def __init__(self, url: str, interval: float = 0.05):
        super().__init__(daemon=True)
        self.engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
        self.interval, self.samples, self.totals = interval, 0, [0, 0, 0]
        self.stopping, self.connected = threading.Event(), threading.Event()
        self.pid = 0  # its own server process, left out of the CPU figures

    def run(self) -> None:
        with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            self.pid = conn.scalar(sa.text("SELECT pg_backend_pid()"))
            self.connected.set()
            while not self.stopping.wait(self.interval):
                row = conn.execute(self.QUERY).one()
                self.samples += 1
                self.totals = [t + v for t, v in zip(self.totals, row, strict=True)]

    def stop(self) -> str:
        self.stopping.set()
        self.join(timeout=5)
        self.engine.dispose()
        n = max(1, self.samples)
        running, locked, idle = (t / n for t in self.totals)
        return (f"database sessions on average: {running:.1f} running, {locked:.1f} waiting for a row lock, "
                f"{idle:.1f} idle in an open transaction")


# -- the clients ----------------------------------------------------------------------------------------------

INPUT = re.compile(r"<input\b[^>]*>")
ATTR = re.compile(r'([\w-]+)="([^"]*)"')


def form_fields(page: str) -> dict[str, str]:
    """What the browser would send for "Place order": hidden fields, the checked delivery choices."""
    values = {"ship_name": "", "ship_address": "", "ship_pincode": "", "place": "1"}
    for tag in INPUT.findall(page):
        attrs = dict(ATTR.findall(tag))
        kind, name = attrs.get("type"), attrs.get("name")
        if name and (kind == "hidden" or (kind == "radio" and re.search(r"\schecked\b", tag))):
            values[name] = html.unescape(attrs.get("value", ""))
    return values


@dataclass
class Outcome:
    placed: list[int] = field(default_factory=list)  # checkout ids from the redirects
    refused: int = 0
    errors: list[str] = field(default_factory=list)
    get_ms: list[float] = field(default_factory=list)
    post_ms: list[float] = field(default_factory=list)
    pair_ms: list[float] = field(default_factory=list)
    last_success: float = 0.0  # perf_counter of the last successful POST's answer

    def merge(self, other: Outcome) -> None:
        self.placed += other.placed
        self.refused += other.refused
        self.errors += other.errors
        self.get_ms += other.get_ms
        self.post_ms += other.post_ms
        self.pair_ms += other.pair_ms
        self.last_success = max(self.last_success, other.last_success)


class Client:
    """One buyer's browser at a time, behind the production TLS proxy.

    It sends what the proxy would pass on: X-Forwarded-* headers (the app runs with HAAT_PROXY_COUNT=1, so
    it sees HTTPS) and the browser's same-origin Referer, which Flask-WTF checks on HTTPS. A connection per
    request, as nginx opens to its upstream by default; with keep_alive one connection for all (gunicorn's
    sync workers close it anyway; http.client then opens another).
    """

    def __init__(self, port: int, keep_alive: bool):
        self.conn = http.client.HTTPConnection(HOST, port, timeout=30)
        self.headers = {"User-Agent": USER_AGENT, "X-Forwarded-For": HOST, "X-Forwarded-Proto": "https",
                        "Referer": f"https://{HOST}:{port}/checkout"}
        if not keep_alive:
            self.headers["Connection"] = "close"

    def _request(self, method: str, path: str, cookie: str, body: str | None = None):
        headers = {**self.headers, "Cookie": cookie}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        for attempt in (1, 2):
            try:
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                return response, response.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.conn.close()  # the server closed an idle keep-alive connection: once more on a new one
                if attempt == 2 or method == "POST":
                    raise
        raise AssertionError("unreachable")

    def get_checkout(self, cookie: str, out: Outcome) -> dict[str, str] | None:
        started = time.perf_counter()
        response, body = self._request("GET", "/checkout", cookie)
        out.get_ms.append((time.perf_counter() - started) * 1000)
        if response.status != 200:
            out.errors.append(f"GET /checkout: {response.status} {response.getheader('Location', '')}")
            return None
        return form_fields(body.decode())

    def post_checkout(self, cookie: str, fields: dict[str, str], out: Outcome) -> None:
        started = time.perf_counter()
        response, body = self._request("POST", "/checkout", cookie, urlencode(fields))
        done = time.perf_counter()
        out.post_ms.append((done - started) * 1000)
        location = urlsplit(response.getheader("Location", "")).path
        if response.status in (302, 303) and location.startswith(("/orders/placed/", "/payments/pay/")):
            out.placed.append(int(location.rsplit("/", 1)[1]))
            out.last_success = done
        elif response.status == 200 and any(w in body.decode() for w in SOLD_OUT_WORDS):
            out.refused += 1
        else:
            out.errors.append(f"POST /checkout: {response.status} {location} {body[:200]!r}")


def run_clients(port: int, cookies: list[str], clients: int, post_only: bool, seconds: float,
                keep_alive: bool, on_start=lambda: None) -> tuple[Outcome, float]:
    """Every buyer checks out once, `clients` at a time; returns what happened and when the timing started.

    on_start is called after the warm-up (and, for post-only, after the pages were fetched), as the timing starts.
    """
    buyers: queue.SimpleQueue[int] = queue.SimpleQueue()
    for i in range(len(cookies)):
        buyers.put(i)
    warm, fetched, go = (threading.Barrier(clients + 1, timeout=seconds + 60) for _ in range(3))
    outcomes = [Outcome() for _ in range(clients)]
    deadline = [time.monotonic() + seconds]

    def take() -> int | None:
        if time.monotonic() > deadline[0]:
            return None
        try:
            return buyers.get_nowait()
        except queue.Empty:
            return None

    def work(out: Outcome) -> None:
        client = Client(port, keep_alive)
        try:
            # Warm-up (not timed): two looks at the checkout page, so each worker has loaded the
            # templates and opened its database connection; the state does not change.
            for _ in range(2):
                client.get_checkout(cookies[0], Outcome())
            warm.wait()
            pages: list[tuple[int, dict[str, str]]] = []
            while post_only and (i := take()) is not None:
                fields = client.get_checkout(cookies[i], out)
                if fields is not None:
                    pages.append((i, fields))
            out.get_ms.clear()
            fetched.wait()
            go.wait()
            for i, fields in pages:
                if time.monotonic() > deadline[0]:
                    break
                client.post_checkout(cookies[i], fields, out)
            while not post_only and (i := take()) is not None:
                started = time.perf_counter()
                fields = client.get_checkout(cookies[i], out)
                if fields is not None:
                    client.post_checkout(cookies[i], fields, out)
                    out.pair_ms.append((time.perf_counter() - started) * 1000)
        except threading.BrokenBarrierError:
            pass  # another client failed: its error is reported
        except Exception as exc:  # reported with the others; the remaining clients stop
            out.errors.append(f"client: {exc!r}")
            for barrier in (warm, fetched, go):
                barrier.abort()
        finally:
            client.conn.close()

    threads = [threading.Thread(target=work, args=(out,), daemon=True) for out in outcomes]
    for t in threads:
        t.start()
    try:
        warm.wait()
        deadline[0] = time.monotonic() + seconds  # the bound starts after the warm-up
        fetched.wait()
        on_start()
        go.wait()
    except threading.BrokenBarrierError:
        on_start()
    started = time.perf_counter()
    for t in threads:
        t.join(timeout=max(1.0, deadline[0] - time.monotonic() + 35))
    total = Outcome()
    for out in outcomes:
        total.merge(out)
    if any(t.is_alive() for t in threads):
        total.errors.append("a client was still waiting for an answer at the time limit")
    return total, started


# -- one run --------------------------------------------------------------------------------------------------

@dataclass
class RunResult:
    mode: str
    outcome: Outcome
    rate: float  # successful checkouts per second until the stock ran out
    verification: Verification
    cpu: CpuUse
    sessions: str
    healthz: str


def run(args, spec: ServerSpec, url: str, workdir: Path, post_only: bool) -> RunResult:
    """Seed, serve, load, verify: one figure."""
    from market import create_app

    prepare_database(url)
    secret = secrets.token_hex(32)
    app = create_app({"SECRET_KEY": secret, "DATABASE_URL": url, "PASSWORD_HASH_FAST": True,
                      "MEDIA_DIR": str(workdir / "media"), "SEARCH_INDEX_DIR": str(workdir / "search")})
    seeded = seed(app, args.stock, args.stock + args.extra)
    cookies = session_cookies(app, seeded.buyer_ids)
    with app.app_context():
        from market.core import db

        db.engine().dispose()
    server = Server(spec, {"HAAT_ENV": "production", "HAAT_SECRET_KEY": secret, "DATABASE_URL": url,
                           "HAAT_PROXY_COUNT": "1", "HAAT_PAYMENT_GATEWAY": "razorpay",  # buyers stop at "Pay"
                           "HAAT_RAZORPAY_KEY_ID": "rzp_test_bench", "HAAT_RAZORPAY_KEY_SECRET": "bench",
                           "HAAT_RAZORPAY_WEBHOOK_SECRET": "bench", "HAAT_MEDIA_DIR": str(workdir / "media"),
                           "HAAT_SEARCH_INDEX_DIR": str(workdir / "search")}, workdir)
    try:
        server.wait_ready()
        healthz = server.healthz_figure()
        sampler = BackendSampler(url)
        sampler.start()
        sampler.connected.wait(10)
        meter = CpuMeter(server, url, leave_out=sampler.pid)
        outcome, started = run_clients(server.port, cookies, args.clients, post_only, args.seconds, args.keep_alive,
                                       on_start=meter.start)
        cpu = meter.stop()
        sessions = sampler.stop()
    finally:
        server.stop()
    elapsed = (outcome.last_success - started) if outcome.placed else 0.0
    rate = len(outcome.placed) / elapsed if elapsed > 0 else 0.0
    verification = verify(url, seeded, outcome.placed)
    tried = len(outcome.placed) + outcome.refused + len(outcome.errors)
    if tried < len(seeded.buyer_ids):
        verification.problems.append(f"stopped at the time limit: {tried:,} of {len(seeded.buyer_ids):,} buyers tried")
    elif outcome.refused != len(seeded.buyer_ids) - args.stock:
        verification.problems.append(f"{outcome.refused} refused, not the {len(seeded.buyer_ids) - args.stock} "
                                     "buyers beyond the stock")
    return RunResult("post-only" if post_only else "checkout", outcome, rate, verification, cpu, sessions, healthz)


def ms(values: list[float], fraction: float) -> str:
    return f"{percentile(sorted(values), fraction):.0f} ms" if values else "-"


def report(spec: ServerSpec, args, pair: RunResult | None, post: RunResult | None) -> list[str]:
    """The summary line, then the details of each run."""
    first = pair or post
    v = first.verification
    oversold = max(max(0, r.verification.sold - args.stock, -r.verification.lowest_stock) for r in (pair, post) if r)
    rates = []
    if pair:
        rates.append(f"{pair.rate:,.0f} checkouts/s (GET+POST)")
    if post:
        rates.append(f"{post.rate:,.0f} POST/s")
    latency = (f"p50 {ms(pair.outcome.pair_ms, 0.5)}, p99 {ms(pair.outcome.pair_ms, 0.99)}" if pair else
               f"POST p50 {ms(post.outcome.post_ms, 0.5)}, p99 {ms(post.outcome.post_ms, 0.99)}")
    lines = [f"checkout on postgresql: {v.sold:,} sold, {oversold:,} oversold, {first.outcome.refused:,} refused "
             f"after sell-out; {', '.join(rates)}; {latency} ({args.clients} clients, {spec}"
             f"{', keep-alive' if args.keep_alive else ''})"]
    for result in (pair, post):
        if result is None:
            continue
        o, rv = result.outcome, result.verification
        gets = f"GET p50 {ms(o.get_ms, 0.5)} p99 {ms(o.get_ms, 0.99)}, " if o.get_ms else "pages fetched before, "
        lines.append(f"  {result.mode:<9}: {len(o.placed):,} placed, {o.refused:,} refused, {len(o.errors)} errors; "
                     f"{gets}POST p50 {ms(o.post_ms, 0.5)} p99 {ms(o.post_ms, 0.99)}; "
                     f"database: {rv.sold:,} sold, stock {rv.stock_left}, {rv.checkouts:,} checkouts, "
                     f"{rv.orders:,} orders")
        cpu, attempts = result.cpu, max(1, len(o.placed) + o.refused)
        per = [1000 * x / attempts for x in (cpu.gunicorn, cpu.postgres, cpu.client)]
        cores = os.cpu_count() or 1
        lines.append(f"             {cpu.line()}")
        lines.append(f"             CPU per checkout: gunicorn {per[0]:.1f} ms, postgres {per[1]:.1f} ms, client "
                     f"{per[2]:.1f} ms: {cores} free cores would serve at most {1000 * cores / sum(per):,.0f}/s")
        lines.append(f"             {result.sessions}")
        lines.append(f"             {result.healthz} (one connection, before the load)")
        if cpu.other / cpu.wall > 0.1:
            lines.append(f"  WARNING ({result.mode}): other processes took {cpu.other / cpu.wall:.2f} cores meanwhile; "
                         "the rate is low by about that share (the CPU per checkout is not): measure again when quiet")
        lines += [f"  PROBLEM ({result.mode}): {p}" for p in rv.problems]
        lines += [f"  ERROR ({result.mode}): {e}" for e in o.errors[:5]]
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True, help="a PostgreSQL database of its own: it is emptied")
    parser.add_argument("--stock", type=int, default=1_000)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--extra", type=int, default=None,
                        help="buyers beyond the stock, who must be refused (default: 2 per client)")
    parser.add_argument("--server", type=ServerSpec.parse, action="append",
                        help="sync:WORKERS or gthread:WORKERS:THREADS; repeat to compare (default sync:2)")
    parser.add_argument("--mode", choices=("both", "checkout", "post-only"), default="both")
    parser.add_argument("--seconds", type=float, default=60, help="stop each run after this long")
    parser.add_argument("--keep-alive", action="store_true",
                        help="one connection per client (default: one per request, as behind nginx)")
    parser.add_argument("--target", type=float, default=400, help="the checkouts/s the issue asks for")
    args = parser.parse_args(argv)
    args.extra = 2 * args.clients if args.extra is None else args.extra
    url = normalise_database_url(args.database_url)
    if not url.startswith("postgresql"):
        parser.error("--database-url must be a PostgreSQL database")
    if urlsplit(url).hostname not in ("127.0.0.1", "localhost", "::1"):
        parser.error("the load goes to this machine only: use a PostgreSQL on 127.0.0.1")

    failed = False
    stamp(f"checkout: {args.clients} buyers on one product with stock {args.stock:,}")
    with tempfile.TemporaryDirectory(prefix="haat-checkout-bench-") as tmp:
        workdir = Path(tmp)
        for spec in args.server or [ServerSpec("sync", 2, 1)]:
            pair = run(args, spec, url, workdir, post_only=False) if args.mode != "post-only" else None
            post = run(args, spec, url, workdir, post_only=True) if args.mode != "checkout" else None
            for line in report(spec, args, pair, post):
                print(line, flush=True)
            for result in (pair, post):
                if result and (result.verification.problems or result.outcome.errors):
                    failed = True
            if pair:
                verdict = "met" if pair.rate >= args.target else "NOT met"
                print(f"  target {args.target:,.0f} checkouts/s (GET+POST): {verdict}", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
