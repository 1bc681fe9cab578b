"""A page of products costs the same number of queries with 2 products as with 20: a query per relation the
cards show, never one per card."""

import sqlalchemy as sa

from catalog.services import VariantData
from market import db
from tests.factories import gen_product


def queries_for(client, app, path: str) -> int:
    seen = []

    def count(*_args):
        seen.append(1)

    with app.app_context():
        engine = db.engine()
    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        assert client.get(path).status_code == 200
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    return len(seen)


def add(session, world, n: int) -> None:
    for i in range(n):  # shops, categories and variant counts that differ from card to card
        shop = world.shop_a if i % 2 else world.shop_b
        variants = [VariantData(price_paise=300_00, stock=4, size="M"), VariantData(price_paise=320_00, stock=2,
                                                                                    size="L")] if i % 3 else None
        gen_product(session, shop, category_slug=("kurtis-tops", "snacks", "earrings")[i % 3], variants=variants)
    session.commit()


def test_the_catalogue_page_does_not_query_per_product(client, app, world, session):
    add(session, world, 2)
    few = queries_for(client, app, "/shop")
    add(session, world, 18)
    assert queries_for(client, app, "/shop") == few


def test_a_shop_page_does_not_query_per_product(client, app, world, session):
    add(session, world, 2)
    few = queries_for(client, app, f"/s/{world.shop_a.slug}")
    add(session, world, 18)
    assert queries_for(client, app, f"/s/{world.shop_a.slug}") == few
