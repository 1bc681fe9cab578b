"""Request bodies: each kind of page takes what it needs and no more, refused (413) before the body is read.

Ordinary forms 64 KB, webhooks 1 MB, the product form its photos (6 x 15 MB), the CSV uploads their own. Without
an account nobody can make a worker hold hundreds of MB. A refusal is a page in her language, never a 500, and
changes nothing.
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass

import pytest
import sqlalchemy as sa
from PIL import Image

from catalog.images import MAX_UPLOAD_BYTES
from catalog.models import Product
from catalog.services import MAX_PHOTOS
from market.core.bodies import FORM, WEBHOOK
from payments.models import WebhookEvent
from tests.conftest import login, reload
from tests.factories import category

KB = 1024


@dataclass
class Answer:
    status_code: int
    text: str

PHOTOS = MAX_PHOTOS * MAX_UPLOAD_BYTES + FORM


def claimed(client, url: str, length: int, content_type: str = "application/x-www-form-urlencoded"):
    """A POST that says it carries `length` bytes but sends only a few: refused on the header alone, it never
    waits for (or holds) the rest."""
    from werkzeug.test import EnvironBuilder

    path, _sep, query = url.partition("?")
    environ = EnvironBuilder(path=path, query_string=query, method="POST", input_stream=io.BytesIO(b"a=b"),
                             content_type=content_type).get_environ()
    environ["CONTENT_LENGTH"] = str(length)
    return sent(client, environ)


def chunked(client, url: str, size: int, content_type: str = "application/json"):
    """A POST without Content-Length (chunked, as gunicorn hands it on): the limit holds while reading."""
    from werkzeug.test import EnvironBuilder

    environ = EnvironBuilder(path=url, method="POST", input_stream=io.BytesIO(b"x" * size),
                             content_type=content_type).get_environ()
    del environ["CONTENT_LENGTH"]
    environ["wsgi.input_terminated"] = True
    return sent(client, environ)


def sent(client, environ) -> Answer:
    """The app's answer to this very environ (the test client would set Content-Length again), with the
    client's cookies."""
    client._add_cookies_to_wsgi(environ)
    body, status, _headers = client.run_wsgi_app(environ)
    try:
        return Answer(int(status.split()[0]), b"".join(body).decode())
    finally:
        getattr(body, "close", lambda: None)()


def status(response) -> int:
    """The response's status, the response closed (and with it the request body's temporary file)."""
    with response:
        return response.status_code


def product_form(session, shop_id, photos: list[tuple[bytes, str]], **extra) -> dict:
    return {"business": str(shop_id), "title": "Kurti", "category": str(category(session, "kurtis-tops").id),
            "variants-0-price": "450", "variants-0-stock": "2", "publish": "1",
            "photos": [(io.BytesIO(data), name) for data, name in photos], **extra}


def test_an_ordinary_form_over_64_kb_is_refused_and_logs_nobody_in(client, world):
    client.set_cookie("lang", "hi")
    with client.post("/auth/login", data={"login": world.buyer.email, "password": "demo-pass-123x",
                                          "pad": "x" * FORM}) as page:
        pass
    assert page.status_code == 413 and "बहुत बड़ा" in page.text  # her language
    assert client.get("/auth/account").status_code == 302  # not logged in
    assert claimed(client, "/auth/login", 90 * 1024 * 1024).status_code == 413
    assert claimed(client, "/auth/signup", FORM + 1).status_code == 413


def test_a_webhook_over_1_mb_is_refused_before_it_is_read_even_chunked(client, session):
    hook = "/payments/webhooks/razorpay"
    assert claimed(client, hook, 90 * 1024 * 1024, "application/json").status_code == 413
    assert status(client.post(hook, data=b"{" + b" " * WEBHOOK + b"}", content_type="application/json")) == 413
    assert chunked(client, hook, WEBHOOK + 1).status_code == 413
    assert chunked(client, "/auth/login", FORM + 1, "application/x-www-form-urlencoded").status_code == 413
    assert status(client.post(hook, data=b"{}" + b" " * (WEBHOOK - 3 * KB),
                              content_type="application/json")) == 400  # under the limit: read, badly signed
    reload(session)
    assert session.scalar(sa.select(sa.func.count()).select_from(WebhookEvent)) == 0


def noise_jpeg(size=(400, 300)) -> bytes:
    """A photo that does not compress: well over 64 KB (under 500 KB, which the test client would spool to a
    temporary file it leaves open)."""
    buffer = io.BytesIO()
    Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3)).save(buffer, "JPEG", quality=95)
    return buffer.getvalue()


def test_the_product_form_takes_photos_up_to_six_times_the_photo_limit(client, world, session):
    login(client, world.member_a.user.phone)
    photo = noise_jpeg()
    assert 2 * FORM < len(photo) < 500 * KB
    with client.post("/seller/products/new", data=product_form(session, world.shop_a.id, [(photo, "a.jpg")]),
                     content_type="multipart/form-data") as response:  # closing it closes the body's temporary file
        assert response.status_code == 302
    assert claimed(client, "/seller/products/new", PHOTOS + 1, "multipart/form-data; boundary=x").status_code == 413
    assert claimed(client, f"/seller/products/{session.scalar(sa.select(Product.id))}/edit", PHOTOS + 1,
                   "multipart/form-data; boundary=x").status_code == 413


def test_photos_are_counted_before_any_is_decoded(client, world, session, app):
    """Seven unreadable files: the answer is the count, so not one of them was opened (the first would have been
    refused as "not a photo" had it been)."""
    login(client, world.member_a.user.phone)
    junk = [(b"not a photo at all", f"IMG_{n}.jpg") for n in range(MAX_PHOTOS + 1)]
    with client.post("/seller/products/new", data=product_form(session, world.shop_a.id, junk),
                     content_type="multipart/form-data") as page:
        pass
    assert page.status_code == 200 and "at most 6 photos" in page.text and "not a photo" not in page.text
    reload(session)
    assert session.scalar(sa.select(sa.func.count()).select_from(Product)) == 0


def test_photos_already_on_the_product_count_too(client, world, session, app):
    login(client, world.member_a.user.phone)
    photos = [(noise_jpeg((200, 150)), f"IMG_{n}.jpg") for n in range(4)]
    assert status(client.post("/seller/products/new", data=product_form(session, world.shop_a.id, photos),
                              content_type="multipart/form-data")) == 302
    reload(session)
    product_id = session.scalar(sa.select(Product.id))
    junk = [(b"not a photo at all", f"IMG_{n}.jpg") for n in range(3)]
    with client.post(f"/seller/products/{product_id}/edit", data=product_form(session, world.shop_a.id, junk),
                     content_type="multipart/form-data") as page:
        pass
    assert page.status_code == 200 and "at most 6 photos" in page.text and "not a photo" not in page.text


@pytest.mark.parametrize(("url", "allowed"), [("/staff/onboarding/new", 1024 * KB + FORM),
                                              ("/staff/imports/new?business=1", 100 * 1024 * KB)])
def test_the_csv_uploads_take_their_own_limit(client, world, url, allowed):
    login(client, world.staff_a.email)
    assert claimed(client, url, allowed + 1, "multipart/form-data; boundary=x").status_code == 413
    assert claimed(client, url, FORM + 1, "multipart/form-data; boundary=x").status_code in (200, 400)
