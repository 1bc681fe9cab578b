"""Staff add many products from a CSV and a zip of photos: all rows or none, with each row's problem."""

import io
import zipfile
from pathlib import Path

import pytest
import sqlalchemy as sa

from catalog.models import Photo, Product
from market.core.jobs import Job
from tests.conftest import login, reload
from tests.factories import photo_bytes

GOOD_CSV = (
    "title,category,price,stock,photos,description,fssai_number,shelf_life_days,diet\n"
    "Cotton kurti,Kurtis and tops,450,5,kurti.jpg,Soft cotton,,,\n"
    "Mango pickle 500 g,pickles,220,12,PICKLE.PNG;pickle2.jpg,Grandmother's recipe,12345678901234,180,veg\n"
    "Jhumka,earrings,\"1,250.50\",3,,,,,\n"
)


def photos_zip(*names: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in names:
            archive.writestr(f"photos/{name}", photo_bytes(fmt="PNG" if name.lower().endswith(".png") else "JPEG"))
    return buffer.getvalue()


def upload(client, business_id, csv_text, zip_bytes=None, **extra):
    data = {"csv_file": (io.BytesIO(csv_text.encode("utf-8-sig")), "products.csv"), **extra}
    if zip_bytes is not None:
        data["photos_zip"] = (io.BytesIO(zip_bytes), "photos.zip")
    return client.post(f"/staff/imports/new?business={business_id}", data=data, content_type="multipart/form-data")


@pytest.fixture
def staff(client, world):
    login(client, world.staff_a.email)
    return client


def test_a_good_file_adds_every_product_with_its_photos(staff, world, session, app):
    response = upload(staff, world.shop_a.id, GOOD_CSV, photos_zip("kurti.jpg", "pickle.png", "pickle2.jpg"),
                      publish="y")
    assert response.status_code == 302
    page = staff.get(response.headers["Location"]).text
    assert "3 products added" in page
    reload(session)
    products = session.scalars(sa.select(Product).order_by(Product.id)).all()
    assert [(p.title, p.price_paise, p.listed) for p in products] == [
        ("Cotton kurti", 45_000, True), ("Mango pickle 500 g", 22_000, True), ("Jhumka", 125_050, True)]
    assert [len(p.photos) for p in products] == [1, 2, 0]
    assert products[1].fssai_number == "12345678901234" and products[1].diet == "veg"
    assert len(list(Path(app.config["MEDIA_DIR"]).iterdir())) == 3 * 6  # 3 photos x (3 widths x 2 formats)


@pytest.mark.parametrize(("bad_row", "message"), [
    ("Saree,no-such-category,900,1,,,,,", "unknown category"),
    ("Saree,sarees,nine hundred,1,,,,,", "price"),
    ("Saree,sarees,900,many,,,,,", "stock must be a whole number"),
    ("Papad,papad,90,1,,,,,", "FSSAI"),
    ("Saree,sarees,900,1,missing.jpg,,,,", "missing.jpg is not in the zip"),
    (",sarees,900,1,,,,,", "name"),
])
def test_one_bad_row_stops_the_whole_file_and_says_which(staff, world, session, app, bad_row, message):
    response = upload(staff, world.shop_a.id, GOOD_CSV + bad_row + "\n",
                      photos_zip("kurti.jpg", "pickle.png", "pickle2.jpg"))
    page = staff.get(response.headers["Location"]).text
    assert "Nothing was added" in page and "row 5:" in page and message in page
    reload(session)
    assert session.scalar(sa.select(sa.func.count()).select_from(Product)) == 0
    assert session.scalar(sa.select(sa.func.count()).select_from(Photo)) == 0
    media = Path(app.config["MEDIA_DIR"])
    assert not media.exists() or list(media.iterdir()) == []
    assert session.scalar(sa.select(Job.status)) == "failed"


def test_a_hostile_photo_in_the_zip_is_a_row_error(staff, world, session):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("kurti.jpg", b"<html><script>alert(1)</script></html>")
    response = upload(staff, world.shop_a.id, "title,category,price,stock,photos\nKurti,sarees,10,1,kurti.jpg\n",
                      buffer.getvalue())
    assert "not a photo we can use" in staff.get(response.headers["Location"]).text


@pytest.mark.parametrize(("csv_text", "message"), [
    ("name,price\nx,1\n", "needs the columns"),
    ("title,category,price,stock\n", "no products"),
])
def test_unreadable_files_get_a_clear_message(staff, world, csv_text, message):
    response = upload(staff, world.shop_a.id, csv_text)
    assert message in staff.get(response.headers["Location"]).text


def test_staff_cannot_import_into_another_organisations_shop(staff, world, session):
    assert staff.get(f"/staff/imports/new?business={world.shop_b.id}").status_code == 403
    assert upload(staff, world.shop_b.id, GOOD_CSV).status_code == 403
    reload(session)
    assert session.scalar(sa.select(sa.func.count()).select_from(Job)) == 0


@pytest.mark.parametrize("bad_row", [
    "Saree,sarees,900,1,,Call 98123 456 78 for colours,,,",
    "Sunita's saree,sarees,900,1,,,,,",
    "Saree,sarees,900,1,,pay sunita at okhdfcbank,,,",
])
def test_a_contact_or_her_name_in_an_imported_row_stops_the_file(staff, world, session, bad_row):
    response = upload(staff, world.shop_a.id, GOOD_CSV + bad_row + "\n",
                      photos_zip("kurti.jpg", "pickle.png", "pickle2.jpg"))
    page = staff.get(response.headers["Location"]).text
    assert "Nothing was added" in page and "row 5: For your safety" in page
    reload(session)
    assert session.scalar(sa.select(sa.func.count()).select_from(Product)) == 0
