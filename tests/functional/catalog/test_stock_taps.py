"""Stock changed from her products list in one tap: + and - per size, a POST each; she stays on her list."""

import pytest
import sqlalchemy as sa

from catalog.models import Product, Variant
from catalog.services import VariantData
from tests.conftest import login, reload
from tests.factories import gen_product


@pytest.fixture
def kurti(world, session):
    product = gen_product(session, world.shop_a, title="Indigo kurti", variants=[
        VariantData(price_paise=45_000, stock=1, size="M"), VariantData(price_paise=45_000, stock=0, size="L")])
    session.commit()
    return product


def stock_of(session, product):
    reload(session)
    return [v.stock for v in session.scalars(sa.select(Variant).where(Variant.product_id == product.id)
                                             .order_by(Variant.position))]


def test_plus_and_minus_change_one_size_and_she_stays_on_her_list(client, world, kurti, session):
    login(client, world.member_a.user.phone)
    page = client.get("/seller/products/").text
    m, large = kurti.variants
    assert f"/seller/products/{kurti.id}/variants/{large.id}/stock" in page
    answer = client.post(f"/seller/products/{kurti.id}/variants/{large.id}/stock", data={"change": "more"})
    assert answer.status_code == 302 and answer.location.endswith(f"/seller/products/?status=active#p{kurti.id}")
    assert stock_of(session, kurti) == [1, 1]
    client.post(f"/seller/products/{kurti.id}/variants/{m.id}/stock", data={"change": "less"})
    assert stock_of(session, kurti) == [0, 1]
    assert session.get(Product, kurti.id).in_stock  # L has one


def test_the_last_piece_taken_away_marks_it_sold_out_and_never_goes_below_zero(client, world, kurti, session):
    login(client, world.member_a.user.phone)
    m, large = kurti.variants
    client.post(f"/seller/products/{kurti.id}/variants/{m.id}/stock", data={"change": "less"})
    reload(session)
    assert not session.get(Product, kurti.id).in_stock
    page = client.post(f"/seller/products/{kurti.id}/variants/{large.id}/stock", data={"change": "less"},
                       follow_redirects=True).text
    assert "None left to take away." in page
    assert stock_of(session, kurti) == [0, 0]


def test_a_script_gets_the_new_stock_without_a_new_page(client, world, kurti, session):
    login(client, world.member_a.user.phone)
    _m, large = kurti.variants
    answer = client.post(f"/seller/products/{kurti.id}/variants/{large.id}/stock", data={"change": "more"},
                         headers={"Accept": "application/json"})
    assert answer.json == {"stock": 1}
    answer = client.post(f"/seller/products/{kurti.id}/variants/{large.id}/stock", data={"change": "sideways"},
                         headers={"Accept": "application/json"})
    assert answer.status_code == 400


def test_a_size_of_another_product_is_not_hers_to_change(client, world, kurti, session):
    other = gen_product(session, world.shop_b, title="Idli podi", category_slug="spices", stock=4)
    session.commit()
    login(client, world.member_a.user.phone)
    client.post(f"/seller/products/{kurti.id}/variants/{other.variants[0].id}/stock", data={"change": "more"})
    assert stock_of(session, other) == [4]
