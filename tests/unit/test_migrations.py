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
