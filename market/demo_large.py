"""`flask --app market seed-demo --scale large`: a programme at full size for the dashboards' benchmark.

200,000 members in 15,000 SHGs of 100 organisations in 5 states, a shop and a product each, 5,000,000
completed orders over this month and the eleven before (a few shops sell a lot, most a little), group savings
(Rs 100-500 a month for most members, paid at their group's monthly meeting, some months missed), 100,000 loans,
the demo staff (the Maharashtra organisations) and admin accounts, and the dashboards' rollups counted from the
orders and the ledger with INSERT ... SELECT. Rows go in by COPY on PostgreSQL (executemany on SQLite, which is
far slower at this size). Every account gets the same password hash. Only for a benchmark database: it never
runs on one that has data.

Savings are real ledger entries, as `vendors.finance.record_saving` writes them ("saved in cash": her own cash
debited, her savings account credited, each entry balanced), written by COPY without the `ledger_posted` event;
`rollups.derive` then counts member_months and area_months from the ledger, as `dashboards rebuild` does.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from market.core.ledger import AccountKind, EntryKind, member_own_cash, member_savings
from market.core.models import Role, User
from market.reports.rollups import derive
from vendors.services import assign_staff

STATES = ("MH", "TN", "WB", "KA", "TS")
FULL = {"organisations": 100, "groups": 15_000, "members": 200_000, "orders": 5_000_000, "buyers": 2_000}
CHUNK = 50_000
SAVING_DUE = (100_00, 150_00, 200_00)  # a group's monthly saving, by group
SAVING_AMOUNTS = (100_00, 100_00, 150_00, 200_00, 200_00, 250_00, 300_00, 400_00, 500_00)  # what a member saves
DEMO_ACCOUNTS = ("staff@example.org", "admin@example.org")
PHASES = {"accounts": "accounts", "members and shops": "members", "orders": "orders", "savings": "members",
          "loans": "loans", "statistics": "step", "monthly rollups": "steps", "demo accounts": "accounts"}  # unit


def scaled(members: int) -> dict[str, int]:
    """The full programme's proportions for fewer members (a try-out, the tests)."""
    ratio = members / FULL["members"]
    return {"organisations": max(1, round(FULL["organisations"] * ratio)),
            "groups": max(1, round(FULL["groups"] * ratio)), "members": members,
            "orders": round(FULL["orders"] * ratio), "buyers": max(1, round(FULL["buyers"] * ratio))}


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
    """Fill an empty database; `progress(phase, done, total)` is called as rows go in (phases: PHASES)."""
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
          ((g + 1, g % orgs + 1, f"SHG {g + 1}", f"Ward {g % 200}", SAVING_DUE[g % len(SAVING_DUE)])
           for g in range(groups)))
    members, buyers = size["members"], size["buyers"]
    progress("accounts", 0, members + buyers)
    for part in _chunks(members + buyers):
        _copy(session, "users", ("id", "phone", "password_hash", "name", "role", "is_active", "session_version",
                                 "created_at", "locale"),
              ((u + 1, f"+9170{u:08d}", password_hash, f"Member {u + 1}" if u < members else f"Buyer {u + 1}",
                "entrepreneur" if u < members else "buyer", True, 0, now, "hi") for u in part))
        progress("accounts", part.stop, members + buyers)
    progress("members and shops", 0, members)
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
    progress("orders", 0, orders)
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
    _savings(session, rng, members, groups, now, progress)

    loans = members // 2
    progress("loans", 0, loans)
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
    postgres = session.get_bind().dialect.name == "postgresql"
    progress("statistics", 0, 1)
    if postgres:
        session.execute(sa.text("ANALYZE"))  # the rollups' joins are planned on statistics of the rows just loaded
    progress("statistics", 1, 1)
    _meetings(session, today, now)
    count_rollups(session, lambda done, total: progress("monthly rollups", done, total))
    if postgres:
        for table in ("programmes", "organisations", "self_help_groups", "users", "members", "businesses",
                      "products", "variants", "checkouts", "orders", "order_lines", "loans", "ledger_accounts",
                      "ledger_entries", "ledger_postings"):
            session.execute(sa.text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608 - table names from this module
                                    f"(SELECT max(id) FROM {table}))"))
        session.execute(sa.text("ANALYZE"))
    progress("demo accounts", 0, len(DEMO_ACCOUNTS))
    demo_accounts(session, password_hash, orgs)
    progress("demo accounts", len(DEMO_ACCOUNTS), len(DEMO_ACCOUNTS))


def _meetings(session: Session, today: date, now: datetime) -> None:
    """Monthly meetings (attendance only: the savings are the ledger entries of _savings) of the last six months, on the
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


def demo_accounts(session: Session, password_hash: str, organisations: int) -> None:
    """The demo staff account (the Maharashtra organisations, as in the small demo) and the admin's, with the
    demo password, so the dashboards open after a large seed."""
    staff = User(name="Demo staff", role=str(Role.STAFF), email=DEMO_ACCOUNTS[0], password_hash=password_hash)
    admin = User(name="Demo admin", role=str(Role.ADMIN), email=DEMO_ACCOUNTS[1], password_hash=password_hash)
    session.add_all([staff, admin])
    session.flush()
    assign_staff(session, staff, [o + 1 for o in range(organisations) if STATES[o % len(STATES)] == "MH"])


def _savings(session: Session, rng: random.Random, members: int, groups: int, now: datetime,
             progress: Callable[[str, int, int], None]) -> None:
    """Each member's savings at her group's monthly meeting (a day of the month per group), this month and the
    eleven before: most save a regular Rs 100-500 (one in twenty never does), about one month in eight is
    missed, and now and then only half is paid. One balanced ledger entry per saving, as record_saving writes."""
    today = now.date()
    months = [(today.year * 12 + today.month - 1 - back) for back in range(11, -1, -1)]
    account, entry, posting = (int(session.scalar(sa.text(f"SELECT coalesce(max(id), 0) FROM {table}")))  # noqa: S608 - fixed names
                               for table in ("ledger_accounts", "ledger_entries", "ledger_postings"))
    progress("savings", 0, members)
    for part in _chunks(members):
        accounts, entries, postings = [], [], []
        for m in part:
            member = m + 1
            if m % 20 == 19:
                continue  # never saves
            regular = SAVING_AMOUNTS[rng.randrange(len(SAVING_AMOUNTS))]
            meeting = 1 + (m % groups) % 28
            own, saved = account + 2 * member - 1, account + 2 * member  # her two accounts' ids
            accounts += [(own, member_own_cash(member), str(AccountKind.ASSET), member),
                         (saved, member_savings(member), str(AccountKind.LIABILITY), member)]
            for index in months:
                year, month = divmod(index, 12)
                if (year, month + 1) == (today.year, today.month) and meeting >= today.day:
                    continue  # this month's meeting is still to come
                if rng.random() < 0.125:
                    continue  # missed this month
                amount = regular // 2 if rng.random() < 0.08 else regular
                entry += 1
                entries.append((entry, datetime(year, month + 1, meeting, 6, 30, tzinfo=UTC),  # noon in India
                                str(EntryKind.ALLOCATION), "saved in cash"))
                postings += [(posting + 1, entry, own, amount), (posting + 2, entry, saved, -amount)]
                posting += 2
        _copy(session, "ledger_accounts", ("id", "code", "kind", "member_id"), accounts)
        _copy(session, "ledger_entries", ("id", "at", "kind", "memo"), entries)
        _copy(session, "ledger_postings", ("id", "entry_id", "account_id", "amount_paise"), postings)
        progress("savings", part.stop, members)


def count_rollups(session: Session, progress: Callable[[int, int], None] = lambda *_: None) -> None:
    """The sales rollups counted from the orders in SQL (the large seed has no sales in the ledger to replay),
    then the members', SHGs' and organisations' months from them and the savings in the ledger."""
    progress(0, 3)
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
    progress(1, 3)
    session.execute(sa.text(
        f"INSERT INTO sales_months ({columns}) SELECT {month}, o.business_id, p.category_id, g.id, org.id, "
        f"org.state_code, sum(l.line_total_paise), count(*) {common} JOIN order_lines l ON l.order_id = o.id "
        f"JOIN products p ON p.id = l.product_id WHERE o.status = 'completed' "
        f"GROUP BY {month}, o.business_id, p.category_id, g.id, org.id, org.state_code"))
    progress(2, 3)
    derive(session)
    progress(3, 3)
