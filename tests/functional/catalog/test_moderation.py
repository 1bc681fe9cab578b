"""Moderation: buyers report listings; staff (their organisations) and admins hide or show a product or a shop with
a reason the seller reads in her language; hidden things leave every list, search, cart and checkout. Categories:
add with a name per language, rename, merge (products move), retire (no new products; those in it stay)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from catalog import moderation
from catalog.models import Category, ListingReport, Product
from catalog.search import sync
from catalog.services import CatalogError, ProductData, VariantData, create_product, forget_taxonomy, update_product
from market.core.models import AuditEntry
from market.core.notifications import Notification
from orders.services import cart_for, quote, set_quantity
from tests.conftest import login, reload
from tests.factories import category, gen_product


@pytest.fixture
def kurti(session, world):
    made = gen_product(session, world.shop_a, title="Indigo block kurti")
    session.commit()
    sync(session)
    return made


def test_a_buyer_reports_a_listing_with_a_reason_and_her_words_without_contacts(client, session, world, kurti):
    login(client, world.buyer.email)
    page = client.post(f"/p/{kurti.id}/report", data={"reason": "nonsense", "words": "Kept words"})
    assert page.status_code == 200 and "Kept words" in page.text  # the form comes back with what she typed
    client.post(f"/p/{kurti.id}/report", data={"reason": "contact", "words": "Seller says call 98123 45678"})
    client.post(f"/p/{kurti.id}/report", data={"reason": "wrong", "words": "And the photo is not it"})
    reload(session)
    [report] = session.scalars(sa.select(ListingReport)).all()  # one open report per buyer and listing
    assert (report.reason, report.words) == ("wrong", "And the photo is not it")
    with pytest.raises(CatalogError, match="from the list"):
        moderation.report_listing(session, world.wholesaler, kurti, "spam", "")


def test_reports_hide_contacts(session, world, kurti):
    report = moderation.report_listing(session, world.buyer, kurti, "contact", "call 98123 45678 or a@b.co")
    assert "98123" not in report.words and "a@b.co" not in report.words


def test_reports_are_limited_per_buyer(make_app, session, world, kurti):
    app = make_app(REPORT_LIMIT="2 per hour")
    client = app.test_client()
    login(client, world.buyer.email)
    codes = [client.post(f"/p/{kurti.id}/report", data={"reason": "wrong"}).status_code for _ in range(3)]
    assert codes == [302, 302, 429]


def test_staff_see_only_their_organisations_reports(client, session, world, kurti):
    podi = gen_product(session, world.shop_b, title="Idli podi", category_slug="spices")
    moderation.report_listing(session, world.buyer, kurti, "wrong", "Kurti complaint")
    moderation.report_listing(session, world.buyer, podi, "hurtful", "Podi complaint")
    session.commit()
    login(client, world.staff_a.email)
    page = client.get("/staff/reports").text
    assert "Kurti complaint" in page and "Podi complaint" not in page
    assert client.post(f"/staff/products/{podi.id}/hide", data={"reason": "wrong"}).status_code == 403


def test_a_hidden_product_leaves_lists_search_and_carts_and_the_seller_reads_why_in_hindi(
        client, session, world, kurti):
    world.member_a.user.locale = "hi"
    cart = cart_for(session, world.buyer, None, create=True)
    set_quantity(session, cart, kurti.variants[0].id, 1)
    moderation.report_listing(session, world.buyer, kurti, "contact", "")
    session.commit()
    assert "Indigo block kurti" in client.get("/search?q=indigo").text
    login(client, world.staff_a.email)
    assert client.post(f"/staff/products/{kurti.id}/hide", data={"reason": ""}).status_code == 302  # no reason
    reload(session)
    assert session.get(Product, kurti.id).listed
    client.post(f"/staff/products/{kurti.id}/hide", data={"reason": "contact"})
    reload(session)
    assert not session.get(Product, kurti.id).listed
    assert session.scalar(sa.select(ListingReport.closed_at)) is not None  # the report is dealt with
    client.post("/auth/logout")
    assert "Indigo block kurti" not in client.get("/search?q=indigo").text
    assert "Indigo block kurti" not in client.get("/shop").text
    assert client.get(f"/p/{kurti.id}").status_code == 404
    assert quote(session, cart_for(session, world.buyer, None), world.buyer).problems  # her cart cannot check out
    note = session.scalar(sa.select(Notification).where(Notification.user_id == world.member_a.user_id))
    reason_hi = "इसमें फ़ोन नंबर, ई-मेल या कोई और संपर्क दिखता है"
    assert reason_hi in note.body and "Indigo block kurti" in note.body
    login(client, world.member_a.user.phone)
    assert reason_hi in client.get("/seller/products/").text
    assert "1 उत्पाद खरीदारों से छिपाया गया है" in client.get("/seller/").text  # her home says so too
    client.post("/auth/logout")
    login(client, world.admin.email)
    client.post(f"/staff/products/{kurti.id}/show")
    reload(session)
    assert session.get(Product, kurti.id).listed
    assert "Indigo block kurti" in client.get("/search?q=indigo").text
    assert list(session.scalars(sa.select(AuditEntry.action).order_by(AuditEntry.id))) == [
        "hide_product", "show_product"]


def test_a_hidden_shop_leaves_every_list_and_its_page(client, session, world, kurti):
    moderation.hide_shop(session, world.staff_a, world.shop_a, "not_allowed")
    session.commit()
    assert client.get(f"/s/{world.shop_a.slug}").status_code == 404
    login(client, world.member_a.user.phone)
    assert "may not be sold on Haat" in client.get("/seller/").text  # she reads why on her home
    client.post("/auth/logout")
    assert world.shop_a.public_name not in client.get("/shops").text
    assert not session.get(Product, kurti.id).listed
    gen = gen_product(session, world.shop_a, title="New after hiding")
    assert not gen.listed  # a product published while the shop is hidden stays out too
    moderation.show_shop(session, world.staff_a, world.shop_a)
    assert session.get(Product, kurti.id).listed and gen.listed


def test_a_new_category_shows_its_hindi_name_and_a_rename_changes_it(client, session, world):
    garments = category(session, "garments")
    new = moderation.add_category(session, world.admin, garments, "Lehengas", {"hi": "लहंगे"})
    with pytest.raises(CatalogError, match="exists already"):
        moderation.add_category(session, world.admin, garments, "lehengas", {})
    gen_product(session, world.shop_a, category_slug=new.slug, title="Festival lehenga")
    session.commit()
    forget_taxonomy_in(client)
    client.post("/language/hi")
    assert "लहंगे" in client.get(f"/c/{new.slug}").text
    moderation.rename_category(session, world.admin, new, "Lehenga cholis", {"hi": "लहंगा चोली"})
    session.commit()
    forget_taxonomy_in(client)
    page = client.get(f"/c/{new.slug}").text
    assert "लहंगा चोली" in page and "Lehenga cholis" not in page


def forget_taxonomy_in(client) -> None:
    with client.application.app_context():
        forget_taxonomy()


def test_merging_moves_the_products_and_retires_the_category(session, world):
    sarees, kurtis = category(session, "sarees"), category(session, "kurtis-tops")
    moved = [gen_product(session, world.shop_a, category_slug="sarees") for _ in range(2)]
    assert moderation.merge_categories(session, world.admin, sarees, kurtis) == 2
    assert {p.category_id for p in moved} == {kurtis.id}
    assert sarees.retired and sarees.merged_into_id == kurtis.id
    with pytest.raises(CatalogError, match="retired"):
        moderation.merge_categories(session, world.admin, kurtis, sarees)


def test_a_retired_category_takes_no_new_products_but_those_in_it_stay_editable(session, world):
    sarees = category(session, "sarees")
    kept = gen_product(session, world.shop_a, category_slug="sarees", title="Old saree")
    moderation.retire_category(session, world.admin, sarees)
    data = ProductData(title="New saree", category_id=sarees.id, variants=[VariantData(price_paise=500_00, stock=1)])
    with pytest.raises(CatalogError, match="no longer used"):
        create_product(session, world.shop_a, data)
    update_product(session, kept, ProductData(title="Old saree, new photo", category_id=sarees.id,
                                              variants=[VariantData(price_paise=500_00, stock=1)]))
    assert kept.listed and session.get(Category, sarees.id).retired
    with pytest.raises(CatalogError, match="trades"):
        moderation.retire_category(session, world.admin, category(session, "garments"))


def test_an_admin_merges_categories_through_the_page(client, session, world):
    sarees, kurtis = category(session, "sarees"), category(session, "kurtis-tops")
    product = gen_product(session, world.shop_a, category_slug="sarees")
    session.commit()
    login(client, world.admin.email)
    assert client.post(f"/admin/categories/{sarees.id}/merge", data={"into": ""}).status_code == 302
    reload(session)
    assert session.get(Product, product.id).category_id == sarees.id
    client.post(f"/admin/categories/{sarees.id}/merge", data={"into": kurtis.id})
    reload(session)
    assert session.get(Product, product.id).category_id == kurtis.id
    assert "merged into" in client.get("/admin/categories").text
