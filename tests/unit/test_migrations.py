"""The Alembic migrations build exactly the schema the models describe, and go down again."""

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from catalog.search.postgres_backend import include_object
from market.cli import alembic_config
from market.core.db import make_engine
from market.models_registry import metadata


def test_migrations_match_the_models(database_url):
    engine = make_engine(database_url)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True, "include_object": include_object})
        diff = compare_metadata(context, metadata)
    engine.dispose()
    assert diff == []


def test_migrations_go_down_and_up_again(tmp_path):
    url = f"sqlite:///{tmp_path / 'm.db'}"
    cfg = alembic_config(url)
    cfg.attributes["configure_logger"] = False
    command.upgrade(cfg, "head")
    command.downgrade(cfg, "base")
    engine = make_engine(url)
    assert set(sa.inspect(engine).get_table_names()) == {"alembic_version"}
    engine.dispose()
    command.upgrade(cfg, "head")


def test_existing_orders_are_mapped_onto_their_delivery_method_s_path(tmp_path):
    url = f"sqlite:///{tmp_path / 'm.db'}"
    cfg = alembic_config(url)
    cfg.attributes["configure_logger"] = False
    engine = sa.create_engine(url)  # without the foreign keys pragma: orders without their shops and buyers
    rows = [(1, "pickup", "shipped"), (2, "pickup", "delivered"), (3, "local", "ready_for_pickup"),
            (4, "local", "shipped"), (5, "courier", "ready_for_pickup"), (6, "courier", "delivered"),
            (7, "pickup", "completed")]
    mapped = {1: "ready_for_pickup", 2: "collected", 3: "out_for_delivery", 4: "out_for_delivery", 5: "shipped",
              6: "delivered", 7: "completed"}

    def states(conn):
        return (dict(conn.execute(sa.text("SELECT id, status FROM orders")).all()),
                dict(conn.execute(sa.text("SELECT order_id, to_status FROM order_events")).all()))

    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "5d2a8e61f0c3")  # before fulfilment by delivery method
        for order_id, delivery, status in rows:
            conn.execute(sa.text(
                "INSERT INTO orders (id, checkout_id, business_id, buyer_id, status, wholesale, delivery, pickup_point,"
                " ship_to_name, ship_to_address, ship_to_pincode, subtotal_paise, delivery_fee_paise, total_paise,"
                " placed_at, updated_at) VALUES (:i, 1, 1, 1, :s, 0, :d, 'office', '', '', '', 100, 0, 100,"
                " '2026-12-01 10:00:00', '2026-12-01 10:00:00')"), {"i": order_id, "s": status, "d": delivery})
            conn.execute(sa.text("INSERT INTO order_events (order_id, at, actor_role, from_status, to_status, note)"
                                 " VALUES (:i, '2026-12-01 10:00:00', 'seller', 'packed', :s, '')"),
                         {"i": order_id, "s": status})
        command.upgrade(cfg, "head")
        assert states(conn) == (mapped, mapped)
        command.downgrade(cfg, "5d2a8e61f0c3")
        back = {**mapped, 2: "delivered", 3: "shipped", 4: "shipped"}
        assert states(conn) == (back, back)
    engine.dispose()
