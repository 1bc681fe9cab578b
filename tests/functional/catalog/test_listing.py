"""A seller lists, edits, publishes and archives products from her phone; nobody else can."""

import io
import re
from pathlib import Path

import pytest
import sqlalchemy as sa

from catalog.models import Photo, Product, Status
from tests.conftest import login, reload
from tests.factories import category, gen_member, gen_product, photo_bytes


def form(session, **change):
    values = {"business": "", "title": "Block-print cotton kurti", "category": str(category(session, "kurtis-tops").id),
              "description": "Soft cotton, hand block print.", "variants-0-price": "450", "variants-0-stock": "5"}
    values.update(change)
    return values


@pytest.fixture
def seller(client, world):
    login(client, world.member_a.user.phone)
    return client


def test_a_seller_lists_a_product_with_photos_in_one_step(seller, world, session, app):
    data = form(session, business=str(world.shop_a.id), publish="1")
    data["photos"] = [(io.BytesIO(photo_bytes()), "IMG_0001.jpg"), (io.BytesIO(photo_bytes(fmt="PNG")), "x.png")]
    response = seller.post("/seller/products/new", data=data, content_type="multipart/form-data")
    assert response.status_code == 302
    reload(session)
    product = session.scalar(sa.select(Product))
    assert (product.title, product.price_paise, product.listed) == ("Block-print cotton kurti", 45_000, True)
    assert len(product.photos) == 2
    media = Path(app.config["MEDIA_DIR"])
    for photo in product.photos:
        assert (media / f"{photo.key}-160.webp").exists()
        assert "IMG_0001" not in photo.key
    page = seller.get(f"/p/{product.id}").text
    assert "₹450.00" in page and "Block-print cotton kurti" in page


@pytest.mark.parametrize(("change", "message"), [
    ({"variants-0-price": "abc"}, "in numbers"),
    ({"variants-0-price": "4.505"}, "two digits"),
    ({"variants-0-price": ""}, "Give a price"),
    ({"title": ""}, "Give the product a name"),
    ({"category": "999999"}, "not a valid choice"),
    ({"category": "kurtis"}, "Choose a category"),
])
def test_bad_input_is_explained_and_changes_nothing(seller, world, session, change, message):
    response = seller.post("/seller/products/new", data=form(session, business=str(world.shop_a.id), **change))
    assert response.status_code == 200
    assert message.lower() in response.text.lower()
    reload(session)
    assert session.scalar(sa.select(sa.func.count()).select_from(Product)) == 0


def test_a_refused_photo_leaves_no_product_and_no_file(seller, world, session, app):
    data = form(session, business=str(world.shop_a.id), publish="1")
    data["photos"] = [(io.BytesIO(photo_bytes()), "good.jpg"),
                      (io.BytesIO(b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>"),
                       "cute.jpg")]
    response = seller.post("/seller/products/new", data=data, content_type="multipart/form-data")
    assert response.status_code == 200 and "not a photo we can use" in response.text
    reload(session)
    assert session.scalar(sa.select(sa.func.count()).select_from(Product)) == 0
    assert session.scalar(sa.select(sa.func.count()).select_from(Photo)) == 0
    media = Path(app.config["MEDIA_DIR"])
    assert not media.exists() or list(media.iterdir()) == []


def test_food_without_labels_is_refused_with_a_reason(seller, world, session):
    data = form(session, business=str(world.shop_a.id), category=str(category(session, "pickles").id))
    assert "FSSAI" in seller.post("/seller/products/new", data=data).text
    data.update(fssai_number="12345678901234", shelf_life_days="180", diet="veg")
    assert seller.post("/seller/products/new", data=data).status_code == 302


def test_sizes_tiers_and_drafts(seller, world, session):
    data = form(session, business=str(world.shop_a.id), **{
        "variants-0-size": "M", "variants-1-size": "L", "variants-1-price": "480", "variants-1-stock": "0",
        "wholesale_min_qty": "10", "tiers-0-min_qty": "10", "tiers-0-price": "400",
        "tiers-1-min_qty": "50", "tiers-1-price": "380"})
    assert seller.post("/seller/products/new", data=data).status_code == 302
    reload(session)
    product = session.scalar(sa.select(Product))
    assert product.status == Status.DRAFT and not product.listed
    assert [(v.size, v.price_paise, v.stock) for v in product.variants] == [("M", 45_000, 5), ("L", 48_000, 0)]
    assert [(t.min_qty, t.unit_price_paise) for t in product.tiers] == [(10, 40_000), (50, 38_000)]
    edit = seller.get(f"/seller/products/{product.id}/edit").text
    assert 'value="480"' in edit and 'value="380"' in edit


def test_publish_archive_restore(seller, world, session):
    product = gen_product(session, world.shop_a, publish=False)
    session.commit()
    for action, status, listed in (("publish", "active", True), ("archive", "archived", False),
                                   ("restore", "draft", False)):
        assert seller.post(f"/seller/products/{product.id}/status", data={"action": action}).status_code == 302
        reload(session)
        item = session.get(Product, product.id)
        assert (item.status, item.listed) == (status, listed)
    assert seller.post(f"/seller/products/{product.id}/status", data={"action": "explode"}).status_code == 400


def test_another_seller_cannot_touch_her_products_or_shop(client, world, session):
    product = gen_product(session, world.shop_a)
    session.commit()
    login(client, world.member_b.user.phone)
    assert client.get(f"/seller/products/{product.id}/edit").status_code == 403
    assert client.post(f"/seller/products/{product.id}/edit", data=form(session)).status_code == 403
    assert client.post(f"/seller/products/{product.id}/status", data={"action": "archive"}).status_code == 403
    assert client.post(f"/seller/products/{product.id}/photos/1/delete").status_code == 403
    assert client.get(f"/seller/products/shops/{world.shop_a.id}").status_code == 403
    assert client.post(f"/seller/products/shops/{world.shop_a.id}/pause", data={"paused": "1"}).status_code == 403
    listing = client.post("/seller/products/new", data=form(session, business=str(world.shop_a.id), publish="1"))
    assert "not a valid choice" in listing.text.lower()  # her shop is not among the choices
    reload(session)
    assert session.get(Product, product.id).status == Status.ACTIVE
    assert session.scalar(sa.select(sa.func.count()).select_from(Product)) == 1


def test_drafts_are_hidden_from_buyers_but_the_owner_can_preview(client, world, session):
    draft = gen_product(session, world.shop_a, publish=False)
    session.commit()
    assert client.get(f"/p/{draft.id}").status_code == 404
    login(client, world.member_a.user.phone)
    assert "Only you can see this page" in client.get(f"/p/{draft.id}").text


def test_removing_a_photo_deletes_its_files(seller, world, session, app):
    data = form(session, business=str(world.shop_a.id), publish="1")
    data["photos"] = [(io.BytesIO(photo_bytes()), "a.jpg")]
    seller.post("/seller/products/new", data=data, content_type="multipart/form-data")
    reload(session)
    product = session.scalar(sa.select(Product))
    photo = product.photos[0]
    response = seller.post(f"/seller/products/{product.id}/photos/{photo.id}/delete")
    assert response.status_code == 302
    assert list(Path(app.config["MEDIA_DIR"]).iterdir()) == []


def test_pausing_the_shop_hides_its_products(seller, world, session):
    product = gen_product(session, world.shop_a, title="Paisley kurti")
    session.commit()
    assert "Paisley kurti" in seller.get("/shop").text
    seller.post(f"/seller/products/shops/{world.shop_a.id}/pause", data={"paused": "1"})
    assert "Paisley kurti" not in seller.get("/shop").text
    assert "taking a break" in seller.get(f"/s/{world.shop_a.slug}").text
    seller.post(f"/seller/products/shops/{world.shop_a.id}/pause", data={"paused": "0"})
    assert "Paisley kurti" in seller.get("/shop").text
    assert product.id


def test_a_shop_name_may_not_reveal_the_sellers_own_name(seller, world, session):
    response = seller.post(f"/seller/products/shops/{world.shop_a.id}",
                           data={"public_name": "Sunita's Kurtis", "story": ""})
    assert "do not use your own name" in response.text
    reload(session)
    assert session.get(type(world.shop_a), world.shop_a.id).public_name == "Rangoli Stitches"
    ok = seller.post(f"/seller/products/shops/{world.shop_a.id}",
                     data={"public_name": "Rangoli Prints", "story": "Hand block prints.", "show_group": "y"})
    assert ok.status_code == 302


def test_a_group_business_is_run_by_each_of_its_members(client, world, session):
    partner = gen_member(session, world.group_a, login="+919812345699")
    from vendors.services import open_business

    group_shop = open_business(session, owners=[world.member_a, partner], public_name="Jyoti Papad", trade="food")
    product = gen_product(session, group_shop, category_slug="papad")
    session.commit()
    login(client, "+919812345699")
    assert client.get(f"/seller/products/{product.id}/edit").status_code == 200


def test_a_shop_page_lists_its_categories_and_filters_by_them(client, world, session):
    gen_product(session, world.shop_a, title="Indigo kurti")
    gen_product(session, world.shop_a, title="Silk saree", category_slug="sarees")
    gen_product(session, world.shop_b, title="Someone else's saree", category_slug="sarees")
    session.commit()
    page = client.get(f"/s/{world.shop_a.slug}").text
    assert "Kurtis and tops" in page and "Sarees" in page and "Someone else" not in page
    sarees = client.get(f"/s/{world.shop_a.slug}?category=sarees").text
    assert "Silk saree" in sarees and "Indigo kurti" not in sarees


def test_a_draft_sent_twice_from_her_phone_is_saved_once(seller, world, session, app):
    key = "5f0c1a9e-7d1b-4c55-9a8e-2b7f3c4d5e6f"
    data = form(session, business=str(world.shop_a.id), client_key=key)
    data["photos"] = [(io.BytesIO(photo_bytes()), "IMG_0001.jpg")]
    first = seller.post("/seller/products/new", data=data, content_type="multipart/form-data")
    data["photos"] = [(io.BytesIO(photo_bytes()), "IMG_0001.jpg")]
    again = seller.post("/seller/products/new", data=data, content_type="multipart/form-data")
    assert first.status_code == again.status_code == 302 and first.headers["Location"] == again.headers["Location"]
    reload(session)
    product = session.scalar(sa.select(Product))
    assert session.scalar(sa.select(sa.func.count()).select_from(Product)) == 1 and product.client_key == key
    assert len(product.photos) == 1
    files = sorted(p.name for p in Path(app.config["MEDIA_DIR"]).iterdir())
    assert all(name.startswith(product.photos[0].key) for name in files)  # the second copy's photo was dropped


def test_two_sends_of_one_draft_at_once_end_as_one_product(seller, world, session, monkeypatch):
    """The second request finds no product yet, then loses the race on the unique client key at commit."""
    from catalog import views

    key = "0b7e9d6c-1111-4222-8333-944455556666"
    first = seller.post("/seller/products/new", data=form(session, business=str(world.shop_a.id), client_key=key))
    looks, real = [], views._sent_before

    def late(k):  # the second request's first look finds nothing, as if the first had not committed yet
        looks.append(k)
        return None if len(looks) == 1 else real(k)

    monkeypatch.setattr(views, "_sent_before", late)
    raced = seller.post("/seller/products/new", data=form(session, business=str(world.shop_a.id), client_key=key))
    assert raced.status_code == 302 and raced.headers["Location"] == first.headers["Location"]
    assert len(looks) == 2  # it did reach the commit and look again
    assert session.scalar(sa.select(sa.func.count()).select_from(Product)) == 1


def test_another_sellers_client_key_is_not_hers(client, world, session):
    key = "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee"
    gen_product(session, world.shop_b).client_key = key
    session.commit()
    login(client, world.member_a.user.phone)
    response = client.post("/seller/products/new", data=form(session, business=str(world.shop_a.id), client_key=key))
    assert response.status_code == 409
    assert session.scalar(sa.select(sa.func.count()).select_from(Product)) == 1


def error_on(html: str, field: str) -> bool:
    """True if the safety message is shown inside the field box of the input named `field`."""
    inside = r'(?:(?!<div class="field).)*?'
    return bool(re.search(f'<div class="field has-error">{inside}name="{field}"{inside}'
                          '<p class="error" role="alert">For your safety', html, re.DOTALL))


@pytest.mark.parametrize(("change", "field"), [
    ({"title": "Kurti - call 98123.45678"}, "title"),
    ({"description": "Order on WhatsApp ९८१२३ ४५६७८"}, "description"),
    ({"description": "mail me asha [at] gmail [dot] com"}, "description"),
    ({"title": "Sunita's kurti"}, "title"),
    ({"variants-1-colour": "pay sunita@okhdfcbank", "variants-1-price": "500"}, "variants-1-colour"),
])
def test_a_contact_or_her_name_in_a_product_is_refused_on_its_field_and_what_she_typed_stays(
        seller, world, session, change, field):
    """The form and a draft sent again from her phone (client key) take the same road."""
    data = form(session, business=str(world.shop_a.id), publish="1",
                client_key="0f3a9c2e-7b1d-4e8a-9c3f-2a6b8d1e4f70", **change)
    response = seller.post("/seller/products/new", data=data)
    assert response.status_code == 200
    html = response.text
    assert "For your safety" in html
    assert error_on(html, field)
    for value in change.values():
        assert value.replace("'", "&#39;") in html
    reload(session)
    assert session.scalar(sa.select(sa.func.count()).select_from(Product)) == 0


def test_editing_a_product_to_add_a_number_is_refused(seller, world, session):
    product = gen_product(session, world.shop_a, title="Paisley kurti")
    session.commit()
    response = seller.post(f"/seller/products/{product.id}/edit",
                           data=form(session, business=str(world.shop_a.id), title="Paisley kurti 98123 456 78"))
    assert "For your safety" in response.text
    reload(session)
    assert session.get(Product, product.id).title == "Paisley kurti"


@pytest.mark.parametrize(("data", "field"), [
    ({"public_name": "Kurtis 98123-45678", "story": ""}, "public_name"),
    ({"public_name": "Rangoli Prints", "story": "UPI sunita@ybl, WhatsApp me"}, "story"),
])
def test_a_contact_in_the_shop_name_or_story_is_refused_on_its_field(seller, world, session, data, field):
    response = seller.post(f"/seller/products/shops/{world.shop_a.id}", data=data)
    assert response.status_code == 200
    html = response.text
    assert error_on(html, field)
    reload(session)
    shop = session.get(type(world.shop_a), world.shop_a.id)
    assert (shop.public_name, shop.story) == ("Rangoli Stitches", "Made at home.")
