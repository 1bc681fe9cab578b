"""A page of products costs the same number of queries with 2 products as with 20: a query per relation the
cards show, never one per card."""

import re
import secrets

import flask
import pytest
import sqlalchemy as sa

from catalog.models import Photo, Product
from catalog.search import sync
from catalog.services import TierData, VariantData
from catalog.views import PRODUCT_PAGE
from market.core import db
from orders.services import cart_for, set_quantity
from tests.conftest import login, statements_sent
from tests.factories import gen_product


@pytest.fixture(autouse=True)
def pages_made_afresh(app):
    """Every page made for its request: a guest's page again would come from the page cache with no query."""
    app.config["PAGE_CACHE"] = False


def queries_for(client, app, path: str) -> int:
    """How many statements the page sends."""
    with app.app_context():
        engine = db.engine()
    with statements_sent(engine) as seen:
        assert client.get(path).status_code == 200
    return len(seen)


def add(session, world, n: int) -> list:
    made = []
    for i in range(n):  # shops, categories, photos and variant counts that differ from card to card
        shop = world.shop_a if i % 2 else world.shop_b
        variants = [VariantData(price_paise=300_00, stock=4, size="M"), VariantData(price_paise=320_00, stock=2,
                                                                                    size="L")] if i % 3 else None
        product = gen_product(session, shop, title=f"Indigo kurti {i}", variants=variants,
                              category_slug=("kurtis-tops", "snacks", "earrings")[i % 3])
        for position in range(i % 3):  # rows only: the page links to the renditions, it does not read them
            session.add(Photo(product=product, key=secrets.token_urlsafe(16), position=position, width=1080,
                              height=1440, widths="160,320,640,1080"))
        made.append(product)
    session.commit()
    return made


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


# -- every public page: a fixed number of statements, the same for 2 products as for 24 -----------------------

def public_pages(world) -> dict[str, str]:
    return {"home": "/", "catalogue": "/shop", "category": "/c/garments", "shop": f"/s/{world.shop_a.slug}",
            "search": "/search?q=indigo", "cart": "/cart"}


def counted(client, app, paths: dict[str, str]) -> dict[str, int]:
    return {name: queries_for(client, app, path) for name, path in paths.items()}


def index_for_search(app) -> None:
    """What the search worker does after a commit: the queued products into the index."""
    with app.app_context():
        sync(db.session)


def fill_cart(session, buyer, products) -> None:
    cart = cart_for(session, buyer, None, create=True)
    for product in products:
        set_quantity(session, cart, product.variants[0].id, 1)
    session.commit()


# Statements per page, the same for 2 products as for 24. A logged-in buyer costs two more on every page (her
# account with her login session, her unread notifications count) and her cart three of its own.
GUEST = {"home": 1, "catalogue": 1, "category": 1, "shop": 3, "search": 1, "cart": 0}
BUYER = {"home": 3, "catalogue": 3, "category": 3, "shop": 5, "search": 3, "cart": 5}


@pytest.mark.parametrize("as_buyer", [False, True], ids=["guest", "buyer"])
def test_every_public_page_costs_the_same_few_queries_for_2_products_as_for_24(client, app, world, session,
                                                                                as_buyer):
    made = add(session, world, 2)
    world.shop_a.show_group = True  # its page names the group: loaded with the shop
    index_for_search(app)
    if as_buyer:
        login(client, world.buyer.email)
        fill_cart(session, world.buyer, made)
    for path in public_pages(world).values():
        client.get(path)  # a process's first visit reads what it keeps afterwards (categories, states, words)
    few = counted(client, app, public_pages(world))
    more = add(session, world, 22)
    index_for_search(app)
    if as_buyer:
        fill_cart(session, world.buyer, more)
    assert counted(client, app, public_pages(world)) == few == (BUYER if as_buyer else GUEST)


def test_a_product_page_costs_the_same_queries_with_one_photo_and_variant_as_with_many(client, app, world, session):
    plain = gen_product(session, world.shop_a, title="Plain kurti")
    rich = gen_product(session, world.shop_a, title="Rich kurti", tiers=[TierData(10, 400_00), TierData(50, 350_00)],
                       variants=[VariantData(price_paise=450_00, stock=3, size=size) for size in ("S", "M", "L")])
    for product, photos in ((plain, 1), (rich, 4)):
        for position in range(photos):
            session.add(Photo(product=product, key=secrets.token_urlsafe(16), position=position, width=1080,
                              height=1440, widths="160,320,640,1080"))
    session.commit()
    client.get("/shop")  # the categories, read once per process
    # the product with its shop; its photos, variants and wholesale tiers a query each
    assert queries_for(client, app, f"/p/{plain.id}") == queries_for(client, app, f"/p/{rich.id}") == 4
    page = client.get(f"/p/{rich.id}").text
    assert page.count("<picture>") == 4 and "Wholesale prices" in page and page.count("<option") == 3


def test_the_product_page_query_refuses_to_load_anything_more_behind_the_templates_back(app, world, session):
    product = gen_product(session, world.shop_a)
    session.commit()
    with app.test_request_context(f"/p/{product.id}"):
        item = db.session.scalar(sa.select(Product).where(Product.id == product.id).options(*PRODUCT_PAGE))
        assert item.business.public_name and item.variants and item.photos == []  # loaded with it
        with pytest.raises(sa.exc.InvalidRequestError, match="lazy='raise'"):
            item.category  # noqa: B018 - templates use kind(category_id), which asks no query
        db.session.rollback()
