"""Category names come in the page's language on every page that shows them; the database keeps English."""

from __future__ import annotations

import csv
import io

import pytest
from babel.messages.pofile import read_po

from market import ROOT
from market.reports import rollups
from tests.conftest import login
from tests.factories import category, gen_product

TRADES = ("Garments", "Food", "Imitation jewellery", "Home and handicrafts")


@pytest.fixture(scope="module")
def hindi():
    with (ROOT / "translations" / "hi" / "LC_MESSAGES" / "messages.po").open("rb") as f:
        catalogue = read_po(f, locale="hi")
    return lambda english: catalogue[english].string


@pytest.fixture
def shelf(session, world):
    """A kurti and a saree in shop A (garments)."""
    made = [gen_product(session, world.shop_a, category_slug="kurtis-tops", title="Block-print kurti"),
            gen_product(session, world.shop_a, category_slug="sarees", title="Cotton saree")]
    session.commit()
    return made


def shows_in_hindi(page: str, hindi, names) -> None:
    for english in names:
        assert hindi(english) in page, english
        assert english not in page, english


def test_browsing_in_hindi_names_the_trades_and_the_kind_in_hindi(client, shelf, hindi):
    client.post("/language/hi")
    page = client.get("/c/garments").text
    shows_in_hindi(page, hindi, TRADES)
    assert f"<h1>{hindi('Garments')}</h1>" in page and f"<title>{hindi('Garments')}" in page
    page = client.get("/c/kurtis-tops").text
    assert f"<h1>{hindi('Kurtis and tops')}</h1>" in page and "Kurtis and tops" not in page
    shows_in_hindi(client.get("/shop").text, hindi, TRADES)


def test_home_search_product_and_shop_pages_name_categories_in_hindi(client, world, shelf, hindi):
    client.post("/language/hi")
    shows_in_hindi(client.get("/").text, hindi, TRADES)
    shows_in_hindi(client.get("/search?q=zzqqxx").text, hindi, TRADES)  # nothing found: the trades to browse
    kurti, _saree = shelf
    shows_in_hindi(client.get(f"/p/{kurti.id}").text, hindi, ["Garments", "Kurtis and tops"])  # the crumbs
    shows_in_hindi(client.get(f"/s/{world.shop_a.slug}").text, hindi, ["Kurtis and tops", "Sarees"])  # the chips


def test_the_product_forms_category_list_is_in_hindi(client, session, world, hindi):
    client.post("/language/hi")
    login(client, world.member_a.user.phone)
    page = client.get("/seller/products/new").text
    kinds = ["Kurtis and tops", "Sarees", "Children's wear", "Pickles and chutneys", "Papad and vadagam", "Bangles",
             "Anklets and toe rings", "Quilts and home textiles"]
    for english in kinds:
        assert f">{hindi(english)}</option>" in page, english
        assert english not in page.replace("&#39;", "'"), english
    assert f'<optgroup label="{hindi("Garments")}">' in page
    assert f'value="{category(session, "sarees").id}"' in page  # the value stays the id


def test_the_staff_dashboards_top_categories_are_in_hindi_on_the_page_and_in_the_export(client, session, world,
                                                                                       hindi):
    rollups.add(session, world.shop_a, [(category(session, "sarees").id, 5_000_00), (rollups.OTHER, 1_000_00)], 1)
    session.commit()
    client.post("/language/hi")
    login(client, world.staff_a.email)
    page = client.get(f"/staff/dashboard/organisation/{world.org_a.id}").text
    assert f"<span>{hindi('Sarees')}</span>" in page and f"<span>{hindi('Other')}</span>" in page
    body = client.get(f"/staff/dashboard/organisation/{world.org_a.id}/export.csv?table=categories").data
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert [row[0] for row in rows[1:]] == [hindi("Sarees"), hindi("Other")]
