"""`flask --app market seed-demo --scale large`: a programme at full size for the dashboards' benchmark.

200,000 members in 15,000 SHGs of 100 organisations in 5 states, a shop and a product each, 5,000,000
completed orders over this month and the eleven before (a few shops sell a lot, most a little), 100,000 loans, and
the dashboards' rollups counted from the orders with one INSERT ... SELECT. Rows go in by COPY on
PostgreSQL (executemany on SQLite, which is far slower at this size). Every account gets the same password
hash. Only for a benchmark database: it never runs on one that has data.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from market.reports.rollups import derive

STATES = ("MH", "TN", "WB", "KA", "TS")
FULL = {"organisations": 100, "groups": 15_000, "members": 200_000, "orders": 5_000_000, "buyers": 2_000}
CHUNK = 50_000


def _copy(session: Session, table: str, columns: tuple[str, ...], rows: Iterable[tuple]) -> None:
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        driver = connection.connection.driver_connection
        assert driver is not None  # None only once the connection is closed
        cursor = driver.cursor()
        with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    statement = sa.text(f"INSERT INTO {table} ({', '.join(columns)}) "  # noqa: S608 - names from this module
                        f"VALUES ({', '.join(':' + c for c in columns)})")
    batch: list[dict] = []
    for row in rows:
        batch.append(dict(zip(columns, row, strict=True)))
        if len(batch) == CHUNK:
            connection.execute(statement, batch)
            batch = []
    if batch:
        connection.execute(statement, batch)


def _chunks(total: int) -> Iterator[range]:
    for start in range(0, total, CHUNK):
        yield range(start, min(start + CHUNK, total))


def load_large(session: Session, password_hash: str, scale: dict[str, int] | None = None,
               progress: Callable[[str, int, int], None] = lambda *_: None, seed: int = 7) -> None:
    """Fill an empty database; `progress(step, done, total)` is called as rows go in."""
    size = {**FULL, **(scale or {})}
    if session.scalar(sa.text("SELECT count(*) FROM members")):
        raise RuntimeError("seed-demo --scale large needs an empty database")
    rng = random.Random(seed)  # noqa: S311 - made-up benchmark data
    now = datetime.now(UTC)
    today = now.date()
    categories = list(session.scalars(sa.text("SELECT id FROM categories WHERE parent_id IS NOT NULL ORDER BY id")))

    session.execute(sa.text("INSERT INTO programmes (id, name) VALUES (1, 'Large Livelihoods Programme')"))
    orgs = size["organisations"]
    _copy(session, "organisations", ("id", "programme_id", "name", "state_code", "district", "pickup_address"),
          ((o + 1, 1, f"Collective {o + 1}", STATES[o % len(STATES)], f"District {o % 37}",
            f"Collective {o + 1} office, Market Road") for o in range(orgs)))
    groups = size["groups"]
    _copy(session, "self_help_groups", ("id", "organisation_id", "name", "area", "monthly_saving_paise"),
          ((g + 1, g % orgs + 1, f"SHG {g + 1}", f"Ward {g % 200}", 100_00) for g in range(groups)))
    members, buyers = size["members"], size["buyers"]
    for part in _chunks(members + buyers):
        _copy(session, "users", ("id", "phone", "password_hash", "name", "role", "is_active", "session_version",
                                 "created_at", "locale"),
              ((u + 1, f"+9170{u:08d}", password_hash, f"Member {u + 1}" if u < members else f"Buyer {u + 1}",
                "entrepreneur" if u < members else "buyer", True, 0, now, "hi") for u in part))
        progress("accounts", part.stop, members + buyers)
    for part in _chunks(members):
        _copy(session, "members", ("id", "user_id", "group_id", "legal_name", "joined_on"),
              ((m + 1, m + 1, m % groups + 1, f"Member {m + 1} Surname", date(2022, 1, 1)) for m in part))
        _copy(session, "businesses", ("id", "group_id", "kind", "public_name", "slug", "story", "trade", "show_group",
                                      "is_paused", "created_at", "gst_registered"),
              ((m + 1, m % groups + 1, "individual", f"Shop {m + 1}", f"shop-{m + 1}", "", "garments", False, False,
                now, False) for m in part))
        _copy(session, "business_members", ("business_id", "member_id"), ((m + 1, m + 1) for m in part))
        prices = {m: rng.randrange(100_00, 2_000_00, 10_00) for m in part}
        cats = {m: categories[m % len(categories)] for m in part}
        _copy(session, "products", ("id", "business_id", "category_id", "title", "description", "status",
                                    "price_paise", "in_stock", "wholesale", "made_to_order", "state_code", "listed",
                                    "created_at", "updated_at"),
              ((m + 1, m + 1, cats[m], f"Product {m + 1}", "", "active", prices[m], True, False, True,
                STATES[(m % groups) % orgs % len(STATES)], True, now, now) for m in part))
        _copy(session, "variants", ("id", "product_id", "size", "colour", "price_paise", "stock", "position"),
              ((m + 1, m + 1, "", "", prices[m], 0, 0) for m in part))
        progress("members and shops", part.stop, members)
    session.execute(sa.text("UPDATE businesses SET trade = 'food' WHERE id % 4 = 1"))

    orders = size["orders"]
    first = datetime(today.year - (today.month < 12), today.month % 12 + 1, 1, tzinfo=UTC)  # 11 months back
    span = int((now - first).total_seconds() // 60) - 24 * 60  # a day short, for time zones
    price_of: dict[int, int] = dict(session.execute(sa.text("SELECT id, price_paise FROM products")).all())
    for part in _chunks(orders):
        rows = []
        for n in part:
            shop = min(members, int(rng.paretovariate(1.2) * members / 40)) if n % 3 == 0 else rng.randrange(members)
            shop = max(1, shop)
            quantity = 1 + n % 3
            total = price_of[shop] * quantity
            rows.append((n + 1, shop, members + 1 + n % buyers, quantity, total,
                         now - timedelta(minutes=rng.randrange(span))))
        _copy(session, "checkouts", ("id", "buyer_id", "idempotency_key", "total_paise", "created_at"),
              ((o, buyer, f"large-{o}", total, at) for o, _s, buyer, _q, total, at in rows))
        _copy(session, "orders", ("id", "checkout_id", "business_id", "buyer_id", "status", "wholesale", "delivery",
                                  "pickup_point", "ship_to_name", "ship_to_address", "ship_to_pincode",
                                  "subtotal_paise", "delivery_fee_paise", "total_paise", "placed_at", "updated_at"),
              ((o, o, shop, buyer, "completed", False, "pickup", "Collective office", "", "", "", total, 0, total,
                at, at) for o, shop, buyer, _q, total, at in rows))
        _copy(session, "order_lines", ("id", "order_id", "product_id", "variant_id", "title", "option", "quantity",
                                       "unit_price_paise", "line_total_paise", "made_to_order"),
              ((o, o, shop, shop, f"Product {shop}", "", quantity, total // quantity, total, True)
               for o, shop, _b, quantity, total, _at in rows))
        progress("orders", part.stop, orders)

    loans = members // 2
    for part in _chunks(loans):
        _copy(session, "loans", ("id", "member_id", "source", "lender", "principal_paise", "annual_rate_bps",
                                 "method", "tenure_months", "start_date", "late_fee_paise", "created_at"),
              ((n + 1, 2 * n + 1, ("shg", "bank", "seed")[n % 3], "", 20_000_00, 1200, "declining", 12,
                today - timedelta(days=n % 330), 0, now) for n in part))
        _copy(session, "loan_status", ("loan_id", "member_id", "group_id", "organisation_id", "state_code",
                                       "outstanding_paise", "overdue_days", "next_due_left_paise", "refreshed_on"),
              ((n + 1, 2 * n + 1, (2 * n) % groups + 1, (2 * n) % groups % orgs + 1,
                STATES[(2 * n) % groups % orgs % len(STATES)], 20_000_00 - (n % 330) * 5_000,
                (0, 0, 0, 0, 0, 0, 0, 12, 45, 90)[n % 10], 1_776_00, today) for n in part))
        progress("loans", part.stop, loans)
    if session.get_bind().dialect.name == "postgresql":
        session.execute(sa.text("ANALYZE"))  # the rollups' joins are planned on statistics of the rows just loaded
    _meetings(session, today, now)
    progress("monthly rollups", 0, 1)
    count_rollups(session)
    progress("monthly rollups", 1, 1)
    if session.get_bind().dialect.name == "postgresql":
        for table in ("programmes", "organisations", "self_help_groups", "users", "members", "businesses",
                      "products", "variants", "checkouts", "orders", "order_lines", "loans"):
            session.execute(sa.text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608 - table names from this module
                                    f"(SELECT max(id) FROM {table}))"))
        session.execute(sa.text("ANALYZE"))


def _meetings(session: Session, today: date, now: datetime) -> None:
    """Monthly meetings (attendance only: the large seed has no ledger, so no money) of the last six months, on the
    10th: four groups in five keep their books on Haat, some skip a month, one in eleven stopped three months ago;
    one member in six is away. The dashboards' meeting figures are derived from them with the rest."""
    for back in range(6):
        year, index = divmod(today.year * 12 + today.month - 1 - back, 12)
        held_on = min(date(year, index + 1, 10), today)
        session.execute(sa.text(
            "INSERT INTO meetings (group_id, held_on, client_key, cash_counted_paise, recorded_at) "
            "SELECT id, :held_on, 'large-' || id || '-' || :back, 0, :now FROM self_help_groups "
            "WHERE id % 5 <> 0 AND (id + :back) % 7 <> 0 AND (id % 11 <> 0 OR :back >= 3)"),
            {"held_on": held_on, "back": back, "now": now})
    session.execute(sa.text(
        "INSERT INTO meeting_rows (meeting_id, member_id, client_key, present, saving_paise, repaid_paise, "
        "fine_paise) SELECT t.id, m.id, t.client_key || ':' || m.id, m.id % 6 <> 0, 0, 0, 0 "
        "FROM meetings t JOIN members m ON m.group_id = t.group_id"))


def count_rollups(session: Session) -> None:
    """The sales rollups counted from the orders in SQL (the large seed has no ledger to replay)."""
    if session.get_bind().dialect.name == "postgresql":
        month = "date_trunc('month', o.placed_at AT TIME ZONE 'Asia/Kolkata')::date"
    else:
        month = "date(o.placed_at, '+330 minutes', 'start of month')"
    common = ("FROM orders o JOIN businesses b ON b.id = o.business_id JOIN self_help_groups g ON g.id = b.group_id "
              "JOIN organisations org ON org.id = g.organisation_id")
    columns = "month, business_id, category_id, group_id, organisation_id, state_code, income_paise, sales"
    session.execute(sa.text(  # S608: built from this function's own constants, no input
        f"INSERT INTO sales_months ({columns}) SELECT {month}, o.business_id, -1, g.id, org.id, org.state_code, "
        f"sum(o.subtotal_paise), count(*) {common} WHERE o.status = 'completed' "
        f"GROUP BY {month}, o.business_id, g.id, org.id, org.state_code"))
    session.execute(sa.text(
        f"INSERT INTO sales_months ({columns}) SELECT {month}, o.business_id, p.category_id, g.id, org.id, "
        f"org.state_code, sum(l.line_total_paise), count(*) {common} JOIN order_lines l ON l.order_id = o.id "
        f"JOIN products p ON p.id = l.product_id WHERE o.status = 'completed' "
        f"GROUP BY {month}, o.business_id, p.category_id, g.id, org.id, org.state_code"))
    derive(session)
