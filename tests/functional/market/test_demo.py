"""`flask --app market seed-demo` loads the demo once, with safe public names; the daily `forget-stale`."""

import io
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
from PIL import Image

from catalog.demo import demo_photo
from catalog.models import Photo, Product
from market.core.db import utcnow
from market.core.models import PendingSignup, User
from market.demo import MEMBERS
from vendors.models import Business, Member, Organisation, SelfHelpGroup


def test_seed_demo_loads_once_with_safe_photos_and_working_accounts(app, client, session):
    """One test, because loading the demo runs 120 photos through the real pipeline."""
    runner = app.test_cli_runner()
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0, first.output
    assert "Demo data loaded" in first.output and "entrepreneur@example.org" in first.output
    count = lambda model: session.scalar(sa.select(sa.func.count()).select_from(model))  # noqa: E731
    assert (count(Organisation), count(SelfHelpGroup), count(Member), count(Business)) == (4, 10, 40, 40)
    assert (count(Product), count(Photo)) == (120, 120)
    assert len(set(session.scalars(sa.select(Organisation.state_code)))) == 3
    for role in ("entrepreneur", "buyer", "wholesaler", "staff", "admin"):
        assert session.scalar(sa.select(User.role).where(User.email == f"{role}@example.org")) == role

    media = Path(app.config["MEDIA_DIR"])
    for photo in session.scalars(sa.select(Photo).limit(5)):
        for path in media.glob(f"{photo.key}-*"):
            data = path.read_bytes()
            assert b"Exif" not in data and b"DemoPhone" not in data and b"Kasba" not in data
            with Image.open(path) as image:
                assert not image.getexif()

    response = client.post("/auth/login", data={"login": "entrepreneur@example.org", "password": "demo-pass-123"})
    assert response.headers["Location"] == "/seller/"
    assert "Rangoli Stitches" in client.get("/seller/").text

    second = runner.invoke(args=["seed-demo"])
    assert "already there" in second.output
    session.rollback()
    assert count(User) == 40 + 4 and count(Product) == 120


def test_demo_photos_carry_gps_before_the_pipeline():
    with Image.open(io.BytesIO(demo_photo("food", 1))) as raw:
        assert raw.getexif().get_ifd(0x8825)[2] == (18.0, 31.0, 12.5)


def test_demo_shop_names_share_nothing_with_legal_names():
    for legal_name, shop, _trade, story in MEMBERS:
        for part in legal_name.lower().split():
            assert part not in shop.lower() and part not in story.lower(), (legal_name, shop)


def test_the_daily_forget_stale_command_deletes_an_unfinished_sign_up(app, session):
    session.add(PendingSignup(login="+919800000003", name="A", role="buyer", password_hash="x", nonce="n",
                              expires_at=utcnow() - timedelta(days=3)))
    session.flush()
    result = app.test_cli_runner().invoke(args=["forget-stale"])
    assert result.exit_code == 0 and "1 sign-ups" in result.output, result.output
    assert session.scalar(sa.select(sa.func.count()).select_from(PendingSignup)) == 0
