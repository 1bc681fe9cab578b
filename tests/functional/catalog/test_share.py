"""Sharing to WhatsApp: a share link on product and shop pages (wa.me without JavaScript), Open Graph meta for the
preview card (photo, price, the shop's public name, never the member's), "share my shop" and a QR poster."""

import re
from html import unescape
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from catalog.images import process_upload
from catalog.services import add_photo
from tests.conftest import login
from tests.factories import gen_product, photo_bytes


def meta(html: str) -> dict[str, str]:
    return {m[0]: unescape(m[1]) for m in re.findall(r'<meta property="([^"]+)" content="([^"]*)"', html)}


def wa_text(html: str) -> str:
    href = unescape(re.search(r'href="(https://wa\.me/\?text=[^"]+)"', html).group(1))
    return parse_qs(urlsplit(href).query)["text"][0]


def test_a_product_page_has_a_preview_card_and_a_whatsapp_link(app, client, session, world):
    product = gen_product(session, world.shop_a, title="Indigo kurti", price_paise=45_000, stock=5)
    add_photo(session, product, process_upload(photo_bytes(), Path(app.config["MEDIA_DIR"])))
    session.commit()
    html = client.get(f"/p/{product.id}").get_data(as_text=True)
    card = meta(html)
    assert card["og:title"] == "Indigo kurti" and card["product:price:amount"] == "450.00"
    assert "₹450.00" in card["og:description"] and "Rangoli Stitches" in card["og:description"]
    assert card["og:url"] == f"http://localhost/p/{product.id}"
    assert re.fullmatch(r"http://localhost/media/[\w-]+\.jpg", card["og:image"])
    with client.get(card["og:image"].removeprefix("http://localhost")) as image:
        assert image.status_code == 200 and image.mimetype == "image/jpeg"
    assert wa_text(html).endswith(f" http://localhost/p/{product.id}")
    assert "Rangoli Stitches" in wa_text(html)
    assert world.member_a.legal_name not in html and world.member_a.user.name not in html


def test_a_shop_page_shares_its_public_name_only(client, session, world):
    gen_product(session, world.shop_a, title="Indigo kurti", stock=5)
    session.commit()
    html = client.get(f"/s/{world.shop_a.slug}").get_data(as_text=True)
    assert meta(html)["og:title"] == "Rangoli Stitches"
    assert wa_text(html) == f"Rangoli Stitches on Haat http://localhost/s/{world.shop_a.slug}"
    assert world.member_a.legal_name not in html


def test_her_home_shares_her_shop_and_prints_a_qr_poster(client, session, world):
    login(client, world.member_a.user.phone)
    home = client.get("/seller/").get_data(as_text=True)
    assert wa_text(home).endswith(f"/s/{world.shop_a.slug}")
    poster = client.get(f"/seller/shops/{world.shop_a.id}/poster").get_data(as_text=True)
    assert '<svg class="qr" role="img" viewBox="0 0 ' in poster and re.search(r'<path d="(M\d+,\d+h1v1h-1z)+"', poster)
    assert "Rangoli Stitches" in poster and f"http://localhost/s/{world.shop_a.slug}" in poster
    assert world.member_a.legal_name not in poster


def test_nobody_prints_another_members_poster(client, session, world):
    login(client, world.member_a.user.phone)
    assert client.get(f"/seller/shops/{world.shop_b.id}/poster").status_code == 404
