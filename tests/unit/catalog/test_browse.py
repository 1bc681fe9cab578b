"""Buyers' lists: facets, sorts and keyset pagination that never repeats or skips a product."""

import pytest
from werkzeug.datastructures import MultiDict

from catalog.browse import Filters, listed_products, parse_cursor
from catalog.services import TierData, VariantData, category_ids
from tests.factories import gen_business, gen_group, gen_member, gen_organisation, gen_product


@pytest.fixture
def shelf(session):
    """Eight products over two states, two trades, with and without stock and wholesale."""
    mh = gen_business(session)
    tn_group = gen_group(session, gen_organisation(session, state_code="TN"))
    tn = gen_business(session, [gen_member(session, tn_group)])
    made = [
        gen_product(session, mh, title="kurti 100", price_paise=10_000),
        gen_product(session, mh, title="kurti 300", price_paise=30_000, stock=0),
        gen_product(session, mh, title="saree 900", category_slug="sarees", price_paise=90_000,
                    tiers=[TierData(10, 80_000)]),
        gen_product(session, tn, title="pickle 200", category_slug="pickles", price_paise=20_000),
        gen_product(session, tn, title="pickle 200b", category_slug="pickles", price_paise=20_000),
        gen_product(session, tn, title="jhumka 3000", category_slug="earrings", price_paise=300_000),
        gen_product(session, tn, title="draft", publish=False),
        gen_product(session, tn, title="kurti 500 tn", price_paise=50_000),
    ]
    session.flush()
    return made


def titles(page):
    return [p.title for p in page.items]


def walk(session, filters, ids=None, per_page=2):
    """Every page, following the cursors."""
    seen, cursor = [], None
    while True:
        page = listed_products(session, filters, ids, cursor, per_page=per_page)
        seen += titles(page)
        if page.next_cursor is None:
            return seen
        cursor = page.next_cursor


def test_newest_first_by_default_and_drafts_hidden(session, shelf):
    assert walk(session, Filters()) == ["kurti 500 tn", "jhumka 3000", "pickle 200b", "pickle 200", "saree 900",
                                         "kurti 300", "kurti 100"]


def test_price_sorts_page_through_ties_without_repeats(session, shelf):
    assert walk(session, Filters(sort="price_asc")) == ["kurti 100", "pickle 200", "pickle 200b", "kurti 300",
                                                         "kurti 500 tn", "saree 900", "jhumka 3000"]
    assert walk(session, Filters(sort="price_desc"), per_page=3) == [
        "jhumka 3000", "saree 900", "kurti 500 tn", "kurti 300", "pickle 200b", "pickle 200", "kurti 100"]


def test_facets(session, shelf):
    garments = category_ids(session, "garments")
    assert set(walk(session, Filters(), garments)) == {"kurti 100", "kurti 300", "saree 900", "kurti 500 tn"}
    assert walk(session, Filters(), category_ids(session, "pickles")) == ["pickle 200b", "pickle 200"]
    assert walk(session, Filters(state="TN", sort="price_asc")) == ["pickle 200", "pickle 200b", "kurti 500 tn",
                                                                    "jhumka 3000"]
    assert walk(session, Filters(wholesale=True)) == ["saree 900"]
    assert "kurti 300" not in walk(session, Filters(in_stock=True))
    assert walk(session, Filters(price="250-500", sort="price_asc")) == ["kurti 300"]
    assert walk(session, Filters(price="over-2500")) == ["jhumka 3000"]
    assert walk(session, Filters(), category_ids(session, "no-such-category")) == []


def test_filters_ignore_what_is_not_ours():
    f = Filters.from_args(MultiDict({"price": "free", "state": "zz", "sort": "random()", "wholesale": "yes",
                                     "in_stock": "1", "category": "sarees"}))
    assert f == Filters(category="sarees", in_stock=True)
    assert Filters.from_args(MultiDict({"state": "tn"})).state == "TN"
    assert f.args(sort="price_asc") == {"category": "sarees", "in_stock": "1", "sort": "price_asc"}


@pytest.mark.parametrize(("cursor", "sort", "expected"), [
    ("12", "newest", (0, 12)), ("4500.12", "price_asc", (4500, 12)), ("4500.12", "newest", None),
    ("12", "price_asc", None), ("-1", "newest", None), ("1;drop", "newest", None), ("9" * 50, "newest", None),
    (None, "newest", None),
])
def test_cursors_are_parsed_strictly(cursor, sort, expected):
    assert parse_cursor(cursor, sort) == expected


def test_a_variant_price_change_moves_the_product_in_price_order(session, shelf):
    from catalog.services import update_product
    from tests.unit.catalog.test_products import data

    cheap = shelf[0]
    update_product(session, cheap, data(session, title="kurti 100", variants=[VariantData(95_000, 1)]))
    session.flush()
    assert walk(session, Filters(sort="price_asc"))[-2:] == ["kurti 100", "jhumka 3000"]
