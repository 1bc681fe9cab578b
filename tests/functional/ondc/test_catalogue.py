"""The ONDC catalogue (market.ondc.catalogue): what Haat answers to a search, and the incremental refresh.

The payload's shape is checked against rules of the retail 1.2.0 contract and of ONDC's log validation utility,
reimplemented here in small (`assert_contract_shape`); tools/ondc_validate.sh runs the utility itself.
"""

import json
import re

import sqlalchemy as sa

from catalog.demo import PRODUCTS
from catalog.images import StoredPhoto
from catalog.models import Category, Product, Status, Variant
from catalog.moderation import hide_product, hide_shop
from catalog.services import (
    ProductData,
    VariantData,
    add_photo,
    change_stock,
    set_shop_paused,
    set_status,
    update_product,
)
from market.core.db import utcnow
from market.ondc import catalogue, taxonomy
from tests.conftest import statements_sent
from tests.factories import gen_business, gen_group, gen_member, gen_organisation, gen_product, gen_programme

PRICE = re.compile(r"^\d+\.\d{2}$")
TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
GPS = re.compile(r"^-?\d{1,2}\.\d{6},-?\d{1,3}\.\d{6}$")
# The category ids the log validation utility accepts for each domain we use (its constants: groceryJSON, fashion,
# homeJSON), for the categories we map to.
ACCEPTED = {
    taxonomy.GROCERY: {"Snacks and Namkeen", "Pickles and Chutney", "Ready to Cook and Eat", "Masala & Seasoning",
                       "Indian Sweets"},
    taxonomy.FASHION: {"Kurtis, Tunics", "Sarees", "Blouses", "Clothing Sets", "Nightwear & Loungewear",
                       "Dupattas & Shawls", "Earrings", "Necklaces", "Bangles & Bracelets", "Anklets",
                       "Jewellery Sets", "Handbags"},
    taxonomy.HOME: {"Home Decor", "Kitchen Storage and Containers", "Home Furnishing - Bedding and Linen"},
    taxonomy.FOOD_AND_BEVERAGE: {"F&B"},
}


def search(domain=taxonomy.FASHION, city="*", **intent):
    return {"domain": domain, "city": city, "action": "search"}, {"intent": intent}


def photo(session, product, n=1):
    add_photo(session, product, StoredPhoto(key=f"k{product.id}x{n}", width=1080, height=1080,
                                            widths=(160, 320, 640, 1080)))


def shop_at(session, *, std="020", legal_name=None, **org):
    values = {"pickup_pincode": "411001", "pickup_gps": "18.516726,73.856255", "std_code": std, **org}
    organisation = gen_organisation(session, gen_programme(session), **values)
    group = gen_group(session, organisation, area="Kasba Peth")
    member = gen_member(session, group, **({"legal_name": legal_name} if legal_name else {}))
    return gen_business(session, [member], public_name=f"Shop {organisation.id}", trade="garments")


def listed(session, shop, slug="kurtis-tops", **kwargs):
    product = gen_product(session, shop, category_slug=slug, **kwargs)
    photo(session, product)
    return product


def items_of(body):
    return [item for provider in body["catalog"]["bpp/providers"] for item in provider["items"]]


def assert_contract_shape(body):
    """The rules of the contract and of the validator that our answer must keep (a small reimplementation)."""
    catalog = body["catalog"]
    assert catalog["bpp/descriptor"]["name"] and catalog["bpp/descriptor"]["tags"][0]["code"] == "bpp_terms"
    location_ids = set()
    for provider in catalog["bpp/providers"]:
        assert provider["descriptor"]["name"] and TIMESTAMP.match(provider["time"]["timestamp"])
        fulfillments = {f["id"] for f in provider["fulfillments"]}
        assert all(re.fullmatch(r"\d{10,11}", f["contact"]["phone"]) for f in provider["fulfillments"])
        for location in provider["locations"]:
            assert location["id"] not in location_ids  # unique across the whole catalogue
            location_ids.add(location["id"])
            assert GPS.match(location["gps"]) and re.fullmatch(r"\d{6}", location["address"]["area_code"])
        groups = {c["id"] for c in provider["categories"]}
        assert groups, "the validator asks for variant groups"
        categories = set()
        for item in provider["items"]:
            assert PRICE.match(item["price"]["value"]) and item["price"]["currency"] == "INR"
            assert item["quantity"]["available"]["count"] == "99"  # in stock: the contract's flag
            assert 1 <= int(item["quantity"]["maximum"]["count"]) <= catalogue.MAX_COUNT
            assert item["fulfillment_id"] in fulfillments
            assert item["location_id"] in {loc["id"] for loc in provider["locations"]}
            assert item["parent_item_id"] in groups
            assert TIMESTAMP.match(item["time"]["timestamp"])
            assert item["descriptor"]["short_desc"] and item["descriptor"]["long_desc"]
            assert all(url.startswith("http") for url in item["descriptor"]["images"])
            assert item["descriptor"]["code"].split(":")[0] in ("1", "4", "6")
            for flag in ("returnable", "cancellable", "seller_pickup_return", "available_on_cod"):
                assert isinstance(item[f"@ondc/org/{flag}"], bool)
            assert re.fullmatch(r"P\d+D", item["@ondc/org/time_to_ship"])
            assert len(item["@ondc/org/contact_details_consumer_care"].split(",")) == 3
            assert {"code": "origin", "list": [{"code": "country", "value": "IND"}]} in item["tags"]
            categories.add(item["category_id"])
        serviceability = [t for t in provider["tags"] if t["code"] == "serviceability"]
        assert len(serviceability) == len(categories)


def test_every_category_of_the_catalogue_has_a_place_the_validator_accepts(session):
    slugs = set(session.scalars(sa.select(Category.slug).where(Category.parent_id.is_not(None))))
    assert slugs == set(taxonomy.BY_SLUG)
    for slug in slugs:
        mapping = taxonomy.mapping_for(slug)
        assert mapping.category_id in ACCEPTED[mapping.domain], slug
    demo = {slug for rows in PRODUCTS.values() for _t, slug, *_ in rows}
    assert demo <= slugs
    assert taxonomy.mapping_for("kurtis-tops").domain == taxonomy.FASHION
    assert taxonomy.mapping_for("earrings").domain == taxonomy.FASHION
    assert taxonomy.mapping_for("pickles").domain == taxonomy.GROCERY
    assert taxonomy.mapping_for("tiffin").domain == taxonomy.FOOD_AND_BEVERAGE
    assert taxonomy.mapping_for("quilts-textiles").domain == taxonomy.HOME
    assert taxonomy.mapping_for("a-category-added-later") is None


def test_on_search_answers_the_whole_catalogue_in_the_contracts_shape(session):
    shop = shop_at(session)
    kurti = listed(session, shop, variants=[VariantData(45_000, 3, size="M", colour="Red"),
                                            VariantData(47_550, 500, size="L", colour="Red"),
                                            VariantData(47_550, 0, size="XL", colour="Red")])
    food_shop = shop_at(session)
    pickle = listed(session, food_shop, slug="pickles", price_paise=22_000)

    fashion = catalogue.on_search(session, *search(taxonomy.FASHION))
    assert_contract_shape(fashion)
    [provider] = fashion["catalog"]["bpp/providers"]
    assert provider["descriptor"]["name"] == shop.public_name
    by_id = {item["id"]: item for item in provider["items"]}
    medium, large = (catalogue.item_id(v) for v in kurti.variants[:2])
    assert set(by_id) == {medium, large}  # the sold-out size is not offered
    assert by_id[medium]["price"]["value"] == "450.00" and by_id[large]["price"]["value"] == "475.50"
    assert by_id[medium]["quantity"]["maximum"]["count"] == "3"  # what she has
    assert by_id[large]["quantity"]["maximum"]["count"] == "99"  # capped
    assert by_id[medium]["category_id"] == "Kurtis, Tunics"
    assert by_id[medium]["descriptor"]["code"] == "4:6204"  # its HSN
    site = catalogue.public_url()  # the host of our subscriber URL: where the public photos are served
    assert re.fullmatch(r"https?://[^/]+", site)
    assert by_id[medium]["descriptor"]["images"] == [f"{site}/media/k{kurti.id}x1-640.jpg"]
    attributes = next(t["list"] for t in by_id[medium]["tags"] if t["code"] == "attribute")
    assert {"code": "size", "value": "M"} in attributes and {"code": "colour_name", "value": "red"} in attributes
    assert {"code": "colour", "value": "#FF0000"} in attributes
    assert {"code": "brand", "value": shop.public_name} in attributes
    assert {"code": "gender", "value": "female"} in attributes

    grocery = catalogue.on_search(session, *search(taxonomy.GROCERY))
    assert_contract_shape(grocery)
    [item] = items_of(grocery)
    assert item["id"] == catalogue.item_id(pickle.variants[0]) and item["price"]["value"] == "220.00"
    assert item["@ondc/org/returnable"] is False  # food is not taken back
    assert item[taxonomy.PREPACKAGED_FOOD]["brand_owner_FSSAI_license_no"] == pickle.fssai_number
    assert {"code": "veg_nonveg", "list": [{"code": "veg", "value": "yes"}]} in item["tags"]
    packer = item[taxonomy.PACKAGED_COMMODITIES]
    assert packer["manufacturer_or_packer_name"] == food_shop.public_name
    assert food_shop.group.organisation.pickup_address in packer["manufacturer_or_packer_address"]

    listed(session, food_shop, slug="tiffin", diet="nonveg", made_to_order=True, lead_time_days=1)
    [meal] = items_of(catalogue.on_search(session, *search(taxonomy.FOOD_AND_BEVERAGE)))
    assert meal["category_id"] == "F&B" and meal["@ondc/org/cancellable"] is False
    assert {"code": "veg_nonveg", "list": [{"code": "non_veg", "value": "yes"}]} in meal["tags"]


def test_search_by_city_category_and_item_name(session):
    pune, madurai = shop_at(session, std="020"), shop_at(session, std="0452", pickup_pincode="625001")
    kurti = listed(session, pune, title="Block-print kurti")
    saree = listed(session, madurai, slug="sarees", title="Sungudi saree")
    names = lambda body: {i["descriptor"]["name"] for i in items_of(body)}  # noqa: E731

    assert names(catalogue.on_search(session, *search())) == {kurti.title, saree.title}
    assert names(catalogue.on_search(session, *search(city="std:0452"))) == {saree.title}
    assert names(catalogue.on_search(session, *search(category={"id": "Kurtis, Tunics"}))) == {kurti.title}
    assert names(catalogue.on_search(session, *search(item={"descriptor": {"name": "saree"}}))) == {saree.title}
    assert names(catalogue.on_search(session, *search(taxonomy.GROCERY))) == set()
    assert catalogue.on_search(session, *search(category={"id": "Laptops"}))["catalog"]["bpp/providers"] == []


def test_nothing_of_the_members_identity_or_home_reaches_the_network(session):
    shop = shop_at(session, legal_name="Sunita Secretname", pickup_address="Sakhi office, Shivaji Market, Pune")
    member = shop.owners[0]
    listed(session, shop)
    text = json.dumps([catalogue.on_search(session, *search()),
                       catalogue.changed_items(session, utcnow().replace(year=2000))])
    assert shop.public_name in text and "Sakhi office, Shivaji Market" in text  # the collective's pickup point
    for private in ("Secretname", "Sunita", member.user.phone or "+9198", member.user.email or "@example",
                    "Kasba Peth", shop.group.name):
        assert private not in text, private


def test_what_is_not_for_sale_stays_off_the_network_and_the_seller_is_told_why(session, world):
    shop = shop_at(session)
    on_sale = listed(session, shop, title="On sale")
    hidden = listed(session, shop, title="Hidden by staff")
    hide_product(session, world.admin, hidden, "wrong")
    archived = listed(session, shop, title="Archived")
    set_status(session, archived, Status.ARCHIVED)
    listed(session, shop, title="Draft", publish=False)
    sold_out = listed(session, shop, title="Sold out", stock=1)
    change_stock(session, sold_out, sold_out.variants[0].id, -1)
    gen_product(session, shop, title="No photo")
    # Haat asks both of food since its food rules; rows listed before them may lack them.
    listed(session, shop, slug="snacks", title="No FSSAI").fssai_number = None
    listed(session, shop, slug="snacks", title="No diet").diet = None
    session.flush()
    titles = lambda: {i["descriptor"]["name"] for i in items_of(catalogue.on_search(session, *search(None)))}  # noqa: E731
    assert titles() == {"On sale"}
    reasons = {session.get(Product, e.product_id).title: e.reason for e in catalogue.exclusions(session, shop)}
    assert reasons == {"No photo": taxonomy.REASON_NO_PHOTO, "No FSSAI": taxonomy.REASON_NO_FSSAI,
                       "No diet": taxonomy.REASON_NO_DIET}
    assert on_sale.listed

    set_shop_paused(session, shop, True)
    assert titles() == set()
    set_shop_paused(session, shop, False)
    hide_shop(session, world.admin, shop, "other")
    assert titles() == set()

    nowhere = shop_at(session, pickup_gps=None)  # a collective without its pickup point on Haat
    listed(session, nowhere, title="Nowhere to collect")
    assert titles() == set()
    assert [e.reason for e in catalogue.exclusions(session, nowhere)] == [taxonomy.REASON_NO_PICKUP]


def test_incremental_refresh_sends_what_changed_since(session):
    shop = shop_at(session)
    kurti = listed(session, shop, title="Kurti", price_paise=45_000)
    listed(session, shop, title="Unchanged")
    saree = listed(session, shop, slug="sarees", title="Saree")
    since = utcnow()
    assert items_of(catalogue.changed_items(session, since)) == []

    update_product(session, kurti, ProductData(title="Kurti", category_id=kurti.category_id,
                                               description=kurti.description, variants=[VariantData(48_000, 10)]))
    set_status(session, saree, Status.ARCHIVED)
    body = catalogue.changed_items(session, since, taxonomy.FASHION)
    items = {item["id"]: item for item in items_of(body)}
    [variant] = kurti.variants
    assert items[catalogue.item_id(variant)]["price"]["value"] == "480.00"
    gone = items[catalogue.item_id(saree.variants[0])]
    assert gone["time"]["label"] == "disable" and gone["quantity"]["available"]["count"] == "0"
    assert {i["descriptor"]["name"] for i in items.values() if i["time"]["label"] == "enable"} == {"Kurti"}
    assert "bpp/descriptor" not in body["catalog"]  # the incremental refresh sends providers' items only

    later = utcnow()
    session.execute(sa.update(Variant).where(Variant.id == variant.id).values(stock=Variant.stock - 1))  # a sale
    assert [i["quantity"]["maximum"]["count"] for i in items_of(catalogue.changed_items(session, later))] == ["9"]
    session.execute(sa.update(Variant).where(Variant.id == variant.id).values(stock=0))  # sold out
    [sold_out] = items_of(catalogue.changed_items(session, later))
    assert sold_out["time"]["label"] == "disable" and sold_out["quantity"]["available"]["count"] == "0"


def test_a_page_of_the_catalogue_costs_the_same_queries_for_two_shops_or_six(session):
    def queries_for_a_search():
        session.expire_all()
        with statements_sent(session.get_bind()) as seen:
            body = catalogue.on_search(session, *search(None))
        return len(seen), len(body["catalog"]["bpp/providers"])

    for _ in range(2):
        shop = shop_at(session)
        listed(session, shop), listed(session, shop, slug="earrings"), listed(session, shop, slug="pickles")
    few, shops = queries_for_a_search()
    assert shops == 2
    for _ in range(4):
        listed(session, shop_at(session), slug="sarees")
    assert queries_for_a_search() == (few, 6)
