"""The migration for wholesale payments in parts keeps every row on SQLite: `payments` is copied (its unique and
check constraints change), which with foreign keys on would fail on, or delete, the rows pointing at it; `orders`
only gains a column (a copy would delete its lines and history by cascade)."""

from __future__ import annotations

import sqlite3

from alembic import command

from market.cli import alembic_config

BEFORE, AFTER = "7e4b2c9d1f08", "7e2b9c4d1f08"  # the migration before it, and it


def _insert(db: sqlite3.Connection, table: str, **values) -> None:
    """A row with these values, every other NOT NULL column without a default given a plain one."""
    for _cid, name, kind, notnull, default, pk in db.execute(f"PRAGMA table_info({table})").fetchall():
        if notnull and default is None and not pk and name not in values:
            kind = kind.upper()
            values[name] = 0 if ("INT" in kind or "BOOL" in kind or "NUMERIC" in kind) else \
                "2026-12-01 10:00:00.000000" if ("DATE" in kind or "TIME" in kind) else "x"
    columns = ", ".join(values)
    marks = ", ".join("?" for _ in values)
    db.execute(f"INSERT INTO {table} ({columns}) VALUES ({marks})", list(values.values()))  # noqa: S608 - our names


def count(db: sqlite3.Connection, table: str) -> int:
    return db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # noqa: S608 - a table name of ours


def test_payments_and_orders_keep_their_rows_and_the_rows_pointing_at_them(tmp_path):
    path = tmp_path / "m.db"
    cfg = alembic_config(f"sqlite:///{path}")
    cfg.attributes["configure_logger"] = False
    command.upgrade(cfg, BEFORE)
    db = sqlite3.connect(path)  # foreign keys off here: the rows they would point at need not exist
    _insert(db, "checkouts", id=1, buyer_id=1, idempotency_key="k1", total_paise=1000)
    _insert(db, "orders", id=1, checkout_id=1, business_id=1, buyer_id=1, status="placed", delivery="pickup",
            pickup_point="office", subtotal_paise=1000, delivery_fee_paise=0, total_paise=1000, wholesale=0)
    _insert(db, "order_lines", id=1, order_id=1, product_id=1, variant_id=1, title="t", quantity=1,
            unit_price_paise=1000, line_total_paise=1000)
    _insert(db, "order_events", id=1, order_id=1, actor_role="buyer", to_status="placed")
    _insert(db, "payments", id=1, checkout_id=1, order_id=1, gateway="cash", amount_paise=1000, status="created",
            refunded_paise=0, fee_paise=0, currency="INR")
    _insert(db, "payment_events", id=1, payment_id=1, to_status="created", source="system")
    db.commit()
    db.close()

    command.upgrade(cfg, AFTER)
    db = sqlite3.connect(path)
    assert [count(db, t) for t in ("orders", "order_lines", "order_events", "payments", "payment_events")] == \
        [1, 1, 1, 1, 1]
    assert db.execute("SELECT part, order_id FROM payments").fetchall() == [("whole", 1)]
    assert db.execute("SELECT advance_percent FROM orders").fetchall() == [(0,)]
    db.close()

    command.downgrade(cfg, BEFORE)
    db = sqlite3.connect(path)
    assert [count(db, t) for t in ("orders", "order_lines", "order_events", "payments", "payment_events")] == \
        [1, 1, 1, 1, 1]
    db.close()
