"""A page of products costs the same number of queries with 2 products as with 20: a query per relation the
cards show, never one per card."""

import re
import secrets

import flask
import pytest
import sqlalchemy as sa

from catalog.models import Photo
from catalog.services import VariantData
from market.core import db
from tests.factories import gen_product

SAVEPOINTS = ("SAVEPOINT ", "RELEASE SAVEPOINT ", "ROLLBACK TO SAVEPOINT ")


@pytest.fixture(autouse=True)
def pages_made_afresh(app):
    """Every page made for its request: a guest's page again would come from the page cache with no query."""
    app.config["PAGE_CACHE"] = False


def queries_for(client, app, path: str) -> int:
    """How many statements the page sends (not the savepoints that keep each test's rows in one transaction)."""
    seen = []

    def count(_conn, _cursor, statement, *_args):
        if not statement.startswith(SAVEPOINTS):
            seen.append(statement)

    with app.app_context():
        engine = db.engine()
    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        assert client.get(path).status_code == 200
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    return len(seen)


def add(session, world, n: int) -> None:
    for i in range(n):  # shops, categories, photos and variant counts that differ from card to card
        shop = world.shop_a if i % 2 else world.shop_b
        variants = [VariantData(price_paise=300_00, stock=4, size="M"), VariantData(price_paise=320_00, stock=2,
                                                                                    size="L")] if i % 3 else None
        product = gen_product(session, shop, category_slug=("kurtis-tops", "snacks", "earrings")[i % 3],
                              variants=variants)
        for position in range(i % 3):  # rows only: the page links to the renditions, it does not read them
            session.add(Photo(product=product, key=secrets.token_urlsafe(16), position=position, width=1080,
                              height=1440, widths="160,320,640,1080"))
    session.commit()


def warm_up(client) -> None:
    """The first page a process serves reads the categories and the states with sellers: kept afterwards."""
    assert "no-photo" in client.get("/shop").text  # a card without a photo shows its category's icon


def test_the_catalogue_page_does_not_query_per_product(client, app, world, session):
    add(session, world, 2)
    warm_up(client)
    few = queries_for(client, app, "/shop")
    add(session, world, 18)
    assert queries_for(client, app, "/shop") == few == 1  # products with their shops, photos and variant counts


def test_a_shop_page_does_not_query_per_product(client, app, world, session):
    add(session, world, 2)
    warm_up(client)
    few = queries_for(client, app, f"/s/{world.shop_a.slug}")
    add(session, world, 18)
    assert queries_for(client, app, f"/s/{world.shop_a.slug}") == few


def test_the_cards_show_what_their_products_have(client, world, session):
    add(session, world, 6)
    page = client.get("/shop").text
    cards = re.findall(r'<li class="product">(.*?)</li>', page, re.S)
    assert len(cards) == 6
    for card in cards:  # its first photo, or its trade's icon; "from" only where there are two sizes
        assert card.count("<picture>") + card.count('class="no-photo"') == 1
    assert sum("from ₹300.00" in card for card in cards) == 4
    assert sum("<picture>" in card for card in cards) == 4


def test_photo_urls_written_without_the_router_are_the_routers(app):
    from catalog.views import media_url, srcset

    key = secrets.token_urlsafe(16)
    for root in ("", "/haat"):
        with app.test_request_context("/shop", base_url=f"http://localhost{root}"):
            assert media_url(key, 320, "webp") == flask.url_for("catalog.media", key=key, width=320, ext="webp")
            assert srcset(key, [160, 640], "jpg") == ", ".join(
                f"{flask.url_for('catalog.media', key=key, width=w, ext='jpg')} {w}w" for w in (160, 640))
            assert media_url(key, 320, "webp").startswith(f"{root}/media/")


def test_a_products_variant_count_loads_on_its_own_where_the_cards_query_is_not_used(session, world):
    from catalog.models import Product

    add(session, world, 3)
    session.expunge_all()
    assert sorted(p.variant_count for p in session.scalars(sa.select(Product))) == [1, 2, 2]
