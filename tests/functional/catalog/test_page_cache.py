"""Guest pages kept whole (market.core.pagecache): served with no query, made new at once when what they show
changes (through the seller's, the staff's and a buyer's real forms), never holding anything of one visitor for
another (CSRF token, flash message, language panel), never a logged-in page."""

import gzip
import os
import re
import zlib

import pytest
import redis

from catalog.search import sync
from catalog.services import VariantData
from market.core import db
from orders.services import take_stock
from tests.conftest import csrf_token, login, reload, statements_sent, unavailable
from tests.factories import category, gen_product


def queries(app, client, path: str, **kwargs):
    """The response and how many statements it sent (0: the page came from the cache)."""
    with app.app_context():
        engine = db.engine()
    with statements_sent(engine) as seen:
        response = client.get(path, **kwargs)
    return response, len(seen)


def without_token(html: str) -> str:
    return re.sub(r'name="csrf_token" value="[^"]+"', "", html)


@pytest.fixture
def kurti(session, world):
    item = gen_product(session, world.shop_a, title="Indigo kurti", variants=[
        VariantData(price_paise=450_00, stock=3, size="M"), VariantData(price_paise=500_00, stock=1, size="L")])
    session.commit()
    sync(session)  # the search index has it
    return item


def edit_form(session, world, **change):
    values = {"business": str(world.shop_a.id), "title": "Indigo kurti",
              "category": str(category(session, "kurtis-tops").id), "description": "Handmade with care.",
              "variants-0-size": "M", "variants-0-price": "450", "variants-0-stock": "3",
              "variants-1-size": "L", "variants-1-price": "500", "variants-1-stock": "1"}
    return {**values, **change}


def test_a_guest_page_comes_from_the_cache_with_no_query_and_the_same_html(app, world, kurti):
    first, guest = app.test_client(), app.test_client()
    for path in ("/", "/shop", "/c/kurtis-tops", f"/s/{world.shop_a.slug}", f"/p/{kurti.id}", "/search?q=kurti",
                 "/shops"):
        made, made_queries = queries(app, first, path)
        kept, kept_queries = queries(app, guest, path)
        assert made.status_code == kept.status_code == 200
        assert made_queries > 0 and kept_queries == 0, path
        assert without_token(kept.text) == without_token(made.text), path
        assert "Indigo kurti" in kept.text or path == "/shops"


def test_a_price_changed_in_the_sellers_form_reaches_guests_at_once(app, client, session, world, kurti):
    guest = app.test_client()
    for path in (f"/p/{kurti.id}", "/shop", f"/s/{world.shop_a.slug}", "/search?q=indigo"):
        assert "₹450.00" in guest.get(path).text
        assert queries(app, guest, path)[1] == 0  # kept
    login(client, world.member_a.user.phone)
    assert client.post(f"/seller/products/{kurti.id}/edit",
                       data=edit_form(session, world, **{"variants-0-price": "399"})).status_code == 302
    for path in (f"/p/{kurti.id}", "/shop", f"/s/{world.shop_a.slug}", "/search?q=indigo"):
        page = guest.get(path).text
        assert "₹399.00" in page and "₹450.00" not in page, path


def test_stock_going_to_zero_reaches_guests_and_one_size_sold_out_keeps_the_lists(app, client, session, world, kurti):
    guest = app.test_client()
    large = kurti.variants[1]
    assert "1 in stock" in guest.get(f"/p/{kurti.id}").text and "Sold out" not in guest.get("/shop").text
    login(client, world.member_a.user.phone)
    assert client.post(f"/seller/products/{kurti.id}/variants/{large.id}/stock",
                       data={"change": "less"}).status_code == 302  # her tap: the last L is gone
    product_page, made = queries(app, guest, f"/p/{kurti.id}")
    assert made > 0 and "1 in stock" not in product_page.text and "Sold out" in product_page.text
    assert queries(app, guest, "/shop")[1] == 0  # one size sold out, the product not: the cards are the same
    medium = kurti.variants[0]
    for _ in range(3):
        client.post(f"/seller/products/{kurti.id}/variants/{medium.id}/stock", data={"change": "less"})
    assert "Sold out" in guest.get("/shop").text  # none left at all: every card says so at once
    assert "Add to cart" not in guest.get(f"/p/{kurti.id}").text


def test_a_sale_changes_the_product_page_and_keeps_the_lists_until_the_last_piece(app, session, world, kurti):
    """orders.services.take_stock, as a checkout takes stock: one conditional UPDATE of the variant."""
    guest = app.test_client()
    assert "3 in stock" in guest.get(f"/p/{kurti.id}").text and "Sold out" not in guest.get("/shop").text
    take_stock(session, kurti.variants[0], 2)
    session.commit()
    assert "1 in stock" in guest.get(f"/p/{kurti.id}").text
    assert queries(app, guest, "/shop")[1] == 0  # the cards show the product's own columns: unchanged
    take_stock(session, kurti.variants[0], 1)
    take_stock(session, kurti.variants[1], 1)
    session.commit()
    assert "Sold out" in guest.get("/shop").text


def test_a_product_hidden_by_moderation_leaves_every_guest_page(app, client, world, kurti):
    guest = app.test_client()
    assert "Indigo kurti" in guest.get("/shop").text and guest.get(f"/p/{kurti.id}").status_code == 200
    assert "Indigo kurti" in guest.get("/search?q=indigo").text
    login(client, world.staff_a.email)
    assert client.post(f"/staff/products/{kurti.id}/hide", data={"reason": "contact"}).status_code == 302
    assert "Indigo kurti" not in guest.get("/shop").text
    assert "Indigo kurti" not in guest.get("/search?q=indigo").text
    assert "Indigo kurti" not in guest.get(f"/s/{world.shop_a.slug}").text
    assert guest.get(f"/p/{kurti.id}").status_code == 404


def test_a_shop_closed_by_its_seller_leaves_every_guest_page(app, client, world, kurti):
    guest = app.test_client()
    assert "Indigo kurti" in guest.get("/").text and "Indigo kurti" in guest.get(f"/s/{world.shop_a.slug}").text
    login(client, world.member_a.user.phone)
    client.post(f"/seller/products/shops/{world.shop_a.id}/pause", data={"paused": "1"})
    assert "Indigo kurti" not in guest.get("/").text
    assert "taking a break" in guest.get(f"/s/{world.shop_a.slug}").text
    assert guest.get(f"/p/{kurti.id}").status_code == 404


def test_a_product_published_is_found_by_guests_once_search_has_it(app, client, session, world, kurti):
    guest = app.test_client()
    assert "Paisley" not in guest.get("/search?q=paisley").text
    login(client, world.member_a.user.phone)
    client.post("/seller/products/new", data=edit_form(session, world, title="Paisley dupatta", publish="1"))
    assert "Paisley dupatta" in guest.get("/search?q=paisley").text


def test_each_guest_gets_her_own_csrf_token_and_it_works(make_app, world, kurti):
    app = make_app(WTF_CSRF_ENABLED=True)
    first, second = app.test_client(), app.test_client()
    mine = csrf_token(first.get(f"/p/{kurti.id}").text)
    page, sent = queries(app, second, f"/p/{kurti.id}")
    theirs = csrf_token(page.text)
    assert sent == 0 and theirs != mine  # the kept page, with her own token put in
    added = second.post("/cart/add", data={"csrf_token": theirs, "variant": kurti.variants[0].id, "quantity": 1})
    assert added.status_code == 302 and "/cart" in added.headers["Location"]
    assert "Indigo kurti" in second.get("/cart").text
    refused = first.post("/cart/add", data={"csrf_token": theirs, "variant": kurti.variants[0].id, "quantity": 1})
    assert refused.status_code == 400  # her token is hers alone


def test_a_flash_message_is_shown_to_its_guest_only_and_never_kept(app, world, kurti):
    guest, other = app.test_client(), app.test_client()
    assert guest.get(f"/p/{kurti.id}").status_code == 200  # kept
    back = guest.post("/cart/add", data={"variant": kurti.variants[0].id, "quantity": "0"},
                      headers={"Referer": f"http://localhost/p/{kurti.id}"})
    assert back.status_code == 302 and back.headers["Location"].endswith(f"/p/{kurti.id}")
    shown = guest.get(f"/p/{kurti.id}").text
    assert 'class="flash flash-error"' in shown
    page, sent = queries(app, other, f"/p/{kurti.id}")
    assert sent == 0 and "flash-error" not in page.text  # the kept page, not the one with her message
    assert "flash-error" not in guest.get(f"/p/{kurti.id}").text  # shown once


def test_language_save_data_and_the_first_visit_panel_each_have_their_page(app, world, kurti):
    tamil, hindi, english = app.test_client(), app.test_client(), app.test_client()
    hindi.set_cookie("lang", "hi")
    assert 'lang="ta"' in tamil.get("/shop", headers={"Accept-Language": "ta"}).text
    assert 'lang="hi"' in hindi.get("/shop", headers={"Accept-Language": "ta"}).text  # her choice over the browser's
    first = english.get("/shop").text
    assert 'lang="en-IN"' in first and "first-language" in first  # the first page of a visit asks
    again = english.get("/shop")
    assert "first-language" in again.text  # the same page again (a reload) still asks
    assert "first-language" not in english.get("/shops").text  # the next page does not
    english.set_cookie("lang_asked", "later")
    assert "first-language" not in english.get("/shop").text
    assert 'lang="ta"' in app.test_client().get("/shop", headers={"Accept-Language": "ta"}).text


def test_save_data_gets_the_small_photos_page(app, session, world, kurti):
    from catalog.models import Photo

    session.add(Photo(product=kurti, key="k" * 22, position=0, width=1080, height=1440, widths="160,320,640,1080"))
    session.commit()
    guest = app.test_client()
    assert "-1080.webp" in guest.get("/shop").text
    saving = guest.get("/shop", headers={"Save-Data": "on"}).text
    assert "-160.webp" in saving and "-1080.webp" not in saving
    assert "-1080.webp" in guest.get("/shop").text


def test_logged_in_pages_are_never_kept_nor_shared(app, world, kurti):
    buyer, wholesaler, guest = app.test_client(), app.test_client(), app.test_client()
    login(buyer, world.buyer.email)
    login(wholesaler, world.wholesaler.email)
    for _ in range(2):
        for client in (buyer, wholesaler):
            page, sent = queries(app, client, f"/p/{kurti.id}")
            assert sent > 0  # made for her each time
            assert page.headers["Cache-Control"] == "private, no-store" and "ETag" not in page.headers
            assert 'href="/auth/account"' in page.text
        assert "Ask for a quote" in wholesaler.get(f"/p/{kurti.id}").text
        assert "Ask for a quote" not in buyer.get(f"/p/{kurti.id}").text
        page = guest.get(f"/p/{kurti.id}")
        assert "Ask for a quote" not in page.text and 'href="/auth/account"' not in page.text
        assert page.headers["Cache-Control"] == "private, no-cache"


def test_http_headers_etag_and_304(app, client, session, world, kurti):
    guest = app.test_client()
    page = guest.get("/shop")
    assert page.headers["Cache-Control"] == "private, no-cache"
    assert {"Cookie", "Accept-Language", "Save-Data", "Accept-Encoding"} <= {
        v.strip() for v in page.headers["Vary"].split(",")}
    etag = page.headers["ETag"]
    assert etag.startswith('W/"')
    same = guest.get("/shop", headers={"If-None-Match": etag})
    assert same.status_code == 304 and same.data == b""
    other = app.test_client()  # another visitor's session: another token, another page to her browser
    assert other.get("/shop", headers={"If-None-Match": etag}).status_code == 200
    login(client, world.member_a.user.phone)
    client.post(f"/seller/products/{kurti.id}/edit", data=edit_form(session, world, title="Indigo kurta"))
    changed = guest.get("/shop", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and "Indigo kurta" in changed.text


def test_with_the_cache_off_every_page_is_made_again(app, world, kurti):
    app.config["PAGE_CACHE"] = False
    guest = app.test_client()
    assert queries(app, guest, "/shop")[1] > 0
    assert queries(app, guest, "/shop")[1] > 0


def test_a_change_committed_elsewhere_reaches_the_kept_page(app, session, world, kurti):
    """The test's own session is another app, as a worker or the CLI is another process."""
    guest = app.test_client()
    assert "Indigo kurti" in guest.get("/shop").text
    kurti.title = "Indigo kurta"
    session.commit()
    assert "Indigo kurta" in guest.get("/shop").text
    reload(session)


def test_the_cli_forgets_every_kept_page(app, world, kurti):
    guest = app.test_client()
    guest.get("/shop")
    assert queries(app, guest, "/shop")[1] == 0
    assert "cleared" in app.test_cli_runner().invoke(args=["page-cache", "clear"]).output
    assert queries(app, guest, "/shop")[1] > 0


@pytest.fixture
def redis_url():
    """The machine's Redis (started before every session and CI run; production keeps the pages in Redis): a
    database of this test's own, emptied before and after."""
    url = os.environ.get("HAAT_TEST_REDIS_URL", "redis://127.0.0.1:6379/13")
    client = redis.Redis.from_url(url)
    try:
        client.ping()
    except redis.ConnectionError:
        unavailable(f"Redis is not running at {url}")
    client.flushdb()
    yield url
    client.flushdb()
    client.close()


def test_two_processes_share_the_pages_and_their_versions_in_redis(make_app, session, redis_url, world, kurti):
    web, other = make_app(PAGE_CACHE_URL=redis_url), make_app(PAGE_CACHE_URL=redis_url)
    guest = web.test_client()
    assert "₹450.00" in guest.get(f"/p/{kurti.id}").text
    assert queries(web, other.test_client(), f"/p/{kurti.id}")[1] == 0  # the other process has it too
    seller = other.test_client()
    login(seller, world.member_a.user.phone)
    seller.post(f"/seller/products/{kurti.id}/edit", data=edit_form(session, world, **{"variants-0-price": "399"}))
    assert "₹399.00" in guest.get(f"/p/{kurti.id}").text  # changed in one process, new in the other at once
    keys = redis.Redis.from_url(redis_url).keys("haat:*")
    assert b"haat:version:lists" in keys and any(k.startswith(b"haat:page:") for k in keys)


def test_a_kept_page_is_sent_gzipped_with_only_her_token_compressed_now(app, world, kurti):
    first, guest = app.test_client(), app.test_client()
    plain = first.get(f"/p/{kurti.id}").text
    page, sent = queries(app, guest, f"/p/{kurti.id}", headers={"Accept-Encoding": "gzip, deflate, br"})
    assert sent == 0 and page.headers["Content-Encoding"] == "gzip"
    html = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(page.data).decode()  # one gzip member, checked
    assert without_token(html) == without_token(plain)
    assert csrf_token(html) != csrf_token(plain) and html.count(csrf_token(html)) == 3  # picker, panel, cart
    assert gzip.decompress(page.data).decode() == html
