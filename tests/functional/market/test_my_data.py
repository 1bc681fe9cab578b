"""A member can download and erase her data."""

import sqlalchemy as sa

from market.core.models import AuditEntry, User
from tests.conftest import login, reload
from tests.factories import PASSWORD, gen_business, gen_member


def test_a_member_downloads_her_data(client, world):
    login(client, world.member_a.user.phone)
    response = client.get("/auth/my-data")
    assert response.headers["Content-Disposition"].startswith("attachment")
    data = response.json
    assert data["account"]["phone"] == "+919812345601"
    assert data["member"]["legal_name"] == "Sunita Secretname"
    assert data["member"]["businesses"][0]["public_name"] == "Rangoli Stitches"


def test_erasing_needs_the_tick_and_the_password(client, world, session):
    login(client, world.member_a.user.phone)
    assert "Tick the box" in client.post("/auth/erase", data={"password": PASSWORD}).text
    assert "not right" in client.post("/auth/erase", data={"password": "wrong", "confirm": "y"}).text
    reload(session)
    assert session.get(User, world.member_a.user_id).phone == "+919812345601"
    assert session.get(type(world.member_a), world.member_a.id).legal_name == "Sunita Secretname"


def test_erasing_removes_her_details_and_closes_only_her_own_shops(client, world, session):
    group_shop = gen_business(session, [world.member_a, gen_member(session, world.group_a)],
                              public_name="Group Papad")
    session.commit()
    login(client, world.member_a.user.phone)
    response = client.post("/auth/erase", data={"password": PASSWORD, "confirm": "y"})
    assert response.status_code == 302
    reload(session)
    user = session.get(User, world.member_a.user_id)
    assert (user.name, user.email, user.phone, user.is_active) == ("Erased", None, None, False)
    assert session.get(type(world.member_a), world.member_a.id).legal_name == "Erased"
    assert session.get(type(world.shop_a), world.shop_a.id).is_paused
    assert not session.get(type(group_shop), group_shop.id).is_paused  # the group's shop stays open
    assert session.scalar(sa.select(AuditEntry.action)) == "erase_account"
    assert client.get("/auth/account").status_code == 302
    assert login(client, "+919812345601").status_code == 200  # she cannot log in any more



def _her_listed_product_with_a_photo(app, session, world):
    """Member A's product, listed, indexed, with a photo on disk, in the buyer's cart."""
    from pathlib import Path

    from catalog.images import process_upload
    from catalog.search import sync
    from catalog.services import add_photo
    from orders.services import cart_for, set_quantity
    from tests.factories import gen_product, photo_bytes

    product = gen_product(session, world.shop_a, title="Zardozi kurta")
    add_photo(session, product, process_upload(photo_bytes(), Path(app.config["MEDIA_DIR"])))
    set_quantity(session, cart_for(session, world.buyer, None, create=True), product.variants[0].id, 1)
    session.commit()
    sync(session)
    return product


def test_erasing_unlists_her_products_empties_carts_search_and_her_photo_files(app, client, world, session):
    from pathlib import Path

    from catalog.models import Photo, Product, Status
    from orders.models import CartItem

    product = _her_listed_product_with_a_photo(app, session, world)
    photo_url = f"/media/{product.photos[0].key}-{product.photos[0].width_list[0]}.webp"
    product_id, variant_id, media = product.id, product.variants[0].id, Path(app.config["MEDIA_DIR"])
    assert list(media.iterdir())
    buyer = app.test_client()
    login(buyer, world.buyer.email)
    assert "Zardozi kurta" in buyer.get("/search?q=zardozi").text
    with buyer.get(photo_url) as photo:
        assert photo.status_code == 200
    assert "Zardozi kurta" in buyer.get("/cart").text

    login(client, world.member_a.user.phone)
    assert client.post("/auth/erase", data={"password": PASSWORD, "confirm": "y"}).status_code == 302

    reload(session)
    kept = session.get(Product, product_id)
    assert kept is not None and kept.status == Status.ARCHIVED and not kept.listed  # invoices still name it
    assert kept.description == ""
    assert "Zardozi kurta" not in buyer.get("/search?q=zardozi").text
    assert buyer.get(f"/p/{product_id}").status_code == 404 or "Zardozi" not in buyer.get(f"/p/{product_id}").text
    with buyer.get(photo_url) as photo:
        assert photo.status_code == 404
    assert list(media.iterdir()) == []  # every size, in every format
    assert session.scalar(sa.select(sa.func.count()).select_from(Photo)) == 0
    assert session.scalar(sa.select(sa.func.count()).select_from(CartItem)) == 0
    assert "Zardozi kurta" not in buyer.get("/cart").text
    buyer.post("/cart/add", data={"variant": variant_id, "quantity": 1})
    assert session.scalar(sa.select(sa.func.count()).select_from(CartItem)) == 0  # not addable any more


def test_erasing_waits_until_her_open_orders_are_finished(app, client, world, session):
    from catalog.models import Product
    from orders.services import Delivery, cart_for, place_order
    from payments import services as payments

    product = _her_listed_product_with_a_photo(app, session, world)
    cart = cart_for(session, world.buyer, None, create=True)
    checkout = place_order(session, world.buyer, cart, "erase-open", Delivery({world.shop_a.id: "pickup"}),
                           product.variants[0].price_paise)
    payments.start(session, checkout, "cash")
    session.commit()
    login(client, world.member_a.user.phone)
    page = client.post("/auth/erase", data={"password": PASSWORD, "confirm": "y"})
    assert page.status_code == 200 and "1 order is still open" in page.text
    reload(session)
    assert session.get(User, world.member_a.user_id).is_active  # nothing changed
    assert session.get(Product, product.id).listed and session.get(type(world.shop_a), world.shop_a.id).story
