"""The migration that keeps every offer of a quote: a price a seller sent before becomes her first offer."""

from datetime import date, datetime

import sqlalchemy as sa
from alembic import command

from market.cli import alembic_config
from market.core.db import make_engine

BEFORE, AFTER = "5d2a8e61f0c3", "7a9c4e2b1d30"


def _filler(column: sa.Column):
    kind = column.type
    if isinstance(kind, sa.Boolean):
        return False
    if isinstance(kind, sa.Integer):
        return 1
    if isinstance(kind, sa.DateTime) or "DateTime" in type(kind).__name__:
        return datetime(2026, 11, 1)
    if isinstance(kind, sa.Date):
        return date(2026, 12, 20)
    return "x"


KNOWN = {"products": {"status": "active"}, "users": {"role": "wholesaler", "email": "w@example.com"},
         "orders": {"status": "placed", "delivery": "pickup", "delivery_fee_paise": 0},
         "businesses": {"kind": "group"}}


def _insert(conn, table: sa.Table, done: set, **values) -> None:
    """A row with every required column filled, and a row id 1 in each table it must point to."""
    for fk in table.foreign_keys:
        parent = fk.column.table
        if not fk.parent.nullable and parent.name not in done and parent is not table:
            done.add(parent.name)
            if conn.execute(sa.select(parent.c.id).where(parent.c.id == 1)).first() is None:  # not seeded
                _insert(conn, parent, done, id=1)
    row = {c.name: _filler(c) for c in table.columns
           if not c.nullable and c.server_default is None and not c.primary_key}
    conn.execute(table.insert().values({**row, **KNOWN.get(table.name, {}), **values}))


def test_a_price_sent_before_becomes_the_sellers_first_offer_and_goes_back(tmp_path):
    url = f"sqlite:///{tmp_path / 'q.db'}"
    cfg = alembic_config(url)
    cfg.attributes["configure_logger"] = False
    command.upgrade(cfg, BEFORE)
    engine = make_engine(url)
    meta = sa.MetaData()
    meta.reflect(engine)
    products, variants, quotes = (meta.tables[n] for n in ("products", "variants", "quote_requests"))
    done = {"products", "variants"}
    with engine.begin() as conn:
        _insert(conn, products, done, id=1, made_to_order=True)
        _insert(conn, variants, done, id=1, product_id=1, stock=0)
        for quote_id, status, counter in ((1, "countered", 68_000), (2, "requested", None), (3, "accepted", None)):
            _insert(conn, quotes, done, id=quote_id, variant_id=1, status=status, counter_price_paise=counter,
                    quantity=50, target_price_paise=60_000, needed_by=date(2026, 12, 20))
        _insert(conn, meta.tables["order_lines"], done, id=1, order_id=1, product_id=1, variant_id=1)
    lines = sa.text("SELECT count(*) FROM order_lines")
    command.upgrade(cfg, AFTER)
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT id, status FROM quote_requests ORDER BY id")).all() == [
            (1, "offered"), (2, "requested"), (3, "accepted")]
        assert conn.execute(lines).scalar() == 1  # adding the order's column copied no table: nothing cascaded
        assert conn.execute(sa.text("SELECT advance_percent FROM orders")).all() == [(0,)]
        assert conn.execute(sa.text("SELECT quote_id, side, price_paise, from_stock, ready_by, advance_percent, "
                                    "valid_until FROM quote_offers")).all() == [
            (1, "seller", 68_000, 0, "2026-12-20", 0, "2026-12-20")]
    command.downgrade(cfg, BEFORE)
    with engine.connect() as conn:
        back = sa.text("SELECT id, status, counter_price_paise FROM quote_requests ORDER BY id")
        assert conn.execute(back).all() == [(1, "countered", 68_000), (2, "requested", None), (3, "accepted", None)]
        assert conn.execute(lines).scalar() == 1
    engine.dispose()
