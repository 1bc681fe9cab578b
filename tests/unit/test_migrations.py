"""The Alembic migrations build exactly the schema the models describe, and go down again."""

import importlib.util
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from catalog.models import SearchQueue
from catalog.search.postgres_backend import include_object
from catalog.services import VariantData
from market.cli import alembic_config
from market.core.db import make_engine
from market.core.security import has_contact
from market.models_registry import metadata
from tests.factories import gen_business, gen_product


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


BEFORE_FULFILMENT = "0d688b17e03d"  # the revision before fulfilment by delivery method (b7c1f0d2e9a4)


def test_existing_orders_are_mapped_onto_their_delivery_method_s_path(tmp_path):
    """Each order's state is mapped onto its method's path, its history too, and nothing pointing at orders is
    lost: the migration runs with foreign keys on (as `flask db upgrade` does), where copying `orders` on SQLite
    would cascade-delete its lines and messages."""
    url = f"sqlite:///{tmp_path / 'm.db'}"
    cfg = alembic_config(url)
    cfg.attributes["configure_logger"] = False
    command.upgrade(cfg, BEFORE_FULFILMENT)
    rows = [(1, "pickup", "shipped"), (2, "pickup", "delivered"), (3, "local", "ready_for_pickup"),
            (4, "local", "shipped"), (5, "courier", "ready_for_pickup"), (6, "courier", "delivered"),
            (7, "pickup", "completed")]
    mapped = {1: "ready_for_pickup", 2: "collected", 3: "out_for_delivery", 4: "out_for_delivery", 5: "shipped",
              6: "delivered", 7: "completed"}
    plain = sa.create_engine(url)  # no foreign keys pragma: orders without their shops and buyers
    with plain.begin() as conn:
        for order_id, delivery, status in rows:
            conn.execute(sa.text(
                "INSERT INTO orders (id, checkout_id, business_id, buyer_id, status, wholesale, delivery, pickup_point,"
                " ship_to_name, ship_to_address, ship_to_pincode, subtotal_paise, delivery_fee_paise, total_paise,"
                " placed_at, updated_at, advance_percent) VALUES (:i, 1, 1, 1, :s, 0, :d, 'office', '', '', '', 100,"
                " 0, 100, '2026-12-01 10:00:00', '2026-12-01 10:00:00', 0)"),
                {"i": order_id, "s": status, "d": delivery})
            conn.execute(sa.text("INSERT INTO order_events (order_id, at, actor_role, from_status, to_status, note)"
                                 " VALUES (:i, '2026-12-01 10:00:00', 'seller', 'packed', :s, '')"),
                         {"i": order_id, "s": status})
            conn.execute(sa.text("INSERT INTO order_lines (order_id, product_id, variant_id, title, option, quantity,"
                                 " unit_price_paise, line_total_paise, made_to_order) VALUES (:i, 1, 1, 'Kurti', '',"
                                 " 1, 100, 100, 0)"), {"i": order_id})
            conn.execute(sa.text("INSERT INTO order_messages (order_id, from_seller, body, at)"
                                 " VALUES (:i, 0, 'Thank you', '2026-12-01 10:00:00')"), {"i": order_id})
    plain.dispose()

    def states():
        engine = sa.create_engine(url)
        with engine.connect() as conn:
            found = (dict(conn.execute(sa.text("SELECT id, status FROM orders")).all()),
                     dict(conn.execute(sa.text("SELECT order_id, to_status FROM order_events")).all()),
                     conn.scalar(sa.text("SELECT count(*) FROM order_lines")),
                     conn.scalar(sa.text("SELECT count(*) FROM order_messages")))
        engine.dispose()
        return found

    command.upgrade(cfg, "head")
    assert states() == (mapped, mapped, 7, 7)
    command.downgrade(cfg, BEFORE_FULFILMENT)
    back = {**mapped, 2: "delivered", 3: "shipped", 4: "shipped"}
    assert states() == (back, back, 7, 7)
    command.upgrade(cfg, "head")
    assert states() == (mapped, mapped, 7, 7)


def _migration(name: str):
    """A migration module by its file name (migrations/versions is not a package)."""
    path = next((Path(__file__).parents[2] / "migrations" / "versions").glob(f"*_{name}.py"))
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_contacts_written_before_the_rule_are_hidden_from_buyers(session):
    """Shop names, stories, titles, descriptions and sizes saved before contacts were refused: the migration hides
    each contact where it stands, leaves the rest of the words and every clean row alone, and queues the search."""
    shop, clean = gen_business(session), gen_business(session, public_name="Tulsi pickles")
    product = gen_product(session, shop, variants=[VariantData(price_paise=100, stock=1, size="M"),
                                                   VariantData(price_paise=100, stock=1, size="L")])
    untouched = gen_product(session, clean, title="Mango pickle", description="Sun-dried, 250 g.")
    shop.public_name, shop.story = "Rani crafts 98765.43210", "Write to rani.crafts@gmail.com for bulk"
    product.title, product.description = "Kurti, call nine eight 7654 3210", "UPI rani@okaxis, cotton"
    product.variants[0].size, product.variants[1].size = "M 98765 43210", "L 98765-43210"
    session.flush()
    session.execute(sa.delete(SearchQueue))

    changed = _migration("hide_contacts_written_before_the_rule").hide_old_contacts(session.connection())

    session.expire_all()
    assert changed == {"businesses": 1, "products": 1, "variants": 2}
    assert (shop.public_name, shop.story) == ("Rani crafts […]", "Write to […] for bulk")
    assert (product.title, product.description) == ("Kurti, call […]", "UPI […], cotton")
    assert not any(has_contact(v.size) for v in product.variants) and len({v.size for v in product.variants}) == 2
    assert (clean.public_name, untouched.title, untouched.description) == (
        "Tulsi pickles", "Mango pickle", "Sun-dried, 250 g.")
    assert set(session.scalars(sa.select(SearchQueue.product_id))) == {product.id}
