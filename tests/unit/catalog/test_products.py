"""Listing, editing, publishing and archiving products, without HTTP."""

import pytest
import sqlalchemy as sa

from catalog.models import Product, SearchQueue, Status
from catalog.services import (
    CatalogError,
    ProductData,
    TierData,
    VariantData,
    create_product,
    set_shop_paused,
    set_status,
    update_product,
)
from tests.factories import FOOD_LABELS, category, gen_business, gen_product


def data(session, slug="kurtis-tops", **kwargs) -> ProductData:
    values = {"title": "Cotton kurti", "category_id": category(session, slug).id,
              "variants": [VariantData(price_paise=45_000, stock=3)], **kwargs}
    return ProductData(**values)


def test_a_product_keeps_its_list_columns_in_step(session):
    shop = gen_business(session)
    product = create_product(session, shop, data(session, variants=[
        VariantData(price_paise=50_000, stock=0, size="M"), VariantData(price_paise=45_000, stock=2, size="S")],
        tiers=[TierData(10, 40_000)], wholesale_min_qty=5), publish=True)
    assert (product.price_paise, product.in_stock, product.wholesale, product.listed) == (45_000, True, True, True)
    assert product.state_code == shop.group.organisation.state_code
    assert session.scalar(sa.select(SearchQueue.product_id)) == product.id


def test_drafts_are_not_listed_until_published(session):
    product = gen_product(session, publish=False)
    assert product.status == Status.DRAFT and not product.listed and product.published_at is None
    set_status(session, product, Status.ACTIVE)
    assert product.listed and product.published_at is not None


def test_archive_and_restore(session):
    product = gen_product(session)
    set_status(session, product, Status.ARCHIVED)
    assert not product.listed
    with pytest.raises(CatalogError, match="Restore"):
        update_product(session, product, data(session))
    with pytest.raises(CatalogError):
        set_status(session, product, Status.ACTIVE)  # archived -> active skips the draft check
    set_status(session, product, Status.DRAFT)
    assert product.status == Status.DRAFT and not product.listed


def test_made_to_order_counts_as_in_stock_and_needs_a_lead_time(session):
    with pytest.raises(CatalogError, match="how many days"):
        create_product(session, gen_business(session), data(session, made_to_order=True))
    product = create_product(session, gen_business(session), data(
        session, made_to_order=True, lead_time_days=7, variants=[VariantData(price_paise=90_000, stock=0)]))
    assert product.in_stock and product.lead_time_days == 7


@pytest.mark.parametrize(("labels", "message"), [
    ({}, "FSSAI"),
    ({**FOOD_LABELS, "fssai_number": "1234"}, "FSSAI"),
    ({**FOOD_LABELS, "fssai_number": "1234567890123X"}, "FSSAI"),
    ({**FOOD_LABELS, "shelf_life_days": None}, "stays good"),
    ({**FOOD_LABELS, "shelf_life_days": 1000}, "stays good"),
    ({**FOOD_LABELS, "diet": None}, "veg"),
])
def test_food_needs_fssai_shelf_life_and_a_veg_mark(session, labels, message):
    with pytest.raises(CatalogError, match=message):
        create_product(session, gen_business(session), data(session, "pickles", **labels))
    assert session.scalar(sa.select(sa.func.count()).select_from(Product)) == 0


def test_food_labels_are_kept_and_other_goods_drop_them(session):
    food = create_product(session, gen_business(session), data(session, "pickles", **FOOD_LABELS))
    assert (food.fssai_number, food.shelf_life_days, food.diet) == ("12345678901234", 90, "veg")
    kurti = create_product(session, gen_business(session), data(session, **FOOD_LABELS))
    assert (kurti.fssai_number, kurti.shelf_life_days, kurti.diet) == (None, None, None)


@pytest.mark.parametrize(("change", "message"), [
    ({"title": "  "}, "name"),
    ({"title": "x" * 121}, "120"),
    ({"variants": []}, "price"),
    ({"variants": [VariantData(price_paise=0, stock=1)]}, "more than zero"),
    ({"variants": [VariantData(price_paise=100, stock=-1)]}, "Stock"),
    ({"variants": [VariantData(100, 1, "M"), VariantData(200, 1, "m")]}, "same size"),
    ({"tiers": [TierData(1, 100)]}, "at least 2"),
    ({"tiers": [TierData(10, 45_000)]}, "lower"),
    ({"tiers": [TierData(10, 40_000), TierData(50, 41_000)]}, "lower"),
    ({"tiers": [TierData(10, 40_000), TierData(10, 39_000)]}, "same quantity"),
    ({"tiers": [TierData(10, 40_000)], "wholesale_min_qty": 20}, "minimum"),
    ({"category_id": 999_999}, "category"),
])
def test_bad_products_are_refused_with_a_reason(session, change, message):
    with pytest.raises(CatalogError, match=message):
        create_product(session, gen_business(session), data(session, **change))


def test_editing_keeps_variant_ids_for_the_same_size_and_colour(session):
    product = gen_product(session, variants=[VariantData(45_000, 3, "S"), VariantData(47_000, 3, "M")])
    ids = {v.size: v.id for v in product.variants}
    update_product(session, product, data(session, variants=[VariantData(46_000, 5, "M"), VariantData(48_000, 1, "L")]))
    session.flush()
    after = {v.size: v for v in product.variants}
    assert after["M"].id == ids["M"] and after["M"].price_paise == 46_000
    assert "S" not in after and after["L"].id not in ids.values()
    assert product.price_paise == 46_000


def test_pausing_a_shop_unlists_its_products_and_reopening_brings_them_back(session):
    shop = gen_business(session)
    live, draft = gen_product(session, shop), gen_product(session, shop, publish=False)
    session.query(SearchQueue).delete()
    assert set_shop_paused(session, shop, True) == 1
    session.refresh(live)
    assert not live.listed and not draft.listed
    assert session.scalars(sa.select(SearchQueue.product_id)).all() == [live.id]
    set_shop_paused(session, shop, False)
    session.refresh(live)
    session.refresh(draft)
    assert live.listed and not draft.listed
