"""How pages travel: compressed, static files cached for a year under a versioned URL, Save-Data honoured."""

from __future__ import annotations

import re
from pathlib import Path

from catalog.images import process_upload
from catalog.services import add_photo
from tests.factories import gen_product, photo_bytes


def test_pages_are_compressed_for_browsers_that_accept_it(client):
    page = client.get("/shop", headers={"Accept-Encoding": "br, gzip"})
    assert page.headers["Content-Encoding"] == "br"
    assert int(page.headers["Content-Length"]) < len(client.get("/shop").data) / 3


def test_static_files_have_versioned_urls_kept_for_a_year(client):
    html = client.get("/shop").text
    css = re.search(r'href="(/static/css/haat\.css\?v=[0-9a-f]{12})"', html).group(1)
    response = client.get(css)
    assert response.status_code == 200
    assert {"public", "immutable", "max-age=31536000"} <= {p.strip() for p in response.headers["Cache-Control"]
                                                          .split(",")}
    fonts = client.get(re.search(r'href="(/static/css/fonts\.css\?v=[0-9a-f]+)"', html).group(1)).text
    assert all("?v=" in url for url in re.findall(r'url\("([^"]+)"\)', fonts))
    assert "immutable" not in client.get("/static/css/haat.css").headers.get("Cache-Control", "")


def test_save_data_gets_the_smallest_photo_only(app, client, session, world):
    product = gen_product(session, world.shop_a)
    with app.app_context():
        add_photo(session, product, process_upload(photo_bytes(1600, 1200), Path(app.config["MEDIA_DIR"])))
    session.commit()
    normal = client.get(f"/p/{product.id}")
    saving = client.get(f"/p/{product.id}", headers={"Save-Data": "on"})
    assert "Save-Data" in normal.headers["Vary"]
    widths = {int(w) for w in re.findall(r" (\d+)w", normal.text)}
    assert len(widths) > 1
    assert set(re.findall(r" (\d+)w", saving.text)) == {str(min(widths))}
