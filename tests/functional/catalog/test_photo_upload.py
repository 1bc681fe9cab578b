"""Photos uploaded through the seller's phone form: metadata gone, hostile files refused, nothing left over."""

import io
from pathlib import Path

import pytest
import sqlalchemy as sa
from PIL import Image

from catalog.models import Photo, Product
from tests.conftest import login, reload
from tests.factories import category
from tests.unit.catalog import hostile

HOSTILE = {
    "decompression bomb": (lambda: hostile.png_with_size(20_000, 20_000), "too large"),
    "truncated": (lambda: hostile.truncated(hostile.gps_jpeg()), "damaged"),
    "polyglot": (hostile.jpeg_zip_polyglot, None),
    "svg renamed .jpg": (hostile.svg, "not a photo"),
    "html renamed .jpg": (hostile.html, "not a photo"),
    "50,000 px wide": (lambda: hostile.jpeg_with_size(50_000, 10), "too large"),
}


def post_photo(client, session, shop_id, data: bytes, name="IMG_0042.jpg"):
    form = {"business": str(shop_id), "title": "Kurti", "category": str(category(session, "kurtis-tops").id),
            "variants-0-price": "450", "variants-0-stock": "2", "publish": "1",
            "photos": [(io.BytesIO(data), name)]}
    return client.post("/seller/products/new", data=form, content_type="multipart/form-data")


@pytest.fixture
def seller(client, world):
    login(client, world.member_a.user.phone)
    return client


def test_a_gps_tagged_phone_photo_comes_back_with_no_metadata_at_all(seller, world, session):
    assert post_photo(seller, session, world.shop_a.id, hostile.gps_jpeg()).status_code == 302
    reload(session)
    photo = session.scalar(sa.select(Photo))
    for width in photo.width_list:
        for ext in ("jpg", "webp"):
            with seller.get(f"/media/{photo.key}-{width}.{ext}") as response:
                assert response.status_code == 200
                assert response.mimetype == ("image/jpeg" if ext == "jpg" else "image/webp")
                assert "sandbox" in response.headers["Content-Security-Policy"]
                data = response.get_data()
            for secret in (b"Exif", b"GPS", hostile.XMP_NAMESPACE, *hostile.SECRETS.values()):
                assert secret not in data, (secret, width, ext)
            with Image.open(io.BytesIO(data)) as image:
                assert not image.getexif()
                assert not {"exif", "icc_profile", "comment", "xmp"} & set(image.info)


@pytest.mark.parametrize("kind", sorted(HOSTILE))
def test_hostile_files_are_refused_and_leave_nothing_behind(seller, world, session, app, kind):
    make, message = HOSTILE[kind]
    response = post_photo(seller, session, world.shop_a.id, make())
    media = Path(app.config["MEDIA_DIR"])
    reload(session)
    if message is None:  # a polyglot may be accepted as a photo, but only its pixels survive
        assert response.status_code == 302
        for path in media.iterdir():
            assert hostile.ZIP_MEMBER.encode() not in path.read_bytes()
        return
    assert response.status_code == 200 and message in response.text
    assert session.scalar(sa.select(sa.func.count()).select_from(Product)) == 0
    assert not media.exists() or list(media.iterdir()) == []


def test_media_urls_cannot_reach_other_files(client, app):
    media = Path(app.config["MEDIA_DIR"])
    media.mkdir(parents=True, exist_ok=True)
    (media.parent / "secret.txt").write_text("x")
    for url in ("/media/..%2Fsecret-160.jpg", "/media/short-160.jpg", "/media/aaaaaaaaaaaaaaaaaaaaaa-160.html",
                "/media/aaaaaaaaaaaaaaaaaaaaaa-160.jpg"):
        with client.get(url) as response:
            assert response.status_code == 404, url


def _half_red_left(width: int, height: int) -> bytes:
    """A photo whose left half is red and right half blue: which way it was turned shows in its corners."""
    im = Image.new("RGB", (width, height), (0, 0, 255))
    im.paste((255, 0, 0), (0, 0, width // 2, height))
    buffer = io.BytesIO()
    im.save(buffer, "PNG")
    return buffer.getvalue()


@pytest.mark.parametrize(("turns", "size", "red_at"), [
    ("90,0", [(400, 640), (640, 400)], "top"),  # a quarter clockwise: the left (red) half goes to the top
    ("270,180", [(400, 640), (640, 400)], "bottom"),
    ("", [(640, 400), (640, 400)], "left"),
    ("45,oops", [(640, 400), (640, 400)], "left"),  # not a quarter turn: left as it was
])
def test_the_turns_chosen_in_the_preview_turn_the_stored_photos(seller, world, session, turns, size, red_at):
    form = {"business": str(world.shop_a.id), "title": "Kurti", "category": str(category(session, "kurtis-tops").id),
            "variants-0-price": "450", "variants-0-stock": "2", "publish": "1", "photo_turns": turns,
            "photos": [(io.BytesIO(_half_red_left(640, 400)), name) for name in ("a.png", "b.png")]}
    assert seller.post("/seller/products/new", data=form, content_type="multipart/form-data").status_code == 302
    reload(session)
    photos = session.scalars(sa.select(Photo).order_by(Photo.position)).all()
    assert [(p.width, p.height) for p in photos] == size
    with seller.get(f"/media/{photos[0].key}-{photos[0].width_list[-1]}.jpg") as response:
        image = Image.open(io.BytesIO(response.get_data())).convert("RGB")
    w, h = image.size
    corner = {"top": (w // 2, 5), "bottom": (w // 2, h - 5), "left": (5, h // 2)}[red_at]
    red, _green, blue = image.getpixel(corner)
    assert red > 200 and blue < 60, (turns, image.getpixel(corner))
